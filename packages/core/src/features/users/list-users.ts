import { type EntityManager, MembershipEntity, TenantEntity, UserEntity } from '@ppv/db';
import type { ListUsersInput } from './users.schemas';

/** `%`, `_` and `\` typed into a search match themselves, not any text. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Every account of the hub, oldest first, with its role in each tenant it joined; `query` filters
 * by part of the username or email. Needs an EntityManager in hub scope (memberships of all tenants).
 */
export async function listUsers(em: EntityManager, input: ListUsersInput) {
  const pattern = input.query ? `%${likeLiteral(input.query)}%` : null;
  const where = pattern ? { $or: [{ username: { $ilike: pattern } }, { email: { $ilike: pattern } }] } : {};
  const [users, total] = await em.findAndCount(UserEntity, where, {
    orderBy: { createdAt: 'asc', id: 'asc' },
    limit: input.limit,
    offset: input.offset,
  });
  const memberships = users.length
    ? await em.find(
        MembershipEntity,
        { userId: { $in: users.map((u) => u.id) } },
        { orderBy: { createdAt: 'asc' } },
      )
    : [];
  const tenants = memberships.length
    ? await em.find(TenantEntity, { id: { $in: [...new Set(memberships.map((m) => m.tenantId))] } })
    : [];
  const tenantOf = new Map(tenants.map((t) => [t.id, t]));
  return {
    total,
    users: users.map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email ?? null,
      isHubAdmin: u.isHubAdmin,
      status: u.status,
      createdAt: u.createdAt,
      memberships: memberships
        .filter((m) => m.userId === u.id)
        .map((m) => ({
          tenantId: m.tenantId,
          tenantSlug: tenantOf.get(m.tenantId)?.slug ?? '',
          tenantName: tenantOf.get(m.tenantId)?.name ?? '',
          role: m.role,
        })),
    })),
  };
}
