import { roleProcedure, router } from '../../trpc';
import { getTrace, listTraces } from './list-traces';
import { listTracesInput, traceIdInput } from './tracing.schemas';

/**
 * `tracing.*`: leak traces of a video, for its creator, the tenant's admins and hub admins. A trace
 * is asked for by uploading the recording to `POST /api/v1/videos/:videoId/traces` (a file upload,
 * not a procedure); these read its status and verdict.
 */
export const tracingRouter = router({
  list: roleProcedure('creator')
    .input(listTracesInput)
    .query(({ ctx, input }) => listTraces(ctx.tx, { auth: ctx.auth, videoId: input.videoId })),
  get: roleProcedure('creator')
    .input(traceIdInput)
    .query(({ ctx, input }) => getTrace(ctx.tx, { auth: ctx.auth, traceId: input.traceId })),
});
