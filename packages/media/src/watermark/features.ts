/**
 * Per-frame features for placing a leak on the video's timeline: the mean luma of a 4×4 grid of
 * blocks over the central 80 % of the picture. Coarse blocks well inside the frame barely change
 * when a leak is cropped by a few percent, scaled or re-encoded.
 */
/** 4 × 4 = `FEATURES` in reference.ts. */
const SIDE = 4;
const MARGIN = 0.1;

/** Writes the 16 features of `frame` (`width × height` luma values) into `out` at `offset`. */
export function frameFeatures(
  frame: ArrayLike<number>,
  width: number,
  height: number,
  out: Float32Array,
  offset: number,
): void {
  const x0 = Math.round(width * MARGIN);
  const y0 = Math.round(height * MARGIN);
  const spanX = width - 2 * x0;
  const spanY = height - 2 * y0;
  for (let by = 0; by < SIDE; by++) {
    const ya = y0 + Math.round((by * spanY) / SIDE);
    const yb = y0 + Math.round(((by + 1) * spanY) / SIDE);
    for (let bx = 0; bx < SIDE; bx++) {
      const xa = x0 + Math.round((bx * spanX) / SIDE);
      const xb = x0 + Math.round(((bx + 1) * spanX) / SIDE);
      let sum = 0;
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) sum += frame[y * width + x]!;
      out[offset + by * SIDE + bx] = sum / ((yb - ya) * (xb - xa));
    }
  }
}
