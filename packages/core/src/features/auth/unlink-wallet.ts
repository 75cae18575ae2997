import { findUserProfile, WalletEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { recordAudit } from '../audit/record-audit';

/**
 * Unlinks one of the caller's wallets (on every chain it was linked on). Refused when it is the
 * account's only way in: no password and no other wallet.
 */
export async function unlinkWallet(
  deps: TenantDeps,
  input: { auth: AuthInfo; address: string; ip: string },
): Promise<void> {
  const user = await findUserProfile(deps.em, input.auth.userId);
  if (!user) throw new AppError('NOT_FOUND', 'This account no longer exists');
  const linked = await deps.em.find(WalletEntity, { userId: input.auth.userId, address: input.address });
  if (linked.length === 0) throw new AppError('NOT_FOUND', 'That wallet is not linked to your account');
  const others = user.wallets.filter((w) => w.address !== input.address);
  if (!user.hasPassword && others.length === 0) {
    throw new AppError(
      'CONFLICT',
      'This wallet is the only way to sign in to your account: link another wallet or set a password first',
    );
  }
  for (const wallet of linked) deps.em.remove(wallet);
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'wallet.unlinked',
    subject: input.address,
    ip: input.ip,
  });
}
