import type { Context } from '../../context';
import type { RateLimitRule } from '../../trpc';
import { forgotPasswordInput, loginInput } from '../auth/auth.schemas';

/**
 * The limits every way into an account counts against: per client IP, and per account where the
 * input names one. The account is read from the raw input through the procedure's own schema, so
 * it is the same normalised name the use-case looks up; input that does not parse counts per IP
 * only (the procedure then refuses it).
 */
export const signInLimits = {
  login(ctx: Context, raw: unknown): RateLimitRule[] {
    const { config } = ctx.deps;
    const window = config.authRateLimitWindowSeconds;
    const parsed = loginInput.safeParse(raw);
    return [
      { key: `login:ip:${ctx.req.ip}`, limit: config.authRateLimitPerIp, windowSeconds: window },
      ...(parsed.success
        ? [
            {
              key: `login:account:${parsed.data.login}`,
              limit: config.authRateLimitPerAccount,
              windowSeconds: window,
              message: 'Too many sign-in attempts for this account; please wait and try again',
            },
          ]
        : []),
    ];
  },

  register(ctx: Context): RateLimitRule[] {
    const { config } = ctx.deps;
    return [
      {
        key: `register:ip:${ctx.req.ip}`,
        limit: config.authRateLimitPerIp,
        windowSeconds: config.authRateLimitWindowSeconds,
      },
    ];
  },

  forgotPassword(ctx: Context, raw: unknown): RateLimitRule[] {
    const { config } = ctx.deps;
    const window = config.authRateLimitWindowSeconds;
    const parsed = forgotPasswordInput.safeParse(raw);
    return [
      { key: `reset:ip:${ctx.req.ip}`, limit: config.authRateLimitPerIp, windowSeconds: window },
      ...(parsed.success
        ? [
            {
              key: `reset:account:${parsed.data.email}`,
              limit: config.authRateLimitPerAccount,
              windowSeconds: window,
              message: 'Too many reset requests for this address; please wait and try again',
            },
          ]
        : []),
    ];
  },

  /** Nonces and verifications share one budget per IP, twice the password sign-in one. */
  siwe(ctx: Context): RateLimitRule[] {
    const { config } = ctx.deps;
    return [
      {
        key: `siwe:ip:${ctx.req.ip}`,
        limit: config.authRateLimitPerIp * 2,
        windowSeconds: config.authRateLimitWindowSeconds,
      },
    ];
  },
};
