import { MembershipEntity, SessionEntity } from '@ppv/db';
import type { CookieWriter, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { CSRF_COOKIE, csrfTokenForSid, newSessionCookie, SESSION_COOKIE } from './session-cookie';

/**
 * Opens a session for `userId` in the current tenant and sets its cookies. The user joins the
 * tenant as a viewer on first sign-in.
 */
export async function startSession(
  deps: TenantDeps,
  input: { userId: string; method: 'password' | 'siwe'; req: RequestMeta; cookies: CookieWriter },
): Promise<{ sessionId: string; csrfToken: string }> {
  const { sid, cookie, tokenHash } = newSessionCookie(deps.config.sessionSecret);
  const ttlSeconds = deps.config.sessionTtlHours * 3600;
  const now = deps.clock();
  const session = deps.em.create(SessionEntity, {
    tenantId: deps.tenantId,
    userId: input.userId,
    tokenHash,
    authMethod: input.method,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    userAgent: input.req.userAgent?.slice(0, 400) ?? null,
    ip: input.req.ip || null,
  });
  const membership = await deps.em.findOne(MembershipEntity, {
    tenantId: deps.tenantId,
    userId: input.userId,
  });
  if (!membership)
    deps.em.create(MembershipEntity, { tenantId: deps.tenantId, userId: input.userId, role: 'viewer' });
  await deps.em.flush();
  const csrfToken = csrfTokenForSid(deps.config.sessionSecret, sid);
  input.cookies.set(SESSION_COOKIE, cookie, { maxAgeSeconds: ttlSeconds, httpOnly: true });
  input.cookies.set(CSRF_COOKIE, csrfToken, { maxAgeSeconds: ttlSeconds, httpOnly: false });
  return { sessionId: session.id, csrfToken };
}

export function clearSessionCookies(cookies: CookieWriter): void {
  cookies.clear(SESSION_COOKIE);
  cookies.clear(CSRF_COOKIE);
}
