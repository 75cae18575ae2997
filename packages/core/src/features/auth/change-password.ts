import { UserEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { passwordWeakness } from '../../lib/password-policy';
import { hashPassword, verifyPassword } from '../../lib/passwords';
import { recordAudit } from '../audit/record-audit';
import { revokeUserSessionsEverywhere } from './revoke-user-sessions';

/**
 * Changes (or, for a wallet-only account, sets) the password and revokes every other session.
 * Returns how many sessions were signed out.
 */
export async function changePassword(
  deps: TenantDeps,
  input: { auth: AuthInfo; currentPassword?: string | undefined; newPassword: string; ip: string },
): Promise<{ revokedSessions: number }> {
  const user = await deps.em.findOneOrFail(
    UserEntity,
    { id: input.auth.userId },
    { populate: ['passwordHash'] },
  );
  if (user.passwordHash) {
    if (!input.currentPassword)
      throw new AppError('BAD_REQUEST', 'Enter your current password', { field: 'currentPassword' });
    if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw new AppError('BAD_REQUEST', 'Your current password is incorrect', { field: 'currentPassword' });
    }
  }
  const weakness = passwordWeakness(input.newPassword, user);
  if (weakness) throw new AppError('BAD_REQUEST', weakness, { field: 'newPassword' });
  if (input.currentPassword === input.newPassword) {
    throw new AppError('BAD_REQUEST', 'The new password must differ from the current one', {
      field: 'newPassword',
    });
  }
  user.passwordHash = await hashPassword(input.newPassword);
  const revokedSessions = await revokeUserSessionsEverywhere(
    deps.em,
    user.id,
    input.auth.sessionId,
    deps.clock(),
  );
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: user.id,
    action: 'auth.password_changed',
    subject: user.id,
    ip: input.ip,
  });
  return { revokedSessions };
}
