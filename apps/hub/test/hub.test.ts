import { createUser } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { cookieHeader, request } from './http';

let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let tenant: Tenant;
let host: string;
const password = 'Sturdy-Password-1';
let username: string;

const call = (method: string, path: string, opts: Parameters<typeof request>[3] = {}) =>
  request(hub.url, method, path, { host, ...opts });

async function login(extraHeaders: Record<string, string> = {}) {
  const res = await call('POST', '/trpc/auth.login', {
    body: { login: username, password },
    headers: extraHeaders,
  });
  expect(res.status).toBe(200);
  return res;
}

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  host = `${tenant.slug}.hub.test`;
  username = `hub_${Date.now().toString(36)}`;
  await createUser(h.db.orm.em.fork(), { username, email: `${username}@example.com`, password });
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'test@localhost',
  });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: ['loopback'] });
});

afterAll(async () => {
  await hub?.close();
  await worker?.stop();
  await h?.close();
});

describe('health', () => {
  it('GET /healthz is ok with database and worker up', async () => {
    const res = await call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      ok: true,
      database: { ok: true },
      worker: { ok: true },
      chain: { ok: true, configured: false },
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('error: 503 with ok:false when the chain is down', async () => {
    const { createChainClient } = await import('@ppv/chain');
    const down = await startHub({
      deps: {
        ...h.deps,
        chain: {
          client: createChainClient({ rpcUrl: 'http://127.0.0.1:9', chainId: 31337 }),
          chainId: 31337,
        },
      },
      host: '127.0.0.1',
      port: 0,
      trustProxy: false,
    });
    try {
      const res = await request(down.url, 'GET', '/healthz');
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({
        ok: false,
        database: { ok: true },
        chain: { ok: false, configured: true },
      });
    } finally {
      await down.close();
    }
  });
});

describe('tenant resolution', () => {
  it('serves the tenant named by the subdomain', async () => {
    const res = await call('GET', '/trpc/tenant.current');
    expect(res.json.result.data).toMatchObject({ slug: tenant.slug, name: tenant.name });
  });

  it('serves a custom host name and an explicit slug for SDK clients', async () => {
    const other = await h.tenant();
    await h.db.orm.em
      .fork()
      .getConnection()
      .execute('INSERT INTO tenant_hostnames (hostname, tenant_id) VALUES (?, ?)', [
        `videos-${other.slug}.example.org`,
        other.id,
      ]);
    const byHost = await request(hub.url, 'GET', '/trpc/tenant.current', {
      host: `videos-${other.slug}.example.org`,
    });
    expect(byHost.json.result.data.slug).toBe(other.slug);
    const bySlug = await request(hub.url, 'GET', '/trpc/tenant.current', {
      host: 'sdk.example.net',
      headers: { 'x-ppv-tenant': other.slug },
    });
    expect(bySlug.json.result.data.slug).toBe(other.slug);
  });

  it('error: an unknown host is a 404 that names it', async () => {
    const res = await request(hub.url, 'GET', '/trpc/tenant.current', { host: 'nowhere.example' });
    expect(res.status).toBe(404);
    expect(res.json.error.message).toBe('No tenant is served at nowhere.example');
  });

  it('error: a malformed explicit slug is a 400', async () => {
    const res = await call('GET', '/trpc/tenant.current', { headers: { 'x-ppv-tenant': '../etc' } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe('Invalid tenant slug');
  });
});

describe('security headers and request ids', () => {
  it('sets a strict CSP, nosniff, no x-powered-by, and a request id', async () => {
    const res = await call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.text).toContain(tenant.name);
  });

  it('echoes a well-formed incoming request id and replaces a malformed one', async () => {
    expect(
      (await call('GET', '/healthz', { headers: { 'x-request-id': 'trace-12345678' } })).headers[
        'x-request-id'
      ],
    ).toBe('trace-12345678');
    expect(
      (await call('GET', '/healthz', { headers: { 'x-request-id': 'bad id <script>' } })).headers[
        'x-request-id'
      ],
    ).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('routes the reset-password page', async () => {
    const res = await call('GET', '/reset-password?token=abc');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Choose a new password');
  });
});

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, signed, and not Secure over plain http', async () => {
    const res = await login();
    const line = res.setCookie.find((c) => c.startsWith('ppv_session='))!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).not.toMatch(/Secure/);
    expect(res.cookies.ppv_session).toMatch(/^[\w-]{43}\.[\w-]{43}$/);
    const csrf = res.setCookie.find((c) => c.startsWith('ppv_csrf='))!;
    expect(csrf).not.toMatch(/HttpOnly/);
  });

  it('is Secure behind a trusted proxy that terminated https', async () => {
    const res = await login({ 'x-forwarded-proto': 'https' });
    expect(res.setCookie.find((c) => c.startsWith('ppv_session='))).toMatch(/Secure/);
  });

  it('error: a cookie-authenticated mutation without the CSRF header is a 403', async () => {
    const res = await login();
    const cookie = cookieHeader(res.cookies);
    const without = await call('POST', '/trpc/apiTokens.create', {
      headers: { cookie },
      body: { name: 'x' },
    });
    expect(without.status).toBe(403);
    expect(without.json.error.message).toBe('Missing or invalid CSRF token (send the x-csrf-token header)');
    const withIt = await call('POST', '/trpc/apiTokens.create', {
      headers: { cookie, 'x-csrf-token': res.cookies.ppv_csrf! },
      body: { name: 'x' },
    });
    expect(withIt.status).toBe(200);
  });
});

describe('origins', () => {
  it('allows the tenant allowlist with CORS and refuses other origins', async () => {
    await h.db.orm.em
      .fork()
      .getConnection()
      .execute("UPDATE tenants SET cors_origins = '{https://blog.example.com}' WHERE id = ?", [tenant.id]);
    const fresh = await h.tenant();
    await h.db.orm.em
      .fork()
      .getConnection()
      .execute("UPDATE tenants SET cors_origins = '{https://blog.example.com}' WHERE id = ?", [fresh.id]);
    const freshHost = `${fresh.slug}.hub.test`;
    const preflight = await request(hub.url, 'OPTIONS', '/trpc/auth.me', {
      host: freshHost,
      headers: { origin: 'https://blog.example.com' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://blog.example.com');
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    const denied = await request(hub.url, 'OPTIONS', '/trpc/auth.me', {
      host: freshHost,
      headers: { origin: 'https://evil.example' },
    });
    expect(denied.status).toBe(403);
  });

  it('error: a login posted from a foreign origin is refused (login CSRF)', async () => {
    const res = await call('POST', '/trpc/auth.login', {
      body: { login: username, password },
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toMatch(/Requests from https:\/\/evil.example are not allowed/);
  });

  it('accepts a same-origin login', async () => {
    const res = await call('POST', '/trpc/auth.login', {
      body: { login: username, password },
      headers: { origin: `http://${host}` },
    });
    expect(res.status).toBe(200);
  });
});

describe('errors over HTTP', () => {
  it('error: bad input is a 400 naming the field', async () => {
    const res = await call('POST', '/trpc/auth.register', {
      body: { username: 'ok_name', email: 'nope', password: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe('email: Enter a valid email address');
    expect(res.json.error.data.issues[0]).toEqual({
      path: ['email'],
      message: 'Enter a valid email address',
    });
    expect(res.text).not.toContain('stack');
  });

  it('error: malformed JSON is a 400, not a 500', async () => {
    const res = await call('POST', '/trpc/auth.login', {
      rawBody: '{"login":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
  });

  it('error: too many attempts is a 429 with Retry-After', async () => {
    const saved = h.deps.config;
    h.deps.config = { ...saved, authRateLimitPerIp: 1 };
    try {
      const ip = '192.0.2.44';
      await call('POST', '/trpc/auth.login', {
        body: { login: 'ghost', password },
        headers: { 'x-forwarded-for': ip },
      });
      const res = await call('POST', '/trpc/auth.login', {
        body: { login: 'ghost', password },
        headers: { 'x-forwarded-for': ip },
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json.error.message).toBe('Too many attempts; please wait and try again');
    } finally {
      h.deps.config = saved;
    }
  });

  it('error: unknown route is a JSON 404', async () => {
    const res = await call('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
  });
});

describe('Bearer tokens on HTTP routes', () => {
  it('GET /api/v1/me accepts an API token, refuses a revoked one and no credentials', async () => {
    const res = await login();
    const cookie = cookieHeader(res.cookies);
    const created = await call('POST', '/trpc/apiTokens.create', {
      headers: { cookie, 'x-csrf-token': res.cookies.ppv_csrf! },
      body: { name: 'http' },
    });
    const { token, id } = created.json.result.data;
    const ok = await call('GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ username, via: 'api_token' });
    await call('POST', '/trpc/apiTokens.revoke', {
      headers: { cookie, 'x-csrf-token': res.cookies.ppv_csrf! },
      body: { tokenId: id },
    });
    const revoked = await call('GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.message).toBe('This API token was revoked');
    const none = await call('GET', '/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.json.error.message).toBe('Please sign in first');
  });
});
