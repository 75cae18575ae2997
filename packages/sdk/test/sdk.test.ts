import { createUser } from '@ppv/core';
import { PASSWORD } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPpvClient, type Eip1193Provider, PpvError } from '../src/index';
import { readyVideo, startTestHub, type TestHub } from './fixtures';

let t: TestHub;
let tenant: Tenant;
let creator: Awaited<ReturnType<TestHub['h']['signedIn']>>;

beforeAll(async () => {
  t = await startTestHub();
  tenant = await t.h.tenant();
  creator = await t.h.signedIn(tenant, { role: 'creator' });
});
afterAll(() => t?.close());

/** A new account with a password, in the hub's users. */
async function account() {
  const username = `v${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  await createUser(t.h.db.orm.em.fork(), { username, email: `${username}@example.com`, password: PASSWORD });
  return username;
}

const clientFor = (tenantSlug = tenant.slug) => createPpvClient({ hub: t.hub.url, tenant: tenantSlug });

async function signedInClient() {
  const username = await account();
  const client = clientFor();
  await client.auth.signIn({ login: username, password: PASSWORD });
  return { client, username };
}

/** A viem local account as an EIP-1193 provider, the way a browser wallet answers. */
function walletProvider(options: { refuse?: boolean } = {}): Eip1193Provider & { address: string } {
  const account = privateKeyToAccount(generatePrivateKey());
  return {
    address: account.address,
    async request({ method, params }) {
      if (method === 'eth_requestAccounts') return [account.address.toLowerCase()];
      if (method === 'personal_sign') {
        if (options.refuse) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
        const [message] = params as [`0x${string}`, string];
        return account.signMessage({ message: { raw: message } });
      }
      throw new Error(`unsupported method ${method}`);
    },
  };
}

describe('accounts', () => {
  it('signs in with a password and keeps the session and its CSRF token across calls', async () => {
    const username = await account();
    const client = clientFor();
    expect(await client.auth.me()).toBeNull();
    const me = await client.auth.signIn({ login: username, password: PASSWORD });
    expect(me).toMatchObject({ username, role: 'viewer', via: 'session' });
    // A cookie-authenticated mutation needs the CSRF token: the client sends it.
    const free = await readyVideo(t.h, tenant, creator.userId, { priceCents: 0 });
    const session = await client.playback.start(free);
    await client.playback.end(session.sessionId);
    await client.auth.signOut();
    expect(await client.auth.me()).toBeNull();
  });

  it('with a session it did not start (a page reload), asks the hub for the CSRF token before its first mutation', async () => {
    const viewer = await t.h.signedIn(tenant);
    const sent: string[] = [];
    // Only the HttpOnly session cookie, as a browser sends it; the CSRF token is not readable cross-site.
    const client = createPpvClient({
      hub: t.hub.url,
      tenant: tenant.slug,
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('cookie', `ppv_session=${viewer.cookies.ppv_session}`);
        sent.push(`${new URL(String(input)).pathname} ${headers.get('x-csrf-token') ?? '-'}`);
        return fetch(input, { ...init, headers });
      },
    });
    const free = await readyVideo(t.h, tenant, creator.userId, { priceCents: 0 });
    const session = await client.playback.start(free);
    expect(session.overlay.handle).toBe(viewer.username);
    expect(sent).toEqual(['/trpc/auth.me -', `/trpc/playback.start ${viewer.cookies.ppv_csrf}`]);
  });

  it('error: a wrong password is a PpvError with the hub’s code and message', async () => {
    const username = await account();
    const error = await clientFor()
      .auth.signIn({ login: username, password: 'Not-The-Password-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PpvError);
    expect(error).toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Incorrect email/username or password',
      details: { status: 401, path: 'auth.login' },
    });
  });

  it('error: an empty password names the field', async () => {
    await expect(clientFor().auth.signIn({ login: 'someone', password: '' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'password: Enter a password',
      details: { issues: [{ path: ['password'], message: 'Enter a password' }] },
    });
  });

  it('signs in with Ethereum from an EIP-1193 provider: nonce, message, personal_sign, verify', async () => {
    const wallet = walletProvider();
    const client = clientFor();
    const me = await client.auth.signInWithEthereum({
      provider: wallet,
      statement: `Sign in to ${tenant.name}`,
    });
    expect(me.created).toBe(true);
    expect(me.username).toMatch(/^w_[0-9a-f]{8}/);
    expect(me.wallets.map((w) => w.address.toLowerCase())).toEqual([wallet.address.toLowerCase()]);
    // The session works for mutations (CSRF token from verify).
    await client.auth.signOut();
    const again = await clientFor().auth.signInWithEthereum({ provider: wallet });
    expect([again.created, again.username]).toEqual([false, me.username]);
  });

  it('error: a wallet that refuses to sign or to share an account is SIGNATURE_REJECTED, and nobody is signed in', async () => {
    const client = clientFor();
    await expect(
      client.auth.signInWithEthereum({ provider: walletProvider({ refuse: true }) }),
    ).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
      message: 'The wallet did not sign the sign-in message',
    });
    expect(await client.auth.me()).toBeNull();
    const locked: Eip1193Provider = {
      request: () => Promise.reject(Object.assign(new Error('User rejected the request.'), { code: 4001 })),
    };
    await expect(client.auth.signInWithEthereum({ provider: locked })).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
      message: 'The wallet did not share an account',
    });
  });

  it('an API token client needs no cookie and no CSRF token', async () => {
    const { token } = await creator.api.apiTokens.create({ name: 'sdk' });
    const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug, token });
    expect(await client.auth.me()).toMatchObject({ username: creator.username, via: 'api_token' });
    const own = await readyVideo(t.h, tenant, creator.userId);
    const session = await client.playback.start(own);
    await client.playback.end(session.sessionId);
  });
});

describe('catalog and access', () => {
  it('lists the catalog page by page and gets a video, with absolute media URLs for the tenant', async () => {
    const shop = await t.h.tenant();
    const maker = await t.h.signedIn(shop, { role: 'creator' });
    const ids = [];
    for (const title of ['One', 'Two', 'Three'])
      ids.push(await readyVideo(t.h, shop, maker.userId, { title }));
    const client = clientFor(shop.slug);
    const first = await client.videos.list({ limit: 2 });
    expect(first.total).toBe(3);
    expect(first.videos.map((v) => v.title)).toEqual(['Three', 'Two']);
    const all = [];
    for await (const video of client.videos.all({ limit: 2 })) all.push(video.id);
    expect(all.sort()).toEqual([...ids].sort());
    const video = await client.videos.get(ids[0]!);
    expect(video).toMatchObject({ title: 'One', priceCents: 500, status: 'ready' });
    expect(video.posterUrl).toBe(
      `${t.hub.url}/media/${shop.id}/${video.id}/hls/poster.jpg?tenant=${shop.slug}`,
    );
    expect((await client.branding()).slug).toBe(shop.slug);
  });

  it('error: another tenant’s video is NOT_FOUND, and an unknown tenant says so', async () => {
    const other = await t.h.tenant();
    const theirs = await readyVideo(t.h, other, (await t.h.signedIn(other, { role: 'creator' })).userId);
    await expect(clientFor().videos.get(theirs)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Video was not found',
    });
    await expect(clientFor('no-such-shop').videos.list()).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No tenant "no-such-shop" on this hub',
      details: { status: 404 },
    });
  });

  it('checks access: sign in, then pay, then allowed once allowlisted', async () => {
    const paid = await readyVideo(t.h, tenant, creator.userId);
    expect(await clientFor().access(paid)).toMatchObject({ allowed: false, reason: 'sign_in_required' });
    const { client, username } = await signedInClient();
    expect(await client.access(paid)).toMatchObject({ allowed: false, reason: 'payment_required' });
    await expect(client.playback.start(paid)).rejects.toMatchObject({
      code: 'PAYMENT_REQUIRED',
      message: 'This video is pay-per-view: buy a view to watch it',
    });
    await creator.api.videos.access.grant({ videoId: paid, who: username });
    expect(await client.access(paid)).toEqual({ videoId: paid, allowed: true, grant: 'allowlist' });
  });
});

describe('playback', () => {
  it('starts a session whose playlists and key fetch with its token; a refreshed token works too', async () => {
    const free = await readyVideo(t.h, tenant, creator.userId, { priceCents: 0 });
    const { client, username } = await signedInClient();
    const session = await client.playback.start(free);
    expect(session.overlay).toEqual({ handle: username, code: expect.stringMatching(/^[A-Z0-9]{8}$/) });
    expect(session.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const auth = { authorization: `Bearer ${session.token}` };
    const master = await fetch(session.masterUrl, { headers: auth });
    expect(master.status).toBe(200);
    const text = await master.text();
    expect(text).toContain('#EXTM3U');
    const rendition = text.trim().split('\n').at(-1)!;
    const media = await fetch(client.url(new URL(rendition, session.masterUrl).pathname), { headers: auth });
    expect(media.status).toBe(200);
    expect(await media.text()).toContain('#EXT-X-KEY:METHOD=AES-128,URI="key"');
    const without = await fetch(session.masterUrl);
    expect(without.status).toBe(401);

    const fresh = await client.playback.refresh(session.sessionId);
    expect(fresh.expiresAt.getTime()).toBeGreaterThanOrEqual(session.expiresAt.getTime());
    const key = await fetch(client.url(`/play/${session.sessionId}/key`), {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    expect([key.status, (await key.arrayBuffer()).byteLength]).toEqual([200, 16]);

    await client.playback.end(session.sessionId);
    const ended = await fetch(session.masterUrl, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(ended.status).toBe(410);
    await expect(client.playback.refresh(session.sessionId)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('error: over the cap on sessions is CONFLICT; endOldest makes room', async () => {
    const free = await readyVideo(t.h, tenant, creator.userId, { priceCents: 0 });
    const { client } = await signedInClient();
    const cap = t.h.deps.config.media.maxPlaybackSessions;
    const sessions = [];
    for (let i = 0; i < cap; i++) sessions.push(await client.playback.start(free));
    await expect(client.playback.start(free)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(`the limit is ${cap}`),
    });
    const newest = await client.playback.start(free, { endOldest: true });
    const live = await client.trpc.playback.sessions.query();
    expect(live.map((s) => s.id)).toContain(newest.sessionId);
    expect(live.map((s) => s.id)).not.toContain(sessions[0]!.sessionId);
  });

  it('keepFresh hands over a new token before the old one expires', async () => {
    const free = await readyVideo(t.h, tenant, creator.userId, { priceCents: 0 });
    const { client } = await signedInClient();
    const session = await client.playback.start(free);
    const next = await new Promise<string>((resolve, reject) => {
      // Due 1 s from now, so refreshed at once.
      const stop = client.playback.keepFresh(
        { sessionId: session.sessionId, expiresAt: new Date(Date.now() + 1_000) },
        {
          onToken(token) {
            stop();
            resolve(token);
          },
          onError: reject,
        },
      );
    });
    const master = await fetch(session.masterUrl, { headers: { authorization: `Bearer ${next}` } });
    expect(master.status).toBe(200);
  });

  it('error: a hub that cannot be reached is NETWORK_ERROR', async () => {
    const client = createPpvClient({ hub: 'http://127.0.0.1:9', tenant: tenant.slug });
    await expect(client.videos.list()).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      message: 'Could not reach the hub; check the connection and try again',
    });
  });
});
