import { mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createVideo } from '@ppv/core';
import type { Harness } from '@ppv/core/testing';
import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { type RunningHub, startHub } from '@ppv/hub';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadStorefront } from '../src/index';

/** Every tenant of a test is served at `<slug>.hub.test`; Chromium resolves those to 127.0.0.1. */
export const hostOf = (t: Tenant) => `${t.slug}.hub.test`;

export async function startStorefrontHub(h: Harness): Promise<RunningHub> {
  return startHub({
    deps: h.deps,
    host: '127.0.0.1',
    port: 0,
    trustProxy: ['loopback'],
    storefront: await loadStorefront(),
  });
}

export const siteOf = (hub: RunningHub, t: Tenant) => `http://${hostOf(t)}:${hub.port}`;

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
      '--autoplay-policy=no-user-gesture-required',
      '--host-resolver-rules=MAP *.hub.test 127.0.0.1',
    ],
  });
}

/** Screenshots land in test-results/ (git-ignored) for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = new URL('../test-results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A GET with the Host header of a tenant (fetch cannot set Host). */
export function get(
  hub: RunningHub,
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<PageResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: '127.0.0.1', port: hub.port, path, method: 'GET', headers: { host, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The titles of the video cards of a browse page, in order. */
export const cardTitles = (html: string) =>
  [...html.matchAll(/data-testid="video-card"[\s\S]*?<h2[^>]*><a [^>]*>([^<]*)<\/a>/g)].map((m) => m[1]);

export interface CatalogEntry {
  title: string;
  priceCents: number;
  /** Only ready videos are in the catalog. */
  status?: 'ready' | 'queued' | 'error';
  /** Creation time, to order "newest" deterministically. */
  createdAt?: Date;
  description?: string;
}

/**
 * Videos of `t` as rows only (no media files): created through createVideo, then given the state
 * a finished transcode leaves. For pages that list and describe videos without playing them.
 */
export async function catalogVideos(
  h: Harness,
  t: Tenant,
  creatorId: string,
  entries: CatalogEntry[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const entry of entries) {
    const status = entry.status ?? 'ready';
    // One transaction: the transcode job createVideo enqueues only ever sees the final state (a
    // ready video is left alone), so a running worker never marks these file-less rows failed.
    const video = await withTenant(h.db.orm, t.id, async (em) => {
      const created = await createVideo(
        { ...h.deps, em, tenantId: t.id },
        {
          creatorId,
          metadata: {
            title: entry.title,
            description: entry.description ?? '',
            priceCents: entry.priceCents,
            previewSeconds: 0,
          },
          source: { sourceKey: `${t.id}/none/source/clip.mp4`, sourceBytes: 1, filename: 'clip.mp4' },
        },
      );
      await em.nativeUpdate(
        VideoEntity,
        { id: created.videoId },
        {
          status,
          ...(entry.createdAt && { createdAt: entry.createdAt }),
          ...(status === 'ready' && {
            progress: 1,
            durationSeconds: '125.000',
            width: 320,
            height: 180,
            readyAt: new Date(),
          }),
        },
      );
      return created;
    });
    ids.push(video.videoId);
  }
  return ids;
}
