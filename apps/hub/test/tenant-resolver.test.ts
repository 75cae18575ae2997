import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveTenant } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantResolver } from '../src/middleware/tenant';
import { request } from './http';

let h: Harness;
let tenant: Tenant;
let server: Server;
let url: string;
const lookups: string[] = [];
/** Per host, a lookup to run instead of the real one. */
const overrides = new Map<string, () => Promise<Tenant | null>>();

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  const app = express();
  app.use(
    tenantResolver(h.deps, (orm, config, input) => {
      lookups.push(input.explicitSlug ? `slug:${input.explicitSlug}` : `host:${input.host}`);
      return overrides.get(input.host)?.() ?? resolveTenant(orm, config, input);
    }),
  );
  app.get('/who', (req, res) => res.json({ slug: req.tenant.slug }));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

describe('tenant resolver', () => {
  it('concurrent requests for an uncached host share one lookup and all get the tenant', async () => {
    const host = `${tenant.slug}.hub.test`;
    const before = lookups.length;
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => request(url, 'GET', '/who', { host })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(new Set(responses.map((r) => r.json.slug))).toEqual(new Set([tenant.slug]));
    expect(lookups.slice(before)).toEqual([`host:${host}`]);
  });

  it('a cached host is answered without another lookup', async () => {
    const host = `${tenant.slug}.hub.test`;
    await request(url, 'GET', '/who', { host });
    const before = lookups.length;
    const res = await request(url, 'GET', '/who', { host });
    expect(res.status).toBe(200);
    expect(lookups.length).toBe(before);
  });

  it('concurrent requests for an unknown host share one lookup and each gets a 404', async () => {
    const host = 'nobody-here.hub.test';
    const before = lookups.length;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => request(url, 'GET', '/who', { host })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(404));
    expect(responses[0]?.json.error.message).toBe(`No tenant is served at ${host}`);
    expect(lookups.slice(before)).toEqual([`host:${host}`]);
  });

  it('behavior: an aged entry is answered at once while one lookup refreshes it; a tenant gone is dropped then', async () => {
    const other = await h.tenant();
    const host = `${other.slug}.hub.test`;
    expect((await request(url, 'GET', '/who', { host })).json.slug).toBe(other.slug);
    h.advance(6_000);
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let refreshed: Promise<Tenant | null> | undefined;
      overrides.set(host, () => {
        refreshed = gate.then(() => resolveTenant(h.deps.orm, h.deps.config, { host }));
        return refreshed;
      });
      let released = false;
      const timer = setTimeout(() => {
        released = true;
        release();
      }, 1_000);
      const before = lookups.length;
      const during = await Promise.all([1, 2, 3].map(() => request(url, 'GET', '/who', { host })));
      // Answered from the aged entry before the refresh could finish, with one refresh for all.
      expect([released, during.map((r) => r.status)]).toEqual([false, [200, 200, 200]]);
      expect(lookups.slice(before)).toEqual([`host:${host}`]);
      clearTimeout(timer);
      release();
      await refreshed;
      await new Promise((resolve) => setImmediate(resolve));

      // The next refresh finds the tenant gone: the request it rode on is the last one served.
      h.advance(6_000);
      overrides.set(host, async () => null);
      expect((await request(url, 'GET', '/who', { host })).status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect((await request(url, 'GET', '/who', { host })).status).toBe(404);
    } finally {
      overrides.delete(host);
      h.advance(-12_000);
    }
  });
});
