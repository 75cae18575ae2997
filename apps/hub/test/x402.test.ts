/**
 * HTTP 402 (x402 versions 2 and 1) access to a video against real Postgres and anvil: the 402's
 * requirements, a ReceiveWithAuthorization signed by the viewer's wallet and settled through the
 * splitter by the hub's relayer, every way a payment is refused (with the protocol's error reason)
 * without granting or charging anything, concurrent retries, a settlement left in flight by a
 * request that went away, and the route on a one-connection pool.
 */
import {
  type AnvilInstance,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  invoiceMessageOf,
  mintTestUsd,
  newAuthorizationNonce,
  type PaymentContracts,
  payInvoiceWithAuthorization,
  signReceiveAuthorization,
  startAnvil,
  testUSDAbi,
  x402SplitterAbi,
} from '@ppv/chain';
import {
  type ChainDeps,
  type PaymentRequired,
  type PaymentRequiredV1,
  type PaymentRequirements,
  X402_SETTLEMENT_LEASE_SECONDS,
} from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import {
  claimX402Settlement,
  createOrm,
  EntitlementEntity,
  type MikroORM,
  PaymentEntity,
  TenantEntity,
  updateX402Settlement,
  VideoEntity,
  WalletEntity,
  withTenant,
} from '@ppv/db';
import {
  type Address,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type LocalAccount,
  parseSignature,
} from 'viem';
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
async function shop(on: RunningHub = hub) {
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
    request(on.url, 'GET', path, { host, headers: { cookie: cookieHeader(as.cookies), ...headers } });
  return { tenant, host, creator, creatorWallet, viewer, payer, videoId, tenantWallet, get };
}
type Shop = Awaited<ReturnType<typeof shop>>;

const decode = <T>(header: string | string[] | undefined): T =>
  JSON.parse(Buffer.from(String(header), 'base64').toString('utf8')) as T;
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const invoiceOf = (accepted: PaymentRequirements) =>
  accepted.extra.invoice as Record<keyof InvoiceMessage, string> & { id: string; signature: Hex };
const accessPath = (videoId: string) => `/x402/videos/${videoId}/access`;

type AuthorizationOverrides = Partial<{
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
}>;

/** What an x402 client does with the requirements: sign a ReceiveWithAuthorization. */
async function authorize(
  account: LocalAccount,
  accepted: PaymentRequirements,
  overrides: AuthorizationOverrides = {},
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
  const signed = await signReceiveAuthorization(
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
    signature: signed.signature,
    authorization: Object.fromEntries(Object.entries(authorization).map(([k, v]) => [k, String(v)])),
  };
  return { authorization, signed, payload };
}

/** A version 2 `PAYMENT-SIGNATURE`. */
async function paymentHeader(
  account: LocalAccount,
  accepted: PaymentRequirements,
  overrides: AuthorizationOverrides = {},
  domainChainId = chain.chainId,
) {
  const { payload } = await authorize(account, accepted, overrides, domainChainId);
  return encode({ x402Version: 2, accepted, payload });
}

async function requirementsOf(s: Shop, videoId = s.videoId) {
  const res = await s.get(accessPath(videoId));
  expect(res.status).toBe(402);
  return decode<PaymentRequired>(res.headers['payment-required']);
}

const accessOf = (s: Shop, videoId = s.videoId) => s.viewer.api.access.check({ videoId });
const paymentsOf = (s: Shop) => withTenant(h.db.orm, s.tenant.id, (em) => em.count(PaymentEntity, {}));
const entitlementsOf = (s: Shop) =>
  withTenant(h.db.orm, s.tenant.id, (em) =>
    em.count(EntitlementEntity, { userId: s.viewer.userId, videoId: s.videoId }),
  );

/** A refused payment: 402, the reason in the header and the body, nothing granted, nothing charged. */
async function expectRefused(
  s: Shop,
  res: Awaited<ReturnType<Shop['get']>>,
  before: bigint,
  reason: string,
  message?: RegExp,
) {
  expect(res.status).toBe(402);
  expect(decode<PaymentRequired>(res.headers['payment-required'])).toMatchObject({
    x402Version: 2,
    error: reason,
  });
  if (message) expect(res.json.message).toMatch(message);
  expect(await balanceOf(s.payer.address)).toBe(before);
  await expect(accessOf(s)).resolves.toMatchObject({ allowed: false });
  expect(await paymentsOf(s)).toBe(0);
}

describe('GET /x402/videos/:videoId/access', () => {
  it('answers 402 with PAYMENT-REQUIRED (x402 v2) and the v1 requirements as the body', async () => {
    const s = await shop();
    const res = await s.get(accessPath(s.videoId));
    expect(res.status).toBe(402);
    const url = `http://${s.host}${accessPath(s.videoId)}`;
    const required = decode<PaymentRequired>(res.headers['payment-required']);
    expect(required).toMatchObject({
      x402Version: 2,
      error: 'PAYMENT-SIGNATURE header is required',
      resource: { url, description: 'A view of "Lecture"', mimeType: 'application/json' },
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
        invoice: {
          payer: s.payer.address,
          amount: '2500000',
          token: contracts.stablecoin,
          signature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
        },
      },
    });
    expect(accepted?.maxTimeoutSeconds).toBeGreaterThan(0);
    expect(typeof accepted?.extra.version).toBe('string');
    // A v1 client reads the body: PaymentRequirementsResponse.
    const body = res.json as PaymentRequiredV1 & { message: string };
    expect(body).toMatchObject({
      x402Version: 1,
      error: 'X-PAYMENT header is required',
      accepts: [
        {
          scheme: 'exact',
          // anvil's chain has no v1 name: CAIP-2 then
          network: `eip155:${chain.chainId}`,
          maxAmountRequired: '2500000',
          resource: url,
          description: 'A view of "Lecture"',
          mimeType: 'application/json',
          outputSchema: null,
          payTo: contracts.splitter,
          maxTimeoutSeconds: accepted?.maxTimeoutSeconds,
          asset: contracts.stablecoin,
          extra: accepted?.extra,
        },
      ],
    });
    expect(res.headers['access-control-expose-headers']).toMatch(/PAYMENT-REQUIRED/);
    // Asking again reuses the open invoice.
    const again = await requirementsOf(s);
    expect(invoiceOf(again.accepts[0]!).id).toBe(invoiceOf(accepted!).id);
  });

  it('error: an anonymous caller gets 401 with a readable message', async () => {
    const s = await shop();
    const res = await request(hub.url, 'GET', accessPath(s.videoId), { host: s.host });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Please sign in first' });
  });

  it('a correct payment answers 200 with PAYMENT-RESPONSE and a playback session, and grants the video', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
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
    expect(res.headers['x-payment-response']).toBeUndefined();
    expect(res.json).toMatchObject({
      masterUrl: expect.stringMatching(/^\/play\//),
      token: expect.any(String),
    });
    await expect(accessOf(s)).resolves.toMatchObject({ allowed: true, grant: 'purchase' });
    // Split on chain: 2.50 USD, hub 5%, tenant 10%, the creator the rest.
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await balanceOf(s.creatorWallet.address)).toBe(2_125_000n);
    expect(await balanceOf(s.tenantWallet)).toBe(250_000n);
    // Asking again, with access, just starts another session: no new charge.
    const again = await s.get(accessPath(s.videoId));
    expect(again.status).toBe(200);
    expect(again.headers['payment-response']).toBeUndefined();
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await paymentsOf(s)).toBe(1);
  });

  it('accepts an API token as the viewer (Authorization: Bearer)', async () => {
    const s = await shop();
    const { token } = await s.viewer.api.apiTokens.create({ name: 'x402 client' });
    const res = await request(hub.url, 'GET', accessPath(s.videoId), {
      host: s.host,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(402);
    expect(invoiceOf(decode<PaymentRequired>(res.headers['payment-required']).accepts[0]!)).toMatchObject({
      payer: s.payer.address,
    });
  });

  it('behavior: concurrent requests with one PAYMENT-SIGNATURE make one charge and one entitlement', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const header = await paymentHeader(s.payer, accepted);
    const before = await balanceOf(s.payer.address);
    const answers = await Promise.all(
      [1, 2, 3].map(() => s.get(accessPath(s.videoId), { 'payment-signature': header })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const settlements = answers
      .filter((a) => a.headers['payment-response'] !== undefined)
      .map((a) => decode<{ transaction: string }>(a.headers['payment-response']).transaction);
    expect(settlements.length).toBeGreaterThanOrEqual(1);
    expect(new Set(settlements).size).toBe(1);
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await entitlementsOf(s)).toBe(1);
    expect(await paymentsOf(s)).toBe(1);
  });

  it('behavior: two different authorizations for one video sent at once make one charge', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const headers = await Promise.all([paymentHeader(s.payer, accepted), paymentHeader(s.payer, accepted)]);
    const before = await balanceOf(s.payer.address);
    const answers = await Promise.all(
      headers.map((header) => s.get(accessPath(s.videoId), { 'payment-signature': header })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await paymentsOf(s)).toBe(1);
    expect(await entitlementsOf(s)).toBe(1);
  });

  it('a payment waiting for confirmations answers 202; the same payment sent again once confirmed answers 200', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const header = await paymentHeader(s.payer, accepted);
    const money = h.deps.config.money;
    h.deps.config.money = { ...money, confirmations: 2 };
    try {
      const pending = await s.get(accessPath(s.videoId), { 'payment-signature': header });
      expect(pending.status).toBe(202);
      expect(pending.json).toMatchObject({
        status: 'pending',
        message: expect.stringMatching(/2 confirmations/),
      });
      const { transaction } = decode<{ transaction: string }>(pending.headers['payment-response']);
      await expect(accessOf(s)).resolves.toMatchObject({ allowed: false });
      await createTestClient({
        mode: 'anvil',
        chain: chain.client.chain,
        transport: http(anvil.rpcUrl),
      }).mine({
        blocks: 1,
      });
      const confirmed = await s.get(accessPath(s.videoId), { 'payment-signature': header });
      expect(confirmed.status).toBe(200);
      expect(decode<{ transaction: string }>(confirmed.headers['payment-response']).transaction).toBe(
        transaction,
      );
    } finally {
      h.deps.config.money = money;
    }
    await expect(accessOf(s)).resolves.toMatchObject({ allowed: true, grant: 'purchase' });
    expect(await paymentsOf(s)).toBe(1);
  });

  it('error: a reused nonce (the authorization already paid another video) is refused with invalid_exact_evm_nonce_already_used', async () => {
    const s = await shop();
    const other = await newVideo(s.tenant.id, s.creator.userId);
    const first = (await requirementsOf(s)).accepts[0]!;
    const header = await paymentHeader(s.payer, first);
    expect((await s.get(accessPath(s.videoId), { 'payment-signature': header })).status).toBe(200);
    const before = await balanceOf(s.payer.address);
    const second = (await requirementsOf(s, other)).accepts[0]!;
    const replay = decode<{ accepted: PaymentRequirements }>(header);
    replay.accepted = second;
    const res = await s.get(accessPath(other), { 'payment-signature': encode(replay) });
    expect(res.status).toBe(402);
    expect(decode<PaymentRequired>(res.headers['payment-required']).error).toBe(
      'invalid_exact_evm_nonce_already_used',
    );
    expect(res.json).toMatchObject({
      x402Version: 2,
      error: 'invalid_exact_evm_nonce_already_used',
      resource: { url: `http://${s.host}${accessPath(other)}` },
      accepts: [{ amount: '2500000' }],
      message: expect.stringMatching(/already used/),
    });
    expect(await balanceOf(s.payer.address)).toBe(before);
    await expect(accessOf(s, other)).resolves.toMatchObject({ allowed: false });
    expect(await paymentsOf(s)).toBe(1);
  });

  it('error: a nonce the payer already used on the token is refused with invalid_exact_evm_nonce_already_used', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    // The nonce spent outside this hub: the payer cancels it on the token (EIP-3009 cancelAuthorization).
    const nonce = newAuthorizationNonce();
    const extra = accepted.extra as { name: string; version: string };
    const cancelSignature = parseSignature(
      await s.payer.signTypedData({
        domain: {
          name: extra.name,
          version: extra.version,
          chainId: chain.chainId,
          verifyingContract: contracts.stablecoin,
        },
        types: {
          CancelAuthorization: [
            { name: 'authorizer', type: 'address' },
            { name: 'nonce', type: 'bytes32' },
          ],
        },
        primaryType: 'CancelAuthorization',
        message: { authorizer: s.payer.address, nonce },
      }),
    );
    const cancel = await walletOf(owner).writeContract({
      address: contracts.stablecoin,
      abi: testUSDAbi,
      functionName: 'cancelAuthorization',
      args: [s.payer.address, nonce, 27 + cancelSignature.yParity, cancelSignature.r, cancelSignature.s],
    });
    await chain.client.waitForTransactionReceipt({ hash: cancel });
    const before = await balanceOf(s.payer.address);
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, accepted, { nonce }),
    });
    await expectRefused(s, res, before, 'invalid_exact_evm_nonce_already_used', /already used/);
  });

  it.each([
    [
      'a wrong amount',
      { value: 1n },
      'invalid_exact_evm_payload_authorization_value_mismatch',
      /costs exactly 2500000/,
    ],
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
      await expectRefused(s, res, before, reason, message);
      expect(res.json).toMatchObject({ x402Version: 2, error: reason, accepts: [{ scheme: 'exact' }] });
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
    const before = await balanceOf(s.payer.address);
    const fromStranger = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(stranger, accepted),
    });
    await expectRefused(
      s,
      fromStranger,
      before,
      'invalid_exact_evm_payload_signature',
      /payable only by your wallet/,
    );
    // Claiming to be the payer while signed by someone else.
    const forged = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(stranger, accepted, { from: s.payer.address }),
    });
    await expectRefused(
      s,
      forged,
      before,
      'invalid_exact_evm_payload_signature',
      /not the payer’s signature/,
    );
    expect(await balanceOf(stranger.address)).toBe(10_000_000n);
  });

  it('error: a TransferWithAuthorization (which anyone could submit to the token, skipping the split) is refused as a bad signature', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const { authorization, payload } = await authorize(s.payer, accepted);
    const extra = accepted.extra as { name: string; version: string };
    const transferSignature = await s.payer.signTypedData({
      domain: {
        name: extra.name,
        version: extra.version,
        chainId: chain.chainId,
        verifyingContract: contracts.stablecoin,
      },
      types: {
        TransferWithAuthorization: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'validAfter', type: 'uint256' },
          { name: 'validBefore', type: 'uint256' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    });
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': encode({
        x402Version: 2,
        accepted,
        payload: { ...payload, signature: transferSignature },
      }),
    });
    await expectRefused(s, res, before, 'invalid_exact_evm_payload_signature', /not the payer’s signature/);
  });

  it('error: a forged invoice (its signature, or its split) in the accepted requirements is refused with invalid_payment_requirements', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const invoice = invoiceOf(accepted);
    const forgedSignature = { ...invoice, signature: `0x${'11'.repeat(65)}` };
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, {
        ...accepted,
        extra: { ...accepted.extra, invoice: forgedSignature },
      }),
    });
    await expectRefused(s, res, before, 'invalid_payment_requirements', /extra\.invoice\.signature differs/);
    const noHubFee = {
      ...invoice,
      creatorBps: String(Number(invoice.creatorBps) + Number(invoice.hubBps)),
      hubBps: '0',
    };
    const split = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, {
        ...accepted,
        extra: { ...accepted.extra, invoice: noHubFee },
      }),
    });
    await expectRefused(
      s,
      split,
      before,
      'invalid_payment_requirements',
      /extra\.invoice\.creatorBps differs/,
    );
    const cheaper = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, { ...accepted, amount: '1' }, { value: 1n }),
    });
    await expectRefused(s, cheaper, before, 'invalid_payment_requirements', /amount differs/);
  });

  it('error: an authorization for another chain is refused (network, then signature domain)', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const otherNetwork = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, { ...accepted, network: 'eip155:1' }),
    });
    await expectRefused(
      s,
      otherNetwork,
      before,
      'invalid_network',
      new RegExp(`paid on eip155:${chain.chainId}`),
    );
    const otherDomain = await s.get(accessPath(s.videoId), {
      'payment-signature': await paymentHeader(s.payer, accepted, {}, 1),
    });
    await expectRefused(s, otherDomain, before, 'invalid_exact_evm_payload_signature');
  });

  it('error: a payer without the funds is refused with insufficient_funds', async () => {
    const s = await shop();
    const poor = privateKeyToAccount(generatePrivateKey());
    await mintTestUsd(walletOf(owner), chain.client, {
      token: contracts.stablecoin,
      to: poor.address,
      amount: 1n,
    });
    const viewer = await h.signedIn(s.tenant);
    const em = h.db.orm.em.fork();
    em.create(WalletEntity, {
      userId: viewer.userId,
      address: poor.address.toLowerCase(),
      chainId: chain.chainId,
    });
    await em.flush();
    const mine = await s.get(accessPath(s.videoId), {}, viewer);
    const offer = decode<PaymentRequired>(mine.headers['payment-required']).accepts[0]!;
    const res = await s.get(
      accessPath(s.videoId),
      { 'payment-signature': await paymentHeader(poor, offer) },
      viewer,
    );
    expect(res.status).toBe(402);
    expect(decode<PaymentRequired>(res.headers['payment-required']).error).toBe('insufficient_funds');
    expect(res.json.message).toMatch(/holds 1 units/);
    expect(await balanceOf(poor.address)).toBe(1n);
    await expect(viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({ allowed: false });
  });

  it('error: a settlement the splitter refuses (paused) answers 402 invalid_transaction_state with a failed PAYMENT-RESPONSE', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const pause = (functionName: 'pause' | 'unpause') =>
      walletOf(owner)
        .writeContract({ address: contracts.splitter, abi: x402SplitterAbi, functionName })
        .then((hash) => chain.client.waitForTransactionReceipt({ hash }));
    const header = await paymentHeader(s.payer, accepted);
    await pause('pause');
    try {
      const res = await s.get(accessPath(s.videoId), { 'payment-signature': header });
      await expectRefused(s, res, before, 'invalid_transaction_state', /reverted/);
      expect(decode(res.headers['payment-response'])).toEqual({
        success: false,
        errorReason: 'invalid_transaction_state',
        transaction: '',
        network: `eip155:${chain.chainId}`,
        payer: s.payer.address,
      });
    } finally {
      await pause('unpause');
    }
    // The refused authorization was not spent: sent again once the splitter runs, it pays.
    const retry = await s.get(accessPath(s.videoId), { 'payment-signature': header });
    expect(retry.status).toBe(200);
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
  });

  it('error: a PAYMENT-SIGNATURE that is not an x402 payload is refused with invalid_payload', async () => {
    const s = await shop();
    const before = await balanceOf(s.payer.address);
    const res = await s.get(accessPath(s.videoId), { 'payment-signature': 'not base64 json' });
    await expectRefused(s, res, before, 'invalid_payload', /base64-encoded JSON/);
    const shapeless = await s.get(accessPath(s.videoId), {
      'payment-signature': encode({ x402Version: 2, accepted: { scheme: 'exact', network: 'eip155:1' } }),
    });
    await expectRefused(s, shapeless, before, 'invalid_payload', /payload/);
    const v1InV2 = await s.get(accessPath(s.videoId), { 'payment-signature': encode({ x402Version: 1 }) });
    await expectRefused(s, v1InV2, before, 'invalid_x402_version', /version 2/);
    const scheme = await s.get(accessPath(s.videoId), {
      'payment-signature': encode({
        ...decode<object>(await paymentHeader(s.payer, (await requirementsOf(s)).accepts[0]!)),
        accepted: { scheme: 'upto', network: `eip155:${chain.chainId}` },
      }),
    });
    await expectRefused(s, scheme, before, 'unsupported_scheme');
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

  it('x402 v1: an X-PAYMENT payment answers 200 with X-PAYMENT-RESPONSE and grants the video', async () => {
    const s = await shop();
    const first = await s.get(accessPath(s.videoId));
    const [offer] = (first.json as PaymentRequiredV1).accepts;
    const accepted = decode<PaymentRequired>(first.headers['payment-required']).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const { payload } = await authorize(s.payer, accepted);
    const res = await s.get(accessPath(s.videoId), {
      'x-payment': encode({ x402Version: 1, scheme: 'exact', network: offer?.network, payload }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['payment-response']).toBeUndefined();
    const settlement = decode<{ success: boolean; transaction: string; network: string; payer: string }>(
      res.headers['x-payment-response'],
    );
    expect(settlement).toMatchObject({ success: true, network: offer?.network, payer: s.payer.address });
    expect(settlement.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(res.json).toMatchObject({ masterUrl: expect.stringMatching(/^\/play\//) });
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    await expect(accessOf(s)).resolves.toMatchObject({ allowed: true, grant: 'purchase' });
  });

  it('x402 v1: a refused X-PAYMENT answers the v1 body with the v1 reason code', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const network = `eip155:${chain.chainId}`;
    const underpaid = await authorize(s.payer, accepted, { value: 2_000_000n });
    const res = await s.get(accessPath(s.videoId), {
      'x-payment': encode({ x402Version: 1, scheme: 'exact', network, payload: underpaid.payload }),
    });
    await expectRefused(s, res, before, 'invalid_exact_evm_payload_authorization_value', /costs exactly/);
    expect(res.json).toMatchObject({
      x402Version: 1,
      error: 'invalid_exact_evm_payload_authorization_value',
      accepts: [{ maxAmountRequired: '2500000', resource: `http://${s.host}${accessPath(s.videoId)}` }],
    });
    const { payload } = await authorize(s.payer, accepted);
    const wrongNetwork = await s.get(accessPath(s.videoId), {
      'x-payment': encode({ x402Version: 1, scheme: 'exact', network: 'base', payload }),
    });
    await expectRefused(s, wrongNetwork, before, 'invalid_network');
    expect(wrongNetwork.json).toMatchObject({ x402Version: 1, error: 'invalid_network' });
    const v2InV1 = await s.get(accessPath(s.videoId), {
      'x-payment': encode({ x402Version: 2, accepted, payload }),
    });
    await expectRefused(s, v2InV1, before, 'invalid_x402_version', /X-PAYMENT header carries x402 version 1/);
  });

  it('behavior: a settlement left in flight by a request that went away is resolved from its receipt', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const invoice = invoiceOf(accepted);
    const before = await balanceOf(s.payer.address);
    const { authorization, signed, payload } = await authorize(s.payer, accepted);
    // The request reserved the settlement, sent it and died before recording the payment.
    const row = await withTenant(h.db.orm, s.tenant.id, (em) =>
      claimX402Settlement(em, {
        tenantId: s.tenant.id,
        invoiceRef: invoice.id,
        chainId: chain.chainId,
        token: contracts.stablecoin,
        payer: s.payer.address,
        nonce: authorization.nonce,
        validBefore: authorization.validBefore,
        leaseUntil: new Date(Date.now() - 1000),
        at: new Date(Date.now() - (X402_SETTLEMENT_LEASE_SECONDS + 1) * 1000),
      }),
    );
    const receipt = await payInvoiceWithAuthorization(
      walletOf(privateKeyToAccount(relayer.privateKey)),
      chain.client,
      {
        splitter: contracts.splitter,
        invoice: invoiceMessageOf(invoice),
        signature: invoice.signature,
        authorization,
        authorizationSignature: signed,
      },
    );
    await withTenant(h.db.orm, s.tenant.id, (em) =>
      updateX402Settlement(em, row!.id, { txHash: receipt.transactionHash, at: new Date() }),
    );
    expect(await paymentsOf(s)).toBe(0);
    // The client's retry of the same payment finds it, and gets the video without a second charge.
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': encode({ x402Version: 2, accepted, payload }),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ masterUrl: expect.stringMatching(/^\/play\//) });
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await paymentsOf(s)).toBe(1);
    await expect(accessOf(s)).resolves.toMatchObject({ allowed: true, grant: 'purchase' });
  });

  it('behavior: a settlement reserved by a request that died before sending it does not block its retry', async () => {
    const s = await shop();
    const accepted = (await requirementsOf(s)).accepts[0]!;
    const before = await balanceOf(s.payer.address);
    const { authorization, payload } = await authorize(s.payer, accepted);
    await withTenant(h.db.orm, s.tenant.id, (em) =>
      claimX402Settlement(em, {
        tenantId: s.tenant.id,
        invoiceRef: invoiceOf(accepted).id,
        chainId: chain.chainId,
        token: contracts.stablecoin,
        payer: s.payer.address,
        nonce: authorization.nonce,
        validBefore: authorization.validBefore,
        leaseUntil: new Date(Date.now() - 1000),
        at: new Date(Date.now() - (X402_SETTLEMENT_LEASE_SECONDS + 1) * 1000),
      }),
    );
    const res = await s.get(accessPath(s.videoId), {
      'payment-signature': encode({ x402Version: 2, accepted, payload }),
    });
    expect(res.status).toBe(200);
    expect(decode<{ success: boolean }>(res.headers['payment-response'])).toMatchObject({ success: true });
    expect(before - (await balanceOf(s.payer.address))).toBe(2_500_000n);
    expect(await entitlementsOf(s)).toBe(1);
  });

  it('behavior: the route pays and grants on a one-connection pool (no second connection while a transaction is open)', async () => {
    const single: MikroORM = await createOrm({ url: h.db.url, poolMax: 1 });
    const onOne = await startHub({
      deps: { ...h.deps, orm: single },
      host: '127.0.0.1',
      port: 0,
      trustProxy: ['loopback'],
    });
    try {
      const s = await shop(onOne);
      const accepted = (await requirementsOf(s)).accepts[0]!;
      const header = await paymentHeader(s.payer, accepted);
      const answers = await Promise.all(
        [1, 2].map(() => s.get(accessPath(s.videoId), { 'payment-signature': header })),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(await entitlementsOf(s)).toBe(1);
      expect(await paymentsOf(s)).toBe(1);
      expect((await s.get(accessPath(s.videoId))).status).toBe(200);
    } finally {
      await onOne.close();
      await single.close(true);
    }
  });

  it('behavior: no connection is held while the settlement is mined (a one-connection pool serves others meanwhile)', {
    timeout: 60_000,
  }, async () => {
    const single: MikroORM = await createOrm({ url: h.db.url, poolMax: 1 });
    const onOne = await startHub({
      deps: { ...h.deps, orm: single },
      host: '127.0.0.1',
      port: 0,
      trustProxy: ['loopback'],
    });
    const miner = createTestClient({
      mode: 'anvil',
      chain: chain.client.chain,
      transport: http(anvil.rpcUrl),
    });
    try {
      const s = await shop(onOne);
      const other = await shop(onOne);
      const accepted = (await requirementsOf(s)).accepts[0]!;
      const header = await paymentHeader(s.payer, accepted);
      await miner.setAutomine(false);
      const paying = s.get(accessPath(s.videoId), { 'payment-signature': header });
      // Wait until the relayer's transaction is sent: it now sits unmined.
      let sent = false;
      while (!sent) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const rows = await withTenant(h.db.orm, s.tenant.id, (em) =>
          em.execute<{ tx_hash: string | null }[]>('SELECT tx_hash FROM x402_settlements'),
        );
        sent = rows.some((row) => row.tx_hash !== null);
      }
      // The only connection is free: another viewer is answered while the payment waits to be mined.
      const meanwhile = await other.get(accessPath(other.videoId));
      expect(meanwhile.status).toBe(402);
      await miner.mine({ blocks: 1 });
      await miner.setAutomine(true);
      const paid = await paying;
      expect(paid.status).toBe(200);
      expect(await entitlementsOf(s)).toBe(1);
    } finally {
      await miner.setAutomine(true);
      await onOne.close();
      await single.close(true);
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
