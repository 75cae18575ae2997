/**
 * The forensic A/B variants of every rung of a ladder, with `makeAbVariants` (watermark/variants.ts):
 * one ffmpeg run per rung encodes variant A and variant B at the rung's size and rates, and records
 * the tracer's reference. The source first goes through a normalising remux (the probed video stream
 * copied, its audio resampled to 48 kHz stereo and padded or cut to the video's length, or silence when
 * it has none) so that every variant segment carries exactly one video and one audio track, as the
 * plain ladder's do. The segments come out unencrypted; package-layout.ts encrypts and names them.
 *
 *     <outDir>/source.mp4 (or .mkv)                      the normalised source, removed at the end
 *     <outDir>/<rung>/A/seg_00000.ts …, A/index.m3u8     variant A
 *     <outDir>/<rung>/B/…                                variant B
 *     <outDir>/<rung>/reference.ppvwm                    the tracer's reference for that rung
 */
import { createHmac } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from './errors';
import { defaultTools, runFfmpeg } from './ffmpeg';
import type { Rung } from './ladder';
import { type ProbeResult, safeInputArgs } from './probe';
import { AUDIO_FILTERS, encoderArgs, outputFrameRate, type VideoEncoder } from './transcode';
import { makeAbVariants, type Rational } from './watermark';

export interface WatermarkedLadderOptions {
  input: string;
  probe: ProbeResult;
  ladder: Rung[];
  /** An empty (or not yet existing) folder private to this run. */
  outDir: string;
  segmentSeconds: number;
  encoder?: VideoEncoder;
  /** The video's secret, from which its pattern seed is derived (see patternSeedOf). */
  secret: Uint8Array;
  ffmpeg?: string;
  signal?: AbortSignal;
  /** 0–1 over all rungs, as their segments are written. */
  onProgress?: (fraction: number) => void;
}

export interface WatermarkedRung {
  rung: Rung;
  /** Folders of variant A's and B's segments, each with its `index.m3u8`. */
  dirA: string;
  dirB: string;
  referenceFile: string;
  segmentDurations: number[];
}

/** The watermark pattern's seed: derived from the video's secret, so it is kept with its keys. */
export const patternSeedOf = (secret: Uint8Array): Buffer =>
  createHmac('sha256', secret).update('ppv-watermark-pattern-seed').digest();

/** A frame rate as an exact fraction: whole numbers and the NTSC rates exactly, others to 1/1000. */
export function frameRateOf(probe: ProbeResult): Rational {
  const fps = outputFrameRate(probe);
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 0.01) return { num: whole, den: 1 };
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs(fps - (ntsc * 1000) / 1001) < 0.01) return { num: ntsc * 1000, den: 1001 };
  return { num: Math.round(fps * 1000), den: 1000 };
}

/** Makes variants A and B of every rung, largest first. */
export async function makeWatermarkedLadder(options: WatermarkedLadderOptions): Promise<WatermarkedRung[]> {
  const { probe, ladder, outDir, segmentSeconds, signal } = options;
  const ffmpeg = options.ffmpeg ?? defaultTools.ffmpeg;
  // VAAPI needs frames uploaded to the GPU, which the variants' filter graph does not do.
  const encoder = options.encoder === 'h264_vaapi' ? 'libx264' : (options.encoder ?? 'libx264');
  const fps = frameRateOf(probe);
  const gop = Math.ceil((fps.num / fps.den) * segmentSeconds);
  await mkdir(outDir, { recursive: true });
  const source = await normalisedSource(ffmpeg, options.input, probe, outDir, signal);
  // Work per rung grows with its pixels: progress is weighted by them.
  const weights = ladder.map((r) => r.width * r.height);
  const total = weights.reduce((a, b) => a + b, 0);
  const expected = Math.max(1, Math.ceil(probe.durationSeconds / segmentSeconds));
  const made: WatermarkedRung[] = [];
  try {
    let done = 0;
    for (const [i, rung] of ladder.entries()) {
      const dir = join(outDir, rung.name);
      const timer =
        options.onProgress &&
        setInterval(() => {
          void readdir(join(dir, 'A')).then(
            (files) => {
              const written = Math.max(0, files.filter((f) => f.endsWith('.ts')).length - 1);
              options.onProgress?.((done + weights[i]! * Math.min(1, written / expected)) / total);
            },
            () => undefined,
          );
        }, 500);
      try {
        const variants = await makeAbVariants({
          input: source,
          outDir: dir,
          width: rung.width,
          height: rung.height,
          fps,
          segmentSeconds,
          patternSeed: patternSeedOf(options.secret),
          videoArgs: encoderArgs(encoder, rung, 'v:0', gop),
          audioArgs: ['-c:a', 'aac', '-b:a', String(rung.audioBitrate)],
          ffmpeg,
          signal,
        });
        made.push({ rung, ...variants });
      } finally {
        if (timer) clearInterval(timer);
      }
      done += weights[i]!;
      options.onProgress?.(done / total);
    }
  } finally {
    await rm(source, { force: true });
  }
  return made;
}

/**
 * The source reduced to what the variants need: its probed video stream copied (MP4 keeps the
 * display rotation; codecs MP4 cannot hold fall back to Matroska), and one 48 kHz stereo audio track
 * of exactly the video's length, silent when the source has none.
 */
async function normalisedSource(
  ffmpeg: string,
  input: string,
  probe: ProbeResult,
  outDir: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const audio = probe.audioStreamIndex !== null ? `[0:${probe.audioStreamIndex}]${AUDIO_FILTERS}` : null;
  const silence = `anullsrc=r=48000:cl=stereo`;
  const graph = `${audio ?? silence},apad,atrim=end=${probe.durationSeconds}[a]`;
  const args = (file: string) => [
    ...safeInputArgs(input),
    '-filter_complex',
    graph,
    '-map',
    `0:${probe.videoStreamIndex}`,
    '-map',
    '[a]',
    '-c:v',
    'copy',
    '-c:a',
    'flac',
    '-strict',
    'experimental',
    '-map_metadata',
    '-1',
    '-y',
    file,
  ];
  let lastError: unknown;
  for (const name of ['source.mp4', 'source.mkv']) {
    const file = join(outDir, name);
    try {
      await runFfmpeg(ffmpeg, args(file), { cwd: outDir, signal });
      return file;
    } catch (error) {
      signal?.throwIfAborted();
      await rm(file, { force: true });
      lastError = error;
    }
  }
  throw lastError instanceof MediaError
    ? lastError
    : new MediaError('FFMPEG_FAILED', 'could not prepare the source for the watermark', undefined, {
        cause: lastError,
      });
}
