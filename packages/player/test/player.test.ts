import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
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
import { createHarness, type Harness, PASSWORD } from '@ppv/core/testing';
import { type Tenant, TenantEntity, WalletEntity } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createWalletClient, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, startEmbedSite, uploadAndTranscode } from './fixtures';

const run = promisify(execFile);
const playerDir = new URL('..', import.meta.url).pathname;
const screenshots = join(playerDir, 'test-results');

let h: Harness;
let anvil: AnvilInstance;
let hub: RunningHub;
let worker: RunningWorker;
let work: string;
let embed: { server: Server; origin: string };
let browser: Browser;
let tenant: Tenant;
let creator: Awaited<ReturnType<Harness['signedIn']>>;
let paid: string;
let stablecoin: `0x${string}`;
const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const ownerWallet = () =>
  createWalletClient({ account: owner, chain: foundry, transport: http(anvil.rpcUrl) });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ppv-player-'));
  // The browser bundle exactly as published (shaka-player and the SDK inside).
  await run(join(playerDir, '../../node_modules/.bin/tsup'), ['--out-dir', join(work, 'dist')], {
    cwd: playerDir,
  });
  embed = await startEmbedSite(join(work, 'dist', 'ppv-player.js'));
  anvil = await startAnvil();
  h = await createHarness({
    chain: { client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }), chainId: 31337 },
  });
  tenant = await h.tenant();
  const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
  await admin.api.tenant.update({
    corsOrigins: [embed.origin],
    displayCurrency: 'IDR',
    displayRate: '17000',
  });
  creator = await h.signedIn(tenant, { role: 'creator' });
  // Payments on anvil: the splitter and TestUSD, the tenant's and the creator's payout wallets.
  const contracts = await deployPaymentContracts(ownerWallet(), h.deps.chain!.client, {
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
  const em = h.db.orm.em.fork();
  await em.nativeUpdate(
    TenantEntity,
    { id: tenant.id },
    { payoutWallet: DEV_ACCOUNTS[8].address.toLowerCase() },
  );
  em.create(WalletEntity, {
    userId: creator.userId,
    address: DEV_ACCOUNTS[9].address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  const clip = await makeClip(work, 6);
  paid = await uploadAndTranscode(hubUrl(), tenant, creator, clip, {
    title: 'Knots for sailors',
    priceCents: 500,
    previewSeconds: 2,
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
      ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  await mkdir(screenshots, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await hub?.close();
  embed?.server.close();
  // graphile-worker's stop() does not wait for its pool to end (see apps/hub/test/media.test.ts).
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  await anvil?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The hub as the browser reaches it: an address, not the tenant's host; the tenant comes by slug. */
const hubUrl = () => `http://127.0.0.1:${hub.port}`;

async function openPlayer(videoId: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 760, height: 640 } });
  const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: videoId });
  await page.goto(`${embed.origin}/?${params}`);
  return page;
}

const waitForState = (page: Page, state: string) =>
  page.waitForFunction((s) => document.querySelector('ppv-player')?.getAttribute('state') === s, state, {
    timeout: 30_000,
  });

/** Text inside the player's shadow root. */
const shadowText = (page: Page) =>
  page.evaluate(() => document.querySelector('ppv-player')!.shadowRoot!.textContent ?? '');

const videoTime = (page: Page) =>
  page.evaluate(() => document.querySelector('ppv-player')!.shadowRoot!.querySelector('video')!.currentTime);

const events = (page: Page) =>
  page.evaluate(() => (window as unknown as { events: { name: string; detail: unknown }[] }).events);

async function waitForPlayback(page: Page, seconds: number) {
  await page.waitForFunction(
    (s) => (document.querySelector('ppv-player')!.shadowRoot!.querySelector('video')?.currentTime ?? 0) > s,
    seconds,
    { timeout: 30_000 },
  );
}

async function signIn(page: Page, login: string) {
  await page.getByLabel('Email or username').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
}

describe('<ppv-player>', () => {
  it('shows a signed-out viewer the poster, title, both prices and the paywall with sign-in', async () => {
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    const text = await shadowText(page);
    expect(text).toContain('Knots for sailors');
    expect(text).toContain('$5.00');
    expect(text).toContain('IDR');
    expect(text).toContain('85,000');
    expect(text).toContain('Sign in to watch this video');
    await expect(page.getByRole('button', { name: 'Watch the free preview' }).isVisible()).resolves.toBe(
      true,
    );
    const poster = await page.evaluate(() => {
      const img = document.querySelector('ppv-player')!.shadowRoot!.querySelector('img')!;
      return { visible: !img.hidden, width: img.naturalWidth };
    });
    expect(poster).toEqual({ visible: true, width: 320 });
    await page.screenshot({ path: join(screenshots, 'paywall.png') });
    await page.close();
  });

  it('plays the free preview to a signed-out viewer', async () => {
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await page.getByRole('button', { name: 'Watch the free preview' }).click();
    await waitForState(page, 'preview');
    await waitForPlayback(page, 0.5);
    expect(await shadowText(page)).toContain('Free preview');
    await page.close();
  });

  it('an allowlisted viewer signs in and watches the encrypted stream under the moving watermark, which comes back when removed', async () => {
    const viewer = await h.signedIn(tenant);
    await creator.api.videos.access.grant({ videoId: paid, who: viewer.username });
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await waitForState(page, 'ready');
    // Keyboard only: the Play button has focus after signing in.
    await page.keyboard.press('Enter');
    await waitForState(page, 'playing');
    await waitForPlayback(page, 1.5);
    const watermark = () =>
      page.evaluate(
        () => document.querySelector('ppv-player')!.shadowRoot!.querySelector('.watermark')?.textContent,
      );
    const [session] = await viewer.api.playback.sessions();
    expect(await watermark()).toBe(`${viewer.username} · ${session!.code}`);
    await page.screenshot({ path: join(screenshots, 'playing.png') });

    await page.evaluate(() =>
      document.querySelector('ppv-player')!.shadowRoot!.querySelector('.watermark')!.remove(),
    );
    await page.waitForFunction(
      () => !!document.querySelector('ppv-player')!.shadowRoot!.querySelector('.watermark'),
      undefined,
      { timeout: 10_000 },
    );
    expect(await watermark()).toBe(`${viewer.username} · ${session!.code}`);
    const before = await videoTime(page);
    await page.waitForFunction(
      (t) => document.querySelector('ppv-player')!.shadowRoot!.querySelector('video')!.currentTime > t,
      before,
    );
    expect((await events(page)).filter((e) => e.name === 'ppv-error')).toEqual([]);
    await page.close();
  });

  it('pauses when the watermark cannot be drawn', async () => {
    const viewer = await h.signedIn(tenant);
    await creator.api.videos.access.grant({ videoId: paid, who: viewer.username });
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await waitForState(page, 'ready');
    await page.getByRole('button', { name: /^Play/ }).click();
    await waitForPlayback(page, 0.5);
    // A style sheet that hides every watermark the player draws.
    await page.evaluate(() => {
      const root = document.querySelector('ppv-player')!.shadowRoot!;
      const style = document.createElement('style');
      style.textContent = '.watermark { display: none !important; }';
      root.append(style);
    });
    await waitForState(page, 'paused-watermark');
    expect(
      await page.evaluate(
        () => document.querySelector('ppv-player')!.shadowRoot!.querySelector('video')!.paused,
      ),
    ).toBe(true);
    expect(await shadowText(page)).toContain(
      'Playback is paused because the viewer watermark could not be shown.',
    );
    await page.close();
  });

  it('with a wallet on the page, the paywall signs in with Ethereum (SIWE), then asks the new account to pay', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const page = await browser.newPage();
    // An injected EIP-1193 wallet whose key stays in the test: the page asks, Node signs.
    await page.exposeFunction('signWithTestWallet', (hex: `0x${string}`) =>
      account.signMessage({ message: { raw: hex } }),
    );
    await page.addInitScript((address) => {
      const sign = (window as unknown as { signWithTestWallet(h: string): Promise<string> })
        .signWithTestWallet;
      (window as unknown as { ethereum: unknown }).ethereum = {
        request: async ({ method, params }: { method: string; params: string[] }) =>
          method === 'eth_requestAccounts' ? [address] : method === 'personal_sign' ? sign(params[0]!) : null,
      };
    }, account.address);
    const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'paywall');
    await page.getByRole('button', { name: 'Sign in with a wallet' }).click();
    await page.getByRole('button', { name: 'Buy with wallet' }).waitFor();
    expect((await events(page)).map((e) => e.name)).toContain('ppv-signed-in');
    const wallets = await h.db.orm.em
      .fork()
      .getConnection()
      .execute('SELECT address FROM wallets WHERE lower(address) = lower(?)', [account.address]);
    expect(wallets).toHaveLength(1);
    await page.close();
  });

  it('buys with an EIP-6963 wallet on another site: signs in with SIWE, pays on anvil, then plays under the watermark', async () => {
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
    const page = await browser.newPage({ viewport: { width: 760, height: 640 } });
    await page.exposeFunction(
      TEST_WALLET_BINDING,
      testWalletHandler(account, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    );
    await page.addInitScript(testWalletInitScript);
    const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'paywall');
    await page.getByRole('button', { name: 'Sign in with a wallet' }).click();
    await page.getByRole('button', { name: 'Buy with wallet' }).waitFor();
    const text = await shadowText(page);
    expect(text.replace(/\s/g, ' ')).toContain('$5.00 (IDR 85,000) · 5 TUSD');
    await page.getByRole('button', { name: 'Buy with wallet' }).click();
    await waitForState(page, 'playing');
    await waitForPlayback(page, 1);
    expect(await events(page)).not.toContainEqual(expect.objectContaining({ name: 'ppv-error' }));
    const overlay = await page.evaluate(
      () => document.querySelector('ppv-player')!.shadowRoot!.querySelector('.watermark')?.textContent ?? '',
    );
    const [viewer] = await h.db.orm.em
      .fork()
      .getConnection()
      .execute(
        'SELECT u.username FROM wallets w JOIN users u ON u.id = w.user_id WHERE w.address = lower(?)',
        [account.address],
      );
    expect(overlay).toContain(viewer?.username ?? '(no viewer)');
    await page.screenshot({ path: join(screenshots, 'player-bought-with-wallet.png') });
    await page.close();
  });

  it('a password viewer buying with a wallet their account lacks links it (SIWE), pays, and with autoplay plays at once next time', async () => {
    const viewer = await h.signedIn(tenant);
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
    const page = await browser.newPage({ viewport: { width: 760, height: 640 } });
    await page.exposeFunction(
      TEST_WALLET_BINDING,
      testWalletHandler(account, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    );
    await page.addInitScript(testWalletInitScript);
    const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await page.getByRole('button', { name: 'Buy with wallet' }).click();
    await page
      .getByText(
        'This wallet is not linked to your account yet. Link it by signing a message, then the purchase continues.',
      )
      .waitFor();
    // Buy again before linking: still one offer to link.
    await page.getByRole('button', { name: 'Buy with wallet' }).click();
    await page.getByRole('button', { name: 'Buy with wallet' }).and(page.locator(':enabled')).waitFor();
    expect(await page.getByRole('button', { name: 'Link this wallet and buy' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Link this wallet and buy' }).click();
    await waitForState(page, 'playing');
    expect((await viewer.api.auth.me())?.wallets.map((w) => w.address)).toEqual([
      account.address.toLowerCase(),
    ]);
    expect(await viewer.api.access.check({ videoId: paid })).toMatchObject({
      allowed: true,
      grant: 'purchase',
    });

    // Bought: with autoplay the player starts the session without waiting for Play.
    params.set('autoplay', '1');
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'playing');
    await waitForPlayback(page, 1);
    expect(await events(page)).not.toContainEqual(expect.objectContaining({ detail: 'ready' }));
    await page.close();
  });

  it('error: buying with a wallet linked to another account says so and buys nothing', async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const holder = await h.signedIn(tenant);
    await h.db.orm.em
      .fork()
      .getConnection()
      .execute('INSERT INTO wallets (user_id, address, chain_id) VALUES (?, lower(?), ?)', [
        holder.userId,
        owner.address,
        anvil.chainId,
      ]);
    const viewer = await h.signedIn(tenant);
    const page = await browser.newPage({ viewport: { width: 760, height: 640 } });
    await page.exposeFunction(
      TEST_WALLET_BINDING,
      testWalletHandler(owner, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    );
    await page.addInitScript(testWalletInitScript);
    const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await page.getByRole('button', { name: 'Buy with wallet' }).click();
    await page.getByRole('button', { name: 'Link this wallet and buy' }).click();
    await page
      .getByText(
        'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
      )
      .waitFor();
    expect(await viewer.api.access.check({ videoId: paid })).toMatchObject({ allowed: false });
    expect((await viewer.api.auth.me())?.wallets).toEqual([]);
    await page.close();
  });

  it('error: a wallet that refuses the payment leaves the paywall with a plain message and nothing paid', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const page = await browser.newPage();
    const handler = testWalletHandler(account, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
    await page.exposeFunction(TEST_WALLET_BINDING, (method: string, params: unknown[]) => {
      if (method === 'eth_sendTransaction') throw new Error('User rejected the request.');
      return handler(method, params);
    });
    await page.addInitScript(testWalletInitScript);
    await h.deps.chain!.client.request({
      method: 'anvil_setBalance' as never,
      params: [account.address, '0xde0b6b3a7640000'] as never,
    });
    await mintTestUsd(ownerWallet(), h.deps.chain!.client, {
      token: stablecoin,
      to: account.address,
      amount: 20_000_000n,
    });
    const params = new URLSearchParams({ hub: hubUrl(), tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'paywall');
    await page.getByRole('button', { name: 'Sign in with a wallet' }).click();
    await page.getByRole('button', { name: 'Buy with wallet' }).click();
    await page.getByText('You cancelled in your wallet. Nothing was paid.').waitFor();
    expect(await page.getByRole('button', { name: 'Buy with wallet' }).isEnabled()).toBe(true);
    expect(await page.evaluate(() => document.querySelector('ppv-player')!.getAttribute('state'))).toBe(
      'paywall',
    );
    await page.close();
  });

  it('a viewer who has to pay gets a Buy button that emits ppv-checkout, and no pretend purchase', async () => {
    const viewer = await h.signedIn(tenant);
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await page.getByRole('button', { name: 'Buy a view' }).waitFor();
    expect(await shadowText(page)).toContain('This video is pay-per-view: buy a view to watch it');
    await page.getByRole('button', { name: 'Buy a view' }).click();
    expect((await events(page)).filter((e) => e.name === 'ppv-checkout')).toEqual([
      { name: 'ppv-checkout', detail: paid },
    ]);
    expect(await shadowText(page)).toContain(
      'To buy this video, open this page in a browser with an Ethereum wallet.',
    );
    expect(await page.evaluate(() => document.querySelector('ppv-player')!.getAttribute('state'))).toBe(
      'paywall',
    );
    await page.close();
  });

  it('error: a viewer the creator blocked is told so, with nothing to buy', async () => {
    const viewer = await h.signedIn(tenant);
    await creator.api.blocks.add({ who: viewer.username });
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await waitForState(page, 'error');
    expect(await shadowText(page)).toContain('The creator of this video has blocked you');
    expect(await page.getByRole('button', { name: 'Buy a view' }).count()).toBe(0);
    await page.close();
  });

  it('too many sessions: offers to end the oldest, then plays', async () => {
    const viewer = await h.signedIn(tenant);
    await creator.api.videos.access.grant({ videoId: paid, who: viewer.username });
    for (let i = 0; i < h.deps.config.media.maxPlaybackSessions; i++)
      await viewer.api.playback.start({ videoId: paid });
    const page = await openPlayer(paid);
    await waitForState(page, 'paywall');
    await signIn(page, viewer.username);
    await page.getByRole('button', { name: /^Play/ }).click();
    await waitForState(page, 'too-many-sessions');
    expect(await shadowText(page)).toContain('You are watching on too many screens');
    await page.getByRole('button', { name: 'End my oldest session and watch here' }).click();
    await waitForState(page, 'playing');
    await waitForPlayback(page, 0.5);
    expect((await viewer.api.playback.sessions()).length).toBe(h.deps.config.media.maxPlaybackSessions);
    await page.close();
  });

  it('error: a hub attribute that is not a web address says so', async () => {
    const page = await browser.newPage();
    const params = new URLSearchParams({ hub: 'videos dot example', tenant: tenant.slug, video: paid });
    await page.goto(`${embed.origin}/?${params}`);
    await waitForState(page, 'error');
    expect(await shadowText(page)).toContain(
      "The player's hub attribute is not a web address: videos dot example",
    );
    await page.close();
  });

  it('error: a video that does not exist says so in plain words', async () => {
    const page = await openPlayer(crypto.randomUUID());
    await waitForState(page, 'error');
    expect(await shadowText(page)).toContain('This video does not exist, or it is not ready to watch yet.');
    await page.close();
  });
});
