import type { PageCaller } from '@ppv/hub';

export type CatalogVideo = Awaited<ReturnType<PageCaller['videos']['list']>>['videos'][number];

export const SORTS = ['newest', 'price', 'title'] as const;
export type Sort = (typeof SORTS)[number];
export const PAGE_SIZE = 24;
/** The most the hub's videos.list answers at once. */
const LIST_LIMIT = 100;
/** How long a tenant's catalog snapshot serves pages before it is read again (in the background). */
export const CATALOG_TTL_MS = 5_000;

export interface BrowseQuery {
  q: string;
  sort: Sort;
  page: number;
}

export class BadQuery extends Error {}

/** The browse page's query string, checked: every bad value gets its own message. */
export function parseBrowseQuery(params: URLSearchParams): BrowseQuery {
  const q = (params.get('q') ?? '').trim();
  if (q.length > 200) throw new BadQuery('Search for at most 200 characters');
  const sort = params.get('sort') || 'newest';
  if (!SORTS.includes(sort as Sort))
    throw new BadQuery(`Unknown sort order "${sort.slice(0, 40)}": use newest, price or title`);
  const pageText = params.get('page') || '1';
  if (!/^\d{1,6}$/.test(pageText) || Number(pageText) < 1)
    throw new BadQuery(`"${pageText.slice(0, 40)}" is not a page number`);
  return { q, sort: sort as Sort, page: Number(pageText) };
}

interface Snapshot {
  videos: CatalogVideo[];
  at: number;
  refreshing?: Promise<void>;
}
const snapshots = new Map<string, Snapshot>();

async function readCatalog(caller: PageCaller): Promise<CatalogVideo[]> {
  const first = await caller.videos.list({ scope: 'catalog', limit: LIST_LIMIT, offset: 0 });
  const offsets: number[] = [];
  for (let offset = LIST_LIMIT; offset < first.total; offset += LIST_LIMIT) offsets.push(offset);
  const rest = await Promise.all(
    offsets.map((offset) => caller.videos.list({ scope: 'catalog', limit: LIST_LIMIT, offset })),
  );
  const seen = new Set<string>();
  return [first, ...rest].flatMap((page) => page.videos).filter((v) => !seen.has(v.id) && seen.add(v.id));
}

/**
 * Every ready video of the tenant, read through the hub's public catalog procedure. The catalog is
 * the same for every viewer, so a snapshot per tenant serves pages for CATALOG_TTL_MS; after that
 * the next request reads it again in the background while the old one still answers.
 */
export async function catalogOf(
  tenantId: string,
  caller: PageCaller,
  now = Date.now(),
): Promise<CatalogVideo[]> {
  const snapshot = snapshots.get(tenantId);
  if (!snapshot) {
    const videos = await readCatalog(caller);
    snapshots.set(tenantId, { videos, at: now });
    return videos;
  }
  if (now - snapshot.at > CATALOG_TTL_MS && !snapshot.refreshing) {
    snapshot.refreshing = readCatalog(caller).then(
      (videos) => {
        snapshots.set(tenantId, { videos, at: Date.now() });
      },
      () => {
        // Keep serving the old snapshot; the next request tries again.
        snapshot.refreshing = undefined;
      },
    );
  }
  return snapshot.videos;
}

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase('en');

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const byNewest = (a: CatalogVideo, b: CatalogVideo) =>
  new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime() || a.id.localeCompare(b.id);
const comparators: Record<Sort, (a: CatalogVideo, b: CatalogVideo) => number> = {
  newest: byNewest,
  price: (a, b) => a.priceCents - b.priceCents || collator.compare(a.title, b.title) || byNewest(a, b),
  title: (a, b) => collator.compare(a.title, b.title) || byNewest(a, b),
};

export interface BrowsePage {
  videos: CatalogVideo[];
  total: number;
  page: number;
  pages: number;
}

/** Title search (case and accent blind), the sort order and one page of the result. */
export function browse(videos: CatalogVideo[], query: BrowseQuery): BrowsePage {
  const needle = fold(query.q);
  const matching = needle ? videos.filter((v) => fold(v.title).includes(needle)) : [...videos];
  matching.sort(comparators[query.sort]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const start = (query.page - 1) * PAGE_SIZE;
  return {
    videos: matching.slice(start, start + PAGE_SIZE),
    total: matching.length,
    page: query.page,
    pages,
  };
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
