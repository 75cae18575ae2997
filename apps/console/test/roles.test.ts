import { createHarness, type Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/index';
import { launchBrowser, screenshot, signIn, startTestConsole, startTestHub } from './helpers';

let h: Harness;
let hub: RunningHub;
let con: RunningConsole;
let browser: Browser;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  other = await h.tenant();
  hub = await startTestHub(h);
  con = await startTestConsole(hub, tenant.slug);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await con?.close();
  await hub?.close();
  await h?.close();
});

const url = (path: string) => `http://127.0.0.1:${con.port}${path}`;

describe('console sign-in and roles', () => {
  it('redirects a signed-out visitor to sign-in, and back to the page after signing in', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url('/studio'));
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Tenant').fill(tenant.slug);
    await page.getByLabel('Email or username').fill(creator.username);
    await page.getByLabel('Password').fill(creator.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(url('/studio'));
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain(creator.username);
    // A creator's navigation offers the studio only.
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Studio', 'Sessions']);
    await context.close();
  });

  it('error: a wrong password is refused with the hub’s message and a 401, nothing is kept', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url('/sign-in'));
    await page.getByLabel('Tenant').fill(tenant.slug);
    await page.getByLabel('Email or username').fill(creator.username);
    await page.getByLabel('Password').fill('not-the-password');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    expect(response.status()).toBe(401);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password/i);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('ppv_console_session');
    await context.close();
  });

  it('error: an unknown tenant is named in the refusal', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url('/sign-in'));
    await page.getByLabel('Tenant').fill('no-such-tenant');
    await page.getByLabel('Email or username').fill('someone');
    await page.getByLabel('Password').fill('whatever-password');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    expect(response.status()).toBe(404);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No tenant "no-such-tenant"');
    await context.close();
  });

  it('a creator cannot open hub or tenant admin pages (403), and the hub refuses the call too', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const page = await signIn(browser, url(''), creator, tenant.slug);
    for (const path of ['/hub', '/hub/health', '/tenant', '/tenant/members']) {
      const response = await page.goto(url(path));
      expect(response?.status(), path).toBe(403);
      await expect.poll(() => page.getByTestId('forbidden').textContent()).toContain('Not allowed');
    }
    await screenshot(page, 'creator-forbidden-hub');
    await expect(creator.api.hub.tenants.list()).rejects.toThrow(/hub administrator/);
    await page.context().close();
  });

  it('a viewer cannot open the studio (403) and is told why', async () => {
    const viewer = await h.signedIn(tenant);
    const page = await signIn(browser, url(''), viewer, tenant.slug);
    expect(await page.getByTestId('no-areas').textContent()).toContain('viewer');
    const response = await page.goto(url('/studio'));
    expect(response?.status()).toBe(403);
    expect(await page.getByTestId('forbidden').textContent()).toContain('creator role');
    const json = await page.goto(url('/studio/videos.json'));
    expect(json?.status()).toBe(403);
    await page.context().close();
  });

  it('a console session belongs to its tenant: a creator of another tenant is no creator here', async () => {
    const outsider = await h.signedIn(other, { role: 'creator' });
    const page = await signIn(browser, url(''), outsider, other.slug);
    expect(new URL(page.url()).pathname).toBe('/studio');
    expect(await page.getByTestId('signed-in-as').textContent()).toContain(other.slug);
    // The same account and password on the first tenant, where it has no membership.
    const context = await browser.newContext();
    const there = await context.newPage();
    await there.goto(url('/sign-in'));
    await there.getByLabel('Tenant').fill(tenant.slug);
    await there.getByLabel('Email or username').fill(outsider.username);
    await there.getByLabel('Password').fill(outsider.password);
    await there.getByRole('button', { name: 'Sign in', exact: true }).click();
    await there.waitForURL(url('/'));
    // Signing in there made it a viewer of that tenant, nothing more.
    expect(await there.getByTestId('signed-in-as').textContent()).toContain(`viewer in ${tenant.slug}`);
    expect((await there.goto(url('/studio')))?.status()).toBe(403);
    await context.close();
    await page.context().close();
  });

  it('lists the account’s sessions and signs another one out', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const first = await signIn(browser, url(''), creator, tenant.slug);
    const second = await signIn(browser, url(''), creator, tenant.slug);
    await first.goto(url('/sessions'));
    // The harness's own sign-in, and the two consoles.
    expect(await first.getByTestId('session-row').count()).toBe(3);
    expect(await first.getByTestId('session-row').filter({ hasText: 'this console' }).count()).toBe(1);
    const others = first.getByRole('button', { name: 'Sign out there' });
    for (let n = await others.count(); n > 0; n--) {
      await others.first().click();
      await expect.poll(() => first.getByRole('status').textContent()).toBe('That session is signed out.');
    }
    expect(await first.getByTestId('session-row').count()).toBe(1);
    await second.goto(url('/studio'));
    expect(new URL(second.url()).pathname).toBe('/sign-in');
    await first.context().close();
    await second.context().close();
  });

  it('behavior: a next address off the site is ignored after signing in', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const page = await signIn(browser, url(''), creator, tenant.slug, '//evil.example/steal');
    expect(page.url()).toBe(url('/studio'));
    await page.context().close();
  });

  it('passes the client’s address on to the hub, which records it on the session', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    // As a reverse proxy in front of the console would say (the console trusts loopback here).
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.77' } });
    const page = await context.newPage();
    await page.goto(url('/sign-in'));
    await page.getByLabel('Tenant').fill(tenant.slug);
    await page.getByLabel('Email or username').fill(creator.username);
    await page.getByLabel('Password').fill(creator.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(url('/studio'));
    const sessions = await creator.api.auth.sessions.list();
    expect(sessions.map((s) => s.ip)).toContain('203.0.113.77');
    await context.close();
  });

  it('error: a form posted from another site is refused before it reaches the hub', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const response = await fetch(url('/sign-in'), {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ tenant: tenant.slug, login: creator.username, password: creator.password }),
      redirect: 'manual',
    });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie().join()).not.toContain('ppv_console_session');
  });

  it('error: a viewer cannot upload through the console: the hub refuses the tus request', async () => {
    const viewer = await h.signedIn(tenant);
    const page = await signIn(browser, url(''), viewer, tenant.slug);
    const answer = await page.evaluate(async () => {
      const response = await fetch('/uploads', {
        method: 'POST',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-length': '1000',
          'upload-metadata': `filename ${btoa('clip.mp4')}`,
        },
      });
      return { status: response.status, text: await response.text() };
    });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('needs the creator role');
    await page.context().close();
  });

  it('signing out ends the hub session: the old cookie no longer opens the studio', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const page = await signIn(browser, url(''), creator, tenant.slug);
    const saved = (await page.context().cookies()).find((c) => c.name === 'ppv_console_session');
    expect(saved).toBeDefined();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/sign-in'));
    const replay = await browser.newContext();
    await replay.addCookies([{ ...saved!, name: 'ppv_console_session' }]);
    const again = await replay.newPage();
    await again.goto(url('/studio'));
    expect(new URL(again.url()).pathname).toBe('/sign-in');
    await replay.close();
    await page.context().close();
  });

  it('error: an unknown asset or page is a plain 404', async () => {
    expect((await fetch(url('/_astro/missing.js'))).status).toBe(404);
    expect((await fetch(url('/no-such-page'))).status).toBe(404);
  });

  it('error: with the hub down, pages say so with a 503 instead of failing', async () => {
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const page = await signIn(browser, url(''), creator, tenant.slug);
    await hub.close();
    const response = await page.goto(url('/studio'));
    expect(response?.status()).toBe(503);
    expect(await page.getByTestId('unavailable').textContent()).toContain('The hub is not answering');
    await page.context().close();
  });
});
