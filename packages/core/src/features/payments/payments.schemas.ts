import { z } from 'zod';

export const submitTransactionInput = z.object({
  txHash: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^0x[0-9a-f]{64}$/, 'txHash must be a 0x-prefixed 32-byte transaction hash'),
});

export const paymentStatusInput = z.object({
  /** The invoice's id from checkout.createInvoice (uuid) or its on-chain id (0x + 32 bytes). */
  invoiceId: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]{64})$/,
      'invoiceId is the invoice id from checkout.createInvoice or its 0x on-chain id',
    ),
});

export const listPaymentsInput = z.object({
  /** The tenant's payments (tenant admins), or every tenant's and the unassigned ones (hub admins). */
  scope: z.enum(['tenant', 'hub']).default('tenant'),
  status: z
    .enum([
      'credited',
      'overpaid',
      'late',
      'underpaid',
      'mismatch',
      'duplicate',
      'unknown_invoice',
      'orphaned',
    ])
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Rows to skip, newest first (for paging). */
  offset: z.number().int().min(0).max(1_000_000).default(0),
});
export type ListPaymentsInput = z.infer<typeof listPaymentsInput>;
