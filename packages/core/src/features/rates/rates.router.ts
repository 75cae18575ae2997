import { hubAdminProcedure, roleProcedure, router } from '../../trpc';
import { listDisplayRates, setDisplayRate } from './display-rates';
import {
  displayRateHistoryInput,
  setDisplayRateInput,
  setTokenRateInput,
  tokenRateHistoryInput,
} from './rates.schemas';
import { listTokenRates, setTokenRate } from './token-rates';

export const ratesRouter = router({
  /** Hub admin: the USD rate of a non-stable token (or the native coin) for a validity window. */
  setTokenRate: hubAdminProcedure
    .input(setTokenRateInput)
    .mutation(({ ctx, input }) => setTokenRate(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  tokenRates: hubAdminProcedure
    .input(tokenRateHistoryInput)
    .query(({ ctx, input }) => listTokenRates(ctx.tx, input)),
  /** Tenant admin: the storefront's display currency and its rate per US dollar. */
  setDisplayRate: roleProcedure('tenant_admin')
    .input(setDisplayRateInput)
    .mutation(({ ctx, input }) => setDisplayRate(ctx.tx, { ...input, auth: ctx.auth, ip: ctx.req.ip })),
  displayRates: roleProcedure('tenant_admin')
    .input(displayRateHistoryInput)
    .query(({ ctx, input }) => listDisplayRates(ctx.tx, input)),
});
