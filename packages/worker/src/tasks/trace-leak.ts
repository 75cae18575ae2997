import { type AppDeps, runTrace } from '@ppv/core';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({ tenantId: z.uuid(), traceId: z.uuid() });

/**
 * Traces a leaked recording uploaded from the console (runTrace): the verdict, or the reason it
 * could not be traced, lands on the trace request; the recording is deleted either way.
 */
export const traceLeakTask =
  (deps: AppDeps): Task =>
  async (rawPayload, helpers) => {
    const payload = payloadSchema.safeParse(rawPayload);
    if (!payload.success) {
      helpers.logger.error(`trace_leak: dropping malformed payload: ${payload.error.message}`);
      return;
    }
    const { tenantId, traceId } = payload.data;
    const outcome = await runTrace(deps, {
      tenantId,
      traceId,
      lastAttempt: helpers.job.attempts >= helpers.job.max_attempts,
    });
    helpers.logger.info(`trace_leak ${traceId}: ${outcome}`);
  };
