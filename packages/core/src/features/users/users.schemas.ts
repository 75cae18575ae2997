import { z } from 'zod';

export const listUsersInput = z.object({
  /** Part of a username or email address, any case. */
  query: z.string().trim().max(100, 'Search for at most 100 characters').optional(),
  limit: z.number().int().min(1).max(100).default(50),
  offset: z.number().int().min(0).default(0),
});

export type ListUsersInput = z.infer<typeof listUsersInput>;
