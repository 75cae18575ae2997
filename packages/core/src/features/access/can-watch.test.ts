import { randomBytes } from 'node:crypto';
import {
  EntitlementEntity,
  findPlaybackGrant,
  PlaybackSessionEntity,
  type Video,
  VideoEntity,
  withTenant,
} from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { type AccessDecision, canWatch, decideAccess } from './can-watch';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

async function setup(priceCents = 500) {
  const tenant = await h.tenant();
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const viewer = await h.signedIn(tenant);
  const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
  const video = await withTenant(h.db.orm, tenant.id, async (em) => {
    const v = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'V',
      priceCents,
      status: 'ready',
    });
    await em.flush();
    return v;
  });
  return { tenant, creator, viewer, admin, video };
}

async function entitle(video: Video, userId: string, fields: { expiresAt?: Date; revokedAt?: Date } = {}) {
  await withTenant(h.db.orm, video.tenantId, async (em) => {
    em.create(EntitlementEntity, {
      tenantId: video.tenantId,
      userId,
      videoId: video.id,
      source: 'purchase',
      expiresAt: fields.expiresAt ?? null,
      revokedAt: fields.revokedAt ?? null,
    });
    await em.flush();
  });
}

/** canWatch, and the decision the media routes make from findPlaybackGrant: they must agree. */
async function bothPaths(video: Video, userId: string, at = new Date()): Promise<AccessDecision> {
  return withTenant(h.db.orm, video.tenantId, async (em) => {
    const decision = await canWatch(em, userId, video, at);
    const session = em.create(PlaybackSessionEntity, {
      tenantId: video.tenantId,
      videoId: video.id,
      userId,
      code: randomBytes(4).toString('hex').toUpperCase(),
      seed: randomBytes(32),
      expiresAt: new Date(at.getTime() + 3_600_000),
    });
    await em.flush();
    const grant = await findPlaybackGrant(em, { sessionId: session.id, keyFetchesSince: null, at });
    expect(decideAccess(userId, video, grant!.viewer)).toEqual(decision);
    return decision;
  });
}

describe('canWatch with purchases and blocks', () => {
  it('grants a purchase that is neither revoked nor expired', async () => {
    const s = await setup();
    expect(await bothPaths(s.video, s.viewer.userId)).toEqual({ allowed: false, reason: 'payment_required' });
    await entitle(s.video, s.viewer.userId);
    expect(await bothPaths(s.video, s.viewer.userId)).toEqual({ allowed: true, grant: 'purchase' });
  });

  it('error: a rental ends at its expiry, and a revoked purchase grants nothing', async () => {
    const s = await setup();
    const ends = new Date(Date.now() + 3_600_000);
    await entitle(s.video, s.viewer.userId, { expiresAt: ends });
    expect(await bothPaths(s.video, s.viewer.userId)).toEqual({ allowed: true, grant: 'purchase' });
    expect(await bothPaths(s.video, s.viewer.userId, new Date(ends.getTime() + 1))).toEqual({
      allowed: false,
      reason: 'payment_required',
    });
    const other = await h.signedIn(s.tenant);
    await entitle(s.video, other.userId, { revokedAt: new Date() });
    expect(await bothPaths(s.video, other.userId)).toMatchObject({ allowed: false });
  });

  it("error: the creator's block list beats purchase, allowlist and free, but not owner or admin", async () => {
    const s = await setup();
    const free = await withTenant(h.db.orm, s.tenant.id, async (em) => {
      const v = em.create(VideoEntity, {
        tenantId: s.tenant.id,
        creatorId: s.creator.userId,
        title: 'F',
        priceCents: 0,
        status: 'ready',
      });
      await em.flush();
      return v;
    });
    await entitle(s.video, s.viewer.userId);
    await s.creator.api.videos.access.grant({ videoId: s.video.id, who: s.viewer.username });
    await s.creator.api.blocks.add({ who: s.viewer.username });
    await s.creator.api.blocks.add({ who: s.admin.username });
    for (const video of [s.video, free]) {
      expect(await bothPaths(video, s.viewer.userId)).toEqual({ allowed: false, reason: 'blocked' });
      expect(await bothPaths(video, s.admin.userId)).toEqual({ allowed: true, grant: 'admin' });
      expect(await bothPaths(video, s.creator.userId)).toEqual({ allowed: true, grant: 'owner' });
    }
    await expect(s.viewer.api.playback.start({ videoId: s.video.id })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'The creator of this video has blocked you',
    });
    expect(await s.creator.api.blocks.list()).toHaveLength(2);
    await s.creator.api.blocks.remove({ who: s.viewer.username });
    expect(await bothPaths(s.video, s.viewer.userId)).toEqual({ allowed: true, grant: 'allowlist' });
  });

  it("behavior: a block applies only to the creator who set it, in that creator's tenant", async () => {
    const s = await setup();
    const otherCreator = await h.signedIn(s.tenant, { role: 'creator' });
    const theirs = await withTenant(h.db.orm, s.tenant.id, async (em) => {
      const v = em.create(VideoEntity, {
        tenantId: s.tenant.id,
        creatorId: otherCreator.userId,
        title: 'O',
        priceCents: 0,
        status: 'ready',
      });
      await em.flush();
      return v;
    });
    await s.creator.api.blocks.add({ who: s.viewer.username });
    expect(await bothPaths(theirs, s.viewer.userId)).toEqual({ allowed: true, grant: 'free' });
    await expect(s.creator.api.blocks.add({ who: s.creator.username })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'You cannot block yourself',
    });
    await expect(s.creator.api.blocks.remove({ who: otherCreator.username })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
