/**
 * Makes the A and B variants of one rendition in a single ffmpeg process: the source is decoded
 * and scaled once, the pattern is added (A) and subtracted (B), both are encoded with the same
 * arguments and forced key frames at every segment boundary, and both go to the HLS muxer, so
 * segment k of A and of B cover exactly the same frames. The same process streams both variants,
 * shrunk to the reference grid in 16-bit precision, to standard output, where the reference is
 * accumulated as the frames go by.
 *
 *   <outDir>/A/seg_00000.ts …   <outDir>/A/index.m3u8
 *   <outDir>/B/seg_00000.ts …   <outDir>/B/index.m3u8
 *   <outDir>/reference.ppvwm    (see reference.ts)
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../errors';
import { frameFeatures } from './features';
import { readFrames } from './frames';
import {
  envelope,
  envelopeExpression,
  frameTime,
  type MarkTiming,
  PATTERN_SCALE,
  patternImage,
  patternImageSize,
  type Rational,
  segmentOfTime,
} from './pattern';
import { FEATURES, type WatermarkReference, writeReference } from './reference';

export interface AbVariantsOptions {
  input: string;
  outDir: string;
  /** Rendition size (even numbers). */
  width: number;
  height: number;
  /** Output frame rate; the variants are constant frame rate, starting at 0. */
  fps: Rational;
  segmentSeconds: number;
  /** The video's secret pattern seed; keep it with the video's keys. */
  patternSeed: Buffer | string;
  /** Peak pattern amplitude in luma levels (default 2: A vs B alone measures ≈ 47 dB PSNR). */
  amplitude?: number;
  /** Envelope ramp in seconds (default min(S / 4, 0.5)). */
  rampSeconds?: number;
  /** Video encoder arguments, the same as the plain rendition's (default libx264 veryfast crf 23). */
  videoArgs?: string[];
  /** Audio encoder arguments to mux the source's audio into both variants; none by default. */
  audioArgs?: string[];
  /**
   * The rendition's AES-128 key info file (`-hls_key_info_file`: key URI, key path, IV): both
   * variants are encrypted with the same key and IV, so a session playlist can mix them.
   */
  hlsKeyInfoFile?: string;
  ffmpeg?: string;
  signal?: AbortSignal;
}

export interface AbVariants {
  dirA: string;
  dirB: string;
  referenceFile: string;
  reference: WatermarkReference;
  /** Segment durations in seconds from the HLS playlist (identical for A and B). */
  segmentDurations: number[];
}

export const DEFAULT_VIDEO_ARGS = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-sc_threshold',
  '0',
];
export const DEFAULT_AMPLITUDE = 2;

/** Parses the #EXTINF durations of a media playlist. */
export function playlistDurations(m3u8: string): number[] {
  return [...m3u8.matchAll(/^#EXTINF:([0-9.]+)/gm)].map((m) => Number(m[1]));
}

function validate(o: AbVariantsOptions): void {
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

export async function makeAbVariants(options: AbVariantsOptions): Promise<AbVariants> {
  validate(options);
  const { input, outDir, width, height, fps, segmentSeconds } = options;
  const amplitude = options.amplitude ?? DEFAULT_AMPLITUDE;
  const timing: MarkTiming = {
    fps,
    segmentSeconds,
    rampSeconds: options.rampSeconds ?? Math.min(segmentSeconds / 4, 0.5),
  };
  const dirA = join(outDir, 'A');
  const dirB = join(outDir, 'B');
  await rm(dirA, { recursive: true, force: true });
  await rm(dirB, { recursive: true, force: true });
  await mkdir(dirA, { recursive: true });
  await mkdir(dirB, { recursive: true });

  const pattern = patternImage(options.patternSeed, width, height);
  const patternFile = join(outDir, 'pattern.yuv');
  await writeFile(patternFile, pattern.yuv);
  const grid = patternImageSize(width, height);
  const rate = `${fps.num}/${fps.den}`;
  const gain = envelopeExpression(timing, amplitude / PATTERN_SCALE);
  const filter = [
    `[0:v]setpts=PTS-STARTPTS,fps=${rate},scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p,split[va][vb]`,
    `[1:v]geq=lum='128+(lum(X,Y)-128)*${gain}+0.5':cb=128:cr=128,scale=${width}:${height}:flags=bicubic,split[pa][pb]`,
    '[va][pa]blend=all_mode=grainmerge:shortest=1,split[a][afp]',
    '[vb][pb]blend=all_mode=grainextract:shortest=1,split[b][bfp]',
    `[afp]extractplanes=y,format=gray16le,scale=${grid.width}:${grid.height}:flags=area[ga]`,
    `[bfp]extractplanes=y,format=gray16le,scale=${grid.width}:${grid.height}:flags=area[gb]`,
    '[ga][gb]hstack[fp]',
  ].join(';');
  const videoArgs = options.videoArgs ?? DEFAULT_VIDEO_ARGS;
  const audio = options.audioArgs ? ['-map', '0:a?', ...options.audioArgs] : ['-an'];
  const variantOutput = (label: string, dir: string) => [
    '-map',
    `[${label}]`,
    ...audio,
    ...videoArgs,
    '-force_key_frames',
    `expr:gte(t,n_forced*${segmentSeconds})`,
    '-f',
    'hls',
    '-hls_time',
    String(segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_filename',
    join(dir, 'seg_%05d.ts'),
    ...(options.hlsKeyInfoFile ? ['-hls_key_info_file', options.hlsKeyInfoFile] : []),
    join(dir, 'index.m3u8'),
  ];
  const args = [
    '-i',
    input,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-video_size',
    `${pattern.width}x${pattern.height}`,
    '-framerate',
    rate,
    '-stream_loop',
    '-1',
    '-i',
    patternFile,
    '-filter_complex',
    filter,
    ...variantOutput('a', dirA),
    ...variantOutput('b', dirB),
    '-map',
    '[fp]',
    '-f',
    'rawvideo',
    'pipe:1',
  ];

  const cells = grid.width * grid.height;
  const sums: { mean: Float64Array; diff: Float64Array; weight: number }[] = [];
  let features = new Float32Array(1024 * FEATURES);
  const content = new Float32Array(cells);
  const onFrame = (frame: Buffer, n: number) => {
    const t = frameTime(n, fps);
    const k = segmentOfTime(t, segmentSeconds);
    // A tiny floor keeps a segment with only boundary frames (weight 0) defined: its plain mean.
    const w = envelope(t, timing) + 1e-6;
    while (sums.length <= k)
      sums.push({ mean: new Float64Array(cells), diff: new Float64Array(cells), weight: 0 });
    const s = sums[k]!;
    s.weight += w;
    for (let y = 0; y < grid.height; y++) {
      for (let x = 0; x < grid.width; x++) {
        const a = frame.readUInt16LE((y * 2 * grid.width + x) * 2) / 257;
        const b = frame.readUInt16LE((y * 2 * grid.width + grid.width + x) * 2) / 257;
        const c = y * grid.width + x;
        content[c] = (a + b) / 2;
        s.mean[c]! += w * content[c]!;
        s.diff[c]! += w * (a - b);
      }
    }
    if ((n + 1) * FEATURES > features.length) {
      const grown = new Float32Array(features.length * 2);
      grown.set(features);
      features = grown;
    }
    frameFeatures(content, grid.width, grid.height, features, n * FEATURES);
  };
  let frameCount: number;
  try {
    frameCount = await readFrames({
      ffmpeg: options.ffmpeg ?? 'ffmpeg',
      args,
      frameBytes: 2 * cells * 2,
      onFrame,
      signal: options.signal,
    });
  } finally {
    await rm(patternFile, { force: true });
  }

  const segmentDurations = playlistDurations(await readFile(join(dirA, 'index.m3u8'), 'utf8'));
  const durationsB = playlistDurations(await readFile(join(dirB, 'index.m3u8'), 'utf8'));
  if (frameCount === 0) throw new MediaError('NO_VIDEO', 'A/B variants: the source gave no video frames');
  if (
    segmentDurations.length !== sums.length ||
    durationsB.length !== sums.length ||
    segmentDurations.some((d, i) => Math.abs(d - durationsB[i]!) > 1e-3)
  ) {
    throw new MediaError(
      'FFMPEG_FAILED',
      `A/B variants: segment timelines differ (A ${segmentDurations.length}, B ${durationsB.length}, expected ${sums.length} segments)`,
    );
  }
  const reference: WatermarkReference = {
    width,
    height,
    timing,
    amplitude,
    grid,
    frameCount,
    segmentCount: sums.length,
    features: features.slice(0, frameCount * FEATURES),
    mean: sums.map((s) => Float32Array.from(s.mean, (v) => v / s.weight)),
    diff: sums.map((s) => Float32Array.from(s.diff, (v) => v / s.weight)),
  };
  const referenceFile = join(outDir, 'reference.ppvwm');
  await writeReference(referenceFile, reference);
  return { dirA, dirB, referenceFile, reference, segmentDurations };
}
