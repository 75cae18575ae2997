import {
  HLS_DIR,
  hlsPrefix,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type MediaStorage,
  type VideoManifest,
} from '@ppv/media';

const CACHE_ENTRIES = 1000;
const cache = new Map<string, { mtimeMs: number; manifest: VideoManifest }>();

/**
 * A published video's `hls/manifest.json`, or null when nothing is published. Kept in memory and
 * re-read when the file changes (a new transcode publishes a new one), so a playlist request costs
 * one `stat`.
 */
export async function readManifest(
  storage: MediaStorage,
  tenantId: string,
  videoId: string,
): Promise<VideoManifest | null> {
  const key = `${hlsPrefix(tenantId, videoId)}/${MANIFEST_FILE}`;
  const stat = await storage.stat(key);
  if (!stat) return null;
  const cached = cache.get(key);
  if (cached && cached.mtimeMs === stat.mtime.getTime()) return cached.manifest;
  let text = '';
  for await (const chunk of storage.read(key)) text += chunk;
  const manifest = JSON.parse(text) as VideoManifest;
  if (manifest.version !== MANIFEST_VERSION) {
    throw new Error(`${key}: manifest version ${manifest.version} is not ${MANIFEST_VERSION}`);
  }
  cache.delete(key);
  cache.set(key, { mtimeMs: stat.mtime.getTime(), manifest });
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return manifest;
}

/** The URL path of a published file of a video, served by `/media` (see resolvePublicMedia). */
export const mediaUrl = (tenantId: string, videoId: string, file: string) =>
  `/media/${tenantId}/${videoId}/${HLS_DIR}/${file}`;
