import { type Tenant, TenantEntity } from '@ppv/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, testConfig, unique } from '../../testing';
import { resolveTenant } from './resolve-tenant';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const PAYOUT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** The tenant as the hub resolves it for a new request (the harness keeps the object it created). */
async function fresh(tenant: Tenant): Promise<Tenant> {
  const found = await resolveTenant(h.db.orm, testConfig, { host: `${tenant.slug}.hub.test` });
  if (!found) throw new Error(`tenant ${tenant.slug} did not resolve`);
  return found;
}

const suspend = (tenant: Tenant) =>
  h.db.orm.em.fork().nativeUpdate(TenantEntity, { id: tenant.id }, { status: 'suspended' });

describe('tenant.current', () => {
  it('shows the branding to anyone, and nothing an admin alone may see', async () => {
    const tenant = await h.tenant();
    const branding = await h.client(tenant).api.tenant.current();
    expect(branding).toEqual({
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      logoUrl: null,
      primaryColor: '#6d28d9',
      accentColor: '#f59e0b',
      displayCurrency: 'USD',
      displayRate: expect.stringMatching(/^1(\.0+)?$/),
    });
  });
});

describe('tenant settings', () => {
  it('a tenant admin updates branding, fee, currency and CORS origins, and it is audited', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const changes = {
      name: 'Cinema Paradiso',
      logoUrl: 'https://cdn.example.com/logo.png',
      primaryColor: '#112233',
      accentColor: '#AABBCC',
      feeBps: 250,
      payoutWallet: PAYOUT,
      displayCurrency: 'idr',
      displayRate: '16250.5',
      corsOrigins: ['https://blog.example.com', 'http://localhost:4321'],
    };
    const updated = await admin.api.tenant.update(changes);
    expect(updated).toMatchObject({
      ...changes,
      accentColor: '#aabbcc',
      displayCurrency: 'IDR',
      displayRate: expect.stringMatching(/^16250\.50*$/),
      status: 'active',
      hostnames: [],
    });
    expect(await admin.api.tenant.settings()).toEqual({ ...updated, displayRate: '16250.50000000' });

    const viewer = h.client(await fresh(tenant));
    expect(await viewer.api.tenant.current()).toMatchObject({
      name: 'Cinema Paradiso',
      primaryColor: '#112233',
      displayCurrency: 'IDR',
    });

    const [entry] = await admin.api.tenant.audit({});
    expect(entry).toMatchObject({
      action: 'tenant.updated',
      actorUserId: admin.userId,
      subject: tenant.slug,
      details: { fields: Object.keys(changes) },
    });
  });

  it('audit entries travel as JSON: ids are decimal strings (the column is a bigint)', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const entries = await admin.api.tenant.audit({});
    expect(entries.length).toBeGreaterThan(0);
    // What /trpc sends: a bigint cannot be serialized, and the call would answer 500.
    expect(() => JSON.stringify(entries)).not.toThrow();
    for (const entry of entries) expect(entry.id).toMatch(/^\d+$/);
    const [newest, older] = entries;
    if (newest && older) expect(BigInt(newest.id)).toBeGreaterThan(BigInt(older.id));
    const page = await admin.api.tenant.audit({ before: entries[0]!.id });
    expect(page.map((e) => e.id)).not.toContain(entries[0]!.id);
  });

  it('error: viewers and creators are not tenant admins', async () => {
    const tenant = await h.tenant();
    const forbidden = { code: 'FORBIDDEN', message: `This needs the tenant admin role in ${tenant.name}` };
    for (const role of ['viewer', 'creator'] as const) {
      const user = await h.signedIn(tenant, { role });
      await expect(user.api.tenant.update({ feeBps: 0 })).rejects.toMatchObject(forbidden);
      await expect(user.api.tenant.settings()).rejects.toMatchObject(forbidden);
      await expect(user.api.tenant.members({})).rejects.toMatchObject(forbidden);
      await expect(user.api.tenant.audit({})).rejects.toMatchObject(forbidden);
    }
    await expect(h.client(tenant).api.tenant.settings()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Please sign in first',
    });
    expect((await h.client(await fresh(tenant)).api.tenant.current()).displayCurrency).toBe('USD');
  });

  it('error: an admin of another tenant is not an admin here', async () => {
    const home = await h.tenant();
    const admin = await h.signedIn(home, { role: 'tenant_admin' });
    const other = await h.tenant();
    const visitor = h.client(other);
    await visitor.api.auth.login({ login: admin.username, password: admin.password });
    await expect(visitor.api.tenant.update({ feeBps: 0 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `This needs the tenant admin role in ${other.name}`,
    });
  });

  it.each([
    [{ primaryColor: 'purple' }, 'primaryColor: Colours are hex values such as #6d28d9'],
    [{ accentColor: '#12345' }, 'accentColor: Colours are hex values such as #6d28d9'],
    [{ feeBps: 10_001 }, 'feeBps: Fee cannot exceed 10,000 basis points (100%)'],
    [{ feeBps: -1 }, 'feeBps: Fee cannot be negative'],
    [{ feeBps: 2.5 }, 'feeBps: Fee is whole basis points'],
    [{ payoutWallet: '0x1234' }, 'payoutWallet: Payout wallet must be a 0x-prefixed 20-byte address'],
    [
      { displayCurrency: 'dollars' },
      'displayCurrency: Currency must be a 3-letter ISO code such as USD or IDR',
    ],
    [{ displayRate: '0' }, 'displayRate: Rate must be greater than zero'],
    [
      { displayRate: '-3' },
      'displayRate: Rate is a positive decimal: units of the display currency per US dollar',
    ],
    [
      { corsOrigins: ['https://blog.example.com/embed'] },
      'corsOrigins.0: An origin is scheme://host[:port] with no path, e.g. https://blog.example.com',
    ],
    [{ logoUrl: 'javascript:alert(1)' }, 'logoUrl: Logo must be an http(s) URL or a path on this site'],
    [{ name: ' ' }, 'name: Name is required'],
  ])('error: invalid %j', async (changes, message) => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    await expect(admin.api.tenant.update(changes)).rejects.toMatchObject({ code: 'BAD_REQUEST', message });
  });

  it('error: nothing to change', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    await expect(admin.api.tenant.update({})).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Nothing to change',
    });
  });
});

describe('members', () => {
  it("lists the tenant's members and changes a role, which takes effect and is audited", async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const member = await h.signedIn(tenant);
    await h.signedIn(await h.tenant()); // a member of another tenant only

    const list = await admin.api.tenant.members({});
    expect(list).toEqual({
      total: 2,
      members: [
        {
          userId: admin.userId,
          username: admin.username,
          email: `${admin.username}@example.com`,
          role: 'tenant_admin',
          joinedAt: expect.any(Date),
        },
        {
          userId: member.userId,
          username: member.username,
          email: `${member.username}@example.com`,
          role: 'viewer',
          joinedAt: expect.any(Date),
        },
      ],
    });
    expect((await admin.api.tenant.members({ limit: 1, offset: 1 })).members.map((m) => m.userId)).toEqual([
      member.userId,
    ]);

    await expect(member.api.tenant.update({ feeBps: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await admin.api.tenant.setRole({ userId: member.userId, role: 'tenant_admin' })).toEqual({
      userId: member.userId,
      role: 'tenant_admin',
    });
    expect((await member.api.tenant.update({ feeBps: 0 })).feeBps).toBe(0);
    const audit = await admin.api.tenant.audit({});
    expect(audit.find((e) => e.action === 'member.role_changed')).toMatchObject({
      actorUserId: admin.userId,
      subject: member.userId,
      details: { from: 'viewer', to: 'tenant_admin' },
    });
  });

  it('error: an admin cannot change their own role', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    await expect(admin.api.tenant.setRole({ userId: admin.userId, role: 'viewer' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'You cannot change your own role',
    });
  });

  it('error: someone who is not a member here is not found', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const outsider = await h.signedIn(await h.tenant());
    await expect(
      admin.api.tenant.setRole({ userId: outsider.userId, role: 'creator' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Member was not found' });
    await expect(admin.api.tenant.setRole({ userId: 'nope', role: 'creator' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'userId: Unknown user id',
    });
    await expect(
      // @ts-expect-error: not a role
      admin.api.tenant.setRole({ userId: outsider.userId, role: 'owner' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'role: Role must be viewer, creator or tenant_admin',
    });
  });
});

describe('hub administration', () => {
  it('creates a tenant with host names and an admin, lists it and replaces its host names', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const owner = await h.signedIn(await h.tenant());
    const slug = unique('new');
    const host = `${slug}.videos.example`;
    const created = await hub.api.hub.tenants.create({
      slug: slug.toUpperCase(),
      name: 'New Cinema',
      hostnames: [host],
      feeBps: 500,
      displayCurrency: 'eur',
      admin: owner.username,
    });
    expect(created).toMatchObject({
      slug,
      name: 'New Cinema',
      hostnames: [host],
      feeBps: 500,
      displayCurrency: 'EUR',
      status: 'active',
    });

    const listed = (await hub.api.hub.tenants.list()).find((t) => t.id === created.id);
    expect(listed).toMatchObject({ slug, hostnames: [host], feeBps: 500 });

    const tenant = await resolveTenant(h.db.orm, testConfig, { host });
    expect(tenant?.id).toBe(created.id);
    const asOwner = h.client(tenant!);
    await asOwner.api.auth.login({ login: owner.username, password: owner.password });
    expect((await asOwner.api.tenant.settings()).hostnames).toEqual([host]);
    expect((await asOwner.api.tenant.audit({})).map((e) => e.action)).toContain('tenant.created');

    const next = [`www.${host}`, `${slug}.example.org:8443`];
    expect(await hub.api.hub.tenants.setHostnames({ tenantId: created.id, hostnames: next })).toEqual({
      tenantId: created.id,
      hostnames: [...next].sort(),
    });
    expect(await resolveTenant(h.db.orm, testConfig, { host })).toBeNull();
    expect((await resolveTenant(h.db.orm, testConfig, { host: next[1]! }))?.id).toBe(created.id);

    expect(await hub.api.hub.tenants.setHostnames({ tenantId: created.id, hostnames: [] })).toEqual({
      tenantId: created.id,
      hostnames: [],
    });
    expect((await hub.api.hub.tenants.list()).find((t) => t.id === created.id)?.hostnames).toEqual([]);
  });

  it('error: a duplicate slug', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const existing = await h.tenant();
    await expect(hub.api.hub.tenants.create({ slug: existing.slug, name: 'Again' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `A tenant with slug "${existing.slug}" already exists`,
    });
  });

  it('error: a reserved or malformed slug', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    await expect(hub.api.hub.tenants.create({ slug: 'admin', name: 'Admin' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'slug: That slug is reserved',
    });
    await expect(hub.api.hub.tenants.create({ slug: 'no_underscores', name: 'X' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'slug: Slug must be 2–40 characters: lower-case letters, digits or dashes',
    });
  });

  it('error: a host name that belongs to another tenant', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const host = `${unique('taken')}.example.com`;
    const first = await hub.api.hub.tenants.create({ slug: unique('a'), name: 'A', hostnames: [host] });
    const slug = unique('b');
    await expect(hub.api.hub.tenants.create({ slug, name: 'B', hostnames: [host] })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `Host name ${host} already belongs to a tenant`,
    });
    expect((await hub.api.hub.tenants.list()).map((t) => t.slug)).not.toContain(slug);

    const second = await hub.api.hub.tenants.create({ slug, name: 'B' });
    await expect(
      hub.api.hub.tenants.setHostnames({ tenantId: second.id, hostnames: [host] }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `Host name ${host} already belongs to another tenant`,
    });
    expect((await resolveTenant(h.db.orm, testConfig, { host }))?.id).toBe(first.id);
  });

  it('error: setting host names of an unknown tenant', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    await expect(
      hub.api.hub.tenants.setHostnames({ tenantId: crypto.randomUUID(), hostnames: [] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Tenant was not found' });
  });

  it('error: only hub administrators, not tenant admins', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const forbidden = { code: 'FORBIDDEN', message: 'This needs a hub administrator' };
    await expect(admin.api.hub.tenants.list()).rejects.toMatchObject(forbidden);
    await expect(admin.api.hub.tenants.create({ slug: unique('x'), name: 'X' })).rejects.toMatchObject(
      forbidden,
    );
    await expect(
      admin.api.hub.tenants.setHostnames({ tenantId: tenant.id, hostnames: ['evil.example.com'] }),
    ).rejects.toMatchObject(forbidden);
  });

  it('a hub administrator acts as a tenant admin in every tenant', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const elsewhere = hub.on(await h.tenant());
    await elsewhere.api.auth.login({ login: hub.username, password: hub.password });
    expect((await elsewhere.api.tenant.update({ feeBps: 42 })).feeBps).toBe(42);
  });
});

describe('hub.tenants.update', () => {
  it("changes another tenant's branding, fee and payout wallet, seen by its admins and audited there", async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const updated = await hub.api.hub.tenants.update({
      tenantId: tenant.id,
      name: 'Renamed by the hub',
      feeBps: 1250,
      payoutWallet: PAYOUT,
    });
    expect(updated).toMatchObject({
      id: tenant.id,
      name: 'Renamed by the hub',
      feeBps: 1250,
      payoutWallet: PAYOUT,
    });
    expect(await admin.api.tenant.settings()).toMatchObject({ name: 'Renamed by the hub', feeBps: 1250 });
    const [entry] = await admin.api.tenant.audit({});
    expect(entry).toMatchObject({
      action: 'tenant.updated',
      actorUserId: hub.userId,
      subject: tenant.slug,
      details: { fields: ['name', 'feeBps', 'payoutWallet'] },
    });
  });

  it('error: an unknown tenant, an empty change or a bad field is refused and nothing changes', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const tenant = await h.tenant();
    await expect(
      hub.api.hub.tenants.update({ tenantId: crypto.randomUUID(), feeBps: 10 }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(hub.api.hub.tenants.update({ tenantId: tenant.id })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Nothing to change',
    });
    await expect(hub.api.hub.tenants.update({ tenantId: tenant.id, feeBps: 10_001 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'feeBps: Fee cannot exceed 10,000 basis points (100%)',
    });
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    expect((await admin.api.tenant.settings()).name).toBe(tenant.name);
  });

  it('error: a tenant admin cannot change a tenant through the hub procedure, not even its own', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    await expect(admin.api.hub.tenants.update({ tenantId: tenant.id, feeBps: 0 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This needs a hub administrator',
    });
  });
});

describe('hub.tenants.setUploadLimit', () => {
  const MiB = 1024 ** 2;

  it("sets and clears a tenant's upload limit, shown in its settings and audited", async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBeNull();

    expect(
      await hub.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: 5 * MiB }),
    ).toEqual({
      tenantId: tenant.id,
      maxUploadBytes: 5 * MiB,
    });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBe(5 * MiB);
    const big = 1024 ** 4;
    await hub.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: big });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBe(big);

    await hub.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: null });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBeNull();
    const [cleared, raised] = await admin.api.tenant.audit({});
    expect(cleared).toMatchObject({
      action: 'tenant.upload_limit_set',
      actorUserId: hub.userId,
      subject: tenant.slug,
      details: { from: big, to: null },
    });
    expect(raised).toMatchObject({ action: 'tenant.upload_limit_set', details: { from: 5 * MiB, to: big } });
  });

  it('error: a limit that is not a whole number of bytes from 1 MiB to 1 TiB is refused with its reason', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const tenant = await h.tenant();
    const refused = async (maxUploadBytes: unknown, message: string) =>
      expect(
        hub.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: maxUploadBytes as number }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: `maxUploadBytes: ${message}` });
    await refused(MiB - 1, 'The upload limit must be at least 1 MiB (1048576 bytes)');
    await refused(0, 'The upload limit must be at least 1 MiB (1048576 bytes)');
    await refused(1024 ** 4 + 1, 'The upload limit can be at most 1 TiB (1099511627776 bytes)');
    await refused(2.5 * MiB + 0.5, 'The upload limit is a whole number of bytes');
    await refused('10MB', 'The upload limit is a number of bytes, or null for the hub-wide limit');
    await expect(
      hub.api.hub.tenants.setUploadLimit({ tenantId: crypto.randomUUID(), maxUploadBytes: 2 * MiB }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBeNull();
  });

  it('the database refuses a limit of zero or above 1 TiB', async () => {
    const tenant = await h.tenant();
    const owner = new pg.Client({ connectionString: h.db.url });
    await owner.connect();
    try {
      const set = (bytes: number) =>
        owner.query('UPDATE tenants SET max_upload_bytes = $1 WHERE id = $2', [bytes, tenant.id]);
      await expect(set(0)).rejects.toThrow(/tenants_max_upload_bytes_range/);
      await expect(set(1024 ** 4 + 1)).rejects.toThrow(/tenants_max_upload_bytes_range/);
      await set(1024 ** 4);
    } finally {
      await owner.end();
    }
  });

  it('error: only hub administrators, not the tenant admin', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    await expect(
      admin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: 2 * MiB }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'This needs a hub administrator' });
    expect((await admin.api.tenant.settings()).maxUploadBytes).toBeNull();
  });
});

describe('resolveTenant', () => {
  const config = (defaultTenant: string, nodeEnv: 'development' | 'production' = 'development') => ({
    hubDomain: 'hub.test',
    defaultTenant,
    nodeEnv,
  });

  it('finds a tenant by custom host name, with or without a port', async () => {
    const hub = await h.signedIn(await h.tenant(), { hubAdmin: true });
    const host = `${unique('c')}.example.net`;
    const created = await hub.api.hub.tenants.create({ slug: unique('c'), name: 'C', hostnames: [host] });
    const cfg = config('demo');
    expect((await resolveTenant(h.db.orm, cfg, { host }))?.id).toBe(created.id);
    expect((await resolveTenant(h.db.orm, cfg, { host: `${host.toUpperCase()}:8443` }))?.id).toBe(created.id);
  });

  it('finds a tenant by <slug>.<hub domain>', async () => {
    const tenant = await h.tenant();
    expect(
      (await resolveTenant(h.db.orm, config('demo'), { host: `${tenant.slug}.hub.test:8080` }))?.id,
    ).toBe(tenant.id);
  });

  it('serves the default tenant on the hub domain, and on localhost outside production', async () => {
    const fallback = await h.tenant();
    const dev = config(fallback.slug);
    expect((await resolveTenant(h.db.orm, dev, { host: 'hub.test' }))?.id).toBe(fallback.id);
    expect((await resolveTenant(h.db.orm, dev, { host: 'localhost:3000' }))?.id).toBe(fallback.id);
    expect((await resolveTenant(h.db.orm, dev, { host: '127.0.0.1:3000' }))?.id).toBe(fallback.id);
    const prod = config(fallback.slug, 'production');
    expect((await resolveTenant(h.db.orm, prod, { host: 'hub.test' }))?.id).toBe(fallback.id);
    expect(await resolveTenant(h.db.orm, prod, { host: 'localhost:3000' })).toBeNull();
  });

  it('prefers an explicit slug over the host', async () => {
    const tenant = await h.tenant();
    const other = await h.tenant();
    const found = await resolveTenant(h.db.orm, config('demo'), {
      host: `${other.slug}.hub.test`,
      explicitSlug: tenant.slug.toUpperCase(),
    });
    expect(found?.id).toBe(tenant.id);
    expect(
      await resolveTenant(h.db.orm, config('demo'), {
        host: `${other.slug}.hub.test`,
        explicitSlug: 'nobody',
      }),
    ).toBeNull();
  });

  it('error: a suspended tenant is not served, by any route', async () => {
    const tenant = await h.tenant();
    await suspend(tenant);
    const cfg = config(tenant.slug);
    expect(await resolveTenant(h.db.orm, cfg, { host: `${tenant.slug}.hub.test` })).toBeNull();
    expect(await resolveTenant(h.db.orm, cfg, { host: 'x.hub.test', explicitSlug: tenant.slug })).toBeNull();
    expect(await resolveTenant(h.db.orm, cfg, { host: 'hub.test' })).toBeNull();
  });

  it('error: an unknown host or slug', async () => {
    const cfg = config('demo');
    expect(await resolveTenant(h.db.orm, cfg, { host: 'nobody.hub.test' })).toBeNull();
    expect(await resolveTenant(h.db.orm, cfg, { host: 'videos.unknown.example' })).toBeNull();
    expect(await resolveTenant(h.db.orm, cfg, { host: 'a.b.hub.test' })).toBeNull();
    expect(await resolveTenant(h.db.orm, cfg, { host: 'hub.test.evil.example' })).toBeNull();
  });
});
