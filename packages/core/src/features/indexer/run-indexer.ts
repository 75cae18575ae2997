import type { Address } from 'viem';
import type { AppDeps } from '../../deps';
import { recordPaidEvents } from '../payments/record-paid-events';
import { revokeBlocks, revokeMissing } from '../payments/revoke-blocks';
import { type IndexChainResult, indexChain, type PaidEventHandlers } from './index-chain';

/**
 * The real handlers: payments and entitlements through recordPaidEvents (after revokeMissing),
 * reorgs through revokeBlocks.
 */
export function paymentHandlers(deps: Pick<AppDeps, 'clock'>): PaidEventHandlers {
  return {
    async record(em, events, chainId, range) {
      // First undo what the chain no longer holds in these blocks (recorded by the fast path from
      // a block since replaced), then record what it holds.
      await revokeMissing({ em, clock: deps.clock }, { chainId, ...range, events });
      await recordPaidEvents(
        { em, clock: deps.clock },
        events.map((event) => ({ ...event, chainId })),
      );
    },
    async revoke(em, range) {
      // Every block from the first orphaned one on was replaced, whichever contract's events it held.
      await revokeBlocks({ em, clock: deps.clock }, { chainId: range.chainId, fromBlock: range.fromBlock });
    },
  };
}

/** What the indexer watches, or null when payments or the chain are not configured. */
export function indexerTarget(deps: AppDeps): { chainId: number; contract: Address } | null {
  const payments = deps.config.money.payments;
  if (!payments || !deps.chain) return null;
  return { chainId: deps.chain.chainId, contract: payments.splitterAddress.toLowerCase() as Address };
}

/**
 * One pass of the configured splitter's indexer (CHAIN_CONFIRMATIONS, INDEXER_*), or null when
 * payments are off. Never throws for chain trouble (see indexChain).
 */
export async function runIndexerPass(
  deps: AppDeps,
  opts: { maxBatches?: number } = {},
): Promise<IndexChainResult | null> {
  const target = indexerTarget(deps);
  if (!target || !deps.chain) return null;
  return indexChain(
    { orm: deps.orm, logger: deps.logger, chain: deps.chain, handlers: paymentHandlers(deps) },
    {
      contract: target.contract,
      confirmations: deps.config.money.confirmations,
      indexer: deps.config.indexer,
      ...(opts.maxBatches !== undefined && { maxBatches: opts.maxBatches }),
    },
  );
}
