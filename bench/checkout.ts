/**
 * Buy to first frame: in Chromium, a signed-in viewer presses "Buy with wallet" in `<ppv-player>`
 * (the published browser bundle, on another origin than the hub) with an injected EIP-1193 wallet
 * over an anvil key; timed from the press (the invoice request) to the first decrypted frame
 * (`currentTime > 0`), split by the player's `ppv-checkout-progress` steps: invoice, wallet
 * transactions (approve + payToken, each mined), confirmation (`payments.submitTransaction`), grant
 * (`payments.status`), playback start (`playback.start`, shaka-player loading the encrypted
 * stream, first frame). anvil mines a block every `--block-time` seconds (default 1), one
 * confirmation; `--runs R` purchases (default 5), each by a new viewer.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
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
import { createHarness } from '@ppv/core/testing';
import { TenantEntity, WalletEntity, withTenant } from '@ppv/db';
import { startHub } from '@ppv/hub';
import { startWorker } from '@ppv/worker';
import { chromium } from 'playwright-core';
import { createWalletClient, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { median, printTable, repoRoot, round, writeResult } from './lib/report';

const run = promisify(execFile);
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`);
  return value;
};
const RUNS = arg('--runs', 5);
const BLOCK_TIME = arg('--block-time', 1);

const work = await mkdtemp(join(tmpdir(), 'ppv-bench-checkout-'));
await run(join(repoRoot, 'node_modules/.bin/tsup'), ['--out-dir', join(work, 'dist')], {
  cwd: join(repoRoot, 'packages/player'),
});
const bundle = await readFile(join(work, 'dist', 'ppv-player.js'));
const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout bench</title></head>
<body><script type="module">
  import '/ppv-player.js';
  const q = new URLSearchParams(location.search);
  window.marks = {};
  const mark = (name) => { window.marks[name] ??= performance.now(); };
  document.addEventListener('ppv-checkout', () => mark('buy'));
  document.addEventListener('ppv-checkout-progress', (e) => {
    mark(e.detail.step);
    if (e.detail.step === 'confirming' || e.detail.step === 'confirmed') mark('sent');
  });
  const player = document.createElement('ppv-player');
  for (const a of ['hub', 'tenant', 'video']) player.setAttribute(a, q.get(a));
  document.body.append(player);
  const watch = () => {
    const video = player.shadowRoot?.querySelector('video');
    if (video && video.currentTime > 0 && window.marks.granted) return mark('frame');
    requestAnimationFrame(watch);
  };
  watch();
</script></body></html>`;
const site = createServer((req, res) => {
  if (req.url === '/ppv-player.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
});
site.listen(0, '127.0.0.1');
await once(site, 'listening');
const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

const anvil = await startAnvil({ blockTime: BLOCK_TIME });
const chain = {
  client: createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
  chainId: anvil.chainId,
};
const h = await createHarness({ chain });
const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const ownerWallet = createWalletClient({ account: owner, chain: foundry, transport: http(anvil.rpcUrl) });
const contracts = await deployPaymentContracts(ownerWallet, chain.client, {
  owner: owner.address,
  invoiceSigner: privateKeyToAccount(DEV_ACCOUNTS[1].privateKey).address,
});
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
const tenant = await h.tenant();
const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
await admin.api.tenant.update({ corsOrigins: [origin] });
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
const worker = await startWorker({
  deps: h.deps,
  connectionString: h.db.url,
  concurrency: 1,
  mailer: null,
  mailFrom: 'PPV <no-reply@hub.test>',
  pollIntervalMs: 200,
  transcodeWatchIntervalMs: 250,
});
const hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
    ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
    '--autoplay-policy=no-user-gesture-required',
  ],
});

try {
  const clip = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=6'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=6'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
  ]);
  const videoId = randomUUID();
  const sourceKey = `${tenant.id}/${videoId}/source/clip.mp4`;
  await h.deps.storage.putFile(sourceKey, clip);
  await withTenant(h.db.orm, tenant.id, (tx) =>
    createVideo(
      { ...h.deps, em: tx, tenantId: tenant.id },
      {
        videoId,
        creatorId: creator.userId,
        metadata: { title: 'Bench clip', description: '', priceCents: 500, previewSeconds: 0 },
        source: { sourceKey, sourceBytes: 1, filename: 'clip.mp4' },
      },
    ),
  );
  for (const deadline = Date.now() + 180_000; ; ) {
    const video = await creator.api.videos.get({ videoId });
    if (video.status === 'ready') break;
    if (video.status === 'error' || Date.now() > deadline) throw new Error(`transcode: ${video.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }

  const phases = [
    ['invoice', 'buy', 'chain'],
    ['wallet txs (approve mined, payToken sent)', 'chain', 'sent'],
    ['confirmation (payToken mined, submitTransaction)', 'sent', 'confirmed'],
    ['grant (payments.status)', 'confirmed', 'granted'],
    ['playback start (session, load, first frame)', 'granted', 'frame'],
    ['total: Buy to first frame', 'buy', 'frame'],
  ] as const;
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const account = privateKeyToAccount(generatePrivateKey());
    await chain.client.request({
      method: 'anvil_setBalance' as never,
      params: [account.address, '0xde0b6b3a7640000'] as never,
    });
    await mintTestUsd(ownerWallet, chain.client, {
      token: contracts.stablecoin,
      to: account.address,
      amount: 10_000_000n,
    });
    const context = await browser.newContext();
    await context.exposeFunction(
      TEST_WALLET_BINDING,
      testWalletHandler(account, { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }),
    );
    await context.addInitScript(testWalletInitScript);
    const tab = await context.newPage();
    const params = new URLSearchParams({
      hub: `http://127.0.0.1:${hub.port}`,
      tenant: tenant.slug,
      video: videoId,
    });
    await tab.goto(`${origin}/?${params}`);
    const player = tab.locator('ppv-player');
    await tab.getByRole('button', { name: 'Sign in with a wallet' }).click();
    await tab.getByRole('button', { name: 'Buy with wallet' }).click();
    await tab.waitForFunction(
      () => (window as unknown as { marks: Record<string, number> }).marks.frame,
      null,
      {
        timeout: 120_000,
      },
    );
    if ((await player.getAttribute('state')) !== 'playing')
      throw new Error(`run ${i + 1}: player state ${await player.getAttribute('state')}`);
    const marks = await tab.evaluate(() => (window as unknown as { marks: Record<string, number> }).marks);
    const sample: Record<string, number> = {};
    for (const [name, from, to] of phases) {
      const start = marks[from];
      const end = marks[to];
      if (start === undefined || end === undefined) throw new Error(`run ${i + 1}: no ${from} or ${to} mark`);
      sample[name] = end - start;
    }
    samples.push(sample);
    await context.close();
  }

  const rows = phases.map(([name]) => {
    const values = samples.map((s) => s[name]!);
    return [name, round(median(values)), round(Math.min(...values)), round(Math.max(...values))];
  });
  printTable(
    `Buy to first frame, ${RUNS} purchases (anvil, ${BLOCK_TIME} s blocks, 1 confirmation), ms`,
    ['phase', 'median', 'min', 'max'],
    rows,
  );
  await writeResult('checkout', {
    runs: RUNS,
    blockTimeSeconds: BLOCK_TIME,
    confirmations: 1,
    phasesMs: Object.fromEntries(rows.map(([name, med, min, max]) => [name, { median: med, min, max }])),
    samplesMs: samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)]))),
  });
} finally {
  await browser.close();
  await worker.stop();
  await hub.close();
  site.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h.close();
  await anvil.stop();
  await rm(work, { recursive: true, force: true });
}
