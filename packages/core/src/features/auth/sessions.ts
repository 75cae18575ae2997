import { SessionEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { notFound } from '../../errors';
import { recordAudit } from '../audit/record-audit';

export interface SessionView {
  id: string;
  current: boolean;
  method: 'password' | 'siwe';
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** The caller's live sessions in this tenant, newest first. */
export async function listSessions(deps: TenantDeps, auth: AuthInfo): Promise<SessionView[]> {
  const rows = await deps.em.find(
    SessionEntity,
    { userId: auth.userId, revokedAt: null, expiresAt: { $gt: deps.clock() } },
    { orderBy: { lastSeenAt: 'desc' } },
  );
  return rows.map((s) => ({
    id: s.id,
    current: s.id === auth.sessionId,
    method: s.authMethod,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    userAgent: s.userAgent ?? null,
    ip: s.ip ?? null,
  }));
}

export async function revokeSession(
  deps: TenantDeps,
  input: { auth: AuthInfo; sessionId: string; ip: string },
): Promise<void> {
  const session = await deps.em.findOne(SessionEntity, { id: input.sessionId, userId: input.auth.userId });
  if (!session) throw notFound('Session');
  session.revokedAt ??= deps.clock();
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'auth.session_revoked',
    subject: session.id,
    ip: input.ip,
  });
}
