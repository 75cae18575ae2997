import { randomBytes } from 'node:crypto';
import {
  EntitlementEntity,
  InvoiceEntity,
  LedgerEntryEntity,
  PaymentEntity,
  VideoEntity,
  withHubScope,
  withTenant,
} from '@ppv/db';
import { getAddress, type Hex, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { type ChainPaidEvent, recordPaidEvents } from './record-paid-events';
import { revokeBlocks, revokeMissing } from './revoke-blocks';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const hex = (bytes: number) => toHex(randomBytes(bytes));
const address = () => getAddress(hex(20));
const SPLITTER = address();
const TOKEN = address();

/** A tenant with a creator, a viewer, a 5 USD video and an open invoice of 5 TestUSD for it. */
async function invoiced(opts: { amount?: bigint; rentalHours?: number } = {}) {
  const tenant = await h.tenant();
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const viewer = await h.signedIn(tenant);
  const payer = address();
  const invoiceId = hex(32);
  const amount = opts.amount ?? 5_000_000n;
  const { videoId, invoiceRef } = await withTenant(h.db.orm, tenant.id, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'V',
      priceCents: 500,
      status: 'ready',
    });
    await em.flush();
    const invoice = em.create(InvoiceEntity, {
      tenantId: tenant.id,
      viewerId: viewer.userId,
      videoId: video.id,
      invoiceId,
      chainId: 31337,
      contract: SPLITTER.toLowerCase(),
      payer: payer.toLowerCase(),
      token: TOKEN.toLowerCase(),
      tokenSymbol: 'TUSD',
      amount: amount.toString(),
      creatorAddress: address().toLowerCase(),
      tenantAddress: address().toLowerCase(),
      hubAddress: address().toLowerCase(),
      creatorBps: 8500,
      tenantBps: 1000,
      hubBps: 500,
      videoIdHash: hex(32),
      deadline: Math.floor(Date.now() / 1000) + 900,
      signature: hex(65),
      priceCents: 500,
      rentalHours: opts.rentalHours ?? null,
    });
    await em.flush();
    return { videoId: video.id, invoiceRef: invoice.id };
  });
  let logIndex = 0;
  const event = (overrides: Partial<ChainPaidEvent> = {}): ChainPaidEvent => {
    const paid = overrides.amount ?? amount;
    const tenantShare = (paid * 1000n) / 10_000n;
    const hubShare = (paid * 500n) / 10_000n;
    return {
      chainId: 31337,
      invoiceId,
      payer,
      creator: address(),
      token: TOKEN,
      amount: paid,
      tenant: address(),
      hub: address(),
      creatorShare: paid - tenantShare - hubShare,
      tenantShare,
      hubShare,
      videoIdHash: hex(32) as Hex,
      address: SPLITTER,
      blockNumber: 100n,
      blockHash: hex(32),
      transactionHash: hex(32),
      logIndex: logIndex++,
      ...overrides,
    };
  };
  return { tenant, creator, viewer, payer, videoId, invoiceRef, event };
}

const record = (events: ChainPaidEvent[]) =>
  withHubScope(h.db.orm, (em) => recordPaidEvents({ em, clock: h.deps.clock }, events));

const rowsOf = (tenantId: string) =>
  withTenant(h.db.orm, tenantId, async (em) => ({
    payments: await em.find(PaymentEntity, {}),
    entitlements: await em.find(EntitlementEntity, {}),
    ledger: await em.find(LedgerEntryEntity, {}, { orderBy: { id: 'asc' } }),
    invoices: await em.find(InvoiceEntity, {}),
  }));

describe('recordPaidEvents', () => {
  it('credits an exact payment: one payment, one entitlement, one ledger entry per share, invoice paid', async () => {
    const f = await invoiced();
    const [result] = await record([f.event()]);
    expect(result).toMatchObject({ status: 'credited', granted: true, tenantId: f.tenant.id });
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments).toHaveLength(1);
    expect(rows.entitlements).toEqual([
      expect.objectContaining({
        userId: f.viewer.userId,
        videoId: f.videoId,
        source: 'purchase',
        revokedAt: null,
      }),
    ]);
    expect(rows.invoices[0]?.status).toBe('paid');
    expect(rows.ledger.map((e) => [e.party, e.amount, Number(e.usdCents)])).toEqual([
      ['creator', '4250000', 425],
      ['tenant', '500000', 50],
      ['hub', '250000', 25],
    ]);
    expect(rows.ledger[0]?.partyUserId).toBe(f.creator.userId);
  });

  it('behavior: the ledger is history: deleting the paid video keeps its shares, with its id and creator', async () => {
    const f = await invoiced();
    await record([f.event()]);
    await withTenant(h.db.orm, f.tenant.id, (em) => em.nativeDelete(VideoEntity, { id: f.videoId }));
    const rows = await rowsOf(f.tenant.id);
    expect(rows.entitlements).toEqual([]);
    expect(rows.ledger.map((e) => [e.party, e.videoId, e.partyUserId])).toEqual([
      ['creator', f.videoId, f.creator.userId],
      ['tenant', f.videoId, null],
      ['hub', f.videoId, null],
    ]);
  });

  it("error: an entitlement cannot name another tenant's video", async () => {
    const f = await invoiced();
    const other = await h.tenant();
    await expect(
      withHubScope(h.db.orm, (em) =>
        em.execute('INSERT INTO entitlements (tenant_id, user_id, video_id, source) VALUES (?, ?, ?, ?)', [
          other.id,
          f.viewer.userId,
          f.videoId,
          'allowlist',
        ]),
      ),
    ).rejects.toThrow(/entitlements_tenant_video_fkey/);
  });

  it('behavior: a rental grants access until its period ends', async () => {
    const f = await invoiced({ rentalHours: 24 });
    const before = h.deps.clock().getTime();
    await record([f.event()]);
    const [entitlement] = (await rowsOf(f.tenant.id)).entitlements;
    const ends = entitlement?.expiresAt?.getTime() ?? 0;
    expect(ends - before).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(ends - before).toBeLessThan(24 * 3_600_000 + 60_000);
  });

  it('behavior: the same event delivered twice, concurrently, records one payment and one entitlement', async () => {
    const f = await invoiced();
    const event = f.event();
    const results = await Promise.all([record([event]), record([event]), record([event])]);
    expect(results.flat().filter((r) => r.granted)).toHaveLength(1);
    expect(results.flat().filter((r) => r.paymentId === null)).toHaveLength(2);
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments).toHaveLength(1);
    expect(rows.entitlements).toHaveLength(1);
    expect(rows.ledger).toHaveLength(3);
  });

  it('behavior: within one batch, a repeated event is a duplicate delivery and a second payment of the invoice a duplicate', async () => {
    const f = await invoiced();
    const first = f.event();
    const results = await record([first, first, f.event()]);
    expect(results.map((r) => [r.status, r.granted, r.paymentId === null])).toEqual([
      ['credited', true, false],
      [null, false, true],
      ['duplicate', false, false],
    ]);
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments).toHaveLength(2);
    expect(rows.entitlements).toHaveLength(1);
    expect(rows.ledger).toHaveLength(3);
  });

  it('behavior: two paid invoices of one viewer and video in one batch grant once, the lasting purchase over the rental', async () => {
    for (const order of ['rental first', 'lasting first'] as const) {
      const f = await invoiced();
      const rentalInvoiceId = hex(32);
      await withTenant(h.db.orm, f.tenant.id, async (em) => {
        const open = await em.findOneOrFail(InvoiceEntity, { id: f.invoiceRef });
        em.create(InvoiceEntity, {
          ...open,
          id: undefined,
          invoiceId: rentalInvoiceId,
          rentalHours: 48,
          status: 'expired',
        } as never);
        await em.flush();
      });
      const rental = f.event({ invoiceId: rentalInvoiceId });
      const lasting = f.event();
      const results = await record(order === 'rental first' ? [rental, lasting] : [lasting, rental]);
      expect(results.map((r) => [r.invoiceId, r.status, r.granted]).sort()).toEqual(
        [
          [rentalInvoiceId.toLowerCase(), 'late', true],
          [lasting.invoiceId.toLowerCase(), 'credited', true],
        ].sort(),
      );
      const rows = await rowsOf(f.tenant.id);
      const lastingPayment = results.find((r) => r.status === 'credited')?.paymentId;
      expect(rows.entitlements.map((e) => [e.paymentId, e.expiresAt])).toEqual([[lastingPayment, null]]);
      expect(rows.ledger).toHaveLength(6);
      expect(rows.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    }
  });

  it('behavior: a batch larger than one chunk is recorded whole, across tenants', async () => {
    const sales = await Promise.all([invoiced(), invoiced()]);
    // Chunks hold 2,000 events: the second sale lands in the second chunk.
    const unknown = Array.from({ length: 2_100 }, () => sales[0]!.event({ invoiceId: hex(32) }));
    const results = await record([sales[0]!.event(), ...unknown, sales[1]!.event()]);
    expect(results).toHaveLength(2_102);
    expect(results.filter((r) => r.granted).map((r) => r.tenantId)).toEqual(sales.map((s) => s.tenant.id));
    expect(results.filter((r) => r.status === 'unknown_invoice')).toHaveLength(2_100);
    for (const sale of sales) {
      const rows = await rowsOf(sale.tenant.id);
      expect([rows.payments.length, rows.entitlements.length, rows.ledger.length]).toEqual([1, 1, 3]);
    }
  });

  it('error: an underpayment, a wrong token, another contract or payer are recorded for admins and grant nothing', async () => {
    const f = await invoiced();
    const results = await record([
      f.event({ amount: 4_999_999n }),
      f.event({ token: address() }),
      f.event({ address: address() }),
      f.event({ payer: address() }),
      f.event({ chainId: 1 }),
    ]);
    expect(results.map((r) => [r.status, r.granted])).toEqual([
      ['underpaid', false],
      ['mismatch', false],
      ['mismatch', false],
      ['mismatch', false],
      ['mismatch', false],
    ]);
    expect(results[0]?.problem).toBe('paid 4999999; the invoice asks for 5000000');
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments).toHaveLength(5);
    expect(rows.entitlements).toEqual([]);
    expect(rows.ledger).toEqual([]);
    expect(rows.invoices[0]?.status).toBe('open');
  });

  it('behavior: an overpayment grants and is flagged; a second payment of a paid invoice is a duplicate', async () => {
    const f = await invoiced();
    const [over, again] = await record([f.event({ amount: 6_000_000n }), f.event()]);
    expect(over).toMatchObject({ status: 'overpaid', granted: true });
    expect(again).toMatchObject({ status: 'duplicate', granted: false });
    const rows = await rowsOf(f.tenant.id);
    expect(rows.entitlements).toHaveLength(1);
    // 6 TestUSD for a 5.00 USD invoice: the ledger values what was paid, 6.00 USD.
    expect(rows.ledger.reduce((sum, e) => sum + Number(e.usdCents), 0)).toBe(600);
  });

  it('behavior: a payment of a replaced (expired) invoice still grants, recorded as late', async () => {
    const f = await invoiced();
    await withTenant(h.db.orm, f.tenant.id, (em) =>
      em.nativeUpdate(InvoiceEntity, { id: f.invoiceRef }, { status: 'expired' }),
    );
    const [late] = await record([f.event()]);
    expect(late).toMatchObject({ status: 'late', granted: true });
  });

  it('error: an event for an unknown invoice is recorded without a tenant, seen only in hub scope', async () => {
    const f = await invoiced();
    const [unknown] = await record([f.event({ invoiceId: hex(32) })]);
    expect(unknown).toMatchObject({ status: 'unknown_invoice', tenantId: null, granted: false });
    expect((await rowsOf(f.tenant.id)).payments).toEqual([]);
    const seen = await withHubScope(h.db.orm, (em) => em.findOne(PaymentEntity, { id: unknown!.paymentId! }));
    expect(seen?.problem).toMatch(/^no invoice has id 0x/);
  });

  it("behavior: a tenant-scoped caller cannot see or pay another tenant's invoice", async () => {
    const a = await invoiced();
    const b = await invoiced();
    await expect(
      withTenant(h.db.orm, b.tenant.id, (em) => recordPaidEvents({ em, clock: h.deps.clock }, [a.event()])),
    ).rejects.toThrow();
    expect((await rowsOf(a.tenant.id)).payments).toEqual([]);
  });
});

describe('revokeBlocks', () => {
  it('orphans payments from a removed block on: entitlement revoked, ledger reversed to zero, invoice reopened', async () => {
    const f = await invoiced();
    const kept = await invoiced();
    await record([f.event({ blockNumber: 500n }), kept.event({ blockNumber: 499n })]);
    const revoked = await withHubScope(h.db.orm, (em) =>
      revokeBlocks({ em, clock: h.deps.clock }, { chainId: 31337, fromBlock: 500n }),
    );
    expect(revoked.filter((r) => r.tenantId === f.tenant.id)).toEqual([
      expect.objectContaining({ revokedEntitlements: 1 }),
    ]);
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments[0]?.status).toBe('orphaned');
    expect(rows.entitlements[0]?.revokedAt).toBeInstanceOf(Date);
    expect(rows.ledger).toHaveLength(6);
    expect(rows.ledger.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(0n);
    expect(rows.invoices[0]?.status).toBe('open');
    expect((await rowsOf(kept.tenant.id)).entitlements[0]?.revokedAt).toBeNull();
    // Idempotent: a second call changes nothing.
    const again = await withHubScope(h.db.orm, (em) =>
      revokeBlocks({ em, clock: h.deps.clock }, { chainId: 31337, fromBlock: 500n }),
    );
    expect(again.filter((r) => r.tenantId === f.tenant.id)).toEqual([]);
  });

  it('revokeMissing: a payment recorded in the range that the chain no longer holds is undone; the others are kept', async () => {
    const gone = await invoiced();
    const moved = await invoiced();
    const kept = await invoiced();
    const outside = await invoiced();
    const goneEvent = gone.event({ blockNumber: 900n });
    const movedEvent = moved.event({ blockNumber: 901n });
    const keptEvent = kept.event({ blockNumber: 902n });
    // Recorded by the fast path ahead of the indexer; then blocks 900-905 were replaced.
    await record([goneEvent, movedEvent, keptEvent, outside.event({ blockNumber: 906n })]);
    const movedAgain = { ...movedEvent, blockNumber: 903n, blockHash: hex(32) as Hex };
    const revoked = await withHubScope(h.db.orm, (em) =>
      revokeMissing(
        { em, clock: h.deps.clock },
        {
          chainId: 31337,
          contract: SPLITTER,
          fromBlock: 900n,
          toBlock: 905n,
          events: [keptEvent, movedAgain],
        },
      ),
    );
    expect(revoked.map((r) => r.tenantId).sort()).toEqual([gone.tenant.id, moved.tenant.id].sort());
    const goneRows = await rowsOf(gone.tenant.id);
    expect(goneRows.payments[0]?.status).toBe('orphaned');
    expect(goneRows.entitlements[0]?.revokedAt).toBeInstanceOf(Date);
    expect(goneRows.ledger.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(0n);
    expect(goneRows.invoices[0]?.status).toBe('open');
    for (const f of [kept, outside]) {
      const rows = await rowsOf(f.tenant.id);
      expect(rows.payments[0]?.status).toBe('credited');
      expect(rows.entitlements[0]?.revokedAt).toBeNull();
    }
    // The transaction mined again in block 903 is credited again when the batch is recorded.
    const [again] = await record([keptEvent, movedAgain]);
    expect(again).toMatchObject({ paymentId: null });
    const movedRows = await rowsOf(moved.tenant.id);
    expect(movedRows.payments.map((p) => [p.status, Number(p.blockNumber)])).toEqual([['credited', 903]]);
    expect(movedRows.entitlements[0]?.revokedAt).toBeNull();
    expect(movedRows.ledger.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(5_000_000n);
    // Another contract's payments in the same blocks are not this batch's business.
    const other = await withHubScope(h.db.orm, (em) =>
      revokeMissing(
        { em, clock: h.deps.clock },
        { chainId: 31337, contract: address(), fromBlock: 900n, toBlock: 906n, events: [] },
      ),
    );
    expect(other).toEqual([]);
  });

  it('behavior: a transaction mined again in a new block after a reorg is credited again', async () => {
    const f = await invoiced();
    const event = f.event({ blockNumber: 700n });
    await record([event]);
    await withHubScope(h.db.orm, (em) =>
      revokeBlocks({ em, clock: h.deps.clock }, { chainId: 31337, blockHashes: [event.blockHash] }),
    );
    const [again] = await record([{ ...event, blockNumber: 701n, blockHash: hex(32) as Hex }]);
    expect(again).toMatchObject({ status: 'credited', granted: true });
    const rows = await rowsOf(f.tenant.id);
    expect(rows.payments).toHaveLength(1);
    expect(rows.entitlements[0]?.revokedAt).toBeNull();
    expect(rows.ledger.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(5_000_000n);
  });
});
