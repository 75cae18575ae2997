import { InvoiceEntity, PaymentEntity, VideoEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { notFound } from '../../errors';
import { canWatch } from '../access/can-watch';

/** One of the caller's invoices: its status, the payments seen for it and whether the video now plays. */
export async function paymentStatus(deps: TenantDeps, input: { auth: AuthInfo; invoiceId: string }) {
  const invoice = await deps.em.findOne(
    InvoiceEntity,
    input.invoiceId.startsWith('0x') ? { invoiceId: input.invoiceId } : { id: input.invoiceId },
  );
  if (!invoice || invoice.viewerId !== input.auth.userId) throw notFound('Invoice');
  const payments = await deps.em.find(
    PaymentEntity,
    { invoiceRef: invoice.id },
    { orderBy: { recordedAt: 'asc' } },
  );
  const video = await deps.em.findOne(VideoEntity, { id: invoice.videoId });
  const access = video ? await canWatch(deps.em, input.auth.userId, video, deps.clock()) : null;
  return {
    id: invoice.id,
    invoiceId: invoice.invoiceId,
    videoId: invoice.videoId,
    status: invoice.status,
    expiresAt: new Date(invoice.deadline * 1000),
    paidAt: invoice.paidAt ?? null,
    payments: payments.map((p) => ({
      txHash: p.txHash,
      logIndex: p.logIndex,
      blockNumber: p.blockNumber,
      status: p.status,
      problem: p.problem ?? null,
      amount: p.amount,
      recordedAt: p.recordedAt,
    })),
    canWatch: access?.allowed ?? false,
  };
}
