import { authedProcedure, publicProcedure, router } from '../../trpc';
import { createInvoiceInput, quoteInput } from './checkout.schemas';
import { createInvoice } from './create-invoice';
import { quote } from './quote';

export const checkoutRouter = router({
  /** What a video costs in a token now (and in the tenant's display currency), until `expiresAt`. */
  quote: publicProcedure.input(quoteInput).query(({ ctx, input }) => quote(ctx.tx, input)),
  /** A signed invoice for the caller to pay through the splitter (reused while one is open). */
  createInvoice: authedProcedure
    .input(createInvoiceInput)
    .mutation(({ ctx, input }) => createInvoice(ctx.tx, { ...input, auth: ctx.auth })),
});
