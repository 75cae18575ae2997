import type { Role } from '../entities';
import type { EntityManager } from '../orm';

/**
 * The per-request lookups of authentication, in plain SQL: each is one round trip that returns
 * plain objects, with no entity hydration or identity map. Run them through a tenant's `em`
 * (`withTenant`): row-level security then hides the sessions, tokens and memberships of other
 * tenants.
 */

/** The account a credential belongs to; null when the user row is gone. */
export interface CredentialUser {
  username: string;
  email: string | null;
  isHubAdmin: boolean;
  status: 'active' | 'disabled';
}

export interface CredentialLookup {
  id: string;
  userId: string;
  expiresAt: Date | null;
  /** sessions.last_seen_at, api_tokens.last_used_at */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: CredentialUser | null;
  /** The user's membership role in the tenant looked up with. */
  role: Role | null;
}

interface CredentialRow {
  id: string;
  user_id: string;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  /** The user's columns are null together, when the user row is gone. */
  username: string | null;
  email: string | null;
  is_hub_admin: boolean | null;
  status: 'active' | 'disabled' | null;
  role: Role | null;
}

/** Milliseconds since the epoch, truncated as `new Date(text)` truncates a timestamptz. */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const credentialSql = (table: 'sessions' | 'api_tokens', lastUsedColumn: string) => `
  SELECT c.id, c.user_id, ${epochMs('c.expires_at')} AS expires_at,
         ${epochMs(`c.${lastUsedColumn}`)} AS last_used_at, ${epochMs('c.revoked_at')} AS revoked_at,
         u.username, u.email, u.is_hub_admin, u.status, m.role
    FROM ${table} c
    LEFT JOIN users u ON u.id = c.user_id
    LEFT JOIN memberships m ON m.tenant_id = ? AND m.user_id = c.user_id
   WHERE c.token_hash = ?`;

const sessionSql = credentialSql('sessions', 'last_seen_at');
const apiTokenSql = credentialSql('api_tokens', 'last_used_at');

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

async function findCredential(
  em: EntityManager,
  sql: string,
  tenantId: string,
  tokenHash: Buffer,
): Promise<CredentialLookup | null> {
  const [row] = await em.execute<CredentialRow[]>(sql, [tenantId, tokenHash]);
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
    user:
      row.username === null || row.status === null || row.is_hub_admin === null
        ? null
        : { username: row.username, email: row.email, isHubAdmin: row.is_hub_admin, status: row.status },
    role: row.role,
  };
}

/** The session with this token hash, its user and the user's role in `tenantId`, in one query. */
export function findSessionCredential(
  em: EntityManager,
  tenantId: string,
  tokenHash: Buffer,
): Promise<CredentialLookup | null> {
  return findCredential(em, sessionSql, tenantId, tokenHash);
}

/** The API token with this hash, its user and the user's role in `tenantId`, in one query. */
export function findApiTokenCredential(
  em: EntityManager,
  tenantId: string,
  tokenHash: Buffer,
): Promise<CredentialLookup | null> {
  return findCredential(em, apiTokenSql, tenantId, tokenHash);
}

export async function touchSession(em: EntityManager, id: string, at: Date): Promise<void> {
  await em.execute('UPDATE sessions SET last_seen_at = ? WHERE id = ?', [at, id], 'run');
}

export async function touchApiToken(em: EntityManager, id: string, at: Date): Promise<void> {
  await em.execute('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at, id], 'run');
}

export interface UserProfile {
  id: string;
  username: string;
  email: string | null;
  hasPassword: boolean;
  isHubAdmin: boolean;
  /** Oldest first. */
  wallets: { address: string; chainId: number }[];
}

interface UserProfileRow {
  id: string;
  username: string;
  email: string | null;
  has_password: boolean;
  is_hub_admin: boolean;
  wallets: { address: string; chainId: number }[];
}

const userProfileSql = `
  SELECT u.id, u.username, u.email, u.password_hash IS NOT NULL AS has_password, u.is_hub_admin,
         coalesce((SELECT json_agg(json_build_object('address', w.address, 'chainId', w.chain_id)
                                   ORDER BY w.created_at)
                     FROM wallets w
                    WHERE w.user_id = u.id), '[]') AS wallets
    FROM users u
   WHERE u.id = ?`;

/** A user with whether they have a password (never the hash) and their linked wallets, in one query. */
export async function findUserProfile(em: EntityManager, userId: string): Promise<UserProfile | null> {
  const [row] = await em.execute<UserProfileRow[]>(userProfileSql, [userId]);
  if (!row) return null;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    hasPassword: row.has_password,
    isHubAdmin: row.is_hub_admin,
    wallets: row.wallets,
  };
}
