/**
 * The money core's two costs:
 * (a) payment-to-entitlement latency through the fast path (`payments.submitTransaction`) on anvil
 *     mining a block every second, for N = 1, 2 and 3 confirmations: from the payment transaction's
 *     hash to the answer that granted the video, the client polling every 100 ms (target ≤ N s + 1 s);
 * (b) `recordPaidEvents` throughput: `--events N` (default 2,000) `Paid` events of N invoices (N
 *     viewers) across 10 tenants recorded in one hub-scoped transaction, as an indexer batch would (events/s).
 * `--runs R` payments per N (default 3).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  invoiceMessageOf,
  mintTestUsd,
  startAnvil,
  testUSDAbi,
  x402SplitterAbi,
} from '@ppv/chain';
import { type ChainPaidEvent, recordPaidEvents } from '@ppv/core';
import { createHarness } from '@ppv/core/testing';
import {
  InvoiceEntity,
  TenantEntity,
  UserEntity,
  VideoEntity,
  WalletEntity,
  withHubScope,
  withTenant,
} from '@ppv/db';
import { createWalletClient, getAddress, type Hex, http, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { median, printTable, round, writeResult } from './lib/report';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`);
  return value;
};
const RUNS = arg('--runs', 3);
const EVENTS = arg('--events', 2_000);

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const anvil = await startAnvil({ blockTime: 1 });
const harnessChain = {
  client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
  chainId: anvil.chainId,
};
const h = await createHarness({ chain: harnessChain });
try {
  const client = harnessChain.client;
  client.pollingInterval = 100;
  const walletOf = (key: Hex) =>
    createWalletClient({
      account: privateKeyToAccount(key),
      chain: client.chain,
      transport: http(anvil.rpcUrl),
    });
  const contracts = await deployPaymentContracts(walletOf(DEV_ACCOUNTS[0].privateKey), client, {
    owner: owner.address,
    invoiceSigner: DEV_ACCOUNTS[1].address,
  });
  h.deps.config.money = {
    ...h.deps.config.money,
    payments: {
      signerKey: DEV_ACCOUNTS[1].privateKey,
      splitterAddress: contracts.splitter,
      hubPayoutWallet: DEV_ACCOUNTS[2].address,
    },
    tokens: [{ symbol: 'TUSD', address: contracts.stablecoin, decimals: 6, stable: true }],
  };

  // (a) latency
  const tenant = await h.tenant();
  await h.db.orm.em
    .fork()
    .nativeUpdate(TenantEntity, { id: tenant.id }, { payoutWallet: DEV_ACCOUNTS[8].address.toLowerCase() });
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const link = async (userId: string, address: string) => {
    const em = h.db.orm.em.fork();
    em.create(WalletEntity, { userId, address: address.toLowerCase(), chainId: anvil.chainId });
    await em.flush();
  };
  await link(creator.userId, DEV_ACCOUNTS[9].address);
  const latencies: { confirmations: number; ms: number[] }[] = [];
  for (const confirmations of [1, 2, 3]) {
    h.deps.config.money.confirmations = confirmations;
    const ms: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const viewer = await h.signedIn(tenant);
      const key = generatePrivateKey();
      const payer = privateKeyToAccount(key);
      await client.request({
        method: 'anvil_setBalance' as never,
        params: [payer.address, '0xde0b6b3a7640000'] as never,
      });
      await mintTestUsd(walletOf(DEV_ACCOUNTS[0].privateKey), client, {
        token: contracts.stablecoin,
        to: payer.address,
        amount: 10_000_000n,
      });
      await link(viewer.userId, payer.address);
      const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
        const v = em.create(VideoEntity, {
          tenantId: tenant.id,
          creatorId: creator.userId,
          title: 'B',
          priceCents: 499,
          status: 'ready',
        });
        await em.flush();
        return v.id;
      });
      const invoice = await viewer.api.checkout.createInvoice({ videoId, token: 'TUSD' });
      const m = invoice.invoice;
      const message = invoiceMessageOf(m);
      const wallet = walletOf(key);
      const approve = await wallet.writeContract({
        address: contracts.stablecoin,
        abi: testUSDAbi,
        functionName: 'approve',
        args: [contracts.splitter, message.amount],
      });
      await client.waitForTransactionReceipt({ hash: approve, pollingInterval: 100 });
      const txHash = await wallet.writeContract({
        address: contracts.splitter,
        abi: x402SplitterAbi,
        functionName: 'payToken',
        args: [message, invoice.signature as Hex],
      });
      const sent = performance.now();
      for (;;) {
        const answer = await viewer.api.payments.submitTransaction({ txHash }).catch(() => null);
        if (answer?.status === 'confirmed' && answer.payments[0]?.granted) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      ms.push(performance.now() - sent);
      const access = await viewer.api.access.check({ videoId });
      if (!access.allowed) throw new Error('the payment did not grant the video');
    }
    latencies.push({ confirmations, ms });
  }
  printTable(
    'payment → entitlement via payments.submitTransaction (anvil, 1 s blocks, poll every 100 ms)',
    ['confirmations', 'runs', 'median ms', 'max ms', 'target ms'],
    latencies.map((l) => [
      l.confirmations,
      l.ms.length,
      round(median(l.ms), 0),
      round(Math.max(...l.ms), 0),
      l.confirmations * 1000 + 1000,
    ]),
  );

  // (b) recordPaidEvents throughput
  const tenants = await Promise.all(Array.from({ length: 10 }, () => h.tenant()));
  const hex = (n: number) => toHex(randomBytes(n));
  const events: ChainPaidEvent[] = [];
  for (const [t, tb] of tenants.entries()) {
    const buyer = await h.signedIn(tb);
    const perTenant = Math.ceil(EVENTS / tenants.length);
    await withTenant(h.db.orm, tb.id, async (em) => {
      const video = em.create(VideoEntity, {
        tenantId: tb.id,
        creatorId: buyer.userId,
        title: 'B',
        priceCents: 100,
        status: 'ready',
      });
      await em.flush();
      const count = Math.min(perTenant, EVENTS - events.length);
      // Each invoice its own viewer (one open invoice per viewer and video), written first.
      const viewers = Array.from({ length: count }, () =>
        em.create(UserEntity, { id: randomUUID(), username: `b${hex(8).slice(2)}` }),
      );
      await em.flush();
      for (const [i, viewer] of viewers.entries()) {
        const invoiceId = hex(32);
        const payer = getAddress(hex(20));
        em.create(InvoiceEntity, {
          tenantId: tb.id,
          viewerId: viewer.id,
          videoId: video.id,
          invoiceId,
          chainId: anvil.chainId,
          contract: contracts.splitter.toLowerCase(),
          payer: payer.toLowerCase(),
          token: contracts.stablecoin.toLowerCase(),
          tokenSymbol: 'TUSD',
          amount: '1000000',
          creatorAddress: hex(20),
          tenantAddress: hex(20),
          hubAddress: hex(20),
          creatorBps: 8500,
          tenantBps: 1000,
          hubBps: 500,
          videoIdHash: hex(32),
          deadline: Math.floor(Date.now() / 1000) + 900,
          signature: hex(65),
          priceCents: 100,
        });
        events.push({
          chainId: anvil.chainId,
          invoiceId,
          payer,
          creator: getAddress(hex(20)),
          token: contracts.stablecoin,
          amount: 1_000_000n,
          tenant: getAddress(hex(20)),
          hub: getAddress(hex(20)),
          creatorShare: 850_000n,
          tenantShare: 100_000n,
          hubShare: 50_000n,
          videoIdHash: hex(32) as Hex,
          address: contracts.splitter,
          blockNumber: BigInt(1_000_000 + t * perTenant + i),
          blockHash: hex(32),
          transactionHash: hex(32),
          logIndex: 0,
        });
      }
      await em.flush();
    });
  }
  events.sort((a, b) => Number(a.blockNumber - b.blockNumber));
  const started = performance.now();
  const recorded = await withHubScope(h.db.orm, (em) =>
    recordPaidEvents({ em, clock: () => new Date() }, events),
  );
  const seconds = (performance.now() - started) / 1000;
  if (recorded.filter((r) => r.granted).length !== events.length)
    throw new Error('not every event was granted');
  const again = performance.now();
  await withHubScope(h.db.orm, (em) => recordPaidEvents({ em, clock: () => new Date() }, events));
  const duplicateSeconds = (performance.now() - again) / 1000;
  printTable(
    'recordPaidEvents in one hub-scoped transaction',
    ['events', 'new: s', 'new: events/s', 'duplicates: events/s'],
    [
      [
        events.length,
        round(seconds, 2),
        round(events.length / seconds, 0),
        round(events.length / duplicateSeconds, 0),
      ],
    ],
  );
  await writeResult('payments', {
    latency: latencies.map((l) => ({
      confirmations: l.confirmations,
      medianMs: round(median(l.ms), 0),
      ms: l.ms.map((v) => round(v, 0)),
    })),
    recordPaidEvents: {
      events: events.length,
      seconds: round(seconds, 3),
      eventsPerSecond: round(events.length / seconds, 0),
      duplicateEventsPerSecond: round(events.length / duplicateSeconds, 0),
    },
  });
} finally {
  await h.close();
  await anvil.stop();
}
