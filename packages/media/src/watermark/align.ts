/**
 * Places a leak on the video's timeline: the offset (in reference frames) at which the leak's
 * per-frame features correlate best with the reference's. For each of the 16 feature dimensions
 * the Pearson correlation over the overlapping frames is computed for every offset at once (cross
 * correlation by FFT, window sums by prefix sums), and the offset with the highest mean wins. The
 * leak may be trimmed at either end, and may even run past the reference's ends (extra frames of a
 * screen recording), as long as half of it overlaps.
 */
import { FEATURES } from './reference';

/** In-place iterative radix-2 FFT (`inverse` without the 1/n scaling). */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

/** c[o] = Σ_t a[t]·b[t + o] for o in (−a.length, b.length), indexed by o + a.length. */
function crossCorrelation(a: Float64Array, b: Float64Array): Float64Array {
  let size = 1;
  while (size < a.length + b.length) size <<= 1;
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  ar.set(a);
  br.set(b);
  fft(ar, ai, false);
  fft(br, bi, false);
  for (let i = 0; i < size; i++) {
    // conj(A)·B
    const r = ar[i]! * br[i]! + ai[i]! * bi[i]!;
    const m = ar[i]! * bi[i]! - ai[i]! * br[i]!;
    ar[i] = r;
    ai[i] = m;
  }
  fft(ar, ai, true);
  const out = new Float64Array(a.length + b.length - 1);
  for (let o = -(a.length - 1); o < b.length; o++) out[o + a.length - 1] = ar[(o + size) % size]! / size;
  return out;
}

const prefix = (values: Float64Array, square: boolean): Float64Array => {
  const out = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) out[i + 1] = out[i]! + (square ? values[i]! ** 2 : values[i]!);
  return out;
};

export interface TimelineAlignment {
  /** Reference frame shown by the leak's first frame (negative: the leak starts before the video). */
  offset: number;
  /** Mean Pearson correlation of the features at that offset (1 = identical). */
  correlation: number;
  /** Leak frames that overlap the reference at that offset. */
  overlap: number;
}

/** Best offset of `leak` (frames × FEATURES) against `reference` (frames × FEATURES). */
export function alignTimeline(reference: Float32Array, leak: Float32Array): TimelineAlignment {
  const nr = reference.length / FEATURES;
  const nl = leak.length / FEATURES;
  const minOverlap = Math.max(2, Math.ceil(Math.min(nl, nr) / 2));
  const total = new Float64Array(nl + nr - 1);
  const series = (data: Float32Array, n: number, d: number) => {
    let mean = 0;
    for (let t = 0; t < n; t++) mean += data[t * FEATURES + d]!;
    mean /= n;
    return Float64Array.from({ length: n }, (_, t) => data[t * FEATURES + d]! - mean);
  };
  for (let d = 0; d < FEATURES; d++) {
    const l = series(leak, nl, d);
    const r = series(reference, nr, d);
    const c = crossCorrelation(l, r);
    const [sl, sll, sr, srr] = [prefix(l, false), prefix(l, true), prefix(r, false), prefix(r, true)];
    for (let o = -(nl - minOverlap); o <= nr - minOverlap; o++) {
      const t0 = Math.max(0, -o);
      const t1 = Math.min(nl, nr - o);
      const n = t1 - t0;
      const lSum = sl[t1]! - sl[t0]!;
      const rSum = sr[t1 + o]! - sr[t0 + o]!;
      const cov = c[o + nl - 1]! - (lSum * rSum) / n;
      const varL = sll[t1]! - sll[t0]! - (lSum * lSum) / n;
      const varR = srr[t1 + o]! - srr[t0 + o]! - (rSum * rSum) / n;
      // A flat feature (no change over the window) carries no timing information: it adds 0.
      const eps = 1e-3 * n;
      total[o + nl - 1]! += cov / Math.sqrt((varL + eps) * (varR + eps));
    }
  }
  let best = -(nl - minOverlap);
  for (let o = best; o <= nr - minOverlap; o++) if (total[o + nl - 1]! > total[best + nl - 1]!) best = o;
  return {
    offset: best,
    correlation: total[best + nl - 1]! / FEATURES,
    overlap: Math.min(nl, nr - best) - Math.max(0, -best),
  };
}
