/** Digits after the decimal point of a rate string such as "17000" or "0.92", as a scaled integer. */
const RATE_SCALE = 100_000_000n;

function scaledRate(rate: string): bigint | null {
  const match = /^(\d{1,16})(?:\.(\d{1,8}))?$/.exec(rate.trim());
  if (!match) return null;
  return BigInt(match[1]!) * RATE_SCALE + BigInt((match[2] ?? '').padEnd(8, '0'));
}

/**
 * A price in whole US cents as text, and in the tenant's display currency at its rate (units per
 * dollar), computed in integers and rounded half up to the currency's minor unit.
 */
export function formatPrice(
  priceCents: number,
  tenant: { displayCurrency: string; displayRate: string },
  locale?: string,
): { usd: string; local: string | null } {
  const usd = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' }).format(priceCents / 100);
  const currency = tenant.displayCurrency.toUpperCase();
  const rate = scaledRate(tenant.displayRate);
  if (currency === 'USD' || rate === null) return { usd, local: null };
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  } catch {
    return { usd, local: null };
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const minor = 10n ** BigInt(digits);
  // cents × rate = hundredths of a display unit (scaled); to the currency's minor units.
  const numerator = BigInt(priceCents) * rate * minor;
  const denominator = 100n * RATE_SCALE;
  const units = (numerator + denominator / 2n) / denominator;
  return { usd, local: format.format(Number(units) / Number(minor)) };
}
