import { authedProcedure, router, sessionProcedure } from '../../trpc';
import { createApiToken, listApiTokens, revokeApiToken } from './api-tokens';
import { apiTokenIdInput, createApiTokenInput } from './api-tokens.schemas';

export const apiTokensRouter = router({
  create: sessionProcedure
    .input(createApiTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  list: authedProcedure.query(({ ctx }) => listApiTokens(ctx.tx, ctx.auth)),
  revoke: sessionProcedure.input(apiTokenIdInput).mutation(async ({ ctx, input }) => {
    await revokeApiToken(ctx.tx, { auth: ctx.auth, tokenId: input.tokenId, ip: ctx.req.ip });
    return { ok: true as const };
  }),
});
