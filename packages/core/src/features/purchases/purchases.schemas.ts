import { z } from 'zod';

export const myPurchasesInput = z
  .object({
    limit: z
      .number()
      .int('limit is a whole number')
      .min(1, 'limit is at least 1')
      .max(200, 'limit is at most 200')
      .default(100),
  })
  .default({ limit: 100 });
export type MyPurchasesInput = z.infer<typeof myPurchasesInput>;
