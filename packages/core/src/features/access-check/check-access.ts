import { VideoEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { notFound } from '../../errors';
import { type AccessDenial, type AccessGrant, canWatch } from '../access/can-watch';

export type AccessCheck =
  | { videoId: string; allowed: true; grant: AccessGrant }
  | { videoId: string; allowed: false; reason: AccessDenial; message: string };

const messages: Record<AccessDenial, string> = {
  sign_in_required: 'Sign in to watch this video',
  payment_required: 'This video is pay-per-view: buy a view to watch it',
  blocked: 'The creator of this video has blocked you',
  not_ready: 'This video is not ready to play yet',
};

/**
 * May the caller (signed in or not) watch `videoId` in full? The same decision as playback.start
 * (canWatch), asked before starting a session, so a player can show its paywall or sign-in first.
 * A video that is not ready is as unknown as in videos.get, except to its creator and the admins.
 */
export async function checkAccess(
  deps: TenantDeps,
  input: { auth: AuthInfo | null; videoId: string },
): Promise<AccessCheck> {
  const video = await deps.em.findOne(VideoEntity, { id: input.videoId });
  if (!video || (video.status !== 'ready' && !canManage(input.auth, video.creatorId)))
    throw notFound('Video');
  const decision = await canWatch(deps.em, input.auth?.userId ?? null, video, deps.clock());
  return decision.allowed
    ? { videoId: video.id, allowed: true, grant: decision.grant }
    : { videoId: video.id, allowed: false, reason: decision.reason, message: messages[decision.reason] };
}

const canManage = (auth: AuthInfo | null, creatorId: string) =>
  !!auth && (auth.userId === creatorId || auth.isHubAdmin || auth.role === 'tenant_admin');
