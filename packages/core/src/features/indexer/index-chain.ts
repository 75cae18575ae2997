import {
  type BlockHeader,
  describeChainError,
  isLogRangeTooLarge,
  type PaidEvent,
  readBlockHeaders,
  readHeadBlockNumber,
  readPaidEvents,
} from '@ppv/chain';
import {
  type ChainCursor,
  deleteChainBlocksFrom,
  type EntityManager,
  loadChainCursor,
  markChainCursorHealthy,
  moveChainCursor,
  pruneChainBlocks,
  recentChainBlocks,
  recordChainFailure,
  saveChainBlocks,
  withHubScope,
} from '@ppv/db';
import type { Address } from 'viem';
import type { AppDeps, ChainDeps, IndexerConfig } from '../../deps';

/** Blocks `fromBlock`…`toBlock` (both included) of one contract on one chain. */
export interface OrphanedRange {
  chainId: number;
  contract: Address;
  fromBlock: bigint;
  toBlock: bigint;
}

/**
 * What the indexer does with what it reads. Both run inside the batch's hub-scope transaction, so a
 * failure rolls the batch back and the cursor does not move.
 */
export interface PaidEventHandlers {
  /**
   * Stores one batch's events (in chain order), all the contract's events in `range` as the chain
   * holds them now; must be idempotent on (chain, tx hash, log index).
   */
  record(em: EntityManager, events: PaidEvent[], chainId: number, range: BatchRange): Promise<void>;
  /** Undoes whatever events in the orphaned blocks granted, before they are read again. */
  revoke(em: EntityManager, range: OrphanedRange): Promise<void>;
}

/** The blocks of one batch (both ends included) and the contract read. */
export interface BatchRange {
  contract: Address;
  fromBlock: bigint;
  toBlock: bigint;
}

export interface IndexChainDeps extends Pick<AppDeps, 'orm' | 'logger'> {
  chain: ChainDeps;
  handlers: PaidEventHandlers;
}

export interface IndexChainInput {
  contract: Address;
  /** A block counts its own inclusion as the first (as the fast path does): 1 indexes the head itself. */
  confirmations: number;
  indexer: Pick<IndexerConfig, 'batchBlocks' | 'startBlock' | 'reorgDepth'>;
  /** Stop after this many batches (the worker's next pass continues); default: until caught up. */
  maxBatches?: number;
}

export interface IndexChainResult {
  ok: boolean;
  /** Set when the pass failed: the message recorded on the cursor. */
  error?: string;
  /** Failed passes in a row, this one included (0 after a pass that succeeded). */
  consecutiveFailures: number;
  head: bigint | null;
  /** The newest block with the required confirmations: head − (confirmations − 1). */
  safeHead: bigint | null;
  /** The cursor after the pass (null: nothing indexed yet). */
  cursor: bigint | null;
  batches: number;
  events: number;
  /** Orphaned ranges handed to `revoke`. */
  reorgs: OrphanedRange[];
  /** True when the cursor reached the safe head. */
  caughtUp: boolean;
}

/** Another pass moved the cursor between our read and our write: ours stops, theirs carries on. */
class CursorMovedError extends Error {}

/** PostgreSQL chose this transaction to break a deadlock (SQLSTATE 40P01). */
function isDeadlock(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ('code' in current && current.code === '40P01') return true;
    current = current.cause;
  }
  return false;
}

/**
 * One indexer pass over the splitter's `Paid` logs: from the stored cursor to the newest block with
 * `confirmations` (head − (confirmations − 1)),
 * `batchBlocks` at a time, one transaction per batch (events through `handlers.record`, the block
 * hashes it relied on, the cursor). Before each batch the cursor block's hash is compared with the
 * chain; on a mismatch the pass walks back to the newest stored block still on the chain, hands the
 * orphaned range to `handlers.revoke` and reads it again. Never throws for chain trouble: a failure
 * is counted on the cursor (`last_error`, `consecutive_failures`) and returned.
 */
export async function indexChain(deps: IndexChainDeps, input: IndexChainInput): Promise<IndexChainResult> {
  const key = { chainId: deps.chain.chainId, contract: input.contract.toLowerCase() as Address };
  const { client } = deps.chain;
  const { batchBlocks, startBlock, reorgDepth } = input.indexer;
  const result: IndexChainResult = {
    ok: true,
    head: null,
    safeHead: null,
    cursor: null,
    batches: 0,
    events: 0,
    reorgs: [],
    caughtUp: false,
    consecutiveFailures: 0,
  };
  try {
    const head = await readHeadBlockNumber(client);
    const safeHead = confirmedHead(head, input.confirmations);
    result.head = head;
    result.safeHead = safeHead;
    // Blocks per batch, at most INDEXER_BATCH_BLOCKS: the first batch of a pass is short, and each
    // next one is sized from the events per block seen so far (see nextSpan); halved when the node
    // refuses a range as too large.
    const maxSpan = BigInt(batchBlocks);
    let span = min(FIRST_SPAN, maxSpan);
    const denseFrom = safeHead - BigInt(reorgDepth) + 1n;
    const readBatch = async (from: bigint): Promise<BatchRead> => {
      const { events, to } = await readSplitting(
        client,
        input.contract,
        from,
        min(from + span - 1n, safeHead),
        (smaller) => {
          span = smaller;
        },
      );
      span = nextSpan(span, to - from + 1n, events.length, maxSpan);
      return { from, events, to, headers: await headersFor(client, events, from, to, denseFrom) };
    };
    // The next batch, read from the chain while this one is written to the database; null when that
    // read failed (the batch is then read again, and a second failure fails the pass).
    let ahead: { from: bigint; read: Promise<BatchRead | null> } | null = null;
    /** Starts reading the batch after `b`, unless `b` reached the safe head or the batch limit. */
    const readAfter = (b: BatchRead, batchesBefore: number) => {
      const next = b.to + 1n;
      if (next > safeHead || (input.maxBatches !== undefined && batchesBefore >= input.maxBatches))
        return null;
      return { from: next, read: readBatch(next).catch(() => null) };
    };
    /**
     * Writes one batch in its own hub-scope transaction: its events, the block hashes it relied on,
     * the cursor moved to its last block — provided the cursor is still `expected`. 'lock-first'
     * locks the cursor before anything else (the batch right after the stored cursor). 'record-first'
     * is the batch after a batch still being written: it records its events first, while the other
     * transaction works, then waits for the cursor lock, which it gets once the batch before has
     * committed, and checks that the cursor is that batch's end. So batches still commit one after
     * another, each with its cursor, while PostgreSQL records two at once. If the batch before
     * fails, this one finds the cursor where it was and rolls back.
     */
    const writeBatch = (
      b: BatchRead,
      expected: Pick<ChainCursor, 'blockNumber' | 'blockHash'>,
      order: 'lock-first' | 'record-first',
    ) =>
      withHubScope(deps.orm, async (em) => {
        const lockAndCheck = async () => {
          const locked = await loadChainCursor(em, key, { forUpdate: true });
          if (locked.blockNumber !== expected.blockNumber || locked.blockHash !== expected.blockHash) {
            throw new CursorMovedError();
          }
        };
        if (order === 'lock-first') await lockAndCheck();
        await deps.handlers.record(em, b.events, key.chainId, {
          contract: key.contract,
          fromBlock: b.from,
          toBlock: b.to,
        });
        if (order === 'record-first') await lockAndCheck();
        await saveChainBlocks(em, key.chainId, b.headers);
        await moveChainCursor(em, key, b.headers[b.headers.length - 1] as BlockHeader, { success: true });
        await pruneChainBlocks(em, key.chainId, b.to - BigInt(reorgDepth));
      });
    const count = (b: BatchRead) => {
      result.cursor = b.to;
      result.batches += 1;
      result.events += b.events.length;
    };
    // Whether a batch may be written alongside the one before; off after a deadlock between two.
    let pairing = true;
    for (;;) {
      const cursor = await loadChainCursor(deps.orm.em.fork(), key);
      result.cursor = cursor.blockNumber;
      if (cursor.blockNumber !== null) {
        const [onChain] = await readBlockHeaders(client, [cursor.blockNumber]);
        if (onChain?.hash !== cursor.blockHash) {
          const orphaned = await rewind(deps, key, cursor, BigInt(startBlock), reorgDepth);
          result.reorgs.push(orphaned);
          continue;
        }
      }
      const from = cursor.blockNumber === null ? BigInt(startBlock) : cursor.blockNumber + 1n;
      if (from > safeHead) {
        result.caughtUp = true;
        break;
      }
      if (input.maxBatches !== undefined && result.batches >= input.maxBatches) break;
      const prefetched: BatchRead | null = ahead?.from === from ? await ahead.read : null;
      const batch = prefetched ?? (await readBatch(from));
      ahead = readAfter(batch, result.batches + 1);
      const first = writeBatch(batch, cursor, 'lock-first');
      first.catch(() => {});
      // The batch after it, written in a second transaction at the same time (see writeBatch).
      let second: { batch: BatchRead; done: Promise<void> } | null = null;
      if (pairing && ahead !== null && batch.events.length > 0) {
        const read = await ahead.read;
        ahead = null;
        const end = batch.headers[batch.headers.length - 1] as BlockHeader;
        const [onChain] = read && read.events.length > 0 ? await readBlockHeaders(client, [end.number]) : [];
        if (read && onChain?.hash === end.hash) {
          const done = writeBatch(read, { blockNumber: end.number, blockHash: end.hash }, 'record-first');
          done.catch(() => {});
          second = { batch: read, done };
          ahead = readAfter(read, result.batches + 2);
        } else if (read) {
          ahead = { from: read.from, read: Promise.resolve(read) };
        }
      }
      try {
        await first;
      } catch (error) {
        if (second === null) throw error;
        await second.done.catch(() => {});
        // A deadlock between the two (each waiting for a row the other holds) costs a second
        // try, one batch at a time; anything else fails the pass.
        if (!isDeadlock(error)) throw error;
        pairing = false;
        ahead = null;
        continue;
      }
      count(batch);
      if (second !== null) {
        try {
          await second.done;
          count(second.batch);
        } catch (error) {
          if (!isDeadlock(error) && !(error instanceof CursorMovedError)) throw error;
          // Written again, alone, by the next turn of the loop (which reloads the cursor).
          pairing = false;
          ahead = { from: second.batch.from, read: Promise.resolve(second.batch) };
        }
      }
    }
    await markChainCursorHealthy(deps.orm.em.fork(), key);
  } catch (error) {
    if (error instanceof CursorMovedError) {
      deps.logger.info({ ...key }, 'another indexer pass moved the cursor; this one stops');
      return result;
    }
    const message = describeChainError(error);
    deps.logger.warn({ ...key, err: error }, 'chain indexer pass failed');
    const consecutiveFailures = await recordChainFailure(deps.orm.em.fork(), key, message).catch(
      (dbError: unknown) => {
        deps.logger.error({ err: dbError }, 'could not record the indexer failure');
        return 1;
      },
    );
    return { ...result, ok: false, error: message, consecutiveFailures };
  }
  deps.logger.debug({ ...key, ...summary(result) }, 'chain indexer pass');
  return result;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Blocks in the first batch of a pass: a pass that has little to read reads little. */
const FIRST_SPAN = 16n;

/**
 * Events a batch aims at. Batches of this size keep one transaction's work (and the memory of its
 * events) bounded in a dense range, and let the next batch's read from the chain overlap this one's
 * writes instead of one long read followed by one long write.
 */
export const BATCH_TARGET_EVENTS = 2_000;

/**
 * The span of the next batch after reading `events` events in `blocks` blocks: scaled down to the
 * target number of events when there were more, doubled (up to `maxSpan`) when there were fewer than
 * half of it, unchanged otherwise.
 */
export function nextSpan(span: bigint, blocks: bigint, events: number, maxSpan: bigint): bigint {
  if (events > BATCH_TARGET_EVENTS) {
    return max(1n, (blocks * BigInt(BATCH_TARGET_EVENTS)) / BigInt(events));
  }
  if (events < BATCH_TARGET_EVENTS / 2) return min(span * 2n, maxSpan);
  return min(span, maxSpan);
}

/** One batch as read from the chain: its events and the headers it stores. */
interface BatchRead {
  from: bigint;
  to: bigint;
  events: PaidEvent[];
  headers: BlockHeader[];
}

/** The newest block with `confirmations`, counting its own inclusion as the first (0 and 1: the head). */
export const confirmedHead = (head: bigint, confirmations: number): bigint =>
  head - BigInt(Math.max(confirmations - 1, 0));

const summary = (r: IndexChainResult) => ({
  head: r.head?.toString(),
  cursor: r.cursor?.toString(),
  batches: r.batches,
  events: r.events,
  reorgs: r.reorgs.length,
});

/**
 * The `Paid` events of `from`…`to`, or of a shorter range starting at `from` when the node refuses
 * the answer as too large (halving until it fits, down to one block); `shrink` learns the span that
 * worked.
 */
async function readSplitting(
  client: ChainDeps['client'],
  address: Address,
  from: bigint,
  to: bigint,
  shrink: (span: bigint) => void,
): Promise<{ events: PaidEvent[]; to: bigint }> {
  let end = to;
  for (;;) {
    try {
      return { events: await readPaidEvents(client, { address, fromBlock: from, toBlock: end }), to: end };
    } catch (error) {
      if (end === from || !isLogRangeTooLarge(error)) throw error;
      end = from + (end - from) / 2n;
      shrink(end - from + 1n);
    }
  }
}

/**
 * The headers a batch stores: every block within `reorgDepth` of the safe head (from `denseFrom`
 * on, so a reorganisation finds its common ancestor exactly) and the batch's last block (the new
 * cursor), last in the list. Each event in those blocks must lie on them: a log from a block the
 * chain has since replaced fails the batch, which is then read again. Blocks deeper than
 * `reorgDepth` below the safe head are taken as final (a reorganisation that deep is refused
 * anyway): their headers are not fetched, so a backfill reads one header per batch, not one per
 * block with an event.
 */
async function headersFor(
  client: ChainDeps['client'],
  events: PaidEvent[],
  from: bigint,
  to: bigint,
  denseFrom: bigint,
): Promise<BlockHeader[]> {
  const wanted: bigint[] = [];
  for (let n = from > denseFrom ? from : denseFrom; n < to; n++) wanted.push(n);
  wanted.push(to);
  const found = await readBlockHeaders(client, wanted);
  const byNumber = new Map<bigint, BlockHeader>();
  found.forEach((header, i) => {
    if (!header)
      throw new Error(`block ${wanted[i]} is no longer on the chain; the batch will be read again`);
    byNumber.set(header.number, header);
  });
  for (const event of events) {
    const header = byNumber.get(event.blockNumber);
    if (header !== undefined && header.hash !== event.blockHash) {
      throw new Error(
        `block ${event.blockNumber} changed while it was read (reorganisation); the batch will be read again`,
      );
    }
  }
  return found as BlockHeader[];
}

/**
 * The cursor's block left the chain: finds the newest stored block still on it (the common ancestor),
 * revokes what the blocks after it granted, forgets them and moves the cursor back, in one
 * transaction. With no stored block left on the chain, the ancestor is the block before `startBlock`
 * when every block since then was stored; otherwise the reorganisation is deeper than the stored
 * history and the pass fails with what to do.
 */
async function rewind(
  deps: IndexChainDeps,
  key: { chainId: number; contract: Address },
  cursor: ChainCursor,
  startBlock: bigint,
  reorgDepth: number,
): Promise<OrphanedRange> {
  const tip = cursor.blockNumber as bigint;
  const stored = await recentChainBlocks(deps.orm.em.fork(), key.chainId, tip - 1n, reorgDepth);
  const canonical = await readBlockHeaders(
    deps.chain.client,
    stored.map((b) => b.number),
  );
  const index = stored.findIndex((block, i) => canonical[i]?.hash === block.hash);
  let ancestor: { number: bigint; hash: string } | null;
  if (index >= 0) {
    ancestor = stored[index] as { number: bigint; hash: string };
  } else if (tip - startBlock < BigInt(reorgDepth)) {
    ancestor = null;
  } else {
    throw new Error(
      `reorganisation deeper than the ${reorgDepth} stored blocks below block ${tip}: ` +
        'raise INDEXER_REORG_DEPTH or run `ppv reindex --from <block>`',
    );
  }
  const orphaned: OrphanedRange = {
    ...key,
    fromBlock: ancestor === null ? startBlock : ancestor.number + 1n,
    toBlock: tip,
  };
  await withHubScope(deps.orm, async (em) => {
    const locked = await loadChainCursor(em, key, { forUpdate: true });
    if (locked.blockNumber !== cursor.blockNumber || locked.blockHash !== cursor.blockHash) {
      throw new CursorMovedError();
    }
    await deps.handlers.revoke(em, orphaned);
    await deleteChainBlocksFrom(em, key.chainId, orphaned.fromBlock);
    await moveChainCursor(em, key, ancestor, { success: false });
  });
  deps.logger.warn(
    { ...key, fromBlock: orphaned.fromBlock.toString(), toBlock: orphaned.toBlock.toString() },
    'chain reorganisation: orphaned blocks revoked and read again',
  );
  return orphaned;
}
