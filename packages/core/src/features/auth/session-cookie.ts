import { randomBytes } from 'node:crypto';
import { b64url, fromB64url, hmac, safeEqual, sha256 } from '../../lib/crypto';

export const SESSION_COOKIE = 'ppv_session';
export const CSRF_COOKIE = 'ppv_csrf';

/** A new session id and its cookie value `b64url(sid).b64url(HMAC-SHA256(secret, sid))`. */
export function newSessionCookie(secret: string): { sid: Buffer; cookie: string; tokenHash: Buffer } {
  const sid = randomBytes(32);
  return { sid, cookie: `${b64url(sid)}.${b64url(hmac(secret, sid))}`, tokenHash: sha256(sid) };
}

/** The session id of a well-formed, correctly signed cookie, or null. */
export function readSessionCookie(secret: string, cookie: string): Buffer | null {
  const [sidPart, macPart, extra] = cookie.split('.');
  if (!sidPart || !macPart || extra !== undefined) return null;
  const sid = fromB64url(sidPart);
  const mac = fromB64url(macPart);
  if (!sid || !mac || sid.length !== 32) return null;
  return safeEqual(mac, hmac(secret, sid)) ? sid : null;
}

/** The CSRF token for a session: derived, so nothing extra is stored. */
export function csrfTokenForSid(secret: string, sid: Buffer): string {
  return b64url(hmac(secret, Buffer.concat([Buffer.from('csrf:'), sid])));
}
