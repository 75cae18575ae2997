import { PlaybackSessionEntity, UserEntity, VideoEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';

/** Most sessions `playback.watching` lists. */
export const WATCHING_MAX = 200;

/**
 * The live playback sessions (not ended, not expired) of the caller's own videos, newest first:
 * who watches which video since when, with the session code the watermark overlay shows.
 */
export async function listWatching(deps: TenantDeps, input: { auth: AuthInfo }) {
  const now = deps.clock();
  const videos = await deps.em.find(
    VideoEntity,
    { creatorId: input.auth.userId },
    { fields: ['id', 'title'] },
  );
  if (videos.length === 0) return [];
  const titleOf = new Map(videos.map((v) => [v.id, v.title]));
  const sessions = await deps.em.find(
    PlaybackSessionEntity,
    { videoId: { $in: [...titleOf.keys()] }, endedAt: null, expiresAt: { $gt: now } },
    { orderBy: { createdAt: 'desc', id: 'desc' }, limit: WATCHING_MAX },
  );
  const viewers = sessions.length
    ? await deps.em.find(
        UserEntity,
        { id: { $in: [...new Set(sessions.map((s) => s.userId))] } },
        {
          fields: ['id', 'username'],
        },
      )
    : [];
  const nameOf = new Map(viewers.map((u) => [u.id, u.username]));
  return sessions.map((s) => ({
    sessionId: s.id,
    videoId: s.videoId,
    videoTitle: titleOf.get(s.videoId) ?? '',
    viewer: nameOf.get(s.userId) ?? null,
    code: s.code,
    startedAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
  }));
}
