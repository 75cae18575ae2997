import { z } from 'zod';

export const siweVerifyInput = z.object({
  message: z.string().min(1, 'The SIWE message is empty').max(4000, 'The SIWE message is too long'),
  signature: z.string().trim().max(20_000, 'The signature is too long'),
  /** Link the wallet to the signed-in account instead of signing in with it. */
  link: z.boolean().default(false),
});
