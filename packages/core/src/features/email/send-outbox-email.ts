import { OutboxEmailEntity, withTenant } from '@ppv/db';
import type { AppDeps } from '../../deps';
import type { Mailer } from './mailer';

/**
 * Delivers one outbox email. Without SMTP (development) the email is written to the log and kept in
 * the outbox as `logged`. An SMTP failure is recorded on the row and rethrown so the job retries.
 */
export async function sendOutboxEmail(
  deps: AppDeps & { mailer: Mailer | null; mailFrom: string },
  input: { tenantId: string; outboxId: string; finalAttempt?: boolean },
): Promise<'sent' | 'logged' | 'skipped'> {
  const email = await withTenant(deps.orm, input.tenantId, (em) =>
    em.findOne(OutboxEmailEntity, { id: input.outboxId }),
  );
  if (!email || email.status === 'sent' || email.status === 'logged') return 'skipped';
  let outcome: 'sent' | 'logged' = 'logged';
  let failure: Error | null = null;
  if (deps.mailer) {
    try {
      await deps.mailer.send({
        from: deps.mailFrom,
        to: email.toAddress,
        subject: email.subject,
        text: email.textBody,
      });
      outcome = 'sent';
    } catch (error) {
      failure = error as Error;
    }
  } else {
    deps.logger.info(
      { to: email.toAddress, subject: email.subject, body: email.textBody },
      'email (no SMTP configured)',
    );
  }
  await withTenant(deps.orm, input.tenantId, async (em) => {
    const row = await em.findOneOrFail(OutboxEmailEntity, { id: input.outboxId });
    row.attempts += 1;
    if (failure) {
      row.lastError = failure.message.slice(0, 1000);
      if (input.finalAttempt) row.status = 'failed';
    } else {
      row.status = outcome;
      row.sentAt = deps.clock();
      row.lastError = null;
    }
  });
  if (failure) throw failure;
  return outcome;
}
