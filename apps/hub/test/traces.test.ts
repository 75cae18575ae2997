/**
 * Leak tracing from an upload, end to end: a video transcoded by the real worker with 1 s segments,
 * real playback sessions over HTTP, one of them recorded by ffmpeg and re-encoded; the recording is
 * posted to `POST /api/v1/videos/:id/traces` as a form, the worker's `trace_leak` job runs the
 * tracer and `tracing.get` names the session. Refusals (who, what, how big) are checked on the route.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Harness } from '@ppv/core/testing';
import { type Tenant, TraceRequestEntity, VideoEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../src/index';
import { cookieHeader, request } from './http';
import {
  ffmpeg,
  fixedSessions,
  recordLeak,
  type SignedIn,
  startWatermarkedVideo,
  texturedClip,
  type WatermarkedVideo,
} from './watermarked-video';

const MiB = 1024 ** 2;

let fixture: WatermarkedVideo;
let h: Harness;
let hub: RunningHub;
let work: string;
let tenant: Tenant;
let creator: SignedIn;
let videoId: string;

/** A multipart/form-data body with one file field, as a browser's form sends it. */
function formWithFile(field: string, filename: string, data: Buffer, type = 'video/mp4') {
  const boundary = `----ppv${createHash('sha256').update(filename).digest('hex').slice(0, 16)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nfrom a test\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      `Content-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    body: Buffer.concat([head, data, tail]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Posts `file` as the form's `recording` to the trace route as `who`. */
async function postRecording(
  who: { cookies: Record<string, string> } | null,
  file: string,
  opts: { video?: string; field?: string; host?: string; type?: string } = {},
) {
  const form = formWithFile(opts.field ?? 'recording', basename(file), await readFile(file), opts.type);
  return request(hub.url, 'POST', `/api/v1/videos/${opts.video ?? videoId}/traces`, {
    ...(opts.host && { host: opts.host }),
    headers: {
      'content-type': form.contentType,
      ...(who && { cookie: cookieHeader(who.cookies) }),
    },
    rawBody: form.body,
  });
}

/** Waits for the worker's trace_leak job to finish the trace. */
async function finished(traceId: string) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const trace = await creator.api.tracing.get({ traceId });
    if (trace.status === 'done' || trace.status === 'error' || Date.now() > deadline) return trace;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Files in the hub's staging folder and the video's stored recordings. */
const leftovers = async () => [
  ...(await readdir(h.deps.config.media.uploadDir).catch(() => [])),
  ...(await readdir(join(h.mediaDir, videoPrefix(tenant.id, videoId), 'traces')).catch(() => [])),
];

const traceRows = () => withTenant(h.db.orm, tenant.id, (em) => em.count(TraceRequestEntity, { videoId }));

beforeAll(async () => {
  fixture = await startWatermarkedVideo('traces-e2e');
  ({ h, hub, work, tenant, creator, videoId } = fixture);
}, 180_000);

afterAll(() => fixture?.close());

describe('tracing a leak uploaded to the hub', () => {
  it('names the recorded session, its viewer and tenant once the trace_leak job ran, and deletes the recording', {
    timeout: 180_000,
  }, async () => {
    const viewers = [await h.signedIn(tenant), await h.signedIn(tenant)];
    for (const v of viewers) await creator.api.videos.access.grant({ videoId, who: v.username });
    const sessions = await fixedSessions(fixture, [viewers[0]!, viewers[1]!, viewers[0]!]);
    const leaker = sessions[1]!;
    const leak = join(work, 'leak.mp4');
    await recordLeak(fixture, leaker, leak);

    const posted = await postRecording(creator, leak);
    expect(posted.status, posted.text).toBe(201);
    expect(posted.json).toEqual({ traceId: expect.any(String), status: 'queued' });
    const trace = await finished(posted.json.traceId);
    expect(trace).toMatchObject({
      videoId,
      filename: 'leak.mp4',
      status: 'done',
      lastError: null,
      requestedBy: creator.userId,
      finding: {
        verdict: 'match',
        sessionId: leaker.sessionId,
        viewer: { id: viewers[1]!.userId, username: viewers[1]!.username },
        tenant: { id: tenant.id, slug: tenant.slug },
      },
    });
    if (trace.finding?.verdict !== 'match') throw new Error('unreachable');
    expect(trace.finding.confidence).toBeGreaterThan(0.999999);
    expect(trace.finding.bitsRecovered).toBeGreaterThanOrEqual(30);
    expect(new Date(trace.finding.startedAt).getTime()).toBeGreaterThan(0);
    expect(trace.finishedAt).not.toBeNull();
    expect(await leftovers()).toEqual([]);
    const listed = await creator.api.tracing.list({ videoId });
    expect(listed.map((t) => t.id)).toContain(trace.id);
    // A tenant admin sees the trace too.
    const admin = await h.signedIn(tenant, { role: 'tenant_admin' });
    expect((await admin.api.tracing.get({ traceId: trace.id })).finding).toEqual(trace.finding);
    const audit = await admin.api.tenant.audit({});
    expect(audit.map((e) => e.action)).toContain('video.trace_requested');
  });

  it('answers no match for a recording of another video', { timeout: 120_000 }, async () => {
    const other = join(work, 'other.mp4');
    await texturedClip(other, 'cellauto=s=320x180:r=25:rule=110');
    const posted = await postRecording(creator, other);
    expect(posted.status, posted.text).toBe(201);
    const trace = await finished(posted.json.traceId);
    expect(trace).toMatchObject({
      status: 'done',
      finding: { verdict: 'no_match', reason: 'NOT_THIS_VIDEO', message: expect.any(String) },
    });
    expect(await leftovers()).toEqual([]);
  });
});

describe('refusals on the trace route', () => {
  let small: string;
  beforeAll(async () => {
    small = join(work, 'small.mp4');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=10:d=1'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', small],
    ]);
  });

  it('error: another creator of the tenant cannot trace the video (403), nothing is stored', async () => {
    const before = await traceRows();
    const other = await h.signedIn(tenant, { role: 'creator' });
    const res = await postRecording(other, small);
    expect([res.status, res.json?.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect(await traceRows()).toBe(before);
    expect(await leftovers()).toEqual([]);
    await expect(other.api.tracing.list({ videoId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('error: a viewer is refused (403) and a stranger must sign in (401)', async () => {
    const viewer = await h.signedIn(tenant);
    expect((await postRecording(viewer, small)).status).toBe(403);
    const anonymous = await postRecording(null, small);
    expect([anonymous.status, anonymous.json?.error?.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it("error: a creator of another tenant is refused on that tenant's host and cannot reach the video on their own", async () => {
    const otherTenant = await h.tenant();
    const outsider = await h.signedIn(otherTenant, { role: 'creator' });
    const home = await postRecording(outsider, small, { host: `${otherTenant.slug}.hub.test` });
    expect([home.status, home.json?.error?.code]).toEqual([404, 'NOT_FOUND']);
    // Their cookie means nothing on this tenant's host.
    expect((await postRecording(outsider, small)).status).toBe(401);
  });

  it('error: a file that is not a video is refused with 400 and deleted', async () => {
    const text = join(work, 'notes.mp4');
    await writeFile(text, 'not a video at all\n'.repeat(100));
    const res = await postRecording(creator, text);
    expect([res.status, res.json?.error?.message]).toEqual([
      400,
      'The recording is not a video file ffprobe can read',
    ]);
    const audio = join(work, 'audio.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', audio]);
    const audioOnly = await postRecording(creator, audio, { type: 'audio/mp4' });
    expect([audioOnly.status, audioOnly.json?.error?.message]).toEqual([
      400,
      'The recording has no video stream (is it audio only?)',
    ]);
    expect(await leftovers()).toEqual([]);
  });

  it('error: a form without the recording field, or not a form at all, gets 400/415 with the reason', async () => {
    const wrongField = await postRecording(creator, small, { field: 'file' });
    expect([wrongField.status, wrongField.json?.error?.message]).toEqual([
      400,
      'Choose the recording (the "recording" file)',
    ]);
    const json = await request(hub.url, 'POST', `/api/v1/videos/${videoId}/traces`, {
      headers: { cookie: cookieHeader(creator.cookies) },
      body: { file: 'x' },
    });
    expect(json.status, json.text).toBe(415);
    expect(await leftovers()).toEqual([]);
  });

  it('error: a recording over the tenant upload limit gets 413 naming the limit, and nothing is kept', async () => {
    const hubAdmin = await h.signedIn(tenant, { hubAdmin: true });
    const limited = await h.tenant();
    await hubAdmin.api.hub.tenants.setUploadLimit({ tenantId: limited.id, maxUploadBytes: 1 * MiB });
    const owner = await h.signedIn(limited, { role: 'creator' });
    const ownVideo = await withTenant(h.db.orm, limited.id, async (em) => {
      const v = em.create(VideoEntity, {
        tenantId: limited.id,
        creatorId: owner.userId,
        title: 'Limited',
        priceCents: 100,
        status: 'ready',
      });
      await em.flush();
      return v.id;
    });
    const big = join(work, 'big.mp4');
    await writeFile(big, Buffer.alloc(2 * MiB, 1));
    // The tenant cache keeps the old limit for a few seconds.
    let res = await postRecording(owner, big, { video: ownVideo, host: `${limited.slug}.hub.test` });
    for (let i = 0; i < 40 && res.status !== 413; i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await postRecording(owner, big, { video: ownVideo, host: `${limited.slug}.hub.test` });
    }
    expect([res.status, res.json?.error?.message]).toEqual([
      413,
      'The recording is larger than the upload limit (1 MB)',
    ]);
    expect(await readdir(h.deps.config.media.uploadDir).catch(() => [])).toEqual([]);
  });

  it('error: a video that is not ready yet cannot be traced (412)', async () => {
    const pending = await withTenant(h.db.orm, tenant.id, async (em) => {
      const v = em.create(VideoEntity, {
        tenantId: tenant.id,
        creatorId: creator.userId,
        title: 'Still processing',
        priceCents: 100,
        status: 'processing',
      });
      await em.flush();
      return v.id;
    });
    const res = await postRecording(creator, small, { video: pending });
    expect([res.status, res.json?.error?.message]).toEqual([
      412,
      'Leaks can be traced once the video is ready',
    ]);
  });
});
