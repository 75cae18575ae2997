import { type AppDeps, makeFramePoster } from '@ppv/core';
import { MediaError } from '@ppv/media';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({ tenantId: z.uuid(), videoId: z.uuid(), atSeconds: z.number().min(0) });

/** Cuts the poster chosen in the studio (a frame time) from the video's source and publishes it. */
export const makePosterTask =
  (deps: AppDeps): Task =>
  async (rawPayload, helpers) => {
    const payload = payloadSchema.safeParse(rawPayload);
    if (!payload.success) {
      helpers.logger.error(`make_poster: dropping malformed payload: ${payload.error.message}`);
      return;
    }
    try {
      const outcome = await makeFramePoster(deps, payload.data);
      helpers.logger.info(`make_poster ${payload.data.videoId}: ${outcome}`);
    } catch (error) {
      // A frame ffmpeg cannot cut will not appear on a retry: the poster stays as it was.
      if (error instanceof MediaError) {
        helpers.logger.error(`make_poster ${payload.data.videoId}: ${error.message}`);
        return;
      }
      throw error;
    }
  };
