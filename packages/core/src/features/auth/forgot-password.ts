import { randomBytes } from 'node:crypto';
import { PasswordResetEntity, UserEntity } from '@ppv/db';
import type { RequestMeta } from '../../context';
import type { TenantDeps } from '../../deps';
import { b64url, sha256 } from '../../lib/crypto';
import { recordAudit } from '../audit/record-audit';
import { queueEmail } from '../email/queue-email';

export const RESET_TTL_MINUTES = 60;

/**
 * Sends a single-use reset link when the email belongs to an account; answers the same either way.
 * Only a hash of the token is stored.
 */
export async function forgotPassword(
  deps: TenantDeps,
  input: { email: string; req: RequestMeta; tenantName: string },
): Promise<void> {
  const user = await deps.em.findOne(UserEntity, { email: input.email, status: 'active' });
  if (!user) return;
  const token = b64url(randomBytes(32));
  const now = deps.clock();
  deps.em.create(PasswordResetEntity, {
    tenantId: deps.tenantId,
    userId: user.id,
    tokenHash: sha256(token),
    createdAt: now,
    expiresAt: new Date(now.getTime() + RESET_TTL_MINUTES * 60_000),
  });
  const link = `${input.req.secure ? 'https' : 'http'}://${input.req.host}/reset-password?token=${token}`;
  await queueEmail(deps, {
    to: input.email,
    subject: `Reset your ${input.tenantName} password`,
    text: [
      `Hello ${user.username},`,
      '',
      `Someone (hopefully you) asked to reset the password of your ${input.tenantName} account.`,
      `Open this link within ${RESET_TTL_MINUTES} minutes to choose a new one:`,
      '',
      link,
      '',
      'If it was not you, ignore this email: your password stays as it is.',
    ].join('\n'),
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: user.id,
    action: 'auth.reset_requested',
    subject: user.id,
    ip: input.req.ip,
  });
}
