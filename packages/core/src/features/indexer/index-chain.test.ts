import { createServer } from 'node:net';
import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  startAnvil,
} from '@ppv/chain';
import { payInvoicesInBulk, rpc } from '@ppv/chain/testing';
import { findChainCursor } from '@ppv/db';
import pg from 'pg';
import { type Address, createPublicClient, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import {
  BATCH_TARGET_EVENTS,
  type IndexChainInput,
  indexChain,
  nextSpan,
  type OrphanedRange,
  type PaidEventHandlers,
} from './index-chain';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const payer = DEV_ACCOUNTS[2].address;
const recipients = {
  creator: DEV_ACCOUNTS[5].address,
  tenant: DEV_ACCOUNTS[6].address,
  hub: DEV_ACCOUNTS[7].address,
};

let anvil: AnvilInstance;
let client: ChainClient;
let h: Harness;

/**
 * The handlers store what they are given in a table of this test database (created by its owner):
 * a second delivery of the same (tx, log index) violates its primary key and fails the batch.
 */
const revoked: OrphanedRange[] = [];
const handlers: PaidEventHandlers = {
  async record(em, events, chainId) {
    await em.execute(
      `INSERT INTO indexed_paid (chain_id, contract, tx_hash, log_index, block_number, block_hash, invoice_id)
       SELECT ?, e.contract, e.tx_hash, e.log_index, e.block_number, e.block_hash, e.invoice_id
         FROM jsonb_to_recordset(?::jsonb)
           AS e(contract text, tx_hash text, log_index int, block_number bigint, block_hash text, invoice_id text)`,
      [
        chainId,
        JSON.stringify(
          events.map((e) => ({
            contract: e.address.toLowerCase(),
            tx_hash: e.transactionHash,
            log_index: e.logIndex,
            block_number: e.blockNumber.toString(),
            block_hash: e.blockHash,
            invoice_id: e.invoiceId,
          })),
        ),
      ],
    );
  },
  async revoke(em, range) {
    revoked.push(range);
    await em.execute(
      'DELETE FROM indexed_paid WHERE chain_id = ? AND contract = ? AND block_number BETWEEN ?::bigint AND ?::bigint',
      [range.chainId, range.contract, range.fromBlock.toString(), range.toBlock.toString()],
    );
  },
};

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  h = await createHarness({ chain: { client, chainId: anvil.chainId } });
  const admin = new pg.Client({ connectionString: h.db.url });
  await admin.connect();
  await admin.query(`CREATE TABLE indexed_paid (
    chain_id integer, contract text, tx_hash text, log_index integer, block_number bigint, block_hash text,
    invoice_id text, PRIMARY KEY (chain_id, tx_hash, log_index));
    GRANT SELECT, INSERT, DELETE ON indexed_paid TO ppv_app`);
  await admin.end();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

async function freshSplitter(): Promise<Address> {
  const w = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  const { splitter } = await deployPaymentContracts(w, client, {
    owner: owner.address,
    invoiceSigner: signer.address,
  });
  return splitter;
}

const pay = (splitter: Address, count: number, perBlock?: number) =>
  payInvoicesInBulk({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    splitter,
    signer,
    payer,
    count,
    recipients,
    ...(perBlock !== undefined && { perBlock }),
  });

const input = (contract: Address, overrides: Partial<IndexChainInput> = {}): IndexChainInput => ({
  contract,
  // The block itself and one on top.
  confirmations: 2,
  indexer: { batchBlocks: 5, startBlock: 0, reorgDepth: 64 },
  ...overrides,
});

const deps = (extra: { handlers?: PaidEventHandlers; client?: ChainClient } = {}) => ({
  orm: h.db.orm,
  logger: h.deps.logger,
  chain: { client: extra.client ?? client, chainId: anvil.chainId },
  handlers: extra.handlers ?? handlers,
});

async function stored(contract: Address) {
  return h.db.orm.em
    .fork()
    .execute<{ tx_hash: string; log_index: number; block_number: string; invoice_id: string }[]>(
      'SELECT tx_hash, log_index, block_number::text AS block_number, invoice_id FROM indexed_paid WHERE contract = ? ORDER BY indexed_paid.block_number, log_index',
      [contract.toLowerCase()],
    );
}

const cursorOf = (contract: Address) =>
  findChainCursor(h.db.orm.em.fork(), { chainId: anvil.chainId, contract: contract.toLowerCase() });

const mine = (blocks: number) => rpc(anvil.rpcUrl, 'anvil_mine', [`0x${blocks.toString(16)}`]);
const head = () => client.getBlockNumber({ cacheTime: 0 });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('indexChain', () => {
  it('backfills every Paid event of many blocks, batch by batch, up to the newest block with the confirmations', async () => {
    const splitter = await freshSplitter();
    const payments = await pay(splitter, 600, 20);
    await mine(1);
    const result = await indexChain(deps(), input(splitter));

    expect(result).toMatchObject({ ok: true, caughtUp: true, events: 600, reorgs: [] });
    expect(result.batches).toBeGreaterThan(1);
    expect(result.cursor).toBe((await head()) - 1n);
    const rows = await stored(splitter);
    expect(rows.map((r) => r.tx_hash).sort()).toEqual(payments.map((p) => p.transactionHash).sort());
    expect(new Set(rows.map((r) => r.invoice_id)).size).toBe(600);
    const cursor = await cursorOf(splitter);
    expect(cursor).toMatchObject({ blockNumber: result.cursor, consecutiveFailures: 0, lastError: null });
    expect(cursor?.lastSuccessAt).toBeInstanceOf(Date);
    const blocks = await h.db.orm.em
      .fork()
      .execute<{ number: string; hash: string }[]>(
        'SELECT number::text AS number, hash FROM chain_blocks WHERE chain_id = ?',
        [anvil.chainId],
      );
    const byNumber = new Map(blocks.map((b) => [BigInt(b.number), b.hash]));
    for (const p of payments) {
      expect(byNumber.get(p.blockNumber)).toBe((await client.getBlock({ blockNumber: p.blockNumber })).hash);
    }
    expect(byNumber.get(cursor!.blockNumber!)).toBe(cursor?.blockHash);
  });

  it('leaves the newest blocks alone until they have the configured confirmations (their own inclusion counts)', async () => {
    const splitter = await freshSplitter();
    const [payment] = await pay(splitter, 1);
    const first = await indexChain(deps(), input(splitter, { confirmations: 3 }));
    expect(first).toMatchObject({ ok: true, caughtUp: true, events: 0, cursor: payment!.blockNumber - 2n });
    expect(await stored(splitter)).toEqual([]);

    await mine(1);
    expect(await indexChain(deps(), input(splitter, { confirmations: 3 }))).toMatchObject({
      events: 0,
      cursor: payment!.blockNumber - 1n,
    });
    await mine(1);
    const third = await indexChain(deps(), input(splitter, { confirmations: 3 }));
    expect(third).toMatchObject({ events: 1, cursor: payment!.blockNumber });
    expect((await stored(splitter)).map((r) => r.tx_hash)).toEqual([payment!.transactionHash]);

    // With one confirmation the block that holds the payment is enough: an idle chain is indexed to its head.
    const [next] = await pay(splitter, 1);
    expect(await indexChain(deps(), input(splitter, { confirmations: 1 }))).toMatchObject({
      events: 1,
      cursor: next!.blockNumber,
    });
  });

  it('behavior: a pass stopped between batches and a batch that failed mid-transaction resume with no gap and no duplicate', async () => {
    const splitter = await freshSplitter();
    const indexer = { batchBlocks: 5, startBlock: Number(await head()), reorgDepth: 64 };
    const payments = await pay(splitter, 400, 20);
    await mine(1);

    const partial = await indexChain(deps(), input(splitter, { indexer, maxBatches: 1 }));
    expect(partial).toMatchObject({ ok: true, batches: 1, caughtUp: false });
    const afterFirst = (await stored(splitter)).length;
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThan(400);

    // The next batch's handler stores its events, then the process "dies" before the commit. The
    // batch after it, written at the same time, must not commit either: the cursor never moved.
    const next = payments.map((p) => p.blockNumber).find((n) => n > partial.cursor!)!;
    const crashing: PaidEventHandlers = {
      ...handlers,
      async record(em, events, chainId, range) {
        await handlers.record(em, events, chainId, range);
        if (events[0]?.blockNumber === next) throw new Error('worker killed mid-batch');
      },
    };
    const crashed = await indexChain(deps({ handlers: crashing }), input(splitter, { indexer }));
    expect(crashed).toMatchObject({ ok: false, error: 'worker killed mid-batch', batches: 0 });
    expect((await stored(splitter)).length).toBe(afterFirst);
    expect((await cursorOf(splitter))?.blockNumber).toBe(partial.cursor);

    const resumed = await indexChain(deps(), input(splitter, { indexer }));
    expect(resumed).toMatchObject({ ok: true, caughtUp: true, events: 400 - afterFirst });
    const rows = await stored(splitter);
    expect(rows.map((r) => r.tx_hash).sort()).toEqual(payments.map((p) => p.transactionHash).sort());
    expect((await cursorOf(splitter))?.consecutiveFailures).toBe(0);
  });

  it('behavior: two batches written at once commit in order, and a deadlock between them is retried one batch at a time', async () => {
    const splitter = await freshSplitter();
    const indexer = { batchBlocks: 1, startBlock: Number(await head()) + 1, reorgDepth: 64 };
    const payments = await pay(splitter, 60, 20);
    await mine(1);
    const [a, b] = [...new Set(payments.map((p) => p.blockNumber))].sort((x, y) => (x < y ? -1 : 1));
    // Block a's batch waits for a lock that block b's batch (written alongside) takes first, while
    // b's waits for the cursor a's holds: PostgreSQL breaks the cycle by failing one of them.
    const calls: bigint[] = [];
    const contended: PaidEventHandlers = {
      ...handlers,
      async record(em, events, chainId, range) {
        const block = events[0]?.blockNumber;
        if (block !== undefined) calls.push(block);
        if (block === a) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          await em.execute('SELECT pg_advisory_xact_lock(4242)');
        } else if (block === b) {
          await em.execute('SELECT pg_advisory_xact_lock(4242)');
        }
        await handlers.record(em, events, chainId, range);
      },
    };
    const result = await indexChain(deps({ handlers: contended }), input(splitter, { indexer }));
    expect(result).toMatchObject({ ok: true, caughtUp: true, events: 60 });
    expect(result.cursor).toBe((await head()) - 1n);
    // One of the pair was written a second time, alone.
    expect(calls.filter((n) => n === a || n === b).length).toBe(3);
    const rows = await stored(splitter);
    expect(rows.map((r) => r.tx_hash).sort()).toEqual(payments.map((p) => p.transactionHash).sort());
    expect((await cursorOf(splitter))?.consecutiveFailures).toBe(0);
  }, 30_000);

  it('behavior: a reorganisation that removes a paid block revokes exactly the orphaned blocks and reads the new ones', async () => {
    const splitter = await freshSplitter();
    const [kept] = await pay(splitter, 1);
    const snapshot = await rpc<string>(anvil.rpcUrl, 'evm_snapshot');
    const [orphan] = await pay(splitter, 1);
    await mine(3);
    const before = await indexChain(deps(), input(splitter));
    expect(before.events).toBe(2);
    const oldCursor = before.cursor!;

    // The chain after the snapshot is replaced by a longer one without the second payment.
    await rpc(anvil.rpcUrl, 'evm_revert', [snapshot]);
    await mine(2);
    const [replacement] = await pay(splitter, 1);
    await mine(3);
    revoked.length = 0;
    const after = await indexChain(deps(), input(splitter));

    expect(after.ok).toBe(true);
    const range = {
      chainId: anvil.chainId,
      contract: splitter.toLowerCase(),
      fromBlock: kept!.blockNumber + 1n,
      toBlock: oldCursor,
    };
    expect(after.reorgs).toEqual([range]);
    expect(revoked).toEqual([range]);
    expect(orphan!.blockNumber).toBeGreaterThanOrEqual(range.fromBlock);
    const txs = (await stored(splitter)).map((r) => r.tx_hash);
    expect(txs).toEqual([kept!.transactionHash, replacement!.transactionHash]);
    expect(txs).not.toContain(orphan!.transactionHash);
    expect((await cursorOf(splitter))?.blockHash).toBe(
      (await client.getBlock({ blockNumber: after.cursor! })).hash,
    );
  });

  it('behavior: a range whose logs exceed what the node answers is read in smaller ranges', async () => {
    const splitter = await freshSplitter();
    const indexer = { batchBlocks: 50, startBlock: Number(await head()), reorgDepth: 64 };
    const payments = await pay(splitter, 300, 100);
    await mine(1);
    // About 1.6 kB per Paid log: one block of 100 fits in 200 kB, two do not.
    const small = createPublicClient({
      chain: client.chain,
      transport: http(anvil.rpcUrl, { maxResponseBodySize: 200_000 }),
    });
    const result = await indexChain(deps({ client: small }), input(splitter, { indexer }));
    expect(result).toMatchObject({ ok: true, caughtUp: true, events: 300 });
    expect(result.batches).toBeGreaterThanOrEqual(3);
    expect((await stored(splitter)).map((r) => r.tx_hash).sort()).toEqual(
      payments.map((p) => p.transactionHash).sort(),
    );
  });

  it('error: the RPC down is counted on the cursor and a later pass recovers from where it stopped', async () => {
    const splitter = await freshSplitter();
    await pay(splitter, 3);
    await mine(1);
    const down = createChainClient({
      rpcUrl: `http://127.0.0.1:${await closedPort()}`,
      chainId: anvil.chainId,
      timeoutMs: 1_000,
    });

    const failed = await indexChain(deps({ client: down }), input(splitter));
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/ECONNREFUSED|fetch failed|HTTP request failed/);
    await indexChain(deps({ client: down }), input(splitter));
    const failing = await cursorOf(splitter);
    expect(failing).toMatchObject({ blockNumber: null, consecutiveFailures: 2, lastSuccessAt: null });
    expect(failing?.lastError).toBe(failed.error);
    expect(failing?.lastErrorAt).toBeInstanceOf(Date);

    const recovered = await indexChain(deps(), input(splitter));
    expect(recovered).toMatchObject({ ok: true, events: 3, caughtUp: true });
    const healthy = await cursorOf(splitter);
    expect(healthy).toMatchObject({ consecutiveFailures: 0, lastError: failed.error });
    expect(healthy?.lastSuccessAt).toBeInstanceOf(Date);
  });
});

describe('nextSpan', () => {
  it('scales a dense batch down to the target, doubles a sparse one up to the maximum, keeps one on target', () => {
    expect(nextSpan(50n, 50n, 5_000, 2_000n)).toBe((50n * BigInt(BATCH_TARGET_EVENTS)) / 5_000n);
    expect(nextSpan(16n, 16n, 0, 2_000n)).toBe(32n);
    expect(nextSpan(1_500n, 1_500n, 10, 2_000n)).toBe(2_000n);
    expect(nextSpan(20n, 20n, BATCH_TARGET_EVENTS, 2_000n)).toBe(20n);
    expect(nextSpan(1n, 1n, 50_000, 2_000n)).toBe(1n);
    expect(nextSpan(4_000n, 10n, 1_500, 2_000n)).toBe(2_000n);
  });
});
