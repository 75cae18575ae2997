/**
 * Turns a transcode's output into the published layout of layout.ts, in place: every encrypted
 * segment under its unguessable name, one media playlist per rendition and variant, the master
 * playlist's bandwidths, the tracer's references and `manifest.json`. Runs on a private staging
 * folder, before it is published.
 *
 * Without watermark variants, the plain ladder of `transcodeToHls` (already encrypted) becomes
 * variant A. With them (makeWatermarkedLadder), each rendition's A and B segments are encrypted here
 * with the video's key and IV (AES-128-CBC over the whole segment, as HLS AES-128 specifies) and
 * the plain ladder's segments are dropped: nothing unmarked is published.
 */
import { createCipheriv } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaError } from './errors';
import {
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type ManifestRendition,
  segmentFileName,
  type VideoManifest,
} from './layout';
import type { HlsKey, HlsManifest, HlsRendition } from './transcode';
import type { Variant } from './watermark';
import type { WatermarkedRung } from './watermarked-ladder';

export interface PackageLayoutOptions {
  /** The folder `transcodeToHls` wrote into. */
  outDir: string;
  /** What `transcodeToHls` returned. */
  hls: HlsManifest;
  /** The video's segment secret, which names the segment files. */
  segmentSecret: Uint8Array;
  /** The A/B variants of every rendition and the key to encrypt them with; null for an unmarked video. */
  watermark?: { rungs: WatermarkedRung[]; key: HlsKey } | null;
}

/** A media playlist's lines, with the index of each segment's URI line and its duration. */
export interface PlaylistSegments {
  lines: string[];
  uriLines: number[];
  durations: number[];
}

/** Reads a VOD media playlist's segment URIs and #EXTINF durations. */
export function parseMediaPlaylist(text: string): PlaylistSegments {
  const lines = text.split('\n');
  const uriLines: number[] = [];
  const durations: number[] = [];
  let pending: number | null = null;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const extinf = /^#EXTINF:([\d.]+)/.exec(line);
    if (extinf) pending = Number.parseFloat(extinf[1]!);
    else if (line && !line.startsWith('#')) {
      if (pending === null) throw new MediaError('FFMPEG_FAILED', `segment ${line} has no #EXTINF`);
      uriLines.push(i);
      durations.push(pending);
      pending = null;
    }
  });
  return { lines, uriLines, durations };
}

/** Segment k of two renditions or variants may differ by this much (frame rounding) and still align. */
const ALIGNMENT_TOLERANCE_SECONDS = 0.1;
const WATERMARK_DIR = 'watermark';

interface Packaged {
  playlists: Partial<Record<Variant, string>>;
  durations: number[];
  /** Peak and mean bits per second over every variant. */
  bandwidth: number;
  averageBandwidth: number;
}

export async function packageLayout(options: PackageLayoutOptions): Promise<VideoManifest> {
  const { outDir, hls, segmentSecret, watermark } = options;
  if (segmentSecret.length < 16) throw new MediaError('BAD_OPTIONS', 'the segment secret is too short');
  const masterFile = join(outDir, hls.master);
  let master = await readFile(masterFile, 'utf8');
  let timeline: number[] | null = null;
  const renditions: ManifestRendition[] = [];
  const references: Record<string, string> = {};
  for (const rendition of hls.renditions) {
    let packaged: Packaged;
    if (watermark) {
      const marked = watermark.rungs.find((r) => r.rung.name === rendition.name);
      if (!marked) throw new MediaError('BAD_OPTIONS', `no watermark variants for ${rendition.name}`);
      packaged = await packageVariants(
        outDir,
        rendition,
        marked,
        segmentSecret,
        watermark.key,
        hls.segmentSeconds,
      );
      await mkdir(join(outDir, WATERMARK_DIR), { recursive: true });
      references[rendition.name] = `${WATERMARK_DIR}/${rendition.name}.ppvwm`;
      await rename(marked.referenceFile, join(outDir, references[rendition.name]!));
    } else {
      packaged = await packagePlain(outDir, rendition, segmentSecret);
    }
    timeline = aligned(timeline, packaged.durations, rendition.name);
    master = withBandwidth(master, rendition.playlist, packaged.bandwidth, packaged.averageBandwidth);
    renditions.push({
      name: rendition.name,
      width: rendition.width,
      height: rendition.height,
      bandwidth: packaged.bandwidth,
      averageBandwidth: packaged.averageBandwidth,
      codecs: codecsOf(master, rendition.playlist),
      playlists: packaged.playlists,
    });
  }
  await writeFile(masterFile, master);
  const manifest: VideoManifest = {
    version: MANIFEST_VERSION,
    durationSeconds: hls.durationSeconds,
    segmentSeconds: hls.segmentSeconds,
    segmentCount: timeline?.length ?? 0,
    segmentDurations: timeline ?? [],
    variants: watermark ? ['A', 'B'] : ['A'],
    renditions,
    preview: hls.preview,
    poster: hls.poster,
    storyboard: hls.storyboard,
    watermark: watermark ? { reference: references[hls.renditions[0]!.name]!, references } : null,
  };
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The plain ladder (encrypted by ffmpeg) as variant A: segments renamed, `A.m3u8` written. */
async function packagePlain(outDir: string, rendition: HlsRendition, secret: Uint8Array): Promise<Packaged> {
  const dir = join(outDir, rendition.name);
  const parsed = parseMediaPlaylist(await readFile(join(outDir, rendition.playlist), 'utf8'));
  for (const [k, at] of parsed.uriLines.entries()) {
    const name = segmentFileName(secret, 'A', rendition.name, k);
    await rename(join(dir, plainSegment(parsed.lines[at]!)), join(dir, name));
    parsed.lines[at] = name;
  }
  const playlist = `${rendition.name}/A.m3u8`;
  await writeFile(join(outDir, playlist), parsed.lines.join('\n'));
  await rm(join(outDir, rendition.playlist));
  return {
    playlists: { A: playlist },
    durations: parsed.durations,
    bandwidth: rendition.bandwidth,
    averageBandwidth: rendition.averageBandwidth,
  };
}

/**
 * A rendition's A and B variants, encrypted into its folder under their names, with `A.m3u8` and
 * `B.m3u8`; the plain ladder's segments and playlist for the rendition are removed.
 */
async function packageVariants(
  outDir: string,
  rendition: HlsRendition,
  marked: WatermarkedRung,
  secret: Uint8Array,
  key: HlsKey,
  segmentSeconds: number,
): Promise<Packaged> {
  const dir = join(outDir, rendition.name);
  const plain = parseMediaPlaylist(await readFile(join(outDir, rendition.playlist), 'utf8'));
  for (const at of plain.uriLines) await rm(join(dir, plainSegment(plain.lines[at]!)));
  await rm(join(outDir, rendition.playlist));
  const keyLine = `#EXT-X-KEY:METHOD=AES-128,URI="${key.keyUri}",IV=0x${Buffer.from(key.iv).toString('hex')}`;
  const playlists: Packaged['playlists'] = {};
  const sizes: { bytes: number; seconds: number }[][] = [];
  let durations: number[] | null = null;
  for (const [variant, from] of [
    ['A', marked.dirA],
    ['B', marked.dirB],
  ] as const) {
    const parsed = parseMediaPlaylist(await readFile(join(from, 'index.m3u8'), 'utf8'));
    durations = aligned(durations, parsed.durations, `${rendition.name} ${variant}`);
    const measured: { bytes: number; seconds: number }[] = [];
    for (const [k, at] of parsed.uriLines.entries()) {
      const name = segmentFileName(secret, variant, rendition.name, k);
      const encrypted = encryptSegment(await readFile(join(from, plainSegment(parsed.lines[at]!))), key);
      await writeFile(join(dir, name), encrypted);
      measured.push({ bytes: encrypted.length, seconds: parsed.durations[k]! });
      parsed.lines[at] = name;
    }
    const first = parsed.lines.findIndex((l) => l.startsWith('#EXTINF'));
    parsed.lines.splice(first, 0, keyLine);
    playlists[variant] = `${rendition.name}/${variant}.m3u8`;
    await writeFile(join(outDir, playlists[variant]), parsed.lines.join('\n'));
    sizes.push(measured);
  }
  const rates = sizes.map((segments) => bitRates(segments, segmentSeconds));
  return {
    playlists,
    durations: durations ?? [],
    bandwidth: Math.max(...rates.map((r) => r.peak)),
    averageBandwidth: Math.max(...rates.map((r) => r.mean)),
  };
}

/** HLS AES-128: AES-128-CBC over the whole segment with PKCS#7 padding. */
function encryptSegment(data: Buffer, key: HlsKey): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key.keyBytes, key.iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Peak (segments of at least half the target length, unless none is) and mean bits per second. */
function bitRates(segments: { bytes: number; seconds: number }[], segmentSeconds: number) {
  const rate = (bytes: number, seconds: number) => Math.ceil((bytes * 8) / seconds);
  const full = segments.filter((s) => s.seconds >= segmentSeconds / 2);
  return {
    peak: Math.max(...(full.length > 0 ? full : segments).map((s) => rate(s.bytes, s.seconds))),
    mean: rate(
      segments.reduce((sum, s) => sum + s.bytes, 0),
      segments.reduce((sum, s) => sum + s.seconds, 0),
    ),
  };
}

/** An ffmpeg-named segment URI, checked before it becomes part of a path. */
function plainSegment(line: string): string {
  const uri = line.trim();
  if (!/^seg_\d+\.ts$/.test(uri)) throw new MediaError('FFMPEG_FAILED', `unexpected segment name ${uri}`);
  return uri;
}

function aligned(timeline: number[] | null, durations: number[], what: string): number[] {
  if (durations.length === 0) throw new MediaError('FFMPEG_FAILED', `${what} has no segments`);
  if (!timeline) return durations;
  const same =
    timeline.length === durations.length &&
    timeline.every((d, k) => Math.abs(d - durations[k]!) <= ALIGNMENT_TOLERANCE_SECONDS);
  if (!same)
    throw new MediaError(
      'FFMPEG_FAILED',
      `${what} is not aligned with the other renditions (${durations.length} segments, expected ${timeline.length})`,
    );
  return timeline;
}

/** The master playlist with the entry for `playlist` given these bandwidths. */
function withBandwidth(master: string, playlist: string, bandwidth: number, average: number): string {
  const lines = master.split('\n');
  const at = lines.findIndex((l) => l.trim() === playlist);
  const info = lines[at - 1];
  if (at < 1 || !info?.startsWith('#EXT-X-STREAM-INF:'))
    throw new MediaError('FFMPEG_FAILED', `the master playlist does not list ${playlist}`);
  const rest = info
    .slice('#EXT-X-STREAM-INF:'.length)
    .replace(/(^|,)(AVERAGE-)?BANDWIDTH=\d+/g, '')
    .replace(/^,/, '');
  lines[at - 1] =
    `#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},AVERAGE-BANDWIDTH=${average}${rest ? `,${rest}` : ''}`;
  return lines.join('\n');
}

/** The CODECS attribute of the master playlist entry for `playlist`. */
function codecsOf(master: string, playlist: string): string {
  const lines = master.split('\n').map((l) => l.trim());
  const info = lines[lines.indexOf(playlist) - 1] ?? '';
  const codecs = /CODECS="([^"]+)"/.exec(info)?.[1];
  if (!codecs) throw new MediaError('FFMPEG_FAILED', `the master playlist gives no codecs for ${playlist}`);
  return codecs;
}
