import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';

/** What an error page shows. */
export interface PageError {
  status: number;
  title: string;
  message: string;
}

/** A same-site path to return to after signing in; anything else becomes `fallback`. */
export function safeNext(value: string | null | undefined, fallback = '/account'): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  return value.slice(0, 500);
}

export function signInHref(next: string): string {
  return `/sign-in?next=${encodeURIComponent(next)}`;
}

const titles: Record<number, string> = {
  400: 'That request does not look right',
  401: 'Please sign in',
  402: 'Payment required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
  500: 'Something went wrong',
};

export function pageError(status: number, message: string): PageError {
  return { status, title: titles[status] ?? titles[500]!, message };
}

/**
 * A hub error as a page: its HTTP status and readable message. Unexpected errors are a 500 with a
 * generic message (the hub's error formatter already hides their details).
 */
export function pageErrorOf(error: unknown): PageError {
  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    if (status >= 500) return pageError(500, 'Something went wrong on our side; please try again');
    return pageError(status, error.message);
  }
  return pageError(500, 'Something went wrong on our side; please try again');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isVideoId = (id: string | undefined): id is string => !!id && UUID.test(id);
