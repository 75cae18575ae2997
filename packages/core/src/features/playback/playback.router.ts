import { z } from 'zod';
import { authedProcedure, roleProcedure, router } from '../../trpc';
import { endPlayback, listPlaybackSessions, refreshPlayback, startPlayback } from './start-playback';
import { listWatching } from './watching';

const sessionIdInput = z.object({ sessionId: z.uuid('Unknown playback session id') });

export const playbackRouter = router({
  start: authedProcedure
    .input(z.object({ videoId: z.uuid('Unknown video id'), endOldest: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => startPlayback(ctx.tx, { ...input, auth: ctx.auth, req: ctx.req })),
  refresh: authedProcedure
    .input(sessionIdInput)
    .mutation(({ ctx, input }) => refreshPlayback(ctx.tx, { auth: ctx.auth, sessionId: input.sessionId })),
  end: authedProcedure.input(sessionIdInput).mutation(async ({ ctx, input }) => {
    await endPlayback(ctx.tx, { auth: ctx.auth, sessionId: input.sessionId });
    return { ok: true as const };
  }),
  sessions: authedProcedure.query(({ ctx }) => listPlaybackSessions(ctx.tx, ctx.auth)),
  /** Creators: who is watching their videos right now (live sessions, newest first). */
  watching: roleProcedure('creator').query(({ ctx }) => listWatching(ctx.tx, { auth: ctx.auth })),
});
