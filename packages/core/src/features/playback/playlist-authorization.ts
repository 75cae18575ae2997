import type { TenantScopeDeps } from '../../deps';
import { type AuthorizedPlayback, authorizePlayback } from './authorize-playback';

/*
 * A player fetches the master playlist, a media playlist right after it, and another on every
 * rendition switch: within `config.media.playlistAuthorizationSeconds` (PLAYLIST_AUTH_CACHE_SECONDS)
 * those share one database read instead of one each, and a playlist served from a remembered
 * authorization touches no database at all (bench/viewers.ts: at 1,000 sessions starting together,
 * the hub and PostgreSQL share two cores and every round trip saved is CPU for the rest). Playlists
 * only list encrypted segments; the key endpoint, which decides whether they can be decrypted,
 * always asks the database.
 */
const MAX_ENTRIES = 20_000;

interface Entry {
  tenantId: string;
  token: string;
  until: number;
  playback: AuthorizedPlayback;
}

const authorized = new Map<string, Entry>();
/** Sessions ended in this process, with when: read afresh for as long as an authorization lasts. */
const ended = new Map<string, number>();
/** The longest an authorization has lasted in this process: how long an ending is remembered. */
let longestMs = 0;

/**
 * authorizePlayback for the playlist routes: the same checks, remembered for this session and token
 * until the earliest of a few seconds, the token's expiry and the session's. A session ended in this
 * process (forgetPlaybackSession) is read afresh at once; one ended through another hub process
 * can still be given its playlists for at most that long, never its key. Touches the database only
 * on a miss.
 */
export async function authorizePlaylist(
  deps: TenantScopeDeps,
  input: { sessionId: string; token: string | null },
): Promise<AuthorizedPlayback> {
  const ttlMs = deps.config.media.playlistAuthorizationSeconds * 1000;
  if (ttlMs === 0) return authorizePlayback(deps, input);
  longestMs = Math.max(longestMs, ttlMs);
  const now = deps.clock().getTime();
  const endedAt = ended.get(input.sessionId);
  if (endedAt !== undefined && now >= endedAt + longestMs) ended.delete(input.sessionId);
  const cacheable = !ended.has(input.sessionId);
  const hit = authorized.get(input.sessionId);
  if (
    cacheable &&
    hit &&
    hit.tenantId === deps.tenantId &&
    hit.token === input.token &&
    now < hit.until &&
    now >= hit.until - ttlMs
  ) {
    return hit.playback;
  }
  const playback = await authorizePlayback(deps, input);
  if (cacheable && input.token) {
    const until = Math.min(now + ttlMs, playback.claims.exp * 1000, playback.session.expiresAt.getTime());
    authorized.delete(input.sessionId);
    authorized.set(input.sessionId, { tenantId: deps.tenantId, token: input.token, until, playback });
    if (authorized.size > MAX_ENTRIES) authorized.delete(authorized.keys().next().value!);
  }
  return playback;
}

/** Called where a session ends: its playlists are refused from now on in this process. */
export function forgetPlaybackSession(sessionId: string, at: Date): void {
  authorized.delete(sessionId);
  ended.set(sessionId, at.getTime());
  if (ended.size > MAX_ENTRIES) ended.delete(ended.keys().next().value!);
}
