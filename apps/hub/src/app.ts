import { randomUUID } from 'node:crypto';
import type { AppDeps } from '@ppv/core';
import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { requireAuth } from './middleware/auth';
import { originPolicy } from './middleware/origin';
import { tenantResolver } from './middleware/tenant';
import { hubCss, hubJs } from './pages/assets';
import { homePage } from './pages/home';
import { healthRoute } from './routes/health';
import { mediaRoutes } from './routes/media';
import { playRoutes } from './routes/play';
import { posterRoutes } from './routes/poster';
import { type Storefront, storefrontRoutes } from './routes/storefront';
import { traceRoutes } from './routes/traces';
import { trpcHandler } from './routes/trpc';
import { uploadRoutes } from './routes/uploads';
import { x402Routes } from './routes/x402';

export interface HubOptions {
  deps: AppDeps;
  /** express's `trust proxy`: false, true, a hop count or a list of addresses/subnets. */
  trustProxy: boolean | number | string[];
  version?: string;
  /** The viewer storefront (apps/storefront's build); without it the hub serves its own page. */
  storefront?: Storefront;
}

/** The hub's HTTP surface. Wiring only: every decision is made in @ppv/core. */
export function createHubApp({
  deps,
  trustProxy,
  version = '0.1.0',
  storefront,
}: HubOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId(req, res) {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{8,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      // Playback tokens travel in the query for clients that cannot set headers: keep them out of logs.
      serializers: {
        req: (req: { url?: string; query?: Record<string, unknown> }) => ({
          ...req,
          url: req.url?.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'),
          ...(req.query?.token !== undefined && { query: { ...req.query, token: '[redacted]' } }),
        }),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'https:'],
          connectSrc: ["'self'"],
          // Players feed <video> through Media Source Extensions, whose object URLs are blob:.
          mediaSrc: ["'self'", 'blob:'],
          frameAncestors: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      crossOriginResourcePolicy: { policy: 'same-site' },
      strictTransportSecurity: deps.config.nodeEnv === 'production',
    }),
  );

  app.get('/healthz', healthRoute(deps, version));
  app.get('/assets/hub.css', (_req, res) =>
    res.type('text/css').set('cache-control', 'public, max-age=300').send(hubCss),
  );
  app.get('/assets/hub.js', (_req, res) =>
    res.type('text/javascript').set('cache-control', 'public, max-age=300').send(hubJs),
  );

  app.use(tenantResolver(deps));
  // Before the general origin policy, which answers every OPTIONS itself: tus discovery is an
  // OPTIONS, and published media is open to every origin.
  app.use(uploadRoutes(deps));
  app.use(mediaRoutes(deps));
  app.use(originPolicy);
  app.use('/trpc', trpcHandler(deps));
  app.use(playRoutes(deps));
  app.use(x402Routes(deps));
  app.use(traceRoutes(deps));
  app.use(posterRoutes(deps));
  app.get('/api/v1/me', requireAuth(deps), (req, res) => {
    const auth = req.auth!;
    res.json({
      id: auth.userId,
      username: auth.username,
      role: auth.role,
      isHubAdmin: auth.isHubAdmin,
      via: auth.via,
    });
  });
  if (storefront) {
    app.use(storefrontRoutes(deps, storefront));
  } else {
    app.get('/', (req, res) => res.type('html').send(homePage(req.tenant, 'home')));
    app.get('/reset-password', (req, res) => res.type('html').send(homePage(req.tenant, 'reset')));
  }

  app.use((_req, res) => {
    res.status(404).json({ error: { message: 'Not found', code: 'NOT_FOUND' } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const status =
      typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) req.log.error({ err: error }, 'unhandled error');
    res.status(status).json({
      error: {
        message:
          status === 500 ? 'Something went wrong on our side; please try again' : String(error.message),
        code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST',
      },
    });
  };
  app.use(onError);
  return app;
}
