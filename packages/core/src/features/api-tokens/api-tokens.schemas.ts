import { z } from 'zod';

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1, 'Give the token a name').max(80, 'Name must be at most 80 characters'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

export const apiTokenIdInput = z.object({ tokenId: z.uuid('Unknown token id') });
