import type { APIRoute } from 'astro';
import { failure, requireLevel } from '../../lib/hub';
import { studioRows } from '../../lib/videos';

/** The signed-in creator's videos with their processing state, for the studio's live table. */
export const GET: APIRoute = async (context) => {
  const signed = await requireLevel(context, 'creator');
  if (signed instanceof Response) {
    return Response.json(
      { error: 'Sign in with the creator role' },
      { status: signed.status === 403 ? 403 : 401 },
    );
  }
  try {
    const page = await signed.hub.client.trpc.videos.list.query({ scope: 'mine', limit: 100 });
    return Response.json(
      {
        total: page.total,
        videos: studioRows(page.videos).map((v) => ({
          id: v.id,
          title: v.title,
          status: v.status,
          progress: v.progress,
          lastError: v.lastError,
          durationSeconds: v.durationSeconds,
        })),
      },
      { headers: { 'cache-control': 'no-store' } },
    );
  } catch (error) {
    const f = failure(error);
    return Response.json({ error: f.message }, { status: f.status });
  }
};
