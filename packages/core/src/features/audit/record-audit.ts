import { AuditEntryEntity, type EntityManager } from '@ppv/db';

export interface AuditInput {
  tenantId: string;
  actorUserId?: string | null;
  action: string;
  subject?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Appends to the tenant's audit log within the caller's transaction. */
export function recordAudit(em: EntityManager, input: AuditInput): void {
  em.create(AuditEntryEntity, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId ?? null,
    action: input.action,
    subject: input.subject ?? null,
    ip: input.ip ?? null,
    details: input.details ?? {},
  });
}
