import type { EntityManager } from '../orm';

/**
 * Records one fetch of a playback session's content key and marks the session as seen, in one
 * round trip. Run through the tenant's `em` (`withTenant`).
 */
export async function recordKeyFetch(
  em: EntityManager,
  fetch: { tenantId: string; sessionId: string; ip: string | null; at: Date },
): Promise<void> {
  await em.execute(
    `WITH seen AS (UPDATE playback_sessions SET last_seen_at = ? WHERE id = ?)
     INSERT INTO key_fetches (tenant_id, session_id, fetched_at, ip) VALUES (?, ?, ?, ?)`,
    [fetch.at, fetch.sessionId, fetch.tenantId, fetch.sessionId, fetch.at, fetch.ip],
  );
}
