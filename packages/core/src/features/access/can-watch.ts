import {
  AllowlistEntryEntity,
  type EntityManager,
  MembershipEntity,
  type Role,
  UserEntity,
  type Video,
} from '@ppv/db';

export type AccessGrant = 'owner' | 'admin' | 'free' | 'allowlist';
export type AccessDenial = 'sign_in_required' | 'payment_required' | 'not_ready';

export type AccessDecision = { allowed: true; grant: AccessGrant } | { allowed: false; reason: AccessDenial };

/** What deciding access needs to know of a video. */
export type AccessVideo = Pick<Video, 'id' | 'tenantId' | 'creatorId' | 'status' | 'priceCents'>;

/** What deciding access needs to know of the viewer in the video's tenant. */
export interface ViewerStanding {
  isHubAdmin: boolean;
  role: Role | null;
  allowlisted: boolean;
}

/**
 * The one rule of who may watch `video` in full: its creator, the tenant's admins and hub admins,
 * anyone signed in when it is free, and people the creator allowlisted. Purchases join here with
 * the money feature.
 */
export function decideAccess(
  userId: string | null,
  video: AccessVideo,
  viewer: ViewerStanding,
): AccessDecision {
  if (video.status !== 'ready') return { allowed: false, reason: 'not_ready' };
  if (!userId) return { allowed: false, reason: 'sign_in_required' };
  if (userId === video.creatorId) return { allowed: true, grant: 'owner' };
  if (viewer.isHubAdmin || viewer.role === 'tenant_admin') return { allowed: true, grant: 'admin' };
  if (video.priceCents === 0) return { allowed: true, grant: 'free' };
  if (viewer.allowlisted) return { allowed: true, grant: 'allowlist' };
  return { allowed: false, reason: 'payment_required' };
}

/**
 * Whether `userId` may watch `video` in full (decideAccess), looking up the viewer's standing.
 * Runs in the video's tenant scope.
 */
export async function canWatch(
  em: EntityManager,
  userId: string | null,
  video: AccessVideo,
): Promise<AccessDecision> {
  if (video.status !== 'ready' || !userId || userId === video.creatorId)
    return decideAccess(userId, video, { isHubAdmin: false, role: null, allowlisted: false });
  const [user, membership, allowlisted] = await Promise.all([
    em.findOne(UserEntity, { id: userId }),
    em.findOne(MembershipEntity, { tenantId: video.tenantId, userId }),
    em.findOne(AllowlistEntryEntity, { videoId: video.id, userId }),
  ]);
  return decideAccess(userId, video, {
    isHubAdmin: user?.isHubAdmin ?? false,
    role: membership?.role ?? null,
    allowlisted: allowlisted !== null,
  });
}
