/**
 * How surprising a candidate's score is if that candidate did not leak.
 *
 * The tracer reads one soft bit per segment: a sign (A or B) and a weight (how clearly it read).
 * Weights are quantized to small integers q_k, and a candidate's score is
 *
 *   S = Σ_k q_k · (+1 where the candidate's codeword agrees with the sign, −1 where not).
 *
 * An innocent session's codeword is independent of the leak and uniformly random (HMAC output), so
 * under that null hypothesis S is a sum of ±q_k with fair independent signs. Its exact distribution
 * is a convolution computed by dynamic programming, which gives the exact tail p = P(S ≥ s) for
 * the leak at hand, however few or uneven the bits are. Over N candidates the probability that any
 * innocent one scores s or more is at most N·p (union bound): that is the false-match probability
 * the tracer reports and thresholds. For very long leaks, where the exact convolution would be too
 * large, the Hoeffding bound exp(−s² / 2Σq²) is used instead (always larger than the exact tail).
 */

/** Soft bits as integer weights and hard decisions (0 = A, 1 = B). */
export interface QuantizedBits {
  weights: Int32Array;
  hard: Uint8Array;
  /** Σ q², the null variance of S. */
  sumSquares: number;
}

const MAX_DP_CELLS = 6e7;

/**
 * Quantizes soft values (positive = A) to integer weights: the largest maps to `scale`, where
 * `scale` shrinks for long leaks so the exact null distribution stays cheap to compute.
 */
export function quantizeSoftBits(soft: number[]): QuantizedBits {
  const n = soft.length;
  const scale = Math.max(1, Math.min(64, Math.floor(MAX_DP_CELLS / 2 / Math.max(1, n * n))));
  const peak = Math.max(1e-12, ...soft.map(Math.abs));
  const weights = Int32Array.from(soft, (v) => Math.round((Math.abs(v) / peak) * scale));
  const hard = Uint8Array.from(soft, (v) => (v >= 0 ? 0 : 1));
  let sumSquares = 0;
  for (const q of weights) sumSquares += q * q;
  return { weights, hard, sumSquares };
}

/** A candidate's score against the soft bits (`bits[i]` is its bit for soft bit i). */
export function scoreBits(q: QuantizedBits, bits: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < q.weights.length; i++) s += bits[i] === q.hard[i] ? q.weights[i]! : -q.weights[i]!;
  return s;
}

/** P(S ≥ s) under the null hypothesis (random fair signs), exact or the Hoeffding bound. */
export function nullTail(q: QuantizedBits): (s: number) => number {
  let total = 0;
  for (const w of q.weights) total += w;
  if (total === 0) return (s) => (s <= 0 ? 1 : 0);
  if (q.weights.length * (2 * total + 1) > MAX_DP_CELLS) {
    return (s) => (s <= 0 ? 1 : Math.exp((-s * s) / (2 * q.sumSquares)));
  }
  // dist[v + total] = P(S = v) after the weights seen so far.
  let dist = new Float64Array(2 * total + 1);
  let next = new Float64Array(2 * total + 1);
  dist[total] = 1;
  let reach = 0;
  for (const w of q.weights) {
    if (w === 0) continue;
    next.fill(0, total - reach - w, total + reach + w + 1);
    for (let v = total - reach; v <= total + reach; v++) {
      const p = dist[v]! / 2;
      if (p === 0) continue;
      next[v - w]! += p;
      next[v + w]! += p;
    }
    [dist, next] = [next, dist];
    reach += w;
  }
  const tail = new Float64Array(2 * total + 2);
  for (let v = 2 * total; v >= 0; v--) tail[v] = tail[v + 1]! + dist[v]!;
  return (s) => {
    if (s <= -total) return 1;
    if (s > total) return 0;
    return Math.min(1, tail[Math.ceil(s) + total]!);
  };
}
