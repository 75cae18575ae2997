import type { APIRoute } from 'astro';
import { hubFor, SESSION_COOKIE, TENANT_COOKIE } from '../lib/hub';

/** Ends the session on the hub and forgets it here, even when the hub no longer knew it. */
export const POST: APIRoute = async ({ locals, cookies, redirect }) => {
  const hub = hubFor(locals, cookies);
  if (cookies.get(SESSION_COOKIE)) await hub.client.auth.signOut().catch(() => undefined);
  const options = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: locals.secureCookies };
  cookies.delete(SESSION_COOKIE, options);
  cookies.delete(TENANT_COOKIE, options);
  return redirect('/sign-in', 303);
};
