import { chainHealth } from '@ppv/chain';
import type { AppDeps } from '../../deps';
import { type IndexerStatus, indexerStatus } from '../indexer/indexer-status';
import { indexerTarget } from '../indexer/run-indexer';

export const WORKER_STALE_SECONDS = 30;

export interface Health {
  ok: boolean;
  /**
   * `down` without the database; `degraded` when it answers but the worker, the chain or the indexer
   * does not (the indexer alone never makes `ok` false).
   */
  status: 'ok' | 'degraded' | 'down';
  database: { ok: boolean; latencyMs?: number; error?: string };
  worker: {
    ok: boolean;
    lastSeenSecondsAgo: number | null;
    pendingJobs?: number;
    failedJobs?: number;
    error?: string;
  };
  chain: { ok: boolean; configured: boolean; chainId?: number; blockNumber?: string; error?: string };
  indexer: IndexerStatus;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Database, job workers (by heartbeat, wherever they run), chain and chain indexer; never throws. */
export async function checkHealth(deps: AppDeps): Promise<Health> {
  const conn = deps.orm.em.getConnection();
  const started = performance.now();
  const database: Health['database'] = await withTimeout(conn.execute('SELECT 1'), 2000)
    .then(() => ({ ok: true, latencyMs: Math.round(performance.now() - started) }))
    .catch((error: Error) => ({ ok: false, error: error.message }));

  const worker: Health['worker'] = database.ok
    ? await withTimeout(
        Promise.all([
          conn.execute<{ age: number | null }[]>(
            'SELECT extract(epoch FROM now() - max(seen_at))::float AS age FROM worker_heartbeats',
          ),
          conn.execute<{ pending: string; failed: string }[]>('SELECT pending, failed FROM ppv_job_stats()'),
        ]),
        2000,
      )
        .then(([[beat], [stats]]) => {
          const age = beat?.age ?? null;
          return {
            ok: age !== null && age < WORKER_STALE_SECONDS,
            lastSeenSecondsAgo: age === null ? null : Math.round(age),
            pendingJobs: Number(stats?.pending ?? 0),
            failedJobs: Number(stats?.failed ?? 0),
            ...(age === null
              ? { error: 'no job worker has ever reported' }
              : age >= WORKER_STALE_SECONDS
                ? { error: 'no job worker seen recently' }
                : {}),
          };
        })
        .catch((error: Error) => ({ ok: false, lastSeenSecondsAgo: null, error: error.message }))
    : { ok: false, lastSeenSecondsAgo: null, error: 'database unavailable' };

  const chain: Health['chain'] = deps.chain
    ? { configured: true, ...(await chainHealth(deps.chain.client, deps.chain.chainId)) }
    : { ok: true, configured: false };

  const indexer: IndexerStatus = database.ok
    ? await indexerStatus(deps, { head: chain })
    : { configured: indexerTarget(deps) !== null, ok: false, problem: 'database unavailable' };

  // A lagging or failing indexer delays new purchases but breaks nothing already served: it
  // degrades the status without failing the health check (load balancers keep the hub in).
  const ok = database.ok && worker.ok && chain.ok;
  const status = !database.ok ? 'down' : ok && indexer.ok ? 'ok' : 'degraded';
  return { ok, status, database, worker, chain, indexer };
}
