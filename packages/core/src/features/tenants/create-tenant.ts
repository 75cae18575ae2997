import {
  MembershipEntity,
  type MikroORM,
  type Tenant,
  TenantEntity,
  TenantHostnameEntity,
  UniqueConstraintViolationException,
  UserEntity,
} from '@ppv/db';
import { AppError } from '../../errors';
import { recordAudit } from '../audit/record-audit';
import { recordDisplayRate } from '../rates/display-rates';
import { type CreateTenantInput, createTenantInput } from './tenants.schemas';

/** Creates a tenant, its custom host names and (optionally) makes an existing user its admin. */
export async function createTenant(
  deps: { orm: MikroORM },
  raw: CreateTenantInput,
  actorUserId: string | null = null,
): Promise<Tenant> {
  const input = createTenantInput.parse(raw);
  const created = deps.orm.em.fork().transactional(async (em) => {
    if (await em.count(TenantEntity, { slug: input.slug })) {
      throw new AppError('CONFLICT', `A tenant with slug "${input.slug}" already exists`, { field: 'slug' });
    }
    const taken = await em.find(TenantHostnameEntity, { hostname: { $in: input.hostnames } });
    if (taken.length) {
      throw new AppError(
        'CONFLICT',
        `Host name ${taken.map((h) => h.hostname).join(', ')} already belongs to a tenant`,
        { field: 'hostnames' },
      );
    }
    const admin = input.admin
      ? await em.findOne(
          UserEntity,
          input.admin.includes('@') ? { email: input.admin } : { username: input.admin },
        )
      : null;
    if (input.admin && !admin)
      throw new AppError('NOT_FOUND', `No user "${input.admin}" to make the tenant's admin`);

    const tenant = em.create(TenantEntity, {
      slug: input.slug,
      name: input.name,
      ...(input.feeBps !== undefined && { feeBps: input.feeBps }),
      ...(input.payoutWallet !== undefined && { payoutWallet: input.payoutWallet }),
      ...(input.displayCurrency !== undefined && { displayCurrency: input.displayCurrency }),
      ...(input.displayRate !== undefined && { displayRate: input.displayRate }),
    });
    // The id is generated on flush: the host names can only refer to the tenant after it.
    await em.flush();
    for (const hostname of new Set(input.hostnames))
      em.create(TenantHostnameEntity, { hostname, tenantId: tenant.id });
    await em.flush();
    // The new tenant's own rows are written in its row-level-security scope, in this transaction.
    await em.execute("SELECT set_config('app.tenant_id', ?, true)", [tenant.id]);
    recordDisplayRate(em, {
      tenantId: tenant.id,
      currency: input.displayCurrency ?? 'USD',
      rate: input.displayRate ?? '1',
      setBy: actorUserId,
      at: new Date(),
    });
    if (admin) em.create(MembershipEntity, { tenantId: tenant.id, userId: admin.id, role: 'tenant_admin' });
    recordAudit(em, { tenantId: tenant.id, actorUserId, action: 'tenant.created', subject: tenant.slug });
    return tenant;
  });
  return created.catch((error: unknown) => {
    // A concurrent creation with the same slug or host name: the unique indexes decide.
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', 'A tenant with this slug or host name was just created; choose another');
    }
    throw error;
  });
}
