import { DEV_ACCOUNTS } from '@ppv/chain';
import { type AppDeps, AppError, createTenant, createUser } from '@ppv/core';
import { MembershipEntity, TenantEntity, UserEntity, WalletEntity, withTenant } from '@ppv/db';

/** Development credentials printed by `ppv start`. Never use them anywhere real. */
export const demoAccounts = {
  hubAdmin: { username: 'admin', email: 'admin@example.com', password: 'Hub-Owner-2026!' },
  tenantAdmin: { username: 'demoadmin', email: 'demoadmin@example.com', password: 'Tenant-Owner-2026!' },
  creator: { username: 'creator', email: 'creator@example.com', password: 'Studio-Maker-2026!' },
  viewers: Array.from({ length: 10 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return { username: `user${n}`, email: `user${n}@example.com`, password: `Passw0rd${n}!` };
  }),
};

/** The demo tenant's fee and payout wallet, and the demo creator's payout wallet (anvil dev accounts 8, 9). */
export const demoPayouts = {
  tenantFeeBps: 1000,
  tenantWallet: DEV_ACCOUNTS[8].address,
  creatorWallet: DEV_ACCOUNTS[9].address,
};

export interface SeedOptions {
  /** Funded dev-chain wallets to link to the demo viewers, in order (user01, user02, …). */
  viewerWallets?: readonly string[];
}

/** Links a wallet on the configured chain to the user, unless that wallet is linked already. */
async function ensureWallet(deps: AppDeps, userId: string, address: string) {
  const em = deps.orm.em.fork();
  const key = { address: address.toLowerCase(), chainId: deps.config.chainId };
  if (!(await em.findOne(WalletEntity, key))) {
    em.create(WalletEntity, { ...key, userId });
    await em.flush();
  }
}

async function ensureUser(
  deps: AppDeps,
  account: { username: string; email: string; password: string },
  isHubAdmin = false,
) {
  const em = deps.orm.em.fork();
  const existing = await em.findOne(UserEntity, { username: account.username });
  if (existing) return existing.id;
  return (await createUser(em, { ...account, isHubAdmin })).id;
}

/**
 * Seeds the demo tenant (with a fee and a payout wallet), its people, the creator's payout wallet
 * and the demo viewers' wallets; safe to run again (existing rows are kept as they are, a missing
 * payout wallet is filled in). Returns false when the demo tenant already existed.
 */
export async function seed(deps: AppDeps, slug: string, options: SeedOptions = {}): Promise<boolean> {
  const em = deps.orm.em.fork();
  let tenant = await em.findOne(TenantEntity, { slug });
  const created = !tenant;
  if (!tenant) {
    tenant = await createTenant(deps, {
      slug,
      name: 'Demo Stream',
      displayCurrency: 'IDR',
      displayRate: '17000',
      feeBps: demoPayouts.tenantFeeBps,
      payoutWallet: demoPayouts.tenantWallet,
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'CONFLICT') throw new Error(`seed: ${error.message}`);
      throw error;
    });
  }
  const tenantId = tenant.id;
  if (!tenant.payoutWallet) {
    await em.nativeUpdate(
      TenantEntity,
      { id: tenantId, payoutWallet: null },
      { payoutWallet: demoPayouts.tenantWallet, feeBps: demoPayouts.tenantFeeBps },
    );
  }
  await ensureUser(deps, demoAccounts.hubAdmin, true);
  const creatorId = await ensureUser(deps, demoAccounts.creator);
  await ensureWallet(deps, creatorId, demoPayouts.creatorWallet);
  const people: [string, 'tenant_admin' | 'creator' | 'viewer'][] = [
    [await ensureUser(deps, demoAccounts.tenantAdmin), 'tenant_admin'],
    [creatorId, 'creator'],
  ];
  for (const [i, viewer] of demoAccounts.viewers.entries()) {
    const viewerId = await ensureUser(deps, viewer);
    const wallet = options.viewerWallets?.[i];
    if (wallet) await ensureWallet(deps, viewerId, wallet);
    people.push([viewerId, 'viewer']);
  }
  await withTenant(deps.orm, tenantId, async (tx) => {
    for (const [userId, role] of people) {
      if (!(await tx.findOne(MembershipEntity, { tenantId, userId })))
        tx.create(MembershipEntity, { tenantId, userId, role });
    }
  });
  return created;
}
