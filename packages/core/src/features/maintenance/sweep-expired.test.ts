import { randomBytes } from 'node:crypto';
import {
  PasswordResetEntity,
  SessionEntity,
  SiweNonceEntity,
  type Tenant,
  withHubScope,
  withTenant,
} from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, PASSWORD, unique } from '../../testing';
import { createUser } from '../users/create-user';
import { sweepExpired } from './sweep-expired';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The sweep compares with the database's clock, not the use-cases' one. */
const ago = (ms: number) => new Date(Date.now() - ms);
const from = (ms: number) => new Date(Date.now() + ms);

/** Rows of every kind in one tenant, each labelled with whether the sweep must keep it. */
async function seed(tenant: Tenant) {
  const name = unique('s');
  const user = await createUser(h.db.orm.em.fork(), {
    username: name,
    email: `${name}@example.com`,
    password: PASSWORD,
  });
  const nonce = (label: string) => `${label}${randomBytes(8).toString('hex')}`;
  return withTenant(h.db.orm, tenant.id, async (em) => {
    const session = (label: string, times: { expiresAt: Date; revokedAt?: Date }) =>
      em.create(SessionEntity, {
        tenantId: tenant.id,
        userId: user.id,
        tokenHash: randomBytes(32),
        authMethod: 'password',
        createdAt: ago(3 * DAY),
        userAgent: label,
        ...times,
      });
    session('keep-live', { expiresAt: from(DAY) });
    session('keep-expired-within-grace', { expiresAt: ago(HOUR) });
    session('keep-revoked-within-grace', { expiresAt: from(DAY), revokedAt: ago(HOUR) });
    session('drop-expired', { expiresAt: ago(2 * DAY) });
    session('drop-revoked', { expiresAt: from(DAY), revokedAt: ago(2 * DAY) });

    const reset = (label: string, times: { expiresAt: Date; usedAt?: Date }) =>
      [
        label,
        em.create(PasswordResetEntity, {
          tenantId: tenant.id,
          userId: user.id,
          tokenHash: randomBytes(32),
          createdAt: ago(3 * DAY),
          ...times,
        }),
      ] as const;
    const resets = [
      reset('keep-live', { expiresAt: from(HOUR) }),
      reset('keep-used-within-grace', { expiresAt: from(HOUR), usedAt: ago(HOUR) }),
      reset('drop-expired', { expiresAt: ago(2 * DAY) }),
      reset('drop-used', { expiresAt: ago(2 * DAY - HOUR), usedAt: ago(2 * DAY) }),
    ];

    const siweNonce = (label: string, expiresAt: Date) =>
      em.create(SiweNonceEntity, {
        nonce: nonce(label),
        tenantId: tenant.id,
        createdAt: ago(DAY),
        expiresAt,
      });
    siweNonce('keep', from(5 * 60_000));
    siweNonce('keepRecentlyExpired', ago(30 * 60_000));
    siweNonce('drop', ago(2 * HOUR));
    await em.flush();
    // Password resets have nothing to label them by but their id, known after the flush.
    return resets.map(([label, row]) => [row.id, label] as const);
  });
}

async function remaining() {
  return withHubScope(h.db.orm, async (em) => {
    const rows = async (sql: string) =>
      (await em.execute<{ label: string }[]>(sql)).map((r) => r.label).sort();
    return {
      sessions: await rows("SELECT tenant_id || ':' || user_agent AS label FROM sessions"),
      resets: await rows('SELECT id::text AS label FROM password_resets'),
      nonces: await rows("SELECT tenant_id || ':' || left(nonce, -16) AS label FROM siwe_nonces"),
      rateLimits: await rows('SELECT key AS label FROM rate_limits'),
      heartbeats: await rows('SELECT worker_id AS label FROM worker_heartbeats'),
    };
  });
}

describe('sweepExpired', () => {
  it('deletes what has expired or was spent long ago, in every tenant, and keeps live rows', async () => {
    const tenants = [await h.tenant(), await h.tenant()];
    const seeded = await Promise.all(tenants.map(seed));
    await withHubScope(h.db.orm, async (em) => {
      await em.execute(
        `INSERT INTO rate_limits (key, window_started_at, hits) VALUES
           ('keep:current', now(), 3), ('keep:this-morning', now() - interval '12 hours', 3),
           ('drop:old', now() - interval '2 days', 3)`,
      );
      await em.execute(
        `INSERT INTO worker_heartbeats (worker_id, seen_at) VALUES
           ('keep:alive', now()), ('drop:gone', now() - interval '2 days')`,
      );
    });

    expect(await sweepExpired(h.deps)).toEqual({
      sessions: 4,
      passwordResets: 4,
      siweNonces: 2,
      rateLimits: 1,
      workerHeartbeats: 1,
    });

    const left = await remaining();
    const perTenant = (labels: string[]) =>
      tenants.flatMap((t) => labels.map((label) => `${t.id}:${label}`)).sort();
    expect(left.sessions).toEqual(
      perTenant(['keep-live', 'keep-expired-within-grace', 'keep-revoked-within-grace']),
    );
    const resetLabels = new Map(seeded.flat());
    expect(left.resets.map((id) => resetLabels.get(id)).sort()).toEqual([
      'keep-live',
      'keep-live',
      'keep-used-within-grace',
      'keep-used-within-grace',
    ]);
    expect(left.nonces).toEqual(perTenant(['keep', 'keepRecentlyExpired']));
    expect(left.rateLimits).toEqual(['keep:current', 'keep:this-morning']);
    expect(left.heartbeats).toEqual(['keep:alive']);

    expect(await sweepExpired(h.deps)).toEqual({
      sessions: 0,
      passwordResets: 0,
      siweNonces: 0,
      rateLimits: 0,
      workerHeartbeats: 0,
    });
  });
});
