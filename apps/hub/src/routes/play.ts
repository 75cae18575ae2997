import {
  type AppDeps,
  AppError,
  fetchPlaybackKey,
  httpStatusOf,
  masterPlaylist,
  mediaPlaylist,
  playbackTokenOf,
} from '@ppv/core';
import express, { type Response } from 'express';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEDIA_PLAYLIST = /^([A-Za-z0-9_-]{1,32})\.m3u8$/;
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

const notFound = (res: Response) =>
  res.status(404).json({ error: { message: 'Not found', code: 'NOT_FOUND' } });

/**
 * A playback session's delivery: `master.m3u8`, `<rendition>.m3u8` and `key`, each needing the
 * session's playback token in `Authorization: Bearer` or `?token=` (see authorizePlayback). None of
 * it may be cached: playlists differ per session and the key is the gate.
 */
export function playRoutes(deps: AppDeps): express.Router {
  const router = express.Router();
  router.get('/play/:sessionId/:file', async (req, res, next) => {
    const { sessionId, file } = req.params;
    if (!SESSION_ID.test(sessionId)) return notFound(res);
    const rendition = MEDIA_PLAYLIST.exec(file)?.[1];
    if (file !== 'key' && !rendition) return notFound(res);
    const authorization = req.get('authorization');
    const token = playbackTokenOf(authorization, req.query.token);
    // A token sent in the query goes into the playlist's URIs, for clients that cannot set headers.
    const uriToken = authorization ? null : token;
    const tenantId = req.tenant.id;
    try {
      res.set('cache-control', 'no-store');
      if (file === 'key') {
        const key = await fetchPlaybackKey({ ...deps, tenantId }, { sessionId, token, ip: req.ip ?? null });
        res.type('application/octet-stream').send(key);
        return;
      }
      // No transaction: each use-case runs its statements on their own in the tenant's scope.
      const playlist =
        rendition && file !== 'master.m3u8'
          ? await mediaPlaylist({ ...deps, tenantId }, { sessionId, rendition, token, uriToken })
          : await masterPlaylist({ ...deps, tenantId }, { sessionId, token, uriToken });
      res.type(PLAYLIST_TYPE).send(playlist);
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      const retryAfter = error.details.retryAfterSeconds;
      if (retryAfter) res.set('retry-after', String(retryAfter));
      req.log.info({ code: error.code, sessionId, file }, error.message);
      res.status(httpStatusOf[error.code]).json({ error: { message: error.message, code: error.code } });
    }
  });
  return router;
}
