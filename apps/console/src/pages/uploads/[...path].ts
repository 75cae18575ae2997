import type { APIRoute } from 'astro';
import { forwardClient, HUB_SESSION, SESSION_COOKIE, TENANT_COOKIE } from '../../lib/hub';

/** The tus request headers the hub's `/uploads` reads; nothing else is passed on. */
const REQUEST_HEADERS = [
  'tus-resumable',
  'upload-length',
  'upload-defer-length',
  'upload-metadata',
  'upload-offset',
  'upload-concat',
  'content-type',
  'content-length',
  'x-http-method-override',
];
const RESPONSE_HEADERS = [
  'tus-resumable',
  'tus-version',
  'tus-extension',
  'tus-max-size',
  'upload-offset',
  'upload-length',
  'upload-metadata',
  'upload-expires',
  'location',
  'content-type',
  'ppv-video-id',
  'cache-control',
];

/**
 * `/uploads/*`: the console's window on the hub's tus endpoint. The browser uploads to the
 * console's own origin; each request goes on to the hub with the console session's cookie and
 * tenant, body streamed as it arrives. The hub decides everything (creator role, size limit, owner).
 */
export const ALL: APIRoute = async ({ request, params, cookies, locals }) => {
  const path = params.path ?? '';
  if (!/^[\w-]*$/.test(path)) return new Response('Unknown upload\n', { status: 404 });
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const session = cookies.get(SESSION_COOKIE)?.value;
  if (session) headers.set('cookie', `${HUB_SESSION}=${session}`);
  const tenant = cookies.get(TENANT_COOKIE)?.value;
  headers.set(
    'x-ppv-tenant',
    tenant && /^[a-z0-9][a-z0-9-]{1,39}$/.test(tenant) ? tenant : locals.defaultTenant,
  );
  forwardClient(headers, locals);
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
  let answer: Response;
  try {
    answer = await fetch(`${locals.hubUrl}/uploads${path ? `/${path}` : ''}`, {
      method: request.method,
      headers,
      ...(hasBody && { body: request.body, duplex: 'half' }),
      redirect: 'manual',
    } as RequestInit);
  } catch {
    return new Response('The hub cannot be reached right now; the upload can resume later\n', {
      status: 502,
    });
  }
  const out = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(request.method === 'HEAD' ? null : answer.body, {
    status: answer.status,
    headers: out,
  });
};
