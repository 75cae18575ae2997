import { roleProcedure, router } from '../../trpc';
import { blockInput, unblockInput } from './blocks.schemas';
import { blockViewer, listBlocks, unblockViewer } from './creator-blocks';

/** A creator's block list (viewers who may neither buy nor watch the creator's videos). */
export const blocksRouter = router({
  list: roleProcedure('creator').query(({ ctx }) => listBlocks(ctx.tx, { auth: ctx.auth })),
  add: roleProcedure('creator')
    .input(blockInput)
    .mutation(({ ctx, input }) => blockViewer(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  remove: roleProcedure('creator')
    .input(unblockInput)
    .mutation(({ ctx, input }) => unblockViewer(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
});
