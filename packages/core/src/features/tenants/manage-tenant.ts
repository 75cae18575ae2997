import {
  MembershipEntity,
  type Role,
  type Tenant,
  TenantEntity,
  TenantHostnameEntity,
  UserEntity,
} from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError, notFound } from '../../errors';
import { recordAudit } from '../audit/record-audit';
import { recordDisplayRate } from '../rates/display-rates';
import type { UpdateTenantInput } from './tenants.schemas';

/** What anyone may know of a tenant: its storefront branding. */
export function publicTenant(t: Tenant) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    logoUrl: t.logoUrl ?? null,
    primaryColor: t.primaryColor,
    accentColor: t.accentColor,
    displayCurrency: t.displayCurrency,
    displayRate: t.displayRate,
  };
}

/** Everything its admins see and edit. */
export function adminTenant(t: Tenant, hostnames: string[]) {
  return {
    ...publicTenant(t),
    feeBps: t.feeBps,
    payoutWallet: t.payoutWallet ?? null,
    corsOrigins: t.corsOrigins,
    status: t.status,
    maxUploadBytes: t.maxUploadBytes ?? null,
    hostnames,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export async function getTenantSettings(deps: TenantDeps) {
  const tenant = await deps.em.findOneOrFail(TenantEntity, { id: deps.tenantId });
  const hostnames = await deps.em.find(
    TenantHostnameEntity,
    { tenantId: deps.tenantId },
    { orderBy: { hostname: 'asc' } },
  );
  return adminTenant(
    tenant,
    hostnames.map((h) => h.hostname),
  );
}

export async function updateTenant(
  deps: TenantDeps,
  input: { auth: AuthInfo; changes: UpdateTenantInput; ip: string },
) {
  const tenant = await deps.em.findOneOrFail(TenantEntity, { id: deps.tenantId });
  const changed = Object.keys(input.changes).filter(
    (k) => input.changes[k as keyof UpdateTenantInput] !== undefined,
  );
  if (changed.length === 0) throw new AppError('BAD_REQUEST', 'Nothing to change');
  const before = { currency: tenant.displayCurrency, rate: tenant.displayRate };
  deps.em.assign(tenant, input.changes);
  if (tenant.displayCurrency !== before.currency || Number(tenant.displayRate) !== Number(before.rate)) {
    recordDisplayRate(deps.em, {
      tenantId: deps.tenantId,
      currency: tenant.displayCurrency,
      rate: tenant.displayRate,
      setBy: input.auth.userId,
      at: deps.clock(),
    });
  }
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'tenant.updated',
    subject: tenant.slug,
    ip: input.ip,
    details: { fields: changed },
  });
  await deps.em.flush();
  return getTenantSettings(deps);
}

export async function listMembers(deps: TenantDeps, input: { limit: number; offset: number }) {
  const [memberships, total] = await deps.em.findAndCount(
    MembershipEntity,
    {},
    { orderBy: { createdAt: 'asc', userId: 'asc' }, limit: input.limit, offset: input.offset },
  );
  const users = await deps.em.find(UserEntity, { id: { $in: memberships.map((m) => m.userId) } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    total,
    members: memberships.map((m) => ({
      userId: m.userId,
      username: byId.get(m.userId)?.username ?? '',
      email: byId.get(m.userId)?.email ?? null,
      role: m.role,
      joinedAt: m.createdAt,
    })),
  };
}

export async function setMemberRole(
  deps: TenantDeps,
  input: { auth: AuthInfo; userId: string; role: Role; ip: string },
) {
  if (input.userId === input.auth.userId)
    throw new AppError('BAD_REQUEST', 'You cannot change your own role');
  const membership = await deps.em.findOne(MembershipEntity, { userId: input.userId });
  if (!membership) throw notFound('Member');
  const previous = membership.role;
  membership.role = input.role;
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'member.role_changed',
    subject: input.userId,
    ip: input.ip,
    details: { from: previous, to: input.role },
  });
  return { userId: input.userId, role: input.role };
}

export async function setHostnames(
  deps: TenantDeps,
  input: { auth: AuthInfo; tenantId: string; hostnames: string[]; ip: string },
) {
  const tenant = await deps.em.findOne(TenantEntity, { id: input.tenantId });
  if (!tenant) throw notFound('Tenant');
  const wanted = [...new Set(input.hostnames)];
  const taken = await deps.em.find(TenantHostnameEntity, {
    hostname: { $in: wanted },
    tenantId: { $ne: tenant.id },
  });
  if (taken.length)
    throw new AppError(
      'CONFLICT',
      `Host name ${taken.map((h) => h.hostname).join(', ')} already belongs to another tenant`,
    );
  await deps.em.nativeDelete(TenantHostnameEntity, { tenantId: tenant.id, hostname: { $nin: wanted } });
  const existing = new Set(
    (await deps.em.find(TenantHostnameEntity, { tenantId: tenant.id })).map((h) => h.hostname),
  );
  for (const hostname of wanted)
    if (!existing.has(hostname)) deps.em.create(TenantHostnameEntity, { hostname, tenantId: tenant.id });
  recordAudit(deps.em, {
    tenantId: tenant.id,
    actorUserId: input.auth.userId,
    action: 'tenant.hostnames_set',
    subject: tenant.slug,
    ip: input.ip,
    details: { hostnames: wanted },
  });
  await deps.em.flush();
  return { tenantId: tenant.id, hostnames: wanted.sort() };
}

/** Sets or clears (null) a tenant's own upload limit; the hub-wide MAX_UPLOAD_BYTES applies when clear. */
export async function setUploadLimit(
  deps: TenantDeps,
  input: { auth: AuthInfo; tenantId: string; maxUploadBytes: number | null; ip: string },
) {
  const tenant = await deps.em.findOne(TenantEntity, { id: input.tenantId });
  if (!tenant) throw notFound('Tenant');
  const previous = tenant.maxUploadBytes ?? null;
  tenant.maxUploadBytes = input.maxUploadBytes;
  recordAudit(deps.em, {
    tenantId: tenant.id,
    actorUserId: input.auth.userId,
    action: 'tenant.upload_limit_set',
    subject: tenant.slug,
    ip: input.ip,
    details: { from: previous, to: input.maxUploadBytes },
  });
  await deps.em.flush();
  return { tenantId: tenant.id, maxUploadBytes: input.maxUploadBytes };
}

export async function listTenants(deps: TenantDeps) {
  const tenants = await deps.em.find(TenantEntity, {}, { orderBy: { createdAt: 'asc' } });
  const hostnames = await deps.em.find(TenantHostnameEntity, {});
  return tenants.map((t) =>
    adminTenant(
      t,
      hostnames.filter((h) => h.tenantId === t.id).map((h) => h.hostname),
    ),
  );
}
