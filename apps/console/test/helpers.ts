import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createVideo } from '@ppv/core';
import type { Harness } from '@ppv/core/testing';
import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { loadStorefront } from '@ppv/storefront';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningConsole, startConsole } from '../src/index';

/** The hub with the storefront (a tenant created in the console is checked on it), on a free port. */
export async function startTestHub(h: Harness): Promise<RunningHub> {
  return startHub({
    deps: h.deps,
    host: '127.0.0.1',
    port: 0,
    trustProxy: ['loopback'],
    storefront: await loadStorefront(),
  });
}

/** The console on a free port, calling `hub` and signing in to `defaultTenant` by default. */
export function startTestConsole(hub: RunningHub, defaultTenant: string): Promise<RunningConsole> {
  return startConsole({
    hubUrl: `http://127.0.0.1:${hub.port}`,
    defaultTenant,
    host: '127.0.0.1',
    port: 0,
    secureCookies: false,
    trustProxy: ['loopback'],
  });
}

/** Chromium; `*.hub.test` and `*.example.test` resolve to 127.0.0.1. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.hub.test 127.0.0.1, MAP *.example.test 127.0.0.1',
    ],
  });
}

/** Screenshots land in test-results/ (git-ignored) for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = new URL('../test-results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** A new browser context signed in to the console as `who` on `tenant` through the sign-in form. */
export async function signIn(
  browser: Browser,
  consoleUrl: string,
  who: { username: string; password: string },
  tenant: string,
  next = '/',
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${consoleUrl}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Tenant').fill(tenant);
  await page.getByLabel('Email or username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  return page;
}

/**
 * A ready video of `t` as a row only (no media files), for pages that list videos without playing
 * them. One transaction: the transcode job createVideo enqueues only ever sees it ready.
 */
export async function catalogVideo(h: Harness, t: Tenant, creatorId: string, title: string): Promise<string> {
  return withTenant(h.db.orm, t.id, async (em) => {
    const { videoId } = await createVideo(
      { ...h.deps, em, tenantId: t.id },
      {
        creatorId,
        metadata: { title, description: '', priceCents: 300, previewSeconds: 0 },
        source: { sourceKey: `${t.id}/none/source/clip.mp4`, sourceBytes: 1, filename: 'clip.mp4' },
      },
    );
    await em.nativeUpdate(
      VideoEntity,
      { id: videoId },
      {
        status: 'ready',
        progress: 1,
        durationSeconds: '60.000',
        width: 320,
        height: 180,
        readyAt: new Date(),
      },
    );
    return videoId;
  });
}
