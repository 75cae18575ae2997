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
const STALE_MS = 60_000;

type Lookup = typeof resolveTenant;

/**
 * Resolves the tenant of every request from the Host header, or from an explicit slug
 * (`x-ppv-tenant` header or `?tenant=`) for SDK clients on other origins. Positive answers are
 * fresh for CACHE_MS; an unknown host gets a 404. Concurrent requests for a key that is not
 * cached share one lookup (single-flight), so a burst of viewers on a cold host costs one query.
 * An answer past CACHE_MS but younger than STALE_MS is still used while one lookup in the
 * background refreshes it (a tenant gone or suspended is dropped when that lookup says so), so no
 * request — a segment included — ever waits for the database behind a busy connection pool just
 * because the cache entry aged. `lookup` defaults to `resolveTenant`.
 */
export function tenantResolver(deps: AppDeps, lookup: Lookup = resolveTenant) {
  const cache = new Map<string, { tenant: Tenant; at: number }>();
  const now = () => deps.clock().getTime();
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
    const age = cached ? now() - cached.at : Number.POSITIVE_INFINITY;
    if (cached && age < STALE_MS) {
      if (age >= CACHE_MS && !inFlight.has(key)) {
        lookupOnce(key, host, explicit).then(
          (tenant) => {
            if (tenant) cache.set(key, { tenant, at: now() });
            else cache.delete(key);
          },
          (error: unknown) =>
            deps.logger.warn({ err: error, key }, 'tenant refresh failed; using the cached tenant'),
        );
      }
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
      cache.set(key, { tenant, at: now() });
      req.tenant = tenant;
      next();
    } catch (error) {
      next(error);
    }
  };
}
