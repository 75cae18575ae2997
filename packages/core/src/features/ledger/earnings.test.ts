import { withHubScope } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, recordTestSale } from '../../testing';
import { revokeBlocks } from '../payments/revoke-blocks';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

/** A tenant with a creator and a paid 10.00 USD purchase of 10 TUSD (creator 85%, tenant 10%, hub 5%). */
async function sale(tenant?: Awaited<ReturnType<Harness['tenant']>>, at?: Date) {
  const t = tenant ?? (await h.tenant());
  const creator = await h.signedIn(t, { role: 'creator' });
  const viewer = await h.signedIn(t);
  const { event } = await recordTestSale(h, t, { creatorId: creator.userId, viewerId: viewer.userId, at });
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

  it('behavior: the CSV file name gives the last day included, not the excluded end', async () => {
    const s = await sale();
    const csv = await s.creator.api.ledger.exportCsv({
      as: 'creator',
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
    });
    expect(csv.filename).toBe('earnings-creator-2026-03-01-2026-03-31.csv');
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

describe('ledger.daily', () => {
  it("gives every UTC day of the range, with each day's net earnings and payments", async () => {
    const s = await sale(undefined, new Date('2026-05-02T23:30:00Z'));
    await recordTestSale(h, s.tenant, { creatorId: s.creator.userId, at: new Date('2026-05-04T00:10:00Z') });
    await recordTestSale(h, s.tenant, { creatorId: s.creator.userId, at: new Date('2026-05-04T18:00:00Z') });
    const daily = await s.creator.api.ledger.daily({
      as: 'creator',
      from: new Date('2026-05-01T12:00:00Z'),
      to: new Date('2026-05-05T00:00:00Z'),
    });
    expect(daily).toMatchObject({
      from: new Date('2026-05-01T00:00:00Z'),
      to: new Date('2026-05-05T00:00:00Z'),
      usdCents: 3 * 850,
    });
    expect(daily.days).toEqual([
      { day: '2026-05-01', usdCents: 0, payments: 0 },
      { day: '2026-05-02', usdCents: 850, payments: 1 },
      { day: '2026-05-03', usdCents: 0, payments: 0 },
      { day: '2026-05-04', usdCents: 1700, payments: 2 },
    ]);
    const tenantAdmin = await h.signedIn(s.tenant, { role: 'tenant_admin' });
    const tenantDays = await tenantAdmin.api.ledger.daily({
      as: 'tenant',
      from: new Date('2026-05-04T00:00:00Z'),
      to: new Date('2026-05-04T09:00:00Z'),
    });
    // `to` inside a day takes in the whole day.
    expect(tenantDays.days).toEqual([{ day: '2026-05-04', usdCents: 200, payments: 2 }]);
    const other = await sale(undefined, new Date('2026-05-04T12:00:00Z'));
    const otherAdmin = await h.signedIn(other.tenant, { role: 'tenant_admin' });
    const otherDays = await otherAdmin.api.ledger.daily({
      as: 'tenant',
      from: new Date('2026-05-04T00:00:00Z'),
      to: new Date('2026-05-05T00:00:00Z'),
    });
    expect(otherDays.days).toEqual([{ day: '2026-05-04', usdCents: 100, payments: 1 }]);
  });

  it('error: a range over 366 days, or ending before it starts, and a viewer, are refused', async () => {
    const s = await sale();
    await expect(
      s.creator.api.ledger.daily({ as: 'creator', from: new Date('2025-01-01'), to: new Date('2026-01-03') }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'to: a daily series covers at most 366 days' });
    await expect(
      s.creator.api.ledger.daily({ as: 'creator', from: new Date('2026-02-01'), to: new Date('2026-01-01') }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'to: to must be after from' });
    await expect(
      s.viewer.api.ledger.daily({ as: 'creator', from: new Date('2026-01-01'), to: new Date('2026-02-01') }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      s.creator.api.ledger.daily({ as: 'hub', from: new Date('2026-01-01'), to: new Date('2026-02-01') }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', message: "The hub's earnings are for hub administrators" });
  });
});
