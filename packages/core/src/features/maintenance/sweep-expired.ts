import { withHubScope } from '@ppv/db';
import type { AppDeps } from '../../deps';

/** Keeps revoked and expired sessions this long before deleting them (the user can still see why). */
const GRACE = '1 day';

/**
 * Deletes expired and long-revoked sessions, spent or expired reset tokens and SIWE nonces, ended
 * rate-limit windows and stale worker heartbeats, across every tenant.
 */
export async function sweepExpired(deps: AppDeps): Promise<Record<string, number>> {
  return withHubScope(deps.orm, async (em) => {
    const count = async (sql: string) =>
      (
        await em.execute<{ n: number }[]>(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`)
      )[0]?.n ?? 0;
    return {
      sessions: await count(
        `DELETE FROM sessions WHERE expires_at < now() - interval '${GRACE}' OR revoked_at < now() - interval '${GRACE}'`,
      ),
      passwordResets: await count(
        `DELETE FROM password_resets WHERE expires_at < now() - interval '${GRACE}' OR used_at < now() - interval '${GRACE}'`,
      ),
      siweNonces: await count(`DELETE FROM siwe_nonces WHERE expires_at < now() - interval '1 hour'`),
      rateLimits: await count(`DELETE FROM rate_limits WHERE window_started_at < now() - interval '1 day'`),
      workerHeartbeats: await count(`DELETE FROM worker_heartbeats WHERE seen_at < now() - interval '1 day'`),
    };
  });
}
