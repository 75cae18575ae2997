import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nullTail, quantizeSoftBits, scoreBits } from './statistics';

/** P(Σ q_k ε_k ≥ s) by enumerating every sign pattern. */
function bruteForceTail(weights: Int32Array, s: number): number {
  let hits = 0;
  const n = weights.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += (mask >> k) & 1 ? weights[k]! : -weights[k]!;
    if (sum >= s) hits++;
  }
  return hits / (1 << n);
}

describe('null distribution of candidate scores', () => {
  it('is exact: matches enumeration of every sign pattern for uneven weights', () => {
    const q = quantizeSoftBits([12, -3.5, 7, -0.2, 9, 1, -14, 5, 2.5, -6, 11, 4]);
    const tail = nullTail(q);
    for (const s of [-200, -40, -7, 0, 1, 13, 40, 77, 120, 200]) {
      expect(tail(s)).toBeCloseTo(bruteForceTail(q.weights, s), 12);
    }
  });

  it('scores the codeword that agrees with every soft bit at the top of the distribution', () => {
    const soft = [3, -2, 5, -1, 4];
    const q = quantizeSoftBits(soft);
    const agreeing = soft.map((v) => (v >= 0 ? 0 : 1));
    const top = scoreBits(q, agreeing);
    expect(top).toBe(q.weights.reduce((a, b) => a + b, 0));
    // Only the one sign pattern in 2^5 reaches the top.
    expect(nullTail(q)(top)).toBeCloseTo(1 / 32, 12);
  });

  it('never names a session from pure noise: 300 noise leaks × 1,000 random codewords, none below 1e-6', () => {
    let smallest = 1;
    for (let trial = 0; trial < 300; trial++) {
      const soft = Array.from(randomBytes(36), (b) => (b - 127.5) / 16);
      const q = quantizeSoftBits(soft);
      const tail = nullTail(q);
      let best = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < 1000; c++) {
        const bits = Array.from(randomBytes(36), (b) => b & 1);
        best = Math.max(best, scoreBits(q, bits));
      }
      smallest = Math.min(smallest, 1000 * tail(best));
    }
    expect(smallest).toBeGreaterThan(1e-6);
  });

  it('uses the Hoeffding bound exp(−z²/2), an upper bound of the exact tail, for very long leaks', () => {
    const soft = Array.from({ length: 8000 }, (_, k) => ((k * 7919) % 13) - 6);
    const q = quantizeSoftBits(soft);
    const tail = nullTail(q);
    const sd = Math.sqrt(q.sumSquares);
    // At z = 5 the bound is 3.7e-6 where the exact (≈ normal) tail is 2.9e-7: conservative.
    expect(tail(5 * sd)).toBeCloseTo(Math.exp(-12.5), 12);
    expect(tail(0)).toBe(1);
  });
});
