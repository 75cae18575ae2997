import { segmentFileName } from '@ppv/media';
import { codewordFor } from '@ppv/media/watermark';
import type { TenantScopeDeps } from '../../deps';
import { AppError } from '../../errors';
import { unseal } from '../../lib/sealing';
import { tokenQuery } from './master-playlist';
import { authorizePlaylist } from './playlist-authorization';
import { mediaUrl, readManifest } from './read-manifest';

/**
 * `/play/<sessionId>/<rendition>.m3u8`: the rendition's media playlist as this session sees it.
 * Segment k is variant A or B as the session's codeword says (the forensic watermark), named by
 * the video's segment secret, so the playlist reveals only the files this session is given. The
 * key URI points at this session's key endpoint (relative), with the token when it came in the query.
 */
export async function mediaPlaylist(
  deps: TenantScopeDeps,
  input: { sessionId: string; rendition: string; token: string | null; uriToken: string | null },
): Promise<string> {
  const { session, video, key } = await authorizePlaylist(deps, input);
  const manifest = await readManifest(deps.storage, deps.tenantId, video.id);
  const rendition = manifest?.renditions.find((r) => r.name === input.rendition);
  if (!manifest || !rendition)
    throw new AppError('NOT_FOUND', `This video has no rendition "${input.rendition}"`);
  if (!key) throw new Error(`video ${video.id} is ready but has no key`);
  const secret = unseal(deps.config.media.masterKey, key.sealedSegmentSecret, `segments:${video.id}`);

  const durations = manifest.segmentDurations;
  const marked = manifest.variants.includes('A') && manifest.variants.includes('B');
  const codeword = marked ? codewordFor(session.seed, durations.length) : null;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...durations, 1))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-KEY:METHOD=AES-128,URI="key${tokenQuery(input.uriToken)}",IV=0x${key.iv.toString('hex')}`,
  ];
  durations.forEach((seconds, k) => {
    const variant = codeword?.[k] ? 'B' : 'A';
    const file = segmentFileName(secret, variant, rendition.name, k);
    lines.push(
      `#EXTINF:${seconds.toFixed(6)},`,
      mediaUrl(deps.tenantId, video.id, `${rendition.name}/${file}`),
    );
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
