import type { AstroCookies } from 'astro';
import { type ConsoleLocals, forwardClient, HUB_SESSION, SESSION_COOKIE } from './hub';

/**
 * Passes a trace form (multipart, the `recording` file) on to the hub's
 * `POST /api/v1/videos/:id/traces`, body streamed as it arrives, with the console session's cookie
 * and tenant. Answers the new trace's id, or the hub's refusal to show.
 */
export async function postTrace(
  locals: ConsoleLocals,
  cookies: AstroCookies,
  request: Request,
  tenant: string,
  videoId: string,
): Promise<{ traceId: string } | { message: string; status: number }> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.startsWith('multipart/form-data') || !request.body)
    return { message: 'Choose the recording to trace.', status: 400 };
  const headers = new Headers({ 'content-type': contentType, 'x-ppv-tenant': tenant });
  const length = request.headers.get('content-length');
  if (length !== null) headers.set('content-length', length);
  const session = cookies.get(SESSION_COOKIE)?.value;
  if (session) headers.set('cookie', `${HUB_SESSION}=${session}`);
  forwardClient(headers, locals);
  let answer: Response;
  try {
    answer = await fetch(`${locals.hubUrl}/api/v1/videos/${encodeURIComponent(videoId)}/traces`, {
      method: 'POST',
      headers,
      body: request.body,
      duplex: 'half',
    } as RequestInit);
  } catch {
    return { message: 'The hub cannot be reached right now; please try again.', status: 502 };
  }
  const body = (await answer.json().catch(() => null)) as {
    traceId?: string;
    error?: { message?: string };
  } | null;
  if (answer.status === 201 && body?.traceId) return { traceId: body.traceId };
  if (answer.status >= 400 && answer.status < 500 && body?.error?.message)
    return { message: body.error.message, status: answer.status };
  return { message: 'Something went wrong on the hub; please try again.', status: 500 };
}
