import { type EntityManager, type LedgerLine, listLedgerLines, sumEarnings } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { inHubScope } from '../../lib/hub-scope';
import type { EarningsInput } from './ledger.schemas';

/** Most lines one CSV export holds; narrow the date range for more. */
export const CSV_EXPORT_MAX_LINES = 100_000;

/**
 * Who may see which ledger party: a creator their own shares, a tenant admin the tenant's, a hub
 * admin the hub's (across tenants). Runs `fn` in the right scope.
 */
export async function inScope<T>(
  deps: TenantDeps,
  input: { as: EarningsInput['as']; auth: AuthInfo },
  fn: (em: EntityManager, partyUserId: string | null) => Promise<T>,
): Promise<T> {
  const { auth } = input;
  if (input.as === 'creator') {
    if (!auth.isHubAdmin && auth.role !== 'creator' && auth.role !== 'tenant_admin')
      throw new AppError('FORBIDDEN', 'Creator earnings are for creators');
    return fn(deps.em, auth.userId);
  }
  if (input.as === 'tenant') {
    if (!auth.isHubAdmin && auth.role !== 'tenant_admin')
      throw new AppError('FORBIDDEN', "This site's earnings are for its tenant admins");
    return fn(deps.em, null);
  }
  if (!auth.isHubAdmin) throw new AppError('FORBIDDEN', "The hub's earnings are for hub administrators");
  return inHubScope(deps.em, (em) => fn(em, null));
}

function range(deps: TenantDeps, input: EarningsInput) {
  return { from: input.from ?? new Date(0), to: input.to ?? new Date(deps.clock().getTime() + 1) };
}

/** Net earnings (shares minus reversals) per token, with their value in US cents, in a date range. */
export async function earnings(deps: TenantDeps, input: EarningsInput & { auth: AuthInfo }) {
  const { from, to } = range(deps, input);
  const tokens = await inScope(deps, input, (em, partyUserId) =>
    sumEarnings(em, { party: input.as, partyUserId, from, to }),
  );
  return { as: input.as, from, to, tokens, usdCents: tokens.reduce((sum, t) => sum + t.usdCents, 0) };
}

const CSV_HEADER = [
  'date',
  'kind',
  'party',
  'tenant',
  'video_id',
  'chain_id',
  'token',
  'token_address',
  'amount_smallest_unit',
  'usd_cents',
  'address',
  'tx_hash',
  'log_index',
];

/** A field of RFC 4180 CSV, also defused against spreadsheet formula injection. */
function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const csvLine = (line: LedgerLine) =>
  [
    line.createdAt.toISOString(),
    line.kind,
    line.party,
    line.tenantSlug,
    line.videoId,
    line.chainId,
    line.tokenSymbol,
    line.token,
    line.amount,
    line.usdCents,
    line.address,
    line.txHash,
    line.logIndex,
  ]
    .map(csvField)
    .join(',');

/** The same ledger lines as CSV text (one line per share or reversal), for a spreadsheet. */
export async function exportEarningsCsv(deps: TenantDeps, input: EarningsInput & { auth: AuthInfo }) {
  const { from, to } = range(deps, input);
  const lines = await inScope(deps, input, (em, partyUserId) =>
    listLedgerLines(em, { party: input.as, partyUserId, from, to, limit: CSV_EXPORT_MAX_LINES + 1 }),
  );
  if (lines.length > CSV_EXPORT_MAX_LINES) {
    throw new AppError(
      'BAD_REQUEST',
      `More than ${CSV_EXPORT_MAX_LINES} ledger lines in this range; export a shorter date range`,
    );
  }
  const day = (d: Date) => d.toISOString().slice(0, 10);
  // `to` is excluded: the name gives the last day the export covers.
  const lastDay = new Date(Math.max(from.getTime(), to.getTime() - 1));
  return {
    filename: `earnings-${input.as}-${day(from)}-${day(lastDay)}.csv`,
    contentType: 'text/csv; charset=utf-8',
    lines: lines.length,
    csv: `${[CSV_HEADER.join(','), ...lines.map(csvLine)].join('\r\n')}\r\n`,
  };
}
