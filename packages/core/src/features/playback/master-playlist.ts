import type { TenantScopeDeps } from '../../deps';
import { AppError } from '../../errors';
import { authorizePlaylist } from './playlist-authorization';
import { readManifest } from './read-manifest';

/** `?token=…` to append to a playlist's URIs, when the token came in the query (ffmpeg, Safari). */
export const tokenQuery = (uriToken: string | null) =>
  uriToken ? `?token=${encodeURIComponent(uriToken)}` : '';

/**
 * `/play/<sessionId>/master.m3u8`: the session's variant playlist, one entry per rendition, each
 * pointing at this session's media playlist (`<rendition>.m3u8`, relative). A token that came in the
 * query is carried into those URIs; one sent in a header is expected on every request.
 */
export async function masterPlaylist(
  deps: TenantScopeDeps,
  input: { sessionId: string; token: string | null; uriToken: string | null },
): Promise<string> {
  const { video } = await authorizePlaylist(deps, input);
  const manifest = await readManifest(deps.storage, deps.tenantId, video.id);
  if (!manifest) throw new AppError('NOT_FOUND', 'This video has no published stream');
  const query = tokenQuery(input.uriToken);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of manifest.renditions) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},` +
        `RESOLUTION=${r.width}x${r.height},CODECS="${r.codecs}"`,
      `${r.name}.m3u8${query}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
