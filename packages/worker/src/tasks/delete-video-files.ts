import type { AppDeps } from '@ppv/core';
import { VideoEntity, withTenant } from '@ppv/db';
import { videoPrefix } from '@ppv/media';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({ tenantId: z.uuid(), videoId: z.uuid() });

/**
 * Removes everything a deleted video had in storage: `<tenantId>/<videoId>/` (source and published
 * outputs). A transcode still running notices the missing row and cleans its own staging folder.
 */
export const deleteVideoFilesTask =
  (deps: AppDeps): Task =>
  async (rawPayload, helpers) => {
    const payload = payloadSchema.safeParse(rawPayload);
    if (!payload.success) {
      helpers.logger.error(`delete_video_files: dropping malformed payload: ${payload.error.message}`);
      return;
    }
    const { tenantId, videoId } = payload.data;
    const exists = await withTenant(deps.orm, tenantId, (em) => em.count(VideoEntity, { id: videoId }));
    if (exists > 0) {
      helpers.logger.warn(`delete_video_files ${videoId}: the video still exists, keeping its files`);
      return;
    }
    await deps.storage.deletePrefix(videoPrefix(tenantId, videoId));
    helpers.logger.info(`delete_video_files ${videoId}: removed`);
  };
