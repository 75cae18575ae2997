import { VideoEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { authorizePlaylist } from './playlist-authorization';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

async function liveSession() {
  const tenant = await h.tenant();
  const viewer = await h.signedIn(tenant, { role: 'creator' });
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const v = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: viewer.userId,
      title: 'V',
      priceCents: 0,
      status: 'ready',
    });
    await em.flush();
    return v.id;
  });
  const started = await viewer.api.playback.start({ videoId });
  const authorize = (token: string | null = started.token) =>
    authorizePlaylist({ ...h.deps, tenantId: tenant.id }, { sessionId: started.sessionId, token });
  /** Ends the session in the database only, as another hub process would. */
  const endElsewhere = () =>
    withTenant(h.db.orm, tenant.id, (em) =>
      em.execute('UPDATE playback_sessions SET ended_at = now() WHERE id = ?', [started.sessionId]),
    );
  return { tenant, viewer, videoId, started, authorize, endElsewhere };
}

describe('authorizePlaylist', () => {
  it('behavior: a session’s playlists within a few seconds share one authorization, then it is read again', async () => {
    const { started, authorize, endElsewhere } = await liveSession();
    expect((await authorize()).session.id).toBe(started.sessionId);
    await endElsewhere();
    // Remembered: the ending (in another process) is not seen yet…
    expect((await authorize()).session.id).toBe(started.sessionId);
    const ttlMs = h.deps.config.media.playlistAuthorizationSeconds * 1000;
    h.advance(ttlMs);
    try {
      // …and is once the authorization is older than PLAYLIST_AUTH_CACHE_SECONDS.
      await expect(authorize()).rejects.toMatchObject({
        code: 'GONE',
        message: 'This playback session was ended; start a new one',
      });
    } finally {
      h.advance(-ttlMs);
    }
  });

  it('behavior: a remembered authorization is served without the database; another tenant’s is not', async () => {
    const { tenant, started, authorize } = await liveSession();
    await authorize();
    const offline = {
      ...h.deps,
      tenantId: tenant.id,
      orm: new Proxy(h.deps.orm, {
        get() {
          throw new Error('the database was asked');
        },
      }),
    };
    const input = { sessionId: started.sessionId, token: started.token };
    expect((await authorizePlaylist(offline, input)).session.id).toBe(started.sessionId);
    const other = await h.tenant();
    // Not served from the memory: checked afresh, and refused on the token before any database read.
    await expect(authorizePlaylist({ ...offline, tenantId: other.id }, input)).rejects.toThrow(
      'This playback token was issued by another site',
    );
  });

  it('behavior: with PLAYLIST_AUTH_CACHE_SECONDS=0 every playlist asks the database', async () => {
    const { authorize, endElsewhere } = await liveSession();
    const configured = h.deps.config.media.playlistAuthorizationSeconds;
    h.deps.config.media.playlistAuthorizationSeconds = 0;
    try {
      await authorize();
      await endElsewhere();
      await expect(authorize()).rejects.toMatchObject({ code: 'GONE' });
    } finally {
      h.deps.config.media.playlistAuthorizationSeconds = configured;
    }
  });

  it('error: a session ended through playback.end is refused at once', async () => {
    const { viewer, started, authorize } = await liveSession();
    await authorize();
    await viewer.api.playback.end({ sessionId: started.sessionId });
    await expect(authorize()).rejects.toMatchObject({ code: 'GONE' });
  });

  it('error: another token for the remembered session is checked afresh (a forged one is refused)', async () => {
    const { authorize } = await liveSession();
    await authorize();
    await expect(authorize('forged.token')).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This playback token is not valid',
    });
    await expect(authorize(null)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('error: a session the viewer’s cap ended is refused at once', async () => {
    const { viewer, videoId, authorize } = await liveSession();
    await authorize();
    const cap = h.deps.config.media.maxPlaybackSessions;
    for (let i = 1; i < cap; i++) await viewer.api.playback.start({ videoId });
    await viewer.api.playback.start({ videoId, endOldest: true });
    await expect(authorize()).rejects.toMatchObject({ code: 'GONE' });
  });
});
