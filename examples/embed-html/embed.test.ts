/**
 * The example as a developer runs it, end to end: the real hub and transcode worker on a test
 * database, a clip made with ffmpeg, uploaded with tus and transcoded twice; this example's own
 * static server on another site (the page on localhost, the hub on <tenant>.hub.test, mapped to
 * 127.0.0.1 for Chromium: different registrable domains, so cross-site for cookies); Chromium
 * (playwright-core, /usr/bin/chromium) loading its page. The page's origin, localhost, is a secure
 * context, as encrypted playback (WebCrypto) needs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHarness, type Harness, PASSWORD } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowOrigin } from './allow-origin';
import { type EmbedSite, startEmbedSite } from './server';

const run = promisify(execFile);
const screenshots = new URL('./test-results/', import.meta.url).pathname;

let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let site: EmbedSite;
let browser: Browser;
let tenant: Tenant;
let work: string;
let paid: string;
let free: string;
let creator: Awaited<ReturnType<Harness['signedIn']>>;

async function makeClip(seconds: number): Promise<Buffer> {
  const file = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=15:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=330:duration=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', file],
  ]);
  return readFile(file);
}

const tusMetadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

/** Uploads with tus (one request) as the creator and waits until the transcode task made it ready. */
async function publish(bytes: Buffer, title: string, priceCents: number): Promise<string> {
  const { token } = await creator.api.apiTokens.create({ name: `upload ${title}` });
  const res = await fetch(`${hub.url}/uploads`, {
    method: 'POST',
    headers: {
      'tus-resumable': '1.0.0',
      'x-ppv-tenant': tenant.slug,
      authorization: `Bearer ${token}`,
      'upload-length': String(bytes.length),
      'upload-metadata': tusMetadata({
        filename: 'clip.mp4',
        title,
        priceCents: String(priceCents),
        previewSeconds: '2',
      }),
      'content-type': 'application/offset+octet-stream',
    },
    body: new Uint8Array(bytes),
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  const { videoId } = (await res.json()) as { videoId: string };
  for (const deadline = Date.now() + 180_000; ; ) {
    const video = await creator.api.videos.get({ videoId });
    if (video.status === 'ready') return videoId;
    if (video.status === 'error' || Date.now() > deadline)
      throw new Error(`transcode: ${video.status} ${'lastError' in video ? video.lastError : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ppv-embed-'));
  await mkdir(screenshots, { recursive: true });
  site = await startEmbedSite(0, 'localhost');
  h = await createHarness();
  tenant = await h.tenant();
  const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
  creator = await h.signedIn(tenant, { role: 'creator' });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  // The README's step: the tenant admin puts the site on the embed allowlist, over HTTP.
  expect(
    await allowOrigin({
      hub: hub.url,
      tenant: tenant.slug,
      login: admin.username,
      password: PASSWORD,
      origin: site.origin,
    }),
  ).toEqual([site.origin]);
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  const clip = await makeClip(6);
  paid = await publish(clip, 'Knots for sailors', 500);
  free = await publish(clip, 'Coiling a rope', 0);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
      ...['--disable-background-networking', '--disable-component-update', '--disable-sync'],
      '--autoplay-policy=no-user-gesture-required',
      '--host-resolver-rules=MAP *.hub.test 127.0.0.1',
    ],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await hub?.close();
  await site?.close();
  // graphile-worker's stop() does not wait for its pool to end (see apps/hub/test/media.test.ts).
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The hub as the page's browser reaches it: on the tenant's own host name. */
const hubSite = () => `http://${tenant.slug}.hub.test:${hub.port}`;

async function openEmbed(videoId: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  const params = new URLSearchParams({ hub: hubSite(), video: videoId });
  await page.goto(`${site.origin}/?${params}`);
  return page;
}

const waitForState = (page: Page, state: string) =>
  page.waitForFunction((s) => document.querySelector('ppv-player')?.getAttribute('state') === s, state, {
    timeout: 30_000,
  });

const shadowText = (page: Page) =>
  page.evaluate(() => document.querySelector('ppv-player')!.shadowRoot!.textContent ?? '');

async function useToken(page: Page, token: string) {
  await page.getByLabel('Your PPV Stream API token').fill(token);
  await page.getByRole('button', { name: 'Watch with my token' }).click();
}

/** Presses Play and waits until the encrypted stream has played `seconds`. */
async function play(page: Page, seconds: number) {
  await waitForState(page, 'ready');
  await page.getByRole('button', { name: /^Play / }).click();
  await waitForState(page, 'playing');
  await page.waitForFunction(
    (s) => (document.querySelector('ppv-player')!.shadowRoot!.querySelector('video')?.currentTime ?? 0) > s,
    seconds,
    { timeout: 30_000 },
  );
}

const watermark = (page: Page) =>
  page.evaluate(
    () => document.querySelector('ppv-player')!.shadowRoot!.querySelector('.watermark')?.textContent ?? '',
  );

describe('embed-html: a page on another site', () => {
  it('shows a signed-out viewer the paywall of a paid video, with its price and free preview', async () => {
    const page = await openEmbed(paid);
    await waitForState(page, 'paywall');
    const text = await shadowText(page);
    expect(text).toContain('Knots for sailors');
    expect(text).toContain('$5.00');
    expect(text).toContain('Sign in to watch this video');
    expect(await page.getByRole('button', { name: 'Watch the free preview' }).isVisible()).toBe(true);
    await page.screenshot({ path: join(screenshots, 'embed-paywall.png') });
    await page.close();
  });

  it('error: password sign-in inside the embed cannot keep the hub’s SameSite=Lax cookie across sites', async () => {
    const viewer = await h.signedIn(tenant);
    const page = await openEmbed(free);
    await waitForState(page, 'paywall');
    await page.getByLabel('Email or username').fill(viewer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await expect.poll(() => shadowText(page)).toContain('Signed in, but the hub did not keep the session');
    expect(await page.getAttribute('ppv-player', 'state')).toBe('paywall');
    await page.close();
  });

  it('plays a free video, encrypted and watermarked, to a viewer who gives the page their API token', async () => {
    const viewer = await h.signedIn(tenant);
    const { token } = await viewer.api.apiTokens.create({ name: 'blog embed' });
    const page = await openEmbed(free);
    await waitForState(page, 'paywall');
    await useToken(page, token);
    await play(page, 1.5);
    const [session] = await viewer.api.playback.sessions();
    expect(await watermark(page)).toBe(`${viewer.username} · ${session!.code}`);
    await page.screenshot({ path: join(screenshots, 'embed-playing.png') });
    // The token stays in this tab: a reload plays without asking again.
    await page.reload();
    await waitForState(page, 'ready');
    await page.close();
  });

  it('plays the paid video to an allowlisted viewer’s API token, and shows others the paywall', async () => {
    const friend = await h.signedIn(tenant);
    const stranger = await h.signedIn(tenant);
    await creator.api.videos.access.grant({ videoId: paid, who: friend.username });
    const strangerToken = (await stranger.api.apiTokens.create({ name: 'embed' })).token;
    const page = await openEmbed(paid);
    await waitForState(page, 'paywall');
    await useToken(page, strangerToken);
    await expect.poll(() => shadowText(page)).toContain('Buy a view');
    await useToken(page, (await friend.api.apiTokens.create({ name: 'embed' })).token);
    await play(page, 1.5);
    expect(await watermark(page)).toContain(friend.username);
    await page.close();
  });

  it('error: a revoked token is refused in plain words', async () => {
    const viewer = await h.signedIn(tenant);
    const { token, id } = await viewer.api.apiTokens.create({ name: 'embed' });
    await viewer.api.apiTokens.revoke({ tokenId: id });
    const page = await openEmbed(free);
    await useToken(page, token);
    await waitForState(page, 'error');
    expect(await shadowText(page)).toContain('This API token was revoked');
    await page.close();
  });
});
