import { createOrm, type MikroORM } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, PASSWORD, TestClient, unique } from './testing';

// Regression: sign-in procedures counted their rate limits, and hub procedures opened the hub
// scope, on a second pooled connection while the request's transaction held the first. With every
// pooled connection held by such a request, each waited for a connection that never came free.
// On a pool of exactly one connection that wait is certain, so these calls must finish on it.

let h: Harness;
let single: MikroORM;
let onOne: Harness;
beforeAll(async () => {
  h = await createHarness();
  single = await createOrm({ url: h.db.url, poolMax: 1 });
  onOne = { ...h, deps: { ...h.deps, orm: single } };
});
afterAll(async () => {
  await single?.close(true);
  await h?.close();
});

const client = (tenant: Awaited<ReturnType<Harness['tenant']>>) => new TestClient(onOne, tenant);

describe('a request holds one database connection', { timeout: 20_000 }, () => {
  it('behavior: register, log in, fail a log-in and ask for a reset on a one-connection pool', async () => {
    const tenant = await h.tenant();
    const username = unique('one');
    const email = `${username}@example.com`;
    const viewer = client(tenant);
    await viewer.api.auth.register({ username, email, password: 'Sturdy-Password-1' });
    await client(tenant).api.auth.login({ login: username, password: 'Sturdy-Password-1' });
    await expect(
      client(tenant).api.auth.login({ login: username, password: 'Wrong-password-1' }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(client(tenant).api.auth.forgotPassword({ email })).resolves.toMatchObject({ ok: true });
    await expect(client(tenant).api.siwe.nonce()).resolves.toMatchObject({ nonce: expect.any(String) });
  });

  it('behavior: hub administration of tenants on a one-connection pool', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { hubAdmin: true });
    const other = await h.tenant();
    const hub = client(tenant);
    hub.cookies = { ...admin.cookies };
    expect((await hub.api.hub.tenants.list()).map((t) => t.id)).toContain(other.id);
    const hostname = `${unique('h')}.example.com`;
    await expect(
      hub.api.hub.tenants.setHostnames({ tenantId: other.id, hostnames: [hostname] }),
    ).resolves.toMatchObject({ hostnames: [hostname] });
    await expect(
      hub.api.hub.tenants.setUploadLimit({ tenantId: other.id, maxUploadBytes: 2 * 1024 * 1024 }),
    ).resolves.toBeDefined();
    await expect(hub.api.hub.tenants.update({ tenantId: other.id, feeBps: 900 })).resolves.toMatchObject({
      feeBps: 900,
    });
    expect((await hub.api.hub.users.list({})).users.map((u) => u.id)).toContain(admin.userId);
    await expect(hub.api.hub.videos.list({})).resolves.toMatchObject({ total: expect.any(Number) });
    await expect(hub.api.ledger.earnings({ as: 'hub' })).resolves.toMatchObject({ as: 'hub' });
    await expect(
      hub.api.ledger.daily({ as: 'hub', from: new Date('2026-01-01'), to: new Date('2026-01-08') }),
    ).resolves.toMatchObject({ days: expect.any(Array) });
    await expect(hub.api.ledger.exportCsv({ as: 'hub' })).resolves.toMatchObject({
      lines: expect.any(Number),
    });
    await expect(hub.api.payments.list({ scope: 'hub' })).resolves.toEqual(expect.any(Array));
  });

  it('error: the rate limit still refuses, before any transaction, on a one-connection pool', async () => {
    const tenant = await h.tenant();
    const saved = h.deps.config;
    onOne.deps.config = { ...saved, authRateLimitPerIp: 1 };
    try {
      const ip = '198.51.100.201';
      const at = () => new TestClient(onOne, tenant, { ip });
      await expect(at().api.auth.login({ login: unique('n'), password: PASSWORD })).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
      await expect(at().api.auth.login({ login: unique('n'), password: PASSWORD })).rejects.toMatchObject({
        code: 'TOO_MANY_REQUESTS',
      });
    } finally {
      onOne.deps.config = saved;
    }
  });
});
