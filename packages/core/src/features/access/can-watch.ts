import { AllowlistEntryEntity, type EntityManager, MembershipEntity, UserEntity, type Video } from '@ppv/db';

export type AccessGrant = 'owner' | 'admin' | 'free' | 'allowlist';
export type AccessDenial = 'sign_in_required' | 'payment_required' | 'not_ready';

export type AccessDecision = { allowed: true; grant: AccessGrant } | { allowed: false; reason: AccessDenial };

/**
 * The one place that decides whether `userId` may watch `video` in full: its creator, the tenant's
 * admins and hub admins, anyone when it is free, and people the creator allowlisted. Purchases join
 * here with the money feature. Runs in the video's tenant scope.
 */
export async function canWatch(
  em: EntityManager,
  userId: string | null,
  video: Video,
): Promise<AccessDecision> {
  if (video.status !== 'ready') return { allowed: false, reason: 'not_ready' };
  if (userId && userId === video.creatorId) return { allowed: true, grant: 'owner' };
  if (userId) {
    const [user, membership] = await Promise.all([
      em.findOne(UserEntity, { id: userId }),
      em.findOne(MembershipEntity, { tenantId: video.tenantId, userId }),
    ]);
    if (user?.isHubAdmin || membership?.role === 'tenant_admin') return { allowed: true, grant: 'admin' };
  }
  if (video.priceCents === 0)
    return userId ? { allowed: true, grant: 'free' } : { allowed: false, reason: 'sign_in_required' };
  if (!userId) return { allowed: false, reason: 'sign_in_required' };
  if (await em.findOne(AllowlistEntryEntity, { videoId: video.id, userId }))
    return { allowed: true, grant: 'allowlist' };
  return { allowed: false, reason: 'payment_required' };
}
