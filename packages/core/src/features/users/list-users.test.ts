import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe('hub.users.list', () => {
  it('lists accounts across tenants with their role in each, and finds them by part of a name', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const admin = await h.signedIn(a, { hubAdmin: true });
    const creator = await h.signedIn(a, { role: 'creator' });
    // The same account joins tenant B too (signing in there makes it a viewer).
    await h.client(b).api.auth.login({ login: creator.username, password: creator.password });

    const found = await admin.api.hub.users.list({ query: creator.username.toUpperCase() });
    expect(found.total).toBe(1);
    expect(found.users[0]).toMatchObject({
      id: creator.userId,
      username: creator.username,
      email: `${creator.username}@example.com`,
      isHubAdmin: false,
      status: 'active',
    });
    expect(found.users[0]?.memberships).toEqual([
      { tenantId: a.id, tenantSlug: a.slug, tenantName: a.name, role: 'creator' },
      { tenantId: b.id, tenantSlug: b.slug, tenantName: b.name, role: 'viewer' },
    ]);

    const byEmail = await admin.api.hub.users.list({ query: `${creator.username}@EXAMPLE` });
    expect(byEmail.users.map((u) => u.id)).toEqual([creator.userId]);
    const everyone = await admin.api.hub.users.list({ limit: 100 });
    expect(everyone.users.map((u) => u.id)).toEqual(expect.arrayContaining([admin.userId, creator.userId]));
    expect(everyone.users.find((u) => u.id === admin.userId)?.isHubAdmin).toBe(true);
  });

  it('pages with limit and offset, and counts every match', async () => {
    const t = await h.tenant();
    const admin = await h.signedIn(t, { hubAdmin: true });
    for (let i = 0; i < 3; i++) await h.signedIn(t);
    const all = await admin.api.hub.users.list({ limit: 100 });
    const second = await admin.api.hub.users.list({ limit: 2, offset: 2 });
    expect(second.total).toBe(all.total);
    expect(second.users.map((u) => u.id)).toEqual(all.users.slice(2, 4).map((u) => u.id));
  });

  it('behavior: % and _ in a search match only themselves', async () => {
    const t = await h.tenant();
    const admin = await h.signedIn(t, { hubAdmin: true });
    expect((await admin.api.hub.users.list({ query: '%' })).total).toBe(0);
    expect((await admin.api.hub.users.list({ query: '_' })).total).toBe(0);
  });

  it('error: only hub administrators may list users, tenant admins included', async () => {
    const t = await h.tenant();
    for (const role of ['viewer', 'creator', 'tenant_admin'] as const) {
      const user = await h.signedIn(t, { role });
      await expect(user.api.hub.users.list({})).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'This needs a hub administrator',
      });
    }
    await expect(h.client(t).api.hub.users.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('error: a search longer than 100 characters is refused', async () => {
    const t = await h.tenant();
    const admin = await h.signedIn(t, { hubAdmin: true });
    await expect(admin.api.hub.users.list({ query: 'x'.repeat(101) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'query: Search for at most 100 characters',
    });
  });
});
