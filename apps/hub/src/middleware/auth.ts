import { type AppDeps, AppError, type AuthInfo, httpStatusOf, resolveAuth } from '@ppv/core';
import { withTenant } from '@ppv/db';
import type { NextFunction, Request, Response } from 'express';
import { requestMeta } from '../routes/trpc';

declare global {
  namespace Express {
    interface Request {
      auth?: AuthInfo;
    }
  }
}

/**
 * Authentication for plain HTTP routes (media, uploads, webhooks): the same session cookie or
 * `Authorization: Bearer` API token as tRPC, resolved in the tenant's row-level-security scope.
 */
export function requireAuth(deps: AppDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { auth, problem } = await withTenant(deps.orm, req.tenant.id, async (em) => {
        const resolved = await resolveAuth(
          { ...deps, em, tenantId: req.tenant.id },
          requestMeta(req),
          req.tenant,
        );
        await resolved.touch?.();
        return resolved;
      });
      if (!auth) {
        res.status(401).json({
          error: {
            message: problem ? `Session ${problem}; please sign in again` : 'Please sign in first',
            code: 'UNAUTHORIZED',
          },
        });
        return;
      }
      req.auth = auth;
      next();
    } catch (error) {
      if (error instanceof AppError) {
        res.status(httpStatusOf[error.code]).json({ error: { message: error.message, code: error.code } });
        return;
      }
      next(error);
    }
  };
}
