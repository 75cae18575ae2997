import type { EntityManager } from '@ppv/db';

export interface JobPayloads {
  send_email: { tenantId: string; outboxId: string };
  sweep_expired: Record<string, never>;
  index_chain: Record<string, never>;
  transcode_video: { tenantId: string; videoId: string };
  delete_video_files: { tenantId: string; videoId: string };
  trace_leak: { tenantId: string; traceId: string };
  make_poster: { tenantId: string; videoId: string; atSeconds: number };
}

export type TaskName = keyof JobPayloads;

/**
 * Enqueues a job inside the caller's transaction: if the write that needs the job rolls back, the
 * job was never there.
 */
export async function enqueue<T extends TaskName>(
  em: EntityManager,
  task: T,
  payload: JobPayloads[T],
  opts: { jobKey?: string; runAt?: Date; maxAttempts?: number } = {},
): Promise<void> {
  await em.execute('SELECT ppv_enqueue(?, ?::json, ?, ?, ?)', [
    task,
    JSON.stringify(payload),
    opts.jobKey ?? null,
    opts.runAt?.toISOString() ?? null,
    opts.maxAttempts ?? null,
  ]);
}
