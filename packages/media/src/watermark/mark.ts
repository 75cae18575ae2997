/**
 * The A/B mark of one rendition as a piece of an ffmpeg filter graph, and the tracer's reference
 * accumulated from what that graph streams out. Shared by `makeAbVariants` (one rendition, on its
 * own) and `transcodeToHls` (every rung of the ladder in the ladder's own ffmpeg process), so the
 * variants the tracer is tested on are made exactly as the published ones are.
 *
 * For a rendition of `width × height` the graph takes its frames (yuv420p, constant frame rate from
 * 0) and the pattern image already multiplied by the envelope (`patternGainFilter`), scales the
 * pattern up, adds it (A, `grainmerge`) and subtracts it (B, `grainextract`), and also shrinks both
 * marked pictures to the reference grid in 16-bit precision, side by side: `[A grid | B grid]`.
 */
import { createHmac } from 'node:crypto';
import { MediaError } from '../errors';
import { frameFeatures } from './features';
import {
  envelope,
  envelopeExpression,
  frameTime,
  type MarkTiming,
  PATTERN_SCALE,
  patternImageSize,
  type Rational,
  segmentOfTime,
} from './pattern';
import { FEATURES, type WatermarkReference } from './reference';

/** A video's pattern seed: derived from its secret, so it is kept with its keys and the same on every retry. */
export const patternSeedOf = (secret: Uint8Array): Buffer =>
  createHmac('sha256', secret).update('ppv-watermark-pattern-seed').digest();

/** Peak pattern amplitude in luma levels (A vs B alone measures ≈ 47 dB PSNR). */
export const DEFAULT_AMPLITUDE = 2;

/** The envelope ramp for `segmentSeconds`: a quarter segment, at most half a second. */
export const defaultRampSeconds = (segmentSeconds: number) => Math.min(segmentSeconds / 4, 0.5);

export interface MarkParameters {
  /** Rendition size (even numbers). */
  width: number;
  height: number;
  fps: Rational;
  segmentSeconds: number;
  amplitude?: number;
  rampSeconds?: number;
}

/** Checks a rendition's mark parameters; throws `MediaError('BAD_OPTIONS')` saying what is wrong. */
export function validateMark(o: MarkParameters): void {
  const bad = (why: string) => {
    throw new MediaError('BAD_OPTIONS', `A/B variants: ${why}`);
  };
  if (!(o.width > 0 && o.height > 0 && o.width % 2 === 0 && o.height % 2 === 0))
    bad(`width and height must be positive even numbers, not ${o.width}×${o.height}`);
  if (!(Number.isInteger(o.fps.num) && Number.isInteger(o.fps.den) && o.fps.num > 0 && o.fps.den > 0))
    bad(`fps must be a positive fraction, not ${o.fps.num}/${o.fps.den}`);
  if (!(o.segmentSeconds >= 2 * (o.fps.den / o.fps.num)))
    bad(`segmentSeconds must span at least two frames, not ${o.segmentSeconds}`);
  if (o.amplitude !== undefined && !(o.amplitude > 0 && o.amplitude <= 8))
    bad(`amplitude must be in (0, 8] luma levels, not ${o.amplitude}`);
  if (o.rampSeconds !== undefined && !(o.rampSeconds > 0 && o.rampSeconds <= o.segmentSeconds / 2))
    bad(`rampSeconds must be in (0, segmentSeconds / 2], not ${o.rampSeconds}`);
}

export const markTiming = (o: MarkParameters): MarkTiming => ({
  fps: o.fps,
  segmentSeconds: o.segmentSeconds,
  rampSeconds: o.rampSeconds ?? defaultRampSeconds(o.segmentSeconds),
});

/**
 * The filter applied to the looped pattern image (its `patternImage` yuv420p frame, read at the
 * rendition's frame rate): luma scaled frame by frame by the envelope times the amplitude.
 */
export function patternGainFilter(timing: MarkTiming, amplitude = DEFAULT_AMPLITUDE): string {
  const gain = envelopeExpression(timing, amplitude / PATTERN_SCALE);
  return `geq=lum='128+(lum(X,Y)-128)*${gain}+0.5':cb=128:cr=128`;
}

export interface MarkLabels {
  /** The rendition's frames, yuv420p at `width × height`. */
  frames: string;
  /** The gained pattern image (after `patternGainFilter`). */
  pattern: string;
  /** Outputs: the marked frames of variant A and B, and `[A grid | B grid]` in gray16le. */
  a: string;
  b: string;
  reference: string;
  /** Prefix of the graph's internal labels, unique per rendition in one graph. */
  prefix: string;
}

/** The filter-graph chains marking one rendition (see the file's comment). */
export function markFilters(width: number, height: number, l: MarkLabels): string[] {
  const grid = patternImageSize(width, height);
  const x = l.prefix;
  const shrink = `extractplanes=y,scale=${grid.width}:${grid.height}:flags=area,format=gray16le`;
  return [
    `${l.frames}split[${x}va][${x}vb]`,
    `${l.pattern}scale=${width}:${height}:flags=bicubic,split[${x}pa][${x}pb]`,
    `[${x}va][${x}pa]blend=all_mode=grainmerge:shortest=1,split${l.a}[${x}fa]`,
    `[${x}vb][${x}pb]blend=all_mode=grainextract:shortest=1,split${l.b}[${x}fb]`,
    `[${x}fa]${shrink}[${x}ga]`,
    `[${x}fb]${shrink}[${x}gb]`,
    `[${x}ga][${x}gb]hstack${l.reference}`,
  ];
}

/**
 * Builds a rendition's `WatermarkReference` from its `[A grid | B grid]` frames as they stream out
 * of ffmpeg: per frame the timeline features of the content (A + B) / 2, per segment the
 * envelope-weighted means of the content and of the mark A − B. Constant memory per segment.
 */
export class ReferenceBuilder {
  readonly grid: { width: number; height: number };
  readonly timing: MarkTiming;
  private readonly sums: { mean: Float64Array; diff: Float64Array; weight: number }[] = [];
  private features = new Float32Array(1024 * FEATURES);
  private readonly content: Float32Array;
  private frames = 0;

  constructor(
    private readonly params: MarkParameters,
    readonly amplitude = params.amplitude ?? DEFAULT_AMPLITUDE,
  ) {
    this.grid = patternImageSize(params.width, params.height);
    this.timing = markTiming(params);
    this.content = new Float32Array(this.grid.width * this.grid.height);
  }

  /** Bytes of one `[A grid | B grid]` frame, with rows of exactly that width. */
  get frameBytes(): number {
    return 2 * this.grid.width * this.grid.height * 2;
  }

  /**
   * Adds frame `n`: its rows start at byte `offset` of `frame`, `stride` bytes apart (at least
   * `4 × grid.width`: A's cells, then B's, 16-bit little-endian).
   */
  add(frame: Buffer, n: number, offset = 0, stride = 4 * this.grid.width): void {
    const { grid, timing } = this;
    const t = frameTime(n, timing.fps);
    const k = segmentOfTime(t, timing.segmentSeconds);
    // A tiny floor keeps a segment with only boundary frames (weight 0) defined: its plain mean.
    const w = envelope(t, timing) + 1e-6;
    const cells = grid.width * grid.height;
    while (this.sums.length <= k)
      this.sums.push({ mean: new Float64Array(cells), diff: new Float64Array(cells), weight: 0 });
    const s = this.sums[k]!;
    s.weight += w;
    for (let y = 0; y < grid.height; y++) {
      const row = offset + y * stride;
      for (let x = 0; x < grid.width; x++) {
        const a = frame.readUInt16LE(row + x * 2) / 257;
        const b = frame.readUInt16LE(row + (grid.width + x) * 2) / 257;
        const c = y * grid.width + x;
        this.content[c] = (a + b) / 2;
        s.mean[c]! += w * this.content[c]!;
        s.diff[c]! += w * (a - b);
      }
    }
    if ((n + 1) * FEATURES > this.features.length) {
      const grown = new Float32Array(Math.max(this.features.length * 2, (n + 1) * FEATURES));
      grown.set(this.features);
      this.features = grown;
    }
    frameFeatures(this.content, grid.width, grid.height, this.features, n * FEATURES);
    this.frames = Math.max(this.frames, n + 1);
  }

  get frameCount(): number {
    return this.frames;
  }

  get segmentCount(): number {
    return this.sums.length;
  }

  /** The reference; throws `MediaError('NO_VIDEO')` when no frame was added. */
  finish(): WatermarkReference {
    if (this.frames === 0) throw new MediaError('NO_VIDEO', 'A/B variants: the source gave no video frames');
    return {
      width: this.params.width,
      height: this.params.height,
      timing: this.timing,
      amplitude: this.amplitude,
      grid: this.grid,
      frameCount: this.frames,
      segmentCount: this.sums.length,
      features: this.features.slice(0, this.frames * FEATURES),
      mean: this.sums.map((s) => Float32Array.from(s.mean, (v) => v / s.weight)),
      diff: this.sums.map((s) => Float32Array.from(s.diff, (v) => v / s.weight)),
    };
  }
}
