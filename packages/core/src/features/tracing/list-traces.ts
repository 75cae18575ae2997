import { TraceRequestEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { notFound } from '../../errors';
import { managedVideo } from '../videos/manage-videos';
import { traceView } from './trace-views';

/** The video's traces, newest first: for its creator and the tenant's admins. */
export async function listTraces(deps: TenantDeps, input: { auth: AuthInfo; videoId: string }) {
  const video = await managedVideo(deps, input.auth, input.videoId);
  const traces = await deps.em.find(
    TraceRequestEntity,
    { videoId: video.id },
    { orderBy: { createdAt: 'desc' }, limit: 100 },
  );
  return traces.map(traceView);
}

/** One trace, for whoever may manage its video; anyone else is told it does not exist. */
export async function getTrace(deps: TenantDeps, input: { auth: AuthInfo; traceId: string }) {
  const trace = await deps.em.findOne(TraceRequestEntity, { id: input.traceId });
  if (!trace) throw notFound('Trace');
  await managedVideo(deps, input.auth, trace.videoId).catch(() => {
    throw notFound('Trace');
  });
  return traceView(trace);
}
