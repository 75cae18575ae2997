import { VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { createVideo } from './create-video';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

async function video(tenantId: string, creatorId: string, title: string, status: 'ready' | 'error') {
  return withTenant(h.db.orm, tenantId, async (em) => {
    const { videoId } = await createVideo(
      { ...h.deps, em, tenantId },
      {
        creatorId,
        metadata: { title, description: '', priceCents: 100, previewSeconds: 0 },
        source: { sourceKey: `${tenantId}/none/source/clip.mp4`, sourceBytes: 1, filename: 'clip.mp4' },
      },
    );
    await em.nativeUpdate(
      VideoEntity,
      { id: videoId },
      { status, lastError: status === 'error' ? 'bad file' : null },
    );
    return videoId;
  });
}

describe('hub.videos.list', () => {
  it('lists the videos of every tenant with tenant and creator, in any state, and filters by status', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const admin = await h.signedIn(a, { hubAdmin: true });
    const creatorA = await h.signedIn(a, { role: 'creator' });
    const creatorB = await h.signedIn(b, { role: 'creator' });
    const inA = await video(a.id, creatorA.userId, 'From A', 'ready');
    const inB = await video(b.id, creatorB.userId, 'From B', 'error');

    const all = await admin.api.hub.videos.list({ limit: 100 });
    const byId = new Map(all.videos.map((v) => [v.id, v]));
    expect(byId.get(inA)).toMatchObject({
      title: 'From A',
      tenantSlug: a.slug,
      creatorUsername: creatorA.username,
    });
    expect(byId.get(inB)).toMatchObject({
      title: 'From B',
      status: 'error',
      lastError: 'bad file',
      tenantId: b.id,
      tenantSlug: b.slug,
      creatorUsername: creatorB.username,
    });
    const failed = await admin.api.hub.videos.list({ status: 'error' });
    expect(failed.videos.every((v) => v.status === 'error')).toBe(true);
    expect(failed.videos.map((v) => v.id)).toContain(inB);
    expect(failed.videos.map((v) => v.id)).not.toContain(inA);
  });

  it('error: tenant admins see their own tenant only: the hub-wide list is refused', async () => {
    const t = await h.tenant();
    const tenantAdmin = await h.signedIn(t, { role: 'tenant_admin' });
    await expect(tenantAdmin.api.hub.videos.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('error: an unknown status is refused with the allowed ones named', async () => {
    const t = await h.tenant();
    const admin = await h.signedIn(t, { hubAdmin: true });
    await expect(admin.api.hub.videos.list({ status: 'gone' as unknown as 'ready' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'status: Status must be queued, processing, ready or error',
    });
  });
});
