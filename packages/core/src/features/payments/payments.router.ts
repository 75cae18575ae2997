import { authedProcedure, router } from '../../trpc';
import { listPayments } from './list-payments';
import { paymentStatus } from './payment-status';
import { listPaymentsInput, paymentStatusInput, submitTransactionInput } from './payments.schemas';
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
  /** Admins: payments as recorded, those that granted nothing included (`status` filters). */
  list: authedProcedure
    .input(listPaymentsInput)
    .query(({ ctx, input }) => listPayments(ctx.tx, { ...input, auth: ctx.auth })),
});
