import { createHarness, type Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { cookieHeader, request } from './http';

let h: Harness;
let hub: RunningHub;
let hubAdmin: Awaited<ReturnType<Harness['signedIn']>>;

const MiB = 1024 ** 2;

beforeAll(async () => {
  h = await createHarness();
  hubAdmin = await h.signedIn(await h.tenant(), { hubAdmin: true });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: ['loopback'] });
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await h?.close();
});

const metadata = Object.entries({ filename: 'clip.mp4', title: 'Clip', priceCents: '100' })
  .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
  .join(',');

/** Announces an upload of `length` bytes to `tenant`'s site as one of its creators; sends no byte. */
async function announce(tenant: Tenant, length: number) {
  const creator = await h.signedIn(tenant, { role: 'creator' });
  return request(hub.url, 'POST', '/uploads', {
    host: `${tenant.slug}.hub.test`,
    headers: {
      'tus-resumable': '1.0.0',
      'upload-length': String(length),
      'upload-metadata': metadata,
      cookie: cookieHeader(creator.cookies),
    },
  });
}

describe('per-tenant upload limit on /uploads', () => {
  it("refuses with 413 naming the limit an upload over a tenant's own limit that another tenant accepts", async () => {
    const [a, b] = [await h.tenant(), await h.tenant()];
    await hubAdmin.api.hub.tenants.setUploadLimit({ tenantId: a.id, maxUploadBytes: 2 * MiB });

    const refused = await announce(a, 3 * MiB);
    expect([refused.status, refused.text]).toEqual([
      413,
      'The file is larger than the upload limit (2 MB)\n',
    ]);
    const accepted = await announce(b, 3 * MiB);
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.headers.location).toMatch(/^\/uploads\/\w+/);

    const within = await announce(a, 2 * MiB);
    expect(within.status, within.text).toBe(201);
  });

  it('a tenant whose limit was cleared (null) gets the hub-wide limit again', async () => {
    const tenant = await h.tenant();
    await hubAdmin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: 2 * MiB });
    await hubAdmin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: null });

    const global = h.deps.config.media.maxUploadBytes;
    expect((await announce(tenant, 3 * MiB)).status).toBe(201);
    const over = await announce(tenant, global + 1);
    expect([over.status, over.text]).toEqual([413, 'The file is larger than the upload limit (50 MB)\n']);
  });

  it('a tenant limit above the hub-wide one lets larger uploads through', async () => {
    const tenant = await h.tenant();
    const global = h.deps.config.media.maxUploadBytes;
    await hubAdmin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: global * 2 });
    const res = await announce(tenant, global + 1);
    expect(res.status, res.text).toBe(201);
  });
});
