import type { AppRouter } from '@ppv/core';
import { createTRPCClient, httpLink } from '@trpc/client';

/**
 * A typed client for one tenant of a hub, authenticated with a personal API token. Only the router's
 * *type* comes from the hub; nothing of the server runs here.
 */
export function hubClient(hubUrl: string, tenant: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: new URL('/trpc', hubUrl).toString(),
        headers: { authorization: `Bearer ${token}`, 'x-ppv-tenant': tenant },
      }),
    ],
  });
}

/** Who the token belongs to, and the tenant's branding. */
export async function describeAccount(hubUrl: string, tenant: string, token: string): Promise<string> {
  const client = hubClient(hubUrl, tenant, token);
  const [me, branding] = await Promise.all([client.auth.me.query(), client.tenant.current.query()]);
  if (!me) return 'The token is not signed in';
  return `${me.username} (${me.role ?? 'no role'}) on ${branding.name}, prices shown in ${branding.displayCurrency}`;
}
