import type { PageCaller } from '@ppv/hub';

export type MeView = NonNullable<Awaited<ReturnType<PageCaller['auth']['me']>>>;

/** The hub's session cookie (packages/core, SESSION_COOKIE). */
const SESSION_COOKIE = 'ppv_session';

/**
 * The signed-in viewer, or null. Without a session cookie nobody is signed in (pages are for
 * browsers, which never send API tokens), so the hub is not asked.
 */
export function signedInViewer(
  cookies: { has(name: string): boolean },
  caller: PageCaller,
): Promise<MeView | null> {
  if (!cookies.has(SESSION_COOKIE)) return Promise.resolve(null);
  return caller.auth.me().catch(() => null);
}
