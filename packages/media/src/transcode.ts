/**
 * One ffmpeg process turns a source into everything a video needs: the AES-128 encrypted HLS ladder
 * (every rung from one decode, `split` + `scale` in one `-filter_complex`, key frames forced on the
 * same segment boundaries so that segment N of every rung covers the same time), an unencrypted free
 * preview, a poster and storyboard thumbnails. A second, tiny run tiles the thumbnails into a sprite.
 *
 * With `watermark`, every rung is split after its scale into the forensic A and B variants
 * (watermark/mark.ts: the video's pattern added and subtracted), both encoded in the same process
 * with the same key frames, and the same process streams both, shrunk to the reference grid, to
 * standard output, where each rung's tracer reference is accumulated as the frames go by. Nothing
 * unmarked of the ladder is made then; the preview, poster and storyboard stay unmarked.
 *
 * Output layout inside `outDir` (nothing is written anywhere else):
 *
 *     master.m3u8                  the variant playlist, one entry per rung (its A playlist)
 *     720p/index.m3u8              a rung's media playlist (EXT-X-KEY with the key URI and IV)
 *     720p/seg_00000.ts …          its encrypted MPEG-TS segments
 *     720p/A/index.m3u8, seg_*.ts  with `watermark`: variant A of the rung (instead of the above)
 *     720p/B/index.m3u8, seg_*.ts  and variant B, cut at the same frames
 *     watermark/720p.ppvwm         with `watermark`: the tracer's reference of the rung
 *     preview/index.m3u8, seg_*.ts the free preview, not encrypted (optional)
 *     poster.jpg                   a frame at 10% of the duration, at the top rung's size
 *     storyboard.jpg, .vtt         thumbnail sprite and its WebVTT index (`#xywh=` fragments)
 *
 * Requires ffmpeg 5.1 or later (`-fps_mode`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { MediaError } from './errors';
import { defaultTools, type FfmpegProgress, runFfmpeg } from './ffmpeg';
import { computeLadder, type Rung } from './ladder';
import { type ProbeResult, safeInputArgs } from './probe';
import {
  DEFAULT_AMPLITUDE,
  markFilters,
  patternGainFilter,
  patternImage,
  type Rational,
  ReferenceBuilder,
  type Variant,
  validateMark,
  writeReference,
} from './watermark';
import { readFrames } from './watermark/frames';

export type VideoEncoder = 'libx264' | 'h264_nvenc' | 'h264_vaapi' | 'h264_qsv';

export const VIDEO_ENCODERS: readonly VideoEncoder[] = ['libx264', 'h264_nvenc', 'h264_vaapi', 'h264_qsv'];

export interface HlsKey {
  /** The 16-byte AES-128 content key. */
  keyBytes: Uint8Array;
  /** The 16-byte IV, written into every media playlist. */
  iv: Uint8Array;
  /** What the playlists carry as the key URI, e.g. `key://<keyId>`; delivery rewrites it per session. */
  keyUri: string;
}

export interface StoryboardOptions {
  /** One thumbnail every this many seconds; default: one second per 1% of the duration, at least 1. */
  intervalSeconds?: number;
  /** Thumbnail width in pixels (default 160); the height follows the aspect ratio. */
  tileWidth?: number;
  /** Thumbnails per sprite row (default 10). */
  columns?: number;
}

export interface TranscodeOptions {
  input: string;
  /** An empty (or not yet existing) folder, private to this run; the caller publishes it. */
  outDir: string;
  probe: ProbeResult;
  key: HlsKey;
  /** Target segment length in seconds (default 4); every rung's key frames fall on its multiples. */
  segmentSeconds?: number;
  encoder?: VideoEncoder;
  /** Render node for `h264_vaapi` (default `/dev/dri/renderD128`). */
  vaapiDevice?: string;
  /** The rungs to make (default `computeLadder(probe)`). */
  ladder?: Rung[];
  /** The first `seconds` as a small unencrypted rendition (short side `height`, default 360). */
  preview?: { seconds: number; height?: number } | null;
  /** A poster image (default true). */
  poster?: boolean;
  /** Storyboard thumbnails (default on, with the defaults of StoryboardOptions); false for none. */
  storyboard?: StoryboardOptions | false;
  /** Make the forensic A/B variants of every rung instead of one plain rendition (default none). */
  watermark?: WatermarkOptions | null;
  /** The ffmpeg command (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  signal?: AbortSignal;
  onProgress?: (progress: FfmpegProgress) => void;
}

export interface WatermarkOptions {
  /** The video's secret pattern seed (`patternSeedOf` its segment secret). */
  patternSeed: Buffer | string;
  /** Peak pattern amplitude in luma levels (default 2). */
  amplitude?: number;
}

export interface HlsRendition {
  name: string;
  width: number;
  height: number;
  /** Peak bits per second of a segment, as the master playlist's BANDWIDTH says. */
  bandwidth: number;
  /** Mean bits per second over the whole rendition (AVERAGE-BANDWIDTH). */
  averageBandwidth: number;
  /** RFC 6381 codecs as ffmpeg's master playlist gives them, e.g. `avc1.64001f,mp4a.40.2`. */
  codecs: string;
  /**
   * The media playlist of each variant, relative to outDir: `{ A: '720p/index.m3u8' }` for a plain
   * rung, `{ A: '720p/A/index.m3u8', B: '720p/B/index.m3u8' }` with the watermark.
   */
  playlists: Partial<Record<Variant, string>>;
}

export interface HlsManifest {
  /** The variant playlist, relative to outDir. */
  master: string;
  renditions: HlsRendition[];
  segmentSeconds: number;
  /** Segments per rendition (the same for every rung). */
  segmentCount: number;
  durationSeconds: number;
  /** `['A', 'B']` with the watermark, else `['A']`. */
  variants: Variant[];
  /** With the watermark: the tracer's reference of every rung, relative to outDir. */
  watermark: { references: Record<string, string> } | null;
  hasPreview: boolean;
  preview: { playlist: string; width: number; height: number; durationSeconds: number } | null;
  poster: { file: string; width: number; height: number } | null;
  storyboard: {
    image: string;
    /** WebVTT: one cue per thumbnail, `storyboard.jpg#xywh=x,y,w,h`. */
    index: string;
    tileWidth: number;
    tileHeight: number;
    columns: number;
    rows: number;
    count: number;
    intervalSeconds: number;
  } | null;
}

export const MASTER_PLAYLIST = 'master.m3u8';
const PREVIEW_DIR = 'preview';
const POSTER_FILE = 'poster.jpg';
const STORYBOARD_IMAGE = 'storyboard.jpg';
const STORYBOARD_INDEX = 'storyboard.vtt';
const THUMBS_DIR = '.thumbs';
const WATERMARK_DIR = 'watermark';
/** Sources faster than this are resampled to it: nothing we serve needs more. */
const MAX_FRAME_RATE = 60;
const AUDIO_RATE = 48_000;

/**
 * Frame threads of each libx264 encoder of the ladder. One ffmpeg thread feeds every rung's encoder
 * in turn, and an encoder whose frame threads are all busy blocks it, so the other rungs run dry:
 * deeper per-rung pipelines than x264's default (1.5 × cores, 3 on a 2-core machine) keep the cores
 * busy (bench/ladder.ts). Never fewer than the default.
 */
const X264_THREADS_PER_RUNG = Math.max(6, Math.ceil(availableParallelism() * 1.5));

/** The frame rate the renditions get: the source's, at most 60, 30 when unknown. */
export function outputFrameRate(probe: ProbeResult): number {
  return Math.min(probe.frameRate ?? 30, MAX_FRAME_RATE);
}

/** outputFrameRate as an exact fraction: whole numbers and the NTSC rates exactly, others to 1/1000. */
export function frameRateOf(probe: ProbeResult): Rational {
  const fps = outputFrameRate(probe);
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 0.01) return { num: whole, den: 1 };
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs(fps - (ntsc * 1000) / 1001) < 0.01) return { num: ntsc * 1000, den: 1001 };
  return { num: Math.round(fps * 1000), den: 1000 };
}

/** The `-force_key_frames` expression putting a key frame on every multiple of `segmentSeconds`. */
export const keyFrameExpr = (segmentSeconds: number) => `expr:gte(t,n_forced*${segmentSeconds})`;

/**
 * The encoder flags for one output video stream (`spec` is its stream specifier, e.g. `v:2`): the
 * rung's capped VBR rates and a fixed GOP of one segment with no scene-cut key frames, so key frames
 * only fall where `-force_key_frames` puts them (see keyFrameExpr, added once per output file).
 */
export function encoderArgs(encoder: VideoEncoder, rung: Rung, spec: string, gop: number): string[] {
  const common = [
    `-c:${spec}`,
    encoder,
    `-b:${spec}`,
    String(rung.videoBitrate),
    `-maxrate:${spec}`,
    String(rung.maxRate),
    `-bufsize:${spec}`,
    String(rung.bufSize),
    `-g:${spec}`,
    String(gop),
  ];
  switch (encoder) {
    case 'libx264':
      return [
        ...common,
        `-preset:${spec}`,
        'veryfast',
        `-profile:${spec}`,
        'high',
        `-keyint_min:${spec}`,
        String(gop),
        `-sc_threshold:${spec}`,
        '0',
      ];
    case 'h264_nvenc':
      return [
        ...common,
        `-preset:${spec}`,
        'p4',
        `-profile:${spec}`,
        'high',
        `-rc:${spec}`,
        'vbr',
        `-no-scenecut:${spec}`,
        '1',
        `-forced-idr:${spec}`,
        '1',
      ];
    case 'h264_qsv':
      return [
        ...common,
        `-preset:${spec}`,
        'veryfast',
        `-profile:${spec}`,
        'high',
        `-look_ahead:${spec}`,
        '0',
        `-forced_idr:${spec}`,
        '1',
      ];
    case 'h264_vaapi':
      return [...common, `-profile:${spec}`, 'high', `-rc_mode:${spec}`, 'VBR'];
  }
}

/**
 * The HLS muxer flags for one output: VOD playlists of MPEG-TS segments of `segmentSeconds`, named by
 * `segmentPattern` (relative to the working directory; `%v` is the rung name with a var_stream_map).
 */
export function hlsOutputArgs(segmentSeconds: number, segmentPattern: string): string[] {
  return [
    '-f',
    'hls',
    '-hls_time',
    String(segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'mpegts',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_filename',
    segmentPattern,
  ];
}

/** The filter turning frames into what the encoder takes: its pixel format, uploaded for VAAPI. */
export function encoderInputFilter(encoder: VideoEncoder): string {
  return {
    libx264: 'format=yuv420p',
    h264_nvenc: 'format=yuv420p',
    h264_qsv: 'format=nv12',
    h264_vaapi: 'format=nv12,hwupload',
  }[encoder];
}

/** A rung's whole chain from decoded frames: scale, square pixels, the encoder's input format. */
export function scaleFilters(encoder: VideoEncoder, width: number, height: number): string {
  return `scale=${width}:${height},setsar=1,${encoderInputFilter(encoder)}`;
}

/** Audio as every rendition carries it: 48 kHz stereo (AAC-encoded by the caller's flags). */
export const AUDIO_FILTERS = `aresample=${AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo`;

/** What one run makes; computed from the options, before anything is written. */
interface Plan {
  ladder: Rung[];
  segmentSeconds: number;
  durationSeconds: number;
  gop: number;
  encoder: VideoEncoder;
  /** The encoded ladder streams, in output order: one per rung, or A and B of every rung. */
  streams: LadderStream[];
  preview: { rung: Rung; seconds: number } | null;
  poster: { width: number; height: number; atSeconds: number } | null;
  storyboard: { tileWidth: number; tileHeight: number; columns: number; intervalSeconds: number } | null;
  watermark: {
    seed: Buffer | string;
    amplitude: number;
    fps: Rational;
    /** Per rung (ladder order): its reference builder and where its rows sit in a grid frame. */
    references: { builder: ReferenceBuilder; rowOffset: number }[];
    /** One grid frame: every rung's `[A grid | B grid]` stacked, padded to the widest. */
    frameWidth: number;
    frameHeight: number;
  } | null;
}

interface LadderStream {
  rung: Rung;
  variant: Variant;
  /** The var_stream_map name, which is also its folder: `720p`, or `720p/A` and `720p/B`. */
  name: string;
}

function plan(options: TranscodeOptions): Plan {
  const { probe, key } = options;
  const segmentSeconds = options.segmentSeconds ?? 4;
  if (!(segmentSeconds >= 1 && segmentSeconds <= 30))
    throw new MediaError('BAD_OPTIONS', 'segmentSeconds must be between 1 and 30');
  if (key.keyBytes.length !== 16) throw new MediaError('BAD_OPTIONS', 'the key must be 16 bytes');
  if (key.iv.length !== 16) throw new MediaError('BAD_OPTIONS', 'the IV must be 16 bytes');
  // The URI is written into a line of the key info file and between quotes in every playlist.
  if (!/^[\x21-\x7e]+$/.test(key.keyUri) || key.keyUri.includes('"'))
    throw new MediaError('BAD_OPTIONS', 'the key URI must be printable ASCII without spaces or quotes');
  const ladder = options.ladder ?? computeLadder(probe);
  if (ladder.length === 0) throw new MediaError('BAD_OPTIONS', 'the ladder has no rungs');
  if (ladder.some((r, i) => i > 0 && (r.width > ladder[i - 1]!.width || r.height > ladder[i - 1]!.height)))
    throw new MediaError('BAD_OPTIONS', 'the ladder must go from the largest rung down');
  // A rung's name becomes a folder inside outDir.
  const names = new Set(ladder.map((r) => r.name));
  if (
    names.size !== ladder.length ||
    ![...names].every((n) => /^[a-z0-9_-]+$/i.test(n) && n !== PREVIEW_DIR && n !== WATERMARK_DIR)
  )
    throw new MediaError('BAD_OPTIONS', 'rung names must be distinct words of letters, digits, - and _');
  const top = ladder[0]!;
  const durationSeconds = probe.durationSeconds;

  let preview: Plan['preview'] = null;
  if (options.preview) {
    if (!(options.preview.seconds > 0))
      throw new MediaError('BAD_OPTIONS', 'preview seconds must be positive');
    const [rung] = computeLadder(probe, [options.preview.height ?? 360]);
    preview = { rung: rung!, seconds: Math.min(options.preview.seconds, durationSeconds) };
  }

  let storyboard: Plan['storyboard'] = null;
  if (options.storyboard !== false) {
    const sb = options.storyboard ?? {};
    const tileWidth = sb.tileWidth ?? 160;
    const intervalSeconds = sb.intervalSeconds ?? Math.max(1, Math.ceil(durationSeconds / 100));
    if (!(intervalSeconds > 0)) throw new MediaError('BAD_OPTIONS', 'storyboard interval must be positive');
    storyboard = {
      tileWidth,
      tileHeight: evenOf((tileWidth * top.height) / top.width),
      columns: Math.max(1, Math.floor(sb.columns ?? 10)),
      intervalSeconds,
    };
  }

  let watermark: Plan['watermark'] = null;
  if (options.watermark) {
    const fps = frameRateOf(probe);
    const amplitude = options.watermark.amplitude ?? DEFAULT_AMPLITUDE;
    let rowOffset = 0;
    const references = ladder.map((rung) => {
      const params = { width: rung.width, height: rung.height, fps, segmentSeconds, amplitude };
      validateMark(params);
      const builder = new ReferenceBuilder(params);
      const at = { builder, rowOffset };
      rowOffset += builder.grid.height;
      return at;
    });
    watermark = {
      seed: options.watermark.patternSeed,
      amplitude,
      fps,
      references,
      frameWidth: Math.max(...references.map((r) => 2 * r.builder.grid.width)),
      frameHeight: rowOffset,
    };
  }

  return {
    ladder,
    segmentSeconds,
    durationSeconds,
    gop: Math.ceil(outputFrameRate(probe) * segmentSeconds),
    encoder: options.encoder ?? 'libx264',
    streams: ladder.flatMap((rung) =>
      watermark
        ? (['A', 'B'] as const).map((variant) => ({ rung, variant, name: `${rung.name}/${variant}` }))
        : [{ rung, variant: 'A' as const, name: rung.name }],
    ),
    preview,
    poster:
      options.poster === false
        ? null
        : { width: top.width, height: top.height, atSeconds: Math.round(durationSeconds * 100) / 1000 },
    storyboard,
    watermark,
  };
}

const evenOf = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** The pattern images a marked run reads, one per distinct rung pattern, and which rung uses which. */
function patternsOf(p: Plan): { images: Buffer[]; imageOf: number[]; sizes: string[] } {
  const images: Buffer[] = [];
  const sizes: string[] = [];
  const imageOf = p.ladder.map((rung) => {
    const image = patternImage(p.watermark!.seed, rung.width, rung.height);
    const size = `${image.width}x${image.height}`;
    // Rungs of one aspect ratio usually share their pattern image: one input and one geq for them.
    const same = images.findIndex((other, i) => sizes[i] === size && other.equals(image.yuv));
    if (same >= 0) return same;
    images.push(image.yuv);
    sizes.push(size);
    return images.length - 1;
  });
  return { images, imageOf, sizes };
}

/**
 * The complete ffmpeg argument list for a plan, with `keyInfoFile` the path of the hls key info
 * file and `patternFiles` those of the pattern images (a marked run). Every output path is
 * relative: ffmpeg runs with `outDir` as its working directory.
 */
function buildArgs(
  options: TranscodeOptions,
  p: Plan,
  keyInfoFile: string,
  patternFiles: string[],
): string[] {
  const { probe } = options;
  const mark = p.watermark;
  const branches = 1 + (p.preview ? 1 : 0) + (p.poster ? 1 : 0) + (p.storyboard ? 1 : 0);
  const graph: string[] = [];
  // Marked frames are numbered from 0 at a constant rate: the mark's envelope and the reference
  // count time in frames.
  const fps = mark
    ? `setpts=PTS-STARTPTS,fps=${mark.fps.num}/${mark.fps.den},`
    : probe.frameRate && probe.frameRate > MAX_FRAME_RATE
      ? `fps=${MAX_FRAME_RATE},`
      : '';
  const labels = Array.from({ length: branches }, (_, i) => `[s${i}]`);
  const split = branches > 1 ? `split=${branches}` : 'null';
  graph.push(`[0:${probe.videoStreamIndex}]${fps}${split}${labels.join('')}`);
  let branch = 0;
  const input = encoderInputFilter(p.encoder);
  // The ladder cascades: each rung is scaled from the one above it rather than from the source,
  // which halves the scaling work of a 1080p ladder (rungs are sorted largest first, see plan).
  // Marked, each rung is then split into its A and B branches (watermark/mark.ts).
  let from = `[s${branch++}]`;
  const patterns = mark ? patternsOf(p) : null;
  if (mark && patterns) {
    const users = patterns.images.map((_, j) => patterns.imageOf.filter((i) => i === j).length);
    patterns.images.forEach((_, j) => {
      const outs = p.ladder.flatMap((_, i) => (patterns.imageOf[i] === j ? [`[p${i}]`] : []));
      const fan = users[j]! > 1 ? `,split=${users[j]}` : '';
      graph.push(
        `[${j + 1}:v]${patternGainFilter(mark.references[0]!.builder.timing, mark.amplitude)}${fan}${outs.join('')}`,
      );
    });
  }
  p.ladder.forEach((rung, i) => {
    const scaled = `${from}scale=${rung.width}:${rung.height},setsar=1`;
    const last = i === p.ladder.length - 1;
    const rungOut = mark ? `[f${i}]` : `[v${i}]`;
    if (last) graph.push(`${scaled},${mark ? 'format=yuv420p' : input}${rungOut}`);
    else {
      graph.push(`${scaled},split=2[r${i}][c${i}]`, `[r${i}]${mark ? 'format=yuv420p' : input}${rungOut}`);
      from = `[c${i}]`;
    }
    if (mark) {
      graph.push(
        ...markFilters(rung.width, rung.height, {
          frames: `[f${i}]`,
          pattern: `[p${i}]`,
          a: `[ma${i}]`,
          b: `[mb${i}]`,
          reference: `[g${i}]`,
          prefix: `m${i}`,
        }),
        `[ma${i}]${input}[v${2 * i}]`,
        `[mb${i}]${input}[v${2 * i + 1}]`,
      );
    }
  });
  if (mark) {
    // Every rung's grid rows in one frame, padded to the widest (portrait rungs may differ by 2).
    const rows = mark.references.map(({ builder }, i) =>
      2 * builder.grid.width < mark.frameWidth ? `[g${i}]pad=${mark.frameWidth}:ih[h${i}]` : null,
    );
    graph.push(...rows.filter((r) => r !== null));
    const stacked = mark.references.map((_, i) => (rows[i] ? `[h${i}]` : `[g${i}]`));
    graph.push(
      stacked.length > 1
        ? `${stacked.join('')}vstack=inputs=${stacked.length}[grid]`
        : `${stacked[0]}null[grid]`,
    );
  }
  if (p.preview) {
    const { rung, seconds } = p.preview;
    graph.push(
      `[s${branch++}]trim=end=${seconds},setpts=PTS-STARTPTS,${scaleFilters(p.encoder, rung.width, rung.height)}[vp]`,
    );
  }
  if (p.poster) {
    const { width, height, atSeconds } = p.poster;
    graph.push(
      `[s${branch++}]trim=start=${atSeconds},setpts=PTS-STARTPTS,scale=${width}:${height},setsar=1[poster]`,
    );
  }
  if (p.storyboard) {
    const { intervalSeconds: k, tileWidth, tileHeight } = p.storyboard;
    // The first frame at or after each multiple of the interval.
    graph.push(
      `[s${branch++}]select='isnan(prev_selected_t)+gte(floor(t/${k})-floor(prev_selected_t/${k}),1)',` +
        `scale=${tileWidth}:${tileHeight},setsar=1[thumbs]`,
    );
  }
  // Audio: the source's first track, or silence when it has none; padded with silence or cut to the
  // video's duration, so that every segment carries audio (A and B get the same, encoded alike).
  const audioLabels = p.streams.map((_, i) => `[a${i}]`).concat(p.preview ? ['[aps]'] : []);
  const audioSource =
    probe.audioStreamIndex !== null
      ? `[0:${probe.audioStreamIndex}]${AUDIO_FILTERS}`
      : `anullsrc=r=${AUDIO_RATE}:cl=stereo`;
  graph.push(
    `${audioSource},apad,atrim=end=${p.durationSeconds},asplit=${audioLabels.length}${audioLabels.join('')}`,
  );
  if (p.preview) graph.push(`[aps]atrim=end=${p.preview.seconds},asetpts=PTS-STARTPTS[ap]`);

  const noMetadata = ['-map_metadata', '-1', '-map_chapters', '-1'];
  /** The encoder flags of an output's streams (`v:i`, `a:i` for rung i), its key frames, no metadata. */
  const encoded = (rungs: Rung[], threads: boolean) => [
    ...rungs.flatMap((rung, i) => [
      ...encoderArgs(p.encoder, rung, `v:${i}`, p.gop),
      `-c:a:${i}`,
      'aac',
      `-b:a:${i}`,
      String(rung.audioBitrate),
      ...(threads && p.encoder === 'libx264' ? [`-threads:v:${i}`, String(X264_THREADS_PER_RUNG)] : []),
    ]),
    '-force_key_frames:v',
    keyFrameExpr(p.segmentSeconds),
    ...noMetadata,
  ];

  const args: string[] = [];
  if (p.encoder === 'h264_vaapi') args.push('-vaapi_device', options.vaapiDevice ?? '/dev/dri/renderD128');
  args.push(...safeInputArgs(options.input));
  if (mark && patterns) {
    patternFiles.forEach((file, j) => {
      args.push(
        ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', patterns.sizes[j]!],
        ...['-framerate', `${mark.fps.num}/${mark.fps.den}`, '-stream_loop', '-1', '-i', file],
      );
    });
  }
  args.push('-filter_complex', graph.join(';'));

  // Output 1: the encrypted ladder.
  for (const [i] of p.streams.entries()) args.push('-map', `[v${i}]`, '-map', `[a${i}]`);
  args.push(
    ...encoded(
      p.streams.map((s) => s.rung),
      true,
    ),
    ...hlsOutputArgs(p.segmentSeconds, '%v/seg_%05d.ts'),
    '-hls_key_info_file',
    keyInfoFile,
    '-master_pl_name',
    MASTER_PLAYLIST,
    '-var_stream_map',
    p.streams.map((s, i) => `v:${i},a:${i},name:${s.name}`).join(' '),
    '%v/index.m3u8',
  );

  if (p.preview) {
    args.push(
      ...['-map', '[vp]', '-map', '[ap]'],
      ...encoded([p.preview.rung], false),
      ...hlsOutputArgs(p.segmentSeconds, `${PREVIEW_DIR}/seg_%05d.ts`),
      `${PREVIEW_DIR}/index.m3u8`,
    );
  }
  if (p.poster) args.push('-map', '[poster]', '-frames:v', '1', '-q:v', '3', ...noMetadata, POSTER_FILE);
  if (p.storyboard)
    args.push(
      '-map',
      '[thumbs]',
      '-fps_mode',
      'passthrough',
      '-q:v',
      '5',
      ...noMetadata,
      `${THUMBS_DIR}/%05d.jpg`,
    );
  // Last, a marked run's grid frames on standard output, for the references.
  if (mark) args.push('-map', '[grid]', '-f', 'rawvideo', 'pipe:1');
  return args;
}

/**
 * Transcodes `input` into encrypted HLS (plus preview, poster and storyboard; with `watermark`, the
 * A/B variants and their references) inside `outDir` and returns what it made. On failure or abort
 * nothing is cleaned beyond the key and pattern files: the caller throws the folder away. Rejects
 * with `signal.reason` when aborted (ffmpeg is killed first).
 */
export async function transcodeToHls(options: TranscodeOptions): Promise<HlsManifest> {
  const p = plan(options);
  const { outDir, key, signal } = options;
  const ffmpeg = options.ffmpeg ?? defaultTools.ffmpeg;
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) throw new MediaError('BAD_OPTIONS', `${outDir} must be empty`);
  if (p.preview) await mkdir(join(outDir, PREVIEW_DIR));
  if (p.storyboard) await mkdir(join(outDir, THUMBS_DIR));

  // The key goes to ffmpeg through a key info file rather than its command line, which any local
  // user can read in /proc; the pattern images (which would help remove the mark) go there too. The
  // folder is private and removed before this function returns.
  const keyDir = await mkdtemp(join(outDir, '.key-'));
  try {
    const keyFile = join(keyDir, 'key.bin');
    const keyInfoFile = join(keyDir, 'key.info');
    await writeFile(keyFile, key.keyBytes, { mode: 0o600 });
    await writeFile(keyInfoFile, `${key.keyUri}\n${keyFile}\n${hex(key.iv)}\n`, { mode: 0o600 });
    const patternFiles: string[] = [];
    if (p.watermark) {
      for (const [j, image] of patternsOf(p).images.entries()) {
        patternFiles.push(join(keyDir, `pattern-${j}.yuv`));
        await writeFile(patternFiles[j]!, image, { mode: 0o600 });
      }
    }
    const args = buildArgs(options, p, keyInfoFile, patternFiles);
    const mark = p.watermark;
    if (mark) {
      // Progress from the frames the references receive (standard output is theirs, not -progress's).
      const frameSeconds = mark.fps.den / mark.fps.num;
      const rowBytes = mark.frameWidth * 2;
      await readFrames({
        ffmpeg,
        args,
        cwd: outDir,
        signal,
        frameBytes: rowBytes * mark.frameHeight,
        onFrame: (frame, n) => {
          for (const { builder, rowOffset } of mark.references)
            builder.add(frame, n, rowOffset * rowBytes, rowBytes);
          const outTimeMs = Math.round((n + 1) * frameSeconds * 1000);
          const fraction = Math.min(0.999, outTimeMs / 1000 / p.durationSeconds);
          options.onProgress?.({ outTimeMs, fraction, speed: null });
        },
      });
      options.onProgress?.({ outTimeMs: Math.round(p.durationSeconds * 1000), fraction: 1, speed: null });
    } else {
      await runFfmpeg(ffmpeg, args, {
        cwd: outDir,
        signal,
        durationSeconds: p.durationSeconds,
        onProgress: options.onProgress,
      });
    }
  } finally {
    await rm(keyDir, { recursive: true, force: true });
  }

  const storyboard = p.storyboard
    ? await makeStoryboard(ffmpeg, outDir, p.storyboard, p.durationSeconds, signal)
    : null;
  const { renditions, segmentCount } = await measureRenditions(outDir, p);
  let watermark: HlsManifest['watermark'] = null;
  if (p.watermark) {
    await mkdir(join(outDir, WATERMARK_DIR));
    const references: Record<string, string> = {};
    for (const [i, { builder }] of p.watermark.references.entries()) {
      const rung = p.ladder[i]!;
      const reference = builder.finish();
      if (reference.segmentCount !== segmentCount)
        throw new MediaError(
          'FFMPEG_FAILED',
          `${rung.name}: the A/B segments (${segmentCount}) and the mark's timeline (${reference.segmentCount} segments) differ`,
        );
      references[rung.name] = `${WATERMARK_DIR}/${rung.name}.ppvwm`;
      await writeReference(join(outDir, references[rung.name]!), reference);
    }
    watermark = { references };
  }
  return {
    master: MASTER_PLAYLIST,
    renditions,
    segmentSeconds: p.segmentSeconds,
    segmentCount,
    durationSeconds: p.durationSeconds,
    variants: p.watermark ? ['A', 'B'] : ['A'],
    watermark,
    hasPreview: p.preview !== null,
    preview: p.preview && {
      playlist: `${PREVIEW_DIR}/index.m3u8`,
      width: p.preview.rung.width,
      height: p.preview.rung.height,
      durationSeconds: p.preview.seconds,
    },
    poster: p.poster && { file: POSTER_FILE, width: p.poster.width, height: p.poster.height },
    storyboard,
  };
}

/** Tiles the extracted thumbnails into one sprite, writes its WebVTT index, removes the thumbnails. */
async function makeStoryboard(
  ffmpeg: string,
  outDir: string,
  sb: NonNullable<Plan['storyboard']>,
  durationSeconds: number,
  signal: AbortSignal | undefined,
): Promise<HlsManifest['storyboard']> {
  const thumbs = (await readdir(join(outDir, THUMBS_DIR))).filter((f) => f.endsWith('.jpg'));
  const count = thumbs.length;
  if (count === 0) throw new MediaError('FFMPEG_FAILED', 'ffmpeg extracted no storyboard thumbnails');
  const columns = Math.min(sb.columns, count);
  const rows = Math.ceil(count / columns);
  await runFfmpeg(
    ffmpeg,
    [
      '-framerate',
      '1',
      '-i',
      `${THUMBS_DIR}/%05d.jpg`,
      '-vf',
      `tile=${columns}x${rows}`,
      '-frames:v',
      '1',
      '-q:v',
      '5',
      STORYBOARD_IMAGE,
    ],
    { cwd: outDir, signal },
  );
  await rm(join(outDir, THUMBS_DIR), { recursive: true, force: true });
  const cues = Array.from({ length: count }, (_, i) => {
    const start = i * sb.intervalSeconds;
    const end = Math.min((i + 1) * sb.intervalSeconds, durationSeconds);
    const x = (i % columns) * sb.tileWidth;
    const y = Math.floor(i / columns) * sb.tileHeight;
    return `${vttTime(start)} --> ${vttTime(Math.max(end, start))}\n${STORYBOARD_IMAGE}#xywh=${x},${y},${sb.tileWidth},${sb.tileHeight}`;
  });
  await writeFile(join(outDir, STORYBOARD_INDEX), `WEBVTT\n\n${cues.join('\n\n')}\n`);
  return {
    image: STORYBOARD_IMAGE,
    index: STORYBOARD_INDEX,
    tileWidth: sb.tileWidth,
    tileHeight: sb.tileHeight,
    columns,
    rows,
    count,
    intervalSeconds: sb.intervalSeconds,
  };
}

/**
 * Measures each rung's segments (over both variants when marked) and rewrites the master playlist
 * with one entry per rung, its A playlist: BANDWIDTH is the peak bit rate of a segment (what the HLS
 * spec asks for; ffmpeg writes its target rate plus 10% instead), AVERAGE-BANDWIDTH the whole
 * rendition's, CODECS as ffmpeg wrote them. Segments shorter than half the target (a short last
 * one) do not count for the peak unless there is nothing else.
 */
async function measureRenditions(
  outDir: string,
  p: Plan,
): Promise<{ renditions: HlsRendition[]; segmentCount: number }> {
  const file = join(outDir, MASTER_PLAYLIST);
  const written = (await readFile(file, 'utf8')).split('\n').map((l) => l.trim());
  const rate = (bytes: number, seconds: number) => Math.ceil((bytes * 8) / seconds);
  const renditions: HlsRendition[] = [];
  let segmentCount = 0;
  for (const rung of p.ladder) {
    const playlists: HlsRendition['playlists'] = {};
    let bandwidth = 0;
    let averageBandwidth = 0;
    for (const { variant, name } of p.streams.filter((s) => s.rung === rung)) {
      const playlist = `${name}/index.m3u8`;
      const segments = await readSegments(outDir, playlist);
      if (segments.length === 0) throw new MediaError('FFMPEG_FAILED', `${playlist} lists no segments`);
      segmentCount = Math.max(segmentCount, segments.length);
      const full = segments.filter((s) => s.seconds >= p.segmentSeconds / 2);
      bandwidth = Math.max(
        bandwidth,
        ...(full.length > 0 ? full : segments).map((s) => rate(s.bytes, s.seconds)),
      );
      averageBandwidth = Math.max(
        averageBandwidth,
        rate(
          segments.reduce((sum, s) => sum + s.bytes, 0),
          segments.reduce((sum, s) => sum + s.seconds, 0),
        ),
      );
      playlists[variant] = playlist;
    }
    const info = written[written.indexOf(playlists.A!) - 1] ?? '';
    const codecs = /CODECS="([^"]+)"/.exec(info)?.[1];
    if (!info.startsWith('#EXT-X-STREAM-INF:') || !codecs)
      throw new MediaError('FFMPEG_FAILED', `the master playlist gives no codecs for ${playlists.A}`);
    renditions.push({
      name: rung.name,
      width: rung.width,
      height: rung.height,
      bandwidth,
      averageBandwidth,
      codecs,
      playlists,
    });
  }
  await writeFile(file, masterPlaylist(renditions.map((r) => ({ ...r, uri: r.playlists.A! }))));
  return { renditions, segmentCount };
}

/** A variant playlist with one entry per rendition. */
export function masterPlaylist(
  entries: {
    uri: string;
    width: number;
    height: number;
    bandwidth: number;
    averageBandwidth: number;
    codecs: string;
  }[],
): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const e of entries)
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${e.bandwidth},AVERAGE-BANDWIDTH=${e.averageBandwidth},` +
        `RESOLUTION=${e.width}x${e.height},CODECS="${e.codecs}"`,
      e.uri,
    );
  return `${lines.join('\n')}\n`;
}

/** A media playlist's segments: duration from EXTINF, size from the file. */
async function readSegments(outDir: string, playlist: string): Promise<{ seconds: number; bytes: number }[]> {
  const lines = (await readFile(join(outDir, playlist), 'utf8')).split('\n').map((l) => l.trim());
  const segments: { seconds: number; bytes: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const seconds = Number.parseFloat(lines[i]!.match(/^#EXTINF:([\d.]+)/)?.[1] ?? '');
    const uri = lines[i + 1];
    if (!Number.isFinite(seconds) || seconds <= 0 || !uri || uri.startsWith('#')) continue;
    segments.push({ seconds, bytes: (await stat(join(outDir, dirname(playlist), uri))).size });
  }
  return segments;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** A fresh random key and IV for a video (the caller stores the key encrypted at rest). */
export function generateHlsKey(keyUri: string): HlsKey {
  return { keyBytes: randomBytes(16), iv: randomBytes(16), keyUri };
}
