import {
  type EntityManager,
  type OrphanedPayment,
  orphanMissingPayments,
  orphanPayments,
  reversePayment,
} from '@ppv/db';
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
  return reverseOrphaned(deps.em, await orphanPayments(deps.em, { ...input, at }), at);
}

export interface RevokeMissingInput {
  chainId: number;
  contract: string;
  fromBlock: bigint;
  toBlock: bigint;
  /** What a fresh read of those blocks returned. */
  events: readonly { transactionHash: string; logIndex: number; blockHash: string }[];
}

/**
 * The chain's current events of `fromBlock`…`toBlock` are `events`: any payment recorded there that
 * is not among them (by transaction, log index and block hash) came from a block the chain replaced,
 * and is undone as revokeBlocks undoes one (orphaned, its entitlement revoked, its ledger reversed,
 * its invoice reopened). The indexer runs it on every batch before recording it, so a payment the
 * fast path recorded ahead of the indexer cannot outlive a reorganisation of its block; a
 * transaction mined again in a new block is then credited again by recordPaidEvents. Run in hub scope.
 */
export async function revokeMissing(
  deps: { em: EntityManager; clock: () => Date },
  input: RevokeMissingInput,
): Promise<RevokedPayment[]> {
  const at = deps.clock();
  const orphaned = await orphanMissingPayments(deps.em, {
    chainId: input.chainId,
    contract: input.contract,
    fromBlock: input.fromBlock,
    toBlock: input.toBlock,
    present: input.events.map((e) => ({
      txHash: e.transactionHash,
      logIndex: e.logIndex,
      blockHash: e.blockHash,
    })),
    at,
  });
  return reverseOrphaned(deps.em, orphaned, at);
}

async function reverseOrphaned(
  em: EntityManager,
  orphaned: readonly OrphanedPayment[],
  at: Date,
): Promise<RevokedPayment[]> {
  const results: RevokedPayment[] = [];
  for (const payment of orphaned) {
    const { revokedEntitlements } = GRANTING_STATUSES.includes(payment.previousStatus)
      ? await reversePayment(em, {
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
