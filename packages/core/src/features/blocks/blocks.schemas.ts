import { z } from 'zod';

const who = z.string().trim().toLowerCase().min(3, 'Name a username, email or wallet').max(254);

export const blockInput = z.object({
  /** Username, email address or 0x wallet address of the viewer. */
  who,
  reason: z.string().trim().max(500, 'Keep the reason under 500 characters').optional(),
});
export const unblockInput = z.object({ who });
