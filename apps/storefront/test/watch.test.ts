import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { type Tenant, withTenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import { type RunningWorker, startWorker } from '@ppv/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogVideos, launchBrowser, screenshot, startStorefrontHub } from './helpers';

const run = promisify(execFile);

let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let browser: Browser;
let work: string;
let tenant: Tenant;
let viewer: Awaited<ReturnType<Harness['signedIn']>>;
let freeVideo: string;
let paidVideo: string;

/** A clip through the real transcode task (the worker's ffmpeg ladder), as an upload would be. */
async function transcodedVideo(t: Tenant, creatorId: string, title: string): Promise<string> {
  const clip = join(work, `${randomUUID()}.mp4`);
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=6'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=6'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
  ]);
  const videoId = randomUUID();
  const sourceKey = `${t.id}/${videoId}/source/clip.mp4`;
  await h.deps.storage.putFile(sourceKey, clip);
  await withTenant(h.db.orm, t.id, (em) =>
    createVideo(
      { ...h.deps, em, tenantId: t.id },
      {
        videoId,
        creatorId,
        metadata: { title, description: 'Six seconds of test pattern.', priceCents: 0, previewSeconds: 2 },
        source: { sourceKey, sourceBytes: 1, filename: 'clip.mp4' },
      },
    ),
  );
  const deadline = Date.now() + 150_000;
  for (;;) {
    const { status, lastError } = await viewer.api.videos.get({ videoId }).then(
      (v) => ({ status: v.status, lastError: null }),
      () => ({ status: 'pending', lastError: null }),
    );
    if (status === 'ready') return videoId;
    if (status === 'error' || Date.now() > deadline) throw new Error(`transcode: ${status} ${lastError}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  h = await createHarness();
  work = await mkdtemp(join(tmpdir(), 'ppv-storefront-'));
  // Encrypted HLS needs WebCrypto, which browsers offer only in secure contexts (https, or
  // loopback addresses): the default tenant answers on 127.0.0.1.
  tenant = await h.tenant(h.deps.config.defaultTenant);
  const creator = await h.signedIn(tenant, { role: 'creator' });
  viewer = await h.signedIn(tenant);
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
  freeVideo = await transcodedVideo(tenant, creator.userId, 'Test pattern, free to watch');
  paidVideo = (
    await catalogVideos(h, tenant, creator.userId, [{ title: 'Premium lesson', priceCents: 700 }])
  )[0]!;
}, 200_000);

/**
 * One teardown step, given at most `ms`: a step that hangs is named on stderr and the next steps
 * still run (the database is dropped with FORCE), instead of the whole hook timing out unnamed.
 */
async function teardownStep(name: string, step: () => Promise<unknown> | undefined, ms = 30_000) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([Promise.resolve(step()).then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') console.error(`watch.test teardown: ${name} did not finish within ${ms} ms`);
}

afterAll(async () => {
  await teardownStep('browser.close', () => browser?.close());
  await teardownStep('worker.stop', () => worker?.stop());
  await teardownStep('hub.close', () => hub?.close());
  // graphile-worker's stop() does not wait for its pool to end; let it close before the drop.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await teardownStep('harness.close', () => h?.close());
  if (work) await rm(work, { recursive: true, force: true });
});

const site = () => `http://127.0.0.1:${hub.port}`;

async function signedInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${site()}/sign-in?next=%2F`);
  await page.getByLabel('Email or username').fill(viewer.username);
  await page.getByLabel('Password').fill(viewer.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${site()}/`);
  return page;
}

/** What <ppv-player> shows in its shadow root (its state's messages and buttons). */
const playerText = (page: Page) =>
  page.locator('ppv-player').evaluate((el) => el.shadowRoot?.textContent ?? '');

/** Plays the mount's <video> for a while; what Chromium decoded. */
function played(page: Page, mount: string, seconds: number) {
  return page.locator(`${mount} video`).evaluate(async (video: HTMLVideoElement, until: number) => {
    video.muted = true;
    await video.play();
    const deadline = Date.now() + 30_000;
    while (video.currentTime < until && !video.ended && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      currentTime: video.currentTime,
      width: video.videoWidth,
      frames: video.getVideoPlaybackQuality().totalVideoFrames,
    };
  }, seconds);
}

describe('watching', () => {
  it('the video page plays the free preview, and the watch page plays the transcoded stream until the viewer leaves', async () => {
    const page = await signedInPage();
    try {
      const base = site();
      await page.goto(`${base}/videos/${freeVideo}`);
      expect(await page.locator('h1').textContent()).toBe('Test pattern, free to watch');
      expect(await page.getByTestId('duration').textContent()).toBe('0:06');
      await expect
        .poll(() => page.locator('[data-ppv-preview]').getAttribute('data-state'), { timeout: 20_000 })
        .toBe('ready');
      const preview = await played(page, '[data-ppv-preview]', 1);
      expect(preview.currentTime).toBeGreaterThanOrEqual(1);
      expect(preview.width).toBeGreaterThan(0);
      await screenshot(page, 'video-page');

      await page.getByTestId('watch').click();
      await page.waitForURL(`${base}/videos/${freeVideo}/watch`);
      // <ppv-player autoplay>: the session starts without pressing Play.
      await expect
        .poll(() => page.locator('ppv-player').getAttribute('state'), { timeout: 30_000 })
        .toMatch(/playing|error|paywall|too-many-sessions/);
      // On failure, the player's own message says why.
      expect(await page.locator('ppv-player').getAttribute('state'), await playerText(page)).toBe('playing');
      const stream = await played(page, 'ppv-player', 3);
      expect(stream.currentTime).toBeGreaterThanOrEqual(3);
      expect(stream.width).toBeGreaterThan(0);
      expect(stream.frames).toBeGreaterThan(0);
      // The visible watermark names the viewer and the session.
      expect(await page.locator('ppv-player .watermark').textContent()).toMatch(
        new RegExp(`^${viewer.username} · [A-Z0-9]{8}$`),
      );
      expect(await page.locator('ppv-player').getAttribute('state')).toBe('playing');
      const sessions = await viewer.api.playback.sessions();
      expect(sessions.map((s) => s.videoId)).toContain(freeVideo);
      await screenshot(page, 'watch-page');

      // Leaving the page ends the session, freeing its place under the cap on screens.
      const playing = sessions.find((s) => s.videoId === freeVideo)!;
      expect(await page.locator('ppv-player .watermark').textContent()).toContain(playing.code);
      await page.goto(`${base}/`);
      await expect
        .poll(async () => (await viewer.api.playback.sessions()).map((s) => s.id))
        .not.toContain(playing.id);
    } finally {
      await page.context().close();
    }
  }, 90_000);

  it('error: the watch page of a paid video without access shows the paywall and plays nothing', async () => {
    const page = await signedInPage();
    try {
      await page.goto(`${site()}/videos/${paidVideo}/watch`);
      await expect.poll(() => page.locator('ppv-player').getAttribute('state')).toBe('paywall');
      await page
        .locator('ppv-player')
        .getByText('This video is pay-per-view: buy a view to watch it')
        .waitFor();
      expect(await page.locator('ppv-player').getByRole('button', { name: 'Buy a view' }).isVisible()).toBe(
        true,
      );
      expect(await page.locator('ppv-player video').isVisible()).toBe(false);
      expect(await viewer.api.playback.sessions()).not.toContainEqual(
        expect.objectContaining({ videoId: paidVideo }),
      );
    } finally {
      await page.context().close();
    }
  });
});
