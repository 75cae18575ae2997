import { createServer } from 'node:net';
import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  startAnvil,
} from '@ppv/chain';
import { rpc } from '@ppv/chain/testing';
import { createOrm } from '@ppv/db';
import { type Address, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../deps';
import { createHarness, type Harness, TestClient } from '../../testing';
import { checkHealth } from '../health/check-health';
import { indexerStatus } from './indexer-status';
import { runIndexerPass } from './run-indexer';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);

let anvil: AnvilInstance;
let client: ChainClient;
let splitter: Address;
let h: Harness;
let deps: AppDeps;
let down: AppDeps;

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  ({ splitter } = await deployPaymentContracts(wallet, client, {
    owner: owner.address,
    invoiceSigner: DEV_ACCOUNTS[1].address,
  }));
  h = await createHarness({ chain: { client, chainId: anvil.chainId } });
  deps = {
    ...h.deps,
    config: {
      ...h.deps.config,
      money: {
        ...h.deps.config.money,
        confirmations: 2,
        payments: {
          signerKey: DEV_ACCOUNTS[1].privateKey,
          splitterAddress: splitter,
          hubPayoutWallet: DEV_ACCOUNTS[7].address,
        },
      },
      indexer: { ...h.deps.config.indexer, maxLagBlocks: 5 },
    },
  };
  const rpcUrl = `http://127.0.0.1:${await closedPort()}`;
  down = {
    ...deps,
    chain: {
      client: createChainClient({ rpcUrl, chainId: anvil.chainId, timeoutMs: 1_000 }),
      chainId: anvil.chainId,
    },
  };
  await rpc(anvil.rpcUrl, 'anvil_mine', ['0x14']);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

/** What a running job worker reports, so that /healthz sees one. */
const heartbeat = () =>
  h.db.orm.em.fork().execute(
    `INSERT INTO worker_heartbeats (worker_id, seen_at) VALUES ('indexer-status-test', now())
       ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
  );

describe('indexerStatus and /healthz', () => {
  it('is ok and unconfigured when payments are off', async () => {
    expect(await indexerStatus(h.deps)).toEqual({ configured: false, ok: true });
    expect((await checkHealth(h.deps)).indexer).toEqual({ configured: false, ok: true });
  });

  it('error: a lag beyond INDEXER_MAX_LAG_BLOCKS degrades /healthz (without failing it) until a pass catches up', async () => {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const lagging = await indexerStatus(deps);
    expect(lagging).toMatchObject({
      configured: true,
      ok: false,
      chainId: anvil.chainId,
      contract: splitter.toLowerCase(),
      headBlock: head.toString(),
      safeBlock: (head - 1n).toString(),
      cursorBlock: null,
      lagBlocks: Number(head - 1n) + 1,
      consecutiveFailures: 0,
      lastSuccessAt: null,
    });
    expect(lagging.problem).toBe(
      `${Number(head - 1n) + 1} blocks behind the newest block with 2 confirmations (more than 5)`,
    );
    await heartbeat();
    const health = await checkHealth(deps);
    expect(health).toMatchObject({
      ok: true,
      status: 'degraded',
      database: { ok: true },
      worker: { ok: true },
      chain: { ok: true },
      indexer: { ok: false },
    });

    expect((await runIndexerPass(deps))?.ok).toBe(true);
    const caughtUp = await indexerStatus(deps);
    expect(caughtUp).toMatchObject({
      ok: true,
      lagBlocks: 0,
      cursorBlock: (head - 1n).toString(),
      lastError: null,
    });
    expect(caughtUp.problem).toBeUndefined();
    expect(Date.parse(caughtUp.lastSuccessAt ?? '')).toBeGreaterThan(0);
    expect(await checkHealth(deps)).toMatchObject({ ok: true, status: 'ok', indexer: { ok: true } });
  });

  it('error: the RPC down shows as the last error with an unknown head, and clears after a pass that works', async () => {
    const failed = await runIndexerPass(down);
    expect(failed?.ok).toBe(false);
    const status = await indexerStatus(down);
    expect(status).toMatchObject({
      ok: false,
      consecutiveFailures: 1,
      lastError: failed?.error,
      lagBlocks: null,
    });
    expect(status.headBlock).toBeUndefined();
    expect(status.problem).toBe(`the last pass failed: ${failed?.error}`);
    expect(Date.parse(status.lastErrorAt ?? '')).toBeGreaterThan(0);
    expect(await checkHealth(down)).toMatchObject({
      ok: false,
      status: 'degraded',
      chain: { ok: false },
      indexer: { ok: false },
    });

    expect((await runIndexerPass(deps))?.ok).toBe(true);
    expect(await indexerStatus(deps)).toMatchObject({
      ok: true,
      consecutiveFailures: 0,
      lastError: failed?.error,
    });
  });

  it('hub admins read the same status through hub.indexer.status; a tenant admin is refused', async () => {
    h.deps.config = deps.config;
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { hubAdmin: true });
    const tenantAdmin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const status = await admin.api.hub.indexer.status();
    expect(status).toMatchObject({ configured: true, contract: splitter.toLowerCase() });
    expect(status).toEqual(await indexerStatus(deps));
    await expect(tenantAdmin.api.hub.indexer.status()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('behavior: hub.indexer.status reads the cursor in the request transaction (a one-connection pool suffices)', async () => {
    const single = await createOrm({ url: h.db.url, poolMax: 1 });
    try {
      const tenant = await h.tenant();
      const admin = await h.signedIn(tenant, { hubAdmin: true });
      const onOne = new TestClient({ ...h, deps: { ...deps, orm: single } }, tenant);
      onOne.cookies = { ...admin.cookies };
      await expect(onOne.api.hub.indexer.status()).resolves.toMatchObject({
        configured: true,
        contract: splitter.toLowerCase(),
      });
    } finally {
      await single.close(true);
    }
  }, 20_000);
});
