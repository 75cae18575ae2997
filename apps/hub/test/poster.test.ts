/**
 * Choosing a poster in the studio, end to end: a clip transcoded by the real worker; the poster
 * becomes a frame (the `make_poster` job cuts it from the kept source) or an uploaded image
 * (re-encoded to a bounded JPEG by the route); the poster URL changes each time and the hub serves
 * the new image.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { type Tenant, VideoEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { cookieHeader, request } from './http';

const run = promisify(execFile);
const ffmpeg = (args: string[]) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

let h: Harness;
let hub: RunningHub;
let worker: RunningWorker;
let work: string;
let tenant: Tenant;
let creator: Awaited<ReturnType<Harness['signedIn']>>;
let videoId: string;

const posterUrl = async () => (await creator.api.videos.get({ videoId })).posterUrl;
const fetchPoster = async (url: string) => Buffer.from(await (await fetch(`${hub.url}${url}`)).arrayBuffer());
const isJpeg = (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
async function imageSize(data: Buffer): Promise<{ width: number; height: number }> {
  const file = join(work, `probe-${createHash('sha256').update(data).digest('hex').slice(0, 8)}.jpg`);
  await writeFile(file, data);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=width,height',
    '-of',
    'json',
    file,
  ]);
  return (JSON.parse(stdout) as { streams: { width: number; height: number }[] }).streams[0]!;
}

function formWithFile(field: string, filename: string, data: Buffer, type: string) {
  const boundary = '----ppvposterform';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      `Content-Type: ${type}\r\n\r\n`,
  );
  return {
    body: Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function postPoster(who: { cookies: Record<string, string> }, file: string, type = 'image/png') {
  const form = formWithFile('poster', basename(file), await readFile(file), type);
  return request(hub.url, 'POST', `/api/v1/videos/${videoId}/poster`, {
    headers: { 'content-type': form.contentType, cookie: cookieHeader(who.cookies) },
    rawBody: form.body,
  });
}

beforeAll(async () => {
  h = await createHarness();
  work = await mkdtemp(join(tmpdir(), 'ppv-hub-poster-'));
  tenant = await h.tenant(h.deps.config.defaultTenant);
  creator = await h.signedIn(tenant, { role: 'creator' });
  // Red for two seconds, then blue: the frame chosen shows in the poster's colour.
  const clip = join(work, 'clip.mp4');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'color=c=red:s=320x180:r=25:d=2'],
    ...['-f', 'lavfi', '-i', 'color=c=blue:s=320x180:r=25:d=2'],
    ...['-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip],
  ]);
  videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const created = await createVideo(
      { ...h.deps, em, tenantId: tenant.id },
      {
        creatorId: creator.userId,
        metadata: { title: 'Colours', description: '', priceCents: 100, previewSeconds: 0 },
        source: { sourceKey: 'pending', sourceBytes: 1, filename: 'clip.mp4' },
      },
    );
    const sourceKey = `${videoPrefix(tenant.id, created.videoId)}/source/clip.mp4`;
    await em.nativeUpdate(VideoEntity, { id: created.videoId }, { sourceKey });
    const copy = join(work, 'upload.mp4');
    await copyFile(clip, copy);
    await h.deps.storage.putFile(sourceKey, copy);
    return created.videoId;
  });
  worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
    watermark: false,
  });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const deadline = Date.now() + 120_000;
  let status = 'queued';
  while (status !== 'ready' && status !== 'error' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    status = (await creator.api.videos.get({ videoId })).status;
  }
  expect(status).toBe('ready');
}, 150_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The mean of the poster's pixels as [Y, U, V] (ffmpeg's signalstats), to tell red from blue. */
async function meanColour(data: Buffer): Promise<{ u: number; v: number }> {
  const file = join(work, 'colour.jpg');
  await writeFile(file, data);
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `movie=${file},signalstats`],
    ...['-show_entries', 'frame_tags=lavfi.signalstats.UAVG,lavfi.signalstats.VAVG', '-of', 'json'],
  ]);
  const tags = (JSON.parse(stdout) as { frames: { tags: Record<string, string> }[] }).frames[0]!.tags;
  return { u: Number(tags['lavfi.signalstats.UAVG']), v: Number(tags['lavfi.signalstats.VAVG']) };
}

describe('poster', () => {
  it('becomes the frame at a chosen time once the make_poster job ran, under a new URL', {
    timeout: 60_000,
  }, async () => {
    const before = await posterUrl();
    expect(before).toMatch(/\/poster\.jpg$/);
    // The transcode's poster is at 10 % of the duration: red.
    expect((await meanColour(await fetchPoster(before!))).v).toBeGreaterThan(160);
    expect(await creator.api.videos.setPosterFrame({ videoId, atSeconds: 3 })).toEqual({ queued: true });
    let after = before;
    for (let i = 0; i < 200 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await posterUrl();
    }
    expect(after).toMatch(/\/poster\.jpg\?v=1$/);
    const poster = await fetchPoster(after!);
    expect(isJpeg(poster)).toBe(true);
    // Blue: the frame at 3 s.
    expect((await meanColour(poster)).u).toBeGreaterThan(160);
    const listed = await h.client(tenant).api.videos.list({});
    expect(listed.videos.find((v) => v.id === videoId)?.posterUrl).toBe(after);
    const audit = await (await h.signedIn(tenant, { role: 'tenant_admin' })).api.tenant.audit({});
    expect(audit.map((e) => e.action)).toContain('video.poster_changed');
  });

  it('error: a frame time beyond the video is refused with the range', async () => {
    await expect(creator.api.videos.setPosterFrame({ videoId, atSeconds: 4.5 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'The frame time is within the video: from 0 to 4.00 seconds',
    });
    await expect(creator.api.videos.setPosterFrame({ videoId, atSeconds: -1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('becomes an uploaded PNG, re-encoded to a JPEG within 1920x1080, under a new URL', {
    timeout: 30_000,
  }, async () => {
    const png = join(work, 'big.png');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=2400x1400:d=1', '-frames:v', '1', png]);
    const before = await posterUrl();
    const res = await postPoster(creator, png);
    expect(res.status, res.text).toBe(200);
    const after = await posterUrl();
    expect(after).not.toBe(before);
    expect(res.json.posterUrl).toBe(after);
    const poster = await fetchPoster(after!);
    expect(isJpeg(poster)).toBe(true);
    expect(await imageSize(poster)).toEqual({ width: 1851, height: 1080 });
    expect(await readdir(h.deps.config.media.uploadDir).catch(() => [])).toEqual([]);
  });

  it('error: a file that is not a JPEG or PNG, one over 10 MB, or another creator are refused; the poster stays', async () => {
    const before = await posterUrl();
    const text = join(work, 'fake.png');
    await writeFile(text, 'not an image');
    const notImage = await postPoster(creator, text);
    expect([notImage.status, notImage.json?.error?.message]).toEqual([
      400,
      'The poster must be a JPEG or PNG image',
    ]);
    const huge = join(work, 'huge.jpg');
    await writeFile(huge, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(11 * 1024 ** 2)]));
    const tooBig = await postPoster(creator, huge, 'image/jpeg');
    expect([tooBig.status, tooBig.json?.error?.message]).toEqual([
      413,
      'The poster image is larger than the upload limit (10 MB)',
    ]);
    const other = await h.signedIn(tenant, { role: 'creator' });
    const png = join(work, 'small.png');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x36:d=1', '-frames:v', '1', png]);
    const forbidden = await postPoster(other, png);
    expect([forbidden.status, forbidden.json?.error?.code]).toEqual([403, 'FORBIDDEN']);
    await expect(other.api.videos.setPosterFrame({ videoId, atSeconds: 1 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await posterUrl()).toBe(before);
    expect(await readdir(h.deps.config.media.uploadDir).catch(() => [])).toEqual([]);
  });
});
