import { type ApiToken, ApiTokenEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { notFound } from '../../errors';
import { randomToken, sha256 } from '../../lib/crypto';
import { recordAudit } from '../audit/record-audit';
import { API_TOKEN_PREFIX } from './token-format';

export interface ApiTokenView {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const view = (t: ApiToken): ApiTokenView => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt ?? null,
  lastUsedAt: t.lastUsedAt ?? null,
  revokedAt: t.revokedAt ?? null,
});

/** Creates a personal API token. The secret is returned once; only its hash is stored. */
export async function createApiToken(
  deps: TenantDeps,
  input: { auth: AuthInfo; name: string; expiresInDays?: number | undefined; ip: string },
): Promise<ApiTokenView & { token: string }> {
  const token = `${API_TOKEN_PREFIX}${randomToken(32)}`;
  const now = deps.clock();
  const row = deps.em.create(ApiTokenEntity, {
    tenantId: deps.tenantId,
    userId: input.auth.userId,
    name: input.name,
    tokenHash: sha256(token),
    prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
    createdAt: now,
    expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
  });
  await deps.em.flush();
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'api_token.created',
    subject: row.id,
    ip: input.ip,
  });
  return { ...view(row), token };
}

export async function listApiTokens(deps: TenantDeps, auth: AuthInfo): Promise<ApiTokenView[]> {
  const rows = await deps.em.find(
    ApiTokenEntity,
    { userId: auth.userId },
    { orderBy: { createdAt: 'desc' } },
  );
  return rows.map(view);
}

export async function revokeApiToken(
  deps: TenantDeps,
  input: { auth: AuthInfo; tokenId: string; ip: string },
): Promise<void> {
  const row = await deps.em.findOne(ApiTokenEntity, { id: input.tokenId, userId: input.auth.userId });
  if (!row) throw notFound('API token');
  row.revokedAt ??= deps.clock();
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'api_token.revoked',
    subject: row.id,
    ip: input.ip,
  });
}
