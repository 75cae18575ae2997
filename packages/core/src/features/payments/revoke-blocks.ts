import { type EntityManager, orphanPayments, reversePayment } from '@ppv/db';
import { GRANTING_STATUSES } from './record-paid-events';

export type RevokeBlocksInput = { chainId: number } & (
  | { /** Every block from this number on was replaced. */ fromBlock: bigint }
  | { /** These blocks were replaced. */ blockHashes: readonly string[] }
);

export interface RevokedPayment {
  paymentId: string;
  tenantId: string | null;
  /** Entitlements this payment had granted that are now revoked. */
  revokedEntitlements: number;
}

/**
 * A reorganisation removed blocks: their payments become `orphaned`, the entitlements they granted
 * are revoked and reversal ledger entries bring their shares back to zero. Idempotent (an orphaned
 * payment is not reversed twice); if the transaction is mined again, recordPaidEvents credits it
 * anew. Run in hub scope (withHubScope) to reach every tenant's payments.
 */
export async function revokeBlocks(
  deps: { em: EntityManager; clock: () => Date },
  input: RevokeBlocksInput,
): Promise<RevokedPayment[]> {
  const at = deps.clock();
  const orphaned = await orphanPayments(deps.em, { ...input, at });
  const results: RevokedPayment[] = [];
  for (const payment of orphaned) {
    const { revokedEntitlements } = GRANTING_STATUSES.includes(payment.previousStatus)
      ? await reversePayment(deps.em, {
          paymentId: payment.id,
          invoiceRef: payment.invoiceRef,
          at,
          reason: 'the block of its payment was removed by a chain reorganisation',
        })
      : { revokedEntitlements: 0 };
    results.push({ paymentId: payment.id, tenantId: payment.tenantId, revokedEntitlements });
  }
  return results;
}
