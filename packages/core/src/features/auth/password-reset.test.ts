import { OutboxEmailEntity, PasswordResetEntity, type Tenant, withTenant } from '@ppv/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, PASSWORD } from '../../testing';
import { queueEmail } from '../email/queue-email';

let h: Harness;
/** The database owner: sees graphile_worker's tables, which the application role cannot. */
let owner: pg.Client;
beforeAll(async () => {
  h = await createHarness();
  owner = new pg.Client({ connectionString: h.db.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await h?.close();
});

const NEW_PASSWORD = 'Fresh-Start-2024';

const outbox = (tenant: Tenant, to: string) =>
  withTenant(h.db.orm, tenant.id, (em) =>
    em.find(OutboxEmailEntity, { toAddress: to }, { orderBy: { createdAt: 'asc' } }),
  );

/** graphile-worker's public `jobs` view leaves the payload out, so this reads its tables. */
async function emailJobs(outboxIds: string[]) {
  const { rows } = await owner.query<{ task_identifier: string; payload: unknown; key: string | null }>(
    `SELECT t.identifier AS task_identifier, j.payload, j.key
       FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE j.payload->>'outboxId' = ANY($1)`,
    [outboxIds],
  );
  return rows;
}

/** Asks for a reset link for a signed-up user and returns the token from the email's link. */
async function requestReset(tenant: Tenant, email: string): Promise<string> {
  await h.client(tenant).api.auth.forgotPassword({ email });
  const emails = await outbox(tenant, email);
  const body = emails.at(-1)?.textBody ?? '';
  const token = /\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(body)?.[1];
  if (!token) throw new Error(`no reset link in ${JSON.stringify(body)}`);
  return token;
}

describe('forgot password', () => {
  it('writes the email to the outbox and enqueues its delivery, for a known address', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    const result = await h.client(tenant).api.auth.forgotPassword({ email: email.toUpperCase() });
    expect(result).toEqual({
      ok: true,
      message: 'If an account uses that address, a reset link is on its way',
    });

    const [sent, ...more] = await outbox(tenant, email);
    expect(more).toHaveLength(0);
    expect(sent).toMatchObject({
      tenantId: tenant.id,
      subject: `Reset your ${tenant.name} password`,
      status: 'pending',
    });
    expect(sent!.textBody).toContain(`Hello ${user.username},`);
    expect(sent!.textBody).toMatch(
      new RegExp(`http://${tenant.slug}\\.hub\\.test/reset-password\\?token=[A-Za-z0-9_-]{43}\\n`),
    );
    expect(await emailJobs([sent!.id])).toEqual([
      {
        task_identifier: 'send_email',
        payload: { tenantId: tenant.id, outboxId: sent!.id },
        key: `email:${sent!.id}`,
      },
    ]);
  });

  it('behavior: the email and its job are written in one transaction, so a rollback leaves neither', async () => {
    const tenant = await h.tenant();
    const to = 'rolled-back@example.com';
    let outboxId = '';
    await expect(
      withTenant(h.db.orm, tenant.id, async (em) => {
        outboxId = await queueEmail({ ...h.deps, em, tenantId: tenant.id }, { to, subject: 's', text: 't' });
        expect(await emailJobs([outboxId])).toEqual([]); // not visible outside the transaction yet
        throw new Error('the write that needed the email failed');
      }),
    ).rejects.toThrow('the write that needed the email failed');
    expect(outboxId).not.toBe('');
    expect(await outbox(tenant, to)).toEqual([]);
    expect(await emailJobs([outboxId])).toEqual([]);
  });

  it('answers the same for an unknown address and writes nothing', async () => {
    const tenant = await h.tenant();
    const count = async () => {
      const { rows } = await owner.query<{ emails: number; resets: number; jobs: number }>(
        `SELECT (SELECT count(*)::int FROM outbox_emails) AS emails,
                (SELECT count(*)::int FROM password_resets) AS resets,
                (SELECT count(*)::int FROM graphile_worker.jobs) AS jobs`,
      );
      return rows[0];
    };
    const before = await count();
    const result = await h.client(tenant).api.auth.forgotPassword({ email: 'nobody-here@example.com' });
    expect(result).toEqual({
      ok: true,
      message: 'If an account uses that address, a reset link is on its way',
    });
    expect(await count()).toEqual(before);
  });

  it('error: rate-limited per address', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    const saved = h.deps.config;
    h.deps.config = { ...saved, authRateLimitPerAccount: 2 };
    try {
      await h.client(tenant, { ip: '198.51.100.1' }).api.auth.forgotPassword({ email });
      await h.client(tenant, { ip: '198.51.100.2' }).api.auth.forgotPassword({ email });
      const error = await h
        .client(tenant, { ip: '198.51.100.3' })
        .api.auth.forgotPassword({ email })
        .catch((e) => e);
      expect(error).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        message: 'Too many reset requests for this address; please wait and try again',
      });
      expect(error.cause.details.retryAfterSeconds).toBeGreaterThan(0);
      expect(await outbox(tenant, email)).toHaveLength(2);
    } finally {
      h.deps.config = saved;
    }
  });
});

describe('reset password', () => {
  it('sets the new password from the emailed link and signs out every session in every tenant', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const elsewhere = h.client(await h.tenant());
    await elsewhere.api.auth.login({ login: user.username, password: PASSWORD });
    const token = await requestReset(tenant, `${user.username}@example.com`);

    const anonymous = h.client(tenant);
    expect(await anonymous.api.auth.resetPassword({ token, newPassword: NEW_PASSWORD })).toEqual({
      ok: true,
    });
    expect(anonymous.cookies).toEqual({});

    expect(await user.api.auth.me()).toBeNull();
    await expect(elsewhere.api.auth.sessions.list()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This session was signed out; please sign in again',
    });
    await expect(
      h.client(tenant).api.auth.login({ login: user.username, password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Incorrect email/username or password' });
    const again = h.client(tenant);
    await again.api.auth.login({ login: user.username, password: NEW_PASSWORD });
    expect((await again.api.auth.me())?.username).toBe(user.username);
  });

  it('error: a link works once', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const token = await requestReset(tenant, `${user.username}@example.com`);
    await h.client(tenant).api.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
    await expect(
      h.client(tenant).api.auth.resetPassword({ token, newPassword: 'Another-Fresh-77' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This reset link was already used; request a new one',
    });
    await h.client(tenant).api.auth.login({ login: user.username, password: NEW_PASSWORD });
  });

  it('error: older links die when the password changes (by another link or by the user)', async () => {
    const tenant = await h.tenant();
    const other = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    const first = await requestReset(tenant, email);
    const elsewhere = await requestReset(other, email);
    await user.api.auth.changePassword({ currentPassword: user.password, newPassword: NEW_PASSWORD });
    for (const [where, token] of [
      [tenant, first],
      [other, elsewhere],
    ] as const) {
      await expect(
        h.client(where).api.auth.resetPassword({ token, newPassword: 'Another-Fresh-77' }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'This reset link was already used; request a new one',
      });
    }
  });

  it('error: a link expires after 60 minutes', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const token = await requestReset(tenant, `${user.username}@example.com`);
    h.advance(60 * 60_000 + 1000);
    await expect(
      h.client(tenant).api.auth.resetPassword({ token, newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This reset link has expired; request a new one',
    });
    await h.client(tenant).api.auth.login({ login: user.username, password: PASSWORD });
  });

  it('error: a link of one tenant is invalid on another (row-level security)', async () => {
    const tenantA = await h.tenant();
    const tenantB = await h.tenant();
    const user = await h.signedIn(tenantA);
    const token = await requestReset(tenantA, `${user.username}@example.com`);
    await expect(
      h.client(tenantB).api.auth.resetPassword({ token, newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This reset link is invalid; request a new one',
    });
    // Still unused on its own tenant.
    await h.client(tenantA).api.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
  });

  it('error: a garbage token', async () => {
    const tenant = await h.tenant();
    await expect(
      h.client(tenant).api.auth.resetPassword({ token: 'x'.repeat(43), newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'This reset link is invalid; request a new one',
    });
    await expect(
      h.client(tenant).api.auth.resetPassword({ token: 'short', newPassword: NEW_PASSWORD }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'token: This reset link is invalid' });
  });

  it('error: a weak new password, and the link stays usable', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const token = await requestReset(tenant, `${user.username}@example.com`);
    await expect(
      h.client(tenant).api.auth.resetPassword({ token, newPassword: 'short' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'Password must be at least 10 characters long' });
    await expect(
      h.client(tenant).api.auth.resetPassword({ token, newPassword: `${user.username}-X9!` }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Password must not contain your username or email',
    });
    const [reset] = await withTenant(h.db.orm, tenant.id, (em) =>
      em.find(PasswordResetEntity, { userId: user.userId }),
    );
    expect(reset?.usedAt).toBeNull();
    await h.client(tenant).api.auth.resetPassword({ token, newPassword: NEW_PASSWORD });
  });
});
