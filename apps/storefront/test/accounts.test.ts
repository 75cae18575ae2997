import { type AnvilInstance, createChainClient, DEV_ACCOUNTS, startAnvil } from '@ppv/chain';
import { createHarness, type Harness, unique } from '@ppv/core/testing';
import { OutboxEmailEntity, type Tenant, withTenant } from '@ppv/db';
import type { RunningHub } from '@ppv/hub';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, hostOf, launchBrowser, screenshot, siteOf, startStorefrontHub } from './helpers';

let anvil: AnvilInstance;
let h: Harness;
let hub: RunningHub;
let browser: Browser;
let tenant: Tenant;
const PASSWORD = 'Window-Seat-Blue-7';

beforeAll(async () => {
  anvil = await startAnvil();
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  h = await createHarness({ chain: { client, chainId: 31337 } });
  tenant = await h.tenant();
  hub = await startStorefrontHub(h);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await h?.close();
  await anvil?.stop();
});

const site = () => siteOf(hub, tenant);

async function withPage<T>(fn: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    return await fn(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

async function signUp(page: Page, username: string, email = `${username}@example.com`) {
  await page.goto(`${site()}/sign-up`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${site()}/account`);
}

async function signIn(page: Page, login: string, password: string, next = '/account') {
  await page.goto(`${site()}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email or username').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${site()}${next}`);
}

/** An EIP-1193 provider in the page, backed by a viem local account (anvil's first dev key). */
async function injectWallet(context: BrowserContext, privateKey: Hex) {
  const account = privateKeyToAccount(privateKey);
  await context.exposeFunction('__testWallet', async (method: string, params: unknown[]) => {
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account.address];
    if (method === 'eth_chainId') return '0x7a69';
    if (method === 'personal_sign') {
      const [message, from] = params as [Hex, string];
      if (from.toLowerCase() !== account.address.toLowerCase()) throw new Error('unknown account');
      return account.signMessage({ message: { raw: message } });
    }
    throw new Error(`unsupported method ${method}`);
  });
  await context.addInitScript(() => {
    const call = (window as unknown as { __testWallet: (m: string, p: unknown[]) => Promise<unknown> })
      .__testWallet;
    (window as unknown as { ethereum: unknown }).ethereum = {
      request: ({ method, params }: { method: string; params?: unknown[] }) => call(method, params ?? []),
    };
  });
  return account;
}

describe('accounts', () => {
  it('signs up, is signed in, sees the session on the account page, and signs out', async () => {
    await withPage(async (page) => {
      const username = unique('sf_');
      await signUp(page, username);
      expect(await page.title()).toBe(`Your account · ${tenant.name}`);
      expect(await page.getByTestId('username').textContent()).toBe(username);
      expect(await page.getByTestId('account-link').textContent()).toBe(username);
      const sessions = page.getByTestId('sessions').locator('li');
      expect(await sessions.count()).toBe(1);
      expect(await sessions.first().textContent()).toContain('This browser');
      await screenshot(page, 'account');

      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${site()}/`);
      expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
      await page.goto(`${site()}/account`);
      expect(page.url()).toBe(`${site()}/sign-in?next=%2Faccount`);
    });
  });

  it('error: sign-up and sign-in problems are shown next to the form, nothing is lost', async () => {
    await withPage(async (page) => {
      await page.goto(`${site()}/sign-up`);
      await page.getByLabel('Username').fill('No Spaces Allowed');
      await page.getByLabel('Email').fill('someone@example.com');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect
        .poll(() => page.locator('.field-error').allInnerTexts())
        .toEqual(['Username must be 3–32 characters: letters, digits or underscores']);
      expect(await page.getByLabel('Email').inputValue()).toBe('someone@example.com');

      await page.goto(`${site()}/sign-in`);
      await page.getByLabel('Email or username').fill('nobody-here');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect
        .poll(() => page.locator('[data-status]').first().textContent())
        .toBe('Incorrect email/username or password');
      expect(page.url()).toBe(`${site()}/sign-in`);
    });
  });

  it('forgot password → the emailed link → a new password → signs in with it', async () => {
    const username = unique('rs_');
    const email = `${username}@example.com`;
    await withPage(async (page) => {
      await signUp(page, username, email);
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${site()}/`);

      await page.goto(`${site()}/forgot-password`);
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await expect
        .poll(() => page.locator('[data-status]').textContent())
        .toBe('If an account uses that address, a reset link is on its way');

      const [mail] = await withTenant(h.db.orm, tenant.id, (em) =>
        em.find(OutboxEmailEntity, { toAddress: email }),
      );
      const link = /https?:\/\/\S+\/reset-password\?token=\S+/.exec(mail!.textBody)?.[0];
      expect(link?.startsWith(`${site()}/reset-password?token=`)).toBe(true);

      await page.goto(link!);
      expect(await page.title()).toBe(`Choose a new password · ${tenant.name}`);
      await page.getByLabel('New password', { exact: true }).fill('Brand-New-Password-9');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.waitForURL(`${site()}/sign-in?reset=done`);
      expect(await page.locator('[data-status]').first().textContent()).toBe(
        'Your password was changed: sign in with the new one.',
      );

      await page.getByLabel('Email or username').fill(username);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect
        .poll(() => page.locator('[data-status]').first().textContent())
        .toBe('Incorrect email/username or password');
      await signIn(page, username, 'Brand-New-Password-9');
      expect(await page.getByTestId('username').textContent()).toBe(username);

      // The link is single-use.
      await page.goto(link!);
      await page.getByLabel('New password', { exact: true }).fill('Another-Password-10');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await expect.poll(() => page.locator('[data-status]').textContent()).toMatch(/link|token/i);
    });
  });

  it('error: a reset link without its token is a 400 page', async () => {
    const res = await get(hub, hostOf(tenant), '/reset-password');
    expect(res.status).toBe(400);
    expect(res.text).toContain('This reset link is incomplete or damaged');
  });

  it('signs in with Ethereum through the page’s EIP-1193 wallet', async () => {
    await withPage(async (page, context) => {
      const account = await injectWallet(context, DEV_ACCOUNTS[0].privateKey);
      await page.goto(`${site()}/sign-in?next=%2Faccount`);
      await page.getByRole('button', { name: 'Sign in with Ethereum' }).click();
      await page.waitForURL(`${site()}/account`);
      expect(await page.getByTestId('wallets').textContent()).toContain(account.address.toLowerCase());
      expect(await page.getByTestId('sessions').textContent()).toContain('wallet');
      expect(await page.getByTestId('username').textContent()).toBe(
        `w_${account.address.slice(2, 10).toLowerCase()}`,
      );
    });
  });

  it('links a wallet to a password account from the account page', async () => {
    await withPage(async (page, context) => {
      const account = await injectWallet(context, DEV_ACCOUNTS[1].privateKey);
      await signUp(page, unique('ln_'));
      await page.getByRole('button', { name: 'Link a wallet' }).click();
      await expect
        .poll(() =>
          page
            .getByTestId('wallets')
            .textContent()
            .catch(() => ''),
        )
        .toContain(account.address.toLowerCase());
    });
  });

  it('unlinks a wallet from the account page', async () => {
    await withPage(async (page, context) => {
      const account = await injectWallet(context, generatePrivateKey());
      await signUp(page, unique('ul_'));
      expect(await page.getByText('You have not bought any videos here yet.').isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Link a wallet' }).click();
      const address = account.address.toLowerCase();
      await page.getByRole('button', { name: `Unlink ${address}` }).click();
      await page.getByText('No wallet is linked to this account.').waitFor();
      expect(await page.getByTestId('wallets').count()).toBe(0);
    });
  });

  it('error: linking a wallet that belongs to another account says so and links nothing', async () => {
    const key = generatePrivateKey();
    await withPage(async (page, context) => {
      await injectWallet(context, key);
      await signUp(page, unique('own_'));
      await page.getByRole('button', { name: 'Link a wallet' }).click();
      await page.getByTestId('wallets').waitFor();
    });
    await withPage(async (page, context) => {
      await injectWallet(context, key);
      await signUp(page, unique('oth_'));
      await page.getByRole('button', { name: 'Link a wallet' }).click();
      await page
        .getByText(
          'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
        )
        .waitFor();
      await page.reload();
      expect(await page.getByText('No wallet is linked to this account.').isVisible()).toBe(true);
    });
  });

  it('error: without a wallet in the browser the Ethereum button is disabled and says why', async () => {
    await withPage(async (page) => {
      await page.goto(`${site()}/sign-in`);
      expect(await page.getByRole('button', { name: 'Sign in with Ethereum' }).isDisabled()).toBe(true);
      expect(await page.getByText('No Ethereum wallet was found in this browser.').isVisible()).toBe(true);
    });
  });

  it('creates an API token that works once shown, then revokes it', async () => {
    await withPage(async (page) => {
      await signUp(page, unique('tk_'));
      await page.getByLabel('Name').fill('backup script');
      await page.getByLabel('Expires after (days, empty for never)').fill('30');
      await page.getByRole('button', { name: 'Create a token' }).click();
      await expect.poll(() => page.getByTestId('new-token').textContent()).toMatch(/^ppv_pat_/);
      const token = await page.getByTestId('new-token').textContent();
      const me = await get(hub, hostOf(tenant), '/api/v1/me', { authorization: `Bearer ${token}` });
      expect(JSON.parse(me.text)).toMatchObject({ via: 'api_token' });

      await page.getByRole('link', { name: 'Done' }).click();
      await page.waitForURL(`${site()}/account`);
      const row = page.getByTestId('tokens').locator('li');
      expect(await row.textContent()).toContain('backup script');
      await row.getByRole('button', { name: 'Revoke' }).click();
      await expect.poll(() => page.getByTestId('tokens').count()).toBe(0);
      const refused = await get(hub, hostOf(tenant), '/api/v1/me', { authorization: `Bearer ${token}` });
      expect(refused.status).toBe(401);
    });
  });

  it('signs out another browser from the sessions list', async () => {
    const username = unique('ss_');
    await withPage(async (first) => {
      await signUp(first, username);
      await withPage(async (second) => {
        await signIn(second, username, PASSWORD);
        await first.reload();
        const other = first
          .getByTestId('sessions')
          .locator('li', { hasText: 'password' })
          .filter({
            hasNot: first.getByText('This browser'),
          });
        expect(await other.count()).toBe(1);
        await other.getByRole('button', { name: 'Sign out there' }).click();
        await expect.poll(() => first.getByTestId('sessions').locator('li').count()).toBe(1);
        await second.goto(`${site()}/account`);
        expect(second.url()).toBe(`${site()}/sign-in?next=%2Faccount`);
      });
    });
  });
});
