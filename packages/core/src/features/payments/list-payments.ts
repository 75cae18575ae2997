import { type EntityManager, PaymentEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { inHubScope } from '../../lib/hub-scope';
import type { ListPaymentsInput } from './payments.schemas';

async function list(em: EntityManager, input: ListPaymentsInput) {
  const rows = await em.find(PaymentEntity, input.status ? { status: input.status } : {}, {
    orderBy: { recordedAt: 'desc', id: 'desc' },
    limit: input.limit,
    offset: input.offset,
  });
  return rows.map((p) => ({
    id: p.id,
    tenantId: p.tenantId ?? null,
    status: p.status,
    problem: p.problem ?? null,
    chainId: p.chainId,
    contract: p.contract,
    txHash: p.txHash,
    logIndex: p.logIndex,
    blockNumber: p.blockNumber,
    invoiceId: p.invoiceId,
    payer: p.payer,
    token: p.token,
    amount: p.amount,
    recordedAt: p.recordedAt,
    orphanedAt: p.orphanedAt ?? null,
  }));
}

/**
 * Payments as recorded, newest first, for admins to act on the ones that granted nothing
 * (underpaid, mismatch, duplicate, unknown invoice) or were orphaned: a tenant admin sees the
 * tenant's, a hub admin (scope `hub`) every tenant's and those matching no invoice.
 */
export async function listPayments(deps: TenantDeps, input: ListPaymentsInput & { auth: AuthInfo }) {
  if (input.scope === 'hub') {
    if (!input.auth.isHubAdmin)
      throw new AppError('FORBIDDEN', 'Every tenant’s payments are for hub administrators');
    return inHubScope(deps.em, (em) => list(em, input));
  }
  if (!input.auth.isHubAdmin && input.auth.role !== 'tenant_admin')
    throw new AppError('FORBIDDEN', "This site's payments are for its tenant admins");
  return list(deps.em, input);
}
