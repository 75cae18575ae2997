import {
  AllowlistEntryEntity,
  searchVideos,
  UserEntity,
  type Video,
  VideoEntity,
  WalletEntity,
} from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError, forbidden, notFound } from '../../errors';
import { enqueue } from '../../lib/jobs';
import { canWatch } from '../access/can-watch';
import { recordAudit } from '../audit/record-audit';
import { mediaUrl } from '../playback/read-manifest';
import { unlistedReason } from './moderate-video';
import type { ListVideosInput } from './videos.schemas';

/** What anyone may see of a video in the catalog. */
export function publicVideo(v: Video) {
  return {
    id: v.id,
    title: v.title,
    description: v.description,
    creatorId: v.creatorId,
    priceCents: v.priceCents,
    previewSeconds: v.previewSeconds,
    rentalHours: v.rentalHours ?? null,
    status: v.status,
    durationSeconds:
      v.durationSeconds === null || v.durationSeconds === undefined ? null : Number(v.durationSeconds),
    width: v.width ?? null,
    height: v.height ?? null,
    hasPreview: v.hasPreview,
    // A poster chosen in the studio bumps its version: a new URL, so caches fetch the new image.
    posterUrl:
      v.status === 'ready'
        ? `${mediaUrl(v.tenantId, v.id, 'poster.jpg')}${v.posterVersion ? `?v=${v.posterVersion}` : ''}`
        : null,
    previewUrl:
      v.status === 'ready' && v.hasPreview ? mediaUrl(v.tenantId, v.id, 'preview/index.m3u8') : null,
    createdAt: v.createdAt,
  };
}

/** What its creator and the tenant's admins see: processing state included. */
export function studioVideo(v: Video) {
  return {
    ...publicVideo(v),
    progress: v.progress,
    lastError: v.lastError ?? null,
    sourceFilename: v.sourceFilename ?? null,
    sourceBytes: v.sourceBytes === null || v.sourceBytes === undefined ? null : Number(v.sourceBytes),
    renditions: v.renditions,
    readyAt: v.readyAt ?? null,
    /** Hidden by a tenant admin, with the reason; only a tenant admin restores it. */
    hidden: v.hiddenAt ? { at: v.hiddenAt, reason: v.hiddenReason ?? '' } : null,
    unpublishedAt: v.unpublishedAt ?? null,
  };
}

const isManager = (auth: AuthInfo) => auth.isHubAdmin || auth.role === 'tenant_admin';

/** The video, if the caller owns it or administers the tenant. */
export async function managedVideo(deps: TenantDeps, auth: AuthInfo, videoId: string): Promise<Video> {
  const video = await deps.em.findOne(VideoEntity, { id: videoId });
  if (!video) throw notFound('Video');
  if (video.creatorId !== auth.userId && !isManager(auth))
    throw forbidden('Only the video’s creator or a tenant admin may do that');
  return video;
}

export async function listVideos(deps: TenantDeps, input: { auth: AuthInfo | null } & ListVideosInput) {
  if (input.scope !== 'catalog' && !input.auth) throw new AppError('UNAUTHORIZED', 'Please sign in first');
  if (input.scope === 'all' && input.auth && !isManager(input.auth))
    throw forbidden('Listing every video needs a tenant admin');
  const offset = input.offset ?? ((input.page ?? 1) - 1) * input.limit;
  const found = await searchVideos(deps.em, {
    tenantId: deps.tenantId,
    ...(input.scope === 'catalog' && { status: 'ready' as const, listed: true }),
    ...(input.scope === 'mine' && { creatorId: input.auth!.userId }),
    ...(input.q && { q: input.q }),
    sort: input.sort,
    limit: input.limit,
    offset,
  });
  const shape = input.scope === 'catalog' ? publicVideo : studioVideo;
  return {
    total: found.total,
    limit: input.limit,
    offset,
    page: Math.floor(offset / input.limit) + 1,
    pages: Math.max(1, Math.ceil(found.total / input.limit)),
    videos: found.videos.map((v) => ({
      ...shape(v),
      creator: { id: v.creatorId, username: found.creators.get(v.creatorId) ?? '' },
    })),
  };
}

export async function getVideo(deps: TenantDeps, input: { auth: AuthInfo | null; videoId: string }) {
  const video = await deps.em.findOne(VideoEntity, { id: input.videoId });
  const mine = video && input.auth && (video.creatorId === input.auth.userId || isManager(input.auth));
  if (!video || (video.status !== 'ready' && !mine)) throw notFound('Video');
  // Hidden or unpublished: only for those who may still watch it (buyers, the allowlist).
  if (!mine && unlistedReason(video)) {
    const access = await canWatch(deps.em, input.auth?.userId ?? null, video, deps.clock());
    if (!access.allowed) throw notFound('Video');
  }
  const creator = await deps.em.findOne(UserEntity, { id: video.creatorId }, { fields: ['username'] });
  return {
    ...(mine ? studioVideo(video) : publicVideo(video)),
    creator: { id: video.creatorId, username: creator?.username ?? '' },
  };
}

export async function updateVideo(
  deps: TenantDeps,
  input: {
    auth: AuthInfo;
    videoId: string;
    changes: Partial<Pick<Video, 'title' | 'description' | 'priceCents' | 'previewSeconds' | 'rentalHours'>>;
    ip: string;
  },
) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  const fields = Object.entries(input.changes).filter(([, v]) => v !== undefined);
  if (fields.length === 0) throw new AppError('BAD_REQUEST', 'Nothing to change');
  deps.em.assign(video, Object.fromEntries(fields));
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'video.updated',
    subject: video.id,
    ip: input.ip,
    details: { fields: fields.map(([k]) => k) },
  });
  await deps.em.flush();
  return studioVideo(video);
}

/**
 * Deletes the video row (its key, allowlist and sessions go with it) and enqueues the removal of its
 * files in the same transaction; a transcode still running notices and stops.
 */
export async function deleteVideo(deps: TenantDeps, input: { auth: AuthInfo; videoId: string; ip: string }) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  deps.em.remove(video);
  await enqueue(
    deps.em,
    'delete_video_files',
    { tenantId: deps.tenantId, videoId: video.id },
    { jobKey: `delete:${video.id}` },
  );
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'video.deleted',
    subject: video.id,
    ip: input.ip,
  });
}

/** An account by username, email or wallet address (lower case). */
export async function findGrantee(deps: TenantDeps, who: string) {
  if (/^0x[0-9a-f]{40}$/.test(who)) {
    const wallet = await deps.em.findOne(WalletEntity, { address: who });
    return wallet ? deps.em.findOne(UserEntity, { id: wallet.userId }) : null;
  }
  return deps.em.findOne(UserEntity, who.includes('@') ? { email: who } : { username: who });
}

export async function grantAccess(
  deps: TenantDeps,
  input: { auth: AuthInfo; videoId: string; who: string; ip: string },
) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  const user = await findGrantee(deps, input.who);
  if (!user) throw new AppError('NOT_FOUND', `No account "${input.who}" on this hub`);
  if (!(await deps.em.findOne(AllowlistEntryEntity, { videoId: video.id, userId: user.id }))) {
    deps.em.create(AllowlistEntryEntity, {
      tenantId: deps.tenantId,
      videoId: video.id,
      userId: user.id,
      grantedBy: input.auth.userId,
    });
    recordAudit(deps.em, {
      tenantId: deps.tenantId,
      actorUserId: input.auth.userId,
      action: 'video.access_granted',
      subject: video.id,
      ip: input.ip,
      details: { userId: user.id },
    });
  }
  return { userId: user.id, username: user.username };
}

export async function revokeAccess(
  deps: TenantDeps,
  input: { auth: AuthInfo; videoId: string; who: string; ip: string },
) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  const user = await findGrantee(deps, input.who);
  const entry = user && (await deps.em.findOne(AllowlistEntryEntity, { videoId: video.id, userId: user.id }));
  if (!entry) throw new AppError('NOT_FOUND', `"${input.who}" is not on this video's allowlist`);
  deps.em.remove(entry);
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'video.access_revoked',
    subject: video.id,
    ip: input.ip,
    details: { userId: entry.userId },
  });
}

export async function listAccess(deps: TenantDeps, input: { auth: AuthInfo; videoId: string }) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  const entries = await deps.em.find(
    AllowlistEntryEntity,
    { videoId: video.id },
    { orderBy: { createdAt: 'asc' } },
  );
  const users = await deps.em.find(UserEntity, { id: { $in: entries.map((e) => e.userId) } });
  return entries.map((e) => ({
    userId: e.userId,
    username: users.find((u) => u.id === e.userId)?.username ?? '',
    grantedAt: e.createdAt,
  }));
}
