import type { Env } from '@ppv/config';
import { createSmtpMailer } from '@ppv/core';
import { migrate } from '@ppv/db';
import { startWorker } from '@ppv/worker';
import { createDeps } from '../runtime';

/** `ppv worker`: job processing as its own process, for scale-out next to stateless hubs. */
export async function workerCommand(env: Env): Promise<void> {
  if (!env.DATABASE_URL)
    throw new Error('ppv worker needs DATABASE_URL (the embedded database belongs to `ppv start`)');
  await migrate(env.DATABASE_URL);
  const deps = await createDeps(env, { databaseUrl: env.DATABASE_URL, rpcUrl: env.RPC_URL });
  const mailer = env.SMTP_URL ? createSmtpMailer(env.SMTP_URL) : null;
  const worker = await startWorker({
    deps,
    connectionString: env.DATABASE_URL,
    concurrency: env.WORKER_CONCURRENCY,
    mailer,
    mailFrom: env.MAIL_FROM,
    encoder: env.VIDEO_ENCODER,
    transcodeConcurrency: env.TRANSCODE_CONCURRENCY,
  });
  deps.logger.info({ id: worker.id, concurrency: env.WORKER_CONCURRENCY }, 'worker running');
  const shutdown = async () => {
    await worker.stop();
    mailer?.close();
    await deps.orm.close(true);
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
