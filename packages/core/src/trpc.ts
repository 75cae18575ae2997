import type { EntityManager } from '@ppv/db';
import { withTenant } from '@ppv/db';
import { initTRPC, type ProcedureType, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { AuthInfo, AuthProblem, Context } from './context';
import type { TenantDeps } from './deps';
import { AppError, type AppErrorCode } from './errors';
import { csrfTokenFor, resolveAuth } from './features/auth/resolve-auth';
import { hitRateLimit } from './features/rate-limit/hit-rate-limit';

const trpcCodeOf: Record<AppErrorCode, TRPCError['code']> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  TENANT_MISMATCH: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  // tRPC has no 410; the AppError code still reaches the client in the error's data.
  GONE: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_REQUIRED: 'PAYMENT_REQUIRED',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
};

function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const t = initTRPC.context<Context>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const appError = cause instanceof AppError ? cause : null;
    const zodError = cause instanceof z.ZodError ? cause : null;
    let message = shape.message;
    if (zodError) message = describeZodError(zodError);
    else if (error.code === 'INTERNAL_SERVER_ERROR')
      message = 'Something went wrong on our side; please try again';
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        appCode: appError?.code ?? null,
        retryAfterSeconds: appError?.details.retryAfterSeconds ?? null,
        issues: zodError?.issues.map((i) => ({ path: i.path.map(String), message: i.message })) ?? null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/**
 * Turns an AppError (or an input validation error) from anywhere below into the matching TRPCError
 * with a readable message. next() never throws: the result is inspected.
 */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof AppError) {
    return {
      ...result,
      error: new TRPCError({ code: trpcCodeOf[cause.code], message: cause.message, cause }),
    };
  }
  if (cause instanceof z.ZodError) {
    return {
      ...result,
      error: new TRPCError({ code: 'BAD_REQUEST', message: describeZodError(cause), cause }),
    };
  }
  return result;
});

/** Thrown inside the transaction to roll it back when the procedure failed. */
const rollback = new Error('rollback');

/**
 * Every procedure runs in one transaction scoped to the request's tenant (row-level security),
 * with the caller resolved from the session cookie or an API token. A failed procedure rolls back;
 * a successful one records the use of its credential last, just before the commit.
 */
const tenantTransaction = t.middleware(async ({ ctx, next }) => {
  const call = async (em: EntityManager) => {
    const tx: TenantDeps = { ...ctx.deps, em, tenantId: ctx.tenant.id };
    const { auth, problem, touch } = await resolveAuth(tx, ctx.req, ctx.tenant);
    const result = await next({
      ctx: { em, tx, auth: auth as AuthInfo | null, authProblem: problem as AuthProblem | null },
    });
    return { result, touch };
  };
  let result: Awaited<ReturnType<typeof call>>['result'] | undefined;
  try {
    await withTenant(ctx.deps.orm, ctx.tenant.id, async (em) => {
      const done = await call(em);
      result = done.result;
      if (!result.ok) throw rollback;
      await done.touch?.();
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result!;
});

export const publicProcedure = t.procedure.use(appErrors).use(tenantTransaction);

/** One fixed-window limit a call counts against (see hitRateLimit). */
export interface RateLimitRule {
  key: string;
  limit: number;
  windowSeconds: number;
  message?: string;
}

/**
 * A public procedure whose calls first count against `rules` — before the request's transaction
 * opens, on a connection of their own that is released again. A refused call never holds a
 * connection, a failed sign-in still counts (the transaction that rolls back is not the counter's),
 * and a request never waits for a second connection while holding one (which, with every pooled
 * connection held by such a request, would wait forever). `rules` gets the raw input: the
 * procedure's `.input()` schema validates it afterwards.
 */
export const rateLimitedProcedure = (rules: (ctx: Context, rawInput: unknown) => RateLimitRule[]) =>
  t.procedure
    .use(appErrors)
    .use(async ({ ctx, getRawInput, next }) => {
      for (const rule of rules(ctx, await getRawInput()))
        await hitRateLimit(ctx.deps.orm, rule.key, rule.limit, rule.windowSeconds, rule.message);
      return next();
    })
    .use(tenantTransaction);

const problemMessages: Record<AuthProblem, string> = {
  tampered: 'Your session cookie is invalid; please sign in again',
  expired: 'Your session has expired; please sign in again',
  revoked: 'This session was signed out; please sign in again',
  unknown: 'Your session is not valid here; please sign in again',
  disabled: 'This account is disabled',
};

interface CallerContext extends Context {
  auth: AuthInfo | null;
  authProblem: AuthProblem | null;
}

/** The caller, who must be signed in; a cookie-authenticated mutation must carry the CSRF token. */
function requireAuth(ctx: CallerContext, type: ProcedureType): AuthInfo {
  if (!ctx.auth) {
    throw new AppError(
      'UNAUTHORIZED',
      ctx.authProblem ? problemMessages[ctx.authProblem] : 'Please sign in first',
    );
  }
  if (type === 'mutation' && ctx.auth.via === 'session') {
    const expected = csrfTokenFor(ctx.deps.config.sessionSecret, ctx.req.cookies);
    if (!expected || ctx.req.csrfToken !== expected) {
      throw new AppError('FORBIDDEN', 'Missing or invalid CSRF token (send the x-csrf-token header)');
    }
  }
  return ctx.auth;
}

/**
 * The caller, signed in with a session (not an API token): managing credentials needs the person,
 * not a script. For procedures that need it only for some inputs; otherwise use sessionProcedure.
 */
export function requireSession(ctx: CallerContext, type: ProcedureType): AuthInfo {
  const auth = requireAuth(ctx, type);
  if (auth.via !== 'session')
    throw new AppError('FORBIDDEN', 'This action needs a signed-in session, not an API token');
  return auth;
}

/** Signed in (session cookie or API token). Cookie-authenticated mutations must carry the CSRF token. */
export const authedProcedure = publicProcedure.use(({ ctx, type, next }) =>
  next({ ctx: { auth: requireAuth(ctx, type) } }),
);

/** Signed in with a session (not an API token): managing credentials needs the person, not a script. */
export const sessionProcedure = publicProcedure.use(({ ctx, type, next }) =>
  next({ ctx: { auth: requireSession(ctx, type) } }),
);

const roleRank = { viewer: 1, creator: 2, tenant_admin: 3 } as const;

export const roleProcedure = (minimum: keyof typeof roleRank) =>
  authedProcedure.use(({ ctx, next }) => {
    const rank = ctx.auth.isHubAdmin ? 3 : ctx.auth.role ? roleRank[ctx.auth.role] : 0;
    if (rank < roleRank[minimum]) {
      throw new AppError(
        'FORBIDDEN',
        `This needs the ${minimum.replace('_', ' ')} role in ${ctx.tenant.name}`,
      );
    }
    return next();
  });

export const hubAdminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.auth.isHubAdmin) throw new AppError('FORBIDDEN', 'This needs a hub administrator');
  return next();
});

/**
 * A hub administrator's procedure that sees every tenant: the request's own transaction is widened
 * to the hub scope once the caller is known to be a hub admin (no second connection is taken).
 */
export const hubScopeProcedure = hubAdminProcedure.use(async ({ ctx, next }) => {
  await ctx.em.execute("SELECT set_config('app.hub_scope', 'on', true)");
  return next();
});
