import type { APIRoute } from 'astro';
import { requireLevel } from '../../lib/hub';
import { csvResponse } from '../../lib/money';

/** The ledger lines behind /studio/earnings for `?from&to` (both days included) as a CSV attachment. */
export const GET: APIRoute = async (context) => {
  const signed = await requireLevel(context, 'creator');
  if (signed instanceof Response) return signed;
  return csvResponse(signed.hub.client, 'creator', context.url, new Date());
};
