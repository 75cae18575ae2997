import {
  AllowlistEntryEntity,
  type EntityManager,
  hasActivePurchase,
  isBlockedByCreator,
  MembershipEntity,
  type Role,
  UserEntity,
  type Video,
} from '@ppv/db';

export type AccessGrant = 'owner' | 'admin' | 'free' | 'allowlist' | 'purchase';
export type AccessDenial = 'sign_in_required' | 'payment_required' | 'blocked' | 'not_ready';

export type AccessDecision = { allowed: true; grant: AccessGrant } | { allowed: false; reason: AccessDenial };

/** What deciding access needs to know of a video. */
export type AccessVideo = Pick<Video, 'id' | 'tenantId' | 'creatorId' | 'status' | 'priceCents'>;

/** What deciding access needs to know of the viewer in the video's tenant. */
export interface ViewerStanding {
  isHubAdmin: boolean;
  role: Role | null;
  allowlisted: boolean;
  /** Holds a purchase of the video that is neither revoked nor expired. */
  purchased: boolean;
  /** On the video's creator's block list. */
  blocked: boolean;
}

export const NO_STANDING: ViewerStanding = {
  isHubAdmin: false,
  role: null,
  allowlisted: false,
  purchased: false,
  blocked: false,
};

/**
 * The one rule of who may watch `video` in full: its creator, the tenant's admins and hub admins;
 * then, unless the creator blocked the viewer, anyone signed in when it is free, people the creator
 * allowlisted and people who bought it (a rental until it ends).
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
  if (viewer.blocked) return { allowed: false, reason: 'blocked' };
  if (video.priceCents === 0) return { allowed: true, grant: 'free' };
  if (viewer.allowlisted) return { allowed: true, grant: 'allowlist' };
  if (viewer.purchased) return { allowed: true, grant: 'purchase' };
  return { allowed: false, reason: 'payment_required' };
}

/**
 * Whether `userId` may watch `video` in full (decideAccess), looking up the viewer's standing at
 * `at` (rentals end). Runs in the video's tenant scope.
 */
export async function canWatch(
  em: EntityManager,
  userId: string | null,
  video: AccessVideo,
  at: Date = new Date(),
): Promise<AccessDecision> {
  if (video.status !== 'ready' || !userId || userId === video.creatorId)
    return decideAccess(userId, video, NO_STANDING);
  const [user, membership, allowlisted, purchased, blocked] = await Promise.all([
    em.findOne(UserEntity, { id: userId }),
    em.findOne(MembershipEntity, { tenantId: video.tenantId, userId }),
    em.findOne(AllowlistEntryEntity, { videoId: video.id, userId }),
    hasActivePurchase(em, { userId, videoId: video.id, at }),
    isBlockedByCreator(em, { tenantId: video.tenantId, creatorId: video.creatorId, userId }),
  ]);
  return decideAccess(userId, video, {
    isHubAdmin: user?.isHubAdmin ?? false,
    role: membership?.role ?? null,
    allowlisted: allowlisted !== null,
    purchased,
    blocked,
  });
}
