import {
  type AnvilInstance,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  invoiceMessageOf,
  mintTestUsd,
  type PaymentContracts,
  payInvoiceNative,
  payInvoiceWithToken,
  readPaidEvents,
  signInvoice,
  startAnvil,
} from '@ppv/chain';
import {
  EntitlementEntity,
  PaymentEntity,
  TenantEntity,
  VideoEntity,
  WalletEntity,
  withHubScope,
  withTenant,
} from '@ppv/db';
import { createWalletClient, getAddress, type Hex, http, type LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainDeps } from '../../deps';
import { createHarness, type Harness } from '../../testing';
import type { invoiceForWallet } from '../checkout/create-invoice';
import { recordPaidEvents } from './record-paid-events';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const HUB_WALLET = DEV_ACCOUNTS[7].address;

let anvil: AnvilInstance;
let chain: ChainDeps;
let contracts: PaymentContracts;
let h: Harness;

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
    },
    tokens: [
      { symbol: 'TUSD', address: contracts.stablecoin, decimals: 6, stable: true },
      { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
    ],
    confirmations: 1,
  };
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

/** A fresh funded account (1 ETH, 100 TUSD) linked to `userId`. */
async function fundedWallet(userId: string) {
  const account = privateKeyToAccount(generatePrivateKey());
  await chain.client.request({
    method: 'anvil_setBalance' as never,
    params: [account.address, '0xde0b6b3a7640000'] as never,
  });
  await mintTestUsd(walletOf(owner), chain.client, {
    token: contracts.stablecoin,
    to: account.address,
    amount: 100_000_000n,
  });
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, { userId, address: account.address.toLowerCase(), chainId: chain.chainId });
  await em.flush();
  return account;
}

async function shop() {
  const tenant = await h.tenant();
  const tenantWallet = privateKeyToAccount(generatePrivateKey()).address;
  await h.db.orm.em
    .fork()
    .nativeUpdate(TenantEntity, { id: tenant.id }, { feeBps: 1000, payoutWallet: tenantWallet });
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const creatorAccount = privateKeyToAccount(generatePrivateKey());
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: creator.userId,
    address: creatorAccount.address.toLowerCase(),
    chainId: chain.chainId,
  });
  await em.flush();
  const viewer = await h.signedIn(tenant);
  const payer = await fundedWallet(viewer.userId);
  const videoId = await withTenant(h.db.orm, tenant.id, async (tx) => {
    const v = tx.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'V',
      priceCents: 499,
      status: 'ready',
    });
    await tx.flush();
    return v.id;
  });
  return { tenant, creator, viewer, payer, videoId, tenantWallet, creatorAddress: creatorAccount.address };
}

type WalletInvoice = ReturnType<typeof invoiceForWallet>;

async function payToken(payer: LocalAccount, invoice: WalletInvoice) {
  const { payment } = await payInvoiceWithToken(walletOf(payer), chain.client, {
    splitter: invoice.splitter,
    invoice: invoiceMessageOf(invoice.invoice),
    signature: invoice.signature as Hex,
  });
  return payment.transactionHash;
}

describe('a real payment on anvil', () => {
  it('grants the video once the payment is submitted: canWatch says purchase, the ledger has the shares', async () => {
    const s = await shop();
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'TUSD' });
    const txHash = await payToken(s.payer, invoice);
    const result = await s.viewer.api.payments.submitTransaction({ txHash });
    expect(result).toMatchObject({ status: 'confirmed', payments: [{ status: 'credited', granted: true }] });
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: true,
      grant: 'purchase',
    });
    expect((await s.viewer.api.playback.start({ videoId: s.videoId })).masterUrl).toMatch(/^\/play\//);
    await expect(s.viewer.api.payments.status({ invoiceId: invoice.id })).resolves.toMatchObject({
      status: 'paid',
      canWatch: true,
      payments: [{ txHash, status: 'credited' }],
    });
    // 4.99 USD = 4,990,000 TUSD units: hub 5% = 249,500, tenant 10% = 499,000, creator the rest;
    // in cents by the same rule: hub 24, tenant 49, creator 426.
    const earned = await s.creator.api.ledger.earnings({ as: 'creator' });
    expect(earned).toMatchObject({
      usdCents: 426,
      tokens: [{ tokenSymbol: 'TUSD', amount: '4241500', payments: 1 }],
    });
    expect(
      await chain.client.readContract({
        address: contracts.stablecoin,
        abi: [
          {
            type: 'function',
            name: 'balanceOf',
            stateMutability: 'view',
            inputs: [{ name: 'a', type: 'address' }],
            outputs: [{ name: '', type: 'uint256' }],
          },
        ],
        functionName: 'balanceOf',
        args: [s.creatorAddress],
      }),
    ).toBe(4_241_500n);
    const csv = await s.creator.api.ledger.exportCsv({ as: 'creator' });
    expect(csv.lines).toBe(1);
    expect(csv.csv.split('\r\n')[1]).toContain(`,share,creator,${s.tenant.slug},${s.videoId},31337,TUSD,`);
    expect(csv.csv).toContain(`,4241500,426,${s.creatorAddress.toLowerCase()},${txHash},`);
    // The indexer reading the same event later changes nothing.
    const block = await chain.client.getTransactionReceipt({ hash: txHash });
    const events = await readPaidEvents(chain.client, {
      address: contracts.splitter,
      fromBlock: block.blockNumber,
      toBlock: block.blockNumber,
    });
    const again = await withHubScope(h.db.orm, (em) =>
      recordPaidEvents(
        { em, clock: h.deps.clock },
        events.map((e) => ({ ...e, chainId: chain.chainId })),
      ),
    );
    expect(again).toMatchObject([{ paymentId: null, granted: false }]);
    await expect(s.viewer.api.payments.submitTransaction({ txHash })).resolves.toMatchObject({
      payments: [{ paymentId: null }],
    });
    const entitlements = await withTenant(h.db.orm, s.tenant.id, (em) => em.find(EntitlementEntity, {}));
    expect(entitlements).toHaveLength(1);
  });

  it('pays in the native coin at the admin-set rate', async () => {
    const s = await shop();
    const admin = await h.signedIn(s.tenant, { hubAdmin: true });
    await admin.api.rates.setTokenRate({
      token: 'ETH',
      usdPerToken: '2000',
      validUntil: new Date(Date.now() + 3.6e6),
    });
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'ETH' });
    expect(invoice).toMatchObject({ method: 'payNative', invoice: { amount: '2495000000000000' } });
    const receipt = await payInvoiceNative(walletOf(s.payer), chain.client, {
      splitter: invoice.splitter,
      invoice: invoiceMessageOf(invoice.invoice),
      signature: invoice.signature as Hex,
    });
    await expect(
      s.viewer.api.payments.submitTransaction({ txHash: receipt.transactionHash }),
    ).resolves.toMatchObject({
      status: 'confirmed',
      payments: [{ status: 'credited', granted: true }],
    });
  });

  it('answers pending until the configured confirmations are in', async () => {
    const s = await shop();
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'TUSD' });
    const txHash = await payToken(s.payer, invoice);
    h.deps.config.money.confirmations = 3;
    try {
      await expect(s.viewer.api.payments.submitTransaction({ txHash })).resolves.toEqual({
        status: 'pending',
        confirmations: 1,
        required: 3,
        message: 'pending, 1 of 3 confirmations',
      });
      await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
        allowed: false,
      });
      await chain.client.request({ method: 'anvil_mine' as never, params: ['0x2'] as never });
      await expect(s.viewer.api.payments.submitTransaction({ txHash })).resolves.toMatchObject({
        status: 'confirmed',
        confirmations: 3,
      });
    } finally {
      h.deps.config.money.confirmations = 1;
    }
  });

  it("error: a transaction paying another viewer's invoice, another tenant's, an unknown and a reverted one", async () => {
    const s = await shop();
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'TUSD' });
    const txHash = await payToken(s.payer, invoice);
    const otherViewer = await h.signedIn(s.tenant);
    await expect(otherViewer.api.payments.submitTransaction({ txHash })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This transaction pays an invoice that is not yours',
    });
    const elsewhere = await shop();
    await expect(elsewhere.viewer.api.payments.submitTransaction({ txHash })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(elsewhere.viewer.api.payments.status({ invoiceId: invoice.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const unknown = `0x${'ab'.repeat(32)}`;
    await expect(s.viewer.api.payments.submitTransaction({ txHash: unknown })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `No transaction ${unknown} on chain 31337`,
    });
    const reverted = await walletOf(s.payer).sendTransaction({
      to: contracts.splitter,
      data: '0xdeadbeef',
      gas: 100_000n,
    });
    await chain.client.waitForTransactionReceipt({ hash: reverted });
    await expect(s.viewer.api.payments.submitTransaction({ txHash: reverted })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This transaction reverted: it paid nothing',
    });
    const payments = await withTenant(h.db.orm, s.tenant.id, (em) => em.find(PaymentEntity, {}));
    expect(payments).toEqual([]);
  });

  it('error: an invoice past its deadline cannot be paid on chain, and nothing is granted', async () => {
    const s = await shop();
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'TUSD' });
    const snapshot = await chain.client.request({ method: 'evm_snapshot' as never });
    try {
      const ttl = h.deps.config.money.invoiceTtlSeconds;
      await chain.client.request({ method: 'evm_increaseTime' as never, params: [ttl + 60] as never });
      await chain.client.request({ method: 'evm_mine' as never });
      await expect(payToken(s.payer, invoice)).rejects.toThrow(/InvoiceExpired/);
    } finally {
      await chain.client.request({ method: 'evm_revert' as never, params: [snapshot] as never });
    }
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
  });

  it('error: a look-alike contract emitting the same event is refused and, seen by the indexer, grants nothing', async () => {
    const s = await shop();
    const invoice = await s.viewer.api.checkout.createInvoice({ videoId: s.videoId, token: 'TUSD' });
    const lookalike = await deployPaymentContracts(walletOf(owner), chain.client, {
      owner: owner.address,
      invoiceSigner: signer.address,
    });
    const message = { ...invoiceMessageOf(invoice.invoice), token: lookalike.stablecoin };
    await mintTestUsd(walletOf(owner), chain.client, {
      token: lookalike.stablecoin,
      to: s.payer.address,
      amount: message.amount,
    });
    const signature = await signInvoice(
      signer,
      { chainId: chain.chainId, verifyingContract: lookalike.splitter },
      message,
    );
    const { payment } = await payInvoiceWithToken(walletOf(s.payer), chain.client, {
      splitter: lookalike.splitter,
      invoice: message,
      signature,
    });
    await expect(
      s.viewer.api.payments.submitTransaction({ txHash: payment.transactionHash }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `This transaction's payment events come from ${getAddress(lookalike.splitter)}, not from this hub's payment contract`,
    });
    const events = await readPaidEvents(chain.client, {
      address: lookalike.splitter,
      fromBlock: payment.blockNumber,
      toBlock: payment.blockNumber,
    });
    const [recorded] = await withHubScope(h.db.orm, (em) =>
      recordPaidEvents(
        { em, clock: h.deps.clock },
        events.map((e) => ({ ...e, chainId: chain.chainId })),
      ),
    );
    expect(recorded).toMatchObject({ status: 'mismatch', granted: false, tenantId: s.tenant.id });
    await expect(s.viewer.api.access.check({ videoId: s.videoId })).resolves.toMatchObject({
      allowed: false,
    });
  });
});
