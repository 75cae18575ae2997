import {
  DEV_ACCOUNTS,
  deployPaymentContracts,
  mintTestUsd,
  type PaymentContracts,
  testUSDAbi,
} from '@ppv/chain';
import { type Tenant, TenantEntity, WalletEntity } from '@ppv/db';
import { createPublicClient, createWalletClient, http, type LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutProgress, createPpvClient, type Eip1193Provider, PpvError } from '../src/index';
import { readyVideo, startTestHub, type TestHub } from './fixtures';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);

let t: TestHub;
let contracts: PaymentContracts;
let tenant: Tenant;
let creatorId: string;

const walletOf = (account: LocalAccount) =>
  createWalletClient({ account, chain: foundry, transport: http(t.anvil.rpcUrl) });

beforeAll(async () => {
  t = await startTestHub();
  contracts = await deployPaymentContracts(walletOf(owner), t.h.deps.chain!.client, {
    owner: owner.address,
    invoiceSigner: privateKeyToAccount(DEV_ACCOUNTS[1].privateKey).address,
  });
  t.h.deps.config.money = {
    ...t.h.deps.config.money,
    payments: {
      signerKey: DEV_ACCOUNTS[1].privateKey,
      splitterAddress: contracts.splitter,
      hubPayoutWallet: DEV_ACCOUNTS[7].address,
    },
    tokens: [
      { symbol: 'TUSD', address: contracts.stablecoin, decimals: 6, stable: true },
      { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
    ],
    confirmations: 2,
  };
  tenant = await t.h.tenant();
  await t.h.db.orm.em
    .fork()
    .nativeUpdate(
      TenantEntity,
      { id: tenant.id },
      { feeBps: 1000, payoutWallet: privateKeyToAccount(generatePrivateKey()).address.toLowerCase() },
    );
  const creator = await t.h.signedIn(tenant, { role: 'creator' });
  creatorId = creator.userId;
  const em = t.h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: creatorId,
    address: privateKeyToAccount(generatePrivateKey()).address.toLowerCase(),
    chainId: t.anvil.chainId,
  });
  await em.flush();
});
afterAll(() => t?.close());

/**
 * A browser wallet over a viem local account: signs and sends to anvil (mining one more block after
 * each transaction, for the second confirmation), forwards reads; `chainId` pretends to be on
 * another chain (and cannot switch), `reject` refuses the named methods as a user would (4001).
 */
function testWallet(options: { tusd?: bigint; chainId?: number; reject?: string[] } = {}) {
  const account = privateKeyToAccount(generatePrivateKey());
  const wallet = walletOf(account);
  const reader = createPublicClient({ chain: foundry, transport: http(t.anvil.rpcUrl) });
  const methods: string[] = [];
  const provider: Eip1193Provider = {
    async request({ method, params }) {
      methods.push(method);
      const args = (params ?? []) as unknown[];
      if (options.reject?.includes(method))
        throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [account.address.toLowerCase()];
        case 'eth_chainId':
          return `0x${(options.chainId ?? t.anvil.chainId).toString(16)}`;
        case 'wallet_switchEthereumChain':
          throw Object.assign(new Error('Unrecognized chain ID'), { code: 4902 });
        case 'personal_sign':
          return account.signMessage({ message: { raw: args[0] as `0x${string}` } });
        case 'eth_sendTransaction': {
          const tx = args[0] as { to: `0x${string}`; data: `0x${string}`; value?: `0x${string}` };
          const hash = await wallet.sendTransaction({
            to: tx.to,
            data: tx.data,
            value: tx.value ? BigInt(tx.value) : undefined,
          });
          // anvil mines on every transaction; one more block per payment for the second confirmation.
          await reader.waitForTransactionReceipt({ hash });
          await reader.request({ method: 'evm_mine' as never });
          return hash;
        }
        default:
          return reader.request({ method: method as never, params: params as never });
      }
    },
  };
  return {
    provider,
    methods,
    account,
    async fund() {
      await reader.request({
        method: 'anvil_setBalance' as never,
        params: [account.address, '0xde0b6b3a7640000'] as never,
      });
      if (options.tusd)
        await mintTestUsd(walletOf(owner), reader, {
          token: contracts.stablecoin,
          to: account.address,
          amount: options.tusd,
        });
    },
  };
}

/** A viewer signed in with SIWE through the test wallet (which links it), and a client for them. */
async function viewer(options: Parameters<typeof testWallet>[0] = {}) {
  const w = testWallet(options);
  await w.fund();
  const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug });
  await client.auth.signInWithEthereum({ provider: w.provider });
  return { ...w, client };
}

describe('checkout', () => {
  it('quotes in the default token and the display currency', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId, { priceCents: 499 });
    const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug });
    expect((await client.checkout.tokens()).tokens.map((x) => x.symbol)).toEqual(['TUSD', 'ETH']);
    const q = await client.checkout.quote(videoId);
    expect(q).toMatchObject({
      priceCents: 499,
      amount: '4990000',
      token: { symbol: 'TUSD', decimals: 6 },
      display: { currency: 'USD', amount: '4.99' },
    });
  });

  it('buys with a wallet: approve, payToken, confirmations, then access and playback', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId, { priceCents: 499 });
    const v = await viewer({ tusd: 10_000_000n });
    expect(await v.client.access(videoId)).toMatchObject({ allowed: false, reason: 'payment_required' });
    const progress: CheckoutProgress[] = [];
    const purchase = await v.client.checkout.buyWithWallet({
      videoId,
      provider: v.provider,
      onProgress: (p) => progress.push(p),
      pollMs: 100,
    });
    expect(purchase.approvalTxHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(progress.map((p) => p.step)).toEqual(
      expect.arrayContaining(['invoice', 'chain', 'approve', 'pay', 'confirmed', 'granted']),
    );
    expect(progress.at(-1)).toMatchObject({ step: 'granted', txHash: purchase.txHash });
    expect(await v.client.access(videoId)).toMatchObject({ allowed: true, grant: 'purchase' });
    const session = await v.client.playback.start(videoId);
    expect(session.overlay.handle).toBeTruthy();
    const balance = await t.h.deps.chain!.client.readContract({
      address: contracts.stablecoin,
      abi: testUSDAbi,
      functionName: 'balanceOf',
      args: [v.account.address],
    });
    expect(balance).toBe(10_000_000n - 4_990_000n);
  });

  it('buys with the native coin: one payNative transaction, no approval', async () => {
    const admin = await t.h.signedIn(tenant, { hubAdmin: true });
    await admin.api.rates.setTokenRate({
      token: 'ETH',
      usdPerToken: '2500',
      validUntil: new Date(Date.now() + 3_600_000),
    });
    const videoId = await readyVideo(t.h, tenant, creatorId, { priceCents: 250 });
    const v = await viewer();
    const purchase = await v.client.checkout.buyWithWallet({
      videoId,
      provider: v.provider,
      token: 'eth',
      pollMs: 100,
    });
    expect(purchase.approvalTxHash).toBeNull();
    expect(v.methods.filter((m) => m === 'eth_sendTransaction')).toHaveLength(1);
    expect(await v.client.access(videoId)).toMatchObject({ allowed: true });
  });

  it('error: the viewer rejects the payment in the wallet; nothing is paid, a later try works', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId);
    const v = await viewer({ tusd: 10_000_000n, reject: ['eth_sendTransaction'] });
    const error = await v.client.checkout
      .buyWithWallet({ videoId, provider: v.provider, pollMs: 100 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PpvError);
    expect(error).toMatchObject({
      code: 'USER_REJECTED',
      message: 'You cancelled the request in your wallet',
    });
    expect(await v.client.access(videoId)).toMatchObject({ allowed: false });
  });

  it('error: a wallet on another chain that cannot switch, and a wallet without enough tokens', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId, { priceCents: 499 });
    const elsewhere = await viewer({ tusd: 10_000_000n, chainId: 1 });
    await expect(
      elsewhere.client.checkout.buyWithWallet({ videoId, provider: elsewhere.provider }),
    ).rejects.toMatchObject({
      code: 'WRONG_CHAIN',
      message: `Your wallet is on chain 1; switch it to chain ${t.anvil.chainId} to pay`,
    });
    const poor = await viewer({ tusd: 1_000_000n });
    await expect(
      poor.client.checkout.buyWithWallet({ videoId, provider: poor.provider }),
    ).rejects.toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
      message: 'Your wallet holds 1 TUSD; this video costs 4.99',
    });
    expect(poor.methods).not.toContain('eth_sendTransaction');
  });

  it('error: an invoice that expires before it is paid is not sent', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId);
    const v = await viewer({ tusd: 10_000_000n });
    const ttl = t.h.deps.config.money.invoiceTtlSeconds;
    t.h.deps.config.money.invoiceTtlSeconds = 1;
    try {
      await expect(
        v.client.checkout.buyWithWallet({ videoId, provider: v.provider, pollMs: 100 }),
      ).rejects.toMatchObject({ code: 'INVOICE_EXPIRED' });
    } finally {
      t.h.deps.config.money.invoiceTtlSeconds = ttl;
    }
    expect(v.methods.filter((m) => m === 'eth_sendTransaction')).toHaveLength(1);
    expect(await v.client.access(videoId)).toMatchObject({ allowed: false });
  });

  it('a wallet the signed-in account lacks: WALLET_NOT_LINKED before any invoice, then linkWallet and the purchase goes through', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId, { priceCents: 300 });
    const person = await t.h.signedIn(tenant);
    const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug });
    await client.auth.signIn({ login: person.username, password: person.password });
    const w = testWallet({ tusd: 10_000_000n });
    await w.fund();
    const error = await client.checkout
      .buyWithWallet({ videoId, provider: w.provider, pollMs: 100 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PpvError);
    expect(error).toMatchObject({
      code: 'WALLET_NOT_LINKED',
      message: `The wallet's account ${w.account.address.toLowerCase()} is not linked to your account: link it (sign a message in the wallet) to pay with it`,
    });
    expect(w.methods).not.toContain('eth_sendTransaction');

    const linked = await client.auth.linkWallet({ provider: w.provider });
    expect(linked).toMatchObject({
      username: person.username,
      wallets: [{ address: w.account.address.toLowerCase(), chainId: t.anvil.chainId }],
    });
    await client.checkout.buyWithWallet({ videoId, provider: w.provider, pollMs: 100 });
    expect(await client.access(videoId)).toMatchObject({ allowed: true, grant: 'purchase' });
  });

  it('error: linking a wallet of another account says so and links nothing', async () => {
    const theirs = await viewer();
    const person = await t.h.signedIn(tenant);
    const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug });
    await client.auth.signIn({ login: person.username, password: person.password });
    await expect(client.auth.linkWallet({ provider: theirs.provider })).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
    });
    expect((await client.auth.me())?.wallets).toEqual([]);
  });

  it('error: buying while signed out says to sign in', async () => {
    const videoId = await readyVideo(t.h, tenant, creatorId);
    const w = testWallet({ tusd: 10_000_000n });
    const client = createPpvClient({ hub: t.hub.url, tenant: tenant.slug });
    await expect(client.checkout.buyWithWallet({ videoId, provider: w.provider })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});
