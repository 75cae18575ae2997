import { TRPCClientError } from '@trpc/client';
import type { HubErrorShape } from './generated/hub-router';

/** The hub's error codes (its AppError codes), plus what can go wrong before the hub answers. */
export type PpvErrorCode =
  | NonNullable<HubErrorShape['data']['appCode']>
  | 'INTERNAL_SERVER_ERROR'
  | 'NETWORK_ERROR'
  | 'SIGNATURE_REJECTED'
  // From the wallet, during checkout:
  | 'USER_REJECTED'
  | 'WRONG_CHAIN'
  | 'INSUFFICIENT_BALANCE'
  | 'INVOICE_EXPIRED'
  | 'TRANSACTION_REVERTED'
  | 'WALLET_ERROR'
  /** The paying wallet is not linked to the signed-in account: link it (`auth.linkWallet`), then buy. */
  | 'WALLET_NOT_LINKED'
  | 'TIMEOUT';

const codeOfStatus: Record<number, PpvErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  410: 'GONE',
  412: 'PRECONDITION_FAILED',
  429: 'TOO_MANY_REQUESTS',
};

const known = new Set<string>([...Object.values(codeOfStatus), 'TENANT_MISMATCH', 'INTERNAL_SERVER_ERROR']);

/** Every failure of the SDK: the hub's code and its readable message. */
export class PpvError extends Error {
  override readonly name = 'PpvError';
  constructor(
    readonly code: PpvErrorCode,
    message: string,
    readonly details: {
      /** HTTP status of the hub's answer; 0 when there was none. */
      status: number;
      /** The procedure or route that failed, e.g. `auth.login`. */
      path?: string | undefined;
      /** Set with TOO_MANY_REQUESTS: when to try again. */
      retryAfterSeconds?: number | undefined;
      /** Set with BAD_REQUEST from input validation: which field and what is wrong with it. */
      issues?: { path: string[]; message: string }[] | undefined;
      cause?: unknown;
    } = { status: 0 },
  ) {
    super(message, { cause: details.cause });
  }
}

/**
 * The error of one of the hub's plain HTTP routes (tenant resolution, the origin policy, /play):
 * `{ error: { message, code } }` with a string code, unlike tRPC's numeric one.
 */
export function hubRouteError(status: number, body: unknown): PpvError | null {
  const error = (body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return null;
  const code = known.has(error.code) ? (error.code as PpvErrorCode) : codeOfStatus[status];
  return new PpvError(code ?? 'INTERNAL_SERVER_ERROR', error.message, { status });
}

/** Turns whatever a tRPC call threw into a PpvError. */
export function toPpvError(error: unknown, path?: string): PpvError {
  if (error instanceof PpvError) return error;
  if (error instanceof TRPCClientError && error.cause instanceof PpvError) return error.cause;
  if (error instanceof TRPCClientError) {
    const shape = error.shape as Partial<HubErrorShape> & { code?: unknown };
    const data = shape?.data ?? (error.data as HubErrorShape['data'] | undefined);
    // No answer at all: the fetch itself failed.
    if (!shape && !data && error.cause instanceof Error && !error.meta?.response) {
      return new PpvError('NETWORK_ERROR', 'Could not reach the hub; check the connection and try again', {
        status: 0,
        path,
        cause: error,
      });
    }
    const response = error.meta?.response as Response | undefined;
    const status = data?.httpStatus ?? response?.status ?? 0;
    if (!shape && !data) {
      return new PpvError(
        codeOfStatus[status] ?? 'INTERNAL_SERVER_ERROR',
        `The hub answered HTTP ${status} without an error message; is this the hub's address?`,
        { status, path, cause: error },
      );
    }
    const code: PpvErrorCode =
      data?.appCode ??
      (typeof shape?.code === 'string' && known.has(shape.code) ? (shape.code as PpvErrorCode) : undefined) ??
      (data?.code && known.has(data.code) ? (data.code as PpvErrorCode) : undefined) ??
      codeOfStatus[status] ??
      'INTERNAL_SERVER_ERROR';
    return new PpvError(code, error.message, {
      status,
      path: data?.path ?? path,
      retryAfterSeconds: data?.retryAfterSeconds ?? undefined,
      issues: data?.issues ?? undefined,
      cause: error,
    });
  }
  if (error instanceof TypeError) {
    return new PpvError('NETWORK_ERROR', 'Could not reach the hub; check the connection and try again', {
      status: 0,
      path,
      cause: error,
    });
  }
  return new PpvError('INTERNAL_SERVER_ERROR', error instanceof Error ? error.message : String(error), {
    status: 0,
    path,
    cause: error,
  });
}
