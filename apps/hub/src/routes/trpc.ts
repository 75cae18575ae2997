import { type AppDeps, type AppRouter, appRouter, type Context, type CookieWriter } from '@ppv/core';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { parseCookie } from 'cookie';
import type { Request, Response } from 'express';

export function requestCookies(req: Request): Record<string, string | undefined> {
  return parseCookie(req.get('cookie') ?? '');
}

export function cookieWriter(req: Request, res: Response): CookieWriter {
  return {
    set(name, value, options) {
      res.cookie(name, value, {
        httpOnly: options.httpOnly,
        sameSite: 'lax',
        secure: req.secure,
        path: '/',
        maxAge: options.maxAgeSeconds * 1000,
      });
    },
    clear(name) {
      res.clearCookie(name, { path: '/', sameSite: 'lax', secure: req.secure });
    },
  };
}

export function requestMeta(req: Request): Context['req'] {
  return {
    ip: req.ip ?? req.socket.remoteAddress ?? '',
    userAgent: req.get('user-agent'),
    host: (req.get('host') ?? '').toLowerCase(),
    secure: req.secure,
    origin: req.get('origin'),
    cookies: requestCookies(req),
    authorization: req.get('authorization'),
    csrfToken: req.get('x-csrf-token'),
  };
}

export function trpcHandler(deps: AppDeps) {
  return createExpressMiddleware<AppRouter>({
    router: appRouter,
    maxBodySize: 1_000_000,
    createContext: ({ req, res }): Context => ({
      deps,
      tenant: req.tenant,
      req: requestMeta(req),
      cookies: cookieWriter(req, res),
    }),
    responseMeta({ errors }) {
      const retryAfter = errors.map((e) => e.cause).find((c) => c && 'details' in c) as
        | { details?: { retryAfterSeconds?: number } }
        | undefined;
      const seconds = retryAfter?.details?.retryAfterSeconds;
      return seconds ? { headers: new Headers({ 'retry-after': String(seconds) }) } : {};
    },
    onError({ error, path, req }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (req as Request).log?.error({ err: error.cause ?? error, path }, 'unexpected error in procedure');
      }
    },
  });
}
