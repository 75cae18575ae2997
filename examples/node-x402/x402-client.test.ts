/**
 * The example against a real hub, worker, Postgres and anvil: a clip transcoded by the worker, sold
 * over HTTP 402 to a viewer's API token and wallet key, and saved by ffmpeg from the paid session.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
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
} from '@ppv/chain';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { type Tenant, TenantEntity, VideoEntity, WalletEntity, withTenant } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { videoPrefix } from '@ppv/media';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { createWalletClient, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buyAccess, saveStream } from './x402-client';

const run = promisify(execFile);
const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);

let anvil: AnvilInstance;
let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let work: string;
let tenant: Tenant;
let videoId: string;
let stablecoin: `0x${string}`;

beforeAll(async () => {
  anvil = await startAnvil();
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const deployer = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  const contracts = await deployPaymentContracts(deployer, client, {
    owner: owner.address,
    invoiceSigner: privateKeyToAccount(DEV_ACCOUNTS[1].privateKey).address,
  });
  stablecoin = contracts.stablecoin;
  h = await createHarness({ chain: { client, chainId: anvil.chainId } });
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
  tenant = await h.tenant();
  await h.db.orm.em
    .fork()
    .nativeUpdate(TenantEntity, { id: tenant.id }, { payoutWallet: DEV_ACCOUNTS[8].address.toLowerCase() });
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: creator.userId,
    address: DEV_ACCOUNTS[9].address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();

  work = await mkdtemp(join(tmpdir(), 'ppv-x402-example-'));
  const clip = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc=s=160x90:r=25:d=3', '-f', 'lavfi', '-i', 'sine=f=440:d=3'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip],
  ]);
  videoId = await withTenant(h.db.orm, tenant.id, async (tx) => {
    const created = await createVideo(
      { ...h.deps, em: tx, tenantId: tenant.id },
      {
        creatorId: creator.userId,
        metadata: { title: 'Clip', description: '', priceCents: 300, previewSeconds: 0 },
        source: { sourceKey: 'pending', sourceBytes: 1, filename: 'clip.mp4' },
      },
    );
    const sourceKey = `${videoPrefix(tenant.id, created.videoId)}/source.mp4`;
    await tx.nativeUpdate(VideoEntity, { id: created.videoId }, { sourceKey });
    const copy = join(work, 'upload.mp4');
    await copyFile(clip, copy);
    await h.deps.storage.putFile(sourceKey, copy);
    return created.videoId;
  });
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const deadline = Date.now() + 150_000;
  let status = 'queued';
  while (status !== 'ready' && status !== 'error' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    status = (await creator.api.videos.get({ videoId })).status;
  }
  expect(status).toBe('ready');
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  await anvil?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('pays over HTTP 402 with a signed authorization, then saves the stream with ffmpeg', {
  timeout: 60_000,
}, async () => {
  const viewer = await h.signedIn(tenant);
  const { token } = await viewer.api.apiTokens.create({ name: 'x402 example' });
  const payer = privateKeyToAccount(generatePrivateKey());
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  await mintTestUsd(
    createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) }),
    client,
    {
      token: stablecoin,
      to: payer.address,
      amount: 10_000_000n,
    },
  );
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: viewer.userId,
    address: payer.address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();

  const hubAt = { url: hub.url, tenant: tenant.slug, apiToken: token };
  const { playback, settlement } = await buyAccess(hubAt, videoId, payer);
  expect(settlement).toMatchObject({
    success: true,
    payer: payer.address,
    network: `eip155:${anvil.chainId}`,
  });
  const out = join(work, 'out.mp4');
  await saveStream(hubAt, playback, out);
  expect((await stat(out)).size).toBeGreaterThan(1000);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    out,
  ]);
  expect(Number(stdout)).toBeGreaterThan(2);
  // Asked again, the entitled viewer gets a session without paying.
  await expect(buyAccess(hubAt, videoId, payer)).resolves.toMatchObject({ settlement: null });
});

it('error: a wallet that is not linked to the account is refused before anything is signed', async () => {
  const viewer = await h.signedIn(tenant);
  const { token } = await viewer.api.apiTokens.create({ name: 'x402 example' });
  const linked = privateKeyToAccount(generatePrivateKey());
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: viewer.userId,
    address: linked.address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();
  const other = privateKeyToAccount(generatePrivateKey());
  await expect(
    buyAccess({ url: hub.url, tenant: tenant.slug, apiToken: token }, videoId, other),
  ).rejects.toThrow(/link this wallet to your account first/);
});

it('error: a wallet without the funds is refused with the protocol reason and the hub’s words', async () => {
  const viewer = await h.signedIn(tenant);
  const { token } = await viewer.api.apiTokens.create({ name: 'x402 example' });
  const broke = privateKeyToAccount(generatePrivateKey());
  const em = h.db.orm.em.fork();
  em.create(WalletEntity, {
    userId: viewer.userId,
    address: broke.address.toLowerCase(),
    chainId: anvil.chainId,
  });
  await em.flush();
  await expect(
    buyAccess({ url: hub.url, tenant: tenant.slug, apiToken: token }, videoId, broke),
  ).rejects.toThrow(/^402: The payer holds 0 units; this video costs \d+ \(insufficient_funds\)$/);
});
