import type { Video } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { recordAudit } from '../audit/record-audit';
import { managedVideo, studioVideo } from './manage-videos';

/**
 * Why a video is out of the catalog and off sale, or null when it is listed. Buyers and allowlisted
 * viewers keep watching either way (docs/moderation.md).
 */
export function unlistedReason(video: Pick<Video, 'hiddenAt' | 'unpublishedAt'>): string | null {
  if (video.hiddenAt) return 'a moderator of this site hid it';
  if (video.unpublishedAt) return 'its creator unpublished it';
  return null;
}

type Input = { auth: AuthInfo; videoId: string; ip: string };

function audit(deps: TenantDeps, input: Input, action: string, details?: Record<string, unknown>) {
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action,
    subject: input.videoId,
    ip: input.ip,
    ...(details && { details }),
  });
}

/** A tenant admin hides a video, with the reason its creator is shown. Hiding again updates the reason. */
export async function hideVideo(deps: TenantDeps, input: Input & { reason: string }) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  deps.em.assign(video, {
    hiddenAt: video.hiddenAt ?? deps.clock(),
    hiddenReason: input.reason,
    hiddenBy: input.auth.userId,
  });
  audit(deps, input, 'video.hidden', { reason: input.reason });
  await deps.em.flush();
  return studioVideo(video);
}

/** A tenant admin restores a hidden video (a creator's own unpublishing stays as it was). */
export async function restoreVideo(deps: TenantDeps, input: Input) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  if (!video.hiddenAt) throw new AppError('CONFLICT', 'This video is not hidden');
  deps.em.assign(video, { hiddenAt: null, hiddenReason: null, hiddenBy: null });
  audit(deps, input, 'video.restored');
  await deps.em.flush();
  return studioVideo(video);
}

/** Its creator (or a tenant admin) takes a video out of the catalog and off sale. */
export async function unpublishVideo(deps: TenantDeps, input: Input) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  if (!video.unpublishedAt) {
    video.unpublishedAt = deps.clock();
    audit(deps, input, 'video.unpublished');
    await deps.em.flush();
  }
  return studioVideo(video);
}

/**
 * Its creator (or a tenant admin) puts an unpublished video back. A video a moderator hid stays
 * hidden: only a tenant admin restores it, so publishing it is refused with the moderator's reason.
 */
export async function publishVideo(deps: TenantDeps, input: Input) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  if (video.hiddenAt)
    throw new AppError(
      'CONFLICT',
      `A moderator hid this video (${video.hiddenReason}); only a tenant admin can restore it`,
    );
  if (video.unpublishedAt) {
    video.unpublishedAt = null;
    audit(deps, input, 'video.published');
    await deps.em.flush();
  }
  return studioVideo(video);
}
