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

/** Longest range `ledger.daily` answers for, in days. */
export const DAILY_MAX_DAYS = 366;

export const dailyEarningsInput = z
  .object({
    as: z.enum(['creator', 'tenant', 'hub']),
    /** Included; rounded down to the start of its UTC day. */
    from: z.coerce.date(),
    /** Excluded; rounded up to the start of the next UTC day unless it is one. */
    to: z.coerce.date(),
  })
  .refine((v) => v.to > v.from, { message: 'to must be after from', path: ['to'] })
  .refine((v) => v.to.getTime() - v.from.getTime() <= DAILY_MAX_DAYS * 86_400_000, {
    message: `a daily series covers at most ${DAILY_MAX_DAYS} days`,
    path: ['to'],
  });
export type DailyEarningsInput = z.infer<typeof dailyEarningsInput>;
