import { rateLimitedProcedure, requireSession, router } from '../../trpc';
import { signInLimits } from '../rate-limit/sign-in-limits';
import { createSiweNonce, verifySiweSignIn } from './siwe';
import { siweVerifyInput } from './siwe.schemas';

export const siweRouter = router({
  nonce: rateLimitedProcedure(signInLimits.siwe).mutation(({ ctx }) => createSiweNonce(ctx.tx, ctx.req)),
  verify: rateLimitedProcedure(signInLimits.siwe)
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
