import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createVideo, KEY_FETCHES_PER_WINDOW, signPlaybackToken, unseal } from '@ppv/core';
import { createHarness, type Harness, type TestClient } from '@ppv/core/testing';
import {
  createOrm,
  PlaybackSessionEntity,
  type Tenant,
  VideoEntity,
  VideoKeyEntity,
  withTenant,
} from '@ppv/db';
import { segmentFileName, type VideoManifest } from '@ppv/media';
import { codewordFor } from '@ppv/media/watermark';
import { type RunningWorker, startWorker } from '@ppv/worker';
import pg from 'pg';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../src/index';
import { expireUploads } from '../src/routes/uploads';
import { cookieHeader, type HttpResponse, request } from './http';
import { hlsJsPage, unexpectedHlsErrors, type HlsJsWatched as Watched } from './players';

const run = promisify(execFile);

let h: Harness;
let hub: RunningHub;
/** The database owner: sees graphile_worker's tables. */
let owner: pg.Client;
let work: string;
let tenant: Tenant;
type SignedIn = Awaited<ReturnType<Harness['signedIn']>>;
let creator: SignedIn;
const clips: Record<'video' | 'audio' | 'text', string> = { video: '', audio: '', text: '' };

const hostOf = (t: Tenant) => `${t.slug}.hub.test`;
const cookieOf = (client: TestClient) => ({ cookie: cookieHeader(client.cookies) });

beforeAll(async () => {
  h = await createHarness();
  owner = new pg.Client({ connectionString: h.db.url });
  await owner.connect();
  work = await mkdtemp(join(tmpdir(), 'ppv-hub-media-'));
  clips.video = join(work, 'clip.mp4');
  clips.audio = join(work, 'audio.mp4');
  clips.text = join(work, 'notes.mp4');
  const ff = ['-hide_banner', '-loglevel', 'error', '-y'];
  await run('ffmpeg', [
    ...ff,
    ...['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clips.video],
  ]);
  await run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', clips.audio]);
  await writeFile(clips.text, 'These are my lecture notes, not a video.\n'.repeat(20));
  tenant = await h.tenant();
  creator = await h.signedIn(tenant, { role: 'creator' });
  hub = await startHub({ deps: h.deps, host: '127.0.0.1', port: 0, trustProxy: ['loopback'] });
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await owner?.end();
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// tus client helpers

const TUS = { 'tus-resumable': '1.0.0' };

function tusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

const goodMetadata = { filename: 'clip.mp4', title: 'My first clip', priceCents: '250', previewSeconds: '1' };

function createUpload(
  length: number,
  fields: Record<string, string>,
  opts: { headers?: Record<string, string>; t?: Tenant; body?: Buffer } = {},
): Promise<HttpResponse> {
  return request(hub.url, 'POST', '/uploads', {
    host: hostOf(opts.t ?? tenant),
    headers: {
      ...TUS,
      'upload-length': String(length),
      'upload-metadata': tusMetadata(fields),
      ...(opts.body && { 'content-type': 'application/offset+octet-stream' }),
      ...opts.headers,
    },
    ...(opts.body && { rawBody: opts.body }),
  });
}

function patch(
  location: string,
  offset: number,
  chunk: Buffer,
  headers: Record<string, string>,
  t: Tenant = tenant,
): Promise<HttpResponse> {
  return request(hub.url, 'PATCH', location, {
    host: hostOf(t),
    headers: {
      ...TUS,
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      ...headers,
    },
    rawBody: chunk,
  });
}

/** Creates an upload and sends `bytes` in one PATCH; returns the finishing response. */
async function uploadWhole(bytes: Buffer, fields: Record<string, string>, headers = cookieOf(creator)) {
  const created = await createUpload(bytes.length, fields, { headers });
  expect(created.status, created.text).toBe(201);
  return patch(created.headers.location as string, 0, bytes, headers);
}

/** A personal API token of `client` (sessions expire when a test moves the clock; tokens do not). */
async function apiToken(client: TestClient): Promise<string> {
  const created = await request(hub.url, 'POST', '/trpc/apiTokens.create', {
    host: hostOf(client.tenant),
    headers: { ...cookieOf(client), 'x-csrf-token': client.cookies.ppv_csrf ?? '' },
    body: { name: 'uploader' },
  });
  expect(created.status, created.text).toBe(200);
  return created.json.result.data.token as string;
}

const stagingFiles = () => readdir(h.deps.config.media.uploadDir).catch(() => [] as string[]);

async function transcodeJobs(videoId: string) {
  const { rows } = await owner.query<{ task: string; key: string | null }>(
    `SELECT t.identifier AS task, j.key
       FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE j.payload->>'videoId' = $1`,
    [videoId],
  );
  return rows;
}

const videosOf = (t: Tenant) =>
  withTenant(h.db.orm, t.id, (em) => em.find(VideoEntity, {}, { orderBy: { createdAt: 'asc' } }));

// ---------------------------------------------------------------------------------------------

describe('uploads (tus)', () => {
  it('OPTIONS /uploads answers tus discovery without credentials', async () => {
    const res = await request(hub.url, 'OPTIONS', '/uploads', { host: hostOf(tenant) });
    expect(res.status).toBe(204);
    expect(res.headers['tus-version']).toBe('1.0.0');
    expect(String(res.headers['tus-extension']).split(',')).toEqual(
      expect.arrayContaining(['creation', 'creation-with-upload', 'termination']),
    );
    expect(res.headers['tus-max-size']).toBe(String(h.deps.config.media.maxUploadBytes));
  });

  it('uploads in two chunks, resumes from HEAD, and queues the video with its transcode job', async () => {
    const bytes = await readFile(clips.video);
    const created = await createUpload(bytes.length, goodMetadata, { headers: cookieOf(creator) });
    expect(created.status).toBe(201);
    const location = created.headers.location as string;
    expect(location).toMatch(/^\/uploads\/[0-9a-f]{32}$/);

    const half = Math.floor(bytes.length / 2);
    const first = await patch(location, 0, bytes.subarray(0, half), cookieOf(creator));
    expect(first.status).toBe(204);
    expect(first.headers['upload-offset']).toBe(String(half));

    const head = await request(hub.url, 'HEAD', location, {
      host: hostOf(tenant),
      headers: { ...TUS, ...cookieOf(creator) },
    });
    expect(head.status).toBe(200);
    expect(head.headers['upload-offset']).toBe(String(half));
    expect(head.headers['upload-length']).toBe(String(bytes.length));
    expect(head.headers['cache-control']).toBe('no-store');

    const stale = await patch(location, 0, bytes.subarray(0, half), cookieOf(creator));
    expect(stale.status).toBe(409);

    const last = await patch(location, half, bytes.subarray(half), cookieOf(creator));
    expect(last.status, last.text).toBe(200);
    expect(last.json).toEqual({ videoId: expect.any(String), status: 'queued' });
    const { videoId } = last.json;
    expect(last.headers['ppv-video-id']).toBe(videoId);

    const video = (await videosOf(tenant)).find((v) => v.id === videoId)!;
    expect(video).toMatchObject({
      status: 'queued',
      creatorId: creator.userId,
      title: 'My first clip',
      priceCents: 250,
      previewSeconds: 1,
      sourceFilename: 'clip.mp4',
      sourceKey: `${tenant.id}/${videoId}/source/clip.mp4`,
    });
    expect(Number(video.sourceBytes)).toBe(bytes.length);
    expect((await h.deps.storage.stat(video.sourceKey!))?.size).toBe(bytes.length);
    expect(await transcodeJobs(videoId)).toEqual([{ task: 'transcode_video', key: `transcode:${videoId}` }]);
    expect(await stagingFiles()).toEqual([]);

    const gone = await request(hub.url, 'HEAD', location, {
      host: hostOf(tenant),
      headers: { ...TUS, ...cookieOf(creator) },
    });
    expect(gone.status).toBe(404);
  });

  it('accepts a whole file in the creation request with an API token', async () => {
    const token = await apiToken(creator);
    const bytes = await readFile(clips.video);
    const res = await createUpload(
      bytes.length,
      { ...goodMetadata, filename: 'Lecture 1 (final).MP4', title: 'Lecture 1', priceCents: '0' },
      { headers: { authorization: `Bearer ${token}` }, body: bytes },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({ videoId: expect.any(String), status: 'queued' });
    const video = (await videosOf(tenant)).find((v) => v.id === res.json.videoId)!;
    expect(video.sourceKey).toBe(`${tenant.id}/${video.id}/source/Lecture_1_final_.mp4`);
    expect(video.sourceFilename).toBe('Lecture 1 (final).MP4');
  });

  it('answers a browser’s preflight from the tenant’s own origin, with the tus headers exposed', async () => {
    const origin = `http://${hostOf(tenant)}`;
    const res = await request(hub.url, 'OPTIONS', '/uploads', {
      host: hostOf(tenant),
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-headers'])).toContain('Upload-Metadata');
  });

  it('a final PATCH sent twice at once makes one video', async () => {
    const bytes = await readFile(clips.video);
    const created = await createUpload(bytes.length, goodMetadata, { headers: cookieOf(creator) });
    const location = created.headers.location as string;
    await patch(location, 0, bytes.subarray(0, 1000), cookieOf(creator));
    const before = (await videosOf(tenant)).length;
    const [a, b] = await Promise.all([
      patch(location, 1000, bytes.subarray(1000), cookieOf(creator)),
      new Promise((r) => setTimeout(r, 5)).then(() =>
        patch(location, bytes.length, Buffer.alloc(0), cookieOf(creator)),
      ),
    ]);
    // The second is refused whether it comes while the first is written, checked, or done.
    const [first, second] = [a.status, b.status].sort((x, y) => x - y);
    expect(first).toBe(200);
    expect([404, 409]).toContain(second);
    expect((await videosOf(tenant)).length).toBe(before + 1);
    expect(await stagingFiles()).toEqual([]);
  });

  describe('refusals', () => {
    it('error: a disallowed extension is refused before any byte', async () => {
      const res = await createUpload(
        100,
        { ...goodMetadata, filename: 'slides.pdf' },
        { headers: cookieOf(creator) },
      );
      expect(res.status).toBe(400);
      expect(res.text).toBe(
        `.pdf files are not accepted; upload one of ${h.deps.config.media.allowExts.join(', ')}\n`,
      );
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: an Upload-Length above the limit is a 413 that names the limit', async () => {
      const res = await createUpload(h.deps.config.media.maxUploadBytes + 1, goodMetadata, {
        headers: cookieOf(creator),
      });
      expect(res.status).toBe(413);
      expect(res.text).toBe('The file is larger than the upload limit (50 MB)\n');
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: metadata is validated with its field’s message (negative price, missing price, bad title)', async () => {
      const negative = await createUpload(
        100,
        { ...goodMetadata, priceCents: '-5' },
        { headers: cookieOf(creator) },
      );
      expect([negative.status, negative.text]).toEqual([400, 'Price cannot be negative\n']);
      const fraction = await createUpload(
        100,
        { ...goodMetadata, priceCents: '2.5' },
        { headers: cookieOf(creator) },
      );
      expect([fraction.status, fraction.text]).toEqual([400, 'Price is a whole number of US cents\n']);
      const { priceCents: _, ...noPrice } = goodMetadata;
      const missing = await createUpload(100, noPrice, { headers: cookieOf(creator) });
      expect([missing.status, missing.text]).toEqual([400, 'Upload-Metadata needs "priceCents"\n']);
      const blank = await createUpload(
        100,
        { ...goodMetadata, title: '   ' },
        { headers: cookieOf(creator) },
      );
      expect([blank.status, blank.text]).toEqual([400, 'Give the video a title\n']);
      const noName = await createUpload(100, { title: 'x', priceCents: '1' }, { headers: cookieOf(creator) });
      expect([noName.status, noName.text]).toEqual([
        400,
        'Say which file this is: Upload-Metadata needs a "filename"\n',
      ]);
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: a text file renamed .mp4 is refused when it completes, and its bytes are removed', async () => {
      const before = (await videosOf(tenant)).length;
      const res = await uploadWhole(await readFile(clips.text), goodMetadata);
      expect(res.status).toBe(400);
      expect(res.text).toBe('Upload refused: the file is not a video we can read\n');
      expect(await stagingFiles()).toEqual([]);
      expect((await videosOf(tenant)).length).toBe(before);
    });

    it('error: zero bytes are refused', async () => {
      const res = await createUpload(0, goodMetadata, { headers: cookieOf(creator) });
      expect(res.status).toBe(400);
      expect(res.text).toBe('The file is empty\n');
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: an audio-only file is refused', async () => {
      const res = await uploadWhole(await readFile(clips.audio), goodMetadata);
      expect(res.status).toBe(400);
      expect(res.text).toBe('Upload refused: the file has no video stream (is it audio only?)\n');
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: a video named .mkv is refused for its content', async () => {
      const res = await uploadWhole(await readFile(clips.video), { ...goodMetadata, filename: 'clip.mkv' });
      expect(res.status).toBe(400);
      expect(res.text).toBe('Upload refused: the file is an MP4 video, not .mkv\n');
    });

    it('error: a viewer gets 403, no credentials 401, and a download attempt 405', async () => {
      const viewer = await h.signedIn(tenant);
      const asViewer = await createUpload(100, goodMetadata, { headers: cookieOf(viewer) });
      expect(asViewer.status).toBe(403);
      expect(asViewer.json.error.message).toBe(`Uploading videos needs the creator role in ${tenant.name}`);
      const anonymous = await createUpload(100, goodMetadata);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.error.message).toBe('Please sign in first');

      const created = await createUpload(100, goodMetadata, { headers: cookieOf(creator) });
      const download = await request(hub.url, 'GET', created.headers.location as string, {
        host: hostOf(tenant),
        headers: { ...TUS, ...cookieOf(creator) },
      });
      expect(download.status).toBe(405);
      await request(hub.url, 'DELETE', created.headers.location as string, {
        host: hostOf(tenant),
        headers: { ...TUS, ...cookieOf(creator) },
      });
    });

    it('error: browsers on other origins are refused, discovery and HEAD included', async () => {
      for (const origin of ['https://evil.example', 'null']) {
        for (const method of ['OPTIONS', 'POST', 'HEAD']) {
          const res = await request(hub.url, method, '/uploads', {
            host: hostOf(tenant),
            headers: { ...TUS, ...cookieOf(creator), origin },
          });
          expect([method, origin, res.status]).toEqual([method, origin, 403]);
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
        }
      }
    });

    it('error: another creator, or the same upload through another tenant, cannot touch an upload', async () => {
      const other = await h.signedIn(tenant, { role: 'creator' });
      const created = await createUpload(10, goodMetadata, { headers: cookieOf(creator) });
      const location = created.headers.location as string;
      const stranger = await patch(location, 0, Buffer.alloc(10), cookieOf(other));
      expect(stranger.status).toBe(404);
      const head = await request(hub.url, 'HEAD', location, {
        host: hostOf(tenant),
        headers: { ...TUS, ...cookieOf(other) },
      });
      expect(head.status).toBe(404);
      const remove = await request(hub.url, 'DELETE', location, {
        host: hostOf(tenant),
        headers: { ...TUS, ...cookieOf(other) },
      });
      expect(remove.status).toBe(404);

      const tenantB = await h.tenant();
      const creatorB = await h.signedIn(tenantB, { role: 'creator' });
      const acrossTenants = await patch(location, 0, Buffer.alloc(10), cookieOf(creatorB), tenantB);
      expect(acrossTenants.status).toBe(404);
      // Tenant A's session cookie means nothing on tenant B's host.
      const cookieOnB = await patch(location, 0, Buffer.alloc(10), cookieOf(creator), tenantB);
      expect(cookieOnB.status).toBe(401);

      const mine = await request(hub.url, 'DELETE', location, {
        host: hostOf(tenant),
        headers: { ...TUS, ...cookieOf(creator) },
      });
      expect(mine.status).toBe(204);
      expect(await stagingFiles()).toEqual([]);
    });

    it('error: an abandoned upload expires: refused with 410, and swept from disk', async () => {
      const auth = { authorization: `Bearer ${await apiToken(creator)}` };
      const bytes = await readFile(clips.video);
      const created = await createUpload(bytes.length, goodMetadata, { headers: auth });
      const location = created.headers.location as string;
      await patch(location, 0, bytes.subarray(0, 100), auth);
      const abandoned = await createUpload(bytes.length, goodMetadata, { headers: auth });
      expect(abandoned.status).toBe(201);
      expect((await stagingFiles()).length).toBe(4);

      h.advance((h.deps.config.media.uploadExpiryHours + 1) * 3600_000);
      try {
        const late = await patch(location, 100, bytes.subarray(100), auth);
        expect(late.status).toBe(410);
        expect(late.text).toBe('This upload expired; please start it again\n');
        expect(await expireUploads(h.deps)).toBe(1);
        expect(await stagingFiles()).toEqual([]);
      } finally {
        h.advance(-(h.deps.config.media.uploadExpiryHours + 1) * 3600_000);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Playback: a ready video published the way the transcode task lays it out (docs/media.md), built
// from tiny plain HLS segments made once and encrypted per video with the video's own key.

const RENDITION = '90p';
let demo: Tenant;
let demoCreator: SignedIn;
let viewer: SignedIn;
const plain = { dir: '', durations: [] as number[], poster: '' };

async function makePlainSegments() {
  plain.dir = join(work, 'plain');
  const ff = ['-hide_banner', '-loglevel', 'error', '-y'];
  for (const variant of ['A', 'B'] as const) {
    await mkdir(join(plain.dir, variant), { recursive: true });
    await run('ffmpeg', [
      ...ff,
      ...['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=10:duration=3'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3'],
      // B differs from A by a small box: a stand-in for the real, invisible mark.
      ...(variant === 'B' ? ['-vf', 'drawbox=x=4:y=4:w=8:h=8:color=white:t=fill'] : []),
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-level', '3.0'],
      ...['-pix_fmt', 'yuv420p', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0'],
      ...['-c:a', 'aac', '-b:a', '48k', '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod'],
      ...[
        '-hls_segment_filename',
        join(plain.dir, variant, 'seg_%d.ts'),
        join(plain.dir, variant, 'index.m3u8'),
      ],
    ]);
  }
  const playlist = await readFile(join(plain.dir, 'A', 'index.m3u8'), 'utf8');
  plain.durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
  plain.poster = join(plain.dir, 'poster.jpg');
  await run('ffmpeg', [...ff, '-f', 'lavfi', '-i', 'testsrc2=size=160x90', '-frames:v', '1', plain.poster]);
}

interface ReadyVideo {
  id: string;
  key: Buffer;
  iv: Buffer;
  secret: Buffer;
  /** Storage keys of every file published for it. */
  files: { segments: Record<'A' | 'B', string[]>; source: string };
}

const put = async (key: string, data: Buffer | string) => {
  const path = join(h.mediaDir, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
};

/** A ready video of `t` with its rows (through createVideo), sealed key and published files. */
async function readyVideo(
  t: Tenant,
  creatorId: string,
  opts: { priceCents?: number; fullPreview?: boolean } = {},
): Promise<ReadyVideo> {
  const id = randomUUID();
  const prefix = `${t.id}/${id}`;
  const source = `${prefix}/source/clip.mp4`;
  await put(source, await readFile(clips.video));
  await withTenant(h.db.orm, t.id, (em) =>
    createVideo(
      { ...h.deps, em, tenantId: t.id },
      {
        videoId: id,
        creatorId,
        metadata: { title: 'Clip', description: '', priceCents: opts.priceCents ?? 500, previewSeconds: 1 },
        source: { sourceKey: source, sourceBytes: 1, filename: 'clip.mp4' },
      },
    ),
  );
  const row = await withTenant(h.db.orm, t.id, (em) => em.findOneOrFail(VideoKeyEntity, { videoId: id }));
  const { masterKey } = h.deps.config.media;
  const key = unseal(masterKey, row.sealedKey, `key:${id}`);
  const secret = unseal(masterKey, row.sealedSegmentSecret, `segments:${id}`);
  const segments: ReadyVideo['files']['segments'] = { A: [], B: [] };
  for (const variant of ['A', 'B'] as const) {
    for (const k of plain.durations.keys()) {
      const cipher = createCipheriv('aes-128-cbc', key, row.iv);
      const clear = await readFile(join(plain.dir, variant, `seg_${k}.ts`));
      const name = `${prefix}/hls/${RENDITION}/${segmentFileName(secret, variant, RENDITION, k)}`;
      await put(name, Buffer.concat([cipher.update(clear), cipher.final()]));
      segments[variant].push(name);
    }
  }
  const duration = plain.durations.reduce((a, b) => a + b, 0);
  const previewSeconds = opts.fullPreview ? duration : plain.durations[0]!;
  await put(
    `${prefix}/hls/preview/index.m3u8`,
    `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:${plain.durations[0]},\nseg_00000.ts\n#EXT-X-ENDLIST\n`,
  );
  await put(`${prefix}/hls/preview/seg_00000.ts`, await readFile(join(plain.dir, 'A', 'seg_0.ts')));
  await put(`${prefix}/hls/poster.jpg`, await readFile(plain.poster));
  // Published but never served: the template playlists, one variant's complete playlist, the reference.
  await put(`${prefix}/hls/master.m3u8`, `#EXTM3U\n${RENDITION}/index.m3u8\n`);
  await put(`${prefix}/hls/${RENDITION}/A.m3u8`, segments.A.join('\n'));
  await put(`${prefix}/hls/watermark/${RENDITION}.ppvwm`, 'reference');
  const manifest: VideoManifest = {
    version: 1,
    durationSeconds: duration,
    segmentSeconds: 1,
    segmentCount: plain.durations.length,
    segmentDurations: plain.durations,
    variants: ['A', 'B'],
    renditions: [
      {
        name: RENDITION,
        width: 160,
        height: 90,
        bandwidth: 300_000,
        averageBandwidth: 200_000,
        codecs: 'avc1.4d401e,mp4a.40.2',
        playlists: { A: `${RENDITION}/A.m3u8`, B: `${RENDITION}/B.m3u8` },
      },
    ],
    preview: { playlist: 'preview/index.m3u8', width: 160, height: 90, durationSeconds: previewSeconds },
    poster: { file: 'poster.jpg', width: 160, height: 90 },
    storyboard: null,
    watermark: {
      reference: `watermark/${RENDITION}.ppvwm`,
      references: { [RENDITION]: `watermark/${RENDITION}.ppvwm` },
    },
  };
  await put(`${prefix}/hls/manifest.json`, JSON.stringify(manifest));
  await withTenant(h.db.orm, t.id, (em) =>
    em.nativeUpdate(
      VideoEntity,
      { id },
      {
        status: 'ready',
        progress: 1,
        durationSeconds: duration.toFixed(3),
        width: 160,
        height: 90,
        segmentSeconds: 1,
        segmentCount: plain.durations.length,
        renditions: [{ name: RENDITION, width: 160, height: 90, bandwidth: 300_000 }],
        hasPreview: true,
        readyAt: new Date(),
      },
    ),
  );
  return { id, key, iv: row.iv, secret, files: { segments, source } };
}

/** Starts a playback session, ending the viewer's oldest when the cap is reached. */
const watch = (client: TestClient, videoId: string) =>
  client.api.playback.start({ videoId, endOldest: true });

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const play = (t: Tenant, path: string, headers: Record<string, string> = {}) =>
  request(hub.url, 'GET', path, { host: hostOf(t), headers });

async function sessionSeed(t: Tenant, sessionId: string): Promise<Buffer> {
  return withTenant(
    h.db.orm,
    t.id,
    async (em) => (await em.findOneOrFail(PlaybackSessionEntity, { id: sessionId })).seed,
  );
}

async function keyFetches(t: Tenant, sessionId: string): Promise<number> {
  const { rows } = await owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM key_fetches WHERE session_id = $1 AND tenant_id = $2',
    [sessionId, t.id],
  );
  return rows[0]!.n;
}

let video: ReadyVideo;

/** A third-party page embedding the player: another origin, on the demo tenant's CORS allowlist. */
let embed: { server: Server; origin: string };

const embedPage = `<!doctype html>
<html><body>
<video id="video" muted playsinline width="320"></video>
<script src="/shaka.js"></script>
<script>
  // The player sends the playback token only to the hub's /play routes.
  window.watch = async (masterUrl, token) => {
    const video = document.getElementById('video');
    const player = new shaka.Player();
    await player.attach(video);
    const errors = [];
    player.addEventListener('error', (e) => errors.push(e.detail.code));
    player.getNetworkingEngine().registerRequestFilter((type, request) => {
      if (token && request.uris[0].includes('/play/')) request.headers.Authorization = 'Bearer ' + token;
    });
    try {
      await player.load(masterUrl);
    } catch (e) {
      return { loaded: false, code: e.code, errors };
    }
    await video.play();
    const deadline = Date.now() + 20000;
    while (video.currentTime < 2 && !video.ended && Date.now() < deadline && errors.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const quality = video.getVideoPlaybackQuality();
    return {
      loaded: true,
      currentTime: video.currentTime,
      width: video.videoWidth,
      decodedFrames: quality.totalVideoFrames,
      errors,
    };
  };
</script>
</body></html>`;

async function startEmbedServer(): Promise<typeof embed> {
  const shakaJs = await readFile(new URL(import.meta.resolve('shaka-player/dist/shaka-player.compiled.js')));
  const hlsJs = await readFile(new URL(import.meta.resolve('hls.js/dist/hls.min.js')));
  const server = createServer((req, res) => {
    if (req.url === '/shaka.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(shakaJs);
    else if (req.url === '/hls.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    else if (req.url === '/hlsjs') res.writeHead(200, { 'content-type': 'text/html' }).end(hlsJsPage);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(embedPage);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('playback', () => {
  beforeAll(async () => {
    await makePlainSegments();
    // The default tenant answers on 127.0.0.1, so ffmpeg and Chromium need no Host header.
    demo = await h.tenant(h.deps.config.defaultTenant);
    embed = await startEmbedServer();
    const admin = await h.signedIn(demo, { role: 'tenant_admin' });
    await admin.api.tenant.update({ corsOrigins: [embed.origin] });
    demoCreator = await h.signedIn(demo, { role: 'creator' });
    viewer = await h.signedIn(demo);
    video = await readyVideo(demo, demoCreator.userId);
    await demoCreator.api.videos.access.grant({ videoId: video.id, who: viewer.username });
  }, 60_000);
  afterAll(() => embed?.server.close());

  it('serves the session’s master and media playlists, segments chosen by the session’s A/B codeword', async () => {
    const started = await watch(viewer, video.id);
    const master = await play(demo, started.masterUrl, bearer(started.token));
    expect(master.status).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl; charset=utf-8');
    expect(master.headers['cache-control']).toBe('no-store');
    expect(master.text).toContain('RESOLUTION=160x90,CODECS="avc1.4d401e,mp4a.40.2"');
    expect(master.text.trim().split('\n').at(-1)).toBe(`${RENDITION}.m3u8`);

    const inQuery = await play(demo, `${started.masterUrl}?token=${started.token}`);
    expect(inQuery.text.trim().split('\n').at(-1)).toBe(`${RENDITION}.m3u8?token=${started.token}`);

    const media = await play(demo, `/play/${started.sessionId}/${RENDITION}.m3u8?token=${started.token}`);
    expect(media.status).toBe(200);
    expect(media.text).toContain(
      `#EXT-X-KEY:METHOD=AES-128,URI="key?token=${started.token}",IV=0x${video.iv.toString('hex')}`,
    );
    const uris = media.text.split('\n').filter((l) => l.startsWith('/media/'));
    const codeword = codewordFor(await sessionSeed(demo, started.sessionId), plain.durations.length);
    expect(uris).toEqual(
      plain.durations.map((_, k) =>
        `/${video.files.segments[codeword[k] ? 'B' : 'A'][k]!}`.replace(/^\//, '/media/'),
      ),
    );
    expect(media.text).toContain('#EXT-X-ENDLIST');
  });

  it('ffmpeg as a client decrypts and decodes the stream with a token, and fails without one', async () => {
    const started = await watch(viewer, video.id);
    const url = `http://127.0.0.1:${hub.port}${started.masterUrl}`;
    const out = join(work, `watched-${started.sessionId}.mp4`);
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      `${url}?token=${started.token}`,
      '-c',
      'copy',
      out,
    ]);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_type,nb_read_frames',
      '-of',
      'json',
      out,
    ]);
    const streams = JSON.parse(stdout).streams as { codec_type: string; nb_read_frames: string }[];
    expect(streams.find((s) => s.codec_type === 'video')?.nb_read_frames).toBe('30');
    expect(await keyFetches(demo, started.sessionId)).toBeGreaterThanOrEqual(1);

    const refused = await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      url,
      '-f',
      'null',
      '-',
    ]).then(
      () => null,
      (error: { stderr: string }) => error.stderr,
    );
    expect(refused).toMatch(/401|Unauthorized/);
  });

  it('shaka-player plays it in Chromium from a page on another (allowlisted) origin', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(embed.origin);
      const started = await watch(viewer, video.id);
      const hubUrl = `http://127.0.0.1:${hub.port}`;
      const result = await page.evaluate(
        ([url, token]) =>
          (window as never as { watch: (u: string, t: string) => Promise<unknown> }).watch(url!, token!),
        [`${hubUrl}${started.masterUrl}`, started.token],
      );
      expect(result).toMatchObject({ loaded: true, width: 160, errors: [] });
      expect((result as { currentTime: number }).currentTime).toBeGreaterThanOrEqual(2);
      expect(await keyFetches(demo, started.sessionId)).toBeGreaterThanOrEqual(1);

      const other = await browser.newPage();
      await other.goto(embed.origin);
      const without = await other.evaluate(
        ([url]) => (window as never as { watch: (u: string, t: string) => Promise<unknown> }).watch(url!, ''),
        [`${hubUrl}${started.masterUrl}`],
      );
      // 1001: shaka's BAD_HTTP_STATUS (the hub answered 401).
      expect(without).toMatchObject({ loaded: false, code: 1001 });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('hls.js plays it in Chromium from another (allowlisted) origin, token in a header or in the query', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const unexpected = unexpectedHlsErrors;
    const hubUrl = `http://127.0.0.1:${hub.port}`;
    const watchIn = async (url: string, token: string): Promise<Watched> => {
      const page = await browser.newPage();
      await page.goto(`${embed.origin}/hlsjs`);
      return page.evaluate(
        ([u, t]) => (window as never as { watch: (u: string, t: string) => Promise<Watched> }).watch(u!, t!),
        [url, token],
      );
    };
    try {
      const byHeader = await watch(viewer, video.id);
      const header = await watchIn(`${hubUrl}${byHeader.masterUrl}`, byHeader.token);
      expect(header).toMatchObject({ loaded: true, width: 160 });
      expect(unexpected(header.errors)).toEqual([]);
      expect(header.currentTime).toBeGreaterThanOrEqual(2);
      expect(await keyFetches(demo, byHeader.sessionId)).toBeGreaterThanOrEqual(1);

      const byQuery = await watch(viewer, video.id);
      const query = await watchIn(`${hubUrl}${byQuery.masterUrl}?token=${byQuery.token}`, '');
      expect(query).toMatchObject({ loaded: true, width: 160 });
      expect(unexpected(query.errors)).toEqual([]);
      expect(query.currentTime).toBeGreaterThanOrEqual(2);
      expect(await keyFetches(demo, byQuery.sessionId)).toBeGreaterThanOrEqual(1);

      const without = await watchIn(`${hubUrl}${byQuery.masterUrl}`, '');
      expect(without).toMatchObject({
        loaded: false,
        errors: [{ details: 'manifestLoadError', fatal: true, status: 401 }],
      });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('segments fetched directly are encrypted: not decodable without the key, valid MPEG-TS with it', async () => {
    const segment = video.files.segments.A[0]!;
    const res = await request(hub.url, 'GET', `/media/${segment}`, { host: hostOf(demo) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp2t');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body[0]).not.toBe(0x47);
    const file = join(work, 'fetched.ts');
    await writeFile(file, res.body);
    const probe = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).then(
      ({ stdout }) => (JSON.parse(stdout).streams ?? []).length,
      () => 0,
    );
    expect(probe).toBe(0);
    const decipher = createDecipheriv('aes-128-cbc', video.key, video.iv);
    const clear = Buffer.concat([decipher.update(res.body), decipher.final()]);
    expect(clear[0]).toBe(0x47);
  });

  describe('key endpoint', () => {
    it('returns the 16 raw key bytes, uncacheable, and records every fetch', async () => {
      const started = await watch(viewer, video.id);
      const byHeader = await play(demo, `/play/${started.sessionId}/key`, bearer(started.token));
      expect(byHeader.status).toBe(200);
      expect(byHeader.headers['content-type']).toBe('application/octet-stream');
      expect(byHeader.headers['cache-control']).toBe('no-store');
      expect(byHeader.body.equals(video.key)).toBe(true);
      const byQuery = await play(demo, `/play/${started.sessionId}/key?token=${started.token}`);
      expect(byQuery.body.equals(video.key)).toBe(true);
      expect(await keyFetches(demo, started.sessionId)).toBe(2);
    });

    it('error: no token, a forged token and an expired token are 401', async () => {
      const started = await watch(viewer, video.id);
      const path = `/play/${started.sessionId}/key`;
      const none = await play(demo, path);
      expect([none.status, none.json.error.message]).toEqual([
        401,
        'A playback token is required (Authorization: Bearer <token>, or ?token=<token>)',
      ]);
      const [body, mac] = started.token.split('.');
      const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
      const widened = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString(
        'base64url',
      );
      for (const forged of [`${widened}.${mac}`, `${body}.${'A'.repeat(43)}`, 'not-a-token']) {
        const res = await play(demo, path, bearer(forged));
        expect([res.status, res.json.error.message]).toEqual([401, 'This playback token is not valid']);
      }
      h.advance((h.deps.config.media.playbackTokenTtlSeconds + 1) * 1000);
      try {
        const expired = await play(demo, path, bearer(started.token));
        expect([expired.status, expired.json.error.message]).toEqual([
          401,
          'This playback token has expired; refresh it to keep watching',
        ]);
      } finally {
        h.advance(-(h.deps.config.media.playbackTokenTtlSeconds + 1) * 1000);
      }
      expect(await keyFetches(demo, started.sessionId)).toBe(0);
    });

    it('error: another session’s token (another video) is 403, an unknown session 404, an ended one 410', async () => {
      const other = await readyVideo(demo, demoCreator.userId, { priceCents: 0 });
      const mine = await watch(viewer, video.id);
      const theirs = await watch(viewer, other.id);
      const crossed = await play(demo, `/play/${mine.sessionId}/key`, bearer(theirs.token));
      expect([crossed.status, crossed.json.error.message]).toEqual([
        403,
        'This playback token belongs to another playback session',
      ]);
      const crossedPlaylist = await play(
        demo,
        `/play/${mine.sessionId}/${RENDITION}.m3u8`,
        bearer(theirs.token),
      );
      expect(crossedPlaylist.status).toBe(403);

      const ghost = randomUUID();
      const ghostToken = signPlaybackToken(h.deps.config.media.playbackKeys, {
        sid: ghost,
        vid: video.id,
        uid: viewer.userId,
        tid: demo.id,
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      const unknown = await play(demo, `/play/${ghost}/key`, bearer(ghostToken));
      expect([unknown.status, unknown.json.error.message]).toEqual([
        404,
        'This playback session does not exist (any more)',
      ]);

      await viewer.api.playback.end({ sessionId: mine.sessionId });
      for (const file of ['key', 'master.m3u8', `${RENDITION}.m3u8`]) {
        const ended = await play(demo, `/play/${mine.sessionId}/${file}`, bearer(mine.token));
        expect([ended.status, ended.json.error.message]).toEqual([
          410,
          'This playback session was ended; start a new one',
        ]);
      }
      expect(await keyFetches(demo, mine.sessionId)).toBe(0);
      await viewer.api.playback.end({ sessionId: theirs.sessionId });
    });

    it('error: a token of tenant B on tenant A’s host is refused, and tenant A’s on B’s', async () => {
      const tenantB = await h.tenant();
      const creatorB = await h.signedIn(tenantB, { role: 'creator' });
      const videoB = await readyVideo(tenantB, creatorB.userId);
      const onB = await watch(creatorB, videoB.id);
      const own = await play(tenantB, `/play/${onB.sessionId}/key`, bearer(onB.token));
      expect(own.body.equals(videoB.key)).toBe(true);

      const bOnA = await play(demo, `/play/${onB.sessionId}/key`, bearer(onB.token));
      expect([bOnA.status, bOnA.json.error]).toEqual([
        403,
        { message: 'This playback token was issued by another site', code: 'TENANT_MISMATCH' },
      ]);
      const bMasterOnA = await play(demo, `${onB.masterUrl}?token=${onB.token}`);
      expect(bMasterOnA.status).toBe(403);

      const onA = await watch(viewer, video.id);
      const aOnB = await play(tenantB, `/play/${onA.sessionId}/key`, bearer(onA.token));
      expect(aOnB.status).toBe(403);
      // B's segments are not served on A's host either.
      const segment = videoB.files.segments.A[0]!;
      expect((await request(hub.url, 'GET', `/media/${segment}`, { host: hostOf(demo) })).status).toBe(404);
      expect((await request(hub.url, 'GET', `/media/${segment}`, { host: hostOf(tenantB) })).status).toBe(
        200,
      );
      await viewer.api.playback.end({ sessionId: onA.sessionId });
    });

    it('error: access withdrawn mid-session stops the key (402)', async () => {
      const friend = await h.signedIn(demo);
      await demoCreator.api.videos.access.grant({ videoId: video.id, who: friend.username });
      const started = await watch(friend, video.id);
      expect((await play(demo, `/play/${started.sessionId}/key`, bearer(started.token))).status).toBe(200);
      await demoCreator.api.videos.access.revoke({ videoId: video.id, who: friend.username });
      const revoked = await play(demo, `/play/${started.sessionId}/key`, bearer(started.token));
      expect([revoked.status, revoked.json.error.message]).toEqual([
        402,
        'Access to this video was withdrawn',
      ]);
    });

    it('behavior: a hub with a one-connection pool serves more concurrent key and playlist requests than it has connections', async () => {
      // Each request holds its tenant transaction's connection; nothing it does may wait for a second.
      const orm = await createOrm({ url: h.db.url, poolMax: 1 });
      const small = await startHub({
        deps: { ...h.deps, orm },
        host: '127.0.0.1',
        port: 0,
        trustProxy: false,
      });
      try {
        const started = await watch(viewer, video.id);
        const get = (file: string) =>
          request(small.url, 'GET', `/play/${started.sessionId}/${file}`, {
            host: hostOf(demo),
            headers: bearer(started.token),
          });
        const files = [...Array(8).fill('key'), 'master.m3u8', `${RENDITION}.m3u8`, 'key', 'master.m3u8'];
        const answers = await Promise.all(files.map(get));
        expect(answers.map((a) => a.status)).toEqual(files.map(() => 200));
        for (const [i, file] of files.entries()) {
          if (file === 'key') expect(answers[i]!.body.equals(video.key)).toBe(true);
        }
        expect(await keyFetches(demo, started.sessionId)).toBe(9);
      } finally {
        await small.close();
        await orm.close(true);
      }
    });

    it('error: key fetches are rate-limited per session (429 with Retry-After)', async () => {
      const started = await watch(demoCreator, video.id);
      const path = `/play/${started.sessionId}/key`;
      for (let i = 0; i < KEY_FETCHES_PER_WINDOW; i++) {
        expect((await play(demo, path, bearer(started.token))).status).toBe(200);
      }
      const limited = await play(demo, path, bearer(started.token));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(await keyFetches(demo, started.sessionId)).toBe(KEY_FETCHES_PER_WINDOW);
      // Another session of the same viewer is not affected.
      const next = await watch(demoCreator, video.id);
      expect((await play(demo, `/play/${next.sessionId}/key`, bearer(next.token))).status).toBe(200);
    });
  });

  it('the playback token never reaches the request log', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const logged = await startHub({
      deps: { ...h.deps, logger },
      host: '127.0.0.1',
      port: 0,
      trustProxy: false,
    });
    const started = await watch(viewer, video.id);
    try {
      const res = await request(logged.url, 'GET', `${started.masterUrl}?token=${started.token}`, {
        host: hostOf(demo),
      });
      expect(res.status).toBe(200);
    } finally {
      await logged.close();
    }
    const log = lines.join('');
    expect(log).toContain('token=[redacted]');
    expect(log).not.toContain(started.token.split('.')[1]);
  });

  describe('static media', () => {
    it('serves the preview, poster and encrypted segments with their types; HEAD and 304', async () => {
      const base = `/media/${demo.id}/${video.id}/hls`;
      const preview = await play(demo, `${base}/preview/index.m3u8`);
      expect([preview.status, preview.headers['content-type']]).toEqual([
        200,
        'application/vnd.apple.mpegurl',
      ]);
      const previewSegment = await play(demo, `${base}/preview/seg_00000.ts`);
      expect([previewSegment.status, previewSegment.body[0]]).toEqual([200, 0x47]);
      const poster = await play(demo, `${base}/poster.jpg`);
      expect([poster.status, poster.headers['content-type']]).toEqual([200, 'image/jpeg']);
      expect(poster.headers['access-control-allow-origin']).toBe('*');

      const segment = `/media/${video.files.segments.B[1]}`;
      const head = await request(hub.url, 'HEAD', segment, { host: hostOf(demo) });
      const size = (await readFile(join(h.mediaDir, video.files.segments.B[1]!))).length;
      expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(size), 0]);
      const again = await play(demo, segment, { 'if-none-match': head.headers.etag as string });
      expect(again.status).toBe(304);
    });

    it('answers Range requests with 206, and 416 beyond the end', async () => {
      const key = video.files.segments.A[2]!;
      const whole = await readFile(join(h.mediaDir, key));
      const path = `/media/${key}`;
      const first = await play(demo, path, { range: 'bytes=0-99' });
      expect(first.status).toBe(206);
      expect(first.headers['content-range']).toBe(`bytes 0-99/${whole.length}`);
      expect(first.body.equals(whole.subarray(0, 100))).toBe(true);
      const middle = await play(demo, path, { range: 'bytes=100-' });
      expect(middle.body.equals(whole.subarray(100))).toBe(true);
      const tail = await play(demo, path, { range: 'bytes=-10' });
      expect([tail.status, tail.headers['content-range']]).toEqual([
        206,
        `bytes ${whole.length - 10}-${whole.length - 1}/${whole.length}`,
      ]);
      expect(tail.body.equals(whole.subarray(-10))).toBe(true);
      const clipped = await play(demo, path, { range: `bytes=10-${whole.length + 500}` });
      expect(clipped.body.equals(whole.subarray(10))).toBe(true);
      for (const beyond of [`bytes=${whole.length}-`, 'bytes=-0', 'bytes=50-10']) {
        const res = await play(demo, path, { range: beyond });
        expect([res.status, res.headers['content-range']]).toEqual([416, `bytes */${whole.length}`]);
      }
      const several = await play(demo, path, { range: 'bytes=0-1,5-6' });
      expect([several.status, several.body.length]).toEqual([200, whole.length]);
      const stale = await play(demo, path, { range: 'bytes=0-9', 'if-range': '"stale"' });
      expect([stale.status, stale.body.length]).toEqual([200, whole.length]);
    });

    it('behavior: a segment served from memory follows its file a second later: new bytes when replaced, 404 once deleted', async () => {
      const other = await readyVideo(demo, demoCreator.userId);
      const key = other.files.segments.B[1]!;
      const path = `/media/${key}`;
      const original = await readFile(join(h.mediaDir, key));
      for (let i = 0; i < 2; i++) expect((await play(demo, path)).body.equals(original)).toBe(true);
      const replaced = Buffer.concat([original, Buffer.alloc(16, 7)]);
      await put(key, replaced);
      h.advance(1000);
      try {
        expect((await play(demo, path)).body.equals(replaced)).toBe(true);
        await rm(join(h.mediaDir, demo.id, other.id), { recursive: true });
        h.advance(1000);
        expect((await play(demo, path)).status).toBe(404);
      } finally {
        h.advance(-2000);
      }
    });

    it('error: a preview as long as the video is not served (it would be the whole video in the clear)', async () => {
      const full = await readyVideo(demo, demoCreator.userId, { fullPreview: true });
      const res = await play(demo, `/media/${demo.id}/${full.id}/hls/preview/seg_00000.ts`);
      expect(res.status).toBe(404);
    });

    it('error: path traversal and everything but the public files is refused on /media and /play', async () => {
      const t = demo.id;
      const v = video.id;
      const started = await watch(viewer, video.id);
      const sid = started.sessionId;
      const segmentName = video.files.segments.A[0]!.split('/').at(-1)!;
      const attempts = [
        // Files that exist but are never public.
        `/media/${video.files.source}`,
        `/media/${t}/${v}/hls/manifest.json`,
        `/media/${t}/${v}/hls/master.m3u8`,
        `/media/${t}/${v}/hls/${RENDITION}/A.m3u8`,
        `/media/${t}/${v}/hls/watermark/${RENDITION}.ppvwm`,
        `/media/${t}/${v}/source/clip.mp4`,
        // Traversal, raw and encoded every way.
        `/media/${t}/${v}/hls/../source/clip.mp4`,
        `/media/${t}/${v}/hls/${RENDITION}/../../source/clip.mp4`,
        `/media/${t}/${v}/hls/%2e%2e/source/clip.mp4`,
        `/media/${t}/${v}/hls/%2E%2E%2Fsource%2Fclip.mp4`,
        `/media/${t}/${v}/hls/%252e%252e/source/clip.mp4`,
        `/media/${t}/${v}/hls/..%5csource%5cclip.mp4`,
        `/media/${t}/${v}/hls/..\\source\\clip.mp4`,
        `/media/${t}/${v}/hls/${RENDITION}/${segmentName}%00.jpg`,
        `/media/${t}/${v}/hls/${RENDITION}/${segmentName.replace('.ts', '%2ets')}`,
        `/media/${t}/${v}/hls/${RENDITION}/./${segmentName}`,
        `/media//etc/passwd`,
        `/media/%2fetc%2fpasswd`,
        `/media/${t}/${v}/hls/poster.jpg/`,
        `/media/${t.toUpperCase()}/${v}/hls/poster.jpg`,
        `/media/${h.mediaDir}/${t}/${v}/hls/poster.jpg`,
        `/media/${t}/${v}/hls/.staging/poster.jpg`,
        // The same on /play.
        `/play/${sid}/..%2f..%2fmedia%2f${t}%2f${v}%2fsource%2fclip.mp4?token=${started.token}`,
        `/play/${sid}/../key?token=${started.token}`,
        `/play/%2e%2e/key?token=${started.token}`,
        `/play/${sid}/%2e%2e%2fmaster.m3u8?token=${started.token}`,
        `/play/${sid}/..%5cmaster.m3u8?token=${started.token}`,
        `/play/${sid}/master.m3u8%00?token=${started.token}`,
        `/play/${sid}/A.m3u8x?token=${started.token}`,
        `/play/${sid}/source.mp4?token=${started.token}`,
        `/play/${sid.toUpperCase()}/key?token=${started.token}`,
      ];
      for (const path of attempts) {
        const res = await play(demo, path);
        expect([path, res.status]).toEqual([path, expect.toSatisfy((s: number) => s === 404 || s === 400)]);
        expect(res.body.includes(Buffer.from('ftyp'))).toBe(false);
      }
      const ok = await play(demo, `/media/${t}/${v}/hls/poster.jpg`);
      expect(ok.status).toBe(200);
    });
  });
});

describe('end to end: a tus upload, the real transcode task, then playback', () => {
  let h2: Harness;
  let hub2: RunningHub;
  let worker: RunningWorker;
  beforeAll(async () => {
    h2 = await createHarness();
    hub2 = await startHub({ deps: h2.deps, host: '127.0.0.1', port: 0, trustProxy: false });
    worker = await startWorker({
      deps: h2.deps,
      connectionString: h2.db.url,
      concurrency: 1,
      mailer: null,
      mailFrom: 'PPV <no-reply@hub.test>',
      pollIntervalMs: 200,
      transcodeWatchIntervalMs: 250,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await hub2?.close();
    // graphile-worker's stop() does not wait for its pool to end (lib.js: `pgPool.end()` without
    // await); dropping the database under a closing connection surfaces as an unhandled 57P01.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await h2?.close();
  });

  it('uploads, transcodes with the A/B watermark, and plays in ffmpeg through the session’s playlists', async () => {
    const t = await h2.tenant(h2.deps.config.defaultTenant);
    const owner = await h2.signedIn(t, { role: 'creator' });
    const clip = join(work, 'e2e.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=4'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
    ]);
    const bytes = await readFile(clip);
    const headers = { ...TUS, cookie: cookieHeader(owner.cookies) };
    const created = await request(hub2.url, 'POST', '/uploads', {
      host: hostOf(t),
      headers: {
        ...headers,
        'upload-length': String(bytes.length),
        'upload-metadata': tusMetadata({ ...goodMetadata, previewSeconds: '0' }),
      },
    });
    expect(created.status, created.text).toBe(201);
    const done = await request(hub2.url, 'PATCH', created.headers.location as string, {
      host: hostOf(t),
      headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      rawBody: bytes,
    });
    expect(done.status, done.text).toBe(200);
    const { videoId } = done.json as { videoId: string };

    const deadline = Date.now() + 120_000;
    let status = 'queued';
    while (status !== 'ready' && status !== 'error' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      status = (await owner.api.videos.get({ videoId })).status;
    }
    expect(status).toBe('ready');

    const hub2Port = new URL(hub2.url).port;
    for (const session of [
      await owner.api.playback.start({ videoId }),
      await owner.api.playback.start({ videoId }),
    ]) {
      const media = await request(hub2.url, 'GET', `/play/${session.sessionId}/180p.m3u8`, {
        host: hostOf(t),
        headers: bearer(session.token),
      });
      expect(media.status, media.text).toBe(200);
      for (const uri of media.text.split('\n').filter((l) => l.startsWith('/media/'))) {
        const head = await request(hub2.url, 'HEAD', uri, { host: hostOf(t) });
        expect([uri, head.status]).toEqual([uri, 200]);
      }
      const out = join(work, `e2e-${session.sessionId}.mp4`);
      await run('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-y'],
        ...[
          '-i',
          `http://127.0.0.1:${hub2Port}${session.masterUrl}?token=${session.token}`,
          '-c',
          'copy',
          out,
        ],
      ]);
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'csv=p=0',
        out,
      ]);
      expect(Number(stdout)).toBeGreaterThan(3.5);
    }
  }, 180_000);
});
