/**
 * Makes the A and B variants of one rendition in a single ffmpeg process: the source is decoded
 * and scaled once, the pattern is added (A) and subtracted (B) by the graph of mark.ts, both are
 * encoded with the same arguments and forced key frames at every segment boundary, and both go to
 * the HLS muxer, so segment k of A and of B cover exactly the same frames. The same process streams
 * both variants, shrunk to the reference grid in 16-bit precision, to standard output, where the
 * reference is accumulated as the frames go by. (The transcode job marks every rung of its ladder
 * the same way inside the ladder's own ffmpeg run: `transcodeToHls` with `watermark`.)
 *
 *   <outDir>/A/seg_00000.ts …   <outDir>/A/index.m3u8
 *   <outDir>/B/seg_00000.ts …   <outDir>/B/index.m3u8
 *   <outDir>/reference.ppvwm    (see reference.ts)
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from '../errors';
import { readFrames } from './frames';
import { markFilters, patternGainFilter, ReferenceBuilder, validateMark } from './mark';
import { patternImage, type Rational } from './pattern';
import { type WatermarkReference, writeReference } from './reference';

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

/** Parses the #EXTINF durations of a media playlist. */
export function playlistDurations(m3u8: string): number[] {
  return [...m3u8.matchAll(/^#EXTINF:([0-9.]+)/gm)].map((m) => Number(m[1]));
}

export async function makeAbVariants(options: AbVariantsOptions): Promise<AbVariants> {
  validateMark(options);
  const { input, outDir, width, height, fps, segmentSeconds } = options;
  const builder = new ReferenceBuilder(options);
  const dirA = join(outDir, 'A');
  const dirB = join(outDir, 'B');
  await rm(dirA, { recursive: true, force: true });
  await rm(dirB, { recursive: true, force: true });
  await mkdir(dirA, { recursive: true });
  await mkdir(dirB, { recursive: true });

  const pattern = patternImage(options.patternSeed, width, height);
  const patternFile = join(outDir, 'pattern.yuv');
  await writeFile(patternFile, pattern.yuv);
  const rate = `${fps.num}/${fps.den}`;
  const filter = [
    `[0:v]setpts=PTS-STARTPTS,fps=${rate},scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p[v]`,
    `[1:v]${patternGainFilter(builder.timing, builder.amplitude)}[p]`,
    ...markFilters(width, height, {
      frames: '[v]',
      pattern: '[p]',
      a: '[a]',
      b: '[b]',
      reference: '[fp]',
      prefix: 'm',
    }),
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

  try {
    await readFrames({
      ffmpeg: options.ffmpeg ?? 'ffmpeg',
      args,
      frameBytes: builder.frameBytes,
      onFrame: (frame, n) => builder.add(frame, n),
      signal: options.signal,
    });
  } finally {
    await rm(patternFile, { force: true });
  }

  const reference = builder.finish();
  const segmentDurations = playlistDurations(await readFile(join(dirA, 'index.m3u8'), 'utf8'));
  const durationsB = playlistDurations(await readFile(join(dirB, 'index.m3u8'), 'utf8'));
  if (
    segmentDurations.length !== reference.segmentCount ||
    durationsB.length !== reference.segmentCount ||
    segmentDurations.some((d, i) => Math.abs(d - durationsB[i]!) > 1e-3)
  ) {
    throw new MediaError(
      'FFMPEG_FAILED',
      `A/B variants: segment timelines differ (A ${segmentDurations.length}, B ${durationsB.length}, expected ${reference.segmentCount} segments)`,
    );
  }
  const referenceFile = join(outDir, 'reference.ppvwm');
  await writeReference(referenceFile, reference);
  return { dirA, dirB, referenceFile, reference, segmentDurations };
}
