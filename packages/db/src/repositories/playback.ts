import type { Role, VideoStatus } from '../entities';
import { runStatement, type StatementRunner } from '../orm';
import { activePurchaseSql, creatorBlockSql } from './payments';

/**
 * Everything a `/play/<sessionId>/…` request needs to decide and answer, read in one query in the
 * tenant's scope (a `withTenant` em, or `tenantStatement`): row-level security hides other tenants'
 * sessions. Plain objects, no entity hydration.
 */
export interface PlaybackGrant {
  session: {
    id: string;
    videoId: string;
    userId: string;
    seed: Buffer;
    expiresAt: Date;
    endedAt: Date | null;
  };
  /** Null when the video row is gone. */
  video: { id: string; tenantId: string; creatorId: string; status: VideoStatus; priceCents: number } | null;
  /** The video's sealed content key, IV and sealed segment secret; null when it has none. */
  key: { sealedKey: Buffer; iv: Buffer; sealedSegmentSecret: Buffer } | null;
  /** What access decisions need to know of the session's viewer in this tenant. */
  viewer: {
    isHubAdmin: boolean;
    role: Role | null;
    allowlisted: boolean;
    purchased: boolean;
    blocked: boolean;
  };
  /** Keys handed out to this session since `keyFetchesSince` (0 and null without it). */
  recentKeyFetches: { count: number; oldestAt: Date | null };
}

interface PlaybackGrantRow {
  id: string;
  video_id: string;
  user_id: string;
  seed: Buffer;
  expires_at: number;
  ended_at: number | null;
  v_id: string | null;
  v_tenant_id: string | null;
  creator_id: string | null;
  status: VideoStatus | null;
  price_cents: number | null;
  sealed_key: Buffer | null;
  iv: Buffer | null;
  sealed_segment_secret: Buffer | null;
  is_hub_admin: boolean;
  role: Role | null;
  allowlisted: boolean;
  purchased: boolean;
  blocked: boolean;
  recent_key_fetches: number;
  oldest_recent_fetch: number | null;
}

/** Milliseconds since the epoch, truncated as `new Date(text)` truncates a timestamptz. */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const playbackGrantSql = `
  SELECT s.id, s.video_id, s.user_id, s.seed,
         ${epochMs('s.expires_at')} AS expires_at, ${epochMs('s.ended_at')} AS ended_at,
         v.id AS v_id, v.tenant_id AS v_tenant_id, v.creator_id, v.status, v.price_cents,
         k.sealed_key, k.iv, k.sealed_segment_secret,
         coalesce(u.is_hub_admin, false) AS is_hub_admin, m.role,
         EXISTS (SELECT 1 FROM video_allowlist a WHERE a.video_id = s.video_id AND a.user_id = s.user_id)
           AS allowlisted,
         EXISTS (${activePurchaseSql('s.video_id', 's.user_id', '?')}) AS purchased,
         EXISTS (${creatorBlockSql('s.tenant_id', 'v.creator_id', 's.user_id')}) AS blocked,
         f.n AS recent_key_fetches, ${epochMs('f.oldest')} AS oldest_recent_fetch
    FROM playback_sessions s
    LEFT JOIN videos v ON v.id = s.video_id
    LEFT JOIN video_keys k ON k.video_id = s.video_id
    LEFT JOIN users u ON u.id = s.user_id
    LEFT JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
   CROSS JOIN LATERAL (
         SELECT count(*)::int AS n, min(kf.fetched_at) AS oldest
           FROM key_fetches kf
          WHERE kf.session_id = s.id AND kf.fetched_at > ?::timestamptz
         ) f
   WHERE s.id = ?`;

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * A playback session with its video, the video's sealed keys, its viewer's standing (hub admin,
 * membership role, allowlisted, an active purchase at `at`, blocked by the creator) and, with `keyFetchesSince`, how many keys it fetched since then:
 * one round trip. Null when this tenant has no such session.
 */
export async function findPlaybackGrant(
  db: StatementRunner,
  input: { sessionId: string; keyFetchesSince: Date | null; at: Date },
): Promise<PlaybackGrant | null> {
  const [row] = await runStatement<PlaybackGrantRow>(db, playbackGrantSql, [
    input.at,
    input.keyFetchesSince,
    input.sessionId,
  ]);
  if (!row) return null;
  return {
    session: {
      id: row.id,
      videoId: row.video_id,
      userId: row.user_id,
      seed: row.seed,
      expiresAt: new Date(row.expires_at),
      endedAt: toDate(row.ended_at),
    },
    video:
      row.v_id && row.v_tenant_id && row.creator_id && row.status && row.price_cents !== null
        ? {
            id: row.v_id,
            tenantId: row.v_tenant_id,
            creatorId: row.creator_id,
            status: row.status,
            priceCents: row.price_cents,
          }
        : null,
    key:
      row.sealed_key && row.iv && row.sealed_segment_secret
        ? { sealedKey: row.sealed_key, iv: row.iv, sealedSegmentSecret: row.sealed_segment_secret }
        : null,
    viewer: {
      isHubAdmin: row.is_hub_admin,
      role: row.role,
      allowlisted: row.allowlisted,
      purchased: row.purchased,
      blocked: row.blocked,
    },
    recentKeyFetches: { count: row.recent_key_fetches, oldestAt: toDate(row.oldest_recent_fetch) },
  };
}

/**
 * Records one fetch of a playback session's content key and marks the session as seen, in one
 * statement, in the tenant's scope (a `withTenant` em, or `tenantStatement`).
 */
export async function recordKeyFetch(
  db: StatementRunner,
  fetch: { tenantId: string; sessionId: string; ip: string | null; at: Date },
): Promise<void> {
  await runStatement(
    db,
    `WITH seen AS (UPDATE playback_sessions SET last_seen_at = ? WHERE id = ?)
     INSERT INTO key_fetches (tenant_id, session_id, fetched_at, ip) VALUES (?, ?, ?, ?)`,
    [fetch.at, fetch.sessionId, fetch.tenantId, fetch.sessionId, fetch.at, fetch.ip],
  );
}
