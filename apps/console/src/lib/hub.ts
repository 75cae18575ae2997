import { createPpvClient, type Me, type PpvClient, PpvError, toPpvError } from '@ppv/sdk';
import type { AstroCookies } from 'astro';

/** What the console's server hands every page (src/index.ts). */
export interface ConsoleLocals {
  hubUrl: string;
  defaultTenant: string;
  secureCookies: boolean;
  /** The address of the console's client (behind TRUST_PROXY), passed on to the hub. */
  clientIp: string | null;
  /** Set by a guard before it rewrites to /forbidden: why the page was refused. */
  denied?: string;
  /** Set by a guard before it rewrites to /unavailable: the hub did not answer. */
  unavailable?: boolean;
}

/**
 * The hub's session cookie, kept under the console's own name: cookies are per host, not per
 * port, so the hub's `ppv_session` on the same host (a storefront sign-in) must not be overwritten.
 */
export const SESSION_COOKIE = 'ppv_console_session';
/** The slug of the tenant the console session belongs to (hub sessions are per tenant). */
export const TENANT_COOKIE = 'ppv_console_tenant';
export const HUB_SESSION = 'ppv_session';

const SLUG = /^[a-z0-9][a-z0-9-]{1,39}$/;

export interface HubCall {
  client: PpvClient;
  tenant: string;
  /** Copies a session the hub issued or ended during this request onto the console's cookies. */
  keepSession(cookies: AstroCookies): void;
}

/** A hub client for this request: the console session's cookie and tenant go with every call. */
export function hubFor(locals: ConsoleLocals, cookies: AstroCookies, tenantSlug?: string): HubCall {
  const saved = cookies.get(TENANT_COOKIE)?.value;
  const tenant = tenantSlug ?? (saved && SLUG.test(saved) ? saved : locals.defaultTenant);
  const session = tenantSlug === undefined ? cookies.get(SESSION_COOKIE)?.value : undefined;
  let issued: { value: string; maxAge: number } | null | undefined;
  const sessionFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const sent = headers.get('cookie') ?? '';
    if (session && !sent.includes(`${HUB_SESSION}=`))
      headers.set('cookie', [sent, `${HUB_SESSION}=${session}`].filter(Boolean).join('; '));
    forwardClient(headers, locals);
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const match = new RegExp(`^${HUB_SESSION}=([^;]*)`).exec(line);
      if (!match) continue;
      const maxAge = Number(/max-age=(\d+)/i.exec(line)?.[1] ?? 0);
      issued = match[1] && maxAge > 0 ? { value: match[1], maxAge } : null;
    }
    return response;
  };
  const client = createPpvClient({ hub: locals.hubUrl, tenant, fetch: sessionFetch });
  return {
    client,
    tenant,
    keepSession(out) {
      if (issued === undefined) return;
      const options = {
        path: '/',
        httpOnly: true,
        sameSite: 'lax' as const,
        secure: locals.secureCookies,
      };
      if (issued === null) {
        out.delete(SESSION_COOKIE, options);
        out.delete(TENANT_COOKIE, options);
        return;
      }
      out.set(SESSION_COOKIE, issued.value, { ...options, maxAge: issued.maxAge });
      out.set(TENANT_COOKIE, tenant, { ...options, maxAge: issued.maxAge });
    },
  };
}

/**
 * Tells the hub who the console's client is: `X-Forwarded-For` with the client's address, which
 * the hub believes when its TRUST_PROXY covers the console's address (loopback in `ppv start`), for
 * its per-IP sign-in limits and the sessions' recorded address.
 */
export function forwardClient(headers: Headers, locals: ConsoleLocals): void {
  if (locals.clientIp) headers.set('x-forwarded-for', locals.clientIp);
}

export type Level = 'creator' | 'tenant_admin' | 'hub_admin';

/** Which console areas a signed-in account may open. */
export function areasOf(me: Me): Record<Level, boolean> {
  const admin = me.isHubAdmin || me.role === 'tenant_admin';
  return {
    creator: admin || me.role === 'creator',
    tenant_admin: admin,
    hub_admin: me.isHubAdmin,
  };
}

const needs: Record<Level, string> = {
  creator: 'The creator studio needs the creator role in this tenant.',
  tenant_admin: 'Tenant administration needs the tenant admin role.',
  hub_admin: 'Hub administration needs a hub administrator.',
};

export interface Signed {
  hub: HubCall;
  me: Me;
}

/**
 * The signed-in account with at least `level`, or the Response to send instead: a redirect to
 * sign-in, or the 403 page. The hub checks every call again; this only keeps pages honest.
 */
export async function requireLevel(
  astro: {
    locals: ConsoleLocals;
    cookies: AstroCookies;
    url: URL;
    redirect(path: string, status?: 301 | 302 | 303 | 307 | 308): Response;
    rewrite(path: string): Promise<Response>;
  },
  level: Level | 'signed_in',
): Promise<Signed | Response> {
  const hub = hubFor(astro.locals, astro.cookies);
  let me: Me | null = null;
  if (astro.cookies.get(SESSION_COOKIE)) {
    try {
      me = await hub.client.auth.me();
    } catch (error) {
      const e = toPpvError(error);
      if (e.code === 'NETWORK_ERROR') {
        astro.locals.unavailable = true;
        return astro.rewrite('/unavailable');
      }
      if (e.code !== 'UNAUTHORIZED') throw e;
    }
  }
  if (!me) {
    const next = astro.url.pathname + astro.url.search;
    return astro.redirect(`/sign-in?next=${encodeURIComponent(next)}`, 303);
  }
  if (level !== 'signed_in' && !areasOf(me)[level]) {
    astro.locals.denied = needs[level];
    return astro.rewrite('/forbidden');
  }
  return { hub, me };
}

/** The message and HTTP status to show for a failed hub call. */
export function failure(error: unknown): { message: string; status: number } {
  const e = error instanceof PpvError ? error : toPpvError(error);
  if (e.code === 'NETWORK_ERROR') return { message: 'The hub cannot be reached right now.', status: 502 };
  const status = e.details.status;
  if (status >= 400 && status < 500) return { message: e.message, status };
  return { message: 'Something went wrong on the hub; please try again.', status: 500 };
}

/** A same-site path to go to after signing in; anything else is the console's start page. */
export function safeNext(next: string | null): string {
  return next && /^\/(?!\/)[^\\]*$/.test(next) ? next : '/';
}
