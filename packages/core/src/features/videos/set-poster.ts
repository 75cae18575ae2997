import { join } from 'node:path';
import { VideoEntity, withTenant } from '@ppv/db';
import { hlsPrefix, MediaError, makePoster, sniffImage } from '@ppv/media';
import type { AuthInfo } from '../../context';
import type { AppDeps, TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { enqueue } from '../../lib/jobs';
import { recordAudit } from '../audit/record-audit';
import { managedVideo } from './manage-videos';

/** Largest poster image accepted for upload. */
export const MAX_POSTER_UPLOAD_BYTES = 10 * 1024 ** 2;

async function posterTarget(deps: TenantDeps, auth: AuthInfo, videoId: string) {
  const video = await managedVideo(deps, auth, videoId);
  if (video.status !== 'ready')
    throw new AppError('PRECONDITION_FAILED', 'A poster can be chosen once the video is ready');
  return video;
}

/**
 * Replaces the published poster with `file` (a JPEG on the media store's file system, moved) and
 * bumps the video's poster version, so its poster URL changes. False when the video is gone.
 */
export async function publishPoster(
  deps: AppDeps,
  input: { tenantId: string; videoId: string; file: string },
): Promise<boolean> {
  return withTenant(deps.orm, input.tenantId, async (em) => {
    const video = await em.findOne(VideoEntity, { id: input.videoId });
    if (!video) return false;
    await deps.storage.putFile(`${hlsPrefix(input.tenantId, input.videoId)}/poster.jpg`, input.file);
    video.posterVersion += 1;
    await em.flush();
    return true;
  });
}

/**
 * The poster becomes the frame at `atSeconds` of the video (within its duration): a `make_poster`
 * job, enqueued with the audit entry, cuts it from the kept source.
 */
export async function setPosterFrame(
  deps: TenantDeps,
  input: { auth: AuthInfo; videoId: string; atSeconds: number; ip: string },
) {
  const video = await posterTarget(deps, input.auth, input.videoId);
  const duration = Number(video.durationSeconds ?? 0);
  if (!(input.atSeconds < duration))
    throw new AppError(
      'BAD_REQUEST',
      `The frame time is within the video: from 0 to ${Math.max(0, duration - 0.001).toFixed(2)} seconds`,
    );
  if (!video.sourceKey || !(await deps.storage.stat(video.sourceKey)))
    throw new AppError(
      'PRECONDITION_FAILED',
      'The video’s source is no longer stored; upload a poster image instead',
    );
  await enqueue(
    deps.em,
    'make_poster',
    { tenantId: deps.tenantId, videoId: video.id, atSeconds: input.atSeconds },
    { jobKey: `poster:${video.id}` },
  );
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'video.poster_changed',
    subject: video.id,
    ip: input.ip,
    details: { atSeconds: input.atSeconds },
  });
  return { queued: true as const };
}

/** The `make_poster` job: cuts the frame from the source and publishes it. */
export async function makeFramePoster(
  deps: AppDeps,
  input: { tenantId: string; videoId: string; atSeconds: number },
): Promise<'done' | 'gone'> {
  const sourceKey = await withTenant(deps.orm, input.tenantId, async (em) => {
    const video = await em.findOne(VideoEntity, { id: input.videoId });
    return video?.status === 'ready' ? (video.sourceKey ?? null) : null;
  });
  if (!sourceKey || !(await deps.storage.stat(sourceKey))) return 'gone';
  const label = `poster-${input.videoId}`;
  const staging = await deps.storage.stagingDir(label);
  try {
    const file = join(staging, 'poster.jpg');
    await makePoster({
      ffmpeg: deps.config.media.tools.ffmpeg,
      input: deps.storage.localPath(sourceKey),
      output: file,
      atSeconds: input.atSeconds,
    });
    return (await publishPoster(deps, { ...input, file })) ? 'done' : 'gone';
  } finally {
    await deps.storage.removeStaging(label);
  }
}

/**
 * An uploaded poster image (a complete local file): it must start as a JPEG or PNG does; ffmpeg
 * re-encodes it to a JPEG within POSTER_MAX (never the uploaded bytes as they are), which is then
 * published. Small enough to do while the request waits.
 */
export async function acceptPosterUpload(
  deps: AppDeps,
  input: { tenantId: string; auth: AuthInfo; videoId: string; file: string; ip?: string | undefined },
): Promise<{ posterUrl: string | null }> {
  let image: 'jpeg' | 'png';
  try {
    image = await sniffImage(input.file);
  } catch (error) {
    if (error instanceof MediaError)
      throw new AppError('BAD_REQUEST', 'The poster must be a JPEG or PNG image');
    throw error;
  }
  await withTenant(deps.orm, input.tenantId, (em) =>
    posterTarget({ ...deps, em, tenantId: input.tenantId }, input.auth, input.videoId),
  );
  const label = `poster-${input.videoId}`;
  const staging = await deps.storage.stagingDir(label);
  try {
    const file = join(staging, 'poster.jpg');
    try {
      await makePoster({ ffmpeg: deps.config.media.tools.ffmpeg, input: input.file, output: file, image });
    } catch (error) {
      if (error instanceof MediaError)
        throw new AppError('BAD_REQUEST', 'The poster image could not be read (is it damaged?)');
      throw error;
    }
    return await withTenant(deps.orm, input.tenantId, async (em) => {
      const video = await em.findOne(VideoEntity, { id: input.videoId });
      if (!video) throw new AppError('NOT_FOUND', 'Video was not found');
      await deps.storage.putFile(`${hlsPrefix(input.tenantId, input.videoId)}/poster.jpg`, file);
      video.posterVersion += 1;
      recordAudit(em, {
        tenantId: input.tenantId,
        actorUserId: input.auth.userId,
        action: 'video.poster_changed',
        subject: video.id,
        ip: input.ip ?? null,
        details: { uploaded: image },
      });
      await em.flush();
      return { posterUrl: `/media/${input.tenantId}/${video.id}/hls/poster.jpg?v=${video.posterVersion}` };
    });
  } finally {
    await deps.storage.removeStaging(label);
  }
}
