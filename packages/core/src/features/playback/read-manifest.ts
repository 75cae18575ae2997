import {
  HLS_DIR,
  hlsPrefix,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type MediaStorage,
  type VideoManifest,
} from '@ppv/media';

const CACHE_ENTRIES = 1000;
/** How long a remembered manifest is served before its file is stated again. */
const REVALIDATE_MS = 1000;
const cache = new Map<string, { mtimeMs: number; checkedAt: number; manifest: VideoManifest }>();

/**
 * A published video's `hls/manifest.json`, or null when nothing is published. Kept in memory and
 * re-read when the file changes (a new transcode publishes a new one); the file is stated at most
 * once a second, so most playlist requests touch no file at all, and a new or deleted manifest is
 * seen within a second (as the segment cache sees deleted segments, routes/media.ts).
 */
export async function readManifest(
  storage: MediaStorage,
  tenantId: string,
  videoId: string,
): Promise<VideoManifest | null> {
  const key = `${hlsPrefix(tenantId, videoId)}/${MANIFEST_FILE}`;
  const cached = cache.get(key);
  const now = performance.now();
  if (cached && now - cached.checkedAt < REVALIDATE_MS) return cached.manifest;
  const stat = await storage.stat(key);
  if (!stat) {
    cache.delete(key);
    return null;
  }
  if (cached && cached.mtimeMs === stat.mtime.getTime()) {
    cached.checkedAt = now;
    return cached.manifest;
  }
  let text = '';
  for await (const chunk of storage.read(key)) text += chunk;
  const manifest = JSON.parse(text) as VideoManifest;
  if (manifest.version !== MANIFEST_VERSION) {
    throw new Error(`${key}: manifest version ${manifest.version} is not ${MANIFEST_VERSION}`);
  }
  cache.delete(key);
  cache.set(key, { mtimeMs: stat.mtime.getTime(), checkedAt: now, manifest });
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return manifest;
}

/** The URL path of a published file of a video, served by `/media` (see resolvePublicMedia). */
export const mediaUrl = (tenantId: string, videoId: string, file: string) =>
  `/media/${tenantId}/${videoId}/${HLS_DIR}/${file}`;
