/**
 * Names the playback session a leaked recording came from.
 *
 * 1. Timeline: the leak is decoded once at the reference frame rate, shrunk to the reference grid,
 *    and its per-frame features are correlated with the reference's at every offset (align.ts).
 * 2. Segment means: a second decode, at 3× the grid, accumulates the envelope-weighted mean picture
 *    of every segment the leak covers wholly (segments cut by the trim are dropped).
 * 3. Geometry: the rectangle of the reference the leak shows (crop, padding, scaling) is found by
 *    matching those means with the reference content means (register.ts).
 * 4. Soft bits: per segment, the leak is regressed on [content M, 1, mark D] over the grid; the
 *    mark's coefficient is positive for A and negative for B, and its t-statistic is the soft bit.
 * 5. Decision: every candidate's codeword is scored against the soft bits; the best is named only
 *    if the probability that any innocent candidate scores as high is at most
 *    `maxFalseMatchProbability` (statistics.ts) and it leads the runner-up by `minMargin` standard
 *    deviations. Otherwise the answer is no_match, with the reason.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../errors';
import { alignTimeline } from './align';
import { codewordFor } from './codeword';
import { frameFeatures } from './features';
import { readFrames } from './frames';
import { envelope, frameTime, segmentOfTime } from './pattern';
import { FEATURES, readReference, type WatermarkReference } from './reference';
import { type Integral, integralImage, type Rect, register, warpToGrid } from './register';
import { nullTail, quantizeSoftBits, scoreBits } from './statistics';

export interface TraceCandidate {
  sessionId: string;
  /** The session's watermark seed, as given to `codewordFor` when its playlists were made. */
  seed: Buffer | string;
}

export interface TraceOptions {
  leakedFile: string;
  /** The video's `reference.ppvwm`, the folder holding it, or the reference already read. */
  reference: string | WatermarkReference;
  /** Every playback session of the video (the more there are, the more evidence a match needs). */
  candidates: TraceCandidate[];
  /** Highest accepted probability that an innocent session scores as high as the named one (1e-6). */
  maxFalseMatchProbability?: number;
  /** Lead over the runner-up, in standard deviations of the null score, needed to name one (1.5). */
  minMargin?: number;
  ffmpeg?: string;
  signal?: AbortSignal;
}

export interface RankedCandidate {
  sessionId: string;
  /** Score over its null standard deviation. */
  z: number;
  /** Probability that one innocent session scores at least this much. */
  pValue: number;
}

/** What the tracer saw, for the report a human reads before acting on a match. */
export interface TraceEvidence {
  /** Where the leak starts on the video's timeline, in seconds (negative: before the video). */
  startSeconds: number;
  /** Mean correlation of per-frame features at that position (same video: above 0.9). */
  timelineCorrelation: number;
  /** Rectangle of the reference picture the leak shows, as fractions of width and height. */
  picture: Rect;
  /** Correlation of the leak's segment pictures with the reference's (same video: above 0.9). */
  pictureCorrelation: number;
  /** Segment indices whose bits were read (those the leak covers wholly). */
  segments: number[];
  /** Per read segment, the soft bit: t-statistic of the mark, positive = A, negative = B. */
  softBits: number[];
}

export type NoMatchReason =
  /** The recording does not show this video (timeline or pictures do not correlate). */
  | 'NOT_THIS_VIDEO'
  /** Too few whole segments to tell the candidates apart, even with every bit right. */
  | 'TOO_SHORT'
  /** No candidate scores clearly above chance: no mark, or the leaker is not a candidate. */
  | 'NO_SIGNIFICANT_MATCH'
  /** The best candidate is not clearly ahead of the second (e.g. a mix of two sessions). */
  | 'AMBIGUOUS';

export interface TraceMatch {
  verdict: 'match';
  sessionId: string;
  /** 1 − falseMatchProbability. */
  confidence: number;
  /** Upper bound on the probability that an innocent candidate would score this high. */
  falseMatchProbability: number;
  bitsRecovered: number;
  /** Read bits that disagree with the named session's codeword. */
  bitErrors: number;
  /** z of the named session minus z of the runner-up. */
  margin: number;
  z: number;
  /** The five best candidates. */
  ranking: RankedCandidate[];
  evidence: TraceEvidence;
}

export interface TraceNoMatch {
  verdict: 'no_match';
  reason: NoMatchReason;
  message: string;
  /** z of the best candidate; null when no bits could be read. */
  bestScore: number | null;
  ranking: RankedCandidate[];
  evidence: TraceEvidence | null;
}

export type TraceResult = TraceMatch | TraceNoMatch;

/** Same video: features and pictures correlate above 0.95; other videos measured up to 0.6. */
const MIN_TIMELINE_CORRELATION = 0.75;
const MIN_PICTURE_CORRELATION = 0.8;
/** A segment is read only when the leak covers this much of its envelope weight. */
const MIN_COVERAGE = 0.95;
/**
 * Whole-segment corrections of the timeline tried in turn. Content alone can place a leak a segment
 * off when a crop looks like motion (a slow zoom); the mark's bits only agree with a codeword at the
 * right place. Each hypothesis is one more test: the false-match probability counts all of them.
 */
const SHIFTS = [0, -1, 1] as const;
/** Crops (centred, as fractions of each side) through which the mark's timing is first read. */
const FIRST_GUESSES: Rect[] = [0, 0.03, 0.06, 0.09, 0.12].map((c) => ({
  x0: c,
  x1: 1 - c,
  y0: c,
  y1: 1 - c,
}));
/** Segments used for the geometric search. */
const REGISTRATION_SEGMENTS = 8;
/** Analysis pictures are this many times the reference grid. */
const ANALYSIS_SCALE = 3;
/** No single segment may weigh more than this many times the median segment. */
const MAX_WEIGHT_OVER_MEDIAN = 3;

async function loadReference(reference: string | WatermarkReference): Promise<WatermarkReference> {
  if (typeof reference !== 'string') return reference;
  const info = await stat(reference);
  return readReference(info.isDirectory() ? join(reference, 'reference.ppvwm') : reference);
}

function leakFilter(ref: WatermarkReference, width: number, height: number): string {
  const { fps } = ref.timing;
  return `fps=${fps.num}/${fps.den},format=yuv420p,extractplanes=y,format=gray16le,scale=${width}:${height}:flags=area`;
}

/** The mark's average shape over the whole video, zero-mean and of unit norm. */
function markShape(ref: WatermarkReference): Float64Array {
  const shape = new Float64Array(ref.grid.width * ref.grid.height);
  for (const d of ref.diff) for (let c = 0; c < shape.length; c++) shape[c]! += d[c]!;
  const mean = shape.reduce((a, b) => a + b, 0) / shape.length;
  let norm = 0;
  for (let c = 0; c < shape.length; c++) {
    shape[c]! -= mean;
    norm += shape[c]! ** 2;
  }
  return shape.map((v) => v / Math.sqrt(norm || 1));
}

/**
 * One decode of the leak at the reference frame rate. Per frame: the timeline features of the
 * picture over the reference grid through `rects[0]`, and for every rect the projection of the
 * picture through it on the mark's shape (which follows the envelope).
 */
async function leakFrames(
  file: string,
  ref: WatermarkReference,
  rects: Rect[],
  ffmpeg: string,
  signal?: AbortSignal,
) {
  const { width, height } = ref.grid;
  const shape = markShape(ref);
  let features = new Float32Array(1024 * FEATURES);
  let marks = rects.map(() => new Float64Array(1024));
  const aw = width * ANALYSIS_SCALE;
  const ah = height * ANALYSIS_SCALE;
  const analysis = new Float32Array(aw * ah);
  const picture = new Float64Array(width * height);
  const count = await readFrames({
    ffmpeg,
    args: ['-i', file, '-an', '-vf', leakFilter(ref, aw, ah), '-f', 'rawvideo', 'pipe:1'],
    frameBytes: aw * ah * 2,
    signal,
    onFrame: (frame, n) => {
      for (let c = 0; c < analysis.length; c++) analysis[c] = frame.readUInt16LE(c * 2) / 257;
      const integral = integralImage(analysis, aw, ah);
      if (n >= features.length / FEATURES) {
        const grown = new Float32Array(features.length * 2);
        grown.set(features);
        features = grown;
        marks = marks.map((m) => {
          const more = new Float64Array(m.length * 2);
          more.set(m);
          return more;
        });
      }
      rects.forEach((rect, r) => {
        warpToGrid(integral, rect, width, height, picture);
        let projection = 0;
        for (let c = 0; c < picture.length; c++) {
          // Cells outside the leak (a crop) hold NaN: they count as the picture's mean, i.e. nothing.
          if (Number.isNaN(picture[c]!)) picture[c] = 0;
          else projection += picture[c]! * shape[c]!;
        }
        marks[r]![n] = projection;
        if (r === 0) frameFeatures(picture, width, height, features, n * FEATURES);
      });
    },
  });
  return { features: features.slice(0, count * FEATURES), marks: marks.map((m) => m.slice(0, count)) };
}

/**
 * Refines a timeline offset with the mark itself: within each segment the mark fades in and out
 * with the envelope (its sign set by the variant), so the offset whose segment windows capture the
 * most envelope-shaped energy of the per-frame mark projection is where the segment boundaries
 * really are. Searched within half a segment of the content-based offset, which it corrects when
 * content alone is ambiguous (a slow zoom looks like a slight crop).
 */
function refineOffset(
  ref: WatermarkReference,
  mark: Float64Array,
  offset: number,
): { offset: number; energy: number } {
  const { timing } = ref;
  const perSegment = (timing.segmentSeconds * timing.fps.num) / timing.fps.den;
  const half = Math.max(1, Math.floor(perSegment / 2));
  // Remove the content's slow drift: subtract a moving average one segment long.
  const prefixSum = new Float64Array(mark.length + 1);
  for (let i = 0; i < mark.length; i++) prefixSum[i + 1] = prefixSum[i]! + mark[i]!;
  const detrended = mark.map((v, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(mark.length, i + half + 1);
    return v - (prefixSum[b]! - prefixSum[a]!) / (b - a);
  });
  let best = offset;
  let bestEnergy = -1;
  for (let o = offset - half; o <= offset + half; o++) {
    const dot = new Map<number, { xy: number; yy: number }>();
    let variance = 0;
    for (let i = 0; i < detrended.length; i++) {
      const j = i + o;
      if (j < 0 || j >= ref.frameCount) continue;
      const t = frameTime(j, timing.fps);
      const k = segmentOfTime(t, timing.segmentSeconds);
      const e = envelope(t, timing) - 0.5;
      const acc = dot.get(k) ?? { xy: 0, yy: 0 };
      acc.xy += e * detrended[i]!;
      acc.yy += e * e;
      dot.set(k, acc);
      variance += detrended[i]! ** 2;
    }
    // The share of the projection's variation that envelope-shaped segments explain: comparable
    // between crops, whose content shows through the projection more or less.
    let energy = 0;
    for (const { xy, yy } of dot.values()) if (yy > 0) energy += (xy * xy) / yy / (variance || 1);
    if (energy > bestEnergy) {
      bestEnergy = energy;
      best = o;
    }
  }
  return { offset: best, energy: bestEnergy };
}

/** Envelope-weighted mean picture of every segment the leak covers wholly, from `offset` on. */
async function segmentPictures(
  file: string,
  ref: WatermarkReference,
  offset: number,
  ffmpeg: string,
  signal?: AbortSignal,
): Promise<Map<number, Integral>> {
  const width = ref.grid.width * ANALYSIS_SCALE;
  const height = ref.grid.height * ANALYSIS_SCALE;
  const { timing } = ref;
  const full = new Float64Array(ref.segmentCount);
  for (let j = 0; j < ref.frameCount; j++) {
    const t = frameTime(j, timing.fps);
    full[segmentOfTime(t, timing.segmentSeconds)]! += envelope(t, timing) + 1e-6;
  }
  const sums = new Map<number, { picture: Float64Array; weight: number }>();
  await readFrames({
    ffmpeg,
    args: ['-i', file, '-an', '-vf', leakFilter(ref, width, height), '-f', 'rawvideo', 'pipe:1'],
    frameBytes: width * height * 2,
    signal,
    onFrame: (frame, n) => {
      const j = n + offset;
      if (j < 0 || j >= ref.frameCount) return;
      const t = frameTime(j, timing.fps);
      const k = segmentOfTime(t, timing.segmentSeconds);
      const w = envelope(t, timing) + 1e-6;
      const s = sums.get(k) ?? { picture: new Float64Array(width * height), weight: 0 };
      sums.set(k, s);
      s.weight += w;
      for (let c = 0; c < width * height; c++) s.picture[c]! += (w * frame.readUInt16LE(c * 2)) / 257;
    },
  });
  const pictures = new Map<number, Integral>();
  for (const [k, s] of [...sums].sort((a, b) => a[0] - b[0])) {
    if (s.weight < MIN_COVERAGE * full[k]!) continue;
    pictures.set(
      k,
      integralImage(
        s.picture.map((v) => v / s.weight),
        width,
        height,
      ),
    );
  }
  return pictures;
}

/**
 * The mark's t-statistic in one segment: least squares of the leak L on [M, 1, D] over the cells
 * inside the leak; positive means variant A (L ≈ M + D/2), negative B.
 */
function softBit(leak: Float64Array, mean: Float32Array, diff: Float32Array): number {
  // Normal equations X'X β = X'L for X = [M, 1, D].
  const xtx = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const xty = [0, 0, 0];
  let n = 0;
  for (let c = 0; c < leak.length; c++) {
    const l = leak[c]!;
    if (Number.isNaN(l)) continue;
    const x = [mean[c]!, 1, diff[c]!];
    for (let i = 0; i < 3; i++) {
      xty[i]! += x[i]! * l;
      for (let j = 0; j < 3; j++) xtx[i * 3 + j]! += x[i]! * x[j]!;
    }
    n++;
  }
  const inv = invert3(xtx);
  if (!inv || n <= 3) return 0;
  const beta = [0, 1, 2].map(
    (i) => inv[i * 3]! * xty[0]! + inv[i * 3 + 1]! * xty[1]! + inv[i * 3 + 2]! * xty[2]!,
  );
  let rss = 0;
  for (let c = 0; c < leak.length; c++) {
    const l = leak[c]!;
    if (Number.isNaN(l)) continue;
    rss += (l - beta[0]! * mean[c]! - beta[1]! - beta[2]! * diff[c]!) ** 2;
  }
  const se = Math.sqrt(((rss / (n - 3)) * inv[8]!) as number);
  return se > 0 && beta[0]! > 0 ? beta[2]! / se : 0;
}

function invert3(m: number[]): number[] | null {
  const [a, b, c, d, e, f, g, h, i] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!(Math.abs(det) > 1e-12)) return null;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** A reading of the leak's bits under one hypothesis of where its segments are. */
interface Reading {
  /** Whole segments by which the leak's windows are relabeled (0: as the timeline says). */
  shift: number;
  evidence: TraceEvidence;
  /** Null when the pictures do not match the reference under this hypothesis. */
  soft: number[] | null;
}

/**
 * Registers the leak's segment pictures against the reference segments `k + shift` and reads a
 * soft bit from each.
 */
function readBits(
  ref: WatermarkReference,
  pictures: Map<number, Integral>,
  shift: number,
  base: Pick<TraceEvidence, 'startSeconds' | 'timelineCorrelation'>,
): Reading {
  const { grid } = ref;
  const segments = [...pictures.keys()].map((k) => k + shift).filter((k) => k >= 0 && k < ref.segmentCount);
  const picture = (k: number) => pictures.get(k - shift)!;
  const count = Math.min(REGISTRATION_SEGMENTS, segments.length);
  const step = segments.length / count;
  const sample = Array.from({ length: count }, (_, i) => segments[Math.floor(i * step + step / 2)]!);
  const geometry = register(
    sample.map(picture),
    sample.map((k) => ref.mean[k]!),
    grid.width,
    grid.height,
  );
  const evidence: TraceEvidence = {
    ...base,
    startSeconds: base.startSeconds + shift * ref.timing.segmentSeconds,
    picture: geometry.rect,
    pictureCorrelation: geometry.correlation,
    segments,
    softBits: [],
  };
  if (!(geometry.correlation >= MIN_PICTURE_CORRELATION)) return { shift, evidence, soft: null };
  const warped = new Float64Array(grid.width * grid.height);
  const raw = segments.map((k) => {
    warpToGrid(picture(k), geometry.rect, grid.width, grid.height, warped);
    return softBit(warped, ref.mean[k]!, ref.diff[k]!);
  });
  const cap = MAX_WEIGHT_OVER_MEDIAN * median(raw.map(Math.abs));
  evidence.softBits = raw.map((v) => Math.max(-cap, Math.min(cap, v)));
  return { shift, evidence, soft: evidence.softBits };
}

export async function traceLeak(options: TraceOptions): Promise<TraceResult> {
  const { leakedFile, candidates, signal } = options;
  const alpha = options.maxFalseMatchProbability ?? 1e-6;
  const minMargin = options.minMargin ?? 1.5;
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  if (candidates.length === 0) throw new MediaError('BAD_OPTIONS', 'trace: no candidate sessions given');
  if (new Set(candidates.map((c) => c.sessionId)).size !== candidates.length)
    throw new MediaError('BAD_OPTIONS', 'trace: candidate session ids must be unique');
  const ref = await loadReference(options.reference);
  const { timing } = ref;
  const n = candidates.length;
  const tests = n * SHIFTS.length;

  const frames = await leakFrames(leakedFile, ref, FIRST_GUESSES, ffmpeg, signal);
  if (frames.marks[0]!.length < 2)
    throw new MediaError('NO_VIDEO', 'trace: the leaked file has no video frames');
  const timeline = alignTimeline(ref.features, frames.features);
  if (!(timeline.correlation >= MIN_TIMELINE_CORRELATION)) {
    return noMatch(
      'NOT_THIS_VIDEO',
      `the recording does not follow this video's timeline (best correlation ${timeline.correlation.toFixed(2)})`,
    );
  }
  // The mark is read through each first guess of the crop; the clearest reading sets the timing.
  let offset = frames.marks
    .map((mark) => refineOffset(ref, mark, timeline.offset))
    .reduce((a, b) => (b.energy > a.energy ? b : a)).offset;
  let pictures = await segmentPictures(leakedFile, ref, offset, ffmpeg, signal);
  if (pictures.size === 0) {
    return noMatch('TOO_SHORT', 'the recording covers no whole segment of the video');
  }
  // A cropped leak weakens the mark's projection on the uncorrected grid: once the crop is known,
  // measure the mark's timing again through it, and re-read the segments if it moved.
  const first = readBits(ref, pictures, 0, { startSeconds: 0, timelineCorrelation: timeline.correlation });
  const rect = first.evidence.picture;
  if (
    first.soft &&
    Math.max(Math.abs(rect.x0), Math.abs(1 - rect.x1), Math.abs(rect.y0), Math.abs(1 - rect.y1)) > 0.01
  ) {
    const again = refineOffset(
      ref,
      (await leakFrames(leakedFile, ref, [rect], ffmpeg, signal)).marks[0]!,
      offset,
    ).offset;
    if (again !== offset) {
      offset = again;
      pictures = await segmentPictures(leakedFile, ref, offset, ffmpeg, signal);
    }
  }
  const base = {
    startSeconds: (offset * timing.fps.den) / timing.fps.num,
    timelineCorrelation: timeline.correlation,
  };

  let fallback: TraceNoMatch | null = null;
  const keep = (result: TraceNoMatch) => {
    if (!fallback || (result.bestScore ?? -Infinity) > (fallback.bestScore ?? -Infinity)) fallback = result;
  };
  for (const shift of SHIFTS) {
    const reading = readBits(ref, pictures, shift, base);
    const { evidence, soft } = reading;
    if (!soft) {
      keep(
        noMatch(
          'NOT_THIS_VIDEO',
          `the recording's pictures do not match this video (best correlation ${evidence.pictureCorrelation.toFixed(2)})`,
          evidence,
        ),
      );
      continue;
    }
    const bits = quantizeSoftBits(soft);
    const readable = bits.weights.filter((w) => w > 0).length;
    // Even with every bit right, an innocent codeword matches all `readable` bits with 2^-readable.
    if (tests * 2 ** -readable > alpha) {
      const needed = Math.ceil(Math.log2(tests / alpha));
      return noMatch(
        'TOO_SHORT',
        `the recording covers ${readable} readable segments; telling ${n} sessions apart at a false-match probability of ${alpha} needs at least ${needed}`,
        evidence,
      );
    }
    const tail = nullTail(bits);
    const sd = Math.sqrt(bits.sumSquares);
    const last = evidence.segments[evidence.segments.length - 1]!;
    const scored = candidates
      .map((candidate) => {
        const word = codewordFor(candidate.seed, last + 1);
        const bitsOf = evidence.segments.map((k) => word[k]!);
        return { candidate, score: scoreBits(bits, bitsOf), bitsOf };
      })
      .sort((a, b) => b.score - a.score);
    const ranking = scored.slice(0, 5).map((s) => ({
      sessionId: s.candidate.sessionId,
      z: s.score / sd,
      pValue: tail(s.score),
    }));
    const best = scored[0]!;
    const falseMatchProbability = Math.min(1, tests * tail(best.score));
    const z = best.score / sd;
    const margin = n > 1 ? z - scored[1]!.score / sd : z;
    if (falseMatchProbability > alpha) {
      keep(
        noMatch(
          'NO_SIGNIFICANT_MATCH',
          `no session scores clearly above chance (best z ${z.toFixed(2)}, false-match probability ${falseMatchProbability.toExponential(1)} > ${alpha})`,
          evidence,
          ranking,
        ),
      );
      continue;
    }
    if (margin < minMargin) {
      return noMatch(
        'AMBIGUOUS',
        `the best session leads the next by only ${margin.toFixed(2)} standard deviations (needs ${minMargin}): several sessions may be mixed`,
        evidence,
        ranking,
      );
    }
    return {
      verdict: 'match',
      sessionId: best.candidate.sessionId,
      confidence: 1 - falseMatchProbability,
      falseMatchProbability,
      bitsRecovered: evidence.segments.length,
      bitErrors: best.bitsOf.filter((bit, i) => bit !== bits.hard[i]).length,
      margin,
      z,
      ranking,
      evidence,
    };
  }
  return fallback!;
}

function noMatch(
  reason: NoMatchReason,
  message: string,
  evidence: TraceEvidence | null = null,
  ranking: RankedCandidate[] = [],
): TraceNoMatch {
  return { verdict: 'no_match', reason, message, bestScore: ranking[0]?.z ?? null, ranking, evidence };
}
