import { createServer } from 'node:net';
import { createChainClient, DEV_ACCOUNTS } from '@ppv/chain';
import { runIndexerPass } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import type { RunningHub } from '@ppv/hub';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/index';
import { launchBrowser, screenshot, signIn, startTestConsole, startTestHub } from './helpers';

let h: Harness;
let hub: RunningHub;
let con: RunningConsole;
let browser: Browser;
const SPLITTER = `0x${'a1'.repeat(20)}` as const;

/** A local port nothing listens on: the chain node that is down. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

beforeAll(async () => {
  const rpcUrl = `http://127.0.0.1:${await closedPort()}`;
  h = await createHarness({
    chain: { client: createChainClient({ rpcUrl, chainId: 31337, timeoutMs: 2_000 }), chainId: 31337 },
  });
  h.deps.config.money = {
    ...h.deps.config.money,
    payments: {
      signerKey: DEV_ACCOUNTS[1].privateKey,
      splitterAddress: SPLITTER,
      hubPayoutWallet: DEV_ACCOUNTS[7].address,
    },
  };
  // One indexer pass against the node that does not answer: the failure is kept on the cursor.
  await runIndexerPass(h.deps);
  hub = await startTestHub(h);
  con = await startTestConsole(hub, (await h.tenant()).slug);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await con?.close();
  await hub?.close();
  await h?.close();
});

describe('hub health: the chain indexer', () => {
  it('shows the indexer’s contract, cursor, lag and last error when its node is down', async () => {
    const tenant = await h.tenant();
    const admin = await h.signedIn(tenant, { hubAdmin: true });
    const page = await signIn(browser, `http://127.0.0.1:${con.port}`, admin, tenant.slug);
    expect((await page.goto(`http://127.0.0.1:${con.port}/hub/health`))?.status()).toBe(200);
    const indexer = page.getByTestId('indexer');
    expect(await indexer.locator('h2').textContent()).toContain('needs attention');
    expect(await indexer.textContent()).toContain(SPLITTER);
    expect(await page.getByTestId('indexer-cursor').textContent()).toBe('nothing indexed yet');
    expect(await page.getByTestId('indexer-lag').textContent()).toContain('unknown');
    const status = await admin.api.hub.indexer.status();
    expect(status).toMatchObject({ configured: true, ok: false, consecutiveFailures: 1 });
    expect(status.lastError).toEqual(expect.any(String));
    expect(await page.getByTestId('indexer-error').textContent()).toContain(`${status.lastError}`);
    expect(await page.getByTestId('indexer-error').textContent()).toContain('1 in a row');
    expect(await page.getByTestId('indexer-problem').textContent()).toBe(status.problem);
    // The job queue stays next to it.
    expect(await page.getByTestId('pending-jobs').count()).toBe(1);
    await screenshot(page, 'hub-health-indexer');
  });
});
