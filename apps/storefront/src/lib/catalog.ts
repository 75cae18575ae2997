import type { PageCaller } from '@ppv/hub';

type ListInput = NonNullable<Parameters<PageCaller['videos']['list']>[0]>;
export type CatalogPage = Awaited<ReturnType<PageCaller['videos']['list']>>;
export type CatalogVideo = CatalogPage['videos'][number];
export type Sort = NonNullable<ListInput['sort']>;

/** The sort orders of videos.list, as the browse page offers them. */
export const SORT_LABELS: Record<Sort, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  price_asc: 'Price, lowest first',
  price_desc: 'Price, highest first',
  title: 'Title, A to Z',
};
export const SORTS = Object.keys(SORT_LABELS) as Sort[];
export const PAGE_SIZE = 24;
/** videos.list answers at most this many characters of search and this page number. */
const MAX_SEARCH = 200;
const MAX_PAGE = 10_000;

export interface BrowseQuery {
  q: string;
  sort: Sort;
  page: number;
}

export class BadQuery extends Error {}

/** The browse page's query string, checked: every bad value gets its own message. */
export function parseBrowseQuery(params: URLSearchParams): BrowseQuery {
  const q = (params.get('q') ?? '').trim();
  if (q.length > MAX_SEARCH) throw new BadQuery(`Search for at most ${MAX_SEARCH} characters`);
  const sort = params.get('sort') || 'newest';
  if (!SORTS.includes(sort as Sort))
    throw new BadQuery(`Unknown sort order "${sort.slice(0, 40)}": use ${SORTS.join(', ')}`);
  const pageText = params.get('page') || '1';
  if (!/^\d{1,6}$/.test(pageText) || Number(pageText) < 1)
    throw new BadQuery(`"${pageText.slice(0, 40)}" is not a page number`);
  if (Number(pageText) > MAX_PAGE) throw new BadQuery(`There are at most ${MAX_PAGE} pages`);
  return { q, sort: sort as Sort, page: Number(pageText) };
}

/** How long one catalog page answers every viewer before the hub is asked for it again. */
export const CATALOG_TTL_MS = 1_000;
/** Catalog pages kept, over all tenants and queries; the oldest goes first. */
const MAX_CACHED_PAGES = 1_000;
const cached = new Map<string, { at: number; page: Promise<CatalogPage> }>();

/**
 * One page of the tenant's ready videos: searched, sorted and paged by the hub (videos.list). The
 * catalog is the same for every viewer, so a page read once answers everyone asking for the same
 * tenant, search, sort and page for CATALOG_TTL_MS, and requests that arrive while it is being read
 * wait for that one read. A failed read is not kept.
 */
export function browse(tenantId: string, caller: PageCaller, query: BrowseQuery): Promise<CatalogPage> {
  const now = Date.now();
  const key = JSON.stringify([tenantId, query.q, query.sort, query.page]);
  const hit = cached.get(key);
  if (hit && now - hit.at < CATALOG_TTL_MS) return hit.page;
  const page = caller.videos.list({
    scope: 'catalog',
    ...(query.q && { q: query.q }),
    sort: query.sort,
    limit: PAGE_SIZE,
    page: query.page,
  });
  cached.delete(key);
  cached.set(key, { at: now, page });
  page.catch(() => {
    if (cached.get(key)?.page === page) cached.delete(key);
  });
  if (cached.size > MAX_CACHED_PAGES) cached.delete(cached.keys().next().value!);
  return page;
}

/** The browse URL for another page or order, keeping the rest of the query. */
export function browseHref(query: BrowseQuery, change: Partial<BrowseQuery>): string {
  const next = { ...query, ...change };
  const params = new URLSearchParams();
  if (next.q) params.set('q', next.q);
  if (next.sort !== 'newest') params.set('sort', next.sort);
  if (next.page !== 1) params.set('page', String(next.page));
  const search = params.toString();
  return search ? `/?${search}` : '/';
}
