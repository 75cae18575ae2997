import { type EntityManager, TenantDisplayRateEntity, TenantEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { recordAudit } from '../audit/record-audit';
import type { SetDisplayRateInput } from './rates.schemas';

/** Appends to the tenant's display-rate history (in the caller's transaction, tenant scope). */
export function recordDisplayRate(
  em: EntityManager,
  entry: { tenantId: string; currency: string; rate: string; setBy: string | null; at: Date },
): void {
  em.create(TenantDisplayRateEntity, {
    tenantId: entry.tenantId,
    currency: entry.currency,
    rate: entry.rate,
    setBy: entry.setBy,
    validFrom: entry.at,
  });
}

/** Tenant admin: the display currency and its rate (units per US dollar); the previous one stays as history. */
export async function setDisplayRate(
  deps: TenantDeps,
  input: SetDisplayRateInput & { auth: AuthInfo; ip: string },
) {
  const tenant = await deps.em.findOneOrFail(TenantEntity, { id: deps.tenantId });
  tenant.displayCurrency = input.currency;
  tenant.displayRate = input.rate;
  recordDisplayRate(deps.em, {
    tenantId: deps.tenantId,
    currency: input.currency,
    rate: input.rate,
    setBy: input.auth.userId,
    at: deps.clock(),
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'display_rate.set',
    subject: input.currency,
    ip: input.ip,
    details: { rate: input.rate },
  });
  await deps.em.flush();
  return { currency: tenant.displayCurrency, rate: tenant.displayRate };
}

/** The tenant's display rates, newest first. */
export async function listDisplayRates(deps: TenantDeps, input: { limit: number }) {
  const rows = await deps.em.find(
    TenantDisplayRateEntity,
    {},
    { orderBy: { validFrom: 'desc', id: 'desc' }, limit: input.limit },
  );
  return rows.map((r) => ({
    currency: r.currency,
    rate: r.rate,
    setBy: r.setBy ?? null,
    validFrom: r.validFrom,
  }));
}
