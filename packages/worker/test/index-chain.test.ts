import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  startAnvil,
} from '@ppv/chain';
import { payInvoicesInBulk } from '@ppv/chain/testing';
import type { IndexChainResult } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { findChainCursor, withHubScope } from '@ppv/db';
import pg from 'pg';
import { type Address, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../src/index';
import { MAX_RETRY_DELAY_MS, nextPassDelayMs } from '../src/tasks/index-chain';
import { waiter } from './wait-for';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const recipients = {
  creator: DEV_ACCOUNTS[5].address,
  tenant: DEV_ACCOUNTS[6].address,
  hub: DEV_ACCOUNTS[7].address,
};

let anvil: AnvilInstance;
let client: ChainClient;
let splitter: Address;
let h: Harness;
const waitFor = waiter(20_000, 100);

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
      confirmations: 0,
      payments: {
        signerKey: DEV_ACCOUNTS[1].privateKey,
        splitterAddress: splitter,
        hubPayoutWallet: recipients.hub,
      },
    },
    indexer: { ...h.deps.config.indexer, pollIntervalMs: 200 },
  };
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

const pay = (count: number) =>
  payInvoicesInBulk({
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    splitter,
    signer,
    payer: DEV_ACCOUNTS[2].address,
    count,
    recipients,
  });

/** Payments recorded for these transactions (unknown invoices here: recorded for admins, never dropped). */
const recorded = (txs: string[]) =>
  withHubScope(h.db.orm, (em) =>
    em.execute<{ tx_hash: string; status: string }[]>(
      "SELECT tx_hash, status FROM payments WHERE tx_hash = ANY(string_to_array(?, ','))",
      [txs.map((t) => t.toLowerCase()).join(',')],
    ),
  );

const withWorker = async (fn: () => Promise<void>) => {
  const worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 100,
  });
  try {
    await fn();
  } finally {
    await worker.stop();
  }
};

describe('index_chain task', () => {
  it('starts with the worker when payments are configured and keeps indexing new payments, also after a restart', async () => {
    const first = await pay(3);
    await withWorker(async () => {
      const txs = first.map((p) => p.transactionHash);
      const rows = await waitFor(async () => {
        const found = await recorded(txs);
        return found.length === 3 ? found : undefined;
      }, 'the first payments');
      expect(rows.map((r) => r.status)).toEqual(['unknown_invoice', 'unknown_invoice', 'unknown_invoice']);
      const second = await pay(2);
      await waitFor(
        async () => ((await recorded(second.map((p) => p.transactionHash))).length === 2 ? true : undefined),
        'payments made while the worker runs',
      );
    });
    const whileStopped = await pay(2);
    await withWorker(async () => {
      await waitFor(
        async () =>
          (await recorded(whileStopped.map((p) => p.transactionHash))).length === 2 ? true : undefined,
        'payments made while no worker ran',
      );
    });
    const cursor = await findChainCursor(h.db.orm.em.fork(), {
      chainId: anvil.chainId,
      contract: splitter.toLowerCase(),
    });
    expect(cursor).toMatchObject({ consecutiveFailures: 0, lastError: null });
    // One pending pass is left for the next worker, under the one job key.
    const admin = new pg.Client({ connectionString: h.db.url });
    await admin.connect();
    const jobs = await admin.query<{ key: string | null }>(
      "SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'index_chain'",
    );
    await admin.end();
    expect(jobs.rows).toEqual([{ key: 'index_chain' }]);
  });

  it('runs again at once while behind, after the poll interval once caught up, and backs off doubling on failures', () => {
    const result = (r: Partial<IndexChainResult>): IndexChainResult => ({
      ok: true,
      head: 10n,
      safeHead: 9n,
      cursor: 9n,
      batches: 1,
      events: 0,
      reorgs: [],
      caughtUp: true,
      consecutiveFailures: 0,
      ...r,
    });
    expect(nextPassDelayMs(result({ caughtUp: false }), 2_000)).toBe(0);
    expect(nextPassDelayMs(result({}), 2_000)).toBe(2_000);
    expect(nextPassDelayMs(result({ ok: false, consecutiveFailures: 1 }), 2_000)).toBe(2_000);
    expect(nextPassDelayMs(result({ ok: false, consecutiveFailures: 3 }), 2_000)).toBe(8_000);
    expect(nextPassDelayMs(result({ ok: false, consecutiveFailures: 30 }), 2_000)).toBe(MAX_RETRY_DELAY_MS);
  });
});
