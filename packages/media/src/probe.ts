/**
 * ffprobe → the facts a transcode needs: duration, coded and display dimensions (after rotation),
 * audio, codecs, container, bit rate; media we refuse becomes a `MediaError` with a short reason.
 */
import { resolve } from 'node:path';
import { MediaError } from './errors';
import { defaultTools, runFfprobe } from './ffmpeg';

export interface ProbeResult {
  durationSeconds: number;
  /** Coded dimensions of the video stream, as stored. */
  width: number;
  height: number;
  /**
   * Clockwise rotation a player applies to show the picture upright (0, 90, 180 or 270), from the
   * display matrix side data or, for older files, the `rotate` tag. ffmpeg applies it on decode.
   */
  rotation: 0 | 90 | 180 | 270;
  /** Dimensions as displayed: width and height swapped when rotated by 90 or 270. */
  displayWidth: number;
  displayHeight: number;
  /** Frames per second (the stream's average rate), or null when the container does not say. */
  frameRate: number | null;
  hasAudio: boolean;
  /** ffmpeg's index of the video stream used (cover art and extra angles are skipped). */
  videoStreamIndex: number;
  /** ffmpeg's index of the first audio stream, or null. */
  audioStreamIndex: number | null;
  videoCodec: string;
  audioCodec: string | null;
  /** ffprobe's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  formatName: string;
  /** Overall bit rate in bits per second, or null when unknown. */
  bitRate: number | null;
}

export interface ProbeLimits {
  /** Largest allowed width or height of the (display) picture. */
  maxDimension: number;
  maxDurationSeconds: number;
}

/** 8K on the long side and twelve hours: anything larger is refused before any decoding. */
export const defaultProbeLimits: ProbeLimits = { maxDimension: 8192, maxDurationSeconds: 12 * 3600 };

/**
 * The demuxers ffmpeg and ffprobe may use on an upload (`-format_whitelist`): the containers that
 * `sniffContainer` accepts. Keeps a file that is really a playlist (HLS, concat) or an image
 * sequence from making ffmpeg open other files or URLs.
 */
export const INPUT_FORMAT_WHITELIST = 'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv,mpeg';

/** Input flags for any untrusted file: local files only, the accepted demuxers only. */
export function safeInputArgs(input: string): string[] {
  return [
    '-protocol_whitelist',
    'file',
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    '-i',
    `file:${resolve(input)}`,
  ];
}

export interface ProbeOptions {
  ffprobe?: string;
  limits?: Partial<ProbeLimits>;
  signal?: AbortSignal;
}

/** Probes a file. Throws `MediaError` NOT_MEDIA, NO_VIDEO, TOO_LARGE_DIMENSIONS or TOO_LONG. */
export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  let json: string;
  try {
    json = await runFfprobe(
      options.ffprobe ?? defaultTools.ffprobe,
      ['-print_format', 'json', '-show_format', '-show_streams', ...safeInputArgs(file)],
      { signal: options.signal },
    );
  } catch (error) {
    if (error instanceof MediaError && error.code === 'FFMPEG_FAILED')
      throw new MediaError('NOT_MEDIA', 'could not read the file as media', error.stderrTail, {
        cause: error,
      });
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new MediaError('NOT_MEDIA', 'could not read the file as media', undefined, { cause });
  }
  return parseProbe(parsed as FfprobeOutput, { ...defaultProbeLimits, ...options.limits });
}

/** The part of `ffprobe -print_format json -show_format -show_streams` that we read. */
export interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string };
}

export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
}

/** Turns ffprobe's JSON into a `ProbeResult`, applying the limits. */
export function parseProbe(probe: FfprobeOutput, limits: ProbeLimits = defaultProbeLimits): ProbeResult {
  const streams = probe.streams ?? [];
  if (!probe.format || streams.length === 0)
    throw new MediaError('NOT_MEDIA', 'could not read the file as media');
  // Cover art in an audio file is a "video" stream with the attached_pic disposition.
  const video = streams.find(
    (s) =>
      s.codec_type === 'video' && !s.disposition?.attached_pic && (s.width ?? 0) > 0 && (s.height ?? 0) > 0,
  );
  if (!video) throw new MediaError('NO_VIDEO', 'no video stream');
  const audio = streams.find((s) => s.codec_type === 'audio');

  const durationSeconds = positive(probe.format.duration) ?? positive(video.duration);
  if (durationSeconds === null)
    throw new MediaError('NOT_MEDIA', 'the file has no duration: a still image or a broken video');
  if (durationSeconds > limits.maxDurationSeconds)
    throw new MediaError(
      'TOO_LONG',
      `the video is too long (${formatDuration(durationSeconds)}; at most ${formatDuration(limits.maxDurationSeconds)})`,
    );

  const width = video.width!;
  const height = video.height!;
  if (Math.max(width, height) > limits.maxDimension)
    throw new MediaError(
      'TOO_LARGE_DIMENSIONS',
      `the picture is too large (${width}x${height}; at most ${limits.maxDimension} pixels on a side)`,
    );
  const rotation = rotationOf(video);
  const turned = rotation === 90 || rotation === 270;
  return {
    durationSeconds,
    width,
    height,
    rotation,
    displayWidth: turned ? height : width,
    displayHeight: turned ? width : height,
    frameRate: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
    hasAudio: audio !== undefined,
    videoStreamIndex: video.index ?? streams.indexOf(video),
    audioStreamIndex: audio ? (audio.index ?? streams.indexOf(audio)) : null,
    videoCodec: video.codec_name ?? 'unknown',
    audioCodec: audio ? (audio.codec_name ?? 'unknown') : null,
    formatName: probe.format.format_name ?? 'unknown',
    bitRate: positive(probe.format.bit_rate),
  };
}

/**
 * The display matrix's `rotation` is counter-clockwise (ffprobe prints -90 for a phone held upright);
 * the legacy `rotate` tag is clockwise. Both become clockwise, snapped to a quarter turn.
 */
function rotationOf(video: FfprobeStream): ProbeResult['rotation'] {
  const matrix = video.side_data_list?.find((d) => d.side_data_type === 'Display Matrix');
  const counterClockwise = Number(matrix?.rotation);
  const tag = Number(video.tags?.rotate);
  const clockwise =
    Number.isFinite(counterClockwise) && matrix ? -counterClockwise : Number.isFinite(tag) ? tag : 0;
  const quarter = ((Math.round(clockwise / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter]!;
}

function positive(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

function rate(value: string | undefined): number | null {
  const [num, den] = (value ?? '').split('/').map(Number);
  if (!num || !den || !Number.isFinite(num / den)) return null;
  return Math.round((num / den) * 1000) / 1000;
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
