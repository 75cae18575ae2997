/**
 * Adds this site's origin to a tenant's embed allowlist (its CORS origins), signed in as a tenant
 * admin. The hub refuses calls from origins that are not on it.
 *
 *   npx tsx examples/embed-html/allow-origin.ts <hub> <tenant> <admin login> <password> <origin>
 */
import { fileURLToPath } from 'node:url';
import { createPpvClient } from '@ppv/sdk';

export async function allowOrigin(input: {
  hub: string;
  tenant: string;
  login: string;
  password: string;
  origin: string;
}): Promise<string[]> {
  const client = createPpvClient({ hub: input.hub, tenant: input.tenant });
  await client.auth.signIn({ login: input.login, password: input.password });
  const current = await client.trpc.tenant.settings.query();
  const origins = [...new Set([...current.corsOrigins, input.origin.toLowerCase()])];
  const updated = await client.trpc.tenant.update.mutate({ corsOrigins: origins });
  await client.auth.signOut();
  return updated.corsOrigins;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [hub, tenant, login, password, origin] = process.argv.slice(2);
  if (!hub || !tenant || !login || !password || !origin) {
    console.error('usage: allow-origin.ts <hub> <tenant> <admin login> <password> <origin>');
    process.exit(2);
  }
  const origins = await allowOrigin({ hub, tenant, login, password, origin });
  process.stdout.write(`Embed allowlist of ${tenant}: ${origins.join(', ')}\n`);
}
