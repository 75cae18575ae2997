import { authedProcedure, router } from '../../trpc';
import { listMyPurchases } from './list-my-purchases';
import { myPurchasesInput } from './purchases.schemas';

export const purchasesRouter = router({
  /** The caller's purchases in this tenant (video, date, price, rental end, status), newest first. */
  mine: authedProcedure
    .input(myPurchasesInput)
    .query(({ ctx, input }) => listMyPurchases(ctx.tx, { ...input, auth: ctx.auth })),
});
