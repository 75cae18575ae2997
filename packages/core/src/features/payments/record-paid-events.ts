import { type PaidEvent, splitAmount } from '@ppv/chain';
import {
  creditPayment,
  type EntityManager,
  grantPurchase,
  type LockedInvoice,
  lockInvoiceByChainId,
  type PaymentStatus,
  upsertPayment,
} from '@ppv/db';

/** A decoded `Paid` event (with its block, transaction and log index) and the chain it was read from. */
export type ChainPaidEvent = PaidEvent & { chainId: number };

/** Payment statuses that grant the invoice's viewer access. */
export const GRANTING_STATUSES: readonly PaymentStatus[] = ['credited', 'overpaid', 'late'];

export interface RecordedPayment {
  chainId: number;
  txHash: string;
  logIndex: number;
  invoiceId: string;
  /** The row's id; null for a duplicate delivery of an event already recorded. */
  paymentId: string | null;
  /** What this event was found to be (null for a duplicate delivery). */
  status: PaymentStatus | null;
  problem: string | null;
  tenantId: string | null;
  /** Whether this payment grants the viewer the video (credited, overpaid or late). */
  granted: boolean;
}

export interface RecordPaidEventsDeps {
  /** The caller's transaction. Hub scope (withHubScope) for events of any tenant, as the indexer reads them. */
  em: EntityManager;
  clock: () => Date;
}

const lower = (value: string) => value.toLowerCase();

/** Why an event does not pay its invoice as signed, or null when it does. */
function judge(
  event: ChainPaidEvent,
  invoice: LockedInvoice | null,
): { status: PaymentStatus; problem: string | null } {
  if (!invoice) return { status: 'unknown_invoice', problem: `no invoice has id ${lower(event.invoiceId)}` };
  if (invoice.chainId !== event.chainId || invoice.contract !== lower(event.address)) {
    return {
      status: 'mismatch',
      problem: `emitted by ${lower(event.address)} on chain ${event.chainId}; the invoice is for ${invoice.contract} on chain ${invoice.chainId}`,
    };
  }
  if (invoice.token !== lower(event.token)) {
    return {
      status: 'mismatch',
      problem: `paid in token ${lower(event.token)}; the invoice asks for ${invoice.token}`,
    };
  }
  if (invoice.payer !== lower(event.payer)) {
    return {
      status: 'mismatch',
      problem: `paid by ${lower(event.payer)}; the invoice is for ${invoice.payer}`,
    };
  }
  if (event.amount < invoice.amount) {
    return { status: 'underpaid', problem: `paid ${event.amount}; the invoice asks for ${invoice.amount}` };
  }
  if (invoice.status === 'paid') return { status: 'duplicate', problem: 'the invoice was already paid' };
  if (event.amount > invoice.amount) {
    return { status: 'overpaid', problem: `paid ${event.amount}; the invoice asks for ${invoice.amount}` };
  }
  if (invoice.status === 'expired') {
    return { status: 'late', problem: 'the invoice had been replaced or had expired when it was paid' };
  }
  return { status: 'credited', problem: null };
}

/**
 * Records `Paid` events (from the indexer or the fast path), in order. Each is checked against its
 * invoice (chain, contract, token, payer, amount); recorded once per (chain, tx hash, log index) —
 * a duplicate delivery, even a concurrent one, changes nothing; a payment that pays its invoice
 * (exactly, over, or after the invoice was replaced) grants the viewer the video and writes one
 * ledger entry per share. Every other event is kept with its status and problem for admins.
 */
export async function recordPaidEvents(
  deps: RecordPaidEventsDeps,
  events: readonly ChainPaidEvent[],
): Promise<RecordedPayment[]> {
  const results: RecordedPayment[] = [];
  for (const event of events) {
    const invoice = await lockInvoiceByChainId(deps.em, event.invoiceId);
    const { status, problem } = judge(event, invoice);
    const at = deps.clock();
    const paymentId = await upsertPayment(deps.em, {
      tenantId: invoice?.tenantId ?? null,
      chainId: event.chainId,
      contract: event.address,
      txHash: event.transactionHash,
      logIndex: event.logIndex,
      blockNumber: event.blockNumber,
      blockHash: event.blockHash,
      invoiceRef: invoice?.id ?? null,
      invoiceId: event.invoiceId,
      payer: event.payer,
      token: event.token,
      amount: event.amount,
      creatorShare: event.creatorShare,
      tenantShare: event.tenantShare,
      hubShare: event.hubShare,
      status,
      problem,
      at,
    });
    const base = {
      chainId: event.chainId,
      txHash: lower(event.transactionHash),
      logIndex: event.logIndex,
      invoiceId: lower(event.invoiceId),
      tenantId: invoice?.tenantId ?? null,
    };
    if (!paymentId) {
      results.push({ ...base, paymentId: null, status: null, problem: null, granted: false });
      continue;
    }
    const granted = invoice !== null && GRANTING_STATUSES.includes(status);
    if (granted) await credit(deps.em, { event, invoice, paymentId, at });
    results.push({ ...base, paymentId, status, problem, granted });
  }
  return results;
}

async function credit(
  em: EntityManager,
  {
    event,
    invoice,
    paymentId,
    at,
  }: { event: ChainPaidEvent; invoice: LockedInvoice; paymentId: string; at: Date },
): Promise<void> {
  await grantPurchase(em, {
    tenantId: invoice.tenantId,
    userId: invoice.viewerId,
    videoId: invoice.videoId,
    paymentId,
    at,
    expiresAt: invoice.rentalHours ? new Date(at.getTime() + invoice.rentalHours * 3_600_000) : null,
  });
  // The price in cents paid (more than the price for an overpayment), split by the contract's rule.
  const cents = (BigInt(invoice.priceCents) * event.amount) / invoice.amount;
  const centShares = splitAmount(cents, invoice.tenantBps, invoice.hubBps);
  await creditPayment(em, {
    tenantId: invoice.tenantId,
    paymentId,
    invoiceRef: invoice.id,
    videoId: invoice.videoId,
    chainId: event.chainId,
    token: event.token,
    tokenSymbol: invoice.tokenSymbol,
    at,
    shares: [
      {
        party: 'creator',
        partyUserId: invoice.creatorId,
        address: event.creator,
        amount: event.creatorShare,
        usdCents: centShares.creatorShare,
      },
      {
        party: 'tenant',
        partyUserId: null,
        address: event.tenant,
        amount: event.tenantShare,
        usdCents: centShares.tenantShare,
      },
      {
        party: 'hub',
        partyUserId: null,
        address: event.hub,
        amount: event.hubShare,
        usdCents: centShares.hubShare,
      },
    ],
  });
}
