import { randomBytes } from 'node:crypto';
import { createHarness, type Harness, recordTestSale, type TestSale } from '@ppv/core/testing';
import { PlaybackSessionEntity, type Tenant, withTenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/index';
import { launchBrowser, screenshot, signIn, startTestConsole, startTestHub } from './helpers';

let h: Harness;
let hub: RunningHub;
let con: RunningConsole;
let browser: Browser;
let a: Tenant;
let b: Tenant;
let c: Tenant;
let creatorA: Awaited<ReturnType<Harness['signedIn']>>;
let adminA: Awaited<ReturnType<Harness['signedIn']>>;
let adminB: Awaited<ReturnType<Harness['signedIn']>>;
let hubAdmin: Awaited<ReturnType<Harness['signedIn']>>;
/**
 * Creator A's sales: now, two days ago, on 2026-06-15 (outside the default range) and an underpaid
 * one; then one of tenant B. Those recorded "now" get the harness's clock, so they come in this order.
 */
let today: TestSale;
let twoDaysAgo: TestSale;
let june: TestSale;
let short: TestSale;
let ofB: TestSale;
const pages: Record<string, Page> = {};

const DAY_MS = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

beforeAll(async () => {
  h = await createHarness();
  // One coin that needs a rate (ETH) and one stablecoin.
  h.deps.config = {
    ...h.deps.config,
    money: {
      ...h.deps.config.money,
      tokens: [
        { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
        { symbol: 'USDC', address: `0x${'c'.repeat(40)}`, decimals: 6, stable: true },
      ],
    },
  };
  a = await h.tenant();
  b = await h.tenant();
  c = await h.tenant();
  creatorA = await h.signedIn(a, { role: 'creator' });
  adminA = await h.signedIn(a, { role: 'tenant_admin' });
  adminB = await h.signedIn(b, { role: 'tenant_admin' });
  hubAdmin = await h.signedIn(a, { hubAdmin: true });
  const now = h.deps.clock();
  today = await recordTestSale(h, a, { creatorId: creatorA.userId });
  twoDaysAgo = await recordTestSale(h, a, {
    creatorId: creatorA.userId,
    at: new Date(now.getTime() - 2 * DAY_MS),
  });
  june = await recordTestSale(h, a, { creatorId: creatorA.userId, at: new Date('2026-06-15T12:00:00Z') });
  short = await recordTestSale(h, a, { creatorId: creatorA.userId, paid: 4_000_000n });
  ofB = await recordTestSale(h, b);
  hub = await startTestHub(h);
  con = await startTestConsole(hub, a.slug);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await con?.close();
  await hub?.close();
  await h?.close();
});

const url = (path: string) => `http://127.0.0.1:${con.port}${path}`;

/** One signed-in page per account, reused across tests. */
async function as(who: 'creatorA' | 'adminA' | 'adminB' | 'hubAdmin'): Promise<Page> {
  const existing = pages[who];
  if (existing) return existing;
  const account = { creatorA, adminA, adminB, hubAdmin }[who];
  const page = await signIn(browser, url(''), account, who === 'adminB' ? b.slug : a.slug);
  pages[who] = page;
  return page;
}

const dayRow = (page: Page, day: string) => page.locator(`[data-testid="sales-day"][data-day="${day}"]`);

describe('earnings', () => {
  it('shows a creator the last 30 days by default: totals, a per-day chart and its table', async () => {
    const page = await as('creatorA');
    const response = await page.goto(url('/studio/earnings'));
    expect(response?.status()).toBe(200);
    const now = h.deps.clock();
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(
      dayOf(new Date(now.getTime() - 29 * DAY_MS)),
    );
    expect(await page.getByLabel('To (included)').inputValue()).toBe(dayOf(now));
    // Two credited sales in range (85% of 10.00 each); the underpaid one and June's are not earnings here.
    expect(await page.getByTestId('earnings-usd').textContent()).toBe('$17.00');
    const token = page.locator('[data-testid="earnings-token"][data-token="TUSD"]');
    expect(await token.textContent()).toContain('17000000 (smallest units)');
    expect(await token.locator('td').nth(4).textContent()).toBe('2');

    const chart = page.getByRole('img', { name: 'Your net earnings per day in US dollars' });
    expect(await chart.locator('desc').textContent()).toContain('30 days from');
    expect(await chart.locator('rect.bar').count()).toBe(30);
    expect(
      Number(await chart.locator(`rect[data-day="${dayOf(now)}"]`).getAttribute('height')),
    ).toBeGreaterThan(0);
    expect(await page.getByTestId('sales-day').count()).toBe(30);
    expect(await dayRow(page, dayOf(now)).locator('td').allTextContents()).toEqual([
      dayOf(now),
      '$8.50',
      '1',
    ]);
    expect(await dayRow(page, dayOf(new Date(now.getTime() - 2 * DAY_MS))).textContent()).toContain('$8.50');
    expect(await dayRow(page, dayOf(new Date(now.getTime() - DAY_MS))).textContent()).toContain('$0.00');
    await screenshot(page, 'studio-earnings');
  });

  it('behavior: the "to" day is included — a sale on the last day counts, one day earlier it does not', async () => {
    const page = await as('creatorA');
    await page.goto(url('/studio/earnings'));
    await page.getByLabel('From', { exact: true }).fill('2026-06-01');
    await page.getByLabel('To (included)').fill('2026-06-15');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('to') === '2026-06-15');
    expect(await page.getByTestId('earnings-usd').textContent()).toBe('$8.50');
    expect(await page.getByTestId('sales-day').count()).toBe(15);
    expect(await dayRow(page, '2026-06-15').textContent()).toContain('$8.50');

    await page.goto(url('/studio/earnings?from=2026-06-01&to=2026-06-14'));
    expect(await page.getByTestId('no-earnings').textContent()).toBe('No earnings in this range.');
    expect(await page.getByTestId('earnings-usd').textContent()).toBe('$0.00');
  });

  it('downloads the range as CSV: text/csv, an attachment named by its first and last day', async () => {
    const page = await as('creatorA');
    await page.goto(url('/studio/earnings?from=2026-06-01&to=2026-06-15'));
    const href = await page.getByTestId('csv-link').getAttribute('href');
    expect(href).toBe('/studio/earnings.csv?from=2026-06-01&to=2026-06-15');
    const response = await page.request.get(url(href ?? ''));
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers()['content-disposition']).toBe(
      'attachment; filename="earnings-creator-2026-06-01-2026-06-15.csv"',
    );
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'date,kind,party,tenant,video_id,chain_id,token,token_address,amount_smallest_unit,usd_cents,address,tx_hash,log_index',
    );
    expect(lines).toHaveLength(2);
    const fields = lines[1]?.split(',') ?? [];
    expect(fields.slice(0, 5)).toEqual([
      '2026-06-15T12:00:00.000Z',
      'share',
      'creator',
      a.slug,
      june.videoId,
    ]);
    expect(fields.slice(8, 10)).toEqual(['8500000', '850']);
    expect(fields[11]).toBe(june.event.transactionHash);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('csv-link').click(),
    ]);
    expect(download.suggestedFilename()).toBe('earnings-creator-2026-06-01-2026-06-15.csv');
  });

  it('error: a range that ends before it starts, or a day that does not exist, is a 400 with the reason', async () => {
    const page = await as('creatorA');
    const response = await page.goto(url('/studio/earnings?from=2026-06-10&to=2026-06-01'));
    expect(response?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('“From” must be on or before “To”.');
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe('2026-06-10');
    expect(await page.getByTestId('sales-chart').count()).toBe(0);

    const bad = await page.goto(url('/studio/earnings?from=2026-02-30&to=2026-03-01'));
    expect(bad?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toMatch(
      /^“From” must be a date such as \d{4}-\d{2}-\d{2}\.$/,
    );

    const long = await page.goto(url('/studio/earnings?from=2025-01-01&to=2026-06-01'));
    expect(long?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('Pick at most 366 days (this range has 517).');

    const csv = await page.request.get(url('/studio/earnings.csv?from=2026-06-10&to=2026-06-01'));
    expect(csv.status()).toBe(400);
    expect(await csv.text()).toBe('“From” must be on or before “To”.\n');
  });

  it('shows a tenant admin the tenant’s share, and tenant B none of tenant A’s money', async () => {
    const page = await as('adminA');
    expect((await page.goto(url('/tenant/earnings')))?.status()).toBe(200);
    expect(await page.getByTestId('earnings-usd').textContent()).toBe('$2.00');
    const csv = await page.request.get(url('/tenant/earnings.csv?from=2026-06-01&to=2026-06-30'));
    expect(csv.headers()['content-disposition']).toBe(
      'attachment; filename="earnings-tenant-2026-06-01-2026-06-30.csv"',
    );
    expect((await csv.text()).split('\r\n')[1]).toContain(',share,tenant,');

    const other = await as('adminB');
    expect((await other.goto(url('/tenant/earnings')))?.status()).toBe(200);
    expect(await other.getByTestId('signed-in-as').textContent()).toContain(b.slug);
    expect(await other.getByTestId('earnings-usd').textContent()).toBe('$1.00');
    const now = h.deps.clock();
    const from = dayOf(new Date(now.getTime() - 365 * DAY_MS));
    const bCsv = await (
      await other.request.get(url(`/tenant/earnings.csv?from=${from}&to=${dayOf(now)}`))
    ).text();
    expect(bCsv).toContain(ofB.event.transactionHash);
    for (const s of [today, twoDaysAgo, june, short]) expect(bCsv).not.toContain(s.event.transactionHash);
    await other.goto(url('/tenant/payments'));
    expect(await other.getByTestId('payment-tx').allTextContents()).toEqual([ofB.event.transactionHash]);
  });

  it('shows a hub admin the hub’s share of every tenant', async () => {
    const page = await as('hubAdmin');
    expect((await page.goto(url('/hub/earnings')))?.status()).toBe(200);
    // 5% of the three credited sales in range: two of tenant A, one of tenant B.
    expect(await page.getByTestId('earnings-usd').textContent()).toBe('$1.50');
    expect(
      await page.getByRole('img', { name: 'The hub’s net earnings per day in US dollars' }).count(),
    ).toBe(1);
    const csv = await page.request.get(url('/hub/earnings.csv'));
    expect(csv.status()).toBe(200);
    const body = await csv.text();
    expect(body).toContain(`,hub,${a.slug},`);
    expect(body).toContain(`,hub,${b.slug},`);
  });
});

describe('payments', () => {
  it('lists a tenant’s payments with status, problem and transaction, filtered by status', async () => {
    const page = await as('adminA');
    expect((await page.goto(url('/tenant/payments')))?.status()).toBe(200);
    expect(await page.getByTestId('payment-tx').allTextContents()).toEqual(
      [short, today, twoDaysAgo, june].map((s) => s.event.transactionHash),
    );
    await page.getByLabel('Status').selectOption('underpaid');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('status') === 'underpaid');
    const rows = page.getByTestId('payment-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.getAttribute('data-tx')).toBe(short.event.transactionHash);
    expect(await page.getByTestId('payment-problem').textContent()).toBe(
      'paid 4000000; the invoice asks for 10000000',
    );
    await page.goto(url('/tenant/payments?status=duplicate'));
    expect(await page.getByTestId('no-payments').textContent()).toBe('No payments with status duplicate.');
    await screenshot(page, 'tenant-payments');

    const bad = await page.goto(url('/tenant/payments?status=lost'));
    expect(bad?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('Status must be one of credited, overpaid');
  });

  it('pages a hub admin through every tenant’s payments, 50 at a time, naming each tenant', async () => {
    const creator = await h.signedIn(c, { role: 'creator' });
    const viewer = await h.signedIn(c);
    const sales: TestSale[] = [];
    for (let i = 0; i < 51; i++) {
      sales.push(
        await recordTestSale(h, c, {
          creatorId: creator.userId,
          viewerId: viewer.userId,
          at: new Date(Date.UTC(2026, 0, 1, 0, i)),
        }),
      );
    }
    const page = await as('hubAdmin');
    expect((await page.goto(url('/hub/payments')))?.status()).toBe(200);
    const first = await page.getByTestId('payment-tx').allTextContents();
    expect(first).toHaveLength(50);
    expect(first.slice(0, 5)).toEqual(
      [ofB, short, today, twoDaysAgo, june].map((s) => s.event.transactionHash),
    );
    const tenantsShown = await page.locator('[data-testid="payment-row"] td:nth-child(2)').allTextContents();
    expect(new Set(tenantsShown)).toEqual(new Set([a.slug, b.slug, c.slug]));
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL((u) => u.searchParams.get('offset') === '50');
    const second = await page.getByTestId('payment-tx').allTextContents();
    // 56 in all: 4 of A, 1 of B, 51 of C; C's oldest is last.
    expect(second).toHaveLength(6);
    expect(second.at(-1)).toBe(sales[0]?.event.transactionHash);
    expect(new Set([...first, ...second]).size).toBe(56);
    expect(await page.getByRole('link', { name: 'Older →' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: '← Newer' }).count()).toBe(1);
  });
});

describe('rates', () => {
  it('sets a token rate as hub admin and shows it in force, with its validity, in the history', async () => {
    const page = await as('hubAdmin');
    await page.goto(url('/hub/rates'));
    expect(
      await page.getByTestId('rate-form').getByLabel('Token').locator('option').allTextContents(),
    ).toEqual(['ETH']);
    await page.getByLabel('US$ per token').fill('3456.78');
    await page.getByLabel('Valid from (UTC)').fill('2026-01-01T00:00');
    await page.getByLabel('Valid until (UTC)').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Set rate' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Saved: 1 ETH = $3,456.78 until 2099-01-01 00:00 UTC.');
    const row = page.locator('[data-testid="token-rates"][data-token="ETH"] [data-testid="token-rate-row"]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-state')).toBe('in force');
    expect(await row.textContent()).toContain('2026-01-01 00:00 UTC');
    const [stored] = await hubAdmin.api.rates.tokenRates({ token: 'ETH' });
    expect(stored).toMatchObject({
      usdMicrosPerToken: '3456780000',
      validUntil: new Date('2099-01-01T00:00:00Z'),
    });
    await screenshot(page, 'hub-rates');
  });

  it('error: a rate that is not a decimal, and a window that ends before it starts, are 400s with the reason', async () => {
    const page = await as('hubAdmin');
    await page.goto(url('/hub/rates'));
    await page.getByLabel('US$ per token').fill('lots');
    await page.getByLabel('Valid until (UTC)').fill('2099-01-01T00:00');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Set rate' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain(
      'Rate is US dollars per whole token, a decimal with up to 6 places',
    );
    expect(await page.getByLabel('US$ per token').inputValue()).toBe('lots');

    await page.getByLabel('US$ per token').fill('10');
    await page.getByLabel('Valid from (UTC)').fill('2099-02-01T00:00');
    await page.getByLabel('Valid until (UTC)').fill('2099-01-01T00:00');
    const [second] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Set rate' }).click(),
    ]);
    expect(second.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('validUntil must be after validFrom');
    expect(await hubAdmin.api.rates.tokenRates({ token: 'ETH' })).toHaveLength(1);
  });

  it('sets the tenant’s display currency rate and keeps the previous one as history', async () => {
    const page = await as('adminA');
    await page.goto(url('/tenant/rates'));
    await page.getByLabel('Currency').fill('IDR');
    await page.getByLabel('Units per US$').fill('17000');
    await page.getByRole('button', { name: 'Set rate' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved: 1 US$ = 17000 IDR.');
    expect(await page.getByTestId('current-rate').textContent()).toContain('1 US$ = 17000 IDR');
    const rows = page.getByTestId('display-rate-row');
    expect(await rows.first().textContent()).toContain('(current)');
    expect(await rows.first().textContent()).toContain(adminA.username);
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect((await adminA.api.tenant.settings()).displayCurrency).toBe('IDR');
    // Tenant B's rate is its own.
    expect((await adminB.api.rates.displayRates({})).map((r) => r.currency)).not.toContain('IDR');
  });

  it('error: a currency that is no ISO code and a zero rate are 400s, and nothing changes', async () => {
    const page = await as('adminA');
    await page.goto(url('/tenant/rates'));
    const before = await adminA.api.rates.displayRates({});
    await page.getByLabel('Currency').fill('ID');
    await page.getByLabel('Units per US$').fill('17000');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Set rate' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('3-letter ISO code');
    await page.getByLabel('Currency').fill('EUR');
    await page.getByLabel('Units per US$').fill('0');
    const [zero] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Set rate' }).click(),
    ]);
    expect(zero.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('Rate must be greater than zero');
    expect(await adminA.api.rates.displayRates({})).toEqual(before);
  });
});

describe('watching now', () => {
  it("shows a creator the live sessions of their own videos, and nobody else's", async () => {
    const viewer = await h.signedIn(a);
    const at = h.deps.clock();
    const live = await withTenant(h.db.orm, a.id, async (em) => {
      const row = (videoId: string, expiresAt: Date, endedAt: Date | null) =>
        em.create(PlaybackSessionEntity, {
          tenantId: a.id,
          videoId,
          userId: viewer.userId,
          code: randomBytes(4).toString('hex').toUpperCase(),
          seed: randomBytes(32),
          expiresAt,
          endedAt,
        });
      const s = row(today.videoId, new Date(at.getTime() + 600_000), null);
      row(twoDaysAgo.videoId, new Date(at.getTime() + 600_000), at);
      row(june.videoId, new Date(at.getTime() - 1_000), null);
      await em.flush();
      return s;
    });
    const page = await as('creatorA');
    expect((await page.goto(url('/studio/watching')))?.status()).toBe(200);
    const rows = page.getByTestId('watching-row');
    expect(await rows.count()).toBe(1);
    expect(await rows.getAttribute('data-session')).toBe(live.id);
    expect(await rows.locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['Sold', viewer.username, live.code]),
    );
    await screenshot(page, 'studio-watching');

    const other = await signIn(browser, url(''), await h.signedIn(a, { role: 'creator' }), a.slug);
    await other.goto(url('/studio/watching'));
    expect(await other.getByTestId('no-watching').textContent()).toBe(
      'Nobody is watching your videos right now.',
    );
    await other.context().close();
  });
});

describe('health and roles', () => {
  it('shows the chain indexer next to the job queue on the health page', async () => {
    const page = await as('hubAdmin');
    expect((await page.goto(url('/hub/health')))?.status()).toBe(200);
    expect(await page.getByTestId('pending-jobs').count()).toBe(1);
    // This hub has no payment contract: the indexer says so instead of a lag.
    expect(await page.getByTestId('indexer').textContent()).toContain('not configured');
    expect(await page.getByTestId('indexer').textContent()).toContain('no contract to index');
  });

  it('refuses each money page to roles below it (403), and signed-out visitors go to sign-in', async () => {
    const creatorPage = await as('creatorA');
    for (const path of [
      '/tenant/earnings',
      '/tenant/earnings.csv',
      '/tenant/payments',
      '/tenant/rates',
      '/hub/earnings',
      '/hub/earnings.csv',
      '/hub/payments',
      '/hub/rates',
    ]) {
      const response = await creatorPage.request.get(url(path));
      expect(response.status(), path).toBe(403);
      expect(await response.text(), path).toContain('Not allowed');
    }
    const adminPage = await as('adminA');
    for (const path of ['/hub/earnings', '/hub/earnings.csv', '/hub/payments', '/hub/rates']) {
      expect((await adminPage.request.get(url(path))).status(), path).toBe(403);
    }
    const viewer = await h.signedIn(a);
    const viewerPage = await signIn(browser, url(''), viewer, a.slug);
    for (const path of ['/studio/earnings', '/studio/earnings.csv', '/studio/watching']) {
      const response = await viewerPage.request.get(url(path));
      expect(response.status(), path).toBe(403);
      expect(await response.text(), path).toContain('creator role');
    }
    await viewerPage.context().close();
    const anonymous = await browser.newContext();
    const response = await anonymous.request.get(url('/studio/earnings.csv?from=2026-06-01&to=2026-06-15'), {
      maxRedirects: 0,
    });
    expect(response.status()).toBe(303);
    expect(response.headers().location).toBe(
      `/sign-in?next=${encodeURIComponent('/studio/earnings.csv?from=2026-06-01&to=2026-06-15')}`,
    );
    await anonymous.close();
  });
});
