import { findPlaybackGrant, type PlaybackGrant, tenantStatement } from '@ppv/db';
import type { TenantScopeDeps } from '../../deps';
import { AppError } from '../../errors';
import { type PlaybackClaims, verifyPlaybackToken } from './playback-token';

export interface AuthorizedPlayback {
  claims: PlaybackClaims;
  session: PlaybackGrant['session'];
  video: NonNullable<PlaybackGrant['video']>;
  key: PlaybackGrant['key'];
  viewer: PlaybackGrant['viewer'];
  recentKeyFetches: PlaybackGrant['recentKeyFetches'];
}

/** `Authorization: Bearer <token>` first, else `?token=`; null when neither carries one. */
export function playbackTokenOf(authorization: string | undefined, query: unknown): string | null {
  const bearer = authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (bearer) return bearer;
  return typeof query === 'string' && query.length > 0 ? query : null;
}

/**
 * The gate of every `/play/<sessionId>/…` request: a playback token that is genuine, unexpired,
 * issued by this tenant and bound to this session, whose session is still live and whose video is
 * still ready. Runs in the request's tenant scope, so another tenant's session is simply not found.
 * The token is checked before the database is asked; then one query (findPlaybackGrant) reads the
 * session, its video and keys, the viewer's standing and, with `keyFetchesSince`, the session's
 * recent key fetches. Throws UNAUTHORIZED, TENANT_MISMATCH, FORBIDDEN, NOT_FOUND or GONE with a
 * readable reason.
 */
export async function authorizePlayback(
  deps: TenantScopeDeps,
  input: { sessionId: string; token: string | null; keyFetchesSince?: Date },
): Promise<AuthorizedPlayback> {
  if (!input.token) {
    throw new AppError(
      'UNAUTHORIZED',
      'A playback token is required (Authorization: Bearer <token>, or ?token=<token>)',
    );
  }
  const now = deps.clock();
  const verified = verifyPlaybackToken(deps.config.media.playbackKeys, input.token, now);
  if (!verified.ok) {
    throw new AppError(
      'UNAUTHORIZED',
      verified.problem === 'expired'
        ? 'This playback token has expired; refresh it to keep watching'
        : 'This playback token is not valid',
    );
  }
  const { claims } = verified;
  if (claims.tid !== deps.tenantId) {
    throw new AppError('TENANT_MISMATCH', 'This playback token was issued by another site');
  }
  if (claims.sid !== input.sessionId) {
    throw new AppError('FORBIDDEN', 'This playback token belongs to another playback session');
  }
  const grant = await findPlaybackGrant(tenantStatement(deps.orm, deps.tenantId), {
    sessionId: input.sessionId,
    keyFetchesSince: input.keyFetchesSince ?? null,
    at: now,
  });
  if (!grant) throw new AppError('NOT_FOUND', 'This playback session does not exist (any more)');
  const { session, video } = grant;
  if (session.videoId !== claims.vid || session.userId !== claims.uid) {
    throw new AppError('FORBIDDEN', 'This playback token was issued for another video');
  }
  if (session.endedAt) throw new AppError('GONE', 'This playback session was ended; start a new one');
  if (session.expiresAt <= now) throw new AppError('GONE', 'This playback session expired; start a new one');
  if (!video) throw new AppError('NOT_FOUND', 'This video was deleted');
  if (video.status !== 'ready') throw new AppError('PRECONDITION_FAILED', 'This video is not ready to play');
  return { ...grant, claims, video };
}
