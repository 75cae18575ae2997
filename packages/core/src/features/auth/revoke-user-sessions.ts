import type { EntityManager } from '@ppv/db';

/**
 * Revokes every live session of a user in every tenant (after a password change or reset), except
 * `keepSessionId`, and retires the user's unused password-reset links. Rows of other tenants are out
 * of the request's row-level-security scope, so these two statements run in hub scope, then the
 * scope is dropped again.
 */
export async function revokeUserSessionsEverywhere(
  em: EntityManager,
  userId: string,
  keepSessionId: string | null,
  now: Date,
): Promise<number> {
  await em.execute("SELECT set_config('app.hub_scope', 'on', true)");
  try {
    const rows = await em.execute<{ id: string }[]>(
      `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
         AND id IS DISTINCT FROM ? RETURNING id`,
      [now, userId, now, keepSessionId],
    );
    await em.execute('UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL', [
      now,
      userId,
    ]);
    return rows.length;
  } finally {
    await em.execute("SELECT set_config('app.hub_scope', '', true)");
  }
}
