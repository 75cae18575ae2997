import type { PaymentStatus } from '../entities';
import { type EntityManager, executeBound } from '../orm';

/**
 * Raw SQL of the payment path: the row locks, upserts and sums that make recording a payment
 * idempotent under concurrent deliveries. Each runs in the caller's transaction (`em`); row-level
 * security applies (hub scope to work across tenants).
 */

/** An invoice locked for recording a payment of it, with the video's creator. */
export interface LockedInvoice {
  id: string;
  tenantId: string;
  viewerId: string;
  videoId: string;
  creatorId: string | null;
  chainId: number;
  contract: string;
  payer: string;
  token: string;
  tokenSymbol: string;
  amount: bigint;
  creatorAddress: string;
  tenantAddress: string;
  hubAddress: string;
  creatorBps: number;
  tenantBps: number;
  hubBps: number;
  priceCents: number;
  rentalHours: number | null;
  status: 'open' | 'paid' | 'expired';
}

interface LockedInvoiceRow {
  id: string;
  invoice_id: string;
  tenant_id: string;
  viewer_id: string;
  video_id: string;
  creator_id: string | null;
  chain_id: number;
  contract: string;
  payer: string;
  token: string;
  token_symbol: string;
  amount: string;
  creator_address: string;
  tenant_address: string;
  hub_address: string;
  creator_bps: number;
  tenant_bps: number;
  hub_bps: number;
  price_cents: number;
  rental_hours: number | null;
  status: LockedInvoice['status'];
}

const toLockedInvoice = (row: LockedInvoiceRow): LockedInvoice => ({
  id: row.id,
  tenantId: row.tenant_id,
  viewerId: row.viewer_id,
  videoId: row.video_id,
  creatorId: row.creator_id,
  chainId: row.chain_id,
  contract: row.contract,
  payer: row.payer,
  token: row.token,
  tokenSymbol: row.token_symbol,
  amount: BigInt(row.amount),
  creatorAddress: row.creator_address,
  tenantAddress: row.tenant_address,
  hubAddress: row.hub_address,
  creatorBps: row.creator_bps,
  tenantBps: row.tenant_bps,
  hubBps: row.hub_bps,
  priceCents: row.price_cents,
  rentalHours: row.rental_hours,
  status: row.status,
});

/**
 * The visible invoices with these on-chain ids, locked until the transaction ends (in id order, so
 * concurrent batches cannot deadlock), by lower-case on-chain id.
 */
export async function lockInvoicesByChainIds(
  em: EntityManager,
  invoiceIds: readonly string[],
): Promise<Map<string, LockedInvoice>> {
  if (invoiceIds.length === 0) return new Map();
  const rows = await executeBound<LockedInvoiceRow>(
    em,
    `SELECT i.*, v.creator_id FROM invoices i LEFT JOIN videos v ON v.id = i.video_id
      WHERE i.invoice_id = ANY(string_to_array(?, ',')) ORDER BY i.id FOR UPDATE OF i`,
    [invoiceIds.map((id) => id.toLowerCase()).join(',')],
  );
  return new Map(rows.map((row) => [row.invoice_id, toLockedInvoice(row)]));
}

/**
 * Serialises invoice creation for one (viewer, video) until the transaction ends, so two concurrent
 * checkouts make one invoice.
 */
export async function lockViewerVideo(em: EntityManager, viewerId: string, videoId: string): Promise<void> {
  await em.execute('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [
    `invoice:${viewerId}:${videoId}`,
  ]);
}

export interface PaymentRow {
  tenantId: string | null;
  chainId: number;
  contract: string;
  txHash: string;
  logIndex: number;
  blockNumber: bigint;
  blockHash: string;
  invoiceRef: string | null;
  invoiceId: string;
  payer: string;
  token: string;
  amount: bigint;
  creatorShare: bigint;
  tenantShare: bigint;
  hubShare: bigint;
  status: PaymentStatus;
  problem: string | null;
}

/** The identity of a chain event: `<chain id>:<tx hash>:<log index>`, lower case. */
export const eventKey = (e: { chainId: number; txHash: string; logIndex: number }) =>
  `${e.chainId}:${e.txHash.toLowerCase()}:${e.logIndex}`;

/**
 * What a payment that pays its invoice (credited, overpaid or late) grants: the viewer's
 * entitlement and one ledger entry per share (each share's token amount is the event's, its value
 * in cents already split by the contract's rule).
 */
export interface PaymentCredit {
  viewerId: string;
  videoId: string;
  /** End of a rental; null for a purchase that does not expire. */
  expiresAt: Date | null;
  /** The creator's account (the creator share's party_user_id). */
  creatorId: string | null;
  tokenSymbol: string;
  /** The event's payout addresses. */
  creatorAddress: string;
  tenantAddress: string;
  hubAddress: string;
  creatorCents: bigint;
  tenantCents: bigint;
  hubCents: bigint;
}

export interface PaymentWrite extends PaymentRow {
  /** Set when the payment pays its invoice (`tenantId` and `invoiceRef` are then set too). */
  credit: PaymentCredit | null;
}

/**
 * Records payments once per (chain, tx hash, log index) and what each new one grants, in one
 * statement (a data-modifying CTE): the payment rows; for every row written (new, or back from
 * `orphaned` because the transaction was mined again) that has a `credit`, the viewer's purchase
 * (at most one grant per viewer and video: a lasting one over a rental, else the rental ending
 * last, else the first; an active entitlement is kept unless the new one lasts longer, a revoked
 * or expired one is renewed in place), the invoice marked paid and the three share entries in the
 * ledger. A key already recorded (a duplicate delivery) changes nothing and grants nothing. The
 * rows must have distinct keys. Returns, by eventKey, the ids of the payment rows written. Payments
 * are written in key order and entitlements in (video, viewer) order, so that concurrent batches
 * wait for each other instead of deadlocking.
 */
export async function recordPayments(
  em: EntityManager,
  payments: readonly PaymentWrite[],
  at: Date,
): Promise<Map<string, string>> {
  if (payments.length === 0) return new Map();
  const when = at.toISOString();
  const rows = await executeBound<{ id: string; chain_id: number; tx_hash: string; log_index: number }>(
    em,
    `WITH input AS MATERIALIZED (
       SELECT * FROM json_to_recordset(?::json) AS p(
              n int, tenant_id uuid, chain_id int, contract text, tx_hash text, log_index int, block_number bigint,
              block_hash text, invoice_ref uuid, invoice_id text, payer text, token text, amount numeric,
              creator_share numeric, tenant_share numeric, hub_share numeric, status text, problem text,
              credit boolean, viewer_id uuid, video_id uuid, expires_at timestamptz, creator_id uuid,
              token_symbol text, creator_address text, tenant_address text, hub_address text,
              creator_cents bigint, tenant_cents bigint, hub_cents bigint)),
     written AS (
       INSERT INTO payments (tenant_id, chain_id, contract, tx_hash, log_index, block_number, block_hash,
                             invoice_ref, invoice_id, payer, token, amount, creator_share, tenant_share,
                             hub_share, status, problem, recorded_at)
       SELECT tenant_id, chain_id, contract, tx_hash, log_index, block_number, block_hash, invoice_ref,
              invoice_id, payer, token, amount, creator_share, tenant_share, hub_share, status, problem,
              ?::timestamptz
         FROM input ORDER BY chain_id, tx_hash, log_index
       ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE
         SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
             status = EXCLUDED.status, problem = EXCLUDED.problem, recorded_at = EXCLUDED.recorded_at,
             orphaned_at = NULL
         WHERE payments.status = 'orphaned'
       RETURNING id, chain_id, tx_hash, log_index),
     credited AS MATERIALIZED (
       SELECT w.id AS payment_id, i.*
         FROM written w
         JOIN input i ON i.chain_id = w.chain_id AND i.tx_hash = w.tx_hash AND i.log_index = w.log_index
        WHERE i.credit),
     granted AS (
       INSERT INTO entitlements (tenant_id, user_id, video_id, source, payment_id, granted_at, expires_at)
       SELECT tenant_id, viewer_id, video_id, 'purchase', payment_id, ?::timestamptz, expires_at
         FROM (SELECT DISTINCT ON (video_id, viewer_id) *
                 FROM credited
                ORDER BY video_id, viewer_id, expires_at IS NULL DESC, expires_at DESC, n) AS g
        ORDER BY video_id, viewer_id
       ON CONFLICT (video_id, user_id) DO UPDATE
         SET source = 'purchase', payment_id = EXCLUDED.payment_id, granted_at = EXCLUDED.granted_at,
             expires_at = EXCLUDED.expires_at, revoked_at = NULL, revoke_reason = NULL
         WHERE entitlements.revoked_at IS NOT NULL
            OR (entitlements.expires_at IS NOT NULL
                AND (EXCLUDED.expires_at IS NULL OR EXCLUDED.expires_at > entitlements.expires_at))),
     paid AS (
       UPDATE invoices SET status = 'paid', paid_at = ?::timestamptz
        WHERE id IN (SELECT invoice_ref FROM credited)),
     shares AS (
       INSERT INTO ledger_entries (tenant_id, payment_id, kind, party, party_user_id, address, video_id,
                                   chain_id, token, token_symbol, amount, usd_cents, created_at)
       SELECT c.tenant_id, c.payment_id, 'share', s.party, s.party_user_id, s.address, c.video_id, c.chain_id,
              c.token, c.token_symbol, s.amount, s.usd_cents, ?::timestamptz
         FROM credited c
        CROSS JOIN LATERAL (VALUES
              (1, 'creator', c.creator_id, c.creator_address, c.creator_share, c.creator_cents),
              (2, 'tenant', NULL::uuid, c.tenant_address, c.tenant_share, c.tenant_cents),
              (3, 'hub', NULL::uuid, c.hub_address, c.hub_share, c.hub_cents))
              AS s(k, party, party_user_id, address, amount, usd_cents)
        ORDER BY c.n, s.k)
     SELECT id, chain_id, tx_hash, log_index FROM written`,
    [
      JSON.stringify(
        payments.map((p, n) => {
          const c = p.credit;
          return {
            n,
            tenant_id: p.tenantId,
            chain_id: p.chainId,
            contract: p.contract.toLowerCase(),
            tx_hash: p.txHash.toLowerCase(),
            log_index: p.logIndex,
            block_number: p.blockNumber.toString(),
            block_hash: p.blockHash.toLowerCase(),
            invoice_ref: p.invoiceRef,
            invoice_id: p.invoiceId.toLowerCase(),
            payer: p.payer.toLowerCase(),
            token: p.token.toLowerCase(),
            amount: p.amount.toString(),
            creator_share: p.creatorShare.toString(),
            tenant_share: p.tenantShare.toString(),
            hub_share: p.hubShare.toString(),
            status: p.status,
            problem: p.problem,
            credit: c !== null,
            viewer_id: c?.viewerId ?? null,
            video_id: c?.videoId ?? null,
            expires_at: c?.expiresAt?.toISOString() ?? null,
            creator_id: c?.creatorId ?? null,
            token_symbol: c?.tokenSymbol ?? null,
            creator_address: c?.creatorAddress.toLowerCase() ?? null,
            tenant_address: c?.tenantAddress.toLowerCase() ?? null,
            hub_address: c?.hubAddress.toLowerCase() ?? null,
            creator_cents: c?.creatorCents.toString() ?? null,
            tenant_cents: c?.tenantCents.toString() ?? null,
            hub_cents: c?.hubCents.toString() ?? null,
          };
        }),
      ),
      when,
      when,
      when,
      when,
    ],
  );
  return new Map(
    rows.map((r) => [eventKey({ chainId: r.chain_id, txHash: r.tx_hash, logIndex: r.log_index }), r.id]),
  );
}

export interface OrphanedPayment {
  id: string;
  tenantId: string | null;
  invoiceRef: string | null;
  previousStatus: PaymentStatus;
}

/**
 * Marks the chain's payments in blocks from `fromBlock` on, or in the given blocks, `orphaned`
 * (those not already). Returns them with the status they had.
 */
export async function orphanPayments(
  em: EntityManager,
  input: { chainId: number; at: Date } & ({ fromBlock: bigint } | { blockHashes: readonly string[] }),
): Promise<OrphanedPayment[]> {
  const where = 'fromBlock' in input ? 'block_number >= ?' : "block_hash = ANY(string_to_array(?, ','))";
  const bound =
    'fromBlock' in input
      ? input.fromBlock.toString()
      : input.blockHashes.map((h) => h.toLowerCase()).join(',');
  return markOrphaned(
    em,
    `old AS (
       SELECT id, status FROM payments
        WHERE chain_id = ? AND ${where} AND status <> 'orphaned'
        FOR UPDATE)`,
    [input.chainId, bound],
    input.at,
  );
}

/**
 * Marks `orphaned` the chain's payments of one contract in blocks `fromBlock`…`toBlock` that the
 * chain no longer holds: every payment there (not already orphaned) whose transaction, log index
 * and block hash are not among `present`, the events a fresh read of those blocks returned. A
 * payment the fast path recorded ahead of the indexer from a block a reorganisation then replaced
 * is caught here, when the indexer reaches its block. Returns them with the status they had.
 */
export async function orphanMissingPayments(
  em: EntityManager,
  input: {
    chainId: number;
    contract: string;
    fromBlock: bigint;
    toBlock: bigint;
    present: readonly { txHash: string; logIndex: number; blockHash: string }[];
    at: Date;
  },
): Promise<OrphanedPayment[]> {
  return markOrphaned(
    em,
    `present AS (
       SELECT * FROM json_to_recordset(?::json) AS e(tx_hash text, log_index int, block_hash text)),
     old AS (
       SELECT p.id, p.status FROM payments p
        WHERE p.chain_id = ? AND p.contract = ? AND p.block_number BETWEEN ? AND ? AND p.status <> 'orphaned'
          AND NOT EXISTS (SELECT 1 FROM present e WHERE e.tx_hash = p.tx_hash AND e.log_index = p.log_index
                             AND e.block_hash = p.block_hash)
        ORDER BY p.id
        FOR UPDATE OF p)`,
    [
      JSON.stringify(
        input.present.map((e) => ({
          tx_hash: e.txHash.toLowerCase(),
          log_index: e.logIndex,
          block_hash: e.blockHash.toLowerCase(),
        })),
      ),
      input.chainId,
      input.contract.toLowerCase(),
      input.fromBlock.toString(),
      input.toBlock.toString(),
    ],
    input.at,
  );
}

/**
 * The one orphaning statement: `ctes` (with their `?` parameters) end in `old (id, status)`, the
 * locked payments to mark; returns them with the status they had.
 */
async function markOrphaned(
  em: EntityManager,
  ctes: string,
  params: readonly unknown[],
  at: Date,
): Promise<OrphanedPayment[]> {
  const rows = await executeBound<{
    id: string;
    tenant_id: string | null;
    invoice_ref: string | null;
    previous_status: PaymentStatus;
  }>(
    em,
    `WITH ${ctes}
     UPDATE payments p SET status = 'orphaned', orphaned_at = ?
       FROM old WHERE p.id = old.id
     RETURNING p.id, p.tenant_id, p.invoice_ref, old.status AS previous_status`,
    [...params, at.toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    invoiceRef: r.invoice_ref,
    previousStatus: r.previous_status,
  }));
}

/**
 * Undoes what an orphaned payment granted: revokes its entitlement, writes reversal ledger entries
 * that bring each of its parties back to zero, and reopens its invoice (or expires it when the
 * viewer has another open invoice for the video).
 */
export async function reversePayment(
  em: EntityManager,
  r: { paymentId: string; invoiceRef: string | null; at: Date; reason: string },
): Promise<{ revokedEntitlements: number }> {
  const revoked = await em.execute<{ id: string }[]>(
    `UPDATE entitlements SET revoked_at = ?, revoke_reason = ?
      WHERE payment_id = ? AND revoked_at IS NULL RETURNING id`,
    [r.at, r.reason, r.paymentId],
  );
  await em.execute(
    `INSERT INTO ledger_entries (tenant_id, payment_id, kind, party, party_user_id, address, video_id,
                                 chain_id, token, token_symbol, amount, usd_cents, created_at)
     SELECT tenant_id, payment_id, 'reversal', party, party_user_id, address, video_id, chain_id, token,
            token_symbol, -sum(amount), -sum(usd_cents), ?
       FROM ledger_entries WHERE payment_id = ?
      GROUP BY tenant_id, payment_id, party, party_user_id, address, video_id, chain_id, token, token_symbol
     HAVING sum(amount) <> 0 OR sum(usd_cents) <> 0`,
    [r.at, r.paymentId],
    'run',
  );
  if (r.invoiceRef) {
    await em.execute(
      `UPDATE invoices i
          SET status = CASE WHEN EXISTS (
                SELECT 1 FROM invoices o WHERE o.tenant_id = i.tenant_id AND o.viewer_id = i.viewer_id
                   AND o.video_id = i.video_id AND o.status = 'open' AND o.id <> i.id)
              THEN 'expired' ELSE 'open' END,
              paid_at = NULL
        WHERE i.id = ? AND i.status = 'paid'
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_ref = i.id
                             AND p.status IN ('credited', 'overpaid', 'late'))`,
      [r.invoiceRef],
      'run',
    );
  }
  return { revokedEntitlements: revoked.length };
}

export interface EarningsRow {
  chainId: number;
  token: string;
  tokenSymbol: string;
  /** Net smallest units (shares minus reversals). */
  amount: string;
  usdCents: number;
  payments: number;
}

/**
 * Net earnings of one party in a date range (`from` included, `to` excluded), per token. Creators
 * are narrowed to their own account with `partyUserId`.
 */
export async function sumEarnings(
  em: EntityManager,
  q: { party: 'creator' | 'tenant' | 'hub'; partyUserId: string | null; from: Date; to: Date },
): Promise<EarningsRow[]> {
  const rows = await em.execute<
    {
      chain_id: number;
      token: string;
      token_symbol: string;
      amount: string;
      usd_cents: string;
      payments: string;
    }[]
  >(
    `SELECT chain_id, token, token_symbol, sum(amount)::text AS amount, sum(usd_cents)::text AS usd_cents,
            count(DISTINCT payment_id) FILTER (WHERE kind = 'share')::text AS payments
       FROM ledger_entries
      WHERE party = ? AND (?::uuid IS NULL OR party_user_id = ?::uuid) AND created_at >= ? AND created_at < ?
      GROUP BY chain_id, token, token_symbol
      ORDER BY token_symbol, chain_id`,
    [q.party, q.partyUserId, q.partyUserId, q.from, q.to],
  );
  return rows.map((r) => ({
    chainId: r.chain_id,
    token: r.token,
    tokenSymbol: r.token_symbol,
    amount: r.amount,
    usdCents: Number(r.usd_cents),
    payments: Number(r.payments),
  }));
}

export interface DailyEarningsRow {
  /** The UTC day, "YYYY-MM-DD". */
  day: string;
  usdCents: number;
  payments: number;
}

/**
 * Net earnings of one party per UTC day in a date range (`from` included, `to` excluded), in US
 * cents over every token; days without ledger lines are absent.
 */
export async function sumEarningsByDay(
  em: EntityManager,
  q: { party: 'creator' | 'tenant' | 'hub'; partyUserId: string | null; from: Date; to: Date },
): Promise<DailyEarningsRow[]> {
  const rows = await em.execute<{ day: string; usd_cents: string; payments: string }[]>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum(usd_cents)::text AS usd_cents,
            count(DISTINCT payment_id) FILTER (WHERE kind = 'share')::text AS payments
       FROM ledger_entries
      WHERE party = ? AND (?::uuid IS NULL OR party_user_id = ?::uuid) AND created_at >= ? AND created_at < ?
      GROUP BY 1
      ORDER BY 1`,
    [q.party, q.partyUserId, q.partyUserId, q.from, q.to],
  );
  return rows.map((r) => ({ day: r.day, usdCents: Number(r.usd_cents), payments: Number(r.payments) }));
}

/** Whether the viewer holds a purchase of the video at `at`: not revoked, not expired. */
export async function hasActivePurchase(
  em: EntityManager,
  q: { userId: string; videoId: string; at: Date },
): Promise<boolean> {
  const rows = await em.execute<{ ok: boolean }[]>(
    `SELECT EXISTS (${activePurchaseSql('?', '?', '?')}) AS ok`,
    [q.videoId, q.userId, q.at],
  );
  return rows[0]?.ok ?? false;
}

/** Whether the creator has blocked the viewer (in the creator's tenant). */
export async function isBlockedByCreator(
  em: EntityManager,
  q: { tenantId: string; creatorId: string; userId: string },
): Promise<boolean> {
  const rows = await em.execute<{ ok: boolean }[]>(
    `SELECT EXISTS (${creatorBlockSql('?', '?', '?')}) AS ok`,
    [q.tenantId, q.creatorId, q.userId],
  );
  return rows[0]?.ok ?? false;
}

/** The one definition of an active purchase, shared with the playback grant query. */
export const activePurchaseSql = (videoId: string, userId: string, at: string) =>
  `SELECT 1 FROM entitlements e WHERE e.video_id = ${videoId} AND e.user_id = ${userId}
      AND e.source = 'purchase' AND e.revoked_at IS NULL
      AND (e.expires_at IS NULL OR e.expires_at > ${at}::timestamptz)`;

/** The one definition of a creator block, shared with the playback grant query. */
export const creatorBlockSql = (tenantId: string, creatorId: string, userId: string) =>
  `SELECT 1 FROM creator_blocks b WHERE b.tenant_id = ${tenantId} AND b.creator_id = ${creatorId}
      AND b.user_id = ${userId}`;

export interface LedgerLine {
  createdAt: Date;
  kind: 'share' | 'reversal';
  party: 'creator' | 'tenant' | 'hub';
  tenantSlug: string;
  videoId: string | null;
  chainId: number;
  tokenSymbol: string;
  token: string;
  amount: string;
  usdCents: number;
  address: string;
  txHash: string;
  logIndex: number;
}

/** The ledger lines of one party in a date range, oldest first (for CSV export). */
export async function listLedgerLines(
  em: EntityManager,
  q: { party: 'creator' | 'tenant' | 'hub'; partyUserId: string | null; from: Date; to: Date; limit: number },
): Promise<LedgerLine[]> {
  const rows = await em.execute<
    {
      created_at: Date;
      kind: LedgerLine['kind'];
      party: LedgerLine['party'];
      slug: string;
      video_id: string | null;
      chain_id: number;
      token_symbol: string;
      token: string;
      amount: string;
      usd_cents: string;
      address: string;
      tx_hash: string;
      log_index: number;
    }[]
  >(
    `SELECT l.created_at, l.kind, l.party, t.slug, l.video_id, l.chain_id, l.token_symbol, l.token,
            l.amount::text AS amount, l.usd_cents::text AS usd_cents, l.address, p.tx_hash, p.log_index
       FROM ledger_entries l
       JOIN payments p ON p.id = l.payment_id
       JOIN tenants t ON t.id = l.tenant_id
      WHERE l.party = ? AND (?::uuid IS NULL OR l.party_user_id = ?::uuid) AND l.created_at >= ? AND l.created_at < ?
      ORDER BY l.created_at, l.id
      LIMIT ?`,
    [q.party, q.partyUserId, q.partyUserId, q.from, q.to, q.limit],
  );
  return rows.map((r) => ({
    createdAt: new Date(r.created_at),
    kind: r.kind,
    party: r.party,
    tenantSlug: r.slug,
    videoId: r.video_id,
    chainId: r.chain_id,
    tokenSymbol: r.token_symbol,
    token: r.token,
    amount: r.amount,
    usdCents: Number(r.usd_cents),
    address: r.address,
    txHash: r.tx_hash,
    logIndex: r.log_index,
  }));
}

export interface ViewerPurchase {
  videoId: string;
  title: string;
  purchasedAt: Date;
  /** The price paid in US cents (the invoice's); null when no invoice is on record. */
  priceCents: number | null;
  tokenSymbol: string | null;
  /** Smallest units of `tokenSymbol`. */
  amount: string | null;
  txHash: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** A viewer's purchases in the transaction's tenant (one per video), newest first. */
export async function listViewerPurchases(
  em: EntityManager,
  q: { tenantId: string; userId: string; limit: number },
): Promise<ViewerPurchase[]> {
  const rows = await em.execute<
    {
      video_id: string;
      title: string;
      granted_at: Date;
      price_cents: number | null;
      token_symbol: string | null;
      amount: string | null;
      tx_hash: string | null;
      expires_at: Date | null;
      revoked_at: Date | null;
    }[]
  >(
    `SELECT e.video_id, v.title, e.granted_at, i.price_cents, i.token_symbol, p.amount::text AS amount,
            p.tx_hash, e.expires_at, e.revoked_at
       FROM entitlements e
       JOIN videos v ON v.id = e.video_id
       LEFT JOIN payments p ON p.id = e.payment_id
       LEFT JOIN invoices i ON i.id = p.invoice_ref
      WHERE e.tenant_id = ? AND e.user_id = ? AND e.source = 'purchase'
      ORDER BY e.granted_at DESC, e.id
      LIMIT ?`,
    [q.tenantId, q.userId, q.limit],
  );
  return rows.map((r) => ({
    videoId: r.video_id,
    title: r.title,
    purchasedAt: new Date(r.granted_at),
    priceCents: r.price_cents,
    tokenSymbol: r.token_symbol,
    amount: r.amount,
    txHash: r.tx_hash,
    expiresAt: r.expires_at && new Date(r.expires_at),
    revokedAt: r.revoked_at && new Date(r.revoked_at),
  }));
}
