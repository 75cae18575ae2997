import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  NATIVE_TOKEN,
  payInvoiceNative,
  readPaidEvents,
  signInvoice,
  startAnvil,
  videoIdHash,
} from '@ppv/chain';
import { rpc } from '@ppv/chain/testing';
import {
  EntitlementEntity,
  InvoiceEntity,
  PaymentEntity,
  VideoEntity,
  withHubScope,
  withTenant,
} from '@ppv/db';
import { type Address, createWalletClient, http, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { recordPaidEvents } from '../payments/record-paid-events';
import { runIndexerPass } from './run-indexer';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const payer = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);
const parties = {
  creator: DEV_ACCOUNTS[5].address,
  tenant: DEV_ACCOUNTS[6].address,
  hub: DEV_ACCOUNTS[7].address,
};

let anvil: AnvilInstance;
let client: ChainClient;
let splitter: Address;
let h: Harness;

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  ({ splitter } = await deployPaymentContracts(wallet, client, {
    owner: owner.address,
    invoiceSigner: signer.address,
  }));
  h = await createHarness({ chain: { client, chainId: anvil.chainId } });
  h.deps.config = {
    ...h.deps.config,
    money: {
      ...h.deps.config.money,
      confirmations: 2,
      payments: {
        signerKey: DEV_ACCOUNTS[1].privateKey,
        splitterAddress: splitter,
        hubPayoutWallet: parties.hub,
      },
    },
  };
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

/** A viewer's open invoice for a 5 USD video, as the hub signed it, and its payment on chain. */
async function paidInvoice() {
  const tenant = await h.tenant();
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const viewer = await h.signedIn(tenant);
  const invoiceId = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'Paid video',
      priceCents: 500,
      status: 'ready',
    });
    await em.flush();
    return video.id;
  });
  const message: InvoiceMessage = {
    invoiceId,
    payer: payer.address,
    token: NATIVE_TOKEN,
    amount: 5_000_000n,
    ...parties,
    creatorBps: 8_500,
    tenantBps: 1_000,
    hubBps: 500,
    videoIdHash: videoIdHash(videoId),
    deadline: (await client.getBlock()).timestamp + 900n,
  };
  const signature = await signInvoice(
    signer,
    { chainId: anvil.chainId, verifyingContract: splitter },
    message,
  );
  await withTenant(h.db.orm, tenant.id, async (em) => {
    em.create(InvoiceEntity, {
      tenantId: tenant.id,
      viewerId: viewer.userId,
      videoId,
      invoiceId,
      chainId: anvil.chainId,
      contract: splitter.toLowerCase(),
      payer: payer.address.toLowerCase(),
      token: NATIVE_TOKEN,
      tokenSymbol: 'ETH',
      amount: message.amount.toString(),
      creatorAddress: parties.creator.toLowerCase(),
      tenantAddress: parties.tenant.toLowerCase(),
      hubAddress: parties.hub.toLowerCase(),
      creatorBps: message.creatorBps,
      tenantBps: message.tenantBps,
      hubBps: message.hubBps,
      videoIdHash: message.videoIdHash,
      deadline: Number(message.deadline),
      signature,
      priceCents: 500,
      rentalHours: null,
    });
    await em.flush();
  });
  const wallet = createWalletClient({ account: payer, chain: client.chain, transport: http(anvil.rpcUrl) });
  const receipt = await payInvoiceNative(wallet, client, { splitter, invoice: message, signature });
  return { tenant, viewer, videoId, receipt };
}

const rowsOf = (tenantId: string) =>
  withTenant(h.db.orm, tenantId, async (em) => ({
    payments: await em.find(PaymentEntity, {}),
    entitlements: await em.find(EntitlementEntity, {}),
  }));

const mine = (blocks: number) => rpc(anvil.rpcUrl, 'anvil_mine', [`0x${blocks.toString(16)}`]);

describe('runIndexerPass (recordPaidEvents and revokeBlocks as handlers)', () => {
  it('does nothing when payments are not configured', async () => {
    const off = {
      ...h.deps,
      config: { ...h.deps.config, money: { ...h.deps.config.money, payments: null } },
    };
    expect(await runIndexerPass(off)).toBeNull();
  });

  it('behavior: a payment grants its viewer the video once confirmed; a reorganisation that removes its block revokes it', async () => {
    const snapshot = await rpc<string>(anvil.rpcUrl, 'evm_snapshot');
    const f = await paidInvoice();

    expect((await runIndexerPass(h.deps))?.events).toBe(0);
    expect((await rowsOf(f.tenant.id)).entitlements).toEqual([]);

    await mine(1);
    expect(await runIndexerPass(h.deps)).toMatchObject({ ok: true, events: 1 });
    const paid = await rowsOf(f.tenant.id);
    expect(paid.payments).toEqual([
      expect.objectContaining({ txHash: f.receipt.transactionHash, status: 'credited' }),
    ]);
    expect(paid.entitlements).toEqual([
      expect.objectContaining({
        userId: f.viewer.userId,
        videoId: f.videoId,
        source: 'purchase',
        revokedAt: null,
      }),
    ]);

    // The paid block and the two after it are replaced by a longer chain without the payment.
    await rpc(anvil.rpcUrl, 'evm_revert', [snapshot]);
    await mine(6);
    const after = await runIndexerPass(h.deps);
    expect(after).toMatchObject({ ok: true, events: 0 });
    expect(after?.reorgs).toEqual([
      expect.objectContaining({ fromBlock: f.receipt.blockNumber, contract: splitter.toLowerCase() }),
    ]);
    const revoked = await rowsOf(f.tenant.id);
    expect(revoked.payments).toEqual([expect.objectContaining({ status: 'orphaned' })]);
    expect(revoked.entitlements).toEqual([expect.objectContaining({ userId: f.viewer.userId })]);
    expect(revoked.entitlements[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it('behavior: a payment the fast path recorded ahead of the indexer is revoked when a reorganisation replaced its block', async () => {
    await mine(2);
    expect(await runIndexerPass(h.deps)).toMatchObject({ ok: true, caughtUp: true });
    const snapshot = await rpc<string>(anvil.rpcUrl, 'evm_snapshot');
    const f = await paidInvoice();
    await mine(2);
    // What payments.submitTransaction records once the receipt has its confirmations.
    const events = await readPaidEvents(client, {
      address: splitter,
      fromBlock: f.receipt.blockNumber,
      toBlock: f.receipt.blockNumber,
    });
    await withHubScope(h.db.orm, (em) =>
      recordPaidEvents(
        { em, clock: h.deps.clock },
        events.map((e) => ({ ...e, chainId: anvil.chainId })),
      ),
    );
    expect((await rowsOf(f.tenant.id)).entitlements[0]?.revokedAt).toBeNull();

    // The chain after the snapshot is replaced by a longer one without the payment, before the
    // indexer ever read its block: the indexer's cursor block is still on the chain.
    await rpc(anvil.rpcUrl, 'evm_revert', [snapshot]);
    await mine(6);
    const after = await runIndexerPass(h.deps);
    expect(after).toMatchObject({ ok: true, events: 0, reorgs: [] });
    const revoked = await rowsOf(f.tenant.id);
    expect(revoked.payments).toEqual([expect.objectContaining({ status: 'orphaned' })]);
    expect(revoked.entitlements[0]?.revokedAt).toBeInstanceOf(Date);
  });
});
