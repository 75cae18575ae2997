import { SessionEntity } from '@ppv/db';
import type { AuthInfo, CookieWriter } from '../../context';
import type { TenantDeps } from '../../deps';
import { recordAudit } from '../audit/record-audit';
import { clearSessionCookies } from './start-session';

export async function logout(
  deps: TenantDeps,
  input: { auth: AuthInfo | null; cookies: CookieWriter; ip: string },
): Promise<void> {
  clearSessionCookies(input.cookies);
  if (!input.auth?.sessionId) return;
  const session = await deps.em.findOne(SessionEntity, { id: input.auth.sessionId });
  if (session && !session.revokedAt) session.revokedAt = deps.clock();
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'auth.logout',
    subject: input.auth.sessionId,
    ip: input.ip,
  });
}
