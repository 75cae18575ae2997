import { describe, expect, it } from 'vitest';
import { integralImage, maskedCorrelation, register, warpToGrid } from './register';

/** A textured test picture: a few sinusoids and ridges, like content at a coarse scale. */
function picture(width: number, height: number, seed: number): Float64Array {
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      out[y * width + x] =
        120 +
        40 * Math.sin(9 * u + seed) * Math.cos(7 * v - seed) +
        30 * Math.sin(23 * u * v + 2 * seed) +
        20 * Math.cos(31 * (u - 0.3) ** 2 + 17 * v);
    }
  }
  return out;
}

/** Shows the rectangle [x0, x1] × [y0, y1] of `source` at `width × height` (box filtered). */
function cropAndScale(
  source: Float64Array,
  sw: number,
  sh: number,
  rect: number[],
  width: number,
  height: number,
) {
  const [x0, x1, y0, y1] = rect as [number, number, number, number];
  const img = integralImage(source, sw, sh);
  const out = new Float64Array(width * height);
  // Sample the source rectangle on a `width × height` grid: the same box means the warp computes.
  warpToGrid(
    img,
    { x0: -x0 / (x1 - x0), x1: (1 - x0) / (x1 - x0), y0: -y0 / (y1 - y0), y1: (1 - y0) / (y1 - y0) },
    width,
    height,
    out,
  );
  return out;
}

describe('register', () => {
  it('finds the crop of a leak to within 0.3 % of the picture on each side', () => {
    const [sw, sh] = [640, 360];
    const [gw, gh] = [64, 36];
    const frames = [0, 1, 2].map((seed) => picture(sw, sh, seed));
    const reference = frames.map((f) => {
      const cells = new Float64Array(gw * gh);
      warpToGrid(integralImage(f, sw, sh), { x0: 0, x1: 1, y0: 0, y1: 1 }, gw, gh, cells);
      return cells;
    });
    const crop = [0.03, 0.955, 0.05, 0.975];
    const leak = frames.map((f) => integralImage(cropAndScale(f, sw, sh, crop, 192, 108), 192, 108));
    const found = register(leak, reference, gw, gh);
    expect(Math.abs(found.rect.x0 - 0.03)).toBeLessThan(0.003);
    expect(Math.abs(found.rect.x1 - 0.955)).toBeLessThan(0.003);
    expect(Math.abs(found.rect.y0 - 0.05)).toBeLessThan(0.003);
    expect(Math.abs(found.rect.y1 - 0.975)).toBeLessThan(0.003);
    expect(found.correlation).toBeGreaterThan(0.99);
  });

  it('leaves cells outside the leak out of the comparison', () => {
    const img = integralImage(new Float64Array(16 * 9).fill(10), 16, 9);
    const out = new Float64Array(8 * 4);
    warpToGrid(img, { x0: 0.25, x1: 1, y0: 0, y1: 1 }, 8, 4, out);
    // The leak starts a quarter into the picture: the first two columns are not in it.
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(10, 9);
    expect(
      maskedCorrelation(
        out,
        Array.from(out, (_, i) => i),
      ),
    ).not.toBeNaN();
  });
});
