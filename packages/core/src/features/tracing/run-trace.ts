import { type EntityManager, PlaybackSessionEntity, TraceRequestEntity, withTenant } from '@ppv/db';
import { MediaError } from '@ppv/media';
import type { AppDeps } from '../../deps';
import { AppError } from '../../errors';
import { traceLeakedFile } from './trace-leak';
import type { TraceFinding } from './trace-views';

export type RunTraceOutcome = 'done' | 'error' | 'skipped';

/**
 * The `trace_leak` job: traces the recording of a trace request against the sessions of its video
 * and stores the verdict (the named session, viewer, tenant, time and confidence; or no match with
 * the tracer's reason), or the reason it could not trace. The recording is deleted once the trace is
 * done or has failed for good. A failure that may pass (not a media or input problem) is thrown for
 * the job to be retried, except on its last attempt, which records it.
 */
export async function runTrace(
  deps: AppDeps,
  input: { tenantId: string; traceId: string; lastAttempt: boolean },
): Promise<RunTraceOutcome> {
  const scope = <T>(fn: (em: EntityManager) => Promise<T>) => withTenant(deps.orm, input.tenantId, fn);
  const claimed = await scope(async (em) => {
    const trace = await em.findOne(TraceRequestEntity, { id: input.traceId });
    if (!trace || trace.status === 'done' || trace.status === 'error') return null;
    trace.status = 'running';
    await em.flush();
    const sessions = await em.count(PlaybackSessionEntity, { videoId: trace.videoId });
    return { videoId: trace.videoId, fileKey: trace.fileKey ?? null, sessions };
  });
  if (!claimed) return 'skipped';

  const finish = (changes: { finding: TraceFinding } | { error: string }) =>
    scope(async (em) => {
      if (claimed.fileKey) await deps.storage.deletePrefix(claimed.fileKey);
      const done = 'finding' in changes;
      await em.nativeUpdate(
        TraceRequestEntity,
        { id: input.traceId },
        {
          status: done ? 'done' : 'error',
          verdict: done ? changes.finding.verdict : null,
          result: done ? (changes.finding as unknown as Record<string, unknown>) : null,
          lastError: done ? null : changes.error,
          fileKey: null,
          finishedAt: deps.clock(),
        },
      );
      return done ? ('done' as const) : ('error' as const);
    });

  if (!claimed.fileKey || !(await deps.storage.stat(claimed.fileKey)))
    return finish({ error: 'The recording is no longer stored; please upload it again' });
  if (claimed.sessions === 0) {
    return finish({
      finding: {
        verdict: 'no_match',
        reason: 'NO_SESSIONS',
        message: 'Nobody has watched this video yet, so there is no session to name',
      },
    });
  }
  try {
    const verdict = await traceLeakedFile(deps, {
      file: deps.storage.localPath(claimed.fileKey),
      videoId: claimed.videoId,
    });
    const result = verdict.videos[0]?.result;
    if (verdict.match) {
      const m = verdict.match;
      return finish({
        finding: {
          verdict: 'match',
          sessionId: m.sessionId,
          code: m.code,
          viewer: { id: m.viewer.id, username: m.viewer.username },
          tenant: m.tenant,
          startedAt: m.startedAt.toISOString(),
          confidence: m.confidence,
          falseMatchProbability: m.falseMatchProbability,
          bitsRecovered: m.bitsRecovered,
          bitErrors: m.bitErrors,
        },
      });
    }
    return finish({
      finding: {
        verdict: 'no_match',
        reason: result?.verdict === 'no_match' ? result.reason : 'NO_SIGNIFICANT_MATCH',
        message: result?.verdict === 'no_match' ? result.message : 'No session matches the recording',
      },
    });
  } catch (error) {
    const permanent = error instanceof AppError || error instanceof MediaError;
    if (!permanent && !input.lastAttempt) throw error;
    deps.logger.warn({ err: error, traceId: input.traceId }, 'trace failed');
    const message =
      error instanceof AppError
        ? error.message
        : error instanceof MediaError
          ? `The recording could not be traced: ${error.message}`
          : 'The trace failed on our side; please upload the recording again';
    return finish({ error: message });
  }
}
