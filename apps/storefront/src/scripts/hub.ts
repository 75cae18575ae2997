/** Browser calls to the hub's tRPC endpoint (same origin), with the CSRF token of the session. */

export interface Issue {
  path: string[];
  message: string;
}

export class HubError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The tRPC code: BAD_REQUEST, UNAUTHORIZED, CONFLICT, … */
    readonly code: string,
    readonly issues: Issue[],
  ) {
    super(message);
  }
}

/** The CSRF token of the signed-in session: its readable cookie, else the page's meta tag. */
export function csrfToken(): string {
  const fromCookie = /(?:^|;\s*)ppv_csrf=([^;]+)/.exec(document.cookie)?.[1];
  return fromCookie ?? document.querySelector<HTMLMetaElement>('meta[name="ppv-csrf"]')?.content ?? '';
}

interface TrpcAnswer<T> {
  result?: { data: T };
  error?: { message: string; data?: { code?: string; httpStatus?: number; issues?: Issue[] | null } };
}

/** Calls a procedure: a query with GET, a mutation with POST (the default). */
export async function call<T>(
  path: string,
  input?: unknown,
  options: { method?: 'GET' | 'POST'; keepalive?: boolean } = {},
): Promise<T> {
  const method = options.method ?? 'POST';
  const query =
    method === 'GET' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
  let res: Response;
  try {
    res = await fetch(`/trpc/${path}${query}`, {
      method,
      credentials: 'same-origin',
      keepalive: options.keepalive ?? false,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
      ...(method === 'POST' && { body: JSON.stringify(input ?? {}) }),
    });
  } catch {
    throw new HubError('Could not reach the server; check your connection and try again', 0, 'NETWORK', []);
  }
  const body = (await res.json().catch(() => ({}))) as TrpcAnswer<T>;
  if (body.error || !body.result) {
    throw new HubError(
      body.error?.message ?? `The server answered ${res.status}`,
      body.error?.data?.httpStatus ?? res.status,
      body.error?.data?.code ?? 'INTERNAL_SERVER_ERROR',
      body.error?.data?.issues ?? [],
    );
  }
  return body.result.data;
}

/** Shows a message in the page's live region (`[data-status]` inside `scope`, else the first). */
export function say(scope: ParentNode, text: string, kind: 'error' | 'ok' = 'error'): void {
  const box = scope.querySelector<HTMLElement>('[data-status]') ?? document.querySelector('[data-status]');
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
}
