/**
 * The cross-tenant matrix: for every procedure of the app router, a member of tenant B cannot read
 * or change tenant A's rows. Every procedure must have an entry (a test fails when one is added
 * without), so each feature extends this file with its own.
 */
import { randomBytes } from 'node:crypto';
import {
  EntitlementEntity,
  type Tenant,
  TraceRequestEntity,
  VideoEntity,
  WalletEntity,
  withTenant,
} from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from './router';
import { createHarness, type Harness, type TestClient } from './testing';

interface Fixtures {
  h: Harness;
  /** Tenant A's admin, signed in on A. */
  ownerA: TestClient & { userId: string; username: string };
  /** A's admin's session id, an API token id and token secret of A. */
  a: {
    sessionId: string;
    tokenId: string;
    token: string;
    viewerId: string;
    videoId: string;
    playbackId: string;
    /** A wallet linked to A's admin. */
    walletAddress: string;
    traceId: string;
  };
  /** A ready video of tenant B. */
  videoOfB: string;
  /** B's tenant admin, on B, who bought videoOfB there. */
  adminB: TestClient;
  /** B's tenant admin's cookies replayed against A's host. */
  cookiesOfBOnA: TestClient;
  tenantB: Tenant;
  /** B's API token sent to A's host. */
  tokenOfBOnA: TestClient;
  /** B's API token on B's own host. */
  tokenOfBOnB: TestClient;
  /** B's tenant admin, who signed in on A too (and so is only a viewer there). */
  intruderOnA: TestClient;
}

type Attack = (f: Fixtures) => Promise<void>;

/** Authenticated procedure: foreign cookies and tokens are unknown on A, whatever the input. */
const authed =
  (call: (c: TestClient, f: Fixtures) => Promise<unknown>, intruder?: Attack): Attack =>
  async (f) => {
    await expect(call(f.cookiesOfBOnA, f)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(call(f.tokenOfBOnA, f)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Unknown API token',
    });
    if (intruder) await intruder(f);
  };

const matrix: Record<string, Attack> = {
  'auth.register': async (f) => {
    // Creates a new account in the caller's tenant only; nothing of A is read.
    const before = await f.ownerA.api.tenant.members({});
    await expect(
      f.tokenOfBOnA.api.auth.register({
        username: 'x_reg',
        email: 'x_reg@example.com',
        password: 'Sturdy-Password-1',
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await f.ownerA.api.tenant.members({})).total).toBe(before.total);
  },
  'auth.login': async (f) => {
    await expect(
      f.tokenOfBOnA.api.auth.login({ login: f.ownerA.username, password: 'x' }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  },
  'auth.logout': async (f) => {
    // B's cookies on A revoke nothing: A's sessions stay live.
    await f.cookiesOfBOnA.api.auth.logout();
    expect(await f.ownerA.api.auth.me()).not.toBeNull();
  },
  'auth.me': async (f) => {
    expect(await f.cookiesOfBOnA.api.auth.me()).toBeNull();
    await expect(f.tokenOfBOnA.api.auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  },
  'auth.forgotPassword': async (f) => {
    await expect(
      f.tokenOfBOnA.api.auth.forgotPassword({ email: 'someone@example.com' }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  },
  'auth.resetPassword': async (f) => {
    // A reset token of B is unknown on A (covered with real tokens in password-reset.test.ts).
    await expect(
      f.intruderOnA.api.auth.resetPassword({ token: 'x'.repeat(43), newPassword: 'Sturdy-Password-1' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This reset link is invalid; request a new one',
    });
  },
  'auth.changePassword': authed((c) =>
    c.api.auth.changePassword({ currentPassword: 'x', newPassword: 'Sturdy-Password-1' }),
  ),
  'auth.sessions.list': authed(
    (c) => c.api.auth.sessions.list(),
    async (f) => {
      const sessions = await f.intruderOnA.api.auth.sessions.list();
      expect(sessions.map((s) => s.id)).not.toContain(f.a.sessionId);
    },
  ),
  'auth.sessions.revoke': authed(
    (c, f) => c.api.auth.sessions.revoke({ sessionId: f.a.sessionId }),
    async (f) => {
      await expect(
        f.intruderOnA.api.auth.sessions.revoke({ sessionId: f.a.sessionId }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await f.ownerA.api.auth.me()).not.toBeNull();
    },
  ),
  'auth.wallets.unlink': authed(
    (c, f) => c.api.auth.wallets.unlink({ address: f.a.walletAddress }),
    async (f) => {
      await expect(
        f.intruderOnA.api.auth.wallets.unlink({ address: f.a.walletAddress }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await f.ownerA.api.auth.me())?.wallets.map((w) => w.address)).toEqual([f.a.walletAddress]);
    },
  ),
  'purchases.mine': authed(
    (c) => c.api.purchases.mine(),
    async (f) => {
      // The same person bought a video on B: it is listed there, never on A.
      expect((await f.adminB.api.purchases.mine()).map((p) => p.videoId)).toEqual([f.videoOfB]);
      expect(await f.intruderOnA.api.purchases.mine()).toEqual([]);
    },
  ),
  'siwe.nonce': async (f) => {
    await expect(f.tokenOfBOnA.api.siwe.nonce()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  },
  'siwe.verify': async (f) => {
    await expect(f.tokenOfBOnA.api.siwe.verify({ message: 'x', signature: '0x' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(
      f.cookiesOfBOnA.api.siwe.verify({ message: 'x', signature: '0x', link: true }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  },
  'apiTokens.create': authed((c) => c.api.apiTokens.create({ name: 'x' })),
  'apiTokens.list': authed(
    (c) => c.api.apiTokens.list(),
    async (f) => {
      expect((await f.intruderOnA.api.apiTokens.list()).map((t) => t.id)).not.toContain(f.a.tokenId);
    },
  ),
  'apiTokens.revoke': authed(
    (c, f) => c.api.apiTokens.revoke({ tokenId: f.a.tokenId }),
    async (f) => {
      await expect(f.intruderOnA.api.apiTokens.revoke({ tokenId: f.a.tokenId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const stillWorks = f.h.client(f.ownerA.tenant, { authorization: `Bearer ${f.a.token}` });
      expect((await stillWorks.api.auth.me())?.username).toBe(f.ownerA.username);
    },
  ),
  'tenant.current': async (f) => {
    // Public branding of the host's tenant; B's credentials do not change which tenant answers.
    expect((await f.cookiesOfBOnA.api.tenant.current()).id).toBe(f.ownerA.tenant.id);
  },
  'tenant.settings': authed(
    (c) => c.api.tenant.settings(),
    async (f) => {
      await expect(f.intruderOnA.api.tenant.settings()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'tenant.update': authed(
    (c) => c.api.tenant.update({ name: 'Hijacked' }),
    async (f) => {
      await expect(f.intruderOnA.api.tenant.update({ name: 'Hijacked' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await f.ownerA.api.tenant.current()).name).not.toBe('Hijacked');
    },
  ),
  'tenant.members': authed(
    (c) => c.api.tenant.members({}),
    async (f) => {
      await expect(f.intruderOnA.api.tenant.members({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'tenant.setRole': authed(
    (c, f) => c.api.tenant.setRole({ userId: f.a.viewerId, role: 'tenant_admin' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.tenant.setRole({ userId: f.a.viewerId, role: 'tenant_admin' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'tenant.audit': authed(
    (c) => c.api.tenant.audit({}),
    async (f) => {
      await expect(f.intruderOnA.api.tenant.audit({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.users.list': authed(
    (c) => c.api.hub.users.list({}),
    async (f) => {
      await expect(f.intruderOnA.api.hub.users.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.ownerA.api.hub.users.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.videos.list': authed(
    (c) => c.api.hub.videos.list({}),
    async (f) => {
      await expect(f.intruderOnA.api.hub.videos.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.ownerA.api.hub.videos.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.indexer.status': authed(
    (c) => c.api.hub.indexer.status(),
    async (f) => {
      await expect(f.intruderOnA.api.hub.indexer.status()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.tenants.list': authed(
    (c) => c.api.hub.tenants.list(),
    async (f) => {
      await expect(f.intruderOnA.api.hub.tenants.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.tenants.create': authed(
    (c) => c.api.hub.tenants.create({ slug: 'x-new', name: 'X' }),
    async (f) => {
      await expect(f.intruderOnA.api.hub.tenants.create({ slug: 'x-new', name: 'X' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'hub.tenants.update': authed(
    (c, f) => c.api.hub.tenants.update({ tenantId: f.ownerA.tenant.id, feeBps: 0 }),
    async (f) => {
      await expect(
        f.intruderOnA.api.hub.tenants.update({ tenantId: f.ownerA.tenant.id, feeBps: 0 }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        f.ownerA.api.hub.tenants.update({ tenantId: f.tenantB.id, name: 'Taken over' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'hub.tenants.setHostnames': authed(
    (c, f) => c.api.hub.tenants.setHostnames({ tenantId: f.ownerA.tenant.id, hostnames: ['evil.example'] }),
    async (f) => {
      await expect(
        f.intruderOnA.api.hub.tenants.setHostnames({
          tenantId: f.ownerA.tenant.id,
          hostnames: ['evil.example'],
        }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'hub.tenants.setUploadLimit': authed(
    (c, f) => c.api.hub.tenants.setUploadLimit({ tenantId: f.ownerA.tenant.id, maxUploadBytes: 2 ** 20 }),
    async (f) => {
      await expect(
        f.intruderOnA.api.hub.tenants.setUploadLimit({
          tenantId: f.ownerA.tenant.id,
          maxUploadBytes: 2 ** 20,
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'videos.list': async (f) => {
    await expect(f.cookiesOfBOnA.api.videos.list({ scope: 'mine' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(f.intruderOnA.api.videos.list({ scope: 'all' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect((await f.intruderOnA.api.videos.list({ scope: 'mine' })).total).toBe(0);
    const catalog = await f.intruderOnA.api.videos.list({});
    expect(catalog.videos.map((v) => v.id)).not.toContain(f.videoOfB);
    const { title } = await f.ownerA.api.videos.get({ videoId: f.a.videoId });
    const searched = await f.cookiesOfBOnA.on(f.tenantB).api.videos.list({ q: title, sort: 'title' });
    expect(searched.videos.map((v) => v.id)).toContain(f.videoOfB);
    expect(searched.videos.map((v) => v.id)).not.toContain(f.a.videoId);
    expect(catalog.videos.find((v) => v.id === f.a.videoId)).not.toHaveProperty('lastError');
  },
  'videos.get': async (f) => {
    await expect(f.intruderOnA.api.videos.get({ videoId: f.videoOfB })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await f.intruderOnA.api.videos.get({ videoId: f.a.videoId })).not.toHaveProperty('sourceFilename');
  },
  'videos.update': authed(
    (c, f) => c.api.videos.update({ videoId: f.a.videoId, title: 'Hijacked' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.videos.update({ videoId: f.a.videoId, title: 'Hijacked' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'videos.delete': authed(
    (c, f) => c.api.videos.delete({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.videos.delete({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await f.ownerA.api.videos.get({ videoId: f.a.videoId })).id).toBe(f.a.videoId);
    },
  ),
  'videos.unpublish': authed(
    (c, f) => c.api.videos.unpublish({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.videos.unpublish({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await f.ownerA.api.videos.get({ videoId: f.a.videoId })).status).toBe('ready');
    },
  ),
  'videos.publish': authed(
    (c, f) => c.api.videos.publish({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.videos.publish({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'videos.hide': authed(
    (c, f) => c.api.videos.hide({ videoId: f.a.videoId, reason: 'Hijacked' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.videos.hide({ videoId: f.a.videoId, reason: 'Hijacked' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // B's admin at home: A's video does not exist there.
      await expect(
        f.tokenOfBOnB.api.videos.hide({ videoId: f.a.videoId, reason: 'Hijacked' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await f.ownerA.api.videos.get({ videoId: f.a.videoId })).toMatchObject({ hidden: null });
    },
  ),
  'videos.restore': authed(
    (c, f) => c.api.videos.restore({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.videos.restore({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(f.tokenOfBOnB.api.videos.restore({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  ),
  'videos.setPosterFrame': authed(
    (c, f) => c.api.videos.setPosterFrame({ videoId: f.a.videoId, atSeconds: 0 }),
    async (f) => {
      await expect(
        f.intruderOnA.api.videos.setPosterFrame({ videoId: f.a.videoId, atSeconds: 0 }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        f.tokenOfBOnB.api.videos.setPosterFrame({ videoId: f.a.videoId, atSeconds: 0 }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    },
  ),
  'videos.access.list': authed(
    (c, f) => c.api.videos.access.list({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.videos.access.list({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'videos.access.grant': authed(
    (c, f) => c.api.videos.access.grant({ videoId: f.a.videoId, who: 'someone' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.videos.access.grant({ videoId: f.a.videoId, who: f.ownerA.username }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'videos.access.revoke': authed(
    (c, f) => c.api.videos.access.revoke({ videoId: f.a.videoId, who: 'someone' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.videos.access.revoke({ videoId: f.a.videoId, who: f.ownerA.username }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'playback.start': authed(
    (c, f) => c.api.playback.start({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.playback.start({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'PAYMENT_REQUIRED',
      });
      await expect(f.intruderOnA.api.playback.start({ videoId: f.videoOfB })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  ),
  'playback.refresh': authed(
    (c, f) => c.api.playback.refresh({ sessionId: f.a.playbackId }),
    async (f) => {
      await expect(f.intruderOnA.api.playback.refresh({ sessionId: f.a.playbackId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  ),
  'playback.end': authed(
    (c, f) => c.api.playback.end({ sessionId: f.a.playbackId }),
    async (f) => {
      await expect(f.intruderOnA.api.playback.end({ sessionId: f.a.playbackId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect((await f.ownerA.api.playback.sessions()).map((s) => s.id)).toContain(f.a.playbackId);
    },
  ),
  'playback.sessions': authed(
    (c) => c.api.playback.sessions(),
    async (f) => {
      expect((await f.intruderOnA.api.playback.sessions()).map((s) => s.id)).not.toContain(f.a.playbackId);
    },
  ),
  'playback.watching': authed(
    (c) => c.api.playback.watching(),
    async (f) => {
      await expect(f.intruderOnA.api.playback.watching()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await f.ownerA.api.playback.watching()).map((s) => s.sessionId)).toContain(f.a.playbackId);
    },
  ),
  'access.check': async (f) => {
    await expect(f.intruderOnA.api.access.check({ videoId: f.videoOfB })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await f.cookiesOfBOnA.api.access.check({ videoId: f.a.videoId })).toMatchObject({
      allowed: false,
      reason: 'sign_in_required',
    });
    await expect(f.tokenOfBOnA.api.access.check({ videoId: f.a.videoId })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await f.intruderOnA.api.access.check({ videoId: f.a.videoId })).toMatchObject({
      allowed: false,
      reason: 'payment_required',
    });
  },
  'rates.setTokenRate': authed(
    (c) =>
      c.api.rates.setTokenRate({ token: 'ETH', usdPerToken: '1', validUntil: new Date(Date.now() + 6e4) }),
    async (f) => {
      await expect(
        f.intruderOnA.api.rates.setTokenRate({
          token: 'ETH',
          usdPerToken: '1',
          validUntil: new Date(Date.now() + 6e4),
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'rates.tokenRates': authed(
    (c) => c.api.rates.tokenRates({ token: 'ETH' }),
    async (f) => {
      await expect(f.intruderOnA.api.rates.tokenRates({ token: 'ETH' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'rates.setDisplayRate': authed(
    (c) => c.api.rates.setDisplayRate({ currency: 'IDR', rate: '1' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.rates.setDisplayRate({ currency: 'IDR', rate: '1' }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect((await f.ownerA.api.tenant.settings()).displayCurrency).toBe('USD');
    },
  ),
  'rates.displayRates': authed(
    (c) => c.api.rates.displayRates({}),
    async (f) => {
      await expect(f.intruderOnA.api.rates.displayRates({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'checkout.tokens': async (f) => {
    // The hub's configuration, the same for every tenant; a foreign API token is still refused.
    await expect(f.tokenOfBOnA.api.checkout.tokens()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await f.cookiesOfBOnA.api.checkout.tokens()).tokens).toEqual(
      (await f.ownerA.api.checkout.tokens()).tokens,
    );
  },
  'checkout.quote': async (f) => {
    await expect(
      f.intruderOnA.api.checkout.quote({ videoId: f.videoOfB, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      f.tokenOfBOnA.api.checkout.quote({ videoId: f.a.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  },
  'checkout.createInvoice': authed(
    (c, f) => c.api.checkout.createInvoice({ videoId: f.a.videoId, token: 'USDC' }),
    async (f) => {
      await expect(
        f.intruderOnA.api.checkout.createInvoice({ videoId: f.videoOfB, token: 'USDC' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    },
  ),
  // Paying another tenant's invoice on a real chain: payments/submit-transaction.test.ts.
  'payments.submitTransaction': authed((c) =>
    c.api.payments.submitTransaction({ txHash: `0x${'1'.repeat(64)}` }),
  ),
  'payments.status': authed(
    (c, f) => c.api.payments.status({ invoiceId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.payments.status({ invoiceId: f.a.videoId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  ),
  'payments.list': authed(
    (c) => c.api.payments.list({}),
    async (f) => {
      await expect(f.intruderOnA.api.payments.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(f.intruderOnA.api.payments.list({ scope: 'hub' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'blocks.list': authed(
    (c) => c.api.blocks.list(),
    async (f) => {
      await expect(f.intruderOnA.api.blocks.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    },
  ),
  'blocks.add': authed(
    (c, f) => c.api.blocks.add({ who: f.ownerA.username }),
    async (f) => {
      await expect(f.intruderOnA.api.blocks.add({ who: f.ownerA.username })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'blocks.remove': authed(
    (c, f) => c.api.blocks.remove({ who: f.ownerA.username }),
    async (f) => {
      await expect(f.intruderOnA.api.blocks.remove({ who: f.ownerA.username })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    },
  ),
  'ledger.earnings': authed(
    (c) => c.api.ledger.earnings({ as: 'tenant' }),
    async (f) => {
      for (const as of ['creator', 'tenant', 'hub'] as const) {
        await expect(f.intruderOnA.api.ledger.earnings({ as })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
    },
  ),
  'ledger.daily': authed(
    (c) => c.api.ledger.daily({ as: 'tenant', from: new Date('2026-01-01'), to: new Date('2026-02-01') }),
    async (f) => {
      for (const as of ['creator', 'tenant', 'hub'] as const) {
        await expect(
          f.intruderOnA.api.ledger.daily({ as, from: new Date('2026-01-01'), to: new Date('2026-02-01') }),
        ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
    },
  ),
  'ledger.exportCsv': authed(
    (c) => c.api.ledger.exportCsv({ as: 'tenant' }),
    async (f) => {
      for (const as of ['creator', 'tenant', 'hub'] as const) {
        await expect(f.intruderOnA.api.ledger.exportCsv({ as })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
    },
  ),
  'tracing.list': authed(
    (c, f) => c.api.tracing.list({ videoId: f.a.videoId }),
    async (f) => {
      await expect(f.intruderOnA.api.tracing.list({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      // B's admin at home: A's video does not exist there.
      await expect(f.tokenOfBOnB.api.tracing.list({ videoId: f.a.videoId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect((await f.ownerA.api.tracing.list({ videoId: f.a.videoId })).map((t) => t.id)).toEqual([
        f.a.traceId,
      ]);
    },
  ),
  'tracing.get': authed(
    (c, f) => c.api.tracing.get({ traceId: f.a.traceId }),
    async (f) => {
      await expect(f.intruderOnA.api.tracing.get({ traceId: f.a.traceId })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(f.tokenOfBOnB.api.tracing.get({ traceId: f.a.traceId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    },
  ),
};

let h: Harness;
let f: Fixtures;

/** A priced, ready video row (the media pipeline is exercised elsewhere). */
function readyVideo(tenantId: string, creatorId: string): Promise<string> {
  return withTenant(h.db.orm, tenantId, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId,
      creatorId,
      title: 'Paid video',
      priceCents: 499,
      status: 'ready',
    });
    await em.flush();
    return video.id;
  });
}

beforeAll(async () => {
  h = await createHarness();
  const tenantA = await h.tenant();
  const tenantB = await h.tenant();
  const ownerA = await h.signedIn(tenantA, { role: 'tenant_admin' });
  const viewerA = await h.signedIn(tenantA);
  const created = await ownerA.api.apiTokens.create({ name: 'a-token' });
  const [sessionA] = await ownerA.api.auth.sessions.list();
  const videoA = await readyVideo(tenantA.id, ownerA.userId);
  const playback = await ownerA.api.playback.start({ videoId: videoA });
  const traceA = await withTenant(h.db.orm, tenantA.id, async (em) => {
    const trace = em.create(TraceRequestEntity, {
      tenantId: tenantA.id,
      videoId: videoA,
      requestedBy: ownerA.userId,
      filename: 'leak.mp4',
      bytes: 1000,
    });
    await em.flush();
    return trace.id;
  });

  const adminB = await h.signedIn(tenantB, { role: 'tenant_admin' });
  const tokenB = await adminB.api.apiTokens.create({ name: 'b-token' });
  const cookiesOfBOnA = adminB.on(tenantA);
  const tokenOfBOnA = h.client(tenantA, { authorization: `Bearer ${tokenB.token}` });
  const tokenOfBOnB = h.client(tenantB, { authorization: `Bearer ${tokenB.token}` });
  const videoOfB = await readyVideo(tenantB.id, adminB.userId);
  const walletAddress = `0x${randomBytes(20).toString('hex')}`;
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, { userId: ownerA.userId, address: walletAddress, chainId: 31337 });
  await em.flush();
  await withTenant(h.db.orm, tenantB.id, async (tx) => {
    tx.create(EntitlementEntity, {
      tenantId: tenantB.id,
      userId: adminB.userId,
      videoId: videoOfB,
      source: 'purchase',
    });
    await tx.flush();
  });
  const intruderOnA = h.client(tenantA);
  await intruderOnA.api.auth.login({ login: adminB.username, password: adminB.password });

  f = {
    h,
    ownerA,
    a: {
      sessionId: sessionA!.id,
      tokenId: created.id,
      token: created.token,
      viewerId: viewerA.userId,
      videoId: videoA,
      playbackId: playback.sessionId,
      walletAddress,
      traceId: traceA,
    },
    videoOfB,
    adminB,
    tenantB,
    cookiesOfBOnA,
    tokenOfBOnA,
    tokenOfBOnB,
    intruderOnA,
  };
});

afterAll(() => h?.close());

function procedurePaths(): string[] {
  return Object.keys(appRouter._def.procedures).sort();
}

describe('cross-tenant matrix', () => {
  it('covers every procedure of the app router', () => {
    const missing = procedurePaths().filter((p) => !(p in matrix));
    expect(missing, 'add these procedures to the cross-tenant matrix').toEqual([]);
    expect(Object.keys(matrix).filter((p) => !procedurePaths().includes(p))).toEqual([]);
  });

  it.each(Object.keys(matrix).sort())('%s: a member of tenant B cannot reach tenant A', async (path) => {
    await matrix[path]!(f);
  });

  it("B's tenant admin, signed in on A, is only a viewer there", async () => {
    expect((await f.intruderOnA.api.auth.me())?.role).toBe('viewer');
  });

  it("A's rows stay invisible in B's scope at the database level", async () => {
    const count = (tenantId: string) =>
      withTenant(h.db.orm, tenantId, (em) =>
        em.execute<{ n: number }[]>('SELECT count(*)::int AS n FROM api_tokens WHERE id = ?', [f.a.tokenId]),
      );
    expect((await count(f.tenantB.id))[0]?.n).toBe(0);
    expect((await count(f.ownerA.tenant.id))[0]?.n).toBe(1);
  });
});
