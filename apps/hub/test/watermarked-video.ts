/**
 * The fixture of the hub's leak-tracing tests: a 40 s textured clip transcoded by the real worker
 * with 1 s segments and A/B variants, behind a running hub, with a fixed segment secret (hence
 * watermark pattern) and, through fixedSessions, fixed session seeds — so a trace's verdict is the
 * same on every run instead of depending on a random draw.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createVideo, seal } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { PlaybackSessionEntity, type Tenant, VideoEntity, VideoKeyEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { expect } from 'vitest';
import { type RunningHub, startHub } from '../src/index';

const run = promisify(execFile);
export const ffmpeg = (args: string[]) =>
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

export const CLIP_SECONDS = 40;

/** A clip with natural-looking detail and grain, which the tracer needs to place a leak in time. */
export const texturedClip = (file: string, source: string) =>
  ffmpeg([
    ...['-f', 'lavfi', '-i', `${source},noise=alls=6:allf=t:all_seed=7`],
    ...['-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${CLIP_SECONDS}`],
    ...['-t', String(CLIP_SECONDS), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16'],
    ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file],
  ]);

export type SignedIn = Awaited<ReturnType<Harness['signedIn']>>;

export interface WatermarkedVideo {
  h: Harness;
  hub: RunningHub;
  worker: RunningWorker;
  /** A temporary folder for the test's files, removed by close. */
  work: string;
  /** The default tenant: it answers on 127.0.0.1, so ffmpeg needs no Host header. */
  tenant: Tenant;
  creator: SignedIn;
  videoId: string;
  /** 32 bytes fixed by `label` (and the fixture's own label). */
  fixedSeed: (label: string) => Buffer;
  close: () => Promise<void>;
}

/** Transcodes the fixture's video and starts a hub and a worker; `label` names its seeds and folder. */
export async function startWatermarkedVideo(label: string): Promise<WatermarkedVideo> {
  const fixedSeed = (name: string) => createHash('sha256').update(`${label}:${name}`).digest();
  const h = await createHarness();
  const work = await mkdtemp(join(tmpdir(), `ppv-hub-${label}-`));
  const tenant = await h.tenant(h.deps.config.defaultTenant);
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const clip = join(work, 'lecture.mp4');
  await texturedClip(clip, 'mandelbrot=s=320x180:r=25:maxiter=200');

  // What the upload route does once the bytes are in: the row, its keys and its transcode job.
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
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
  const worker = await startWorker({
    deps: { ...h.deps, config: { ...h.deps.config, media: { ...media, segmentSeconds: 1 } } },
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  const hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const deadline = Date.now() + 150_000;
  let status = 'queued';
  while (status !== 'ready' && status !== 'error' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    status = (await creator.api.videos.get({ videoId })).status;
  }
  expect(status).toBe('ready');
  const close = async () => {
    await worker.stop();
    await hub.close();
    // graphile-worker's stop() does not wait for its pool to end; let it close before the drop.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await h.close();
    await rm(work, { recursive: true, force: true });
  };
  return { h, hub, worker, work, tenant, creator, videoId, fixedSeed, close };
}

/** One playback session of the video per entry of `viewers`, in order, with fixed seeds. */
export async function fixedSessions(v: WatermarkedVideo, viewers: SignedIn[]) {
  const sessions: Awaited<ReturnType<SignedIn['api']['playback']['start']>>[] = [];
  for (const viewer of viewers) sessions.push(await viewer.api.playback.start({ videoId: v.videoId }));
  await withTenant(v.h.db.orm, v.tenant.id, async (em) => {
    for (const [i, session] of sessions.entries()) {
      await em.nativeUpdate(
        PlaybackSessionEntity,
        { id: session.sessionId },
        { seed: v.fixedSeed(`session-${i}`) },
      );
    }
  });
  return sessions;
}

/**
 * A leaker's copy of `session` in `file`: its stream over HTTP, decrypted by ffmpeg, then cut at
 * 1.4 s and 37.6 s (mid-segment), cropped 4 %, scaled down and re-encoded at a low rate, no audio.
 */
export async function recordLeak(
  v: WatermarkedVideo,
  session: { token: string; masterUrl: string },
  file: string,
) {
  await ffmpeg([
    ...['-headers', `Authorization: Bearer ${session.token}\r\n`],
    ...['-i', `${v.hub.url}${session.masterUrl}`],
    ...['-ss', '1.4', '-to', '37.6', '-vf', 'crop=iw*0.96:ih*0.96,scale=256:144'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-an', file],
  ]);
}
