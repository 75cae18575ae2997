import { accessRouter } from './features/access-check/access-check.router';
import { apiTokensRouter } from './features/api-tokens/api-tokens.router';
import { authRouter } from './features/auth/auth.router';
import { playbackRouter } from './features/playback/playback.router';
import { siweRouter } from './features/siwe/siwe.router';
import { hubRouter, tenantRouter } from './features/tenants/tenants.router';
import { videosRouter } from './features/videos/videos.router';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  siwe: siweRouter,
  apiTokens: apiTokensRouter,
  tenant: tenantRouter,
  hub: hubRouter,
  videos: videosRouter,
  playback: playbackRouter,
  access: accessRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
