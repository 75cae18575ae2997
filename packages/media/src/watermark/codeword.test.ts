import { describe, expect, it } from 'vitest';
import { codewordFor, hammingDistance, minimumDistance, segmentVariant } from './codeword';

describe('codewordFor / segmentVariant', () => {
  it('derives the same sequence from the same session seed, as bits or one segment at a time', () => {
    const word = codewordFor('session-seed-1', 600);
    expect(codewordFor(Buffer.from('session-seed-1'), 600)).toEqual(word);
    // 600 segments cross two 256-bit PRF blocks.
    const variants = Array.from({ length: 600 }, (_, k) => segmentVariant('session-seed-1', k));
    expect(variants).toEqual([...word].map((bit) => (bit ? 'B' : 'A')));
    expect(codewordFor('session-seed-1', 40)).toEqual(word.subarray(0, 40));
  });

  it('gives different sessions unrelated sequences with as many A as B', () => {
    const a = codewordFor('session-seed-1', 4096);
    const b = codewordFor('session-seed-2', 4096);
    const ones = a.reduce((sum, bit) => sum + bit, 0);
    // Binomial(4096, 1/2): mean 2048, standard deviation 32.
    expect(Math.abs(ones - 2048)).toBeLessThan(160);
    expect(Math.abs(hammingDistance(a, b) - 2048)).toBeLessThan(160);
  });

  it('keeps 1,000 sessions at least 5 bits apart over a 36-segment window, 15 over 64 segments', () => {
    // The code's error-correcting power for a concrete set of sessions: with hard decisions a leak
    // of that window is still nearest to its own session with ⌊(d−1)/2⌋ wrong bits.
    const seeds = Array.from({ length: 1000 }, (_, i) => `session-seed-${i}`);
    expect(minimumDistance(seeds, 2, 38)).toBeGreaterThanOrEqual(5);
    expect(minimumDistance(seeds, 0, 64)).toBeGreaterThanOrEqual(15);
  });

  it('error: refuses a negative or fractional segment index', () => {
    expect(() => segmentVariant('s', -1)).toThrow(RangeError);
    expect(() => segmentVariant('s', 1.5)).toThrow(RangeError);
  });
});
