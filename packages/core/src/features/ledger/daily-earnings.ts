import { sumEarningsByDay } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { inScope } from './earnings';
import type { DailyEarningsInput } from './ledger.schemas';

const DAY_MS = 86_400_000;
const startOfDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Net earnings per UTC day (US cents over every token, and the payments shared in), for a sales
 * chart: every day of the range is present, days without sales as zero. The range is widened to
 * whole UTC days: `from`'s day included, up to the start of the day after `to` (excluded) unless
 * `to` already is a day's start.
 */
export async function dailyEarnings(deps: TenantDeps, input: DailyEarningsInput & { auth: AuthInfo }) {
  const from = startOfDay(input.from);
  const to = new Date(Math.ceil(input.to.getTime() / DAY_MS) * DAY_MS);
  const rows = await inScope(deps, input, (em, partyUserId) =>
    sumEarningsByDay(em, { party: input.as, partyUserId, from, to }),
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days: { day: string; usdCents: number; payments: number }[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += DAY_MS) {
    const day = dayOf(new Date(t));
    const row = byDay.get(day);
    days.push({ day, usdCents: row?.usdCents ?? 0, payments: row?.payments ?? 0 });
  }
  return { as: input.as, from, to, days, usdCents: days.reduce((sum, d) => sum + d.usdCents, 0) };
}
