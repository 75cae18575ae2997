/**
 * Per-session A/B sequences. A playback session's codeword is a pseudo-random bit string derived
 * from its secret seed (HMAC-SHA256 as a PRF): bit k = 0 serves segment k from variant A, 1 from
 * variant B.
 *
 * Error correction is the code itself: the tracer compares the recovered soft bits with the
 * codeword of every candidate session of the video and keeps the nearest. Codewords of distinct
 * sessions are independent uniform strings, so over any n segments two of them differ in n/2 ± √n/2
 * places, and a codeword with e errors is still named correctly as long as it stays nearer than
 * every other candidate; `minimumDistance` measures that spread for a concrete set of sessions and
 * the tracer turns it into a probability (see statistics.ts).
 */
import { prfBlock, prfBytes } from './pattern';

export type Variant = 'A' | 'B';

const LABEL = 'ppv-watermark-codeword';
const BITS_PER_BLOCK = 256;

/** Bits 0…`segmentCount`−1 of the session's codeword (0 = A, 1 = B). */
export function codewordFor(sessionSeed: Buffer | string, segmentCount: number): Uint8Array {
  const bytes = prfBytes(sessionSeed, LABEL, Math.ceil(segmentCount / 8));
  const bits = new Uint8Array(segmentCount);
  for (let k = 0; k < segmentCount; k++) bits[k] = (bytes[k >> 3]! >> (7 - (k & 7))) & 1;
  return bits;
}

/** The variant a session is served for segment `index`; the same as `codewordFor(…)[index]`. */
export function segmentVariant(sessionSeed: Buffer | string, index: number): Variant {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`segment index must be ≥ 0, not ${index}`);
  const bytes = prfBlock(sessionSeed, LABEL, Math.floor(index / BITS_PER_BLOCK));
  const k = index % BITS_PER_BLOCK;
  return (bytes[k >> 3]! >> (7 - (k & 7))) & 1 ? 'B' : 'A';
}

/** Number of positions where two codewords differ, over their common length. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) d++;
  return d;
}

/**
 * The smallest pairwise distance between the codewords of `seeds` over segments
 * `from`…`to`−1 (a leak's window): how many bit errors a leak of that window can absorb before
 * two of these sessions could be confused (⌊(d−1)/2⌋ with hard decisions).
 */
export function minimumDistance(seeds: (Buffer | string)[], from: number, to: number): number {
  const words = seeds.map((seed) => codewordFor(seed, to).subarray(from));
  let min = to - from;
  for (let i = 0; i < words.length; i++) {
    for (let j = i + 1; j < words.length; j++) min = Math.min(min, hammingDistance(words[i]!, words[j]!));
  }
  return min;
}
