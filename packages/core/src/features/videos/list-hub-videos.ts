import { type EntityManager, TenantEntity, UserEntity, VideoEntity } from '@ppv/db';
import { studioVideo } from './manage-videos';

/**
 * Every video of every tenant, newest first, with its tenant and creator; `status` narrows it.
 * Needs an EntityManager in hub scope.
 */
export async function listHubVideos(
  em: EntityManager,
  input: { status?: 'queued' | 'processing' | 'ready' | 'error' | undefined; limit: number; offset: number },
) {
  const [videos, total] = await em.findAndCount(VideoEntity, input.status ? { status: input.status } : {}, {
    orderBy: { createdAt: 'desc', id: 'asc' },
    limit: input.limit,
    offset: input.offset,
  });
  const tenants = videos.length
    ? await em.find(TenantEntity, { id: { $in: [...new Set(videos.map((v) => v.tenantId))] } })
    : [];
  const creators = videos.length
    ? await em.find(UserEntity, { id: { $in: [...new Set(videos.map((v) => v.creatorId))] } })
    : [];
  const tenantOf = new Map(tenants.map((t) => [t.id, t]));
  const creatorOf = new Map(creators.map((u) => [u.id, u]));
  return {
    total,
    videos: videos.map((v) => ({
      ...studioVideo(v),
      tenantId: v.tenantId,
      tenantSlug: tenantOf.get(v.tenantId)?.slug ?? '',
      creatorUsername: creatorOf.get(v.creatorId)?.username ?? '',
    })),
  };
}
