import { readBlockHeaders, readHeadBlockNumber } from '@ppv/chain';
import { loadChainCursor, moveChainCursor, saveChainBlocks, withHubScope } from '@ppv/db';
import { z } from 'zod';
import type { AppDeps } from '../../deps';
import { AppError } from '../../errors';
import { indexerTarget } from './run-indexer';

export const resetCursorInput = z.object({
  /** The first block to read again; omitted: INDEXER_START_BLOCK. */
  from: z
    .string()
    .trim()
    .regex(/^\d{1,18}$/, 'expected a block number (a non-negative integer)')
    .transform((value) => BigInt(value))
    .optional(),
});

export interface ResetCursor {
  chainId: number;
  contract: string;
  /** The first block the next pass reads. */
  from: string;
  /** Where the cursor was before (null: never indexed). */
  previous: string | null;
}

/**
 * `ppv reindex`: moves the configured splitter's cursor so that the next pass reads again from
 * `from`. Payments already recorded stay (each is unique per chain, tx hash and log index, so
 * reading them again changes nothing); running it twice does the same as once. A pass running at
 * the same time notices the moved cursor and stops.
 */
export async function resetIndexerCursor(
  deps: AppDeps,
  rawInput: z.input<typeof resetCursorInput>,
): Promise<ResetCursor> {
  const input = resetCursorInput.parse(rawInput);
  const target = indexerTarget(deps);
  if (!target || !deps.chain) {
    throw new AppError(
      'PRECONDITION_FAILED',
      'Payments are not configured: the indexer needs RPC_URL, INVOICE_SIGNER_KEY, SPLITTER_ADDRESS and HUB_PAYOUT_WALLET',
    );
  }
  const startBlock = BigInt(deps.config.indexer.startBlock);
  const from = input.from ?? startBlock;
  const head = await readHeadBlockNumber(deps.chain.client);
  if (from > head + 1n) {
    throw new AppError('BAD_REQUEST', `Block ${from} is past the chain's head (${head})`, { field: 'from' });
  }
  if (from < startBlock && from === 0n) {
    throw new AppError(
      'BAD_REQUEST',
      `Block 0 is before INDEXER_START_BLOCK (${startBlock}): set INDEXER_START_BLOCK=0 to read from the genesis block`,
      { field: 'from' },
    );
  }
  // The cursor names the last block done: the one before `from`, with its hash (null: the start block).
  const [before] = from === startBlock ? [null] : await readBlockHeaders(deps.chain.client, [from - 1n]);
  if (from !== startBlock && !before)
    throw new AppError('CONFLICT', `Block ${from - 1n} is not on the chain`);
  return withHubScope(deps.orm, async (em) => {
    const cursor = await loadChainCursor(em, target, { forUpdate: true });
    if (before) await saveChainBlocks(em, target.chainId, [before]);
    await moveChainCursor(em, target, before ?? null, { success: false });
    return {
      ...target,
      from: from.toString(),
      previous: cursor.blockNumber?.toString() ?? null,
    };
  });
}
