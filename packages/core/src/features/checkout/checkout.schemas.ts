import { z } from 'zod';

const videoId = z.string().uuid('videoId must be a video id');
const token = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{1,16}$/, 'Token is a configured token symbol such as USDC or ETH');

export const quoteInput = z.object({ videoId, token });
export type QuoteInput = z.infer<typeof quoteInput>;

export const createInvoiceInput = z.object({
  videoId,
  token,
  /** One of the viewer's linked wallets; defaults to the most recently linked one on this chain. */
  payer: z
    .string()
    .trim()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'Payer must be a 0x-prefixed 20-byte address')
    .optional(),
});
export type CreateInvoiceInput = z.infer<typeof createInvoiceInput>;
