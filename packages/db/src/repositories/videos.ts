import { type Video, VideoEntity, type VideoStatus } from '../entities';
import type { EntityManager } from '../orm';

export const videoSorts = ['newest', 'oldest', 'price_asc', 'price_desc', 'title'] as const;
export type VideoSort = (typeof videoSorts)[number];

export interface VideoSearch {
  /** The tenant the caller's transaction is scoped to; named so the planner can use its indexes. */
  tenantId: string;
  status?: VideoStatus;
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
  /** This page of them, in order, as managed entities of `em`. */
  videos: Video[];
  /** Username of each video's creator, by creator id. */
  creators: Map<string, string>;
}

const titleOrder = 'ppv_search_fold(m.title) ASC, m.created_at DESC, m.id ASC';
const orders: Record<VideoSort, string> = {
  newest: 'm.created_at DESC, m.id ASC',
  oldest: 'm.created_at ASC, m.id ASC',
  price_asc: `m.price_cents ASC, ${titleOrder}`,
  price_desc: `m.price_cents DESC, ${titleOrder}`,
  title: titleOrder,
};

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
  if (search.creatorId) {
    conditions.push('v.creator_id = ?');
    params.push(search.creatorId);
  }
  if (search.q) {
    conditions.push(`v.search_text LIKE '%' || ppv_search_fold(?) || '%'`);
    params.push(likeLiteral(search.q));
  }
  const order = orders[search.sort];
  const sql = `
    WITH matching AS (SELECT v.* FROM videos v WHERE ${conditions.join(' AND ')})
    SELECT t.total, u.username AS creator_username, m.*
      FROM (SELECT count(*)::int AS total FROM matching) t
      LEFT JOIN LATERAL (SELECT * FROM matching m ORDER BY ${order} LIMIT ? OFFSET ?) m ON true
      LEFT JOIN users u ON u.id = m.creator_id
     ORDER BY ${order}`;
  const rows = await em.execute<Record<string, unknown>[]>(sql, [...params, search.limit, search.offset]);
  const creators = new Map<string, string>();
  const videos: Video[] = [];
  for (const { total: _total, creator_username, search_text: _text, ...columns } of rows) {
    if (columns.id === null) continue;
    const video = em.map(VideoEntity, columns);
    videos.push(video);
    if (typeof creator_username === 'string') creators.set(video.creatorId, creator_username);
  }
  return { total: Number(rows[0]?.total ?? 0), videos, creators };
}
