import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AppDeps,
  AppError,
  acceptUpload,
  httpStatusOf,
  parseUploadMetadata,
  uploadLimitFor,
} from '@ppv/core';
import { FileStore } from '@tus/file-store';
import { Server, type ServerOptions } from '@tus/server';
import { ERRORS } from '@tus/utils';
import express, { type NextFunction, type Request, type Response } from 'express';
import { requireAuth } from '../middleware/auth';
import { originAllowed } from '../middleware/origin';

type TusRequest = Parameters<NonNullable<ServerOptions['onUploadCreate']>>[0];

/** Server-set metadata naming the upload's tenant and creator; a client's value is overwritten. */
const OWNER = 'ppv-owner';
export const UPLOAD_VIDEO_ID_HEADER = 'PPV-Video-Id';

/** The express request behind tus's web request (tenant and auth were resolved on it). */
function expressRequest(req: TusRequest): Request {
  const node = req.runtime?.node?.req;
  if (!node) throw new Error('tus request without its Node.js request');
  return node as Request;
}

const ownerOf = (req: Request) => `${req.tenant.id}/${req.auth!.userId}`;

interface TusError {
  status_code: number;
  body: string;
}
const refuse = (status_code: number, message: string): TusError => ({ status_code, body: `${message}\n` });
const isTusError = (e: unknown): e is TusError =>
  typeof e === 'object' && e !== null && 'status_code' in e && 'body' in e;

function mebibytes(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/**
 * Browsers may reach uploads only from the tenant's own origin or its embed allowlist — for every
 * method, discovery and HEAD included, since tus answers with credentialed CORS headers. Requests
 * without an Origin (tus clients outside a browser) pass.
 */
function sameOriginOrAllowed(req: Request, res: Response, next: NextFunction) {
  const origin = req.get('origin');
  if (origin !== undefined && (origin === 'null' || !originAllowed(req, origin))) {
    res.status(403).json({
      error: { message: `Uploads from ${origin} are not allowed on this site`, code: 'FORBIDDEN' },
    });
    return;
  }
  next();
}

function requireCreator(req: Request, res: Response, next: NextFunction) {
  const auth = req.auth!;
  if (auth.isHubAdmin || auth.role === 'creator' || auth.role === 'tenant_admin') {
    next();
    return;
  }
  res.status(403).json({
    error: { message: `Uploading videos needs the creator role in ${req.tenant.name}`, code: 'FORBIDDEN' },
  });
}

/**
 * `/uploads`: the tus resumable upload protocol (creation, creation-with-upload, defer-length,
 * termination) for creators, by session cookie or API token. Metadata is validated when the upload
 * is created, before any byte, and so is `Upload-Length` against the tenant's upload limit (its own,
 * else MAX_UPLOAD_BYTES; a change reaches a running hub within the tenant cache's few seconds); bytes stream to the staging folder; a finished upload is checked and
 * becomes a queued video (`acceptUpload`), or is refused with its reason and deleted. Every
 * request on an upload must come from the account and tenant that created it. Errors from tus are
 * plain text, as tus clients show them.
 */
export function uploadRoutes(deps: AppDeps): express.Router {
  const { media } = deps.config;
  const expiryMs = media.uploadExpiryHours * 3600_000;
  // The store's own expiration stays off: with it, a POST that completes the upload re-reads the
  // upload after the finish hook moved it away. Expiry is enforced below and by `expireUploads`.
  const store = new FileStore({ directory: media.uploadDir });
  const discard = (id: string) =>
    Promise.all([
      rm(join(media.uploadDir, id), { force: true }),
      rm(join(media.uploadDir, `${id}.json`), { force: true }),
    ]);

  const finishing = new Set<string>();
  const tus = new Server({
    path: '/uploads',
    datastore: store,
    // The tenant's own limit when it has one: checked against Upload-Length before any byte, and
    // against the bytes received for an upload of deferred length.
    maxSize: (tusReq) => uploadLimitFor(media, expressRequest(tusReq).tenant),
    relativeLocation: true,
    allowedCredentials: true,
    // Every origin reaching tus has passed sameOriginOrAllowed.
    allowedOrigins: () => true,
    exposedHeaders: [UPLOAD_VIDEO_ID_HEADER, 'x-request-id'],

    async onUploadCreate(tusReq, upload) {
      const req = expressRequest(tusReq);
      parseUploadMetadata(media, upload.metadata ?? {});
      return { metadata: { ...upload.metadata, [OWNER]: ownerOf(req) } };
    },

    async onIncomingRequest(tusReq, id) {
      if (tusReq.method === 'POST') return;
      const req = expressRequest(tusReq);
      const upload = await store.getUpload(id);
      // Someone else's upload is not found, rather than forbidden: ids are not confirmed to strangers.
      if (upload.metadata?.[OWNER] !== ownerOf(req)) throw ERRORS.FILE_NOT_FOUND;
      const created = Date.parse(upload.creation_date ?? '');
      if (Number.isFinite(created) && created + expiryMs < deps.clock().getTime()) {
        await discard(id);
        throw refuse(410, 'This upload expired; please start it again');
      }
    },

    async onUploadFinish(tusReq, upload) {
      const req = expressRequest(tusReq);
      // tus releases the upload's lock before this hook: a retried final PATCH could finish it twice.
      if (finishing.has(upload.id)) throw refuse(409, 'This upload is already being processed');
      finishing.add(upload.id);
      try {
        const owner = upload.metadata?.[OWNER] ?? '';
        if (owner !== ownerOf(req)) throw ERRORS.FILE_NOT_FOUND;
        const { videoId } = await acceptUpload(deps, {
          tenantId: req.tenant.id,
          creatorId: req.auth!.userId,
          file: join(media.uploadDir, upload.id),
          bytes: upload.offset,
          declaration: parseUploadMetadata(media, upload.metadata ?? {}),
          ...(req.ip && { ip: req.ip }),
        });
        await discard(upload.id);
        req.log.info({ videoId, bytes: upload.offset }, 'upload accepted');
        return {
          // A POST that carried the whole file keeps 201 (clients expect its Location); a PATCH
          // that finished the upload answers 200 with the new video.
          status_code: tusReq.method === 'POST' ? 201 : 200,
          headers: { 'Content-Type': 'application/json', [UPLOAD_VIDEO_ID_HEADER]: videoId },
          body: JSON.stringify({ videoId, status: 'queued' }),
        };
      } catch (error) {
        await discard(upload.id);
        throw error;
      } finally {
        finishing.delete(upload.id);
      }
    },

    onResponseError(tusReq, error) {
      if (error instanceof AppError) return refuse(httpStatusOf[error.code], error.message);
      if (error === ERRORS.ERR_MAX_SIZE_EXCEEDED) {
        const limit = uploadLimitFor(media, expressRequest(tusReq).tenant);
        return refuse(413, `The file is larger than the upload limit (${mebibytes(limit)})`);
      }
      if (isTusError(error) && error.status_code < 500) return undefined;
      expressRequest(tusReq).log.error({ err: error }, 'upload failed');
      return refuse(500, 'Something went wrong on our side while receiving the file; please try again');
    },
  });

  const handle = (req: Request, res: Response, next: NextFunction) => {
    tus.handle(req, res).catch(next);
  };

  const router = express.Router();
  const paths = ['/uploads', '/uploads/:id'];
  router.options(paths, sameOriginOrAllowed, handle);
  router.get(paths, (req, res, next) => {
    // express routes HEAD to GET handlers; HEAD is tus's resume query.
    if (req.method === 'HEAD') {
      next();
      return;
    }
    res.status(405).set('allow', 'POST, HEAD, PATCH, DELETE, OPTIONS');
    res.json({ error: { message: 'Uploads cannot be downloaded', code: 'METHOD_NOT_ALLOWED' } });
  });
  router.all(paths, sameOriginOrAllowed, requireAuth(deps), requireCreator, handle);
  return router;
}

/**
 * Deletes every upload created more than UPLOAD_EXPIRY_HOURS ago (a finished one never stays: it
 * became a video or was refused), and stray files as old (a data file without its `.json`, left by
 * a crash). Run by the hub on a timer: the staging folder belongs to the hub that received the bytes.
 */
export async function expireUploads(deps: AppDeps): Promise<number> {
  const { uploadDir, uploadExpiryHours } = deps.config.media;
  const cutoff = deps.clock().getTime() - uploadExpiryHours * 3600_000;
  let names: string[];
  try {
    names = await readdir(uploadDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const id of new Set(names.map((n) => n.replace(/\.json$/, '')))) {
    const info = await readFile(join(uploadDir, `${id}.json`), 'utf8').then(
      (text) => JSON.parse(text) as { creation_date?: string },
      () => null,
    );
    const created =
      Date.parse(info?.creation_date ?? '') ||
      (await stat(join(uploadDir, id)).then(
        (s) => s.mtimeMs,
        () => Number.NaN,
      ));
    if (!(created >= cutoff)) {
      await Promise.all([id, `${id}.json`].map((n) => rm(join(uploadDir, n), { force: true })));
      removed++;
    }
  }
  return removed;
}
