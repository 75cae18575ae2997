import { authedProcedure, publicProcedure, rateLimitedProcedure, router, sessionProcedure } from '../../trpc';
import { signInLimits } from '../rate-limit/sign-in-limits';
import {
  changePasswordInput,
  forgotPasswordInput,
  loginInput,
  registerInput,
  resetPasswordInput,
  sessionIdInput,
  walletAddressInput,
} from './auth.schemas';
import { changePassword } from './change-password';
import { forgotPassword } from './forgot-password';
import { login } from './login';
import { logout } from './logout';
import { me } from './me';
import { register } from './register';
import { resetPassword } from './reset-password';
import { listSessions, revokeSession } from './sessions';
import { unlinkWallet } from './unlink-wallet';

export const authRouter = router({
  register: rateLimitedProcedure(signInLimits.register)
    .input(registerInput)
    .mutation(({ ctx, input }) => register(ctx.tx, { ...input, req: ctx.req, cookies: ctx.cookies })),

  login: rateLimitedProcedure(signInLimits.login)
    .input(loginInput)
    .mutation(({ ctx, input }) => login(ctx.tx, { ...input, req: ctx.req, cookies: ctx.cookies })),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    await logout(ctx.tx, { auth: ctx.auth, cookies: ctx.cookies, ip: ctx.req.ip });
    return { ok: true as const };
  }),

  /** The signed-in user, their role here, linked wallets and the CSRF token; null when signed out. */
  me: publicProcedure.query(({ ctx }) => me(ctx.tx, { auth: ctx.auth, cookies: ctx.req.cookies })),

  forgotPassword: rateLimitedProcedure(signInLimits.forgotPassword)
    .input(forgotPasswordInput)
    .mutation(async ({ ctx, input }) => {
      await forgotPassword(ctx.tx, { email: input.email, req: ctx.req, tenantName: ctx.tenant.name });
      return { ok: true as const, message: 'If an account uses that address, a reset link is on its way' };
    }),

  resetPassword: publicProcedure.input(resetPasswordInput).mutation(async ({ ctx, input }) => {
    await resetPassword(ctx.tx, { ...input, ip: ctx.req.ip });
    return { ok: true as const };
  }),

  changePassword: sessionProcedure
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => changePassword(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),

  sessions: router({
    list: authedProcedure.query(({ ctx }) => listSessions(ctx.tx, ctx.auth)),
    revoke: authedProcedure.input(sessionIdInput).mutation(async ({ ctx, input }) => {
      await revokeSession(ctx.tx, { auth: ctx.auth, sessionId: input.sessionId, ip: ctx.req.ip });
      return { ok: true as const };
    }),
  }),

  wallets: router({
    /** Unlinks one of the caller's wallets (a credential change: the person's session, not a token). */
    unlink: sessionProcedure.input(walletAddressInput).mutation(async ({ ctx, input }) => {
      await unlinkWallet(ctx.tx, { auth: ctx.auth, address: input.address, ip: ctx.req.ip });
      return { ok: true as const };
    }),
  }),
});
