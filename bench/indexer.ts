/**
 * The chain indexer on anvil. Backfill: `--events N` (default 10,000) `Paid` events of invoices the
 * hub issued, read and recorded by one indexer pass (batches of INDEXER_BATCH_BLOCKS, one transaction
 * each, recordPaidEvents granting every entitlement), against a naive baseline that commits one
 * transaction per event, and against the same pass with a handler that only bulk-inserts the events
 * (the indexer's own cost). Latency: payment mined → canWatch true, through the fast path
 * (payments.submitTransaction polled) and through the indexer (a pass every poll interval), on
 * anvil with 1 s blocks and `--confirmations N` (default 2), `--samples K` (default 5) each.
 */
import { performance } from 'node:perf_hooks';
import {
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  NATIVE_TOKEN,
  readPaidEvents,
  signInvoice,
  startAnvil,
  videoIdHash,
  x402SplitterAbi,
} from '@ppv/chain';
import { type BulkPayment, payInvoicesInBulk } from '@ppv/chain/testing';
import {
  type AppDeps,
  canWatch,
  type IndexChainResult,
  indexChain,
  type PaidEventHandlers,
  paymentHandlers,
  recordPaidEvents,
} from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import {
  InvoiceEntity,
  loadChainCursor,
  moveChainCursor,
  VideoEntity,
  withHubScope,
  withTenant,
} from '@ppv/db';
import pg from 'pg';
import { type Address, createWalletClient, type Hex, http, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { median, printTable, round, writeResult } from './lib/report';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
};
const EVENTS = arg('events', 10_000);
const CONFIRMATIONS = arg('confirmations', 2);
const SAMPLES = arg('samples', 5);
const BATCH_BLOCKS = 2_000;
const POLL_MS = 250;

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const payer = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);
const parties = {
  creator: DEV_ACCOUNTS[5].address,
  tenant: DEV_ACCOUNTS[6].address,
  hub: DEV_ACCOUNTS[7].address,
};

async function deploy(rpcUrl: string, client: ChainClient): Promise<Address> {
  const wallet = createWalletClient({ account: owner, chain: client.chain, transport: http(rpcUrl) });
  const { splitter } = await deployPaymentContracts(wallet, client, {
    owner: owner.address,
    invoiceSigner: signer.address,
  });
  return splitter;
}

/** Payments on, for this splitter and chain. */
function configure(h: Harness, splitter: Address, confirmations: number): AppDeps {
  h.deps.config = {
    ...h.deps.config,
    money: {
      ...h.deps.config.money,
      confirmations,
      payments: {
        signerKey: DEV_ACCOUNTS[1].privateKey,
        splitterAddress: splitter,
        hubPayoutWallet: parties.hub,
      },
    },
    indexer: { ...h.deps.config.indexer, batchBlocks: BATCH_BLOCKS, pollIntervalMs: POLL_MS },
  };
  return h.deps;
}

/** A tenant, a creator, a viewer and `count` 5 USD videos. */
async function catalogue(h: Harness, count: number) {
  const tenant = await h.tenant();
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const viewer = await h.signedIn(tenant);
  const videoIds = await withTenant(h.db.orm, tenant.id, async (em) => {
    const videos = Array.from({ length: count }, (_, i) =>
      em.create(VideoEntity, {
        tenantId: tenant.id,
        creatorId: creator.userId,
        title: `Video ${i}`,
        priceCents: 500,
        status: 'ready',
      }),
    );
    await em.flush();
    return videos.map((v) => v.id);
  });
  return { tenant, creator, viewer, videoIds };
}

/** The invoice rows the hub would have written for these signed invoices. */
async function storeInvoices(
  h: Harness,
  shop: Awaited<ReturnType<typeof catalogue>>,
  splitter: Address,
  chainId: number,
  invoices: { invoice: InvoiceMessage; signature: Hex; videoId: string }[],
) {
  await withTenant(h.db.orm, shop.tenant.id, async (em) => {
    for (const { invoice, signature, videoId } of invoices) {
      em.create(InvoiceEntity, {
        tenantId: shop.tenant.id,
        viewerId: shop.viewer.userId,
        videoId,
        invoiceId: invoice.invoiceId.toLowerCase(),
        chainId,
        contract: splitter.toLowerCase(),
        payer: invoice.payer.toLowerCase(),
        token: NATIVE_TOKEN,
        tokenSymbol: 'ETH',
        amount: invoice.amount.toString(),
        creatorAddress: invoice.creator.toLowerCase(),
        tenantAddress: invoice.tenant.toLowerCase(),
        hubAddress: invoice.hub.toLowerCase(),
        creatorBps: invoice.creatorBps,
        tenantBps: invoice.tenantBps,
        hubBps: invoice.hubBps,
        videoIdHash: invoice.videoIdHash,
        deadline: Number(invoice.deadline),
        signature,
        priceCents: 500,
        rentalHours: null,
      });
    }
    await em.flush();
  });
}

async function countRows(h: Harness, table: 'payments' | 'entitlements') {
  return withHubScope(h.db.orm, async (em) => {
    const [row] = await em.execute<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
    return row?.n ?? 0;
  });
}

// ---------------------------------------------------------------- backfill
const backfillChain = await startAnvil();
const backfill: Record<string, unknown>[] = [];
const harnesses: Harness[] = [];
try {
  const client = createChainClient({ rpcUrl: backfillChain.rpcUrl, chainId: backfillChain.chainId });
  const splitter = await deploy(backfillChain.rpcUrl, client);
  const startBlock = Number(await client.getBlockNumber({ cacheTime: 0 })) + 1;

  const [full, naive, bare] = await Promise.all([createHarness(), createHarness(), createHarness()]);
  harnesses.push(full!, naive!, bare!);
  const shops = await Promise.all([catalogue(full!, EVENTS), catalogue(naive!, EVENTS)]);

  const generating = performance.now();
  // Each shop's video ids differ; the invoice names the full run's video, the naive run maps by index.
  const payments: BulkPayment[] = await payInvoicesInBulk({
    rpcUrl: backfillChain.rpcUrl,
    chainId: backfillChain.chainId,
    splitter,
    signer,
    payer: payer.address,
    count: EVENTS,
    recipients: parties,
    videoId: (i) => shops[0]!.videoIds[i]!,
  });
  const generateSeconds = (performance.now() - generating) / 1000;
  const blocks = new Set(payments.map((p) => p.blockNumber)).size;
  await client.request({ method: 'anvil_mine' as never, params: ['0x2'] as never });
  for (const [i, h] of [full!, naive!].entries()) {
    await storeInvoices(
      h,
      shops[i]!,
      splitter,
      backfillChain.chainId,
      payments.map((p, n) => ({
        invoice: p.invoice,
        signature: p.signature,
        videoId: shops[i]!.videoIds[n]!,
      })),
    );
  }

  const chain = { client, chainId: backfillChain.chainId };
  const indexer = { batchBlocks: BATCH_BLOCKS, startBlock, reorgDepth: 64 };
  const timed = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return (performance.now() - started) / 1000;
  };

  // The full pass: batches, one transaction each, through recordPaidEvents.
  let fullResult: IndexChainResult | undefined;
  const fullSeconds = await timed(async () => {
    fullResult = await indexChain(
      { orm: full!.db.orm, logger: full!.deps.logger, chain, handlers: paymentHandlers(full!.deps) },
      { contract: splitter, confirmations: 1, indexer },
    );
  });
  if (!fullResult?.ok || fullResult.events !== EVENTS)
    throw new Error(
      `full pass: ${JSON.stringify(fullResult, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
    );

  // Naive: the same logs, then one transaction per event (record it, move the cursor).
  const naiveSeconds = await timed(async () => {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    // In ranges of 50 blocks (5,000 events), under viem's 10 MiB answer limit.
    const events = [];
    for (let from = BigInt(startBlock); from < head; from += 50n) {
      const to = from + 49n < head - 1n ? from + 49n : head - 1n;
      events.push(...(await readPaidEvents(client, { address: splitter, fromBlock: from, toBlock: to })));
    }
    const key = { chainId: chain.chainId, contract: splitter.toLowerCase() };
    for (const event of events) {
      await withHubScope(naive!.db.orm, async (em) => {
        await loadChainCursor(em, key, { forUpdate: true });
        await recordPaidEvents({ em, clock: naive!.deps.clock }, [{ ...event, chainId: chain.chainId }]);
        await moveChainCursor(
          em,
          key,
          { number: event.blockNumber, hash: event.blockHash },
          { success: true },
        );
      });
    }
  });

  // The indexer's own cost: the same pass, the handler one bulk insert per batch into a plain table.
  const admin = new pg.Client({ connectionString: bare!.db.url });
  await admin.connect();
  await admin.query(`CREATE TABLE bench_paid (chain_id integer, tx_hash text, log_index integer, invoice_id text,
    PRIMARY KEY (chain_id, tx_hash, log_index)); GRANT SELECT, INSERT ON bench_paid TO ppv_app`);
  await admin.end();
  const bulkInsert: PaidEventHandlers = {
    async record(em, events, chainId) {
      await em.execute(
        `INSERT INTO bench_paid SELECT ?, e.tx, e.log, e.inv FROM jsonb_to_recordset(?::jsonb) AS e(tx text, log int, inv text)`,
        [
          chainId,
          JSON.stringify(events.map((e) => ({ tx: e.transactionHash, log: e.logIndex, inv: e.invoiceId }))),
        ],
      );
    },
    async revoke() {},
  };
  let bareResult: IndexChainResult | undefined;
  const bareSeconds = await timed(async () => {
    bareResult = await indexChain(
      { orm: bare!.db.orm, logger: bare!.deps.logger, chain, handlers: bulkInsert },
      { contract: splitter, confirmations: 1, indexer },
    );
  });
  if (!bareResult?.ok || bareResult.events !== EVENTS)
    throw new Error('bulk-insert pass did not index every event');

  const rate = (seconds: number) => Math.round(EVENTS / seconds);
  for (const [name, h] of [
    ['full', full!],
    ['naive', naive!],
  ] as const) {
    const [p, e] = [await countRows(h, 'payments'), await countRows(h, 'entitlements')];
    if (p !== EVENTS || e !== EVENTS)
      throw new Error(`${name}: ${p} payments and ${e} entitlements, expected ${EVENTS}`);
  }
  backfill.push(
    {
      mode: 'indexer pass, recordPaidEvents',
      seconds: round(fullSeconds, 2),
      eventsPerSecond: rate(fullSeconds),
      batches: fullResult.batches,
      transactions: fullResult.batches,
    },
    {
      mode: 'naive: one transaction per event',
      seconds: round(naiveSeconds, 2),
      eventsPerSecond: rate(naiveSeconds),
      batches: 1,
      transactions: EVENTS,
    },
    {
      mode: 'indexer pass, bulk insert only',
      seconds: round(bareSeconds, 2),
      eventsPerSecond: rate(bareSeconds),
      batches: bareResult.batches,
      transactions: bareResult.batches,
    },
  );
  printTable(
    `Backfill of ${EVENTS} Paid events in ${blocks} blocks (generated in ${round(generateSeconds, 1)} s; batches of ${BATCH_BLOCKS} blocks; target ≥ 5,000 events/s)`,
    ['mode', 'seconds', 'events/s', 'db transactions'],
    backfill.map((r) => [
      String(r.mode),
      Number(r.seconds),
      Number(r.eventsPerSecond),
      Number(r.transactions),
    ]),
  );
  process.stdout.write(
    `batched ÷ naive: ${round(naiveSeconds / fullSeconds, 2)}× faster; bulk-insert pass ÷ recordPaidEvents pass: ${round(fullSeconds / bareSeconds, 2)}×\n`,
  );
  backfill.push({
    generateSeconds: round(generateSeconds, 2),
    blocks,
    batchedOverNaive: round(naiveSeconds / fullSeconds, 2),
  });
} finally {
  await Promise.all(harnesses.map((h) => h.close()));
  await backfillChain.stop();
}

// ---------------------------------------------------------------- latency
const latencyChain = await startAnvil({ blockTime: 1 });
const latency: { path: string; samplesMs: number[] }[] = [];
let latencyHarness: Harness | undefined;
try {
  const client = createChainClient({ rpcUrl: latencyChain.rpcUrl, chainId: latencyChain.chainId });
  const splitter = await deploy(latencyChain.rpcUrl, client);
  latencyHarness = await createHarness({ chain: { client, chainId: latencyChain.chainId } });
  const h = latencyHarness;
  const deps = configure(h, splitter, CONFIRMATIONS);
  const shop = await catalogue(h, 2 * SAMPLES);
  const wallet = createWalletClient({
    account: payer,
    chain: client.chain,
    transport: http(latencyChain.rpcUrl),
  });
  // The indexer starts caught up, as a running hub's would be.
  await indexChain(
    { orm: h.db.orm, logger: deps.logger, chain: deps.chain!, handlers: paymentHandlers(deps) },
    { contract: splitter, confirmations: CONFIRMATIONS, indexer: { ...deps.config.indexer, startBlock: 0 } },
  );

  const watchable = async (videoId: string) =>
    withTenant(h.db.orm, shop.tenant.id, async (em) => {
      const video = await em.findOneOrFail(VideoEntity, { id: videoId });
      return (await canWatch(em, shop.viewer.userId, video)).allowed;
    });

  async function payFor(videoId: string) {
    const invoice: InvoiceMessage = {
      invoiceId: toHex(crypto.getRandomValues(new Uint8Array(32))),
      payer: payer.address,
      token: NATIVE_TOKEN,
      amount: 1_000_003n,
      ...parties,
      creatorBps: 8_000,
      tenantBps: 1_500,
      hubBps: 500,
      videoIdHash: videoIdHash(videoId),
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3_600),
    };
    const signature = await signInvoice(
      signer,
      { chainId: latencyChain.chainId, verifyingContract: splitter },
      invoice,
    );
    await storeInvoices(h, shop, splitter, latencyChain.chainId, [{ invoice, signature, videoId }]);
    const hash = await wallet.writeContract({
      address: splitter,
      abi: x402SplitterAbi,
      functionName: 'payNative',
      args: [invoice, signature],
      value: invoice.amount,
    });
    // "Mined" is when its receipt first shows, polled every 20 ms (viem's own wait polls far less often).
    for (;;) {
      const receipt = await client.getTransactionReceipt({ hash }).catch(() => null);
      if (receipt) {
        if (receipt.status !== 'success') throw new Error(`payment ${hash} reverted`);
        return { receipt, mined: performance.now() };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const fast: number[] = [];
  const viaIndexer: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Fast path: the viewer hands in the hash and polls until it is confirmed.
    const fastVideo = shop.videoIds[2 * i]!;
    const paid = await payFor(fastVideo);
    for (;;) {
      const answer = await shop.viewer.api.payments.submitTransaction({
        txHash: paid.receipt.transactionHash,
      });
      if (answer.status === 'confirmed' && (await watchable(fastVideo))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    fast.push(performance.now() - paid.mined);

    // Indexer: a pass every POLL_MS, as the index_chain task runs once caught up.
    const indexedVideo = shop.videoIds[2 * i + 1]!;
    const next = await payFor(indexedVideo);
    for (;;) {
      await indexChain(
        { orm: h.db.orm, logger: deps.logger, chain: deps.chain!, handlers: paymentHandlers(deps) },
        {
          contract: splitter,
          confirmations: CONFIRMATIONS,
          indexer: { ...deps.config.indexer, startBlock: 0 },
        },
      );
      if (await watchable(indexedVideo)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    viaIndexer.push(performance.now() - next.mined);
  }
  latency.push({
    path: 'fast path (submitTransaction every 100 ms)',
    samplesMs: fast.map((v) => round(v, 0)),
  });
  latency.push({
    path: `indexer (a pass every ${POLL_MS} ms)`,
    samplesMs: viaIndexer.map((v) => round(v, 0)),
  });
  printTable(
    `Payment mined → canWatch true, 1 s blocks, ${CONFIRMATIONS} confirmations (target ≤ ${CONFIRMATIONS + 1} s), ${SAMPLES} samples`,
    ['path', 'median ms', 'max ms', 'samples ms'],
    latency.map((l) => [
      l.path,
      round(median(l.samplesMs), 0),
      Math.max(...l.samplesMs),
      l.samplesMs.join(' '),
    ]),
  );
} finally {
  await latencyHarness?.close();
  await latencyChain.stop();
}

await writeResult('indexer', {
  events: EVENTS,
  batchBlocks: BATCH_BLOCKS,
  backfill,
  latency: { blockTimeSeconds: 1, confirmations: CONFIRMATIONS, pollMs: POLL_MS, paths: latency },
});
process.exit(0);
