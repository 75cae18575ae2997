import { type AppDeps, type Mailer, sendOutboxEmail } from '@ppv/core';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({ tenantId: z.uuid(), outboxId: z.uuid() });

/** Delivers one outbox email; SMTP failures throw, so graphile-worker retries with backoff. */
export const sendEmailTask =
  (deps: AppDeps & { mailer: Mailer | null; mailFrom: string }): Task =>
  async (rawPayload, helpers) => {
    const payload = payloadSchema.safeParse(rawPayload);
    if (!payload.success) {
      helpers.logger.error(`send_email: dropping malformed payload: ${payload.error.message}`);
      return;
    }
    const finalAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    const outcome = await sendOutboxEmail(deps, { ...payload.data, finalAttempt });
    helpers.logger.debug(`send_email ${payload.data.outboxId}: ${outcome}`);
  };
