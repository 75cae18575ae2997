import { randomBytes } from 'node:crypto';
import { invoiceSigner, NATIVE_TOKEN } from '@ppv/chain';
import { InvoiceEntity, TenantEntity, VideoEntity, WalletEntity, withTenant } from '@ppv/db';
import { getAddress, type Hex, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestClient } from '../../testing';
import { tokenAmountForCents } from './quote';

const SIGNER_KEY = toHex(randomBytes(32)) as Hex;
const SPLITTER = getAddress(toHex(randomBytes(20)));
const HUB_WALLET = getAddress(toHex(randomBytes(20)));
const USDC = getAddress(toHex(randomBytes(20)));
const WETH = getAddress(toHex(randomBytes(20)));

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.deps.config.money = {
    ...h.deps.config.money,
    payments: { signerKey: SIGNER_KEY, splitterAddress: SPLITTER, hubPayoutWallet: HUB_WALLET },
    tokens: [
      { symbol: 'USDC', address: USDC, decimals: 6, stable: true },
      { symbol: 'WETH', address: WETH, decimals: 18, stable: false },
      { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
    ],
  };
});
afterAll(() => h?.close());

const wallet = () => toHex(randomBytes(20)).toLowerCase();

async function linkWallet(userId: string, address = wallet()) {
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, { userId, address, chainId: h.deps.config.chainId });
  await em.flush();
  return address;
}

/** A tenant with fee 10% and a payout wallet, a creator with a wallet, a 4.99 USD video, a viewer with a wallet. */
async function shop(opts: { priceCents?: number } = {}) {
  const tenant = await h.tenant();
  await h.db.orm.em
    .fork()
    .nativeUpdate(TenantEntity, { id: tenant.id }, { feeBps: 1000, payoutWallet: wallet() });
  const creator = await h.signedIn(tenant, { role: 'creator' });
  await linkWallet(creator.userId);
  const viewer = await h.signedIn(tenant);
  const payer = await linkWallet(viewer.userId);
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const v = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'V',
      priceCents: opts.priceCents ?? 499,
      status: 'ready',
    });
    await em.flush();
    return v.id;
  });
  return { tenant, creator, viewer, payer, videoId };
}

const hubAdmins = new Map<string, TestClient>();
async function hubAdminOn(tenant: Parameters<Harness['signedIn']>[0]) {
  const admin = hubAdmins.get(tenant.id) ?? (await h.signedIn(tenant, { hubAdmin: true }));
  hubAdmins.set(tenant.id, admin);
  return admin;
}
async function setRate(
  tenant: Parameters<Harness['signedIn']>[0],
  token: string,
  usdPerToken: string,
  hours = 1,
) {
  return (await hubAdminOn(tenant)).api.rates.setTokenRate({
    token,
    usdPerToken,
    validUntil: new Date(h.deps.clock().getTime() + hours * 3_600_000),
  });
}

describe('quote math', () => {
  it('prices a stablecoin at its peg with its decimals, rounding up', () => {
    expect(tokenAmountForCents(499, { symbol: 'USDC', address: USDC, decimals: 6, stable: true }, null)).toBe(
      4_990_000n,
    );
    expect(tokenAmountForCents(1, { symbol: 'X', address: USDC, decimals: 0, stable: true }, null)).toBe(1n);
  });

  it('prices another token at its rate, never 1 token = 1 USD', () => {
    // 4.99 USD at 2,000 USD per ETH = 0.002495 ETH
    expect(
      tokenAmountForCents(
        499,
        { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
        2_000_000_000n,
      ),
    ).toBe(2_495_000_000_000_000n);
    // rounding up: 1 cent at 3 USD per token with 0 decimals is 1 whole token, not 0
    expect(
      tokenAmountForCents(1, { symbol: 'T', address: 'native', decimals: 0, stable: false }, 3_000_000n),
    ).toBe(1n);
  });
});

describe('checkout.tokens', () => {
  it('lists the accepted tokens in the configured order, to anyone, with the chain', async () => {
    const s = await shop();
    const anonymous = h.client(s.tenant);
    expect(await anonymous.api.checkout.tokens()).toEqual({
      chainId: h.deps.config.chainId,
      tokens: [
        { symbol: 'USDC', address: USDC.toLowerCase(), native: false, decimals: 6, stable: true },
        { symbol: 'WETH', address: WETH.toLowerCase(), native: false, decimals: 18, stable: false },
        {
          symbol: 'ETH',
          address: '0x0000000000000000000000000000000000000000',
          native: true,
          decimals: 18,
          stable: false,
        },
      ],
    });
  });
});

describe('checkout.quote', () => {
  it('quotes a stablecoin with an expiry and the price in the tenant currency', async () => {
    const s = await shop();
    const admin = await h.signedIn(s.tenant, { role: 'tenant_admin' });
    await admin.api.rates.setDisplayRate({ currency: 'IDR', rate: '17000' });
    const now = h.deps.clock().getTime();
    const q = await s.viewer.api.checkout.quote({ videoId: s.videoId, token: 'usdc' });
    expect(q).toMatchObject({
      priceCents: 499,
      amount: '4990000',
      token: { symbol: 'USDC', decimals: 6, stable: true },
      rate: null,
      display: { currency: 'IDR', amount: '84830.00' },
    });
    expect(q.expiresAt.getTime() - now).toBeGreaterThanOrEqual(119_000);
    expect(q.expiresAt.getTime() - now).toBeLessThanOrEqual(121_000);
  });

  it('quotes a rated token at the current admin-set rate, and the quote ends with the rate', async () => {
    const s = await shop();
    await setRate(s.tenant, 'ETH', '1000', 1);
    await setRate(s.tenant, 'ETH', '2000', 1 / 120);
    const q = await s.viewer.api.checkout.quote({ videoId: s.videoId, token: 'ETH' });
    expect(q.amount).toBe('2495000000000000');
    expect(q.rate?.usdMicrosPerToken).toBe('2000000000');
    expect(q.expiresAt.getTime()).toBe(q.rate?.validUntil.getTime());
  });

  it('error: refuses a token without a rate, with an expired rate, a stablecoin rate and an unknown token', async () => {
    const s = await shop();
    await expect(s.viewer.api.checkout.quote({ videoId: s.videoId, token: 'WETH' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'WETH has no USD rate yet; pay with a stablecoin or ask the hub admin to set one',
    });
    await setRate(s.tenant, 'WETH', '3000', 1);
    h.advance(2 * 3_600_000);
    await expect(s.viewer.api.checkout.quote({ videoId: s.videoId, token: 'WETH' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringMatching(/^The USD rate of WETH expired at .+; pay with a stablecoin/),
    });
    await expect(setRate(s.tenant, 'USDC', '1')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'USDC is a stablecoin: it is priced at 1 USD',
    });
    await expect(s.viewer.api.checkout.quote({ videoId: s.videoId, token: 'DOGE' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'DOGE is not accepted here; pay with USDC, WETH, ETH',
    });
  });

  it('error: only hub admins set token rates; only tenant admins set the display rate; history is kept', async () => {
    const s = await shop();
    await expect(
      s.creator.api.rates.setTokenRate({
        token: 'ETH',
        usdPerToken: '1',
        validUntil: new Date(Date.now() + 1e6),
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(s.creator.api.rates.setDisplayRate({ currency: 'IDR', rate: '1' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const admin = await h.signedIn(s.tenant, { role: 'tenant_admin' });
    await admin.api.rates.setDisplayRate({ currency: 'IDR', rate: '16000' });
    await admin.api.tenant.update({ displayRate: '17000' });
    expect((await admin.api.rates.displayRates({})).map((r) => [r.currency, Number(r.rate)])).toEqual([
      ['IDR', 17000],
      ['IDR', 16000],
      ['USD', 1],
    ]);
    await setRate(s.tenant, 'ETH', '2500.5');
    const history = await (await hubAdminOn(s.tenant)).api.rates.tokenRates({ token: 'ETH' });
    expect(history[0]?.usdMicrosPerToken).toBe('2500500000');
  });

  it('regression: token rates answer in JSON (their bigint id as a string), as the hub sends them', async () => {
    const s = await shop();
    const admin = await hubAdminOn(s.tenant);
    const saved = await admin.api.rates.setTokenRate({
      token: 'ETH',
      usdPerToken: '3000',
      validUntil: new Date(h.deps.clock().getTime() + 1e6),
    });
    const history = await admin.api.rates.tokenRates({ token: 'ETH' });
    expect(typeof saved.id).toBe('string');
    expect(JSON.parse(JSON.stringify(history))[0]).toMatchObject({
      id: saved.id,
      usdMicrosPerToken: '3000000000',
    });
  });
});

describe('checkout.createInvoice', () => {
  it('signs an invoice for the viewer wallet with the creator/tenant/hub split and reuses it while valid', async () => {
    const s = await shop();
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' });
    expect(invoice).toMatchObject({
      reused: false,
      chainId: 31337,
      splitter: SPLITTER,
      method: 'payToken',
      invoice: {
        payer: getAddress(s.payer),
        token: USDC,
        amount: '4990000',
        hub: HUB_WALLET,
        creatorBps: 8500,
        tenantBps: 1000,
        hubBps: 500,
      },
    });
    const signer = await invoiceSigner(
      { chainId: 31337, verifyingContract: SPLITTER },
      {
        ...invoice.invoice,
        amount: BigInt(invoice.invoice.amount),
        deadline: BigInt(invoice.invoice.deadline),
      } as never,
      invoice.signature as Hex,
    );
    expect(signer).toBe(privateKeyToAccount(SIGNER_KEY).address);
    const again = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' });
    expect(again).toMatchObject({ id: invoice.id, reused: true, signature: invoice.signature });
  });

  it('behavior: a rental video puts its period on the invoice', async () => {
    const s = await shop();
    expect((await s.creator.api.videos.update({ videoId: s.videoId, rentalHours: 48 })).rentalHours).toBe(48);
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' });
    const row = await withTenant(h.db.orm, s.tenant.id, (em) =>
      em.findOneOrFail(InvoiceEntity, { id: invoice.id }),
    );
    expect(row.rentalHours).toBe(48);
    await expect(s.creator.api.videos.update({ videoId: s.videoId, rentalHours: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'rentalHours: Rental period is at least 1 hour',
    });
  });

  it('behavior: concurrent checkouts of the same video make one open invoice', async () => {
    const s = await shop();
    const all = await Promise.all(
      [1, 2, 3].map(() => s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' })),
    );
    expect(new Set(all.map((i) => i.id)).size).toBe(1);
  });

  it('behavior: another token replaces the open invoice, which is expired; so does one past its deadline', async () => {
    const s = await shop();
    await setRate(s.tenant, 'ETH', '2000', 48);
    const first = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' });
    const second = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'ETH' });
    expect(second).toMatchObject({ reused: false, method: 'payNative', invoice: { token: NATIVE_TOKEN } });
    h.advance(3_600_000);
    const third = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'ETH' });
    expect(third.reused).toBe(false);
    const statuses = await withTenant(h.db.orm, s.tenant.id, (em) =>
      em.find(InvoiceEntity, { videoId: s.videoId }, { orderBy: { createdAt: 'asc' } }),
    );
    expect(statuses.map((i) => [i.id, i.status])).toEqual([
      [first.id, 'expired'],
      [second.id, 'expired'],
      [third.id, 'open'],
    ]);
  });

  it('error: refuses the owner, a blocked viewer, an entitled viewer, a free video, and a viewer without a wallet', async () => {
    const s = await shop();
    await expect(
      s.creator.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'This is your own video: there is nothing to buy',
    });
    await s.creator.api.blocks.add({ who: s.viewer.username, reason: 'spam' });
    await expect(
      s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'The creator of this video has blocked you from buying it',
    });
    await s.creator.api.blocks.remove({ who: s.viewer.username });
    await s.creator.api.videos.access.grant({ videoId: s.videoId, who: s.viewer.username });
    await expect(
      s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'You can already watch this video (allowlist): there is nothing to buy',
    });
    const free = await shop({ priceCents: 0 });
    await expect(
      free.viewer.api.checkout.createInvoice({ videoId: free.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'This video is free: there is nothing to pay' });
    const walletless = await h.signedIn(s.tenant);
    await expect(
      walletless.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'Link a wallet to your account (Sign-In with Ethereum) before buying',
    });
    const other = await shop();
    await expect(
      other.viewer.api.checkout.createInvoice({ videoId: other.videoId, token: 'USDC', payer: s.payer }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/^That wallet is not linked/),
    });
  });

  it('error: refuses clearly when payments are not configured, and a video of another tenant is unknown', async () => {
    const s = await shop();
    const other = await shop();
    await expect(
      s.viewer.api.checkout.createInvoice({ videoId: other.videoId, token: 'USDC' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const saved = h.deps.config.money.payments;
    h.deps.config.money.payments = null;
    try {
      await expect(
        s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'USDC' }),
      ).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
        message: 'Payments are not set up on this hub yet',
      });
    } finally {
      h.deps.config.money.payments = saved;
    }
  });
});
