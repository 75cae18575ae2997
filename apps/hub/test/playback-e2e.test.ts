/**
 * Playback and the forensic watermark end to end, on a video transcoded by the real worker with
 * 1 s segments: hls.js plays its real master playlist in Chromium; several real playback sessions
 * over HTTP, one of them recorded by ffmpeg as the client (the playback token in a header) and
 * re-encoded smaller, cropped and trimmed; `ppv trace`'s use-case names that session and its
 * viewer, and answers "no match" for a recording of something else.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createVideo, seal, traceLeakedFile } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { PlaybackSessionEntity, type Tenant, VideoEntity, VideoKeyEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { chromiumArgs, type HlsJsWatched, hlsJsPage, unexpectedHlsErrors } from './players';

const fixedSeed = (label: string) => createHash('sha256').update(`playback-e2e:${label}`).digest();

const run = promisify(execFile);
const ffmpeg = (args: string[]) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

const SECONDS = 40;

let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let work: string;
let tenant: Tenant;
type SignedIn = Awaited<ReturnType<Harness['signedIn']>>;
let creator: SignedIn;
let videoId: string;

/** A clip with natural-looking detail and grain, which the tracer needs to place a leak in time. */
const texturedClip = (file: string, source: string) =>
  ffmpeg([
    ...['-f', 'lavfi', '-i', `${source},noise=alls=6:allf=t:all_seed=7`],
    ...['-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${SECONDS}`],
    ...['-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16'],
    ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file],
  ]);

beforeAll(async () => {
  h = await createHarness();
  work = await mkdtemp(join(tmpdir(), 'ppv-hub-trace-'));
  // The default tenant answers on 127.0.0.1, so ffmpeg needs no Host header.
  tenant = await h.tenant(h.deps.config.defaultTenant);
  creator = await h.signedIn(tenant, { role: 'creator' });
  const clip = join(work, 'lecture.mp4');
  await texturedClip(clip, 'mandelbrot=s=320x180:r=25:maxiter=200');

  // What the upload route does once the bytes are in: the row, its keys and its transcode job.
  videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const created = await createVideo(
      { ...h.deps, em, tenantId: tenant.id },
      {
        creatorId: creator.userId,
        metadata: { title: 'Lecture', description: '', priceCents: 300, previewSeconds: 0 },
        source: { sourceKey: 'pending', sourceBytes: 1, filename: 'lecture.mp4' },
      },
    );
    const sourceKey = `${videoPrefix(tenant.id, created.videoId)}/source.mp4`;
    await em.nativeUpdate(VideoEntity, { id: created.videoId }, { sourceKey });
    // A fixed segment secret (hence watermark pattern), as the sessions' seeds below: the trace
    // verdict is then the same on every run instead of depending on a random draw.
    await em.nativeUpdate(
      VideoKeyEntity,
      { videoId: created.videoId },
      {
        sealedSegmentSecret: seal(
          h.deps.config.media.masterKey,
          fixedSeed('segment-secret'),
          `segments:${created.videoId}`,
        ),
      },
    );
    const copy = join(work, 'upload.mp4');
    await copyFile(clip, copy);
    await h.deps.storage.putFile(sourceKey, copy);
    return created.videoId;
  });
  const { media } = h.deps.config;
  worker = await startWorker({
    deps: { ...h.deps, config: { ...h.deps.config, media: { ...media, segmentSeconds: 1 } } },
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const deadline = Date.now() + 150_000;
  let status = 'queued';
  while (status !== 'ready' && status !== 'error' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    status = (await creator.api.videos.get({ videoId })).status;
  }
  expect(status).toBe('ready');
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
  // graphile-worker's stop() does not wait for its pool to end; let it close before the drop.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

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
    const sessions = [
      await viewers[0]!.api.playback.start({ videoId }),
      await viewers[1]!.api.playback.start({ videoId }),
      await viewers[1]!.api.playback.start({ videoId }),
    ];
    await withTenant(h.db.orm, tenant.id, async (em) => {
      for (const [i, session] of sessions.entries()) {
        await em.nativeUpdate(
          PlaybackSessionEntity,
          { id: session.sessionId },
          { seed: fixedSeed(`session-${i}`) },
        );
      }
    });
    const leaker = sessions[1]!;
    // The leaker's copy: the session's stream over HTTP, decrypted by ffmpeg, then cut at 1.4 s
    // and 37.6 s (mid-segment), cropped 4 %, scaled down and re-encoded at a low rate, no audio.
    const leak = join(work, 'leak.mp4');
    await ffmpeg([
      ...['-headers', `Authorization: Bearer ${leaker.token}\r\n`],
      ...['-i', `${hub.url}${leaker.masterUrl}`],
      ...['-ss', '1.4', '-to', '37.6', '-vf', 'crop=iw*0.96:ih*0.96,scale=256:144'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-an', leak],
    ]);

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
