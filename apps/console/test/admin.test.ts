import { createHarness, type Harness, unique } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/index';
import { catalogVideo, launchBrowser, screenshot, signIn, startTestConsole, startTestHub } from './helpers';

let h: Harness;
let hub: RunningHub;
let con: RunningConsole;
let browser: Browser;
let home: Tenant;
let admin: Awaited<ReturnType<Harness['signedIn']>>;
let page: Page;

beforeAll(async () => {
  h = await createHarness();
  home = await h.tenant();
  admin = await h.signedIn(home, { hubAdmin: true });
  hub = await startTestHub(h);
  con = await startTestConsole(hub, home.slug);
  browser = await launchBrowser();
  page = await signIn(browser, `http://127.0.0.1:${con.port}`, admin, home.slug);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await con?.close();
  await hub?.close();
  await h?.close();
});

const url = (path: string) => `http://127.0.0.1:${con.port}${path}`;

describe('hub admin', () => {
  it('creates a tenant in the console, and its storefront answers on its host name', async () => {
    expect(new URL(page.url()).pathname).toBe('/hub');
    const slug = unique('shop');
    const host = `videos-${slug}.example.test`;
    const owner = await h.signedIn(home);
    await page.getByLabel('Name', { exact: true }).fill('Acme Lessons');
    await page.getByLabel('Slug').fill(slug);
    await page.getByLabel('Host names').fill(host);
    await page.getByLabel('Tenant fee (basis points)').fill('1000');
    await page.getByLabel('Display currency').fill('IDR');
    await page.getByLabel('Rate (per US$)').fill('17000');
    await page.getByLabel('Administrator').fill(owner.username);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe(`Created Acme Lessons (${slug}).`);
    const row = page.locator(`[data-testid="tenant-row"][data-slug="${slug}"]`);
    expect(await row.textContent()).toContain(host);
    expect(await row.textContent()).toContain('10.00%');
    await screenshot(page, 'hub-tenants');

    const [created] = (await admin.api.hub.tenants.list()).filter((t) => t.slug === slug);
    expect(created).toMatchObject({
      name: 'Acme Lessons',
      feeBps: 1000,
      displayCurrency: 'IDR',
      hostnames: [host],
    });

    const shopper = await browser.newContext();
    const storefront = await shopper.newPage();
    const response = await storefront.goto(`http://${host}:${hub.port}/`);
    expect(response?.status()).toBe(200);
    expect(await storefront.title()).toContain('Acme Lessons');
    await screenshot(storefront, 'new-tenant-storefront');
    await shopper.close();
  });

  it('error: a slug that is taken is refused with a 409 and the form keeps what was typed', async () => {
    await page.goto(url('/hub'));
    await page.getByLabel('Name', { exact: true }).fill('Second home');
    await page.getByLabel('Slug').fill(home.slug);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Create tenant' }).click(),
    ]);
    expect(response.status()).toBe(409);
    expect(await page.getByRole('alert').textContent()).toContain(
      `A tenant with slug "${home.slug}" already exists`,
    );
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Second home');
  });

  it('sets a tenant’s host names and its own upload limit, then returns it to the hub default', async () => {
    const t = await h.tenant();
    await page.goto(url(`/hub/tenants/${t.id}`));
    await page
      .getByLabel('Custom domains, one per line')
      .fill(`a-${t.slug}.example.test\nb-${t.slug}.example.test`);
    await page.getByRole('button', { name: 'Save host names' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`a-${t.slug}.example.test`);
    await page.getByLabel('Largest upload (MiB)').fill('200');
    await page.getByRole('button', { name: 'Save upload limit' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Upload limit: 200 MB.');
    const listed = async () => (await admin.api.hub.tenants.list()).find((x) => x.id === t.id)!;
    expect(await listed()).toMatchObject({
      maxUploadBytes: 200 * 1024 * 1024,
      hostnames: [`a-${t.slug}.example.test`, `b-${t.slug}.example.test`],
    });
    await page.getByLabel('Largest upload (MiB)').fill('');
    await page.getByRole('button', { name: 'Save upload limit' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Upload limit: the hub default.');
    expect((await listed()).maxUploadBytes).toBeNull();
  });

  it('changes another tenant’s fee share and payout wallet from its page', async () => {
    const t = await h.tenant();
    const tenantAdmin = await h.signedIn(t, { role: 'tenant_admin' });
    await page.goto(url(`/hub/tenants/${t.id}`));
    await page.getByLabel('Tenant fee (basis points)').fill('1500');
    await page.getByLabel('Payout wallet').fill('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Saved.');
    expect(await tenantAdmin.api.tenant.settings()).toMatchObject({
      feeBps: 1500,
      payoutWallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    });
    await screenshot(page, 'hub-tenant');
  });

  it('error: an upload limit below 1 MiB is refused with the hub’s message and nothing changes', async () => {
    const t = await h.tenant();
    await page.goto(url(`/hub/tenants/${t.id}`));
    await page.getByLabel('Largest upload (MiB)').fill('0');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Save upload limit' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('at least 1 MiB');
    expect((await admin.api.hub.tenants.list()).find((x) => x.id === t.id)?.maxUploadBytes).toBeNull();
  });

  it('shows the hub’s health: database, job queue and chain', async () => {
    const response = await page.goto(url('/hub/health'));
    expect(response?.status()).toBe(200);
    const health = page.getByTestId('health');
    expect(await health.textContent()).toContain('Database');
    expect(await health.textContent()).toMatch(/Answers in \d+ ms/);
    expect(await page.getByTestId('pending-jobs').textContent()).toMatch(/^\d+$/);
    expect(await health.textContent()).toContain('not configured');
  });
});

describe('tenant admin', () => {
  let t: Tenant;
  let tenantAdmin: Awaited<ReturnType<Harness['signedIn']>>;
  let tpage: Page;

  beforeAll(async () => {
    t = await h.tenant();
    tenantAdmin = await h.signedIn(t, { role: 'tenant_admin' });
    tpage = await signIn(browser, url(''), tenantAdmin, t.slug);
  });

  it('lands on the tenant pages and cannot open hub administration', async () => {
    expect(new URL(tpage.url()).pathname).toBe('/tenant');
    const nav = tpage.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Studio', 'Tenant', 'Sessions']);
    expect((await tpage.goto(url('/hub')))?.status()).toBe(403);
    await tpage.goto(url('/tenant'));
  });

  it('rebrands the tenant, and its storefront shows the new name', async () => {
    await tpage.getByLabel('Name', { exact: true }).fill('Rebranded Portal');
    await tpage.getByLabel('Tenant fee (basis points)').fill('750');
    await tpage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => tpage.getByRole('status').textContent()).toContain('Saved.');
    await screenshot(tpage, 'tenant-branding');
    expect(await tenantAdmin.api.tenant.settings()).toMatchObject({ name: 'Rebranded Portal', feeBps: 750 });
    // The hub serves the new branding once its few-seconds tenant cache has turned over.
    const current = async () => {
      const response = await fetch(`http://127.0.0.1:${hub.port}/trpc/tenant.current`, {
        headers: { 'x-ppv-tenant': t.slug },
      });
      return ((await response.json()) as { result: { data: { name: string } } }).result.data.name;
    };
    await expect.poll(current, { timeout: 15_000 }).toBe('Rebranded Portal');
  });

  it('error: a payout wallet that is not an address is refused and the settings stay', async () => {
    await tpage.goto(url('/tenant'));
    await tpage.getByLabel('Payout wallet').fill('not-a-wallet');
    const [response] = await Promise.all([
      tpage.waitForResponse((r) => r.request().method() === 'POST'),
      tpage.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(response.status()).toBe(400);
    expect(await tpage.getByRole('alert').textContent()).toContain('0x-prefixed 20-byte address');
    expect((await tenantAdmin.api.tenant.settings()).payoutWallet).toBeNull();
  });

  it('makes a viewer a creator, who can then open the studio', async () => {
    const member = await h.signedIn(t);
    await tpage.goto(url('/tenant/members'));
    const row = tpage.locator(`[data-testid="member-row"][data-username="${member.username}"]`);
    await row.getByLabel(`Role of ${member.username}`).selectOption('creator');
    await row.getByRole('button', { name: 'Set role' }).click();
    await expect
      .poll(() => tpage.getByRole('status').textContent())
      .toBe(`${member.username} is now creator.`);
    const studio = await signIn(browser, url(''), member, t.slug);
    expect(new URL(studio.url()).pathname).toBe('/studio');
    await studio.context().close();
  });

  it('removes a creator’s video (moderation), and it leaves the catalog; the audit log records it', async () => {
    const creator = await h.signedIn(t, { role: 'creator' });
    const videoId = await catalogVideo(h, t, creator.userId, 'Off-topic upload');
    await tpage.goto(url('/tenant/videos'));
    const row = tpage.getByTestId('tenant-video').filter({ hasText: 'Off-topic upload' });
    expect(await row.textContent()).toContain(creator.username);
    await row.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => tpage.getByRole('status').textContent()).toContain('Removed “Off-topic upload”');
    const catalog = await h.client(t).api.videos.list({});
    expect(catalog.videos.map((v) => v.id)).not.toContain(videoId);
    await tpage.goto(url('/tenant/audit'));
    const audit = await tpage.getByTestId('audit').textContent();
    expect(audit).toContain('video.deleted');
    expect(audit).toContain('member.role_changed');
    expect(audit).toContain('tenant.updated');
  });

  it('hides a video with a reason (its creator sees it and cannot publish it back), then restores it', async () => {
    const creator = await h.signedIn(t, { role: 'creator' });
    const videoId = await catalogVideo(h, t, creator.userId, 'Disputed upload');
    const listed = async () => (await h.client(t).api.videos.list({})).videos.map((v) => v.id);
    await tpage.goto(url('/tenant/videos'));
    const row = () => tpage.getByTestId('tenant-video').filter({ hasText: 'Disputed upload' });
    await row().getByLabel('Reason').fill('Copyright claim');
    await row().getByRole('button', { name: 'Hide' }).click();
    await expect.poll(() => tpage.getByRole('status').textContent()).toContain('Hid “Disputed upload”');
    expect(await row().locator('[data-hidden]').textContent()).toBe('Hidden: Copyright claim');
    expect(await listed()).not.toContain(videoId);

    // The creator's studio page shows the moderator's hide; publishing it back is refused.
    const studio = await signIn(browser, url(''), creator, t.slug, `/studio/videos/${videoId}`);
    expect(await studio.getByTestId('moderator-hide').textContent()).toContain('Copyright claim');
    await studio.getByRole('button', { name: 'Unpublish' }).click();
    await expect.poll(() => studio.getByRole('status').textContent()).toContain('Unpublished');
    await studio.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => studio.getByRole('alert').last().textContent())
      .toBe('A moderator hid this video (Copyright claim); only a tenant admin can restore it');
    await studio.context().close();

    await tpage.goto(url('/tenant/videos'));
    await row().getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => tpage.getByRole('status').textContent()).toContain('Restored “Disputed upload”');
    // Still unpublished by its creator: restoring does not override that.
    expect(await listed()).not.toContain(videoId);
    await creator.api.videos.publish({ videoId });
    expect(await listed()).toContain(videoId);
    await tpage.goto(url('/tenant/audit'));
    const audit = await tpage.getByTestId('audit').textContent();
    expect(audit).toContain('video.hidden');
    expect(audit).toContain('video.restored');
  });

  it('sees only its own tenant: the hub’s tenant list is refused by the hub as well', async () => {
    await expect(tenantAdmin.api.hub.tenants.list()).rejects.toThrow(/hub administrator/);
    await tpage.goto(url('/tenant/members'));
    const names = await tpage
      .locator('[data-testid="member-row"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-username')));
    expect(names).toContain(tenantAdmin.username);
    expect(names).not.toContain(admin.username);
  });
});

describe('hub admin: users and videos of every tenant', () => {
  it('lists users with their roles per tenant, and finds one by name', async () => {
    const t = await h.tenant();
    const creator = await h.signedIn(t, { role: 'creator' });
    const response = await page.goto(url(`/hub/users?q=${creator.username}`));
    expect(response?.status()).toBe(200);
    const rows = page.getByTestId('user-row');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(`creator in ${t.slug}`);
    await page.goto(url('/hub/users'));
    expect(
      await page.locator(`[data-testid="user-row"][data-username="${admin.username}"]`).textContent(),
    ).toContain('hub admin');
    await screenshot(page, 'hub-users');
  });

  it('lists the videos of every tenant with tenant and creator, by status', async () => {
    const t = await h.tenant();
    const creator = await h.signedIn(t, { role: 'creator' });
    await catalogVideo(h, t, creator.userId, 'Hub-wide listing');
    await page.goto(url('/hub/videos?status=ready'));
    const row = page.getByTestId('hub-video').filter({ hasText: 'Hub-wide listing' });
    expect(await row.textContent()).toContain(t.slug);
    expect(await row.textContent()).toContain(creator.username);
    await page.goto(url('/hub/videos?status=error'));
    expect(await page.getByTestId('hub-video').filter({ hasText: 'Hub-wide listing' }).count()).toBe(0);
    const bad = await page.goto(url('/hub/videos?status=gone'));
    expect(bad?.status()).toBe(400);
  });

  it('a tenant admin cannot open the hub-wide users and videos', async () => {
    const t = await h.tenant();
    const tenantAdmin = await h.signedIn(t, { role: 'tenant_admin' });
    const other = await signIn(browser, url(''), tenantAdmin, t.slug);
    for (const path of ['/hub/users', '/hub/videos'])
      expect((await other.goto(url(path)))?.status(), path).toBe(403);
    await other.context().close();
  });
});
