import { createHarness, type Harness } from '@ppv/core/testing';
import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/lib/catalog';
import {
  cardTitles,
  catalogVideos,
  get,
  hostOf,
  launchBrowser,
  screenshot,
  siteOf,
  startStorefrontHub,
} from './helpers';

let h: Harness;
let hub: RunningHub;
let browser: Browser;
let shop: Tenant;
let other: Tenant;
let videoIds: string[];
let creatorName: string;
let creatorId: string;
const DAY = 86_400_000;
const base = Date.now() - 100 * DAY;

beforeAll(async () => {
  h = await createHarness();
  shop = await h.tenant();
  other = await h.tenant();
  const admin = await h.signedIn(shop, { role: 'tenant_admin' });
  await admin.api.tenant.update({
    name: 'Kelas Masak',
    primaryColor: '#0f766e',
    accentColor: '#f97316',
    displayCurrency: 'IDR',
    displayRate: '17000',
  });
  const otherAdmin = await h.signedIn(other, { role: 'tenant_admin' });
  await otherAdmin.api.tenant.update({
    name: 'Sermon Archive',
    primaryColor: '#1d4ed8',
    logoUrl: '/logos/sermon-archive.png',
  });
  const creator = await h.signedIn(shop, { role: 'creator' });
  creatorName = creator.username;
  creatorId = creator.userId;
  const otherCreator = await h.signedIn(other, { role: 'creator' });
  videoIds = await catalogVideos(h, shop, creator.userId, [
    {
      title: 'Rendang from scratch',
      priceCents: 1000,
      createdAt: new Date(base + 1 * DAY),
      description: 'Slow-cooked beef, three hours.',
    },
    { title: 'Nasi goreng kampung', priceCents: 250, createdAt: new Date(base + 2 * DAY) },
    { title: 'Sambal matah basics', priceCents: 0, createdAt: new Date(base + 3 * DAY) },
    { title: 'Soto ayam Lamongan', priceCents: 500, createdAt: new Date(base + 4 * DAY) },
    { title: 'Rendang, the unfinished cut', priceCents: 900, status: 'queued' },
    { title: 'Broken rendang upload', priceCents: 900, status: 'error' },
  ]);
  // Enough for pages: 4 + 26 ready videos.
  await catalogVideos(
    h,
    shop,
    creator.userId,
    Array.from({ length: 26 }, (_, i) => ({
      title: `Knife skills ${String(i + 1).padStart(2, '0')}`,
      priceCents: 100 + i,
      createdAt: new Date(base - (i + 1) * DAY),
    })),
  );
  await catalogVideos(h, other, otherCreator.userId, [
    { title: 'Sunday sermon: Rendang of the soul', priceCents: 300 },
  ]);
  shop = { ...shop, name: 'Kelas Masak' };
  hub = await startStorefrontHub(h);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await h?.close();
});

const page = (path: string, t: Tenant = shop, headers: Record<string, string> = {}) =>
  get(hub, hostOf(t), path, headers);

describe('browse', () => {
  it('lists only this tenant’s ready videos, newest first, a page at a time', async () => {
    const first = await page('/');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/html/);
    const titles = cardTitles(first.text);
    expect(titles).toHaveLength(PAGE_SIZE);
    expect(titles.slice(0, 5)).toEqual([
      'Soto ayam Lamongan',
      'Sambal matah basics',
      'Nasi goreng kampung',
      'Rendang from scratch',
      'Knife skills 01',
    ]);
    expect(first.text).toContain('30 videos · page 1 of 2');
    expect(first.text).not.toContain('unfinished cut');
    expect(first.text).not.toContain('Broken rendang');
    expect(first.text).not.toContain('Sunday sermon');

    const second = await page('/?page=2');
    expect(second.status).toBe(200);
    expect(cardTitles(second.text)).toEqual([
      'Knife skills 21',
      'Knife skills 22',
      'Knife skills 23',
      'Knife skills 24',
      'Knife skills 25',
      'Knife skills 26',
    ]);
    expect(second.text).toContain('rel="prev" href="/"');
  });

  it('searches titles and descriptions regardless of case and accents, and keeps the search across pages', async () => {
    const found = await page('/?q=RENDANG');
    expect(cardTitles(found.text)).toEqual(['Rendang from scratch']);
    const described = await page('/?q=slow-cooked');
    expect(cardTitles(described.text)).toEqual(['Rendang from scratch']);
    const accented = await page(`/?q=${encodeURIComponent('sámbal')}`);
    expect(cardTitles(accented.text)).toEqual(['Sambal matah basics']);
    const none = await page('/?q=pizza');
    expect(none.status).toBe(200);
    expect(none.text).toContain('No videos match “pizza”.');
    const skills = await page('/?q=knife&sort=title');
    expect(skills.text).toContain('26 videos · page 1 of 2');
    expect(skills.text).toContain('rel="next" href="/?q=knife&amp;sort=title&amp;page=2"');
  });

  it('sorts by price both ways, by title and oldest first', async () => {
    const byPrice = cardTitles((await page('/?sort=price_asc')).text);
    expect(byPrice.slice(0, 3)).toEqual(['Sambal matah basics', 'Knife skills 01', 'Knife skills 02']);
    const dearest = cardTitles((await page('/?sort=price_desc')).text);
    expect(dearest.slice(0, 3)).toEqual([
      'Rendang from scratch',
      'Soto ayam Lamongan',
      'Nasi goreng kampung',
    ]);
    expect(cardTitles((await page('/?sort=oldest')).text)[0]).toBe('Knife skills 26');
    const form = (await page('/?sort=price_desc&q=soto')).text;
    expect(form).toMatch(/<option value="price_desc" selected[^>]*>Price, highest first<\/option>/);
    expect(form).toContain('value="soto"');
    expect(cardTitles((await page('/?sort=title')).text).slice(0, 2)).toEqual([
      'Knife skills 01',
      'Knife skills 02',
    ]);
    expect(cardTitles((await page('/?sort=title&page=2')).text)).toEqual([
      'Knife skills 25',
      'Knife skills 26',
      'Nasi goreng kampung',
      'Rendang from scratch',
      'Sambal matah basics',
      'Soto ayam Lamongan',
    ]);
  });

  it('names the creator on each card and on the video page', async () => {
    const cards = (await page('/?q=soto')).text;
    expect(cards).toContain(`data-testid="creator">by ${creatorName}</p>`);
    const one = await page(`/videos/${videoIds[0]}`);
    expect(one.text).toContain(`data-testid="creator">by ${creatorName}</p>`);
  });

  it('shows each price in US dollars and the tenant’s display currency', async () => {
    const html = (await page('/?q=rendang')).text;
    expect(html).toContain('$10.00');
    expect(html).toContain('Rp170.000');
  });

  it('error: a bad sort, page or search is a 400 page that says what is wrong', async () => {
    const sort = await page('/?sort=cheapest');
    expect(sort.status).toBe(400);
    expect(sort.text).toContain(
      'Unknown sort order &quot;cheapest&quot;: use newest, oldest, price_asc, price_desc, title',
    );
    const number = await page('/?page=two');
    expect(number.status).toBe(400);
    expect(number.text).toContain('&quot;two&quot; is not a page number');
    const long = await page(`/?q=${'a'.repeat(500)}`);
    expect(long.status).toBe(400);
    expect(long.text).toContain('Search for at most 200 characters');
    const nul = await page('/?q=ren%00dang');
    expect(nul.status).toBe(400);
    expect(nul.text).toContain('Search cannot contain control characters');
    const negative = await page('/?page=-2');
    expect(negative.status).toBe(400);
    expect(negative.text).toContain('&quot;-2&quot; is not a page number');
  });

  it('a video that becomes ready shows up within seconds, and one removed disappears', async () => {
    const [fresh] = await catalogVideos(h, shop, creatorId, [
      { title: 'Es cendol, just published', priceCents: 150 },
    ]);
    await expect
      .poll(async () => cardTitles((await page('/?q=cendol')).text))
      .toEqual(['Es cendol, just published']);
    await withTenant(h.db.orm, shop.id, (em) => em.nativeDelete(VideoEntity, { id: fresh! }));
    await expect.poll(async () => cardTitles((await page('/?q=cendol')).text)).toEqual([]);
  });

  it('error: a page past the last one is a 404', async () => {
    const res = await page('/?page=9');
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is no page 9: the last page is 2');
  });
});

describe('tenants', () => {
  it('a second tenant’s storefront shows its own branding and none of the first tenant’s videos', async () => {
    const res = await page('/', other);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>Videos · Sermon Archive</title>');
    expect(res.text).toContain('--primary:#1d4ed8');
    expect(cardTitles(res.text)).toEqual(['Sunday sermon: Rendang of the soul']);
    expect(res.text).not.toContain('Kelas Masak');
    // No display currency configured: dollars only.
    expect(res.text).toContain('$3.00');
    expect(res.text).not.toContain('Rp');

    const mine = await page('/');
    expect(mine.text).toContain('<title>Videos · Kelas Masak</title>');
    expect(mine.text).toContain('--primary:#0f766e;--accent:#f97316');

    const stolen = await page(`/videos/${videoIds[0]}`, other);
    expect(stolen.status).toBe(404);
  });

  it('renders both storefronts in Chromium, by host name', async () => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await tab.goto(`${siteOf(hub, shop)}/`);
      expect(await tab.title()).toBe('Videos · Kelas Masak');
      expect(await tab.locator('[data-testid="video-card"]').count()).toBe(PAGE_SIZE);
      const header = await tab.locator('header.site').evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(header).toBe('rgb(15, 118, 110)');
      await screenshot(tab, 'browse-kelas-masak');
      await tab.goto(`${siteOf(hub, other)}/`);
      expect(await tab.title()).toBe('Videos · Sermon Archive');
      expect(await tab.locator('[data-testid="video-card"]').allInnerTexts()).toEqual([
        expect.stringContaining('Sunday sermon'),
      ]);
      await tab.setViewportSize({ width: 390, height: 800 });
      await tab.goto(`${siteOf(hub, shop)}/?q=rendang`);
      await screenshot(tab, 'browse-mobile');
    } finally {
      await tab.close();
    }
  });
});

describe('a second tenant in Chromium', () => {
  it('shows its own name, colour and logo, and none of the first tenant’s videos by browsing, searching or direct link', async () => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await tab.goto(`${siteOf(hub, other)}/`);
      expect(await tab.title()).toBe('Videos · Sermon Archive');
      const header = tab.locator('header.site');
      expect(await header.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(29, 78, 216)');
      expect(await header.locator('img').getAttribute('src')).toBe('/logos/sermon-archive.png');
      expect(await header.textContent()).toContain('Sermon Archive');
      const cards = tab.locator('[data-testid="video-card"] h2');
      expect(await cards.allInnerTexts()).toEqual(['Sunday sermon: Rendang of the soul']);
      const body = (await tab.locator('body').textContent()) ?? '';
      for (const foreign of ['Kelas Masak', 'Rendang from scratch', 'Knife skills', 'Rp'])
        expect(body).not.toContain(foreign);
      await screenshot(tab, 'browse-second-tenant');

      // Its search box finds only its own "rendang" video, in every order.
      await tab.getByLabel('Search').fill('rendang');
      await tab.getByLabel('Sort').selectOption('title');
      await tab.getByRole('button', { name: 'Show' }).click();
      await tab.waitForURL(/[?&]q=rendang/);
      expect(await cards.allInnerTexts()).toEqual(['Sunday sermon: Rendang of the soul']);
      await tab.goto(`${siteOf(hub, other)}/?q=knife`);
      expect((await tab.getByTestId('empty').textContent())?.trim()).toBe('No videos match “knife”.');

      // The first tenant's video page is not found on the second tenant's host.
      const res = await tab.goto(`${siteOf(hub, other)}/videos/${videoIds[0]}`);
      expect(res?.status()).toBe(404);
      expect(await tab.locator('body').textContent()).not.toContain('Rendang from scratch');
      expect(await tab.title()).toContain('Sermon Archive');
    } finally {
      await tab.close();
    }
  });
});

describe('video page', () => {
  it('shows the title, description, duration and the price in both currencies; signed out, Buy leads to sign-in', async () => {
    const res = await page(`/videos/${videoIds[0]}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>Rendang from scratch · Kelas Masak</title>');
    expect(res.text).toContain('Slow-cooked beef, three hours.');
    expect(res.text).toContain('2:05');
    expect(res.text).toContain('$10.00');
    expect(res.text).toContain('Rp170.000');
    expect(res.text).toContain(
      `<a class="button" href="/sign-in?next=${encodeURIComponent(`/videos/${videoIds[0]}`)}">Sign in to buy for $10.00</a>`,
    );
    expect(res.text).not.toContain('data-buy>');
    expect(res.text).toContain(`href="/sign-in?next=${encodeURIComponent(`/videos/${videoIds[0]}/watch`)}"`);
  });

  it('offers Watch for a free video to a signed-in viewer', async () => {
    const viewer = await h.signedIn(shop);
    const cookie = Object.entries(viewer.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await page(`/videos/${videoIds[2]}`, shop, { cookie });
    expect(res.text).toContain('data-testid="watch"');
    expect(res.text).not.toContain('Buy for');
    expect(res.text).toContain(viewer.username);
  });

  it('error: an unknown or malformed video id is a 404 page', async () => {
    const unknown = await page('/videos/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('Video was not found');
    const malformed = await page('/videos/not-a-video');
    expect(malformed.status).toBe(404);
    expect(malformed.text).toContain('There is no such video here');
    const queued = await page(`/videos/${videoIds[4]}`);
    expect(queued.status).toBe(404);
  });
});

describe('errors and routing', () => {
  it('signed out, the watch and account pages redirect to sign-in and come back after it', async () => {
    const watch = await page(`/videos/${videoIds[0]}/watch`);
    expect(watch.status).toBe(302);
    expect(watch.headers.location).toBe(
      `/sign-in?next=${encodeURIComponent(`/videos/${videoIds[0]}/watch`)}`,
    );
    const account = await page('/account');
    expect(account.status).toBe(302);
    expect(account.headers.location).toBe('/sign-in?next=%2Faccount');
  });

  it('error: an unknown path is a readable 404 page; the hub’s own paths keep their JSON errors', async () => {
    const missing = await page('/no/such/page');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^text\/html/);
    expect(missing.text).toContain('There is no page at /no/such/page');
    const api = await page('/api/v1/nothing');
    expect(api.status).toBe(404);
    expect(JSON.parse(api.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const trpc = await page('/trpc/tenant.current');
    expect(JSON.parse(trpc.text).result.data.name).toBe('Kelas Masak');
  });

  it('error: a tampered session cookie is treated as signed out', async () => {
    const res = await page('/', shop, { cookie: 'ppv_session=forged.value' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('href="/sign-in"');
  });

  it('serves pages under the hub’s Content-Security-Policy, with no inline script', async () => {
    const res = await page(`/videos/${videoIds[0]}`);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
