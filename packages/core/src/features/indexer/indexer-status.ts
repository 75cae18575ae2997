import { chainHealth } from '@ppv/chain';
import { type EntityManager, findChainCursor } from '@ppv/db';
import type { AppDeps } from '../../deps';
import { confirmedHead } from './index-chain';
import { indexerTarget } from './run-indexer';

/** The chain indexer as /healthz and the hub console show it. Block numbers are decimal strings (JSON). */
export interface IndexerStatus {
  /** False when payments are off: nothing to index, and `ok` is true. */
  configured: boolean;
  ok: boolean;
  chainId?: number;
  contract?: string;
  /** The node's head, when it answered. */
  headBlock?: string;
  /** The newest block the indexer may index: the newest with `confirmations` (its own inclusion counts). */
  safeBlock?: string;
  confirmations?: number;
  /** The last indexed block; null before the first batch. */
  cursorBlock?: string | null;
  /** safeBlock − cursorBlock (from the start block before the first batch); null when the head is unknown. */
  lagBlocks?: number | null;
  maxLagBlocks?: number;
  lastSuccessAt?: string | null;
  lastError?: string | null;
  lastErrorAt?: string | null;
  consecutiveFailures?: number;
  /** Why `ok` is false. */
  problem?: string;
}

/**
 * Head vs cursor, last success and last error of the configured splitter's indexer. Not ok when the
 * last pass failed, when it lags more than INDEXER_MAX_LAG_BLOCKS behind the newest confirmed block, or when
 * the node does not answer. `head` skips asking the node again (/healthz already did); `em` reads the
 * cursor in the caller's transaction (a procedure's) instead of on a connection of its own. Never throws.
 */
export async function indexerStatus(
  deps: AppDeps,
  opts: { head?: { blockNumber?: string; error?: string }; em?: EntityManager } = {},
): Promise<IndexerStatus> {
  const target = indexerTarget(deps);
  if (!target || !deps.chain) return { configured: false, ok: true };
  const { confirmations } = deps.config.money;
  const { maxLagBlocks, startBlock } = deps.config.indexer;
  const base = { configured: true, ...target, confirmations, maxLagBlocks };
  try {
    const [head, cursor] = await Promise.all([
      opts.head ?? chainHealth(deps.chain.client, deps.chain.chainId),
      findChainCursor(opts.em ?? deps.orm.em.fork(), target),
    ]);
    const headBlock = head.blockNumber === undefined ? undefined : BigInt(head.blockNumber);
    const safe = headBlock === undefined ? undefined : confirmedHead(headBlock, confirmations);
    const indexedTo = cursor?.blockNumber ?? BigInt(startBlock) - 1n;
    const lag = safe === undefined ? null : Number(safe > indexedTo ? safe - indexedTo : 0n);
    const failures = cursor?.consecutiveFailures ?? 0;
    const problem =
      failures > 0
        ? `the last ${failures === 1 ? 'pass' : `${failures} passes`} failed: ${cursor?.lastError ?? 'unknown error'}`
        : lag === null
          ? `the chain's head is unknown (${head.error ?? 'no answer'})`
          : lag > maxLagBlocks
            ? `${lag} blocks behind the newest block with ${confirmations} confirmations (more than ${maxLagBlocks})`
            : undefined;
    return {
      ...base,
      ok: problem === undefined,
      ...(headBlock !== undefined && { headBlock: headBlock.toString(), safeBlock: safe?.toString() }),
      cursorBlock: cursor?.blockNumber?.toString() ?? null,
      lagBlocks: lag,
      lastSuccessAt: cursor?.lastSuccessAt?.toISOString() ?? null,
      lastError: cursor?.lastError ?? null,
      lastErrorAt: cursor?.lastErrorAt?.toISOString() ?? null,
      consecutiveFailures: failures,
      ...(problem !== undefined && { problem }),
    };
  } catch (error) {
    return { ...base, ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}
