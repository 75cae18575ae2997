import { type AppDeps, checkHealth } from '@ppv/core';
import type { RequestHandler } from 'express';

/** `GET /healthz`: 200 `{ ok: true, … }`, or 503 with `ok: false` when a dependency is down. */
export function healthRoute(deps: AppDeps, version: string): RequestHandler {
  return async (_req, res) => {
    const health = await checkHealth(deps);
    res
      .status(health.ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ ...health, version });
  };
}
