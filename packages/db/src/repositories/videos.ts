import type { RenditionInfo, Video, VideoStatus } from '../entities';
import type { EntityManager } from '../orm';

export const videoSorts = ['newest', 'oldest', 'price_asc', 'price_desc', 'title'] as const;
export type VideoSort = (typeof videoSorts)[number];

export interface VideoSearch {
  /** The tenant the caller's transaction is scoped to; named so the planner can use its indexes. */
  tenantId: string;
  status?: VideoStatus;
  /** Only videos neither hidden by a moderator nor unpublished by their creator (the catalog). */
  listed?: boolean;
  creatorId?: string;
  /** Substring of the title or description, case and accent blind (videos.search_text, migration 0007). */
  q?: string;
  sort: VideoSort;
  limit: number;
  offset: number;
}

export interface VideoSearchResult {
  /** Every video that matches, over all pages. */
  total: number;
  /** This page of them, in order: plain objects, not managed by `em` (read-only). */
  videos: Video[];
  /** Username of each video's creator, by creator id. */
  creators: Map<string, string>;
}

const titleOrder = 'm.title_sort ASC, m.created_at DESC, m.id ASC';
const orders: Record<VideoSort, string> = {
  newest: 'm.created_at DESC, m.id ASC',
  oldest: 'm.created_at ASC, m.id ASC',
  price_asc: `m.price_cents ASC, ${titleOrder}`,
  price_desc: `m.price_cents DESC, ${titleOrder}`,
  title: titleOrder,
};

/** Milliseconds since the epoch, truncated as `new Date(text)` truncates a timestamptz. */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

/** `value` matched literally inside a LIKE pattern (backslash is LIKE's default escape). */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of a tenant's videos, filtered, searched and sorted in the database, with the total
 * count and each creator's username: one round trip. Run through the tenant's `em` (`withTenant`);
 * row-level security applies as well.
 */
export async function searchVideos(em: EntityManager, search: VideoSearch): Promise<VideoSearchResult> {
  const conditions = ['v.tenant_id = ?'];
  const params: unknown[] = [search.tenantId];
  if (search.status) {
    conditions.push('v.status = ?');
    params.push(search.status);
  }
  if (search.listed) conditions.push('v.hidden_at IS NULL AND v.unpublished_at IS NULL');
  if (search.creatorId) {
    conditions.push('v.creator_id = ?');
    params.push(search.creatorId);
  }
  if (search.q) {
    conditions.push(`v.search_text LIKE '%' || ppv_search_fold(?) || '%'`);
    params.push(likeLiteral(search.q));
  }
  const order = orders[search.sort];
  // Only the ordering columns of every match are materialized; the page's rows are read whole.
  const sql = `
    WITH matching AS (
      SELECT v.id, v.created_at, v.price_cents, v.title_sort FROM videos v WHERE ${conditions.join(' AND ')}
    ), page AS (SELECT m.id FROM matching m ORDER BY ${order} LIMIT ? OFFSET ?)
    SELECT t.total, u.username AS creator_username, m.*, ${epochMs('m.created_at')} AS created_ms,
           ${epochMs('m.updated_at')} AS updated_ms, ${epochMs('m.ready_at')} AS ready_ms,
           ${epochMs('m.hidden_at')} AS hidden_ms, ${epochMs('m.unpublished_at')} AS unpublished_ms
      FROM (SELECT count(*)::int AS total FROM matching) t
      LEFT JOIN page p ON true
      LEFT JOIN videos m ON m.id = p.id
      LEFT JOIN users u ON u.id = m.creator_id
     ORDER BY ${order}`;
  const rows = await em.execute<VideoRow[]>(sql, [...params, search.limit, search.offset]);
  const creators = new Map<string, string>();
  const videos: Video[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    videos.push(videoOf(row, row.id));
    if (row.creator_username !== null) creators.set(row.creator_id, row.creator_username);
  }
  return { total: rows[0]?.total ?? 0, videos, creators };
}

/** A row of the search: the page's columns are null together on the one row of an empty page. */
interface VideoRow {
  total: number;
  creator_username: string | null;
  id: string | null;
  tenant_id: string;
  creator_id: string;
  title: string;
  description: string;
  price_cents: number;
  preview_seconds: number;
  status: VideoStatus;
  progress: number;
  last_error: string | null;
  attempts: number;
  source_key: string | null;
  source_bytes: string | null;
  source_filename: string | null;
  duration_seconds: string | null;
  width: number | null;
  height: number | null;
  has_audio: boolean | null;
  segment_seconds: number | null;
  segment_count: number | null;
  renditions: RenditionInfo[];
  has_preview: boolean;
  created_ms: number;
  updated_ms: number;
  ready_ms: number | null;
  hidden_ms: number | null;
  hidden_reason: string | null;
  hidden_by: string | null;
  unpublished_ms: number | null;
  poster_version: number;
}

/**
 * The row as the Video the entity would hydrate, without entity bookkeeping: a page is only read,
 * and hydrating and then change-checking two dozen entities at commit cost more than the query.
 */
const videoOf = (r: VideoRow, id: string): Video => ({
  id,
  tenantId: r.tenant_id,
  creatorId: r.creator_id,
  title: r.title,
  description: r.description,
  priceCents: r.price_cents,
  previewSeconds: r.preview_seconds,
  status: r.status,
  progress: r.progress,
  lastError: r.last_error,
  attempts: r.attempts,
  sourceKey: r.source_key,
  sourceBytes: r.source_bytes,
  sourceFilename: r.source_filename,
  durationSeconds: r.duration_seconds,
  width: r.width,
  height: r.height,
  hasAudio: r.has_audio,
  segmentSeconds: r.segment_seconds,
  segmentCount: r.segment_count,
  renditions: r.renditions,
  hasPreview: r.has_preview,
  createdAt: new Date(r.created_ms),
  updatedAt: new Date(r.updated_ms),
  readyAt: r.ready_ms === null ? null : new Date(r.ready_ms),
  hiddenAt: r.hidden_ms === null ? null : new Date(r.hidden_ms),
  hiddenReason: r.hidden_reason,
  hiddenBy: r.hidden_by,
  unpublishedAt: r.unpublished_ms === null ? null : new Date(r.unpublished_ms),
  posterVersion: r.poster_version,
});
