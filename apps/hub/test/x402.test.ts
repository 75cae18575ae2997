/**
 * HTTP 402 (x402 v2) access to a video against real Postgres and anvil: the 402's requirements, a
 * ReceiveWithAuthorization signed by the viewer's wallet and settled through the splitter by the
 * hub's relayer, and every way a payment is refused without granting anything.
 */
import {
  type AnvilInstance,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  mintTestUsd,
  newAuthorizationNonce,
  type PaymentContracts,
  signReceiveAuthorization,
  startAnvil,
  testUSDAbi,
  x402SplitterAbi,
} from '@ppv/chain';
import type { ChainDeps, PaymentRequired, PaymentRequirements } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import {
  EntitlementEntity,
  PaymentEntity,
  TenantEntity,
  VideoEntity,
  WalletEntity,
  withTenant,
} from '@ppv/db';
import { type Address, createWalletClient, http, type LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { cookieHeader, request } from './http';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const relayer = DEV_ACCOUNTS[2];
const HUB_WALLET = DEV_ACCOUNTS[7].address;

let anvil: AnvilInstance;
let chain: ChainDeps;
let contracts: PaymentContracts;
let h: Harness;
let hub: RunningHub;

const walletOf = (account: LocalAccount) =>
  createWalletClient({ account, chain: chain.client.chain, transport: http(anvil.rpcUrl) });

beforeAll(async () => {
  anvil = await startAnvil();
  chain = {
    client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    chainId: anvil.chainId,
  };
  contracts = await deployPaymentContracts(walletOf(owner), chain.client, {
    owner: owner.address,
    invoiceSigner: signer.address,
  });
  h = await createHarness({ chain });
  h.deps.config.money = {
    ...h.deps.config.money,
    payments: {
      signerKey: DEV_ACCOUNTS[1].privateKey,
      splitterAddress: contracts.splitter,
      hubPayoutWallet: HUB_WALLET,
      relayerKey: relayer.privateKey,
    },
    tokens: [{ symbol: 'TUSD', address: contracts.stablecoin, decimals: 6, stable: true }],
    confirmations: 1,
  };
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: ['loopback'] });
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await h?.close();
  await anvil?.stop();
});

const balanceOf = (who: Address) =>
  chain.client.readContract({
    address: contracts.stablecoin,
    abi: testUSDAbi,
    functionName: 'balanceOf',
    args: [who],
  });

async function linkedWallet(userId: string, funded = true) {
  const account = privateKeyToAccount(generatePrivateKey());
  if (funded) {
    await mintTestUsd(walletOf(owner), chain.client, {
      token: contracts.stablecoin,
      to: account.address,
      amount: 100_000_000n,
    });
  }
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, { userId, address: account.address.toLowerCase(), chainId: chain.chainId });
  await em.flush();
  return account;
}

async function newVideo(tenantId: string, creatorId: string, priceCents = 250) {
  return withTenant(h.db.orm, tenantId, async (tx) => {
    const v = tx.create(VideoEntity, { tenantId, creatorId, title: 'Lecture', priceCents, status: 'ready' });
    await tx.flush();
    return v.id;
  });
}

/** A tenant with a payout wallet, a creator with a linked wallet, a priced video and a funded viewer. */
async function shop() {
  const tenant = await h.tenant();
  const tenantWallet = privateKeyToAccount(generatePrivateKey()).address;
  await h.db.orm.em
    .fork()
    .nativeUpdate(TenantEntity, { id: tenant.id }, { feeBps: 1000, payoutWallet: tenantWallet });
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const creatorWallet = await linkedWallet(creator.userId, false);
  const viewer = await h.signedIn(tenant);
  const payer = await linkedWallet(viewer.userId);
  const videoId = await newVideo(tenant.id, creator.userId);
  const host = `${tenant.slug}.hub.test`;
  const get = (path: string, headers: Record<string, string> = {}, as = viewer) =>
    request(hub.url, 'GET', path, { host, headers: { cookie: cookieHeader(as.cookies), ...headers } });
  return { tenant, host, creator, creatorWallet, viewer, payer, videoId, tenantWallet, get };
}

const decode = <T>(header: string | string[] | undefined): T =>
  JSON.parse(Buffer.from(String(header), 'base64').toString('utf8')) as T;
const invoiceIdOf = (required: PaymentRequired) => (required.accepts[0]!.extra.invoice as { id: string }).id;
const accessPath = (videoId: string) => `/x402/videos/${videoId}/access`;

/** What an x402 client does with the requirements: sign a ReceiveWithAuthorization and encode it. */
async function paymentHeader(
  account: LocalAccount,
  accepted: PaymentRequirements,
  overrides: Partial<{
    from: Address;
    to: Address;
    value: bigint;
    validAfter: bigint;
    validBefore: bigint;
  }> = {},
  domainChainId = chain.chainId,
) {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const authorization = {
    from: account.address,
    to: accepted.payTo as Address,
    value: BigInt(accepted.amount),
    validAfter: now - 60n,
    validBefore: now + 300n,
    nonce: newAuthorizationNonce(),
    ...overrides,
  };
  const extra = accepted.extra as { name: string; version: string };
  const { signature } = await signReceiveAuthorization(
    account,
    {
      name: extra.name,
      version: extra.version,
      chainId: domainChainId,
      verifyingContract: accepted.asset as Address,
    },
    authorization,
  );
  const payload = {
    x402Version: 2,
    accepted,
    payload: {
      signature,
      authorization: Object.fromEntries(Object.entries(authorization).map(([k, v]) => [k, String(v)])),
    },
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

async function requirementsOf(s: Awaited<ReturnType<typeof shop>>, videoId = s.videoId) {
  const res = await s.get(accessPath(videoId));
  expect(res.status).toBe(402);
  return decode<PaymentRequired>(res.headers['payment-required']);
}

describe('GET /x402/videos/:videoId/access', () => {
  it('answers 402 with PAYMENT-REQUIRED: x402 v2, exact scheme, the stablecoin, the quoted amount, the splitter', async () => {
    const s = await shop();
    const res = await s.get(accessPath(s.videoId));
    expect(res.status).toBe(402);
    expect(res.json.error).toMatchObject({ code: 'PAYMENT_REQUIRED', reason: null });
    const required = decode<PaymentRequired>(res.headers['payment-required']);
    expect(required).toMatchObject({
      x402Version: 2,
      error: 'PAYMENT-SIGNATURE header is required',
      resource: { url: `http://${s.host}${accessPath(s.videoId)}`, mimeType: 'application/json' },
    });
    expect(required.accepts).toHaveLength(1);
    const [accepted] = required.accepts;
    expect(accepted).toMatchObject({
      scheme: 'exact',
      network: `eip155:${chain.chainId}`,
      asset: contracts.stablecoin,
      amount: '2500000',
      payTo: contracts.splitter,
      extra: {
        name: 'Test USD',
        authorization: 'ReceiveWithAuthorization',
        invoice: { payer: s.payer.address, amount: '2500000', token: contracts.stablecoin },
      },
    });
    expect(accepted?.maxTimeoutSeconds).toBeGreaterThan(0);
    expect(typeof accepted?.extra.version).toBe('string');
    // Asking again reuses the open invoice.
    const again = await requirementsOf(s);
    expect(invoiceIdOf(again)).toBe(invoiceIdOf(required));
  });

  it('error: an anonymous caller gets 401 with a readable message', async () => {
    const s = await shop();
    const res = await request(hub.url, 'GET', accessPath(s.videoId), { host: s.host });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Please sign in first' });
  });

  it('a correct payment answers 200 with PAYMENT-RESPONSE and a playback session, and grants the video', async () => {
    const s = await shop();
    const required = await requirementsOf(s);
    const accepted = required.accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, accepted),
    });
    expect(res.status).toBe(200);
    const settlement = decode<{ success: boolean; transaction: string; network: string; payer: string }>(
      res.headers['payment-response'],
    );
    expect(settlement).toMatchObject({
      success: true,
      network: `eip155:${chain.chainId}`,
      payer: s.payer.address,
    });
    expect(settlement.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(res.json).toMatchObject({
      masterUrl: expect.stringMatching(/^\/play\//),
      token: expect.any(String),
    });
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: true,
      grant: 'purchase',
    });
    // Split on chain: 2.50 USD, hub 5%, tenant 10%, the creator the rest.
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await balanceOf(s.creatorWallet.address)).toBe(2_125_000n);
    expect(await balanceOf(s.tenantWallet)).toBe(250_000n);
    // Asking again, with access, just starts another session: no new charge.
    const again = await s.get(accessPath(s.videoId));
    expect(again.status).toBe(200);
    expect(again.headers['payment-response']).toBeUndefined();
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
  });

  it('accepts an API token as the viewer (Authorization: Bearer)', async () => {
    const s = await shop();
    const { token } = await s.viewer.api.apiTokens.create({ name: 'x402 client' });
    const res = await request(hub.url, 'GET', accessPath(s.videoId), {
      host: s.host,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(402);
    expect(decode<PaymentRequired>(res.headers['payment-required']).accepts[0]?.extra.invoice).toMatchObject({
      payer: s.payer.address,
    });
  });

  it('behavior: concurrent retries with one authorization make one charge and one entitlement', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const header = await paymentHeader(s.payer, accepted);
    const before = await balanceOf(s.payer.address);
    const answers = await Promise.all(
      [1, 2, 3].map(() => s.get(accessPath(s.videoId), { 'payment-signature': header })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.headers['payment-response'] !== undefined)).toHaveLength(1);
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    const entitlements = await withTenant(h.db.orm, s.tenant.id, (em) =>
      em.count(EntitlementEntity, { userId: s.viewer.userId, videoId: s.videoId }),
    );
    expect(entitlements).toBe(1);
    const payments = await withTenant(h.db.orm, s.tenant.id, (em) => em.count(PaymentEntity, {}));
    expect(payments).toBe(1);
  });

  it('error: a replayed authorization (used for another video) is refused with invalid_transaction_state', async () => {
    const s = await shop();
    const other = await newVideo(s.tenant.id, s.creator.userId);
    const first = (await requirementsOf(s)).accepts[0]!;
    const header = await paymentHeader(s.payer, first);
    expect((await s.get(accessPath(s.videoId), { 'payment-signature': header })).status).toBe(200);
    const second = (await requirementsOf(s, other)).accepts[0]!;
    const replay = decode<{ accepted: PaymentRequirements }>(header);
    replay.accepted = second;
    const res = await s.get(accessPath(other), {
      'payment-signature': Buffer.from(JSON.stringify(replay)).toString('base64'),
    });
    expect(res.status).toBe(402);
    expect(res.json.error).toMatchObject({
      reason: 'invalid_transaction_state',
      message: expect.stringMatching(/already used/),
    });
    expect(decode<PaymentRequired>(res.headers['payment-required']).error).toBe('invalid_transaction_state');
    await expect(s.viewer.api.access.check({ videoId: other })).resolves.toMatchObject({ allowed: false });
  });

  it.each([
    ['a wrong amount', { value: 1n }, 'invalid_exact_evm_payload_authorization_value', /costs 2500000/],
    [
      'a wrong recipient',
      { to: DEV_ACCOUNTS[5].address },
      'invalid_exact_evm_payload_recipient_mismatch',
      /must pay the splitter/,
    ],
    [
      'an expired window',
      { validBefore: 1n, validAfter: 0n },
      'invalid_exact_evm_payload_authorization_valid_before',
      /expired/,
    ],
    [
      'a window not open yet',
      {
        validAfter: BigInt(Math.floor(Date.now() / 1000) + 3600),
        validBefore: BigInt(Math.floor(Date.now() / 1000) + 7200),
      },
      'invalid_exact_evm_payload_authorization_valid_after',
      /not valid yet/,
    ],
  ] as const)(
    'error: %s is refused with its reason code and grants nothing',
    async (_what, overrides, reason, message) => {
      const s = await shop();
      const accepted = (await requirementsOf(s)).accepts[0]!;
      const before = await balanceOf(s.payer.address);
      const res = await s.get(accessPath(s.videoId), {
        'payment-signature': await paymentHeader(s.payer, accepted, overrides),
      });
      expect(res.status).toBe(402);
      expect(res.json.error).toMatchObject({
        code: 'PAYMENT_REQUIRED',
        reason,
        message: expect.stringMatching(message),
      });
      expect(decode<PaymentRequired>(res.headers['payment-required']).error).toBe(reason);
      expect(await balanceOf(s.payer.address)).toBe(before);
      await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
        allowed: false,
      });
    },
  );

  it('error: an authorization from another wallet than the invoice payer is refused (signer ≠ payer)', async () => {
    const s = await shop();
    const stranger = privateKeyToAccount(generatePrivateKey());
    await mintTestUsd(walletOf(owner), chain.client, {
      token: contracts.stablecoin,
      to: stranger.address,
      amount: 10_000_000n,
    });
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const fromStranger = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(stranger, accepted),
    });
    expect(fromStranger.status).toBe(402);
    expect(fromStranger.json.error).toMatchObject({
      reason: 'invalid_exact_evm_payload_signature',
      message: expect.stringMatching(/payable only by your wallet/),
    });
    // Claiming to be the payer while signed by someone else.
    const forged = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(stranger, accepted, { from: s.payer.address }),
    });
    expect(forged.status).toBe(402);
    expect(forged.json.error).toMatchObject({ reason: 'invalid_exact_evm_payload_signature' });
    expect(await balanceOf(stranger.address)).toBe(10_000_000n);
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
  });

  it('error: a settlement the splitter refuses (paused) answers 402 invalid_transaction_state and grants nothing', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const pause = (functionName: 'pause' | 'unpause') =>
      walletOf(owner)
        .writeContract({ address: contracts.splitter, abi: x402SplitterAbi, functionName })
        .then((hash) => chain.client.waitForTransactionReceipt({ hash }));
    await pause('pause');
    try {
      const res = await s.get(accessPath(s.videoId), {
        'payment-signature': await paymentHeader(s.payer, accepted),
      });
      expect(res.status).toBe(402);
      expect(res.json.error).toMatchObject({
        reason: 'invalid_transaction_state',
        message: expect.stringMatching(/reverted/),
      });
    } finally {
      await pause('unpause');
    }
    expect(await balanceOf(s.payer.address)).toBe(before);
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
  });

  it('error: an authorization for another chain is refused (network, then signature domain)', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const otherNetwork = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, { ...accepted, network: 'eip155:1' }),
    });
    expect(otherNetwork.status).toBe(402);
    expect(otherNetwork.json.error).toMatchObject({
      reason: 'invalid_network',
      message: `This hub is paid on eip155:${chain.chainId}`,
    });
    const otherDomain = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, accepted, {}, 1),
    });
    expect(otherDomain.status).toBe(402);
    expect(otherDomain.json.error).toMatchObject({ reason: 'invalid_exact_evm_payload_signature' });
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
  });

  it('error: a PAYMENT-SIGNATURE that is not an x402 payload is refused with invalid_payload', async () => {
    const s = await shop();
    const res = await s.get(accessPath(s.videoId), { 'payment-signature': 'not base64 json' });
    expect(res.status).toBe(402);
    expect(res.json.error).toMatchObject({
      reason: 'invalid_payload',
      message: expect.stringMatching(/base64-encoded JSON/),
    });
  });

  it('error: without payments configured the route says so (412)', async () => {
    const s = await shop();
    const money = h.deps.config.money;
    h.deps.config.money = { ...money, payments: null };
    try {
      const res = await s.get(accessPath(s.videoId));
      expect(res.status).toBe(412);
      expect(res.json.error).toMatchObject({ message: 'Payments are not set up on this hub yet' });
    } finally {
      h.deps.config.money = money;
    }
  });

  it('error: a viewer without a linked wallet is told to link one (412)', async () => {
    const s = await shop();
    const walletless = await h.signedIn(s.tenant);
    const res = await s.get(accessPath(s.videoId), {}, walletless);
    expect(res.status).toBe(412);
    expect(res.json.error.message).toMatch(/Link a wallet to your account/);
    expect(res.headers['payment-required']).toBeUndefined();
  });

  it('error: a hub that takes no stablecoin cannot be paid over HTTP 402 (412)', async () => {
    const s = await shop();
    const money = h.deps.config.money;
    h.deps.config.money = {
      ...money,
      tokens: [{ symbol: 'ETH', address: 'native', decimals: 18, stable: false }],
    };
    try {
      const res = await s.get(accessPath(s.videoId));
      expect(res.status).toBe(412);
      expect(res.json.error.message).toMatch(/takes no stablecoin payments/);
    } finally {
      h.deps.config.money = money;
    }
  });

  it("tenant isolation: another tenant's viewer cannot reach the video, nor pay for it", async () => {
    const a = await shop();
    const b = await shop();
    const res = await b.get(accessPath(a.videoId));
    expect(res.status).toBe(404);
    expect(res.headers['payment-required']).toBeUndefined();
    // A's session presented on B's host is not a session there.
    const crossed = await request(hub.url, 'GET', accessPath(a.videoId), {
      host: b.host,
      headers: { cookie: cookieHeader(a.viewer.cookies) },
    });
    expect(crossed.status).toBe(401);
  });
});
