import { type MikroORM, type Tenant, TenantEntity, TenantHostnameEntity } from '@ppv/db';
import type { CoreConfig } from '../../deps';

const localHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Which tenant a request is for: an explicit slug (SDK clients on other origins), else a custom
 * host name, else `<slug>.<hub domain>`, else the hub domain itself (and localhost outside
 * production) maps to the default tenant. Suspended tenants are not served.
 */
export async function resolveTenant(
  orm: MikroORM,
  config: Pick<CoreConfig, 'hubDomain' | 'defaultTenant' | 'nodeEnv'>,
  input: { host: string; explicitSlug?: string | undefined },
): Promise<Tenant | null> {
  const em = orm.em.fork();
  const find = async (where: Partial<Pick<Tenant, 'slug' | 'id'>>) => {
    const tenant = await em.findOne(TenantEntity, where);
    return tenant?.status === 'active' ? tenant : null;
  };
  if (input.explicitSlug) return find({ slug: input.explicitSlug.toLowerCase() });

  const host = input.host.toLowerCase();
  const hostname = host.replace(/:\d+$/, '');
  const custom = await em.findOne(TenantHostnameEntity, { hostname: { $in: [host, hostname] } });
  if (custom) return find({ id: custom.tenantId });

  const suffix = `.${config.hubDomain}`;
  if (hostname.endsWith(suffix)) {
    const slug = hostname.slice(0, -suffix.length);
    if (/^[a-z0-9][a-z0-9-]{1,39}$/.test(slug)) return find({ slug });
  }
  if (hostname === config.hubDomain || (config.nodeEnv !== 'production' && localHosts.has(hostname))) {
    return find({ slug: config.defaultTenant });
  }
  return null;
}
