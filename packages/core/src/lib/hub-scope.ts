import type { EntityManager } from '@ppv/db';

/**
 * Runs `fn` with the request's own transaction widened to the hub scope (every tenant's rows), then
 * narrows it back: for a hub administrator's view inside a procedure that also serves other roles.
 * No second connection is taken (see one-connection.test.ts). Check the caller is a hub admin first.
 */
export async function inHubScope<T>(em: EntityManager, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  await em.execute("SELECT set_config('app.hub_scope', 'on', true)");
  try {
    return await fn(em);
  } finally {
    await em.execute("SELECT set_config('app.hub_scope', '', true)");
  }
}
