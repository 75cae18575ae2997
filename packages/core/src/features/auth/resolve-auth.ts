import {
  type CredentialLookup,
  findApiTokenCredential,
  findSessionCredential,
  type Tenant,
  touchApiToken,
  touchSession,
} from '@ppv/db';
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

export interface AuthResolution {
  auth: AuthInfo | null;
  problem: AuthProblem | null;
  /**
   * Records that the session or API token was used (at most once a minute), in the same
   * transaction. Run it after the request's work, just before the commit: the row lock it takes
   * is then held only until the commit, so concurrent requests with the same credential barely
   * wait on each other. Null when there is nothing to record.
   */
  touch: (() => Promise<void>) | null;
}

const needsTouch = (lastUsedAt: Date | null, now: Date) =>
  !lastUsedAt || now.getTime() - lastUsedAt.getTime() > TOUCH_EVERY_MS;

function authInfo(found: CredentialLookup, via: AuthInfo['via']): Pick<AuthResolution, 'auth' | 'problem'> {
  const { user } = found;
  if (user?.status !== 'active') return { auth: null, problem: 'disabled' };
  return {
    auth: {
      userId: found.userId,
      username: user.username,
      email: user.email,
      isHubAdmin: user.isHubAdmin,
      role: user.isHubAdmin ? 'tenant_admin' : found.role,
      via,
      sessionId: via === 'session' ? found.id : null,
      apiTokenId: via === 'api_token' ? found.id : null,
    },
    problem: null,
  };
}

/**
 * Who is calling: an API token in `Authorization: Bearer`, else the session cookie. The credential,
 * its user and the user's membership come in one query inside the tenant's transaction, so a
 * session or token of another tenant is simply not found.
 */
export async function resolveAuth(
  deps: TenantDeps,
  req: RequestMeta,
  tenant: Tenant,
): Promise<AuthResolution> {
  const now = deps.clock();
  if (req.authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.authorization);
    const token = match?.[1];
    if (!token?.startsWith(API_TOKEN_PREFIX)) {
      throw new AppError('UNAUTHORIZED', 'Malformed Authorization header; expected "Bearer ppv_pat_…"');
    }
    const row = await findApiTokenCredential(deps.em, tenant.id, sha256(token));
    if (!row) throw new AppError('UNAUTHORIZED', 'Unknown API token');
    if (row.revokedAt) throw new AppError('UNAUTHORIZED', 'This API token was revoked');
    if (row.expiresAt && row.expiresAt <= now)
      throw new AppError('UNAUTHORIZED', 'This API token has expired');
    const touch = needsTouch(row.lastUsedAt, now) ? () => touchApiToken(deps.em, row.id, now) : null;
    return { ...authInfo(row, 'api_token'), touch };
  }

  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return { auth: null, problem: null, touch: null };
  const sid = readSessionCookie(deps.config.sessionSecret, cookie);
  if (!sid) return { auth: null, problem: 'tampered', touch: null };
  const session = await findSessionCredential(deps.em, tenant.id, sha256(sid));
  if (!session) return { auth: null, problem: 'unknown', touch: null };
  if (session.revokedAt) return { auth: null, problem: 'revoked', touch: null };
  if (session.expiresAt && session.expiresAt <= now) return { auth: null, problem: 'expired', touch: null };
  const touch = needsTouch(session.lastUsedAt, now) ? () => touchSession(deps.em, session.id, now) : null;
  return { ...authInfo(session, 'session'), touch };
}
