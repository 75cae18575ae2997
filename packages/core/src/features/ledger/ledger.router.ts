import { authedProcedure, router } from '../../trpc';
import { dailyEarnings } from './daily-earnings';
import { earnings, exportEarningsCsv } from './earnings';
import { dailyEarningsInput, earningsInput } from './ledger.schemas';

export const ledgerRouter = router({
  /** Net earnings per token in a date range: as a creator, as the tenant (admins) or as the hub. */
  earnings: authedProcedure
    .input(earningsInput)
    .query(({ ctx, input }) => earnings(ctx.tx, { ...input, auth: ctx.auth })),
  /** The same net earnings per UTC day in US cents, every day of the range present (a sales chart). */
  daily: authedProcedure
    .input(dailyEarningsInput)
    .query(({ ctx, input }) => dailyEarnings(ctx.tx, { ...input, auth: ctx.auth })),
  /** The ledger lines behind `earnings` as CSV text (RFC 4180, one line per share or reversal). */
  exportCsv: authedProcedure
    .input(earningsInput)
    .query(({ ctx, input }) => exportEarningsCsv(ctx.tx, { ...input, auth: ctx.auth })),
});
