import { AuditEntryEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';

export async function listAudit(deps: TenantDeps, input: { limit: number; before?: string | undefined }) {
  const entries = await deps.em.find(AuditEntryEntity, input.before ? { id: { $lt: input.before } } : {}, {
    orderBy: { id: 'desc' },
    limit: input.limit,
  });
  return entries.map((e) => ({
    // The column is a bigint (MikroORM gives a bigint): a decimal string travels as JSON.
    id: String(e.id),
    action: e.action,
    actorUserId: e.actorUserId ?? null,
    subject: e.subject ?? null,
    ip: e.ip ?? null,
    details: e.details,
    createdAt: e.createdAt,
  }));
}
