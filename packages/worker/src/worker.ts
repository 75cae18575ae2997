import { hostname } from 'node:os';
import { type AppDeps, indexerTarget, type Mailer, type TaskName } from '@ppv/core';
import { type FfmpegTools, locateFfmpeg, type VideoEncoder } from '@ppv/media';
import { parseCronItems, type Runner, run, type Task, Logger as WorkerLogger } from 'graphile-worker';
import { deleteVideoFilesTask } from './tasks/delete-video-files';
import { INDEX_CHAIN_JOB_KEY, indexChainTask } from './tasks/index-chain';
import { makePosterTask } from './tasks/make-poster';
import { sendEmailTask } from './tasks/send-email';
import { sweepExpiredTask } from './tasks/sweep-expired';
import { traceLeakTask } from './tasks/trace-leak';
import { transcodeVideoTask } from './tasks/transcode-video';

export const HEARTBEAT_SECONDS = 10;

export interface WorkerOptions {
  deps: AppDeps;
  /** The owner's connection: graphile-worker manages its own schema. Tasks use deps.orm. */
  connectionString: string;
  /** Jobs other than transcodes run at once. */
  concurrency: number;
  mailer: Mailer | null;
  mailFrom: string;
  pollIntervalMs?: number;
  /** The H.264 encoder for transcodes (default libx264). */
  encoder?: VideoEncoder;
  /** Make the forensic A/B watermark variants of every rendition (default true). */
  watermark?: boolean;
  /** Transcodes and leak traces this worker runs at once (default 1), in a pool of their own. */
  transcodeConcurrency?: number;
  /** How often a running transcode saves its progress and checks its video still exists. */
  transcodeWatchIntervalMs?: number;
}

export interface RunningWorker {
  id: string;
  /** Runs every job but transcodes. */
  runner: Runner;
  /** Runs transcodes; null when ffmpeg was not found (transcodes then wait for another worker). */
  mediaRunner: Runner | null;
  stop(): Promise<void>;
}

/** Every task, by name; the compiler checks that each job the core enqueues has one. */
export function taskList(
  options: Pick<
    WorkerOptions,
    'deps' | 'mailer' | 'mailFrom' | 'encoder' | 'watermark' | 'transcodeWatchIntervalMs'
  > & {
    tools: FfmpegTools;
  },
): Record<TaskName, Task> {
  const { deps, mailer, mailFrom } = options;
  return {
    send_email: sendEmailTask({ ...deps, mailer, mailFrom }),
    sweep_expired: sweepExpiredTask(deps),
    index_chain: indexChainTask(deps),
    transcode_video: transcodeVideoTask({
      ...deps,
      tools: options.tools,
      encoder: options.encoder ?? 'libx264',
      watermark: options.watermark,
      watchIntervalMs: options.transcodeWatchIntervalMs,
    }),
    delete_video_files: deleteVideoFilesTask(deps),
    trace_leak: traceLeakTask(deps),
    make_poster: makePosterTask(deps),
  };
}

/**
 * Starts graphile-worker with every task, the recurring sweep, the chain indexer (when payments are
 * configured) and a heartbeat for /healthz.
 * Transcodes and leak traces (both long ffmpeg work) run in a second pool of `transcodeConcurrency` (graphile-worker's concurrency is per
 * pool and a pool only takes jobs of its own tasks), so long encodes never hold the slots that email
 * and clean-ups need, and at most that many run per worker process.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { deps } = options;
  const id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const log = deps.logger.child({ component: 'worker' });
  const tools = await locateFfmpeg(deps.config.media.tools).then(
    (found) => {
      log.info({ version: found.version }, 'ffmpeg found');
      return found;
    },
    (error: unknown) => {
      log.error({ err: error }, 'ffmpeg not found: this worker takes no transcode jobs');
      return null;
    },
  );
  const { transcode_video, trace_leak, ...jobs } = taskList({
    ...options,
    tools: tools ?? deps.config.media.tools,
  });
  const common = {
    connectionString: options.connectionString,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 2000,
    logger: new WorkerLogger((scope) => (level, message, meta) => {
      const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
      log[method]({ ...scope, ...meta }, message);
    }),
  };
  const runner = await run({
    ...common,
    concurrency: options.concurrency,
    taskList: jobs,
    parsedCronItems: parseCronItems([
      {
        task: 'sweep_expired',
        match: '*/10 * * * *',
        identifier: 'sweep_expired',
        options: { backfillPeriod: 0 },
      },
    ]),
  });
  if (indexerTarget(deps)) {
    // Keeps a pending pass's time; the first worker to start begins the self-scheduling loop.
    await runner.addJob('index_chain', {}, { jobKey: INDEX_CHAIN_JOB_KEY, jobKeyMode: 'preserve_run_at' });
  }
  const transcodeConcurrency = options.transcodeConcurrency ?? 1;
  const mediaRunner = tools
    ? await run({
        ...common,
        concurrency: transcodeConcurrency,
        // A connection per running job, one for LISTEN and one to spare: transcodes query rarely.
        maxPoolSize: transcodeConcurrency + 2,
        taskList: { transcode_video, trace_leak },
      }).catch(async (error: unknown) => {
        await runner.stop();
        throw error;
      })
    : null;
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
    mediaRunner,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.all([runner.stop(), mediaRunner?.stop()]);
        await deps.orm.em
          .getConnection()
          .execute('DELETE FROM worker_heartbeats WHERE worker_id = ?', [id])
          .catch(() => undefined);
      })();
      return stopped;
    },
  };
}
