import { z } from 'zod';
import { publicProcedure, router } from '../../trpc';
import { checkAccess } from './check-access';

export const accessRouter = router({
  /** Whether the caller may watch a video in full, and if not why (sign in, pay, not ready). */
  check: publicProcedure
    .input(z.object({ videoId: z.uuid('Unknown video id') }))
    .query(({ ctx, input }) => checkAccess(ctx.tx, { auth: ctx.auth, videoId: input.videoId })),
});
