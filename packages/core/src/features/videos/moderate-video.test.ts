import { EntitlementEntity, type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';

let h: Harness;
let tenant: Tenant;
type SignedIn = Awaited<ReturnType<Harness['signedIn']>>;
let creator: SignedIn;
let admin: SignedIn;
let buyer: SignedIn;
let stranger: SignedIn;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  creator = await h.signedIn(tenant, { role: 'creator' });
  admin = await h.signedIn(tenant, { role: 'tenant_admin' });
  buyer = await h.signedIn(tenant);
  stranger = await h.signedIn(tenant);
});
afterAll(() => h?.close());

/** A ready, priced video row (the media pipeline is exercised elsewhere), bought by `buyer`. */
async function boughtVideo(): Promise<string> {
  return withTenant(h.db.orm, tenant.id, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'Moderated',
      priceCents: 499,
      status: 'ready',
    });
    await em.flush();
    em.create(EntitlementEntity, {
      tenantId: tenant.id,
      userId: buyer.userId,
      videoId: video.id,
      source: 'purchase',
    });
    await em.flush();
    return video.id;
  });
}

const catalog = async () => (await stranger.api.videos.list({ limit: 100 })).videos.map((v) => v.id);
const buy = (videoId: string) => stranger.api.checkout.createInvoice({ videoId, token: 'USDC' });

describe('moderation', () => {
  it('behavior: a hidden video leaves the catalog and cannot be bought, its buyer still watches, restore brings it back', async () => {
    const videoId = await boughtVideo();
    expect(await catalog()).toContain(videoId);
    const hidden = await admin.api.videos.hide({ videoId, reason: 'Copyright claim from the label' });
    expect(hidden.hidden).toEqual({ at: expect.any(Date), reason: 'Copyright claim from the label' });

    expect(await catalog()).not.toContain(videoId);
    await expect(stranger.api.videos.get({ videoId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(buy(videoId)).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'This video is not for sale: a moderator of this site hid it',
    });
    // Who bought it keeps it.
    expect((await buyer.api.access.check({ videoId })).allowed).toBe(true);
    expect((await buyer.api.videos.get({ videoId })).id).toBe(videoId);
    // Its creator sees why.
    expect(await creator.api.videos.get({ videoId })).toMatchObject({
      hidden: { reason: 'Copyright claim from the label' },
    });

    const restored = await admin.api.videos.restore({ videoId });
    expect(restored.hidden).toBeNull();
    expect(await catalog()).toContain(videoId);
    const actions = (await admin.api.tenant.audit({}))
      .filter((e) => e.subject === videoId)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['video.hidden', 'video.restored']));
  });

  it('behavior: its creator unpublishes and publishes again; unpublished, it is off the catalog and off sale', async () => {
    const videoId = await boughtVideo();
    const unpublished = await creator.api.videos.unpublish({ videoId });
    expect(unpublished.unpublishedAt).toEqual(expect.any(Date));
    expect(await catalog()).not.toContain(videoId);
    await expect(buy(videoId)).rejects.toMatchObject({
      message: 'This video is not for sale: its creator unpublished it',
    });
    expect((await buyer.api.access.check({ videoId })).allowed).toBe(true);
    expect((await creator.api.videos.list({ scope: 'mine', limit: 100 })).videos.map((v) => v.id)).toContain(
      videoId,
    );
    expect((await creator.api.videos.publish({ videoId })).unpublishedAt).toBeNull();
    expect(await catalog()).toContain(videoId);
    const actions = (await admin.api.tenant.audit({}))
      .filter((e) => e.subject === videoId)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['video.unpublished', 'video.published']));
  });

  it('error: a creator cannot restore a video a moderator hid, nor publish it, nor hide videos', async () => {
    const videoId = await boughtVideo();
    await admin.api.videos.hide({ videoId, reason: 'Spam' });
    await expect(creator.api.videos.restore({ videoId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(creator.api.videos.publish({ videoId })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'A moderator hid this video (Spam); only a tenant admin can restore it',
    });
    await expect(creator.api.videos.hide({ videoId, reason: 'x' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await catalog()).not.toContain(videoId);
    // Unpublished by its creator while hidden: restoring leaves the creator's choice in place.
    await creator.api.videos.unpublish({ videoId });
    await admin.api.videos.restore({ videoId });
    expect(await catalog()).not.toContain(videoId);
  });

  it('error: hiding needs a reason; restoring a video that is not hidden is a conflict', async () => {
    const videoId = await boughtVideo();
    await expect(admin.api.videos.hide({ videoId, reason: '   ' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'reason: Say why the video is hidden (its creator is shown the reason)',
    });
    await expect(admin.api.videos.restore({ videoId })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'This video is not hidden',
    });
  });
});
