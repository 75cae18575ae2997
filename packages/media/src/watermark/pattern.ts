/**
 * The watermark pattern and its timing.
 *
 * The pattern P is a smooth pseudo-random luma field (blobs about 1/12 of the frame's long side,
 * peak ±`amplitude` levels), the same for the whole video and derived from the video's secret
 * pattern seed. Variant A shows frame + e(t)·P, variant B frame − e(t)·P, where the envelope e(t)
 * rises from 0 at the first frame of every segment to 1 and falls back to 0 at its last frame: two
 * consecutive segments can come from different variants without a visible step where they meet.
 */
import { createHmac } from 'node:crypto';

/** Frame rate as an exact fraction (e.g. 30000/1001). */
export interface Rational {
  num: number;
  den: number;
}

/** How the mark is laid over a rendition; stored in the reference so the tracer uses the same. */
export interface MarkTiming {
  fps: Rational;
  segmentSeconds: number;
  /** Seconds over which the envelope rises at the start and falls at the end of each segment. */
  rampSeconds: number;
}

/** Block `counter` (32 bytes) of the PRF stream HMAC-SHA256(seed, label ‖ counter). */
export const prfBlock = (seed: Buffer | string, label: string, counter: number): Buffer =>
  createHmac('sha256', seed).update(`${label}:${counter}`).digest();

/** The first `length` bytes of the PRF stream: deterministic per seed and label. */
export function prfBytes(seed: Buffer | string, label: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) blocks.push(prfBlock(seed, label, counter));
  return Buffer.concat(blocks).subarray(0, length);
}

/** Standard normal numbers from the seed (Box–Muller over PRF uniforms). */
function gaussians(seed: Buffer | string, label: string, count: number): Float64Array {
  const bytes = prfBytes(seed, label, Math.ceil(count / 2) * 8);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = (bytes.readUInt32BE(i * 4) + 1) / 4294967297;
    const u2 = bytes.readUInt32BE(i * 4 + 4) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Cubic B-spline basis weights for fractional position t in [0, 1). */
function bspline(t: number): [number, number, number, number] {
  const t2 = t * t;
  const t3 = t2 * t;
  return [
    (1 - 3 * t + 3 * t2 - t3) / 6,
    (4 - 6 * t2 + 3 * t3) / 6,
    (1 + 3 * t + 3 * t2 - 3 * t3) / 6,
    t3 / 6,
  ];
}

/** Size of the small pattern image ffmpeg scales up to the rendition: 64 on the long side. */
export function patternImageSize(width: number, height: number): { width: number; height: number } {
  const long = 64;
  const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
  return width >= height
    ? { width: long, height: even((long * height) / width) }
    : { width: even((long * width) / height), height: long };
}

/** Full scale of the stored pattern image: P = (value − 128) / PATTERN_SCALE · amplitude. */
export const PATTERN_SCALE = 100;

/**
 * The pattern as a small yuv420p frame (luma 128 + 100·P/amplitude, chroma neutral), which ffmpeg
 * scales up bicubically to the rendition size. `blobsAcross` control points span the long side;
 * the field is a cubic B-spline through Gaussian control values, scaled to a peak of ±1.
 */
export function patternImage(
  seed: Buffer | string,
  width: number,
  height: number,
  blobsAcross = 12,
): { width: number; height: number; yuv: Buffer } {
  const size = patternImageSize(width, height);
  const cellsX = width >= height ? blobsAcross : Math.max(2, Math.round((blobsAcross * width) / height));
  const cellsY = width >= height ? Math.max(2, Math.round((blobsAcross * height) / width)) : blobsAcross;
  const lattice = gaussians(seed, 'ppv-watermark-pattern', (cellsX + 3) * (cellsY + 3));
  const field = new Float64Array(size.width * size.height);
  let peak = 0;
  for (let y = 0; y < size.height; y++) {
    const gy = ((y + 0.5) / size.height) * cellsY;
    const iy = Math.floor(gy);
    const wy = bspline(gy - iy);
    for (let x = 0; x < size.width; x++) {
      const gx = ((x + 0.5) / size.width) * cellsX;
      const ix = Math.floor(gx);
      const wx = bspline(gx - ix);
      let v = 0;
      for (let j = 0; j < 4; j++) {
        const row = (iy + j) * (cellsX + 3);
        for (let i = 0; i < 4; i++) v += wy[j]! * wx[i]! * lattice[row + ix + i]!;
      }
      field[y * size.width + x] = v;
      peak = Math.max(peak, Math.abs(v));
    }
  }
  const lumaSize = size.width * size.height;
  const yuv = Buffer.alloc(lumaSize + lumaSize / 2, 128);
  for (let i = 0; i < lumaSize; i++) yuv[i] = 128 + Math.round((field[i]! / peak) * PATTERN_SCALE);
  return { ...size, yuv };
}

/** Seconds per frame. */
export const frameSeconds = (fps: Rational): number => fps.den / fps.num;

/** Time of frame `n` in the normalized (constant frame rate, starting at 0) timeline. */
export const frameTime = (n: number, fps: Rational): number => (n * fps.den) / fps.num;

/** The segment that frame time `t` falls in: segments start at the first frame at or after k·S. */
export const segmentOfTime = (t: number, segmentSeconds: number): number =>
  Math.floor(t / segmentSeconds + 1e-9);

/** First frame of segment `k`. */
export const segmentStartFrame = (k: number, timing: MarkTiming): number =>
  Math.ceil((k * timing.segmentSeconds * timing.fps.num) / timing.fps.den - 1e-9);

/** Envelope e(t) in [0, 1]: 0 on a segment's first and last frame, 1 in its middle. */
export function envelope(t: number, timing: MarkTiming): number {
  const s = timing.segmentSeconds;
  const u = t - s * segmentOfTime(t, s);
  const d = Math.min(u, s - frameSeconds(timing.fps) - u);
  const x = Math.min(1, Math.max(0, d / timing.rampSeconds));
  return 0.5 - 0.5 * Math.cos(Math.PI * x);
}

/**
 * The same envelope as an ffmpeg expression of `T` (the frame's time), times `gain`: used in the
 * `geq` filter that scales the pattern image frame by frame.
 */
export function envelopeExpression(timing: MarkTiming, gain: number): string {
  const s = timing.segmentSeconds;
  const u = `(T-${s}*floor(T/${s}+1e-9))`;
  const d = `min(${u},${s}-${frameSeconds(timing.fps)}-${u})`;
  return `${gain}*(0.5-0.5*cos(PI*clip(${d}/${timing.rampSeconds},0,1)))`;
}
