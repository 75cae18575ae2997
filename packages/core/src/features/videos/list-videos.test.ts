import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';

let h: Harness;
let shop: Tenant;
let other: Tenant;
let creatorName: string;
let otherCreatorName: string;
let creator: Awaited<ReturnType<Harness['signedIn']>>;
const DAY = 86_400_000;
const base = Date.UTC(2026, 0, 1);

interface Row {
  title: string;
  description?: string;
  priceCents: number;
  day: number;
  status?: 'ready' | 'queued';
}

async function videos(tenant: Tenant, creatorId: string, rows: Row[]): Promise<string[]> {
  return withTenant(h.db.orm, tenant.id, async (em) => {
    const made = rows.map((r) =>
      em.create(VideoEntity, {
        tenantId: tenant.id,
        creatorId,
        title: r.title,
        description: r.description ?? '',
        priceCents: r.priceCents,
        status: r.status ?? 'ready',
        createdAt: new Date(base + r.day * DAY),
      }),
    );
    await em.flush();
    return made.map((v) => v.id);
  });
}

beforeAll(async () => {
  h = await createHarness();
  shop = await h.tenant();
  other = await h.tenant();
  creator = await h.signedIn(shop, { role: 'creator' });
  creatorName = creator.username;
  const otherCreator = await h.signedIn(other, { role: 'creator' });
  otherCreatorName = otherCreator.username;
  await videos(shop, creator.userId, [
    {
      title: 'Rendang from scratch',
      description: 'Slow-cooked BEEF, three hours.',
      priceCents: 1000,
      day: 1,
    },
    { title: 'Nasi goreng kampung', priceCents: 250, day: 2 },
    { title: 'Sámbal matah basics', priceCents: 0, day: 3 },
    { title: 'Soto ayam Lamongan', description: 'Chicken soup with turmeric', priceCents: 500, day: 4 },
    { title: 'Rendang, the unfinished cut', priceCents: 900, day: 5, status: 'queued' },
    { title: '100% cacao brownies', priceCents: 300, day: 6 },
    { title: 'Knife_skills', priceCents: 250, day: 7 },
  ]);
  await videos(other, otherCreator.userId, [
    { title: 'Sunday sermon: rendang of the soul', priceCents: 300, day: 8 },
  ]);
});
afterAll(() => h?.close());

const catalog = (input: Parameters<ReturnType<Harness['client']>['api']['videos']['list']>[0]) =>
  h.client(shop).api.videos.list(input);
const titles = (page: { videos: { title: string }[] }) => page.videos.map((v) => v.title);

describe('videos.list search', () => {
  it('matches the title or the description, regardless of case and accents', async () => {
    expect(titles(await catalog({ q: 'RENDANG' }))).toEqual(['Rendang from scratch']);
    expect(titles(await catalog({ q: 'beef' }))).toEqual(['Rendang from scratch']);
    expect(titles(await catalog({ q: 'TURMERIC' }))).toEqual(['Soto ayam Lamongan']);
    expect(titles(await catalog({ q: 'sambal' }))).toEqual(['Sámbal matah basics']);
    expect(titles(await catalog({ q: 'SÁMBAL' }))).toEqual(['Sámbal matah basics']);
    const none = await catalog({ q: 'pizza' });
    expect(none).toMatchObject({ total: 0, videos: [], page: 1, pages: 1 });
  });

  it('takes % and _ in a search literally', async () => {
    expect(titles(await catalog({ q: '100%' }))).toEqual(['100% cacao brownies']);
    expect(titles(await catalog({ q: '%' }))).toEqual(['100% cacao brownies']);
    expect(titles(await catalog({ q: 'knife_' }))).toEqual(['Knife_skills']);
    expect(titles(await catalog({ q: '_' }))).toEqual(['Knife_skills']);
  });

  it('finds a video by its new title once the creator renames it', async () => {
    const [id] = await videos(shop, creator.userId, [{ title: 'Working title', priceCents: 100, day: 0 }]);
    expect((await catalog({ q: 'lemper' })).total).toBe(0);
    await creator.api.videos.update({ videoId: id!, title: 'Lemper ayam' });
    expect(titles(await catalog({ q: 'LEMPER' }))).toEqual(['Lemper ayam']);
    expect((await catalog({ q: 'working title' })).total).toBe(0);
    await creator.api.videos.delete({ videoId: id! });
  });

  it('a blank search lists everything', async () => {
    expect((await catalog({ q: '   ' })).total).toBe(6);
  });
});

describe('videos.list sort and pages', () => {
  it('sorts newest, oldest, by price both ways and by title', async () => {
    expect(titles(await catalog({}))).toEqual([
      'Knife_skills',
      '100% cacao brownies',
      'Soto ayam Lamongan',
      'Sámbal matah basics',
      'Nasi goreng kampung',
      'Rendang from scratch',
    ]);
    expect(titles(await catalog({ sort: 'oldest' }))[0]).toBe('Rendang from scratch');
    // Equal prices fall back to the title.
    expect(titles(await catalog({ sort: 'price_asc' }))).toEqual([
      'Sámbal matah basics',
      'Knife_skills',
      'Nasi goreng kampung',
      '100% cacao brownies',
      'Soto ayam Lamongan',
      'Rendang from scratch',
    ]);
    expect(titles(await catalog({ sort: 'price_desc' })).slice(0, 2)).toEqual([
      'Rendang from scratch',
      'Soto ayam Lamongan',
    ]);
    expect(titles(await catalog({ sort: 'title' }))).toEqual([
      '100% cacao brownies',
      'Knife_skills',
      'Nasi goreng kampung',
      'Rendang from scratch',
      'Sámbal matah basics',
      'Soto ayam Lamongan',
    ]);
  });

  it('pages by page number or offset, with the total and the page count', async () => {
    const second = await catalog({ sort: 'title', limit: 4, page: 2 });
    expect(second).toMatchObject({ total: 6, limit: 4, offset: 4, page: 2, pages: 2 });
    expect(titles(second)).toEqual(['Sámbal matah basics', 'Soto ayam Lamongan']);
    const byOffset = await catalog({ sort: 'title', limit: 4, offset: 4 });
    expect(titles(byOffset)).toEqual(titles(second));
    const past = await catalog({ limit: 4, page: 3 });
    expect(past).toMatchObject({ total: 6, videos: [], page: 3, pages: 2 });
  });

  it('names each video’s creator, in the list and on its own', async () => {
    const page = await catalog({ q: 'soto' });
    expect(page.videos[0]?.creator).toEqual({ id: creator.userId, username: creatorName });
    const one = await h.client(shop).api.videos.get({ videoId: page.videos[0]!.id });
    expect(one.creator).toEqual({ id: creator.userId, username: creatorName });
    // The list and the single video describe it alike.
    expect(page.videos[0]).toEqual(one);
    expect(one.createdAt).toEqual(new Date(base + 4 * DAY));
    const mine = await creator.api.videos.list({ scope: 'mine', q: 'unfinished' });
    expect(mine.videos.map((v) => [v.title, v.status, v.creator.username])).toEqual([
      ['Rendang, the unfinished cut', 'queued', creatorName],
    ]);
  });
});

describe('videos.list tenants', () => {
  it('a search never finds another tenant’s videos, and each tenant sees its own creators', async () => {
    const here = await catalog({ q: 'rendang', limit: 100 });
    expect(titles(here)).toEqual(['Rendang from scratch']);
    const there = await h.client(other).api.videos.list({ q: 'rendang' });
    expect(titles(there)).toEqual(['Sunday sermon: rendang of the soul']);
    expect(there.videos[0]?.creator.username).toBe(otherCreatorName);
    expect((await h.client(other).api.videos.list({ q: 'soto' })).total).toBe(0);
    const admin = await h.signedIn(other, { role: 'tenant_admin' });
    expect(titles(await admin.api.videos.list({ scope: 'all', q: 'rendang' }))).toEqual([
      'Sunday sermon: rendang of the soul',
    ]);
  });
});

describe('videos.list bad input', () => {
  it('error: a negative or fractional page, a page with an offset, or a bad limit is a 400 saying so', async () => {
    await expect(catalog({ page: -1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'page: Page is a whole number from 1',
    });
    await expect(catalog({ page: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(catalog({ page: 1.5 })).rejects.toMatchObject({
      message: 'page: Page is a whole number from 1',
    });
    await expect(catalog({ page: 2, offset: 10 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'page: Give page or offset, not both',
    });
    await expect(catalog({ offset: -3 })).rejects.toMatchObject({
      message: 'offset: Offset is a whole number from 0',
    });
    await expect(catalog({ limit: 500 })).rejects.toMatchObject({
      message: 'limit: Limit is a whole number from 1 to 100',
    });
  });

  it('error: an unknown sort names the valid ones', async () => {
    await expect(catalog({ sort: 'cheapest' as 'newest' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'sort: Sort by newest, oldest, price_asc, price_desc, title',
    });
  });

  it('error: a search with a NUL or another control character is a 400, not a database error', async () => {
    await expect(catalog({ q: 'ren\u0000dang' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'q: Search cannot contain control characters',
    });
  });

  it('error: a 500-character search is a 400', async () => {
    await expect(catalog({ q: 'a'.repeat(500) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'q: Search for at most 200 characters',
    });
  });
});
