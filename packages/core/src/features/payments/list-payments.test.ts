import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, recordTestSale } from '../../testing';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('payments.list', () => {
  it('pages a tenant’s payments newest first, filters by status, and keeps other tenants’ out', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const sales = [];
    for (let i = 0; i < 3; i++)
      sales.push(await recordTestSale(h, a, { at: new Date(Date.UTC(2026, 0, 1 + i)) }));
    const short = await recordTestSale(h, a, { paid: 4_000_000n, at: new Date('2026-01-10T00:00:00Z') });
    const ofB = await recordTestSale(h, b);
    const adminA = await h.signedIn(a, { role: 'tenant_admin' });

    const first = await adminA.api.payments.list({ limit: 2 });
    const second = await adminA.api.payments.list({ limit: 2, offset: 2 });
    expect([...first, ...second].map((p) => p.txHash)).toEqual(
      [short, ...sales.reverse()].map((s) => s.event.transactionHash),
    );
    expect(await adminA.api.payments.list({ limit: 2, offset: 4 })).toEqual([]);

    const underpaid = await adminA.api.payments.list({ status: 'underpaid' });
    expect(underpaid).toMatchObject([
      { status: 'underpaid', problem: 'paid 4000000; the invoice asks for 10000000', tenantId: a.id },
    ]);
    expect(await adminA.api.payments.list({ status: 'duplicate' })).toEqual([]);

    const adminB = await h.signedIn(b, { role: 'tenant_admin' });
    expect((await adminB.api.payments.list({})).map((p) => p.txHash)).toEqual([ofB.event.transactionHash]);
    const hubAdmin = await h.signedIn(b, { hubAdmin: true });
    const all = await hubAdmin.api.payments.list({ scope: 'hub', limit: 200 });
    expect(all.map((p) => p.tenantId).sort()).toEqual([a.id, a.id, a.id, a.id, b.id].sort());
  });

  it('error: a negative offset is refused', async () => {
    const t = await h.tenant();
    const admin = await h.signedIn(t, { role: 'tenant_admin' });
    await expect(admin.api.payments.list({ offset: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
