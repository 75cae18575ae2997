import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ppv/config';
import { type AppDeps, createCaller, publicTenant } from '@ppv/core';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { cookieWriter, requestMeta } from './trpc';

/** The in-process tRPC caller a page reads with: the same context as a request to /trpc. */
export type PageCaller = ReturnType<typeof createCaller>;

/** What every storefront page receives from the hub (Astro's `locals`). */
export interface StorefrontLocals {
  caller: PageCaller;
  tenant: ReturnType<typeof publicTenant>;
  /** The request's logger (its lines carry the request id). */
  log: Logger;
}

/** The request handler an Astro build made with @astrojs/node in middleware mode exports. */
export type PageHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
  locals: StorefrontLocals,
) => void | Promise<void>;

export interface Storefront {
  handler: PageHandler;
  /** The build's browser assets (dist/client): served under /_astro, fingerprinted. */
  clientDir: string;
}

/** Paths the hub answers itself, with JSON errors: never rendered as storefront pages. */
const HUB_PATHS = /^\/(?:trpc|api|media|play|uploads|healthz|assets)(?:\/|$)/;

/**
 * The tenant's storefront pages, after every hub route. Each page reads through `createCaller` with
 * the request's tenant, cookies and client address, exactly as the same request to /trpc would: no
 * HTTP hop, the same row-level-security transaction per procedure, the same errors.
 */
export function storefrontRoutes(deps: AppDeps, storefront: Storefront): Router {
  const router = Router();
  router.use(
    '/_astro',
    express.static(`${storefront.clientDir}/_astro`, {
      immutable: true,
      maxAge: '1y',
      index: false,
      fallthrough: false,
    }),
  );
  router.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || HUB_PATHS.test(req.path)) {
      next();
      return;
    }
    const locals: StorefrontLocals = {
      caller: createCaller({
        deps,
        tenant: req.tenant,
        req: requestMeta(req),
        cookies: cookieWriter(req, res),
      }),
      tenant: publicTenant(req.tenant),
      log: req.log,
    };
    res.set('cache-control', 'private, no-cache');
    void storefront.handler(req, res, next, locals);
  });
  return router;
}
