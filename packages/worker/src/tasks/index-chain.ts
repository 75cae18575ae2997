import { type AppDeps, type IndexChainResult, runIndexerPass } from '@ppv/core';
import type { Task } from 'graphile-worker';
import { z } from 'zod';

const payloadSchema = z.object({}).strict();

/** One job key: at most one pending pass, whichever worker enqueued it. */
export const INDEX_CHAIN_JOB_KEY = 'index_chain';
/** Longest pause after failed passes (the delay doubles per failure up to this). */
export const MAX_RETRY_DELAY_MS = 60_000;
/** Batches per job, so that one job never holds a worker slot for a whole backfill. */
const BATCHES_PER_JOB = 50;

/** When the next pass runs: at once while behind, after the poll interval once caught up, backing off on failures. */
export function nextPassDelayMs(result: IndexChainResult, pollIntervalMs: number): number {
  if (!result.ok) return Math.min(pollIntervalMs * 2 ** (result.consecutiveFailures - 1), MAX_RETRY_DELAY_MS);
  return result.caughtUp ? pollIntervalMs : 0;
}

/**
 * The chain indexer, as a job that schedules its own next run (graphile-worker's cron cannot run
 * more often than once a minute). Enqueued by the worker at start when payments are configured.
 */
export const indexChainTask =
  (deps: AppDeps): Task =>
  async (rawPayload, helpers) => {
    payloadSchema.parse(rawPayload ?? {});
    const result = await runIndexerPass(deps, { maxBatches: BATCHES_PER_JOB });
    if (!result) {
      deps.logger.info({ job: helpers.job.id }, 'payments are not configured: the chain indexer stops');
      return;
    }
    const delayMs = nextPassDelayMs(result, deps.config.indexer.pollIntervalMs);
    await helpers.addJob(
      'index_chain',
      {},
      { jobKey: INDEX_CHAIN_JOB_KEY, jobKeyMode: 'replace', runAt: new Date(Date.now() + delayMs) },
    );
  };
