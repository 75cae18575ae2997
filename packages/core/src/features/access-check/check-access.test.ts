import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';

let h: Harness;
let tenant: Tenant;
type SignedIn = Awaited<ReturnType<Harness['signedIn']>>;
let creator: SignedIn;

function video(
  t: Tenant,
  creatorId: string,
  fields: { priceCents?: number; status?: 'ready' | 'processing' },
) {
  return withTenant(h.db.orm, t.id, async (em) => {
    const row = em.create(VideoEntity, {
      tenantId: t.id,
      creatorId,
      title: 'A lecture',
      priceCents: fields.priceCents ?? 300,
      status: fields.status ?? 'ready',
    });
    await em.flush();
    return row.id;
  });
}

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  creator = await h.signedIn(tenant, { role: 'creator' });
});
afterAll(() => h?.close());

describe('access.check', () => {
  it('a signed-out visitor is asked to sign in, for paid and free videos alike', async () => {
    const paid = await video(tenant, creator.userId, {});
    const free = await video(tenant, creator.userId, { priceCents: 0 });
    const visitor = h.client(tenant);
    for (const videoId of [paid, free]) {
      expect(await visitor.api.access.check({ videoId })).toEqual({
        videoId,
        allowed: false,
        reason: 'sign_in_required',
        message: 'Sign in to watch this video',
      });
    }
  });

  it('a signed-in viewer needs to pay for a priced video, and may watch once allowlisted or when free', async () => {
    const paid = await video(tenant, creator.userId, {});
    const free = await video(tenant, creator.userId, { priceCents: 0 });
    const viewer = await h.signedIn(tenant);
    expect(await viewer.api.access.check({ videoId: paid })).toMatchObject({
      allowed: false,
      reason: 'payment_required',
      message: 'This video is pay-per-view: buy a view to watch it',
    });
    expect(await viewer.api.access.check({ videoId: free })).toEqual({
      videoId: free,
      allowed: true,
      grant: 'free',
    });
    await creator.api.videos.access.grant({ videoId: paid, who: viewer.username });
    expect(await viewer.api.access.check({ videoId: paid })).toEqual({
      videoId: paid,
      allowed: true,
      grant: 'allowlist',
    });
    expect(await creator.api.access.check({ videoId: paid })).toMatchObject({
      allowed: true,
      grant: 'owner',
    });
  });

  it('a video still processing is "not ready" to its creator and unknown to everyone else', async () => {
    const processing = await video(tenant, creator.userId, { status: 'processing' });
    expect(await creator.api.access.check({ videoId: processing })).toMatchObject({
      allowed: false,
      reason: 'not_ready',
      message: 'This video is not ready to play yet',
    });
    const viewer = await h.signedIn(tenant);
    await expect(viewer.api.access.check({ videoId: processing })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Video was not found',
    });
  });

  it('error: a malformed video id names the field', async () => {
    await expect(h.client(tenant).api.access.check({ videoId: 'nope' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'videoId: Unknown video id',
    });
  });

  it('error: another tenant’s video is not found', async () => {
    const other = await h.tenant();
    const otherCreator = await h.signedIn(other, { role: 'creator' });
    const theirs = await video(other, otherCreator.userId, {});
    await expect(creator.api.access.check({ videoId: theirs })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
