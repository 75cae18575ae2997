import { DEV_ACCOUNTS } from '@ppv/chain';
import { createHarness, type Harness } from '@ppv/core/testing';
import { TenantEntity, UserEntity, WalletEntity } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAccounts, demoPayouts, seed } from '../src/seed';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const wallets = DEV_ACCOUNTS.slice(3, 6).map((a) => a.address);

describe('seed', () => {
  it('gives the demo tenant a fee and payout wallet and links the creator and demo viewers to their wallets', async () => {
    expect(await seed(h.deps, 'seeded', { viewerWallets: wallets })).toBe(true);
    const em = h.db.orm.em.fork();
    const tenant = await em.findOneOrFail(TenantEntity, { slug: 'seeded' });
    expect(tenant).toMatchObject({ feeBps: 1000, payoutWallet: demoPayouts.tenantWallet });
    const linked = async (username: string) => {
      const user = await em.findOneOrFail(UserEntity, { username });
      return (await em.find(WalletEntity, { userId: user.id })).map((w) => w.address);
    };
    expect(await linked(demoAccounts.creator.username)).toEqual([demoPayouts.creatorWallet.toLowerCase()]);
    expect(await linked('user01')).toEqual([wallets[0]?.toLowerCase()]);
    expect(await linked('user03')).toEqual([wallets[2]?.toLowerCase()]);
    expect(await linked('user04')).toEqual([]);
  });

  it('behavior: seeding again changes nothing and links nothing twice', async () => {
    expect(await seed(h.deps, 'seeded', { viewerWallets: wallets })).toBe(false);
    const em = h.db.orm.em.fork();
    expect(await em.count(WalletEntity, {})).toBe(4);
  });
});
