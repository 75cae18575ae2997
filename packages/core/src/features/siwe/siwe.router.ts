import { publicProcedure, router } from '../../trpc';
import { createSiweNonce, verifySiweSignIn } from './siwe';
import { siweVerifyInput } from './siwe.schemas';

export const siweRouter = router({
  nonce: publicProcedure.mutation(({ ctx }) => createSiweNonce(ctx.tx, ctx.req)),
  verify: publicProcedure
    .input(siweVerifyInput)
    .mutation(({ ctx, input }) =>
      verifySiweSignIn(ctx.tx, { ...input, auth: ctx.auth, req: ctx.req, cookies: ctx.cookies }),
    ),
});
