import type { MikroORM } from '@ppv/db';
import { AppError } from '../../errors';

/**
 * Counts one hit against `key` in a fixed window shared by every hub instance (the counter lives
 * in Postgres, outside the request's transaction so a failed login still counts). Throws
 * TOO_MANY_REQUESTS past `limit`.
 */
export async function hitRateLimit(
  orm: MikroORM,
  key: string,
  limit: number,
  windowSeconds: number,
  message = 'Too many attempts; please wait and try again',
): Promise<void> {
  const rows = await orm.em.getConnection().execute<{ hits: number; retry_after: number }[]>(
    `INSERT INTO rate_limits AS r (key, window_started_at, hits) VALUES (?, now(), 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.window_started_at <= now() - make_interval(secs => ?) THEN 1 ELSE r.hits + 1 END,
       window_started_at = CASE WHEN r.window_started_at <= now() - make_interval(secs => ?)
                                THEN now() ELSE r.window_started_at END
     RETURNING hits, ceil(extract(epoch FROM r.window_started_at + make_interval(secs => ?) - now()))::int AS retry_after`,
    [key, windowSeconds, windowSeconds, windowSeconds],
  );
  const row = rows[0];
  if (row && row.hits > limit) {
    throw new AppError('TOO_MANY_REQUESTS', message, { retryAfterSeconds: Math.max(1, row.retry_after) });
  }
}
