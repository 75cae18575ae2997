import { VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { verifyPlaybackToken } from './playback-token';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

async function video(
  tenantId: string,
  creatorId: string,
  fields: { priceCents?: number; status?: 'ready' | 'queued' } = {},
) {
  return withTenant(h.db.orm, tenantId, async (em) => {
    const v = em.create(VideoEntity, {
      tenantId,
      creatorId,
      title: 'V',
      priceCents: fields.priceCents ?? 500,
      status: fields.status ?? 'ready',
    });
    await em.flush();
    return v.id;
  });
}

describe('canWatch through playback.start', () => {
  it('lets the owner, tenant admins, hub admins, allowlisted viewers and anyone signed in on a free video watch', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    const hubAdmin = await h.signedIn(tenant, { hubAdmin: true });
    const friend = await h.signedIn(tenant);
    const paid = await video(tenant.id, creator.userId);
    const free = await video(tenant.id, creator.userId, { priceCents: 0 });
    await creator.api.videos.access.grant({ videoId: paid, who: friend.username });
    for (const who of [creator, admin, hubAdmin, friend]) {
      expect((await who.api.playback.start({ videoId: paid })).overlay.handle).toBe(who.username);
    }
    const stranger = await h.signedIn(tenant);
    await expect(stranger.api.playback.start({ videoId: paid })).rejects.toMatchObject({
      code: 'PAYMENT_REQUIRED',
      message: 'This video is pay-per-view: buy a view to watch it',
    });
    expect((await stranger.api.playback.start({ videoId: free })).masterUrl).toMatch(
      /^\/play\/[0-9a-f-]{36}\/master\.m3u8$/,
    );
  });

  it('error: revoking an allowlist entry takes access away', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const friend = await h.signedIn(tenant);
    const paid = await video(tenant.id, creator.userId);
    await creator.api.videos.access.grant({ videoId: paid, who: `${friend.username}@example.com` });
    expect(await creator.api.videos.access.list({ videoId: paid })).toEqual([
      expect.objectContaining({ username: friend.username }),
    ]);
    await creator.api.videos.access.revoke({ videoId: paid, who: friend.username });
    await expect(friend.api.playback.start({ videoId: paid })).rejects.toMatchObject({
      code: 'PAYMENT_REQUIRED',
    });
    await expect(
      creator.api.videos.access.revoke({ videoId: paid, who: friend.username }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `"${friend.username}" is not on this video's allowlist`,
    });
  });

  it('error: a video that is not ready cannot be played, even by its owner', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const queued = await video(tenant.id, creator.userId, { status: 'queued' });
    await expect(creator.api.playback.start({ videoId: queued })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: 'This video is not ready to play yet',
    });
  });

  it('error: granting an unknown person names them', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const paid = await video(tenant.id, creator.userId);
    await expect(
      creator.api.videos.access.grant({ videoId: paid, who: 'nobody_here' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No account "nobody_here" on this hub',
    });
  });
});

describe('playback sessions', () => {
  it('binds the token to viewer, video, session and tenant, and refreshes it', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const v = await video(tenant.id, creator.userId);
    const started = await creator.api.playback.start({ videoId: v });
    const verified = verifyPlaybackToken(h.deps.config.media.playbackKeys, started.token, new Date());
    expect(verified).toMatchObject({
      ok: true,
      claims: { sid: started.sessionId, vid: v, uid: creator.userId, tid: tenant.id },
    });
    expect(started.overlay.code).toMatch(/^[A-Z0-9]{8}$/);
    h.advance(60_000);
    const refreshed = await creator.api.playback.refresh({ sessionId: started.sessionId });
    expect(refreshed.expiresAt.getTime()).toBeGreaterThan(started.expiresAt.getTime());
  });

  it('error: caps concurrent sessions per viewer, and can end the oldest', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const v = await video(tenant.id, creator.userId);
    const first = await creator.api.playback.start({ videoId: v });
    await creator.api.playback.start({ videoId: v });
    await creator.api.playback.start({ videoId: v });
    await expect(creator.api.playback.start({ videoId: v })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'You are already watching on 3 screens (the limit is 3); end one to start another',
    });
    const fourth = await creator.api.playback.start({ videoId: v, endOldest: true });
    const live = (await creator.api.playback.sessions()).map((s) => s.id);
    expect(live).toHaveLength(3);
    expect(live).toContain(fourth.sessionId);
    expect(live).not.toContain(first.sessionId);
    await expect(creator.api.playback.refresh({ sessionId: first.sessionId })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'This playback session was ended; start a new one',
    });
  });

  it('error: an unknown video is not found', async () => {
    const tenant = await h.tenant();
    const viewer = await h.signedIn(tenant);
    await expect(viewer.api.playback.start({ videoId: crypto.randomUUID() })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Video was not found',
    });
  });
});

describe('videos', () => {
  it('the catalog lists ready videos only; the studio shows its own with processing state', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const ready = await video(tenant.id, creator.userId);
    const queued = await video(tenant.id, creator.userId, { status: 'queued' });
    const viewer = await h.signedIn(tenant);
    const catalog = await viewer.api.videos.list({});
    expect(catalog.videos.map((x) => x.id)).toEqual([ready]);
    const mine = await creator.api.videos.list({ scope: 'mine' });
    expect(mine.videos.map((x) => x.id).sort()).toEqual([ready, queued].sort());
    expect(mine.videos[0]).toHaveProperty('progress');
    await expect(viewer.api.videos.get({ videoId: queued })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('the creator edits metadata; another creator cannot', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const other = await h.signedIn(tenant, { role: 'creator' });
    const v = await video(tenant.id, creator.userId);
    expect(await creator.api.videos.update({ videoId: v, title: 'New title', priceCents: 0 })).toMatchObject({
      title: 'New title',
      priceCents: 0,
    });
    await expect(other.api.videos.update({ videoId: v, title: 'Mine now' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(creator.api.videos.update({ videoId: v, priceCents: -1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'priceCents: Price cannot be negative',
    });
    await expect(creator.api.videos.update({ videoId: v })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Nothing to change',
    });
  });

  it('deleting a video enqueues the removal of its files in the same transaction', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const v = await video(tenant.id, creator.userId);
    await creator.api.videos.delete({ videoId: v });
    await expect(creator.api.videos.get({ videoId: v })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT j.payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'delete_video_files'",
    );
    await client.end();
    expect(rows.map((r) => r.payload)).toContainEqual({ tenantId: tenant.id, videoId: v });
  });
});
