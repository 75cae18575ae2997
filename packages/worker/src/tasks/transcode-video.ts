import { type AppDeps, unseal } from '@ppv/core';
import { LockMode, type Video, VideoEntity, VideoKeyEntity, withTenant } from '@ppv/db';
import {
  computeLadder,
  type FfmpegTools,
  hlsPrefix,
  MediaError,
  type MediaErrorCode,
  packageLayout,
  probeMedia,
  transcodeToHls,
  type VideoEncoder,
  type VideoManifest,
  videoPrefix,
} from '@ppv/media';
import { patternSeedOf } from '@ppv/media/watermark';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({ tenantId: z.uuid(), videoId: z.uuid() });

export interface TranscodeDeps extends AppDeps {
  /** The located ffmpeg and ffprobe. */
  tools: FfmpegTools;
  encoder: VideoEncoder;
  /** Make the forensic A/B variants of every rendition (default true). */
  watermark?: boolean;
  /** How often a running transcode saves its progress and checks its video still exists (2 s). */
  watchIntervalMs?: number;
}

/** Input faults: the same file fails the same way every time, so the video is marked and not retried. */
const PERMANENT: ReadonlySet<MediaErrorCode> = new Set([
  'EMPTY_FILE',
  'NOT_MEDIA',
  'EXTENSION_MISMATCH',
  'NO_VIDEO',
  'TOO_LARGE_DIMENSIONS',
  'TOO_LONG',
]);

/** Abort reasons: the video was deleted, or this worker is shutting down. */
class VideoGone extends Error {}
class WorkerStopping extends Error {}

/** The share of the progress bar the ffmpeg run takes; packaging and publishing take the rest. */
const TRANSCODE_SHARE = 0.95;

/**
 * Transcodes a video's source into its published HLS layout (see docs/media.md): probe, then one
 * ffmpeg run into a private staging folder making the ladder with the A/B watermark variants of
 * every rung (encrypted), their tracer references, the preview, poster and storyboard; segments
 * named, manifest written, then published atomically and the row marked ready under a row lock. Bad input marks the video `error` and returns; anything
 * else is recorded and thrown, so graphile-worker retries with backoff (the last attempt marks the
 * video `error`). Deleting the video while it runs kills ffmpeg and leaves nothing behind; a killed
 * worker leaves only a staging folder, which the retry removes before it starts.
 */
export const transcodeVideoTask =
  (deps: TranscodeDeps): Task =>
  async (rawPayload, helpers) => {
    const payload = payloadSchema.safeParse(rawPayload);
    if (!payload.success) {
      helpers.logger.error(`transcode_video: dropping malformed payload: ${payload.error.message}`);
      return;
    }
    const finalAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    const outcome = await transcodeVideo(deps, {
      ...payload.data,
      finalAttempt,
      attempt: helpers.job.attempts,
      maxAttempts: helpers.job.max_attempts,
      signal: helpers.abortSignal,
    });
    helpers.logger.info(`transcode_video ${payload.data.videoId}: ${outcome}`);
  };

type Outcome = 'ready' | 'already ready' | 'deleted' | 'rejected';

async function transcodeVideo(
  deps: TranscodeDeps,
  input: {
    tenantId: string;
    videoId: string;
    finalAttempt: boolean;
    attempt: number;
    maxAttempts: number;
    signal: AbortSignal | undefined;
  },
): Promise<Outcome> {
  const { tenantId, videoId } = input;
  const { storage } = deps;
  const log = deps.logger.child({ task: 'transcode_video', tenantId, videoId });
  const stagingLabel = `transcode-${videoId}`;
  // Only one run of this job exists at a time, so anything under the label is a dead run's.
  await storage.removeStaging(stagingLabel);

  const started = await withTenant(deps.orm, tenantId, async (em) => {
    const video = await em.findOne(VideoEntity, { id: videoId });
    if (!video) return null;
    if (video.status === 'ready') return 'ready' as const;
    const key = await em.findOneOrFail(VideoKeyEntity, { videoId });
    video.status = 'processing';
    video.progress = 0;
    video.attempts += 1;
    const { masterKey } = deps.config.media;
    return {
      sourceKey: video.sourceKey ?? null,
      previewSeconds: video.previewSeconds,
      keyId: key.keyId,
      iv: key.iv,
      keyBytes: unseal(masterKey, key.sealedKey, `key:${videoId}`),
      segmentSecret: unseal(masterKey, key.sealedSegmentSecret, `segments:${videoId}`),
    };
  });
  if (started === null) return 'deleted';
  if (started === 'ready') return 'already ready';

  const controller = new AbortController();
  const onStop = () => controller.abort(new WorkerStopping('the worker is shutting down'));
  if (input.signal?.aborted) onStop();
  input.signal?.addEventListener('abort', onStop, { once: true });
  const watcher = watchVideo(deps, { tenantId, videoId, controller, log });
  try {
    if (!started.sourceKey) throw new MediaError('NOT_MEDIA', 'the video has no uploaded source');
    const source = storage.localPath(started.sourceKey);
    if (!(await storage.stat(started.sourceKey)))
      throw new Error(`the uploaded source ${started.sourceKey} is missing from storage`);
    const { signal } = controller;
    const probe = await probeMedia(source, { ffprobe: deps.tools.ffprobe, signal });
    const staging = await storage.stagingDir(stagingLabel);
    const watermark = deps.watermark ?? true;
    const hls = await transcodeToHls({
      input: source,
      outDir: staging,
      probe,
      ladder: computeLadder(probe),
      segmentSeconds: deps.config.media.segmentSeconds,
      key: { keyBytes: started.keyBytes, iv: started.iv, keyUri: `key://${started.keyId}` },
      encoder: deps.encoder,
      ffmpeg: deps.tools.ffmpeg,
      preview: started.previewSeconds > 0 ? { seconds: started.previewSeconds } : null,
      watermark: watermark ? { patternSeed: patternSeedOf(started.segmentSecret) } : null,
      signal,
      onProgress: (p) => watcher.report(p.fraction * TRANSCODE_SHARE),
    });
    signal.throwIfAborted();
    const manifest = await packageLayout({ outDir: staging, hls, segmentSecret: started.segmentSecret });
    signal.throwIfAborted();
    await watcher.stop();
    const published = await publish(deps, { tenantId, videoId, staging, manifest, hasAudio: probe.hasAudio });
    if (!published) {
      // Deleted between the last check and the lock: its files-deletion job may already have run.
      await storage.deletePrefix(videoPrefix(tenantId, videoId));
      return 'deleted';
    }
    return 'ready';
  } catch (error) {
    await watcher.stop();
    const reason: unknown = controller.signal.reason;
    if (reason instanceof VideoGone) {
      log.info('video deleted while transcoding: stopped');
      return 'deleted';
    }
    if (reason instanceof WorkerStopping) {
      // The interruption still counts as an attempt for graphile-worker.
      await record(
        deps,
        tenantId,
        videoId,
        input.finalAttempt
          ? {
              status: 'error',
              progress: 0,
              lastError: 'Interrupted by a worker restart on its last attempt.',
            }
          : { status: 'queued', lastError: 'Interrupted by a worker restart; it will start again shortly.' },
      );
      throw reason;
    }
    if (error instanceof MediaError && PERMANENT.has(error.code)) {
      log.info({ code: error.code, err: error }, 'source rejected');
      await record(deps, tenantId, videoId, {
        status: 'error',
        progress: 0,
        lastError: `The uploaded file cannot be transcoded: ${error.message}.`,
      });
      return 'rejected';
    }
    log.warn({ err: error, attempt: input.attempt, final: input.finalAttempt }, 'transcode failed');
    // Shown to the creator: no server paths (ffmpeg's last line may name a staging file).
    const message = (error instanceof Error ? error.message : String(error))
      .replace(/(?:\/[\w.@-]+)+\/([\w.@-]+)/g, '$1')
      .slice(0, 500);
    await record(
      deps,
      tenantId,
      videoId,
      input.finalAttempt
        ? {
            status: 'error',
            progress: 0,
            lastError: `Transcoding failed after ${input.attempt} attempts: ${message}`,
          }
        : {
            status: 'queued',
            lastError: `Transcoding failed (attempt ${input.attempt} of ${input.maxAttempts}), retrying: ${message}`,
          },
    );
    throw error;
  } finally {
    await watcher.stop();
    input.signal?.removeEventListener('abort', onStop);
    // What was published is no longer under the label; everything else goes.
    await storage.removeStaging(stagingLabel);
  }
}

/**
 * Publishes the staging folder and marks the video ready in one transaction holding the video's row
 * lock, so a concurrent delete either comes first (nothing is published) or waits and then removes
 * what was published. Returns false when the video is gone.
 */
async function publish(
  deps: TranscodeDeps,
  input: { tenantId: string; videoId: string; staging: string; manifest: VideoManifest; hasAudio: boolean },
): Promise<boolean> {
  const { manifest } = input;
  return withTenant(deps.orm, input.tenantId, async (em) => {
    const video = await em.findOne(
      VideoEntity,
      { id: input.videoId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!video) return false;
    await deps.storage.publishDir(hlsPrefix(input.tenantId, input.videoId), input.staging);
    const top = manifest.renditions[0]!;
    em.assign(video, {
      status: 'ready',
      progress: 1,
      lastError: null,
      durationSeconds: manifest.durationSeconds.toFixed(3),
      width: top.width,
      height: top.height,
      hasAudio: input.hasAudio,
      segmentSeconds: manifest.segmentSeconds,
      segmentCount: manifest.segmentCount,
      renditions: manifest.renditions.map(({ name, width, height, bandwidth }) => ({
        name,
        width,
        height,
        bandwidth,
      })),
      hasPreview: manifest.preview !== null,
      readyAt: deps.clock(),
    });
    return true;
  });
}

/** Writes a state change to the video row (a no-op when the video is gone). */
async function record(
  deps: TranscodeDeps,
  tenantId: string,
  videoId: string,
  changes: Partial<Pick<Video, 'status' | 'progress' | 'lastError'>>,
): Promise<void> {
  await withTenant(deps.orm, tenantId, (em) => em.nativeUpdate(VideoEntity, { id: videoId }, changes));
}

/**
 * Every `watchIntervalMs` while a transcode runs: saves the latest progress (each write its own short
 * transaction) or, when it has not moved, checks the row is still there; a missing row aborts the
 * run with VideoGone.
 */
function watchVideo(
  deps: TranscodeDeps,
  input: { tenantId: string; videoId: string; controller: AbortController; log: AppDeps['logger'] },
) {
  let latest = 0;
  let saved = 0;
  let running: Promise<void> | null = null;
  const tick = async () => {
    try {
      const value = Math.round(latest * 1000) / 1000;
      const exists = await withTenant(deps.orm, input.tenantId, async (em) =>
        value > saved
          ? (await em.nativeUpdate(VideoEntity, { id: input.videoId }, { progress: value })) > 0
          : (await em.count(VideoEntity, { id: input.videoId })) > 0,
      );
      if (exists) saved = Math.max(saved, value);
      else input.controller.abort(new VideoGone('the video was deleted'));
    } catch (error) {
      input.log.warn({ err: error }, 'could not save transcode progress');
    } finally {
      running = null;
    }
  };
  const timer = setInterval(() => {
    if (!running && !input.controller.signal.aborted) running = tick();
  }, deps.watchIntervalMs ?? 2000);
  timer.unref();
  return {
    report(fraction: number) {
      latest = Math.min(1, Math.max(latest, fraction));
    },
    /** Stops watching; resolves once a save in flight is done, so it cannot land after a later write. */
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
