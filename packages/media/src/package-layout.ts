/**
 * Turns a transcode's output into the published layout of layout.ts, in place: every encrypted
 * segment (of both variants when watermarked) under its unguessable name in its rendition's folder,
 * one media playlist per rendition and variant (`A.m3u8`, `B.m3u8`), the master playlist template,
 * and `manifest.json`. Runs on a private staging folder, before it is published. Segments are
 * renamed, never rewritten: ffmpeg already encrypted them with the video's key and IV.
 */
import { readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MediaError } from './errors';
import {
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type ManifestRendition,
  segmentFileName,
  type VideoManifest,
} from './layout';
import { type HlsManifest, type HlsRendition, masterPlaylist } from './transcode';
import type { Variant } from './watermark';

export interface PackageLayoutOptions {
  /** The folder `transcodeToHls` wrote into. */
  outDir: string;
  /** What `transcodeToHls` returned. */
  hls: HlsManifest;
  /** The video's segment secret, which names the segment files. */
  segmentSecret: Uint8Array;
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

export async function packageLayout(options: PackageLayoutOptions): Promise<VideoManifest> {
  const { outDir, hls, segmentSecret } = options;
  if (segmentSecret.length < 16) throw new MediaError('BAD_OPTIONS', 'the segment secret is too short');
  let timeline: number[] | null = null;
  const renditions: ManifestRendition[] = [];
  for (const rendition of hls.renditions) {
    const playlists: ManifestRendition['playlists'] = {};
    for (const variant of hls.variants) {
      const durations = await packageVariant(outDir, rendition, variant, segmentSecret);
      timeline = aligned(timeline, durations, `${rendition.name} ${variant}`);
      playlists[variant] = `${rendition.name}/${variant}.m3u8`;
    }
    const { name, width, height, bandwidth, averageBandwidth, codecs } = rendition;
    renditions.push({ name, width, height, bandwidth, averageBandwidth, codecs, playlists });
  }
  // The template: rendition playlists as `<name>/index.m3u8`, which the hub serves per session.
  await writeFile(
    join(outDir, hls.master),
    masterPlaylist(renditions.map((r) => ({ ...r, uri: `${r.name}/index.m3u8` }))),
  );
  const references = hls.watermark?.references ?? null;
  const manifest: VideoManifest = {
    version: MANIFEST_VERSION,
    durationSeconds: hls.durationSeconds,
    segmentSeconds: hls.segmentSeconds,
    segmentCount: timeline?.length ?? 0,
    segmentDurations: timeline ?? [],
    variants: hls.variants,
    renditions,
    preview: hls.preview,
    poster: hls.poster,
    storyboard: hls.storyboard,
    watermark: references ? { reference: references[hls.renditions[0]!.name]!, references } : null,
  };
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * One variant of a rendition: its segments renamed into the rendition's folder, `<variant>.m3u8`
 * written there naming them, ffmpeg's playlist (and the variant's own folder) removed. Returns the
 * segment durations.
 */
async function packageVariant(
  outDir: string,
  rendition: HlsRendition,
  variant: Variant,
  secret: Uint8Array,
): Promise<number[]> {
  const playlist = rendition.playlists[variant];
  if (!playlist) throw new MediaError('BAD_OPTIONS', `${rendition.name} has no variant ${variant}`);
  const from = join(outDir, dirname(playlist));
  const dir = join(outDir, rendition.name);
  const parsed = parseMediaPlaylist(await readFile(join(outDir, playlist), 'utf8'));
  for (const [k, at] of parsed.uriLines.entries()) {
    const name = segmentFileName(secret, variant, rendition.name, k);
    await rename(join(from, plainSegment(parsed.lines[at]!)), join(dir, name));
    parsed.lines[at] = name;
  }
  await writeFile(join(dir, `${variant}.m3u8`), parsed.lines.join('\n'));
  await rm(join(outDir, playlist));
  if (from !== dir) {
    const left = await readdir(from);
    if (left.length > 0)
      throw new MediaError('FFMPEG_FAILED', `unexpected files in ${dirname(playlist)}: ${left.join(', ')}`);
    await rmdir(from);
  }
  return parsed.durations;
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
