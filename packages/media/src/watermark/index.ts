/**
 * Forensic A/B watermark: variants made once per rendition at transcode time, a per-session A/B
 * sequence, and the tracer that names the session behind a leaked recording.
 *
 *   markFilters(…)           transcode: the graph marking one rendition (A and B), ReferenceBuilder its reference
 *   makeAbVariants(…)        one rendition alone: <outDir>/A/seg_%05d.ts, <outDir>/B/seg_%05d.ts, reference.ppvwm
 *   segmentVariant(seed, k)  playback: which variant session `seed` gets for segment k
 *   traceLeak(…)             `ppv trace`: which candidate session a leak came from, or no_match
 */
export { codewordFor, hammingDistance, minimumDistance, segmentVariant, type Variant } from './codeword';
export {
  DEFAULT_AMPLITUDE,
  defaultRampSeconds,
  type MarkLabels,
  type MarkParameters,
  markFilters,
  markTiming,
  patternGainFilter,
  patternSeedOf,
  ReferenceBuilder,
  validateMark,
} from './mark';
export { type MarkTiming, patternImage, patternImageSize, type Rational } from './pattern';
export {
  decodeReference,
  encodeReference,
  readReference,
  type WatermarkReference,
  writeReference,
} from './reference';
export type { Rect } from './register';
export {
  type NoMatchReason,
  type RankedCandidate,
  type TraceCandidate,
  type TraceEvidence,
  type TraceMatch,
  type TraceNoMatch,
  type TraceOptions,
  type TraceResult,
  traceLeak,
} from './trace';
export {
  type AbVariants,
  type AbVariantsOptions,
  DEFAULT_VIDEO_ARGS,
  makeAbVariants,
} from './variants';
