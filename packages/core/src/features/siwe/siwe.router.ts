import { publicProcedure, requireSession, router } from '../../trpc';
import { createSiweNonce, verifySiweSignIn } from './siwe';
import { siweVerifyInput } from './siwe.schemas';

export const siweRouter = router({
  nonce: publicProcedure.mutation(({ ctx }) => createSiweNonce(ctx.tx, ctx.req)),
  verify: publicProcedure
    .input(siweVerifyInput)
    .use(({ ctx, input, type, next }) => {
      // Linking adds a way into the signed-in account: like other credential changes, it needs the
      // person's session (and its CSRF token), not an API token. Signed out, the use-case says so.
      if (input.link && ctx.auth) requireSession(ctx, type);
      return next();
    })
    .mutation(({ ctx, input }) =>
      verifySiweSignIn(ctx.tx, { ...input, auth: ctx.auth, req: ctx.req, cookies: ctx.cookies }),
    ),
});
