import { authedProcedure, publicProcedure, router } from '../../trpc';
import { createInvoiceInput, quoteInput } from './checkout.schemas';
import { createInvoice } from './create-invoice';
import { paymentTokens } from './payment-tokens';
import { quote } from './quote';

export const checkoutRouter = router({
  /** The tokens this hub accepts (the first is the default) and the chain they are paid on. */
  tokens: publicProcedure.query(({ ctx }) => paymentTokens(ctx.tx)),
  /** What a video costs in a token now (and in the tenant's display currency), until `expiresAt`. */
  quote: publicProcedure.input(quoteInput).query(({ ctx, input }) => quote(ctx.tx, input)),
  /** A signed invoice for the caller to pay through the splitter (reused while one is open). */
  createInvoice: authedProcedure
    .input(createInvoiceInput)
    .mutation(({ ctx, input }) => createInvoice(ctx.tx, { ...input, auth: ctx.auth })),
});
