import { hostname } from 'node:os';
import type { AppDeps, Mailer, TaskName } from '@ppv/core';
import { parseCronItems, type Runner, run, type TaskList, Logger as WorkerLogger } from 'graphile-worker';
import { sendEmailTask } from './tasks/send-email';
import { sweepExpiredTask } from './tasks/sweep-expired';

export const HEARTBEAT_SECONDS = 10;

export interface WorkerOptions {
  deps: AppDeps;
  /** The owner's connection: graphile-worker manages its own schema. Tasks use deps.orm. */
  connectionString: string;
  concurrency: number;
  mailer: Mailer | null;
  mailFrom: string;
  pollIntervalMs?: number;
}

export interface RunningWorker {
  id: string;
  runner: Runner;
  stop(): Promise<void>;
}

export function taskList(
  options: Pick<WorkerOptions, 'deps' | 'mailer' | 'mailFrom'>,
): TaskList & Partial<Record<TaskName, unknown>> {
  const { deps, mailer, mailFrom } = options;
  return {
    send_email: sendEmailTask({ ...deps, mailer, mailFrom }),
    sweep_expired: sweepExpiredTask(deps),
  };
}

/** Starts graphile-worker with every task, the recurring sweep, and a heartbeat for /healthz. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { deps } = options;
  const id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const log = deps.logger.child({ component: 'worker' });
  const runner = await run({
    connectionString: options.connectionString,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 2000,
    taskList: taskList(options),
    parsedCronItems: parseCronItems([
      {
        task: 'sweep_expired',
        match: '*/10 * * * *',
        identifier: 'sweep_expired',
        options: { backfillPeriod: 0 },
      },
    ]),
    logger: new WorkerLogger((scope) => (level, message, meta) => {
      const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
      log[method]({ ...scope, ...meta }, message);
    }),
  });
  const beat = () =>
    deps.orm.em
      .getConnection()
      .execute(
        `INSERT INTO worker_heartbeats (worker_id, seen_at) VALUES (?, now())
         ON CONFLICT (worker_id) DO UPDATE SET seen_at = now()`,
        [id],
      )
      .catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'));
  await beat();
  const timer = setInterval(beat, HEARTBEAT_SECONDS * 1000);
  timer.unref();
  let stopped: Promise<void> | undefined;
  return {
    id,
    runner,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await runner.stop();
        await deps.orm.em
          .getConnection()
          .execute('DELETE FROM worker_heartbeats WHERE worker_id = ?', [id])
          .catch(() => undefined);
      })();
      return stopped;
    },
  };
}
