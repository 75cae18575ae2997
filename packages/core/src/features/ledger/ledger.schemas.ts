import { z } from 'zod';

export const earningsInput = z
  .object({
    /** Whose earnings: the caller's as a creator, the tenant's (tenant admins), the hub's (hub admins). */
    as: z.enum(['creator', 'tenant', 'hub']),
    /** Included; all time when omitted. */
    from: z.coerce.date().optional(),
    /** Excluded; up to now when omitted. */
    to: z.coerce.date().optional(),
  })
  .refine((v) => !v.from || !v.to || v.to > v.from, { message: 'to must be after from', path: ['to'] });
export type EarningsInput = z.infer<typeof earningsInput>;
