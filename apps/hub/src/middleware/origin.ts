import type { NextFunction, Request, Response } from 'express';

/** Is `origin` this request's own origin or on its tenant's embed allowlist? */
export function originAllowed(req: Request, origin: string): boolean {
  const own = `${req.protocol}://${req.get('host')}`.toLowerCase();
  const o = origin.toLowerCase();
  return o === own || req.tenant.corsOrigins.includes(o);
}

/**
 * CORS for the tenant's allowlisted origins (embeds and SDK clients on other sites), and a check
 * that every state-changing request from a browser comes from an allowed origin: together with
 * SameSite=Lax cookies and the CSRF token this stops cross-site request forgery, including
 * login forgery on the unauthenticated endpoints.
 */
export function originPolicy(req: Request, res: Response, next: NextFunction) {
  const origin = req.get('origin');
  res.vary('Origin');
  if (origin && origin !== 'null' && originAllowed(req, origin)) {
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Allow-Credentials', 'true');
    res.set('Access-Control-Expose-Headers', 'x-request-id, retry-after');
  }
  if (req.method === 'OPTIONS') {
    if (!origin || !originAllowed(req, origin)) {
      res.status(403).json({ error: { message: 'This origin may not call this hub', code: 'FORBIDDEN' } });
      return;
    }
    res.set('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS');
    res.set(
      'Access-Control-Allow-Headers',
      'content-type, authorization, x-csrf-token, x-ppv-tenant, x-request-id',
    );
    res.set('Access-Control-Max-Age', '600');
    res.status(204).end();
    return;
  }
  const unsafe = !['GET', 'HEAD'].includes(req.method);
  if (unsafe && origin && !originAllowed(req, origin)) {
    res.status(403).json({
      error: {
        message: `Requests from ${origin} are not allowed; ask the tenant admin to add it to the embed allowlist`,
        code: 'FORBIDDEN',
      },
    });
    return;
  }
  next();
}
