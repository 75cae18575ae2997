import { z } from 'zod';

const tokenSymbol = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{1,16}$/, 'Token is a configured token symbol such as ETH or USDC');

export const setTokenRateInput = z
  .object({
    token: tokenSymbol,
    /** US dollars per whole token, up to 6 decimals: "3456.78". */
    usdPerToken: z
      .string()
      .trim()
      .regex(/^\d{1,18}(\.\d{1,6})?$/, {
        message: 'Rate is US dollars per whole token, a decimal with up to 6 places, e.g. 3456.78',
        abort: true,
      })
      .refine((v) => /[1-9]/.test(v), 'Rate must be greater than zero'),
    /** Defaults to now. */
    validFrom: z.coerce.date().optional(),
    validUntil: z.coerce.date(),
  })
  .refine((v) => !v.validFrom || v.validUntil > v.validFrom, {
    message: 'validUntil must be after validFrom',
    path: ['validUntil'],
  });
export type SetTokenRateInput = z.infer<typeof setTokenRateInput>;

export const tokenRateHistoryInput = z.object({
  token: tokenSymbol,
  limit: z.number().int().min(1).max(200).default(50),
});

export const setDisplayRateInput = z.object({
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'Currency must be a 3-letter ISO code such as USD or IDR'),
  /** Units of the currency per US dollar: "17000". */
  rate: z
    .string()
    .trim()
    .regex(/^\d{1,16}(\.\d{1,8})?$/, {
      message: 'Rate is a positive decimal: units of the display currency per US dollar',
      abort: true,
    })
    .refine((v) => Number(v) > 0, 'Rate must be greater than zero'),
});
export type SetDisplayRateInput = z.infer<typeof setDisplayRateInput>;

export const displayRateHistoryInput = z.object({ limit: z.number().int().min(1).max(200).default(50) });
