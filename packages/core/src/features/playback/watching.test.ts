import { randomBytes } from 'node:crypto';
import { PlaybackSessionEntity, type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

async function video(t: Tenant, creatorId: string, title: string): Promise<string> {
  return withTenant(h.db.orm, t.id, async (em) => {
    const v = em.create(VideoEntity, { tenantId: t.id, creatorId, title, priceCents: 100, status: 'ready' });
    await em.flush();
    return v.id;
  });
}

async function session(
  t: Tenant,
  videoId: string,
  userId: string,
  opts: { expiresInMs?: number; ended?: boolean } = {},
): Promise<string> {
  const now = h.deps.clock();
  return withTenant(h.db.orm, t.id, async (em) => {
    const s = em.create(PlaybackSessionEntity, {
      tenantId: t.id,
      videoId,
      userId,
      code: randomBytes(4).toString('hex').toUpperCase(),
      seed: randomBytes(32),
      expiresAt: new Date(now.getTime() + (opts.expiresInMs ?? 600_000)),
      endedAt: opts.ended ? now : null,
    });
    await em.flush();
    return s.id;
  });
}

describe('playback.watching', () => {
  it("lists the live sessions of the creator's own videos only, with viewer and video", async () => {
    const t = await h.tenant();
    const creator = await h.signedIn(t, { role: 'creator' });
    const otherCreator = await h.signedIn(t, { role: 'creator' });
    const viewer = await h.signedIn(t);
    const mine = await video(t, creator.userId, 'Lesson one');
    const theirs = await video(t, otherCreator.userId, 'Not mine');
    const live = await session(t, mine, viewer.userId);
    await session(t, mine, viewer.userId, { ended: true });
    await session(t, mine, viewer.userId, { expiresInMs: -1_000 });
    const other = await session(t, theirs, viewer.userId);

    const watching = await creator.api.playback.watching();
    expect(watching).toEqual([
      expect.objectContaining({
        sessionId: live,
        videoId: mine,
        videoTitle: 'Lesson one',
        viewer: viewer.username,
      }),
    ]);
    expect((await otherCreator.api.playback.watching()).map((s) => s.sessionId)).toEqual([other]);

    // A creator of another tenant with the same kind of session sees only their own.
    const u = await h.tenant();
    const creatorU = await h.signedIn(u, { role: 'creator' });
    expect(await creatorU.api.playback.watching()).toEqual([]);
  });

  it('error: a viewer is refused', async () => {
    const t = await h.tenant();
    const viewer = await h.signedIn(t);
    await expect(viewer.api.playback.watching()).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `This needs the creator role in ${t.name}`,
    });
  });
});
