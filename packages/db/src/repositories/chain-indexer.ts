import type { EntityManager } from '../orm';

/**
 * The chain indexer's checkpoint for one (chain, contract) and the block hashes it relied on. Hub-level
 * tables (no tenant, no row-level security); block numbers travel as `bigint`.
 */
export interface ChainCursor {
  chainId: number;
  contract: string;
  /** The last block whose events are stored; null before the first batch. */
  blockNumber: bigint | null;
  blockHash: string | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  updatedAt: Date;
}

export interface ChainBlock {
  number: bigint;
  hash: string;
  parentHash: string;
}

interface CursorRow {
  chain_id: number;
  contract: string;
  block_number: string | null;
  block_hash: string | null;
  last_success_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
  consecutive_failures: number;
  updated_at: Date | string;
}

const toDate = (value: Date | string | null) => (value === null ? null : new Date(value));

const cursorOf = (row: CursorRow): ChainCursor => ({
  chainId: row.chain_id,
  contract: row.contract,
  blockNumber: row.block_number === null ? null : BigInt(row.block_number),
  blockHash: row.block_hash,
  lastSuccessAt: toDate(row.last_success_at),
  lastError: row.last_error,
  lastErrorAt: toDate(row.last_error_at),
  consecutiveFailures: row.consecutive_failures,
  updatedAt: new Date(row.updated_at),
});

const cursorColumns =
  'chain_id, contract, block_number::text AS block_number, block_hash, last_success_at, last_error, last_error_at, consecutive_failures, updated_at';

/** The cursor, created (empty) when missing. `forUpdate` locks it until the transaction ends. */
export async function loadChainCursor(
  em: EntityManager,
  key: { chainId: number; contract: string },
  opts: { forUpdate?: boolean } = {},
): Promise<ChainCursor> {
  await em.execute(
    'INSERT INTO chain_cursors (chain_id, contract) VALUES (?, ?) ON CONFLICT (chain_id, contract) DO NOTHING',
    [key.chainId, key.contract],
  );
  const [row] = await em.execute<CursorRow[]>(
    `SELECT ${cursorColumns} FROM chain_cursors WHERE chain_id = ? AND contract = ?${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [key.chainId, key.contract],
  );
  if (!row) throw new Error(`chain cursor ${key.chainId}/${key.contract} vanished`);
  return cursorOf(row);
}

/** The cursor, or null when this (chain, contract) was never indexed. Creates nothing. */
export async function findChainCursor(
  em: EntityManager,
  key: { chainId: number; contract: string },
): Promise<ChainCursor | null> {
  const [row] = await em.execute<CursorRow[]>(
    `SELECT ${cursorColumns} FROM chain_cursors WHERE chain_id = ? AND contract = ?`,
    [key.chainId, key.contract],
  );
  return row ? cursorOf(row) : null;
}

/**
 * Moves the cursor to `block` (null: back to before the first batch). `success` also stamps
 * `last_success_at` and clears the failure streak; `last_error` stays as the latest one seen.
 */
export async function moveChainCursor(
  em: EntityManager,
  key: { chainId: number; contract: string },
  block: { number: bigint; hash: string } | null,
  opts: { success: boolean },
): Promise<void> {
  await em.execute(
    `UPDATE chain_cursors
        SET block_number = ?::bigint, block_hash = ?, updated_at = now()
            ${opts.success ? ', last_success_at = now(), consecutive_failures = 0' : ''}
      WHERE chain_id = ? AND contract = ?`,
    [block?.number.toString() ?? null, block?.hash ?? null, key.chainId, key.contract],
  );
}

/** A pass that ended without error: stamps `last_success_at` and clears the failure streak. */
export async function markChainCursorHealthy(
  em: EntityManager,
  key: { chainId: number; contract: string },
): Promise<void> {
  await em.execute(
    `UPDATE chain_cursors SET last_success_at = now(), consecutive_failures = 0, updated_at = now()
      WHERE chain_id = ? AND contract = ?`,
    [key.chainId, key.contract],
  );
}

/** Counts a failed pass on the cursor (created when missing) with its message; returns the streak. */
export async function recordChainFailure(
  em: EntityManager,
  key: { chainId: number; contract: string },
  message: string,
): Promise<number> {
  const [row] = await em.execute<{ consecutive_failures: number }[]>(
    `INSERT INTO chain_cursors (chain_id, contract, last_error, last_error_at, consecutive_failures)
     VALUES (?, ?, ?, now(), 1)
     ON CONFLICT (chain_id, contract) DO UPDATE
        SET last_error = excluded.last_error, last_error_at = now(),
            consecutive_failures = chain_cursors.consecutive_failures + 1, updated_at = now()
     RETURNING consecutive_failures`,
    [key.chainId, key.contract, message.slice(0, 2_000)],
  );
  return row?.consecutive_failures ?? 1;
}

/** Stores (or replaces) the hashes of blocks the indexer relied on, in one statement. */
export async function saveChainBlocks(
  em: EntityManager,
  chainId: number,
  blocks: ChainBlock[],
): Promise<void> {
  if (blocks.length === 0) return;
  await em.execute(
    `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash)
     SELECT ?, b.number, b.hash, b.parent_hash
       FROM jsonb_to_recordset(?::jsonb) AS b(number bigint, hash text, parent_hash text)
     ON CONFLICT (chain_id, number) DO UPDATE
        SET hash = excluded.hash, parent_hash = excluded.parent_hash, indexed_at = now()`,
    [
      chainId,
      JSON.stringify(
        blocks.map((b) => ({ number: b.number.toString(), hash: b.hash, parent_hash: b.parentHash })),
      ),
    ],
  );
}

/** Stored blocks numbered `below` or lower, newest first, at most `limit`. */
export async function recentChainBlocks(
  em: EntityManager,
  chainId: number,
  below: bigint,
  limit: number,
): Promise<ChainBlock[]> {
  const rows = await em.execute<{ number: string; hash: string; parent_hash: string }[]>(
    `SELECT number::text AS number, hash, parent_hash FROM chain_blocks
      WHERE chain_id = ? AND number <= ?::bigint ORDER BY chain_blocks.number DESC LIMIT ?`,
    [chainId, below.toString(), limit],
  );
  return rows.map((r) => ({ number: BigInt(r.number), hash: r.hash, parentHash: r.parent_hash }));
}

/** Forgets stored blocks numbered `from` or higher (orphaned by a reorganisation, or re-indexed). */
export async function deleteChainBlocksFrom(em: EntityManager, chainId: number, from: bigint): Promise<void> {
  await em.execute('DELETE FROM chain_blocks WHERE chain_id = ? AND number >= ?::bigint', [
    chainId,
    from.toString(),
  ]);
}

/** Forgets stored blocks numbered below `before`: too deep to be reorganised. */
export async function pruneChainBlocks(em: EntityManager, chainId: number, before: bigint): Promise<void> {
  await em.execute('DELETE FROM chain_blocks WHERE chain_id = ? AND number < ?::bigint', [
    chainId,
    before.toString(),
  ]);
}
