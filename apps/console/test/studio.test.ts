import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHarness, type Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import { type RunningWorker, startWorker } from '@ppv/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/index';
import { launchBrowser, screenshot, signIn, startTestConsole, startTestHub } from './helpers';

const run = promisify(execFile);

/** Unfinished uploads in the hub's staging folder. */
const stagedUploads = () => readdir(h.deps.config.media.uploadDir).catch(() => []);

let h: Harness;
let hub: RunningHub;
let con: RunningConsole;
let worker: RunningWorker;
let browser: Browser;
let tenant: Tenant;
let work: string;
let clip: string;
let creator: Awaited<ReturnType<Harness['signedIn']>>;
let page: Page;
let videoId: string;

beforeAll(async () => {
  h = await createHarness();
  work = await mkdtemp(join(tmpdir(), 'ppv-console-'));
  // Six seconds of noisy test pattern, lossless: about 10 MB, so the upload takes several chunks.
  clip = join(work, 'lesson-one.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=6,noise=alls=60:allf=t'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=6'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-c:a', 'aac', '-shortest', clip],
  ]);
  tenant = await h.tenant();
  creator = await h.signedIn(tenant, { role: 'creator' });
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  hub = await startTestHub(h);
  con = await startTestConsole(hub, tenant.slug);
  browser = await launchBrowser();
  page = await signIn(browser, `http://127.0.0.1:${con.port}`, creator, tenant.slug, '/studio');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await con?.close();
  await hub?.close();
  // graphile-worker's stop() does not wait for its pool to end; let it close before the drop.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('creator studio', () => {
  it('uploads a clip with a moving progress bar, pauses and resumes it, and shows it transcoded to ready', async () => {
    const form = page.locator('form[data-upload]');
    await form.getByLabel('Video file').setInputFiles(clip);
    await form.getByLabel('Title').fill('Lesson one');
    await form.getByLabel('Price (US$)').fill('4.99');
    await form.getByLabel('Free preview (seconds)').fill('2');
    // Every value the bar takes, sampled in the page.
    await page.evaluate(() => {
      const bar = document.querySelector('progress')!;
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true });
    });
    // A slow uplink (about 2 MB/s), so the upload lasts long enough to be paused half way.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 2 * 1024 * 1024,
    });
    await form.getByRole('button', { name: 'Upload' }).click();
    // Pause once some bytes are in, then resume: the upload continues from the hub's offset.
    const pause = form.getByRole('button', { name: 'Pause' });
    await expect
      .poll(() => page.locator('progress').evaluate((b: HTMLProgressElement) => b.value))
      .toBeGreaterThan(0);
    await pause.click();
    await expect.poll(() => form.locator('[data-upload-status]').textContent()).toMatch(/^Paused at \d+%/);
    const pausedAt = await page.locator('progress').evaluate((b: HTMLProgressElement) => b.value);
    expect(pausedAt).toBeLessThan(100);
    await screenshot(page, 'studio-upload-paused');
    await form.getByRole('button', { name: 'Resume' }).click();
    await expect
      .poll(() => form.locator('[data-upload-status]').textContent(), { timeout: 30_000 })
      .toContain('Upload complete');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect(seen.at(-1)).toBe(100);
    expect(seen.filter((v) => v >= pausedAt).length).toBeGreaterThan(0);

    // The page reloads with the new video, whose status the table follows until it is ready.
    const row = page.getByTestId('studio-video').filter({ hasText: 'Lesson one' });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    videoId = (await row.getAttribute('data-video-id'))!;
    const statuses = new Set<string>();
    await expect
      .poll(
        async () => {
          const status = (await row.locator('[data-status]').textContent()) ?? '';
          statuses.add(status);
          return status;
        },
        { timeout: 170_000, interval: 500 },
      )
      .toBe('ready');
    // It got there without a reload: the island polled the hub (queued or processing seen first).
    expect([...statuses].some((s) => s === 'queued' || s === 'processing')).toBe(true);
    await screenshot(page, 'studio-ready');
    const video = await creator.api.videos.get({ videoId });
    expect(video).toMatchObject({ title: 'Lesson one', priceCents: 499, previewSeconds: 2, status: 'ready' });
  }, 240_000);

  it('edits the title and price, and grants and removes free access on the video page', async () => {
    const viewer = await h.signedIn(tenant);
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}`);
    await page.getByLabel('Title').fill('Lesson one, revised');
    await page.getByLabel('Price (US$)').fill('12');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved.');
    expect(await creator.api.videos.get({ videoId })).toMatchObject({
      title: 'Lesson one, revised',
      priceCents: 1200,
    });

    await page.getByLabel('Username, email or wallet').fill(viewer.username);
    await page.getByRole('button', { name: 'Grant access' }).click();
    await expect.poll(() => page.getByTestId('allowlist-entry').count()).toBe(1);
    expect((await viewer.api.access.check({ videoId })).allowed).toBe(true);
    // The poster comes from the console's own origin, passed on from the hub.
    const poster = page.locator('img[src$="/poster.jpg"]');
    await expect
      .poll(() => poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    expect(await poster.getAttribute('src')).toMatch(/^\/media\//);
    expect(await page.locator('dl.facts').textContent()).toMatch(/Renditions\d+p \(\d+ kbit\/s\)/);
    await screenshot(page, 'studio-video');
    await page.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.getByTestId('allowlist-entry').count()).toBe(0);
    expect((await viewer.api.access.check({ videoId })).allowed).toBe(false);
  });

  it('error: a bad price is refused with a 400 and the video keeps its price', async () => {
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}`);
    await page.getByLabel('Price (US$)').fill('twelve');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('amount of US dollars');
    expect((await creator.api.videos.get({ videoId })).priceCents).toBe(1200);
  });

  it('traces a recording from the video page: the trace shows its status, then its verdict, in the list', async () => {
    // A session to trace against, and a recording of something else.
    await creator.api.playback.start({ videoId });
    const other = join(work, 'elsewhere.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'mandelbrot=s=320x180:r=15,noise=alls=6:allf=t', '-t', '6'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', other],
    ]);
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}`);
    await page.getByRole('link', { name: 'Trace a leak' }).click();
    await page.waitForURL((u) => u.pathname === `/studio/videos/${videoId}/traces`);
    await page.getByLabel('Recording').setInputFiles(other);
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.waitForURL((u) => u.searchParams.has('started'));
    expect(await page.getByRole('status').textContent()).toContain('The recording was received');
    const row = page.getByTestId('trace');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toContain('elsewhere.mp4');
    // The page follows the trace until the worker's verdict is in.
    await expect
      .poll(() => row.locator('[data-verdict]').textContent(), { timeout: 90_000, interval: 500 })
      .toMatch(/^No match: /);
    expect(await row.locator('[data-status]').textContent()).toBe('done');
    await screenshot(page, 'studio-trace');
    const [trace] = await creator.api.tracing.list({ videoId });
    expect(trace).toMatchObject({ status: 'done', finding: { verdict: 'no_match' } });
  }, 120_000);

  it('error: a file that is not a video is refused on the trace page with the reason', async () => {
    const text = join(work, 'not-a-video.mp4');
    await run('sh', ['-c', `echo hello > ${text}`]);
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}/traces`);
    await page.getByLabel('Recording').setInputFiles(text);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Trace' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe(
      'The recording is not a video file ffprobe can read',
    );
    expect(await creator.api.tracing.list({ videoId })).toHaveLength(1);
  });

  it("error: another creator's trace page for the video says it is not theirs", async () => {
    const other = await h.signedIn(tenant, { role: 'creator' });
    const otherPage = await signIn(browser, `http://127.0.0.1:${con.port}`, other, tenant.slug, '/studio');
    const response = await otherPage.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}/traces`);
    expect(response?.status()).toBe(404);
    expect(await otherPage.getByRole('heading', { level: 1 }).textContent()).toBe('Video not found');
    expect(await otherPage.getByLabel('Recording').count()).toBe(0);
    await otherPage.context().close();
  });

  it('changes the poster by an uploaded image and by a frame time; the poster URL changes each time', async () => {
    const png = join(work, 'poster.png');
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc2=s=640x360:d=1', '-frames:v', '1', png],
    ]);
    const before = (await creator.api.videos.get({ videoId })).posterUrl;
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${videoId}`);
    await page.getByLabel('Poster image').setInputFiles(png);
    await page.getByRole('button', { name: 'Upload poster' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('The new poster is up.');
    const uploaded = (await creator.api.videos.get({ videoId })).posterUrl;
    expect(uploaded).not.toBe(before);
    expect(await page.locator('dl.facts').locator('..').locator('img').getAttribute('src')).toBe(uploaded);

    await page.getByLabel('Frame at (seconds)').fill('1.5');
    await page.getByRole('button', { name: 'Use this frame' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('frame at 1.5 s');
    await expect
      .poll(async () => (await creator.api.videos.get({ videoId })).posterUrl, { timeout: 30_000 })
      .not.toBe(uploaded);

    await page.getByLabel('Frame at (seconds)').fill('600');
    await page.getByRole('button', { name: 'Use this frame' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('The frame time is within the video');
  });

  it('resumes an upload interrupted by a page reload when the same file is chosen again', async () => {
    const cdp = await page.context().newCDPSession(page);
    const uplink = (bytesPerSecond: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bytesPerSecond,
      });
    await page.goto(`http://127.0.0.1:${con.port}/studio`);
    await cdp.send('Network.enable');
    await uplink(2 * 1024 * 1024);
    const form = page.locator('form[data-upload]');
    await form.getByLabel('Video file').setInputFiles(clip);
    await form.getByLabel('Title').fill('Lesson two');
    await form.getByRole('button', { name: 'Upload' }).click();
    // Wait until the first 4 MiB chunk is in, then leave the page in the middle of the next one.
    await expect
      .poll(() => form.locator('[data-upload-status]').textContent(), { timeout: 30_000 })
      .toMatch(/^(4\.[0-9]|[5-9]\.[0-9]) MB of/);
    await page.reload();
    await uplink(-1);
    const again = page.locator('form[data-upload]');
    await again.getByLabel('Video file').setInputFiles(clip);
    await again.getByLabel('Title').fill('Lesson two');
    // The page reloads itself once the upload is complete: the next test must not race that reload.
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await again.getByRole('button', { name: 'Upload' }).click();
    await expect
      .poll(() => again.locator('[data-upload-status]').textContent(), { timeout: 30_000 })
      .toContain('Upload complete');
    await reloaded;
    const mine = await creator.api.videos.list({ scope: 'mine', limit: 100 });
    expect(mine.videos.filter((v) => v.title === 'Lesson two')).toHaveLength(1);
    // Resumed, not started over: the hub's staging folder holds no abandoned upload.
    expect(await stagedUploads()).toEqual([]);
  });

  it('deletes a video from its page, back to the list with a note', async () => {
    const [two] = (await creator.api.videos.list({ scope: 'mine', limit: 100 })).videos.filter(
      (v) => v.title === 'Lesson two',
    );
    await page.goto(`http://127.0.0.1:${con.port}/studio/videos/${two!.id}`);
    await page.getByRole('button', { name: 'Delete this video and its files' }).click();
    await page.waitForURL((u) => u.pathname === '/studio');
    expect(await page.getByRole('status').textContent()).toBe('Deleted “Lesson two”.');
    expect(await page.getByTestId('studio-video').filter({ hasText: 'Lesson two' }).count()).toBe(0);
    await expect(creator.api.videos.get({ videoId: two!.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('error: a file over the tenant’s upload limit is refused with the limit named, before any byte', async () => {
    const admin = await h.signedIn(tenant, { hubAdmin: true });
    await admin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: 1024 * 1024 });
    try {
      // The hub's tenant cache turns over within seconds.
      await new Promise((r) => setTimeout(r, 5_500));
      await page.goto(`http://127.0.0.1:${con.port}/studio`);
      const form = page.locator('form[data-upload]');
      await form.getByLabel('Video file').setInputFiles(clip);
      await form.getByRole('button', { name: 'Upload' }).click();
      await expect
        .poll(() => form.locator('[data-upload-status]').textContent())
        .toBe('The file is larger than the upload limit (1 MB)');
      expect(await stagedUploads()).toEqual([]);
    } finally {
      await admin.api.hub.tenants.setUploadLimit({ tenantId: tenant.id, maxUploadBytes: null });
    }
  });

  it('error: a file type the hub refuses is reported in the form before any byte is sent', async () => {
    const text = join(work, 'notes.txt');
    await run('sh', ['-c', `echo hello > ${text}`]);
    await page.goto(`http://127.0.0.1:${con.port}/studio`);
    const form = page.locator('form[data-upload]');
    await form.getByLabel('Video file').setInputFiles(text);
    await form.getByRole('button', { name: 'Upload' }).click();
    await expect
      .poll(() => form.locator('[data-upload-status]').textContent())
      .toContain('.txt files are not accepted');
  });
});
