/**
 * The reference the tracer compares a leak with, made while the variants are encoded (no second
 * decode) and kept next to them as one small gzipped file (`ab/reference.ppvwm`):
 *
 * - per frame: 16 luma features (a 4×4 grid of block means over the central 80 % of the picture),
 *   to find where a trimmed leak sits on the video's timeline;
 * - per segment: on a grid of 64 cells along the long side, the envelope-weighted mean luma of the
 *   content, M = (A + B) / 2, and of the mark, D = A − B, to read which variant a leak carries.
 *
 * For a 60-minute video with 4-second segments that is about 10 MB before compression; the videos
 * themselves are never needed to trace a leak.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MediaError } from '../errors';
import type { MarkTiming } from './pattern';

export const FEATURES = 16;
const MAGIC = 'PPVWMREF';
const VERSION = 1;
const MEAN_SCALE = 64;
const DIFF_SCALE = 256;

export interface WatermarkReference {
  /** Rendition size the variants were encoded at. */
  width: number;
  height: number;
  timing: MarkTiming;
  /** Peak pattern amplitude in luma levels (±). */
  amplitude: number;
  grid: { width: number; height: number };
  frameCount: number;
  segmentCount: number;
  /** `frameCount × FEATURES` per-frame features (luma levels). */
  features: Float32Array;
  /** Per segment, `grid.width × grid.height` weighted mean of (A + B) / 2. */
  mean: Float32Array[];
  /** Per segment, `grid.width × grid.height` weighted mean of A − B. */
  diff: Float32Array[];
}

interface Header {
  version: number;
  width: number;
  height: number;
  timing: MarkTiming;
  amplitude: number;
  grid: { width: number; height: number };
  frameCount: number;
  segmentCount: number;
}

export function encodeReference(ref: WatermarkReference): Buffer {
  const header: Header = {
    version: VERSION,
    width: ref.width,
    height: ref.height,
    timing: ref.timing,
    amplitude: ref.amplitude,
    grid: ref.grid,
    frameCount: ref.frameCount,
    segmentCount: ref.segmentCount,
  };
  const json = Buffer.from(JSON.stringify(header));
  const cells = ref.grid.width * ref.grid.height;
  const features = new Uint8Array(ref.features.length);
  for (let i = 0; i < features.length; i++) features[i] = Math.round(ref.features[i]!);
  const planes = Buffer.alloc(ref.segmentCount * cells * 4);
  for (let k = 0; k < ref.segmentCount; k++) {
    const base = k * cells * 4;
    for (let c = 0; c < cells; c++) {
      planes.writeUInt16LE(Math.round(ref.mean[k]![c]! * MEAN_SCALE), base + c * 2);
      const d = Math.round(ref.diff[k]![c]! * DIFF_SCALE);
      planes.writeInt16LE(Math.max(-32768, Math.min(32767, d)), base + cells * 2 + c * 2);
    }
  }
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return gzipSync(Buffer.concat([Buffer.from(MAGIC), length, json, features, planes]));
}

export function decodeReference(data: Buffer): WatermarkReference {
  const invalid = (why: string) => new MediaError('BAD_OPTIONS', `not a watermark reference: ${why}`);
  let raw: Buffer;
  try {
    raw = gunzipSync(data);
  } catch {
    throw invalid('not gzip data');
  }
  if (raw.subarray(0, MAGIC.length).toString() !== MAGIC) throw invalid('wrong magic');
  const jsonLength = raw.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  const header = JSON.parse(raw.subarray(at, at + jsonLength).toString()) as Header;
  at += jsonLength;
  if (header.version !== VERSION) throw invalid(`version ${header.version}, expected ${VERSION}`);
  const cells = header.grid.width * header.grid.height;
  const expected = at + header.frameCount * FEATURES + header.segmentCount * cells * 4;
  if (raw.length !== expected) throw invalid(`${raw.length} bytes, expected ${expected}`);
  const features = Float32Array.from(raw.subarray(at, at + header.frameCount * FEATURES));
  at += header.frameCount * FEATURES;
  const mean: Float32Array[] = [];
  const diff: Float32Array[] = [];
  for (let k = 0; k < header.segmentCount; k++) {
    const m = new Float32Array(cells);
    const d = new Float32Array(cells);
    for (let c = 0; c < cells; c++) {
      m[c] = raw.readUInt16LE(at + c * 2) / MEAN_SCALE;
      d[c] = raw.readInt16LE(at + cells * 2 + c * 2) / DIFF_SCALE;
    }
    mean.push(m);
    diff.push(d);
    at += cells * 4;
  }
  const { version: _, ...rest } = header;
  return { ...rest, features, mean, diff };
}

export async function writeReference(file: string, ref: WatermarkReference): Promise<void> {
  await writeFile(file, encodeReference(ref));
}

export async function readReference(file: string): Promise<WatermarkReference> {
  return decodeReference(await readFile(file));
}
