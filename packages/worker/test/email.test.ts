import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSmtpMailer } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { OutboxEmailEntity, withTenant } from '@ppv/db';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWorker, startWorker } from '../src/index';
import { waiter } from './wait-for';

interface Received {
  to: string[];
  raw: string;
}

let h: Harness;
let smtp: SMTPServer;
let smtpPort: number;
const inbox: Received[] = [];
let rejectNext = 0;

const waitFor = waiter(15_000, 100);

beforeAll(async () => {
  h = await createHarness();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (rejectNext > 0) {
          rejectNext--;
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 451 }));
          return;
        }
        inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await h?.close();
});

async function withWorker<T>(
  mailer: ReturnType<typeof createSmtpMailer> | null,
  fn: (w: RunningWorker) => Promise<T>,
): Promise<T> {
  const worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
  });
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
    mailer?.close();
  }
}

const decoded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

describe('send_email over a real SMTP server', () => {
  it('delivers the reset email, whose link resets the password', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    await withWorker(createSmtpMailer(`smtp://127.0.0.1:${smtpPort}`), async () => {
      await h.client(tenant).api.auth.forgotPassword({ email });
      const mail = await waitFor(() => inbox.find((m) => m.to.includes(email)), 'the reset email');
      expect(mail.raw).toMatch(/Subject: Reset your Tenant .* password/);
      const token = /reset-password\?token=([\w-]+)/.exec(decoded(mail.raw))?.[1];
      expect(token).toBeDefined();
      await h.client(tenant).api.auth.resetPassword({ token: token!, newPassword: 'Fresh-Password-22' });
      await h.client(tenant).api.auth.login({ login: email, password: 'Fresh-Password-22' });
      const row = await withTenant(h.db.orm, tenant.id, (em) =>
        em.findOneOrFail(OutboxEmailEntity, { toAddress: email }),
      );
      expect(row).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
    });
  });

  it('behavior: an SMTP failure is recorded on the row and retried until delivered', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    rejectNext = 1;
    await withWorker(createSmtpMailer(`smtp://127.0.0.1:${smtpPort}`), async () => {
      await h.client(tenant).api.auth.forgotPassword({ email });
      const failed = await waitFor(async () => {
        const row = await withTenant(h.db.orm, tenant.id, (em) =>
          em.findOne(OutboxEmailEntity, { toAddress: email }),
        );
        return row && row.attempts >= 1 ? row : undefined;
      }, 'the failed attempt');
      expect(failed.lastError).toMatch(/mailbox unavailable/);
      expect(failed.status).toBe('pending');
      // graphile-worker retries with exponential backoff; bring the retry forward.
      const admin = (await import('pg')).default;
      const client = new admin.Client({ connectionString: h.db.url });
      await client.connect();
      await client.query(
        "UPDATE graphile_worker._private_jobs SET run_at = now() WHERE task_id IN (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'send_email')",
      );
      await client.end();
      await waitFor(() => inbox.find((m) => m.to.includes(email)), 'the retried email');
      const row = await waitFor(async () => {
        const r = await withTenant(h.db.orm, tenant.id, (em) =>
          em.findOne(OutboxEmailEntity, { toAddress: email }),
        );
        return r?.status === 'sent' ? r : undefined;
      }, 'the sent status');
      expect(row.attempts).toBe(2);
    });
  });

  it('without SMTP the email stays in the outbox as logged', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const email = `${user.username}@example.com`;
    await withWorker(null, async () => {
      await h.client(tenant).api.auth.forgotPassword({ email });
      const row = await waitFor(async () => {
        const r = await withTenant(h.db.orm, tenant.id, (em) =>
          em.findOne(OutboxEmailEntity, { toAddress: email }),
        );
        return r?.status === 'logged' ? r : undefined;
      }, 'the logged status');
      expect(row.textBody).toContain('/reset-password?token=');
      expect(inbox.find((m) => m.to.includes(email))).toBeUndefined();
    });
  });
});

describe('worker', () => {
  it('reports a heartbeat while running and removes it when stopped', async () => {
    const count = async () =>
      (
        await h.db.orm.em
          .fork()
          .getConnection()
          .execute<{ n: number }[]>('SELECT count(*)::int AS n FROM worker_heartbeats')
      )[0]!.n;
    const before = await count();
    await withWorker(null, async () => {
      expect(await count()).toBe(before + 1);
    });
    expect(await count()).toBe(before);
  });

  it('runs the sweep_expired task', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    await withTenant(h.db.orm, tenant.id, (em) =>
      em.execute("UPDATE sessions SET expires_at = now() - interval '2 days' WHERE user_id = ?", [
        user.userId,
      ]),
    );
    await withWorker(null, async (worker) => {
      await worker.runner.addJob('sweep_expired', {});
      await waitFor(async () => {
        const left = await withTenant(h.db.orm, tenant.id, (em) =>
          em.execute<{ n: number }[]>('SELECT count(*)::int AS n FROM sessions WHERE user_id = ?', [
            user.userId,
          ]),
        );
        return left[0]?.n === 0 ? true : undefined;
      }, 'the sweep');
    });
  });
});
