import { type AppDeps, sweepExpired } from '@ppv/core';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({}).passthrough();

/** Recurring clean-up of expired sessions, reset tokens, nonces and rate-limit windows. */
export const sweepExpiredTask =
  (deps: AppDeps): Task =>
  async (rawPayload, helpers) => {
    payloadSchema.parse(rawPayload ?? {});
    const deleted = await sweepExpired(deps);
    deps.logger.info({ deleted, job: helpers.job.id }, 'swept expired rows');
  };
