import { type AppDeps, resolveTenant } from '@ppv/core';
import type { Tenant } from '@ppv/db';
import type { NextFunction, Request, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      tenant: Tenant;
    }
  }
}

const CACHE_MS = 5_000;

type Lookup = typeof resolveTenant;

/**
 * Resolves the tenant of every request from the Host header, or from an explicit slug
 * (`x-ppv-tenant` header or `?tenant=`) for SDK clients on other origins. Positive answers are
 * cached for a few seconds; an unknown host gets a 404. Concurrent requests for a key that is not
 * cached share one lookup (single-flight), so a burst of viewers on a cold host costs one query.
 * `lookup` defaults to `resolveTenant`.
 */
export function tenantResolver(deps: AppDeps, lookup: Lookup = resolveTenant) {
  const cache = new Map<string, { tenant: Tenant; until: number }>();
  const inFlight = new Map<string, Promise<Tenant | null>>();
  const lookupOnce = (key: string, host: string, explicit: string | undefined) => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = lookup(deps.orm, deps.config, { host, explicitSlug: explicit }).finally(() =>
        inFlight.delete(key),
      );
      inFlight.set(key, pending);
    }
    return pending;
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const explicit =
      req.get('x-ppv-tenant') ?? (typeof req.query.tenant === 'string' ? req.query.tenant : undefined);
    const host = (req.get('host') ?? '').toLowerCase();
    if (explicit !== undefined && !/^[a-z0-9][a-z0-9-]{1,39}$/i.test(explicit)) {
      res.status(400).json({ error: { message: 'Invalid tenant slug', code: 'BAD_REQUEST' } });
      return;
    }
    const key = explicit ? `slug:${explicit.toLowerCase()}` : `host:${host}`;
    const cached = cache.get(key);
    if (cached && cached.until > Date.now()) {
      req.tenant = cached.tenant;
      next();
      return;
    }
    try {
      const tenant = await lookupOnce(key, host, explicit);
      if (!tenant) {
        res.status(404).json({
          error: {
            message: explicit
              ? `No tenant "${explicit}" on this hub`
              : `No tenant is served at ${host || 'this host'}`,
            code: 'NOT_FOUND',
          },
        });
        return;
      }
      cache.set(key, { tenant, until: Date.now() + CACHE_MS });
      req.tenant = tenant;
      next();
    } catch (error) {
      next(error);
    }
  };
}
