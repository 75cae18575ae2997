import { recordKeyFetch, tenantStatement } from '@ppv/db';
import type { TenantScopeDeps } from '../../deps';
import { AppError } from '../../errors';
import { unseal } from '../../lib/sealing';
import { decideAccess } from '../access/can-watch';
import { authorizePlayback } from './authorize-playback';

/** Key fetches allowed per playback session per window: a player needs one, a seek-happy one a few. */
export const KEY_FETCHES_PER_WINDOW = 30;
export const KEY_FETCH_WINDOW_SECONDS = 60;

const denials = {
  sign_in_required: ['UNAUTHORIZED', 'Sign in to watch this video'],
  payment_required: ['PAYMENT_REQUIRED', 'Access to this video was withdrawn'],
  blocked: ['FORBIDDEN', 'The creator of this video has blocked you'],
  not_ready: ['PRECONDITION_FAILED', 'This video is not ready to play'],
} as const;

/**
 * `/play/<sessionId>/key`: the video's 16-byte AES-128 content key, the only thing that unlocks its
 * segments. Needs a valid token for this live session (authorizePlayback) and, because access can be
 * withdrawn mid-session, access again (decideAccess, on the standing the same query read); at most
 * KEY_FETCHES_PER_WINDOW keys per session in any KEY_FETCH_WINDOW_SECONDS (counted in key_fetches);
 * every fetch is recorded in key_fetches with the caller's address. Two round trips, no explicit
 * transaction: the lookup and the record, each a statement of its own in the tenant's scope. A
 * record that fails fails the request, so no key leaves unrecorded.
 */
export async function fetchPlaybackKey(
  deps: TenantScopeDeps,
  input: { sessionId: string; token: string | null; ip: string | null },
): Promise<Buffer> {
  const now = deps.clock();
  const windowMs = KEY_FETCH_WINDOW_SECONDS * 1000;
  const { session, video, key, viewer, recentKeyFetches } = await authorizePlayback(deps, {
    ...input,
    keyFetchesSince: new Date(now.getTime() - windowMs),
  });
  if (recentKeyFetches.count >= KEY_FETCHES_PER_WINDOW) {
    const oldest = recentKeyFetches.oldestAt?.getTime() ?? now.getTime();
    throw new AppError(
      'TOO_MANY_REQUESTS',
      'Too many key requests for this playback session; please wait a moment',
      { retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now.getTime()) / 1000)) },
    );
  }
  const access = decideAccess(session.userId, video, viewer);
  if (!access.allowed) {
    const [code, message] = denials[access.reason];
    throw new AppError(code, message);
  }
  if (!key) throw new Error(`video ${video.id} is ready but has no key`);
  await recordKeyFetch(tenantStatement(deps.orm, deps.tenantId), {
    tenantId: deps.tenantId,
    sessionId: session.id,
    ip: input.ip || null,
    at: now,
  });
  return unseal(deps.config.media.masterKey, key.sealedKey, `key:${video.id}`);
}
