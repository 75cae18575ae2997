import { accessRouter } from './features/access-check/access-check.router';
import { apiTokensRouter } from './features/api-tokens/api-tokens.router';
import { authRouter } from './features/auth/auth.router';
import { blocksRouter } from './features/blocks/blocks.router';
import { checkoutRouter } from './features/checkout/checkout.router';
import { ledgerRouter } from './features/ledger/ledger.router';
import { paymentsRouter } from './features/payments/payments.router';
import { playbackRouter } from './features/playback/playback.router';
import { purchasesRouter } from './features/purchases/purchases.router';
import { ratesRouter } from './features/rates/rates.router';
import { siweRouter } from './features/siwe/siwe.router';
import { hubRouter, tenantRouter } from './features/tenants/tenants.router';
import { tracingRouter } from './features/tracing/tracing.router';
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
  rates: ratesRouter,
  checkout: checkoutRouter,
  payments: paymentsRouter,
  purchases: purchasesRouter,
  blocks: blocksRouter,
  ledger: ledgerRouter,
  tracing: tracingRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
