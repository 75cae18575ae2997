import { defineMiddleware } from 'astro:middleware';

/**
 * Sends each page as one buffer with a Content-Length. Astro streams a page in many small chunks
 * (one or more per component) and its node adapter writes every chunk to the socket on its own;
 * every page here has read all of its data before it renders, so streaming gains nothing, and one
 * write costs less than dozens.
 */
export const onRequest = defineMiddleware(async (_context, next) => {
  const response = await next();
  if (!response.body || !response.headers.get('content-type')?.startsWith('text/html')) return response;
  const body = await response.arrayBuffer();
  const headers = new Headers(response.headers);
  headers.set('content-length', String(body.byteLength));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
});
