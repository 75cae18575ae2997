import { ApiTokenEntity, MembershipEntity, SessionEntity, type Tenant, UserEntity } from '@ppv/db';
import type { AuthInfo, AuthProblem, RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { sha256 } from '../../lib/crypto';
import { API_TOKEN_PREFIX } from '../api-tokens/token-format';
import { csrfTokenForSid, readSessionCookie, SESSION_COOKIE } from './session-cookie';

const TOUCH_EVERY_MS = 60_000;

export function csrfTokenFor(secret: string, cookies: RequestMeta['cookies']): string | null {
  const value = cookies[SESSION_COOKIE];
  const sid = value ? readSessionCookie(secret, value) : null;
  return sid ? csrfTokenForSid(secret, sid) : null;
}

async function authInfo(
  deps: TenantDeps,
  tenant: Tenant,
  userId: string,
  via: AuthInfo['via'],
  ids: { sessionId?: string; apiTokenId?: string },
): Promise<{ auth: AuthInfo | null; problem: AuthProblem | null }> {
  const user = await deps.em.findOne(UserEntity, { id: userId });
  if (user?.status !== 'active') return { auth: null, problem: 'disabled' };
  const membership = await deps.em.findOne(MembershipEntity, { tenantId: tenant.id, userId });
  return {
    auth: {
      userId,
      username: user.username,
      email: user.email ?? null,
      isHubAdmin: user.isHubAdmin,
      role: user.isHubAdmin ? 'tenant_admin' : (membership?.role ?? null),
      via,
      sessionId: ids.sessionId ?? null,
      apiTokenId: ids.apiTokenId ?? null,
    },
    problem: null,
  };
}

/**
 * Who is calling: an API token in `Authorization: Bearer`, else the session cookie. Lookups run
 * inside the tenant's transaction, so a session or token of another tenant is simply not found.
 */
export async function resolveAuth(
  deps: TenantDeps,
  req: RequestMeta,
  tenant: Tenant,
): Promise<{ auth: AuthInfo | null; problem: AuthProblem | null }> {
  const now = deps.clock();
  if (req.authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.authorization);
    const token = match?.[1];
    if (!token?.startsWith(API_TOKEN_PREFIX)) {
      throw new AppError('UNAUTHORIZED', 'Malformed Authorization header; expected "Bearer ppv_pat_…"');
    }
    const row = await deps.em.findOne(ApiTokenEntity, { tokenHash: sha256(token) });
    if (!row) throw new AppError('UNAUTHORIZED', 'Unknown API token');
    if (row.revokedAt) throw new AppError('UNAUTHORIZED', 'This API token was revoked');
    if (row.expiresAt && row.expiresAt <= now)
      throw new AppError('UNAUTHORIZED', 'This API token has expired');
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) row.lastUsedAt = now;
    return authInfo(deps, tenant, row.userId, 'api_token', { apiTokenId: row.id });
  }

  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return { auth: null, problem: null };
  const sid = readSessionCookie(deps.config.sessionSecret, cookie);
  if (!sid) return { auth: null, problem: 'tampered' };
  const session = await deps.em.findOne(SessionEntity, { tokenHash: sha256(sid) });
  if (!session) return { auth: null, problem: 'unknown' };
  if (session.revokedAt) return { auth: null, problem: 'revoked' };
  if (session.expiresAt <= now) return { auth: null, problem: 'expired' };
  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) session.lastSeenAt = now;
  return authInfo(deps, tenant, session.userId, 'session', { sessionId: session.id });
}
