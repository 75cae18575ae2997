import type { MediaConfig } from '../../deps';
import { b64url, fromB64url, hmac, safeEqual } from '../../lib/crypto';

/** What a playback token binds: viewer, video, playback session and tenant, until `exp`. */
export interface PlaybackClaims {
  sid: string;
  vid: string;
  uid: string;
  tid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export type TokenProblem = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired';

/** `b64url(JSON header+claims).b64url(HMAC-SHA256)`, signed with the current key id. */
export function signPlaybackToken(keys: MediaConfig['playbackKeys'], claims: PlaybackClaims): string {
  const body = b64url(Buffer.from(JSON.stringify({ kid: keys.current, ...claims })));
  const key = keys.keys[keys.current];
  if (!key) throw new Error(`playback signing key "${keys.current}" is not configured`);
  return `${body}.${b64url(hmac(key.toString('binary'), body))}`;
}

/**
 * Verifies with the key the token names, so tokens signed before a rotation keep working while
 * their key is still configured.
 */
export function verifyPlaybackToken(
  keys: MediaConfig['playbackKeys'],
  token: string,
  now: Date,
): { ok: true; claims: PlaybackClaims } | { ok: false; problem: TokenProblem } {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined || token.length > 2048) return { ok: false, problem: 'malformed' };
  const raw = fromB64url(body);
  const sig = fromB64url(mac);
  if (!raw || !sig) return { ok: false, problem: 'malformed' };
  let parsed: Partial<PlaybackClaims> & { kid?: unknown };
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  const key = typeof parsed.kid === 'string' ? keys.keys[parsed.kid] : undefined;
  if (!key) return { ok: false, problem: 'unknown_key' };
  if (!safeEqual(sig, hmac(key.toString('binary'), body))) return { ok: false, problem: 'bad_signature' };
  const { sid, vid, uid, tid, exp } = parsed;
  if (
    typeof sid !== 'string' ||
    typeof vid !== 'string' ||
    typeof uid !== 'string' ||
    typeof tid !== 'string' ||
    typeof exp !== 'number'
  ) {
    return { ok: false, problem: 'malformed' };
  }
  if (exp * 1000 <= now.getTime()) return { ok: false, problem: 'expired' };
  return { ok: true, claims: { sid, vid, uid, tid, exp } };
}
