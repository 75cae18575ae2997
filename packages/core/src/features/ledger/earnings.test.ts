import { randomBytes } from 'node:crypto';
import { InvoiceEntity, VideoEntity, withHubScope, withTenant } from '@ppv/db';
import { getAddress, type Hex, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { type ChainPaidEvent, recordPaidEvents } from '../payments/record-paid-events';
import { revokeBlocks } from '../payments/revoke-blocks';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const hex = (bytes: number) => toHex(randomBytes(bytes));
const SPLITTER = getAddress(hex(20));
const TOKEN = getAddress(hex(20));
let block = 1_000n;

/** A tenant with a creator and a paid 10.00 USD purchase of 10 TUSD (creator 85%, tenant 10%, hub 5%). */
async function sale(tenant?: Awaited<ReturnType<Harness['tenant']>>) {
  const t = tenant ?? (await h.tenant());
  const creator = await h.signedIn(t, { role: 'creator' });
  const viewer = await h.signedIn(t);
  const invoiceId = hex(32);
  const payer = getAddress(hex(20));
  await withTenant(h.db.orm, t.id, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId: t.id,
      creatorId: creator.userId,
      title: 'V',
      priceCents: 1000,
      status: 'ready',
    });
    await em.flush();
    em.create(InvoiceEntity, {
      tenantId: t.id,
      viewerId: viewer.userId,
      videoId: video.id,
      invoiceId,
      chainId: 31337,
      contract: SPLITTER.toLowerCase(),
      payer: payer.toLowerCase(),
      token: TOKEN.toLowerCase(),
      tokenSymbol: 'TUSD',
      amount: '10000000',
      creatorAddress: hex(20),
      tenantAddress: hex(20),
      hubAddress: hex(20),
      creatorBps: 8500,
      tenantBps: 1000,
      hubBps: 500,
      videoIdHash: hex(32),
      deadline: Math.floor(Date.now() / 1000) + 900,
      signature: hex(65),
      priceCents: 1000,
    });
    await em.flush();
  });
  block += 1n;
  const event: ChainPaidEvent = {
    chainId: 31337,
    invoiceId,
    payer,
    creator: getAddress(hex(20)),
    token: TOKEN,
    amount: 10_000_000n,
    tenant: getAddress(hex(20)),
    hub: getAddress(hex(20)),
    creatorShare: 8_500_000n,
    tenantShare: 1_000_000n,
    hubShare: 500_000n,
    videoIdHash: hex(32) as Hex,
    address: SPLITTER,
    blockNumber: block,
    blockHash: hex(32),
    transactionHash: hex(32),
    logIndex: 0,
  };
  await withHubScope(h.db.orm, (em) => recordPaidEvents({ em, clock: h.deps.clock }, [event]));
  return { tenant: t, creator, viewer, event };
}

describe('ledger.earnings', () => {
  it('shows each role only its own share: creator, tenant admin, hub admin across tenants', async () => {
    const a = await sale();
    const a2 = await sale(a.tenant);
    const b = await sale();
    const tenantAdmin = await h.signedIn(a.tenant, { role: 'tenant_admin' });
    const hubAdmin = await h.signedIn(a.tenant, { hubAdmin: true });

    expect(await a.creator.api.ledger.earnings({ as: 'creator' })).toMatchObject({
      usdCents: 850,
      tokens: [{ tokenSymbol: 'TUSD', amount: '8500000', payments: 1 }],
    });
    expect((await a2.creator.api.ledger.earnings({ as: 'creator' })).usdCents).toBe(850);
    expect(await tenantAdmin.api.ledger.earnings({ as: 'tenant' })).toMatchObject({
      usdCents: 200,
      tokens: [{ amount: '2000000', payments: 2 }],
    });
    const hub = await hubAdmin.api.ledger.earnings({ as: 'hub' });
    // The hub's shares of all three sales, in both tenants (this test runs first in its database).
    expect(hub).toMatchObject({ usdCents: 150, tokens: [{ amount: '1500000', payments: 3 }] });
    await expect(a.creator.api.ledger.earnings({ as: 'tenant' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: "This site's earnings are for its tenant admins",
    });
    await expect(tenantAdmin.api.ledger.earnings({ as: 'hub' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: "The hub's earnings are for hub administrators",
    });
    await expect(a.viewer.api.ledger.earnings({ as: 'creator' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // Tenant B's admin sees B's shares only.
    const adminB = await h.signedIn(b.tenant, { role: 'tenant_admin' });
    expect((await adminB.api.ledger.earnings({ as: 'tenant' })).usdCents).toBe(100);
  });

  it('filters by date range and nets out reversals of orphaned payments', async () => {
    const s = await sale();
    const before = new Date(h.deps.clock().getTime() - 60_000);
    expect((await s.creator.api.ledger.earnings({ as: 'creator', to: before })).tokens).toEqual([]);
    expect((await s.creator.api.ledger.earnings({ as: 'creator', from: before })).usdCents).toBe(850);
    await withHubScope(h.db.orm, (em) =>
      revokeBlocks({ em, clock: h.deps.clock }, { chainId: 31337, blockHashes: [s.event.blockHash] }),
    );
    expect(await s.creator.api.ledger.earnings({ as: 'creator' })).toMatchObject({
      usdCents: 0,
      tokens: [{ amount: '0', payments: 1 }],
    });
    const csv = await s.creator.api.ledger.exportCsv({ as: 'creator' });
    const lines = csv.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'date,kind,party,tenant,video_id,chain_id,token,token_address,amount_smallest_unit,usd_cents,address,tx_hash,log_index',
    );
    expect(lines.slice(1).map((l) => l.split(',').slice(1, 3).concat(l.split(',').slice(8, 10)))).toEqual([
      ['share', 'creator', '8500000', '850'],
      ['reversal', 'creator', '-8500000', '-850'],
    ]);
    expect(csv).toMatchObject({ lines: 2, contentType: 'text/csv; charset=utf-8' });
    expect(csv.filename).toMatch(/^earnings-creator-1970-01-01-\d{4}-\d{2}-\d{2}\.csv$/);
  });

  it('error: a date range that ends before it starts is refused', async () => {
    const s = await sale();
    await expect(
      s.creator.api.ledger.earnings({
        as: 'creator',
        from: new Date('2026-02-01'),
        to: new Date('2026-01-01'),
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'to: to must be after from' });
  });
});
