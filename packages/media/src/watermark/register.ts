/**
 * Geometric registration: which rectangle of the reference picture a leak shows. A leak may be
 * cropped a little, padded, scaled and stretched; we model its frame as the reference rectangle
 * [x0, x1] × [y0, y1] (in fractions of the reference's width and height, so x0 = 0.03 means 3 %
 * cropped on the left and x0 < 0 a black bar) scaled to the leak's size.
 *
 * Each reference grid cell is then an exact box in the leak's frame, whose mean comes from the
 * leak's integral image (bilinear in the integral is exact for a piecewise-constant picture), so
 * the leak is compared with the reference cell for cell, at sub-pixel precision.
 */

export interface Rect {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export const IDENTITY: Rect = { x0: 0, x1: 1, y0: 0, y1: 1 };

/** Integral image of a `width × height` picture, `(width + 1) × (height + 1)`. */
export interface Integral {
  width: number;
  height: number;
  sums: Float64Array;
}

export function integralImage(picture: ArrayLike<number>, width: number, height: number): Integral {
  const stride = width + 1;
  const sums = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += picture[y * width + x]!;
      sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1]! + row;
    }
  }
  return { width, height, sums };
}

/** Per grid column (or row): where the cell starts and ends in the leak, or NaN outside it. */
function axisMap(cells: number, from: number, to: number, size: number): Float64Array {
  const map = new Float64Array(cells + 1);
  for (let i = 0; i <= cells; i++) {
    const at = ((i / cells - from) / (to - from)) * size;
    map[i] = at < -1e-6 || at > size + 1e-6 ? Number.NaN : Math.min(size, Math.max(0, at));
  }
  return map;
}

function integralAt(img: Integral, x: number, y: number): number {
  const stride = img.width + 1;
  const ix = Math.min(img.width - 1, Math.floor(x));
  const iy = Math.min(img.height - 1, Math.floor(y));
  const fx = x - ix;
  const fy = y - iy;
  const s = img.sums;
  const a = s[iy * stride + ix]!;
  const b = s[iy * stride + ix + 1]!;
  const c = s[(iy + 1) * stride + ix]!;
  const d = s[(iy + 1) * stride + ix + 1]!;
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

/**
 * The leak resampled onto the reference grid under `rect`: `out[c]` is the mean of the leak over
 * cell c, NaN where the cell is not wholly inside the leak.
 */
export function warpToGrid(
  img: Integral,
  rect: Rect,
  gridWidth: number,
  gridHeight: number,
  out: Float64Array,
): void {
  const xs = axisMap(gridWidth, rect.x0, rect.x1, img.width);
  const ys = axisMap(gridHeight, rect.y0, rect.y1, img.height);
  for (let gy = 0; gy < gridHeight; gy++) {
    const ya = ys[gy]!;
    const yb = ys[gy + 1]!;
    for (let gx = 0; gx < gridWidth; gx++) {
      const xa = xs[gx]!;
      const xb = xs[gx + 1]!;
      const area = (xb - xa) * (yb - ya);
      out[gy * gridWidth + gx] =
        area > 0
          ? (integralAt(img, xb, yb) -
              integralAt(img, xa, yb) -
              integralAt(img, xb, ya) +
              integralAt(img, xa, ya)) /
            area
          : Number.NaN;
    }
  }
}

/** Pearson correlation of `a` and `b` over the cells where `a` is defined; NaN under a quarter. */
export function maskedCorrelation(a: Float64Array, b: ArrayLike<number>): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!)) continue;
    n++;
    sa += a[i]!;
    sb += b[i]!;
  }
  if (n < a.length / 4) return Number.NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cab = 0;
  let caa = 0;
  let cbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!)) continue;
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cab += da * db;
    caa += da * da;
    cbb += db * db;
  }
  return cab / Math.sqrt(caa * cbb + 1e-9);
}

export interface Registration {
  rect: Rect;
  /** Mean correlation of the warped leak with the reference content over the segments used. */
  correlation: number;
}

/** Search limits: up to 16 % cropped or 6 % padded on each side. */
const LIMITS = [-0.06, 0.16] as const;
const STEPS = [0.02, 0.005, 0.001] as const;

/**
 * Finds the rectangle that makes the leak's segment means (`leak[i]`) look most like the
 * reference's content means (`reference[i]`): a grid search over the left/right edges, then the
 * top/bottom edges, twice, at 2 % steps, then around the best at 0.5 %, then at 0.1 %.
 */
export function register(
  leak: Integral[],
  reference: ArrayLike<number>[],
  gridWidth: number,
  gridHeight: number,
): Registration {
  const warped = new Float64Array(gridWidth * gridHeight);
  const score = (rect: Rect) => {
    let sum = 0;
    for (let i = 0; i < leak.length; i++) {
      warpToGrid(leak[i]!, rect, gridWidth, gridHeight, warped);
      const r = maskedCorrelation(warped, reference[i]!);
      if (Number.isNaN(r)) return -2;
      sum += r;
    }
    return sum / leak.length;
  };
  let rect = { ...IDENTITY };
  let best = score(rect);
  const searchAxis = (axis: 'x' | 'y', step: number, span: number) => {
    const [lo, hi] = axis === 'x' ? (['x0', 'x1'] as const) : (['y0', 'y1'] as const);
    const centreLo = rect[lo];
    const centreHi = rect[hi];
    const m = Math.round(span / step);
    const inRange = (margin: number) => margin >= LIMITS[0] - 1e-9 && margin <= LIMITS[1] + 1e-9;
    for (let i = -m; i <= m; i++) {
      const from = centreLo + i * step;
      if (!inRange(from)) continue;
      for (let j = -m; j <= m; j++) {
        const to = centreHi + j * step;
        if (!inRange(1 - to)) continue;
        const candidate = { ...rect, [lo]: from, [hi]: to };
        const s = score(candidate);
        if (s > best) {
          best = s;
          rect = candidate;
        }
      }
    }
  };
  for (let i = 0; i < STEPS.length; i++) {
    const step = STEPS[i]!;
    const span = i === 0 ? LIMITS[1] - LIMITS[0] : STEPS[i - 1]!;
    for (let round = 0; round < 2; round++) {
      searchAxis('x', step, span);
      searchAxis('y', step, span);
    }
  }
  return { rect, correlation: best };
}
