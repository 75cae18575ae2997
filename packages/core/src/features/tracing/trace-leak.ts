import { join } from 'node:path';
import { PlaybackSessionEntity, TenantEntity, UserEntity, VideoEntity, withHubScope } from '@ppv/db';
import { hlsPrefix, MANIFEST_FILE, type VideoManifest } from '@ppv/media';
import { type TraceResult, traceLeak } from '@ppv/media/watermark';
import type { AppDeps } from '../../deps';
import { AppError } from '../../errors';

export interface TraceVerdict {
  verdict: 'match' | 'no_match';
  /** Per video examined: the tracer's answer. */
  videos: { videoId: string; title: string; result: TraceResult }[];
  /** When a session was named: who, where and when. */
  match: {
    sessionId: string;
    code: string;
    videoId: string;
    videoTitle: string;
    tenant: { id: string; slug: string; name: string };
    viewer: { id: string; username: string; email: string | null };
    startedAt: Date;
    ip: string | null;
    confidence: number;
    falseMatchProbability: number;
    bitsRecovered: number;
    bitErrors: number;
  } | null;
}

async function readManifest(deps: AppDeps, tenantId: string, videoId: string): Promise<VideoManifest | null> {
  const key = `${hlsPrefix(tenantId, videoId)}/${MANIFEST_FILE}`;
  if (!(await deps.storage.stat(key))) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of deps.storage.read(key)) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as VideoManifest;
}

/**
 * `ppv trace`: names the playback session (viewer, tenant, time) whose A/B segment sequence a
 * leaked recording carries, among every session of the video — or of every watermarked video when
 * none is given. Says "no match" rather than accuse the wrong viewer. Hub scope: an operator tool.
 */
export async function traceLeakedFile(
  deps: AppDeps,
  input: { file: string; videoId?: string | undefined },
): Promise<TraceVerdict> {
  return withHubScope(deps.orm, async (em) => {
    const videos = await em.find(VideoEntity, input.videoId ? { id: input.videoId } : { status: 'ready' }, {
      orderBy: { createdAt: 'desc' },
    });
    if (input.videoId && videos.length === 0)
      throw new AppError('NOT_FOUND', `No video ${input.videoId} on this hub`);
    const verdict: TraceVerdict = { verdict: 'no_match', videos: [], match: null };
    let best: { z: number; videoId: string; result: Extract<TraceResult, { verdict: 'match' }> } | null =
      null;
    for (const video of videos) {
      const manifest = await readManifest(deps, video.tenantId, video.id);
      if (!manifest?.watermark) {
        if (input.videoId)
          throw new AppError('PRECONDITION_FAILED', `Video ${video.id} has no forensic watermark reference`);
        continue;
      }
      const sessions = await em.find(PlaybackSessionEntity, { videoId: video.id });
      const result = await traceLeak({
        leakedFile: input.file,
        reference: deps.storage.localPath(
          join(hlsPrefix(video.tenantId, video.id), manifest.watermark.reference),
        ),
        candidates: sessions.map((s) => ({ sessionId: s.id, seed: s.seed })),
        ffmpeg: deps.config.media.tools.ffmpeg,
      });
      verdict.videos.push({ videoId: video.id, title: video.title, result });
      if (result.verdict === 'match' && (!best || result.z > best.z))
        best = { z: result.z, videoId: video.id, result };
    }
    if (!best) return verdict;
    const session = await em.findOneOrFail(PlaybackSessionEntity, { id: best.result.sessionId });
    const viewer = await em.findOneOrFail(UserEntity, { id: session.userId });
    const tenant = await em.findOneOrFail(TenantEntity, { id: session.tenantId });
    const video = await em.findOneOrFail(VideoEntity, { id: session.videoId });
    verdict.verdict = 'match';
    verdict.match = {
      sessionId: session.id,
      code: session.code,
      videoId: video.id,
      videoTitle: video.title,
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
      viewer: { id: viewer.id, username: viewer.username, email: viewer.email ?? null },
      startedAt: session.createdAt,
      ip: session.ip ?? null,
      confidence: best.result.confidence,
      falseMatchProbability: best.result.falseMatchProbability,
      bitsRecovered: best.result.bitsRecovered,
      bitErrors: best.result.bitErrors,
    };
    return verdict;
  });
}
