import { randomBytes } from 'node:crypto';
import { VideoEntity, VideoKeyEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';
import { enqueue } from '../../lib/jobs';
import { seal } from '../../lib/sealing';
import { recordAudit } from '../audit/record-audit';
import type { VideoMetadata } from './videos.schemas';

export interface UploadedSource {
  /** Storage key of the finished, validated upload. */
  sourceKey: string;
  sourceBytes: number;
  filename: string;
}

/**
 * Creates the video row, its sealed AES-128 content key, IV and segment secret, and its transcode
 * job — all in the caller's transaction, so a video never exists without its job or its key.
 */
export async function createVideo(
  deps: TenantDeps,
  input: {
    creatorId: string;
    metadata: VideoMetadata;
    source: UploadedSource;
    ip?: string;
    /** The id to give the video, when its files were placed under it before the row exists. */
    videoId?: string;
  },
): Promise<{ videoId: string }> {
  const video = deps.em.create(VideoEntity, {
    ...(input.videoId && { id: input.videoId }),
    tenantId: deps.tenantId,
    creatorId: input.creatorId,
    title: input.metadata.title,
    description: input.metadata.description,
    priceCents: input.metadata.priceCents,
    previewSeconds: input.metadata.previewSeconds,
    sourceKey: input.source.sourceKey,
    sourceBytes: String(input.source.sourceBytes),
    sourceFilename: input.source.filename.slice(0, 255),
  });
  await deps.em.flush();
  const { masterKey } = deps.config.media;
  deps.em.create(VideoKeyEntity, {
    videoId: video.id,
    tenantId: deps.tenantId,
    keyId: randomBytes(12).toString('base64url'),
    sealedKey: seal(masterKey, randomBytes(16), `key:${video.id}`),
    iv: randomBytes(16),
    sealedSegmentSecret: seal(masterKey, randomBytes(32), `segments:${video.id}`),
  });
  await enqueue(
    deps.em,
    'transcode_video',
    { tenantId: deps.tenantId, videoId: video.id },
    { jobKey: `transcode:${video.id}`, maxAttempts: 5 },
  );
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.creatorId,
    action: 'video.uploaded',
    subject: video.id,
    ip: input.ip ?? null,
  });
  await deps.em.flush();
  return { videoId: video.id };
}
