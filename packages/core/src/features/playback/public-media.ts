import { HLS_DIR } from '@ppv/media';
import type { AppDeps } from '../../deps';
import { readManifest } from './read-manifest';

export interface PublicMedia {
  /** The storage key to stream. */
  key: string;
  contentType: string;
  cacheControl: string;
  /** An encrypted segment: its name changes whenever its bytes would, so it may be kept in memory. */
  immutable: boolean;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/**
 * The only files `/media` serves, by the whole path: encrypted segments (`<index>-<tag>.ts`, whose
 * names only a session's playlist reveals), the free preview, the poster and the storyboard. Only
 * letters, digits, `.`, `_`, `-` and `/` can match, so percent-encoding (`%2e%2e`, `%2f`, double
 * encoding), backslashes, NULs and dot segments are refused before anything is decoded. The source,
 * the manifest, the per-variant playlists (all of one variant: no watermark) and the tracer's
 * reference never match.
 */
const PUBLIC_FILE = new RegExp(
  `^(?<tenant>${UUID})/(?<video>${UUID})/${HLS_DIR}/(?:` +
    '(?<segment>(?!preview/)[A-Za-z0-9_-]{1,32}/\\d{5,6}-[0-9a-f]{16}\\.ts)' +
    '|(?<preview>preview/(?:index\\.m3u8|seg_\\d{5,6}\\.ts))' +
    '|(?<still>poster\\.jpg|storyboard\\.jpg|storyboard\\.vtt)' +
    ')$',
);

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Preview, poster and storyboard keep their names when a video is transcoded again. */
const REVALIDATE = 'public, max-age=300';

const contentTypes: Record<string, string> = {
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  jpg: 'image/jpeg',
  vtt: 'text/vtt; charset=utf-8',
};

/**
 * What `GET /media/<path>` may serve on this tenant's host (`path` as sent, not decoded), or null.
 * The preview is served only while it is shorter than the video: a preview as long as the video
 * would be the whole video without encryption.
 */
export async function resolvePublicMedia(
  deps: Pick<AppDeps, 'storage'>,
  input: { tenantId: string; path: string },
): Promise<PublicMedia | null> {
  const match = PUBLIC_FILE.exec(input.path);
  const groups = match?.groups;
  if (!groups || groups.tenant !== input.tenantId) return null;
  const contentType = contentTypes[input.path.slice(input.path.lastIndexOf('.') + 1)]!;
  if (groups.segment) return { key: input.path, contentType, cacheControl: IMMUTABLE, immutable: true };
  if (groups.preview) {
    const manifest = await readManifest(deps.storage, groups.tenant, groups.video!);
    const preview = manifest?.preview;
    if (!manifest || !preview || preview.durationSeconds >= manifest.durationSeconds) return null;
  }
  return { key: input.path, contentType, cacheControl: REVALIDATE, immutable: false };
}
