import { randomUUID } from 'node:crypto';
import { TraceRequestEntity, withTenant } from '@ppv/db';
import { MediaError, type MediaErrorCode, probeMedia, videoPrefix } from '@ppv/media';
import type { AuthInfo } from '../../context';
import type { AppDeps } from '../../deps';
import { AppError } from '../../errors';
import { enqueue } from '../../lib/jobs';
import { recordAudit } from '../audit/record-audit';
import { managedVideo } from '../videos/manage-videos';

/** Why a recording is refused before any tracing: each a 400 with its reason. */
const refusals: Partial<Record<MediaErrorCode, (message: string) => string>> = {
  EMPTY_FILE: () => 'The recording is empty',
  NOT_MEDIA: () => 'The recording is not a video file ffprobe can read',
  NO_VIDEO: () => 'The recording has no video stream (is it audio only?)',
  TOO_LARGE_DIMENSIONS: (m) => `The recording was refused: ${m}`,
  TOO_LONG: (m) => `The recording was refused: ${m}`,
};

/**
 * Whether the caller may trace leaks of the video: its creator, the tenant's admins and hub admins.
 * Checked before a recording's bytes are accepted (and again when the trace is created).
 */
export async function assertMayTrace(
  deps: AppDeps,
  input: { tenantId: string; auth: AuthInfo; videoId: string },
): Promise<void> {
  await withTenant(deps.orm, input.tenantId, async (em) => {
    const video = await managedVideo({ ...deps, em, tenantId: input.tenantId }, input.auth, input.videoId);
    if (video.status !== 'ready')
      throw new AppError('PRECONDITION_FAILED', 'Leaks can be traced once the video is ready');
  });
}

/**
 * Accepts a leaked recording (a complete file on local disk, on the media store's file system) to
 * trace against one video: ffprobe must find a video stream; then the trace row, its audit entry and
 * its `trace_leak` job are created in one transaction and the file moves into private storage under
 * the video (never published). The caller removes the file on failure; once moved, a failed
 * transaction removes it from storage here.
 */
export async function requestTrace(
  deps: AppDeps,
  input: {
    tenantId: string;
    auth: AuthInfo;
    videoId: string;
    file: string;
    bytes: number;
    filename: string;
    ip?: string | undefined;
  },
): Promise<{ traceId: string }> {
  try {
    if (input.bytes === 0) throw new MediaError('EMPTY_FILE', 'the file is empty');
    await probeMedia(input.file, { ffprobe: deps.config.media.tools.ffprobe });
  } catch (error) {
    if (error instanceof MediaError) {
      const refusal = refusals[error.code];
      if (refusal) throw new AppError('BAD_REQUEST', refusal(error.message));
    }
    throw error;
  }
  const traceId = randomUUID();
  const fileKey = `${videoPrefix(input.tenantId, input.videoId)}/traces/${traceId}`;
  let moved = false;
  try {
    return await withTenant(deps.orm, input.tenantId, async (em) => {
      const tx = { ...deps, em, tenantId: input.tenantId };
      const video = await managedVideo(tx, input.auth, input.videoId);
      if (video.status !== 'ready')
        throw new AppError('PRECONDITION_FAILED', 'Leaks can be traced once the video is ready');
      em.create(TraceRequestEntity, {
        id: traceId,
        tenantId: input.tenantId,
        videoId: video.id,
        requestedBy: input.auth.userId,
        filename: input.filename.slice(0, 255) || 'recording',
        bytes: input.bytes,
        fileKey,
      });
      recordAudit(em, {
        tenantId: input.tenantId,
        actorUserId: input.auth.userId,
        action: 'video.trace_requested',
        subject: video.id,
        ip: input.ip ?? null,
        details: { traceId, bytes: input.bytes },
      });
      await em.flush();
      await enqueue(em, 'trace_leak', { tenantId: input.tenantId, traceId }, { jobKey: `trace:${traceId}` });
      // Last, so that a failed insert leaves the file with the caller; the job only becomes visible
      // to workers with the commit, by which time the file is in place.
      await deps.storage.putFile(fileKey, input.file);
      moved = true;
      return { traceId };
    });
  } catch (error) {
    if (moved) {
      await deps.storage
        .deletePrefix(fileKey)
        .catch((cause: unknown) =>
          deps.logger.error({ err: cause, traceId }, 'could not remove the recording of a failed trace'),
        );
    }
    throw error;
  }
}
