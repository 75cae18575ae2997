import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type AnvilInstance,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  mintTestUsd,
  startAnvil,
  TEST_WALLET_BINDING,
  testWalletHandler,
  testWalletInitScript,
} from '@ppv/chain';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { EntitlementEntity, type Tenant, TenantEntity, UserEntity, WalletEntity, withTenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import { type RunningWorker, startWorker } from '@ppv/worker';
import type { Browser, Page } from 'playwright-core';
import { createWalletClient, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startStorefrontHub } from './helpers';

const run = promisify(execFile);
const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);

let h: Harness;
let anvil: AnvilInstance;
let hub: RunningHub;
let worker: RunningWorker;
let browser: Browser;
let work: string;
let tenant: Tenant;
let stablecoin: `0x${string}`;
let paidVideo: string;

const ownerWallet = () =>
  createWalletClient({ account: owner, chain: foundry, transport: http(anvil.rpcUrl) });

beforeAll(async () => {
  anvil = await startAnvil();
  const chain = {
    client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    chainId: 31337,
  };
  h = await createHarness({ chain });
  const contracts = await deployPaymentContracts(ownerWallet(), chain.client, {
    owner: owner.address,
    invoiceSigner: privateKeyToAccount(DEV_ACCOUNTS[1].privateKey).address,
  });
  stablecoin = contracts.stablecoin;
  h.deps.config.money = {
    ...h.deps.config.money,
    payments: {
      signerKey: DEV_ACCOUNTS[1].privateKey,
      splitterAddress: contracts.splitter,
      hubPayoutWallet: DEV_ACCOUNTS[7].address,
    },
    tokens: [{ symbol: 'TUSD', address: contracts.stablecoin, decimals: 6, stable: true }],
    confirmations: 1,
  };
  work = await mkdtemp(join(tmpdir(), 'ppv-storefront-checkout-'));
  // Encrypted HLS needs WebCrypto (a secure context): the default tenant answers on 127.0.0.1.
  tenant = await h.tenant(h.deps.config.defaultTenant);
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const em = h.db.orm.em.fork();
  await em.nativeUpdate(
    TenantEntity,
    { id: tenant.id },
    { feeBps: 1000, payoutWallet: DEV_ACCOUNTS[8].address.toLowerCase() },
  );
  em.create(WalletEntity, {
    userId: creator.userId,
    address: DEV_ACCOUNTS[9].address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  hub = await startStorefrontHub(h);
  browser = await launchBrowser();

  // A clip through the real transcode task, on sale for 5 USD.
  const clip = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=6'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=6'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
  ]);
  paidVideo = randomUUID();
  const sourceKey = `${tenant.id}/${paidVideo}/source/clip.mp4`;
  await h.deps.storage.putFile(sourceKey, clip);
  await withTenant(h.db.orm, tenant.id, (tx) =>
    createVideo(
      { ...h.deps, em: tx, tenantId: tenant.id },
      {
        videoId: paidVideo,
        creatorId: creator.userId,
        metadata: {
          title: 'Knife skills, paid',
          description: 'Six seconds.',
          priceCents: 500,
          previewSeconds: 0,
        },
        source: { sourceKey, sourceBytes: 1, filename: 'clip.mp4' },
      },
    ),
  );
  const deadline = Date.now() + 150_000;
  for (;;) {
    const video = await creator.api.videos.get({ videoId: paidVideo });
    if (video.status === 'ready') break;
    if (video.status === 'error' || Date.now() > deadline) throw new Error(`transcode: ${video.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await hub?.close();
  // graphile-worker's stop() does not wait for its pool to end; let it close before the drop.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  await anvil?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const site = () => `http://127.0.0.1:${hub.port}`;

/** The watch page's <ppv-player> plays the encrypted stream under the watermark with `username`. */
async function expectPlaying(page: Page, username: string) {
  await expect
    .poll(() => page.locator('ppv-player').getAttribute('state'), { timeout: 30_000 })
    .toMatch(/playing|error|paywall|too-many-sessions/);
  const text = await page.locator('ppv-player').evaluate((el) => el.shadowRoot?.textContent ?? '');
  expect(await page.locator('ppv-player').getAttribute('state'), text).toBe('playing');
  const stream = await page.locator('ppv-player video').evaluate(async (video: HTMLVideoElement) => {
    video.muted = true;
    await video.play();
    const deadline = Date.now() + 30_000;
    while (video.currentTime < 2 && !video.ended && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    return { currentTime: video.currentTime, width: video.videoWidth, error: video.error?.code ?? null };
  });
  expect(stream.currentTime).toBeGreaterThanOrEqual(2);
  expect(stream.width).toBeGreaterThan(0);
  expect(stream.error).toBeNull();
  expect(await page.locator('ppv-player').getAttribute('state')).toBe('playing');
  expect(await page.locator('ppv-player .watermark').textContent()).toMatch(
    new RegExp(`^${username} · [A-Z0-9]{8}$`),
  );
}

async function signInWithPassword(page: Page, viewer: { username: string; password: string }) {
  await page.goto(`${site()}/sign-in?next=${encodeURIComponent(`/videos/${paidVideo}`)}`);
  await page.getByLabel('Email or username').fill(viewer.username);
  await page.getByLabel('Password').fill(viewer.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${site()}/videos/${paidVideo}`);
}

/** A browser context with an injected EIP-1193 wallet (window.ethereum + EIP-6963) over a funded anvil key. */
async function walletContext() {
  const account = privateKeyToAccount(generatePrivateKey());
  await h.deps.chain!.client.request({
    method: 'anvil_setBalance' as never,
    params: [account.address, '0xde0b6b3a7640000'] as never,
  });
  await mintTestUsd(ownerWallet(), h.deps.chain!.client, {
    token: stablecoin,
    to: account.address,
    amount: 20_000_000n,
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.exposeFunction(
    TEST_WALLET_BINDING,
    testWalletHandler(account, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
  );
  await context.addInitScript(testWalletInitScript);
  return { context, account };
}

describe('checkout on the storefront', () => {
  it('a viewer signs in with an injected wallet (SIWE), buys the video, and the watch page plays the encrypted stream with their handle', async () => {
    const { context, account } = await walletContext();
    const page = await context.newPage();
    try {
      await page.goto(`${site()}/sign-in?next=${encodeURIComponent(`/videos/${paidVideo}`)}`);
      await page.getByRole('button', { name: 'Sign in with Ethereum' }).click();
      await page.waitForURL(`${site()}/videos/${paidVideo}`);
      const em = h.db.orm.em.fork();
      const wallet = await em.findOneOrFail(WalletEntity, { address: account.address.toLowerCase() });
      const user = await em.findOneOrFail(UserEntity, { id: wallet.userId });

      await page.getByRole('button', { name: 'Buy for $5.00' }).click();
      await page.waitForURL(`${site()}/videos/${paidVideo}/watch`, { timeout: 60_000 });
      const grants = await withTenant(h.db.orm, tenant.id, (tx) =>
        tx.find(EntitlementEntity, { userId: user.id, videoId: paidVideo }),
      );
      expect(grants).toHaveLength(1);

      await expectPlaying(page, user.username);
      await screenshot(page, 'bought-with-wallet');

      // The account page lists the purchase, and this browser among the sessions.
      await page.goto(`${site()}/account`);
      const purchase = page.getByTestId('purchases').locator('li');
      expect(await purchase.count()).toBe(1);
      const row = (await purchase.textContent())?.replace(/\s+/g, ' ');
      expect(row).toContain('Knife skills, paid');
      expect(row).toContain('$5.00');
      expect(row).toContain('yours to watch for good');
      expect(await purchase.getAttribute('data-status')).toBe('active');
      expect(await page.getByTestId('sessions').textContent()).toContain('This browser');
      await screenshot(page, 'account-with-purchase');
      await screenshot(page, 'bought-with-wallet');
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a password viewer buys with a wallet their account lacks: links it (SIWE), pays and watches', async () => {
    const viewer = await h.signedIn(tenant);
    const { context, account } = await walletContext();
    const page = await context.newPage();
    try {
      await signInWithPassword(page, viewer);
      await page.getByRole('button', { name: 'Buy for $5.00' }).click();
      await page
        .getByText(
          'This wallet is not linked to your account yet. Link it by signing a message, then the purchase continues.',
        )
        .waitFor();
      expect(await viewer.api.access.check({ videoId: paidVideo })).toMatchObject({ allowed: false });
      await page.getByRole('button', { name: 'Link this wallet and buy' }).click();
      await page.waitForURL(`${site()}/videos/${paidVideo}/watch`, { timeout: 60_000 });
      expect((await viewer.api.auth.me())?.wallets.map((w) => w.address)).toEqual([
        account.address.toLowerCase(),
      ]);
      expect(await viewer.api.access.check({ videoId: paidVideo })).toMatchObject({
        allowed: true,
        grant: 'purchase',
      });
      await expectPlaying(page, viewer.username);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('error: buying with a wallet linked to another account says so and buys nothing', async () => {
    const holder = await h.signedIn(tenant);
    const viewer = await h.signedIn(tenant);
    const { context, account } = await walletContext();
    const em = h.db.orm.em.fork();
    em.create(WalletEntity, {
      userId: holder.userId,
      address: account.address.toLowerCase(),
      chainId: anvil.chainId,
    });
    await em.flush();
    const page = await context.newPage();
    try {
      await signInWithPassword(page, viewer);
      await page.getByRole('button', { name: 'Buy for $5.00' }).click();
      await page.getByRole('button', { name: 'Link this wallet and buy' }).click();
      await page
        .getByText(
          'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
        )
        .waitFor();
      expect(page.url()).toBe(`${site()}/videos/${paidVideo}`);
      expect(await page.getByRole('button', { name: 'Buy for $5.00' }).isEnabled()).toBe(true);
      expect(await viewer.api.access.check({ videoId: paidVideo })).toMatchObject({ allowed: false });
      expect((await viewer.api.auth.me())?.wallets).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('error: a signed-in viewer without a wallet in the browser is told so and nothing is bought', async () => {
    const viewer = await h.signedIn(tenant);
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${site()}/sign-in?next=${encodeURIComponent(`/videos/${paidVideo}`)}`);
      await page.getByLabel('Email or username').fill(viewer.username);
      await page.getByLabel('Password').fill(viewer.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${site()}/videos/${paidVideo}`);
      await page.getByRole('button', { name: 'Buy for $5.00' }).click();
      await page.getByText('To buy this video, use a browser with an Ethereum wallet.').waitFor();
      expect(page.url()).toBe(`${site()}/videos/${paidVideo}`);
      expect(await viewer.api.access.check({ videoId: paidVideo })).toMatchObject({ allowed: false });
    } finally {
      await context.close();
    }
  });
});
