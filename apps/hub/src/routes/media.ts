import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { type AppDeps, FileCache, resolvePublicMedia } from '@ppv/core';
import express, { type Request, type Response } from 'express';

/**
 * Encrypted segments kept in memory per hub process: the viewers of one video fetch the same few
 * hundred kilobytes again and again, and a segment sent from memory costs one write instead of a
 * stat, an open, several reads and a close on the thread pool (bench/viewers.ts). A segment's file
 * is stated again at most a second after the last time, so a deleted video's segments stop within
 * a second (its playlists and key stop at once).
 */
const SEGMENT_CACHE = { maxBytes: 128 * 1024 ** 2, maxEntryBytes: 8 * 1024 ** 2, revalidateMs: 1000 };

const notFound = (res: Response) =>
  res.status(404).json({ error: { message: 'Not found', code: 'NOT_FOUND' } });

/**
 * The byte range a `Range` header asks for within `size` bytes: null to send everything (no header,
 * or a form we do not serve partially, such as several ranges), 'unsatisfiable', or the inclusive
 * first and last byte.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  const match = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [, from, to] = match;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * `GET /media/<tenantId>/<videoId>/hls/…`: the published files anyone may fetch — encrypted
 * segments (cacheable for a year by any CDN), the free preview, poster and storyboard — on their
 * tenant's host only, streamed with ETag/304 and single-range 206/416. Every other path is a 404
 * (resolvePublicMedia decides). CORS is open: nothing here needs credentials.
 */
export function mediaRoutes(deps: AppDeps): express.Router {
  const router = express.Router();
  const segments = new FileCache({ ...SEGMENT_CACHE, now: () => deps.clock().getTime() });
  const cors = (res: Response) =>
    res.set({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'content-length, content-range, accept-ranges, etag',
      'cross-origin-resource-policy': 'cross-origin',
    });

  router.options('/media/*path', (_req, res) => {
    cors(res)
      .set({
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        // Players often send their playback token on every request; it is harmless here.
        'access-control-allow-headers': 'range, if-none-match, if-range, authorization',
        'access-control-max-age': '86400',
      })
      .status(204)
      .end();
  });

  router.get('/media/*path', async (req: Request, res: Response, next) => {
    try {
      // req.path is not percent-decoded: what is checked is exactly what was sent.
      const media = await resolvePublicMedia(deps, {
        tenantId: req.tenant.id,
        path: req.path.slice('/media/'.length),
      });
      const stat =
        media &&
        (media.immutable
          ? await segments.version(media.key, () => deps.storage.stat(media.key))
          : await deps.storage.stat(media.key));
      if (!media || !stat) return notFound(res);

      const etag = `"${stat.size.toString(16)}-${stat.mtime.getTime().toString(16)}"`;
      cors(res).set({
        'content-type': media.contentType,
        'cache-control': media.cacheControl,
        'accept-ranges': 'bytes',
        'last-modified': stat.mtime.toUTCString(),
        etag,
      });
      if (req.get('if-none-match') === etag) {
        res.status(304).end();
        return;
      }
      const ifRange = req.get('if-range');
      const range = ifRange && ifRange !== etag ? null : byteRange(req.get('range'), stat.size);
      if (range === 'unsatisfiable') {
        res.status(416).set('content-range', `bytes */${stat.size}`).end();
        return;
      }
      if (range) {
        res.status(206).set('content-range', `bytes ${range.start}-${range.end}/${stat.size}`);
      }
      res.set('content-length', String(range ? range.end - range.start + 1 : stat.size));
      if (req.method === 'HEAD' || stat.size === 0) {
        res.end();
        return;
      }
      if (media.immutable && segments.fits(stat.size)) {
        const bytes = await segments.get(media.key, stat, () => buffer(deps.storage.read(media.key)));
        res.end(range ? bytes.subarray(range.start, range.end + 1) : bytes);
        return;
      }
      await pipeline(deps.storage.read(media.key, range ?? undefined), res);
    } catch (error) {
      // A client that goes away mid-stream is not an error of ours.
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      if (res.headersSent) {
        res.destroy(error as Error);
        return;
      }
      next(error);
    }
  });
  return router;
}
