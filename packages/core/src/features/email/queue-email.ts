import { OutboxEmailEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';
import { enqueue } from '../../lib/jobs';

/** Writes the email to the outbox and enqueues its delivery, both in the caller's transaction. */
export async function queueEmail(
  deps: TenantDeps,
  input: { to: string; subject: string; text: string },
): Promise<string> {
  const email = deps.em.create(OutboxEmailEntity, {
    tenantId: deps.tenantId,
    toAddress: input.to,
    subject: input.subject,
    textBody: input.text,
  });
  await deps.em.flush();
  await enqueue(
    deps.em,
    'send_email',
    { tenantId: deps.tenantId, outboxId: email.id },
    { jobKey: `email:${email.id}` },
  );
  return email.id;
}
