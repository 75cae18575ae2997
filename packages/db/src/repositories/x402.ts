import type { EntityManager } from '../orm';

/**
 * Raw SQL of HTTP 402 settlements (`x402_settlements`): the in-flight record of an EIP-3009
 * authorization the hub's relayer settles. Each runs in the caller's short transaction (`em`);
 * row-level security applies.
 */

export type X402SettlementStatus = 'settling' | 'settled' | 'failed';

export interface X402Settlement {
  id: string;
  invoiceRef: string;
  chainId: number;
  token: string;
  payer: string;
  nonce: string;
  validBefore: bigint;
  status: X402SettlementStatus;
  txHash: string | null;
  problem: string | null;
  leaseUntil: Date;
}

interface Row {
  id: string;
  invoice_ref: string;
  chain_id: number;
  token: string;
  payer: string;
  nonce: string;
  valid_before: string;
  status: X402SettlementStatus;
  tx_hash: string | null;
  problem: string | null;
  lease_until: Date | string;
}

const toSettlement = (row: Row): X402Settlement => ({
  id: row.id,
  invoiceRef: row.invoice_ref,
  chainId: row.chain_id,
  token: row.token,
  payer: row.payer,
  nonce: row.nonce,
  validBefore: BigInt(row.valid_before),
  status: row.status,
  txHash: row.tx_hash,
  problem: row.problem,
  leaseUntil: new Date(row.lease_until),
});

export interface X402AuthorizationKey {
  chainId: number;
  token: string;
  payer: string;
  nonce: string;
}

/** The settlement of this authorization (visible to the tenant), locked until the transaction ends. */
export async function lockX402Settlement(
  em: EntityManager,
  key: X402AuthorizationKey,
): Promise<X402Settlement | null> {
  const [row] = await em.execute<Row[]>(
    `SELECT * FROM x402_settlements WHERE chain_id = ? AND token = ? AND payer = ? AND nonce = ? FOR UPDATE`,
    [key.chainId, key.token.toLowerCase(), key.payer.toLowerCase(), key.nonce.toLowerCase()],
  );
  return row ? toSettlement(row) : null;
}

/**
 * The settlement in flight ('settling') of any invoice of this viewer for this video, if any, locked
 * until the transaction ends: an invoice replaced while its payment is in flight still counts.
 */
export async function lockInFlightX402Settlement(
  em: EntityManager,
  viewerId: string,
  videoId: string,
): Promise<X402Settlement | null> {
  const [row] = await em.execute<Row[]>(
    `SELECT s.* FROM x402_settlements s JOIN invoices i ON i.id = s.invoice_ref
      WHERE i.viewer_id = ? AND i.video_id = ? AND s.status = 'settling'
      ORDER BY s.created_at LIMIT 1 FOR UPDATE OF s`,
    [viewerId, videoId],
  );
  return row ? toSettlement(row) : null;
}

/**
 * Claims the settlement of an authorization for this request until `leaseUntil`: a new row, or a
 * failed or lapsed one of the same authorization taken over ('settling' again, its hash cleared).
 * Returns the row, or null when the key is already another tenant's.
 */
export async function claimX402Settlement(
  em: EntityManager,
  input: X402AuthorizationKey & {
    tenantId: string;
    invoiceRef: string;
    validBefore: bigint;
    leaseUntil: Date;
    at: Date;
  },
): Promise<X402Settlement | null> {
  const [row] = await em.execute<Row[]>(
    `INSERT INTO x402_settlements (tenant_id, invoice_ref, chain_id, token, payer, nonce, valid_before,
                                   status, lease_until, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'settling', ?, ?, ?)
     ON CONFLICT (chain_id, token, payer, nonce) DO UPDATE
       SET status = 'settling', tx_hash = NULL, problem = NULL, lease_until = EXCLUDED.lease_until,
           invoice_ref = EXCLUDED.invoice_ref, valid_before = EXCLUDED.valid_before,
           updated_at = EXCLUDED.updated_at
       WHERE x402_settlements.tenant_id = EXCLUDED.tenant_id AND x402_settlements.status <> 'settled'
     RETURNING *`,
    [
      input.tenantId,
      input.invoiceRef,
      input.chainId,
      input.token.toLowerCase(),
      input.payer.toLowerCase(),
      input.nonce.toLowerCase(),
      input.validBefore.toString(),
      input.leaseUntil.toISOString(),
      input.at.toISOString(),
      input.at.toISOString(),
    ],
  );
  return row ? toSettlement(row) : null;
}

/** Records what became of a settlement: its transaction's hash, its outcome, or a new lease. */
export async function updateX402Settlement(
  em: EntityManager,
  id: string,
  change: {
    status?: X402SettlementStatus;
    txHash?: string | null;
    problem?: string | null;
    leaseUntil?: Date;
    at: Date;
  },
): Promise<void> {
  await em.execute(
    `UPDATE x402_settlements
        SET status = coalesce(?, status),
            tx_hash = CASE WHEN ?::boolean THEN ? ELSE tx_hash END,
            problem = CASE WHEN ?::boolean THEN ? ELSE problem END,
            lease_until = coalesce(?::timestamptz, lease_until),
            updated_at = ?
      WHERE id = ?`,
    [
      change.status ?? null,
      change.txHash !== undefined,
      change.txHash?.toLowerCase() ?? null,
      change.problem !== undefined,
      change.problem ?? null,
      change.leaseUntil?.toISOString() ?? null,
      change.at.toISOString(),
      id,
    ],
  );
}
