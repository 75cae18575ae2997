/**
 * Playback and the forensic watermark end to end, on a video transcoded by the real worker with
 * 1 s segments: hls.js plays its real master playlist in Chromium; several real playback sessions
 * over HTTP, one of them recorded by ffmpeg as the client (the playback token in a header) and
 * re-encoded smaller, cropped and trimmed; `ppv trace`'s use-case names that session and its
 * viewer, and answers "no match" for a recording of something else.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { traceLeakedFile } from '@ppv/core';
import type { Harness } from '@ppv/core/testing';
import type { Tenant } from '@ppv/db';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../src/index';
import { chromiumArgs, type HlsJsWatched, hlsJsPage, unexpectedHlsErrors } from './players';
import {
  fixedSessions,
  recordLeak,
  type SignedIn,
  startWatermarkedVideo,
  texturedClip,
  type WatermarkedVideo,
} from './watermarked-video';

let fixture: WatermarkedVideo;
let h: Harness;
let hub: RunningHub;
let work: string;
let tenant: Tenant;
let creator: SignedIn;
let videoId: string;

beforeAll(async () => {
  fixture = await startWatermarkedVideo('playback-e2e');
  ({ h, hub, work, tenant, creator, videoId } = fixture);
}, 180_000);

afterAll(() => fixture?.close());

describe('hls.js', () => {
  it('plays the worker’s encrypted A/B stream in Chromium: its real master playlist, codecs and key', {
    timeout: 60_000,
  }, async () => {
    const viewer = await h.signedIn(tenant);
    await creator.api.videos.access.grant({ videoId, who: viewer.username });
    const started = await viewer.api.playback.start({ videoId });
    const master = await fetch(`${hub.url}${started.masterUrl}`, {
      headers: { authorization: `Bearer ${started.token}` },
    }).then((r) => r.text());
    expect(master).toMatch(/RESOLUTION=320x180,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);

    const hlsJs = await readFile(new URL(import.meta.resolve('hls.js/dist/hls.min.js')));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
    try {
      const page = await browser.newPage();
      // The test page and hls.js, as if the hub served them: the player's requests are same-origin.
      await page.route(`${hub.url}/player-test`, (route) =>
        route.fulfill({ contentType: 'text/html', body: hlsJsPage }),
      );
      await page.route(`${hub.url}/hls.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: hlsJs }),
      );
      await page.goto(`${hub.url}/player-test`);
      const watched = await page.evaluate(
        ([url, token]) =>
          (window as never as { watch: (u: string, t: string) => Promise<HlsJsWatched> }).watch(url!, token!),
        [`${hub.url}${started.masterUrl}`, started.token],
      );
      expect(watched).toMatchObject({ loaded: true, width: 320 });
      expect(unexpectedHlsErrors(watched.errors)).toEqual([]);
      expect(watched.currentTime).toBeGreaterThanOrEqual(2);
    } finally {
      await browser.close();
    }
  });
});

describe('ppv trace through real HTTP playback', () => {
  it('names the session ffmpeg recorded (not the others) from a re-encoded, cropped, trimmed copy', {
    timeout: 120_000,
  }, async () => {
    const viewers = [await h.signedIn(tenant), await h.signedIn(tenant)];
    for (const v of viewers) await creator.api.videos.access.grant({ videoId, who: v.username });
    const sessions = await fixedSessions(fixture, [viewers[0]!, viewers[1]!, viewers[1]!]);
    const leaker = sessions[1]!;
    const leak = join(work, 'leak.mp4');
    await recordLeak(fixture, leaker, leak);

    const verdict = await traceLeakedFile(h.deps, { file: leak, videoId });
    expect(verdict.verdict, JSON.stringify(verdict.videos[0]?.result)).toBe('match');
    expect(verdict.match).toMatchObject({
      sessionId: leaker.sessionId,
      videoId,
      viewer: { id: viewers[1]!.userId, username: viewers[1]!.username },
      tenant: { id: tenant.id },
    });
    expect(verdict.match!.confidence).toBeGreaterThan(0.999999);
    expect(verdict.match!.bitsRecovered).toBeGreaterThanOrEqual(30);
    const result = verdict.videos[0]!.result;
    if (result.verdict !== 'match') throw new Error('unreachable');
    // The other sessions (the same viewer's second one included) score far below it.
    expect(result.ranking.map((r) => r.sessionId)).toEqual(
      expect.arrayContaining(sessions.map((s) => s.sessionId)),
    );
    expect(result.ranking[0]!.sessionId).toBe(leaker.sessionId);
  });

  it('answers no match for a recording of another video', { timeout: 60_000 }, async () => {
    const other = join(work, 'other.mp4');
    await texturedClip(other, 'cellauto=s=320x180:r=25:rule=110');
    const verdict = await traceLeakedFile(h.deps, { file: other });
    expect(verdict.match).toBeNull();
    expect(verdict.verdict).toBe('no_match');
    expect(verdict.videos.map((v) => [v.videoId, v.result])).toEqual([
      [videoId, expect.objectContaining({ verdict: 'no_match', reason: 'NOT_THIS_VIDEO' })],
    ]);
  });
});
