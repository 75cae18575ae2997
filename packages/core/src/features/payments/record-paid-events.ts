import { type PaidEvent, splitAmount } from '@ppv/chain';
import {
  type EntityManager,
  eventKey,
  type LockedInvoice,
  lockInvoicesByChainIds,
  type PaymentCredit,
  type PaymentStatus,
  recordPayments,
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
 * Events per round trip (two statements: lock the invoices, write everything): large enough that
 * a backfill batch costs a few round trips, small enough to keep each JSON parameter to a few MB.
 */
const CHUNK = 2_000;

/**
 * Records `Paid` events (from the indexer or the fast path), in order. Each is checked against its
 * invoice (chain, contract, token, payer, amount); recorded once per (chain, tx hash, log index) —
 * a duplicate delivery, even a concurrent one, changes nothing; a payment that pays its invoice
 * (exactly, over, or after the invoice was replaced) grants the viewer the video and writes one
 * ledger entry per share. Every other event is kept with its status and problem for admins.
 * Works in chunks of up to 2,000 events, two statements each.
 */
export async function recordPaidEvents(
  deps: RecordPaidEventsDeps,
  events: readonly ChainPaidEvent[],
): Promise<RecordedPayment[]> {
  const results: RecordedPayment[] = [];
  for (let start = 0; start < events.length; start += CHUNK) {
    results.push(...(await recordChunk(deps, events.slice(start, start + CHUNK))));
  }
  return results;
}

interface Judged {
  event: ChainPaidEvent;
  key: string;
  invoice: LockedInvoice | null;
  status: PaymentStatus;
  problem: string | null;
  /** Another event of this chunk with the same key came first: a duplicate delivery. */
  repeated: boolean;
  /** Whether it pays its invoice (and so grants, once written). */
  granting: boolean;
}

async function recordChunk(
  deps: RecordPaidEventsDeps,
  events: readonly ChainPaidEvent[],
): Promise<RecordedPayment[]> {
  const at = deps.clock();
  const invoices = await lockInvoicesByChainIds(deps.em, [...new Set(events.map((e) => lower(e.invoiceId)))]);
  // Judged in order; an invoice credited by an earlier event of the chunk is paid for the later ones.
  const seen = new Set<string>();
  const judged: Judged[] = events.map((event) => {
    const key = eventKey({ chainId: event.chainId, txHash: event.transactionHash, logIndex: event.logIndex });
    const invoice = invoices.get(lower(event.invoiceId)) ?? null;
    const repeated = seen.has(key);
    seen.add(key);
    const verdict = judge(event, invoice);
    const granting = !repeated && invoice !== null && GRANTING_STATUSES.includes(verdict.status);
    if (granting && invoice) invoice.status = 'paid';
    return { event, key, invoice, ...verdict, repeated, granting };
  });
  const written = await recordPayments(
    deps.em,
    judged
      .filter((j) => !j.repeated)
      .map(({ event, invoice, status, problem, granting }) => ({
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
        credit: granting && invoice ? creditOf(event, invoice, at) : null,
      })),
    at,
  );
  return judged.map(({ event, key, invoice, status, problem, repeated, granting }): RecordedPayment => {
    const base = {
      chainId: event.chainId,
      txHash: lower(event.transactionHash),
      logIndex: event.logIndex,
      invoiceId: lower(event.invoiceId),
      tenantId: invoice?.tenantId ?? null,
    };
    const paymentId = repeated ? undefined : written.get(key);
    if (!paymentId) return { ...base, paymentId: null, status: null, problem: null, granted: false };
    return { ...base, paymentId, status, problem, granted: granting };
  });
}

/**
 * What a credited payment grants: the viewer's purchase (until the rental ends, if the invoice is
 * a rental) and its ledger shares — each share's token amount from the event, and its value in
 * cents: the cents paid (more than the price for an overpayment) split by the contract's rule.
 */
function creditOf(event: ChainPaidEvent, invoice: LockedInvoice, at: Date): PaymentCredit {
  const cents = (BigInt(invoice.priceCents) * event.amount) / invoice.amount;
  const centShares = splitAmount(cents, invoice.tenantBps, invoice.hubBps);
  return {
    viewerId: invoice.viewerId,
    videoId: invoice.videoId,
    expiresAt: invoice.rentalHours ? new Date(at.getTime() + invoice.rentalHours * 3_600_000) : null,
    creatorId: invoice.creatorId,
    tokenSymbol: invoice.tokenSymbol,
    creatorAddress: event.creator,
    tenantAddress: event.tenant,
    hubAddress: event.hub,
    creatorCents: centShares.creatorShare,
    tenantCents: centShares.tenantShare,
    hubCents: centShares.hubShare,
  };
}
