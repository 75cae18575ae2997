import { CreatorBlockEntity, UserEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { recordAudit } from '../audit/record-audit';
import { findGrantee } from '../videos/manage-videos';

async function viewerNamed(deps: TenantDeps, who: string) {
  const user = await findGrantee(deps, who);
  if (!user) throw new AppError('NOT_FOUND', `No account "${who}" on this hub`);
  return user;
}

/**
 * The creator blocks a viewer: from then on the viewer can neither buy nor watch the creator's
 * videos in this tenant (an existing purchase stops playing too).
 */
export async function blockViewer(
  deps: TenantDeps,
  input: { auth: AuthInfo; who: string; reason?: string | undefined; ip: string },
) {
  const user = await viewerNamed(deps, input.who);
  if (user.id === input.auth.userId) throw new AppError('BAD_REQUEST', 'You cannot block yourself');
  const key = { tenantId: deps.tenantId, creatorId: input.auth.userId, userId: user.id };
  if (!(await deps.em.findOne(CreatorBlockEntity, key))) {
    deps.em.create(CreatorBlockEntity, { ...key, reason: input.reason ?? null });
    recordAudit(deps.em, {
      tenantId: deps.tenantId,
      actorUserId: input.auth.userId,
      action: 'creator.blocked',
      subject: user.id,
      ip: input.ip,
    });
    await deps.em.flush();
  }
  return { userId: user.id, username: user.username };
}

export async function unblockViewer(deps: TenantDeps, input: { auth: AuthInfo; who: string; ip: string }) {
  const user = await viewerNamed(deps, input.who);
  const removed = await deps.em.nativeDelete(CreatorBlockEntity, {
    tenantId: deps.tenantId,
    creatorId: input.auth.userId,
    userId: user.id,
  });
  if (!removed) throw new AppError('NOT_FOUND', `"${input.who}" is not on your block list`);
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'creator.unblocked',
    subject: user.id,
    ip: input.ip,
  });
  return { userId: user.id, username: user.username };
}

/** The caller's block list, newest first. */
export async function listBlocks(deps: TenantDeps, input: { auth: AuthInfo }) {
  const blocks = await deps.em.find(
    CreatorBlockEntity,
    { creatorId: input.auth.userId },
    { orderBy: { createdAt: 'desc' } },
  );
  const users = await deps.em.find(UserEntity, { id: { $in: blocks.map((b) => b.userId) } });
  const byId = new Map(users.map((u) => [u.id, u.username]));
  return blocks.map((b) => ({
    userId: b.userId,
    username: byId.get(b.userId) ?? '',
    reason: b.reason ?? null,
    createdAt: b.createdAt,
  }));
}
