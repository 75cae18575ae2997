import type { PpvClient } from '@ppv/sdk';
import { failure } from './hub';

export type Party = 'creator' | 'tenant' | 'hub';

const DAY_MS = 86_400_000;
/** The longest range the earnings pages show (the hub's `ledger.daily` limit). */
export const MAX_RANGE_DAYS = 366;
/** The range shown when none is asked for: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** "2026-03-31" as the start of that UTC day, or null when it is no calendar day. */
function parseDay(text: string): Date | null {
  if (!DAY.test(text)) return null;
  const d = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || dayOf(d) !== text ? null : d;
}

/**
 * A range of whole UTC days, both ends included, as people pick it: `fromDay` to `toDay`. The hub
 * takes `to` excluded, so `to` is the start of the day after `toDay`.
 */
export interface DayRange {
  fromDay: string;
  toDay: string;
  from: Date;
  to: Date;
  days: number;
}

function rangeOf(from: Date, toDay: Date): DayRange {
  const to = new Date(toDay.getTime() + DAY_MS);
  return {
    fromDay: dayOf(from),
    toDay: dayOf(toDay),
    from,
    to,
    days: Math.round((to.getTime() - from.getTime()) / DAY_MS),
  };
}

/**
 * The range in `?from=YYYY-MM-DD&to=YYYY-MM-DD` (both days included), the last 30 days by default,
 * or what is wrong with it (the typed values kept for the form).
 */
export function dayRange(
  params: URLSearchParams,
  now: Date,
): { range: DayRange } | { error: string; fromDay: string; toDay: string } {
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const fromText = (params.get('from') ?? '').trim();
  const toText = (params.get('to') ?? '').trim();
  const toDay = toText ? parseDay(toText) : today;
  const typed = { fromDay: fromText, toDay: toText };
  if (!toDay) return { error: `“To” must be a date such as ${dayOf(today)}.`, ...typed };
  const from = fromText ? parseDay(fromText) : new Date(toDay.getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
  if (!from) return { error: `“From” must be a date such as ${dayOf(today)}.`, ...typed };
  if (from > toDay) return { error: '“From” must be on or before “To”.', ...typed };
  const range = rangeOf(from, toDay);
  if (range.days > MAX_RANGE_DAYS) {
    return { error: `Pick at most ${MAX_RANGE_DAYS} days (this range has ${range.days}).`, ...typed };
  }
  return { range };
}

/** The query string of a range, for links (the CSV download). */
export const rangeQuery = (r: DayRange) => new URLSearchParams({ from: r.fromDay, to: r.toDay }).toString();

export interface TokenTotal {
  tokenSymbol: string;
  token: string;
  chainId: number;
  amount: string;
  usdCents: number;
  payments: number;
}

export interface EarningsView {
  range: DayRange;
  tokens: TokenTotal[];
  usdCents: number;
  days: { day: string; usdCents: number; payments: number }[];
  /** Decimals of the hub's configured tokens by lower-case address, to show whole-token amounts. */
  decimals: Map<string, number>;
}

/** One party's totals per token and per day in `range` from the hub. */
export async function loadEarnings(client: PpvClient, as: Party, range: DayRange): Promise<EarningsView> {
  const [totals, daily, tokens] = await Promise.all([
    client.trpc.ledger.earnings.query({ as, from: range.from, to: range.to }),
    client.trpc.ledger.daily.query({ as, from: range.from, to: range.to }),
    client.trpc.checkout.tokens.query(),
  ]);
  return {
    range,
    tokens: totals.tokens,
    usdCents: totals.usdCents,
    days: daily.days,
    decimals: new Map(tokens.tokens.map((t) => [t.address.toLowerCase(), t.decimals])),
  };
}

/** What an earnings page shows: the view, or a notice and status when the range or the hub refuses. */
export interface EarningsPage {
  view: EarningsView | null;
  notice: { kind: 'error'; message: string } | null;
  /** The HTTP status to answer with when it is not 200. */
  status: number | null;
  /** The days to show in the form: the range's, or what was typed. */
  fromDay: string;
  toDay: string;
}

/** The earnings page of `as` for the range in the URL (see dayRange). */
export async function earningsPage(client: PpvClient, as: Party, url: URL, now: Date): Promise<EarningsPage> {
  const asked = dayRange(url.searchParams, now);
  if ('error' in asked) {
    const { error, fromDay, toDay } = asked;
    return { view: null, notice: { kind: 'error', message: error }, status: 400, fromDay, toDay };
  }
  const { fromDay, toDay } = asked.range;
  try {
    return { view: await loadEarnings(client, as, asked.range), notice: null, status: null, fromDay, toDay };
  } catch (error) {
    const f = failure(error);
    return { view: null, notice: { kind: 'error', message: f.message }, status: f.status, fromDay, toDay };
  }
}

/** Smallest units as a decimal of whole tokens: ("8500000", 6) → "8.5"; negative amounts kept. */
export function tokenAmount(amount: string, decimals: number | undefined): string {
  if (decimals === undefined) return `${amount} (smallest units)`;
  const negative = amount.startsWith('-');
  const digits = (negative ? amount.slice(1) : amount).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** The geometry of the per-day sales chart: one bar per day, scaled to the best day. */
export interface Chart {
  width: number;
  height: number;
  /** The top of the scale in cents (the best day, at least one cent). */
  maxCents: number;
  bars: {
    day: string;
    usdCents: number;
    payments: number;
    x: number;
    y: number;
    width: number;
    height: number;
  }[];
  /** Day labels under the axis, about six of them. */
  labels: { x: number; text: string }[];
}

export function salesChart(days: EarningsView['days']): Chart {
  const width = 720;
  const height = 200;
  const top = 10;
  const plot = height - top - 20;
  const maxCents = Math.max(1, ...days.map((d) => d.usdCents));
  const step = width / Math.max(1, days.length);
  const barWidth = Math.max(1, step * 0.8);
  const bars = days.map((d, i) => {
    const h = d.usdCents > 0 ? Math.max(1, (d.usdCents / maxCents) * plot) : 0;
    return { ...d, x: i * step + (step - barWidth) / 2, y: top + plot - h, width: barWidth, height: h };
  });
  const every = Math.max(1, Math.ceil(days.length / 6));
  const labels = days
    .map((d, i) => ({ i, d }))
    .filter(({ i }) => i % every === 0)
    .map(({ i, d }) => ({ x: i * step + step / 2, text: d.day.slice(5) }));
  return { width, height, maxCents, bars, labels };
}

/** The CSV download of one party's ledger lines for `?from&to` (days included), as an attachment. */
export async function csvResponse(client: PpvClient, as: Party, url: URL, now: Date): Promise<Response> {
  const asked = dayRange(url.searchParams, now);
  if ('error' in asked) return plain(asked.error, 400);
  try {
    const exported = await client.trpc.ledger.exportCsv.query({
      as,
      from: asked.range.from,
      to: asked.range.to,
    });
    return new Response(exported.csv, {
      headers: {
        'content-type': exported.contentType,
        'content-disposition': `attachment; filename="${exported.filename.replace(/[^\w.-]/g, '_')}"`,
        'cache-control': 'no-store',
      },
    });
  } catch (error) {
    const f = failure(error);
    return plain(f.message, f.status);
  }
}

const plain = (message: string, status: number) =>
  new Response(`${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export const paymentStatuses = [
  'credited',
  'overpaid',
  'late',
  'underpaid',
  'mismatch',
  'duplicate',
  'unknown_invoice',
  'orphaned',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];
