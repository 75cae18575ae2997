import { type AppDeps, AppError, createTenant, createUser } from '@ppv/core';
import { MembershipEntity, TenantEntity, UserEntity, withTenant } from '@ppv/db';

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
 * Seeds the demo tenant and its people; safe to run again (existing rows are kept as they are).
 * Returns false when the demo tenant already existed.
 */
export async function seed(deps: AppDeps, slug: string): Promise<boolean> {
  const em = deps.orm.em.fork();
  let tenant = await em.findOne(TenantEntity, { slug });
  const created = !tenant;
  if (!tenant) {
    tenant = await createTenant(deps, {
      slug,
      name: 'Demo Stream',
      displayCurrency: 'IDR',
      displayRate: '17000',
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'CONFLICT') throw new Error(`seed: ${error.message}`);
      throw error;
    });
  }
  const tenantId = tenant.id;
  await ensureUser(deps, demoAccounts.hubAdmin, true);
  const people: [string, 'tenant_admin' | 'creator' | 'viewer'][] = [
    [await ensureUser(deps, demoAccounts.tenantAdmin), 'tenant_admin'],
    [await ensureUser(deps, demoAccounts.creator), 'creator'],
  ];
  for (const viewer of demoAccounts.viewers) people.push([await ensureUser(deps, viewer), 'viewer']);
  await withTenant(deps.orm, tenantId, async (tx) => {
    for (const [userId, role] of people) {
      if (!(await tx.findOne(MembershipEntity, { tenantId, userId })))
        tx.create(MembershipEntity, { tenantId, userId, role });
    }
  });
  return created;
}
