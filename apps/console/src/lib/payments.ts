import type { PpvClient } from '@ppv/sdk';
import type { Notice } from './forms';
import { failure } from './hub';
import { type PaymentStatus, paymentStatuses } from './money';

export const PAYMENTS_PAGE = 50;

export type PaymentRow = Awaited<ReturnType<PpvClient['trpc']['payments']['list']['query']>>[number];

export interface PaymentsPage {
  status: PaymentStatus | undefined;
  offset: number;
  rows: PaymentRow[];
  /** Whether a next page exists. */
  more: boolean;
  notice: Notice;
  httpStatus: number;
}

/** One page of payments for `?status&offset`, the tenant's or (scope `hub`) every tenant's. */
export async function loadPayments(
  client: PpvClient,
  scope: 'tenant' | 'hub',
  url: URL,
): Promise<PaymentsPage> {
  const asked = url.searchParams.get('status') ?? '';
  const status = paymentStatuses.includes(asked as PaymentStatus) ? (asked as PaymentStatus) : undefined;
  const offset = Math.max(0, Number.parseInt(url.searchParams.get('offset') ?? '0', 10) || 0);
  const page: PaymentsPage = { status, offset, rows: [], more: false, notice: null, httpStatus: 200 };
  if (asked && !status) {
    page.notice = { kind: 'error', message: `Status must be one of ${paymentStatuses.join(', ')}.` };
    page.httpStatus = 400;
    return page;
  }
  try {
    const rows = await client.trpc.payments.list.query({
      scope,
      ...(status && { status }),
      limit: PAYMENTS_PAGE + 1,
      offset,
    });
    page.rows = rows.slice(0, PAYMENTS_PAGE);
    page.more = rows.length > PAYMENTS_PAGE;
  } catch (error) {
    const f = failure(error);
    page.notice = { kind: 'error', message: f.message };
    page.httpStatus = f.status;
  }
  return page;
}

/** The query string of another page of the same filter. */
export const pageQuery = (page: PaymentsPage, offset: number) =>
  `?${new URLSearchParams({ ...(page.status && { status: page.status }), offset: String(offset) })}`;
