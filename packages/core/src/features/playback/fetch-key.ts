import { recordKeyFetch, VideoKeyEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { unseal } from '../../lib/sealing';
import { canWatch } from '../access/can-watch';
import { hitRateLimit } from '../rate-limit/hit-rate-limit';
import { authorizePlayback } from './authorize-playback';

/** Key fetches allowed per playback session per window: a player needs one, a seek-happy one a few. */
export const KEY_FETCHES_PER_WINDOW = 30;
export const KEY_FETCH_WINDOW_SECONDS = 60;

const denials = {
  sign_in_required: ['UNAUTHORIZED', 'Sign in to watch this video'],
  payment_required: ['PAYMENT_REQUIRED', 'Access to this video was withdrawn'],
  not_ready: ['PRECONDITION_FAILED', 'This video is not ready to play'],
} as const;

/**
 * `/play/<sessionId>/key`: the video's 16-byte AES-128 content key, the only thing that unlocks its
 * segments. Needs a valid token for this live session (authorizePlayback) and, because access can be
 * withdrawn mid-session, `canWatch` again; rate-limited per session; every fetch is recorded in
 * key_fetches with the caller's address.
 */
export async function fetchPlaybackKey(
  deps: TenantDeps,
  input: { sessionId: string; token: string | null; ip: string | null },
): Promise<Buffer> {
  const { session, video } = await authorizePlayback(deps, input);
  await hitRateLimit(
    deps.orm,
    `playback-key:${session.id}`,
    KEY_FETCHES_PER_WINDOW,
    KEY_FETCH_WINDOW_SECONDS,
    'Too many key requests for this playback session; please wait a moment',
  );
  const access = await canWatch(deps.em, session.userId, video);
  if (!access.allowed) {
    const [code, message] = denials[access.reason];
    throw new AppError(code, message);
  }
  const key = await deps.em.findOne(VideoKeyEntity, { videoId: video.id });
  if (!key) throw new Error(`video ${video.id} is ready but has no key`);
  await recordKeyFetch(deps.em, {
    tenantId: deps.tenantId,
    sessionId: session.id,
    ip: input.ip || null,
    at: deps.clock(),
  });
  return unseal(deps.config.media.masterKey, key.sealedKey, `key:${video.id}`);
}
