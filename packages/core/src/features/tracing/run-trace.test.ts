import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tenant, TraceRequestEntity, VideoEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { runTrace } from './run-trace';

let h: Harness;
let tenant: Tenant;
let creator: Awaited<ReturnType<Harness['signedIn']>>;

beforeAll(async () => {
  h = await createHarness();
  tenant = await h.tenant();
  creator = await h.signedIn(tenant, { role: 'creator' });
});
afterAll(() => h?.close());

/** A ready video (a row only: no media files) and a trace request with a stored recording. */
async function traceOf(opts: { stored?: boolean } = {}) {
  return withTenant(h.db.orm, tenant.id, async (em) => {
    const video = em.create(VideoEntity, {
      tenantId: tenant.id,
      creatorId: creator.userId,
      title: 'Row only',
      priceCents: 100,
      status: 'ready',
    });
    await em.flush();
    const trace = em.create(TraceRequestEntity, {
      tenantId: tenant.id,
      videoId: video.id,
      requestedBy: creator.userId,
      filename: 'leak.mp4',
      bytes: 10,
    });
    const fileKey = `${videoPrefix(tenant.id, video.id)}/traces/${trace.id}`;
    trace.fileKey = fileKey;
    await em.flush();
    if (opts.stored !== false) {
      const local = join(h.mediaDir, 'incoming');
      await writeFile(local, 'recording');
      await h.deps.storage.putFile(fileKey, local);
    }
    return { videoId: video.id, traceId: trace.id, fileKey };
  });
}

const row = (traceId: string) =>
  withTenant(h.db.orm, tenant.id, (em) => em.findOneOrFail(TraceRequestEntity, { id: traceId }));

describe('runTrace', () => {
  it('behavior: a video nobody has watched is no match (NO_SESSIONS), and the recording is deleted', async () => {
    const { traceId, fileKey } = await traceOf();
    expect(await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false })).toBe('done');
    expect(await row(traceId)).toMatchObject({
      status: 'done',
      verdict: 'no_match',
      result: { verdict: 'no_match', reason: 'NO_SESSIONS' },
      fileKey: null,
      finishedAt: expect.any(Date),
    });
    expect(await h.deps.storage.stat(fileKey)).toBeNull();
  });

  it('error: a video without a watermark reference is recorded as the trace’s error, recording deleted', async () => {
    const { traceId, fileKey, videoId } = await traceOf();
    await creator.api.playback.start({ videoId });
    expect(await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false })).toBe('error');
    expect(await row(traceId)).toMatchObject({
      status: 'error',
      verdict: null,
      lastError: `Video ${videoId} has no forensic watermark reference`,
      fileKey: null,
    });
    expect(await h.deps.storage.stat(fileKey)).toBeNull();
  });

  it('error: a recording that is no longer stored is recorded as the error', async () => {
    const { traceId } = await traceOf({ stored: false });
    expect(await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false })).toBe('error');
    expect((await row(traceId)).lastError).toBe('The recording is no longer stored; please upload it again');
  });

  it('behavior: a finished trace, or one whose video was deleted, is skipped when the job runs again', async () => {
    const { traceId, videoId } = await traceOf();
    await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false });
    const before = await row(traceId);
    expect(await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false })).toBe('skipped');
    expect((await row(traceId)).finishedAt).toEqual(before.finishedAt);
    await creator.api.videos.delete({ videoId });
    expect(await runTrace(h.deps, { tenantId: tenant.id, traceId, lastAttempt: false })).toBe('skipped');
  });
});
