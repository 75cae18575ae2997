import { PasswordResetEntity, UserEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { sha256 } from '../../lib/crypto';
import { passwordWeakness } from '../../lib/password-policy';
import { hashPassword } from '../../lib/passwords';
import { recordAudit } from '../audit/record-audit';
import { revokeUserSessionsEverywhere } from './revoke-user-sessions';

/** Sets a new password from a reset link (single use, expiring, this tenant's) and signs out everywhere. */
export async function resetPassword(
  deps: TenantDeps,
  input: { token: string; newPassword: string; ip: string },
): Promise<void> {
  const reset = await deps.em.findOne(PasswordResetEntity, { tokenHash: sha256(input.token) });
  if (!reset)
    throw new AppError('BAD_REQUEST', 'This reset link is invalid; request a new one', { field: 'token' });
  if (reset.usedAt)
    throw new AppError('BAD_REQUEST', 'This reset link was already used; request a new one', {
      field: 'token',
    });
  const now = deps.clock();
  if (reset.expiresAt <= now)
    throw new AppError('BAD_REQUEST', 'This reset link has expired; request a new one', { field: 'token' });
  const user = await deps.em.findOneOrFail(UserEntity, { id: reset.userId });
  const weakness = passwordWeakness(input.newPassword, user);
  if (weakness) throw new AppError('BAD_REQUEST', weakness, { field: 'newPassword' });

  // Claim the token atomically: of two concurrent uses, one wins.
  const claimed = await deps.em.execute<{ id: string }[]>(
    'UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING id',
    [now, reset.id],
  );
  if (claimed.length === 0)
    throw new AppError('BAD_REQUEST', 'This reset link was already used; request a new one', {
      field: 'token',
    });
  user.passwordHash = await hashPassword(input.newPassword);
  await revokeUserSessionsEverywhere(deps.em, user.id, null, now);
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: user.id,
    action: 'auth.password_reset',
    subject: user.id,
    ip: input.ip,
  });
}
