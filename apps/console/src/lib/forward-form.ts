import type { AstroCookies } from 'astro';
import { type ConsoleLocals, forwardClient, HUB_SESSION, SESSION_COOKIE } from './hub';

/**
 * Passes a file form (multipart) on to one of the hub's upload routes (`/api/v1/…`), body streamed
 * as it arrives, with the console session's cookie and tenant. Answers the hub's JSON on success,
 * or the refusal to show.
 */
export async function forwardFileForm(
  locals: ConsoleLocals,
  cookies: AstroCookies,
  request: Request,
  tenant: string,
  path: string,
): Promise<{ ok: Record<string, unknown> } | { message: string; status: number }> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.startsWith('multipart/form-data') || !request.body)
    return { message: 'Choose a file first.', status: 400 };
  const headers = new Headers({ 'content-type': contentType, 'x-ppv-tenant': tenant });
  const length = request.headers.get('content-length');
  if (length !== null) headers.set('content-length', length);
  const session = cookies.get(SESSION_COOKIE)?.value;
  if (session) headers.set('cookie', `${HUB_SESSION}=${session}`);
  forwardClient(headers, locals);
  let answer: Response;
  try {
    answer = await fetch(`${locals.hubUrl}${path}`, {
      method: 'POST',
      headers,
      body: request.body,
      duplex: 'half',
    } as RequestInit);
  } catch {
    return { message: 'The hub cannot be reached right now; please try again.', status: 502 };
  }
  const body = (await answer.json().catch(() => null)) as
    | (Record<string, unknown> & { error?: { message?: string } })
    | null;
  if (answer.ok && body) return { ok: body };
  if (answer.status >= 400 && answer.status < 500 && body?.error?.message)
    return { message: body.error.message, status: answer.status };
  return { message: 'Something went wrong on the hub; please try again.', status: 500 };
}
