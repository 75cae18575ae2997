import type { APIRoute } from 'astro';
import { TENANT_COOKIE } from '../../../../../lib/hub';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A video's poster, as the hub publishes it: the studio shows posters from the console's own
 * origin, since the address the console calls the hub on need not be one browsers can reach.
 */
export const GET: APIRoute = async ({ params, cookies, locals }) => {
  const { tenantId = '', videoId = '' } = params;
  if (!UUID.test(tenantId) || !UUID.test(videoId)) return new Response('Not found\n', { status: 404 });
  const tenant = cookies.get(TENANT_COOKIE)?.value;
  let answer: Response;
  try {
    answer = await fetch(`${locals.hubUrl}/media/${tenantId}/${videoId}/hls/poster.jpg`, {
      headers: {
        'x-ppv-tenant': tenant && /^[a-z0-9][a-z0-9-]{1,39}$/.test(tenant) ? tenant : locals.defaultTenant,
      },
    });
  } catch {
    return new Response('The hub cannot be reached right now\n', { status: 502 });
  }
  const headers = new Headers();
  for (const name of ['content-type', 'cache-control', 'etag', 'last-modified']) {
    const value = answer.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return new Response(answer.ok ? answer.body : null, { status: answer.status, headers });
};
