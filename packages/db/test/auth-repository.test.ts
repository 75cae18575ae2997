import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiTokenEntity,
  findApiTokenCredential,
  findSessionCredential,
  findUserProfile,
  MembershipEntity,
  SessionEntity,
  TenantEntity,
  touchApiToken,
  touchSession,
  UserEntity,
  WalletEntity,
  withTenant,
} from '../src/index';
import { createTestDatabase, type TestDatabase } from '../src/testing';

let db: TestDatabase;
let tenantA: string;
let tenantB: string;
let userId: string;
const sessionHash = randomBytes(32);
const tokenHash = randomBytes(32);
/** Microseconds in the database; the lookups answer to the millisecond, as the ORM does. */
const expiresAt = '2031-02-03T04:05:06.789123Z';

beforeAll(async () => {
  db = await createTestDatabase();
  const em = db.orm.em.fork();
  const a = em.create(TenantEntity, { slug: 'auth-repo-a', name: 'A' });
  const b = em.create(TenantEntity, { slug: 'auth-repo-b', name: 'B' });
  const user = em.create(UserEntity, { username: 'auth_repo', email: 'auth-repo@example.com' });
  await em.flush();
  tenantA = a.id;
  tenantB = b.id;
  userId = user.id;
  await withTenant(db.orm, tenantA, async (tx) => {
    tx.create(MembershipEntity, { tenantId: tenantA, userId, role: 'creator' });
    tx.create(SessionEntity, {
      tenantId: tenantA,
      userId,
      tokenHash: sessionHash,
      authMethod: 'password',
      expiresAt: new Date(),
    });
    tx.create(ApiTokenEntity, { tenantId: tenantA, userId, name: 'ci', tokenHash, prefix: 'ppv_pat_x' });
    await tx.flush();
    await tx.execute('UPDATE sessions SET expires_at = ? WHERE token_hash = ?', [expiresAt, sessionHash]);
  });
});

afterAll(() => db?.drop());

describe('credential lookups', () => {
  it('finds a session with its user and the role in the tenant, and dates as the ORM reads them', async () => {
    const found = await withTenant(db.orm, tenantA, (em) => findSessionCredential(em, tenantA, sessionHash));
    const entity = await withTenant(db.orm, tenantA, (em) =>
      em.findOneOrFail(SessionEntity, { tokenHash: sessionHash }),
    );
    expect(found).toEqual({
      id: entity.id,
      userId,
      expiresAt: entity.expiresAt,
      lastUsedAt: entity.lastSeenAt,
      revokedAt: null,
      user: { username: 'auth_repo', email: 'auth-repo@example.com', isHubAdmin: false, status: 'active' },
      role: 'creator',
    });
    expect(found?.expiresAt?.toISOString()).toBe('2031-02-03T04:05:06.789Z');
  });

  it('finds an API token, never used yet', async () => {
    const found = await withTenant(db.orm, tenantA, (em) => findApiTokenCredential(em, tenantA, tokenHash));
    expect(found).toMatchObject({
      userId,
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      role: 'creator',
    });
  });

  it("behavior: another tenant's scope sees neither the session nor the token", async () => {
    await withTenant(db.orm, tenantB, async (em) => {
      expect(await findSessionCredential(em, tenantB, sessionHash)).toBeNull();
      expect(await findApiTokenCredential(em, tenantB, tokenHash)).toBeNull();
    });
  });

  it('behavior: the role is that of the tenant asked for; none without a membership there', async () => {
    const found = await withTenant(db.orm, tenantA, (em) => findSessionCredential(em, tenantB, sessionHash));
    expect(found?.role).toBeNull();
    expect(found?.user?.username).toBe('auth_repo');
  });

  it('an unknown hash is null', async () => {
    const found = await withTenant(db.orm, tenantA, (em) =>
      findSessionCredential(em, tenantA, randomBytes(32)),
    );
    expect(found).toBeNull();
  });

  it('records the use of a session and of a token, inside the transaction', async () => {
    const at = new Date('2030-01-01T00:00:00.123Z');
    const { id: sessionId } = (await withTenant(db.orm, tenantA, (em) =>
      findSessionCredential(em, tenantA, sessionHash),
    ))!;
    const { id: tokenId } = (await withTenant(db.orm, tenantA, (em) =>
      findApiTokenCredential(em, tenantA, tokenHash),
    ))!;
    await withTenant(db.orm, tenantA, async (em) => {
      await touchSession(em, sessionId, at);
      await touchApiToken(em, tokenId, at);
    });
    await expect(
      withTenant(db.orm, tenantA, async (em) => {
        await touchSession(em, sessionId, new Date('2030-06-01T00:00:00Z'));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await withTenant(db.orm, tenantA, async (em) => {
      expect((await findSessionCredential(em, tenantA, sessionHash))?.lastUsedAt).toEqual(at);
      expect((await findApiTokenCredential(em, tenantA, tokenHash))?.lastUsedAt).toEqual(at);
    });
  });
});

describe('user profile', () => {
  it('says whether there is a password, never its hash, and lists wallets oldest first', async () => {
    const em = db.orm.em.fork();
    const user = em.create(UserEntity, { username: 'profile_u', email: null, passwordHash: null });
    await em.flush();
    em.create(WalletEntity, {
      userId: user.id,
      address: `0x${'b'.repeat(40)}`,
      chainId: 1,
      createdAt: new Date('2030-01-02T00:00:00Z'),
    });
    em.create(WalletEntity, {
      userId: user.id,
      address: `0x${'a'.repeat(40)}`,
      chainId: 31337,
      createdAt: new Date('2030-01-01T00:00:00Z'),
    });
    await em.flush();
    expect(await findUserProfile(db.orm.em.fork(), user.id)).toEqual({
      id: user.id,
      username: 'profile_u',
      email: null,
      hasPassword: false,
      isHubAdmin: false,
      wallets: [
        { address: `0x${'a'.repeat(40)}`, chainId: 31337 },
        { address: `0x${'b'.repeat(40)}`, chainId: 1 },
      ],
    });
    await em.nativeUpdate(UserEntity, { id: user.id }, { passwordHash: 'argon2-hash' });
    const again = await findUserProfile(db.orm.em.fork(), user.id);
    expect(again).toMatchObject({ hasPassword: true, wallets: expect.any(Array) });
    expect(JSON.stringify(again)).not.toContain('argon2-hash');
  });

  it('an unknown user is null', async () => {
    expect(await findUserProfile(db.orm.em.fork(), crypto.randomUUID())).toBeNull();
  });
});
