/** Locales that write a currency the way its users expect ("Rp170.000", "170.000 €"). */
const localeOf: Record<string, string> = {
  USD: 'en-US',
  IDR: 'id-ID',
  EUR: 'de-DE',
  GBP: 'en-GB',
  JPY: 'ja-JP',
  INR: 'en-IN',
  BRL: 'pt-BR',
  MXN: 'es-MX',
  PHP: 'en-PH',
  MYR: 'ms-MY',
  THB: 'th-TH',
  VND: 'vi-VN',
  NGN: 'en-NG',
  KES: 'en-KE',
};

const formatters = new Map<string, Intl.NumberFormat>();
function formatter(currency: string, whole: boolean): Intl.NumberFormat {
  const key = `${currency}:${whole}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(localeOf[currency] ?? 'en-US', {
      style: 'currency',
      currency,
      currencyDisplay: 'narrowSymbol',
      // Whole amounts without ",00"; otherwise the currency's own number of decimals.
      ...(whole && { minimumFractionDigits: 0, maximumFractionDigits: 0 }),
    });
    formatters.set(key, f);
  }
  return f;
}

/** Joins a symbol written before the amount to it ("Rp170.000", as Indonesian style guides write it). */
function joinLeadingSymbol(parts: Intl.NumberFormatPart[]): string {
  const leading = parts[0]?.type === 'currency';
  return parts
    .filter((p, i) => !(leading && i === 1 && p.type === 'literal' && /^\s+$/.test(p.value)))
    .map((p) => p.value)
    .join('');
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** "$2.50" from 250 cents; "Free" for 0. */
export function formatUsd(cents: number): string {
  if (cents === 0) return 'Free';
  return usd.format(cents / 100);
}

/** How many decimals the currency's minor unit has (2 for USD, 0 for IDR and JPY). */
const minorDigits = new Map<string, number>();
function digitsOf(currency: string): number {
  let digits = minorDigits.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits!;
    minorDigits.set(currency, digits);
  }
  return digits;
}

const RATE = /^(\d{1,16})(?:\.(\d{1,8}))?$/;

/**
 * A price in US cents shown in the tenant's display currency at its rate (units per US dollar, a
 * decimal string such as "17000.00000000"), computed exactly in integers and rounded half up to
 * the currency's own precision by Intl: 1000 cents at 17000 IDR/USD is "Rp170.000".
 */
export function formatDisplayPrice(cents: number, currency: string, rate: string): string {
  const match = RATE.exec(rate.trim());
  if (!match) throw new Error(`Not a display rate: ${rate}`);
  const rateE8 = BigInt(match[1]!) * 100_000_000n + BigInt((match[2] ?? '').padEnd(8, '0'));
  const digits = digitsOf(currency);
  // cents × rate / 100 is in units of 1e-10 of the currency: round half up to its minor unit.
  const unit = 10n ** BigInt(10 - digits);
  const minor = (BigInt(cents) * rateE8 + unit / 2n) / unit;
  const scale = 10n ** BigInt(digits);
  const whole = minor % scale === 0n;
  const amount = whole
    ? String(minor / scale)
    : `${minor / scale}.${String(minor % scale).padStart(digits, '0')}`;
  return joinLeadingSymbol(formatter(currency, whole).formatToParts(amount as unknown as number));
}

export interface PriceView {
  usd: string;
  /** The same price in the tenant's display currency; null when that currency is USD. */
  display: string | null;
}

export function priceView(
  cents: number,
  tenant: { displayCurrency: string; displayRate: string },
): PriceView {
  return {
    usd: formatUsd(cents),
    display:
      tenant.displayCurrency === 'USD' || cents === 0
        ? null
        : formatDisplayPrice(cents, tenant.displayCurrency, tenant.displayRate),
  };
}

/** "1:05:07", "4:02" or "0:09" from seconds. */
export function formatDuration(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
