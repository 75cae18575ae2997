import { authedProcedure, router } from '../../trpc';
import { paymentStatus } from './payment-status';
import { paymentStatusInput, submitTransactionInput } from './payments.schemas';
import { submitTransaction } from './submit-transaction';

export const paymentsRouter = router({
  /** Hand in a payment's transaction hash: access as soon as it has the configured confirmations. */
  submitTransaction: authedProcedure
    .input(submitTransactionInput)
    .mutation(({ ctx, input }) => submitTransaction(ctx.tx, { ...input, auth: ctx.auth })),
  /** One of the caller's invoices, its payments and whether the video plays now. */
  status: authedProcedure
    .input(paymentStatusInput)
    .query(({ ctx, input }) => paymentStatus(ctx.tx, { ...input, auth: ctx.auth })),
});
