/**
 * The published layout of a transcoded video, shared by the worker that writes it and the hub that
 * serves it. Everything lives under the video's storage prefix `<tenantId>/<videoId>/` (see
 * docs/media.md):
 *
 *     source…                        the upload (its key is the video's source_key)
 *     hls/manifest.json              VideoManifest: what the hub needs to build a session's playlists
 *     hls/master.m3u8                variant playlist template (rendition playlists as `<name>/index.m3u8`)
 *     hls/<rendition>/A.m3u8, B.m3u8 media playlists of each watermark variant (key URI `key://<keyId>`)
 *     hls/<rendition>/00042-<tag>.ts encrypted segments of both variants, unguessable names
 *     hls/preview/…                  the free preview (unencrypted), when there is one
 *     hls/poster.jpg, storyboard.*   poster and thumbnail sprite with its WebVTT index
 *     hls/watermark/<rendition>.ppvwm the leak tracer's references (never served)
 *
 * A segment's name is `<index, 5 digits>-<tag>.ts` with tag = the first 16 hex digits of
 * HMAC-SHA256(segment secret, `<variant>/<rendition>/<index>`): a session's playlist names only the
 * variant it is given for each index, and the other variant's file cannot be guessed from it.
 */
import { createHmac } from 'node:crypto';
import type { HlsManifest } from './transcode';
import type { Variant } from './watermark';

/** The folder under a video's prefix that one transcode publishes atomically. */
export const HLS_DIR = 'hls';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

export const videoPrefix = (tenantId: string, videoId: string) => `${tenantId}/${videoId}`;
export const hlsPrefix = (tenantId: string, videoId: string) => `${tenantId}/${videoId}/${HLS_DIR}`;

/** The 16-hex-digit tag that makes a segment's file name unguessable without the video's secret. */
export function segmentTag(secret: Uint8Array, variant: Variant, rendition: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`segment index must be ≥ 0, not ${index}`);
  return createHmac('sha256', secret).update(`${variant}/${rendition}/${index}`).digest('hex').slice(0, 16);
}

/** `00042-3f2a9c0b1d4e5f60.ts`: segment `index` of `variant` of `rendition`. */
export function segmentFileName(
  secret: Uint8Array,
  variant: Variant,
  rendition: string,
  index: number,
): string {
  return `${String(index).padStart(5, '0')}-${segmentTag(secret, variant, rendition, index)}.ts`;
}

/** `hls/manifest.json`: the facts of a published video, relative paths under `hls/`. */
export interface VideoManifest {
  version: typeof MANIFEST_VERSION;
  durationSeconds: number;
  /** Target segment length; every rendition's segment k covers the same time. */
  segmentSeconds: number;
  segmentCount: number;
  /** Duration of segment k, the same in every rendition and variant. */
  segmentDurations: number[];
  /** `['A', 'B']` when the forensic watermark variants were made, else `['A']` (unmarked). */
  variants: Variant[];
  /** Top rung first. */
  renditions: ManifestRendition[];
  /** As `transcodeToHls` made them (paths relative to `hls/`). */
  preview: HlsManifest['preview'];
  poster: HlsManifest['poster'];
  storyboard: HlsManifest['storyboard'];
  /**
   * The tracer's references for the A/B mark, or null when unmarked: one per rendition (each made at
   * its size); `reference` is the top rendition's, the one to trace with by default.
   */
  watermark: { reference: string; references: Record<string, string> } | null;
}

export interface ManifestRendition {
  name: string;
  width: number;
  height: number;
  /** Peak bits per second of a segment (the master playlist's BANDWIDTH). */
  bandwidth: number;
  averageBandwidth: number;
  /** RFC 6381 codecs as in the master playlist, e.g. `avc1.64001f,mp4a.40.2`. */
  codecs: string;
  /** The media playlist of each variant, e.g. `{ A: '720p/A.m3u8', B: '720p/B.m3u8' }`. */
  playlists: Partial<Record<Variant, string>>;
}
