import { listViewerPurchases } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import type { MyPurchasesInput } from './purchases.schemas';

export interface PurchaseView {
  videoId: string;
  title: string;
  purchasedAt: Date;
  /** What was paid, in US cents (the invoice's price); null when the payment has no invoice on record. */
  priceCents: number | null;
  /** What was paid on chain: the token's symbol and the amount in its smallest units. */
  tokenSymbol: string | null;
  amount: string | null;
  txHash: string | null;
  /** A rental's end; null: for good. */
  expiresAt: Date | null;
  /** `revoked`: the payment was undone (a chain reorganisation removed it). */
  status: 'active' | 'expired' | 'revoked';
}

/** The caller's purchases in this tenant, newest first: rentals that ran out and revoked ones included. */
export async function listMyPurchases(
  deps: TenantDeps,
  input: MyPurchasesInput & { auth: AuthInfo },
): Promise<PurchaseView[]> {
  const now = deps.clock();
  const rows = await listViewerPurchases(deps.em, {
    tenantId: deps.tenantId,
    userId: input.auth.userId,
    limit: input.limit,
  });
  return rows.map(({ revokedAt, ...row }) => ({
    ...row,
    status: revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : 'active',
  }));
}
