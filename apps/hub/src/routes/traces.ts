import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type AppDeps,
  AppError,
  assertMayTrace,
  httpStatusOf,
  requestTrace,
  uploadLimitFor,
} from '@ppv/core';
import busboy from 'busboy';
import express, { type NextFunction, type Request, type Response } from 'express';
import { requireAuth } from '../middleware/auth';

/** The form field that carries the recording. */
export const TRACE_FILE_FIELD = 'recording';
/** Room for the multipart framing and a few small fields around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function mebibytes(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/**
 * Streams the form's `recording` file to `dest` (constant memory), at most `limit` bytes. Other
 * fields and files are ignored. Resolves with the file's name and size once the whole body is read.
 */
function receiveRecording(
  req: Request,
  dest: string,
  limit: number,
): Promise<{ filename: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: limit, fields: 20, parts: 21 } });
    } catch {
      reject(
        new Refusal(
          415,
          `Send the recording as a multipart/form-data form with a "${TRACE_FILE_FIELD}" file`,
        ),
      );
      return;
    }
    let saving: Promise<{ filename: string; bytes: number }> | null = null;
    let tooLarge = false;
    parser.on('file', (field, stream, info) => {
      if (field !== TRACE_FILE_FIELD || saving) {
        stream.resume();
        return;
      }
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('limit', () => {
        tooLarge = true;
      });
      saving = pipeline(stream, createWriteStream(dest, { flags: 'wx' })).then(() => ({
        filename: info.filename || 'recording',
        bytes,
      }));
      // Reported once the whole body is read (below); a write error must not go unhandled meanwhile.
      saving.catch(() => undefined);
    });
    // Every outcome waits for the file's write to settle, so that the caller's clean-up comes after it.
    const settled = () =>
      (saving ?? Promise.resolve()).then(
        () => undefined,
        () => undefined,
      );
    const fail = (refusal: Refusal) => settled().then(() => reject(refusal));
    parser.on('error', () =>
      fail(new Refusal(400, 'The form could not be read; please send the recording again')),
    );
    parser.on('close', () => {
      if (tooLarge)
        fail(new Refusal(413, `The recording is larger than the upload limit (${mebibytes(limit)})`));
      else if (!saving)
        fail(new Refusal(400, `Choose the recording to trace (the "${TRACE_FILE_FIELD}" file)`));
      else saving.then(resolve, reject);
    });
    req.on('aborted', () => fail(new Refusal(400, 'The upload was interrupted')));
    req.pipe(parser);
  });
}

/**
 * `POST /api/v1/videos/:videoId/traces`: a leaked recording of the video, as a multipart form's
 * `recording` file, for its creator, the tenant's admins or a hub admin (session cookie or API
 * token). Who may trace is checked before any byte is read; the file streams to the staging folder
 * within the tenant's upload limit, ffprobe must find a video in it, and a trace request with its
 * `trace_leak` job is created (201 `{ traceId }`). Every refusal is a 4xx with its reason, and the
 * staged file never outlives the request unless it became a trace.
 */
export function traceRoutes(deps: AppDeps): express.Router {
  const { media } = deps.config;
  const router = express.Router();
  const refusal = (status: number, message: string, code = 'BAD_REQUEST') => ({
    status,
    body: { error: { message, code } },
  });

  async function traceUpload(req: Request, videoId: string, staged: string) {
    const auth = req.auth!;
    const limit = uploadLimitFor(media, req.tenant);
    try {
      if (!UUID.test(videoId)) return refusal(404, 'Video was not found', 'NOT_FOUND');
      await assertMayTrace(deps, { tenantId: req.tenant.id, auth, videoId });
      const declared = Number(req.get('content-length'));
      if (Number.isFinite(declared) && declared > limit + FORM_OVERHEAD_BYTES)
        return refusal(
          413,
          `The recording is larger than the upload limit (${mebibytes(limit)})`,
          'PAYLOAD_TOO_LARGE',
        );
      await mkdir(media.uploadDir, { recursive: true });
      const { filename, bytes } = await receiveRecording(req, staged, limit);
      const { traceId } = await requestTrace(deps, {
        tenantId: req.tenant.id,
        auth,
        videoId,
        file: staged,
        bytes,
        filename,
        ip: req.ip,
      });
      req.log.info({ traceId, videoId, bytes }, 'trace requested');
      return { status: 201, body: { traceId, status: 'queued' } };
    } catch (error) {
      if (error instanceof AppError) return refusal(httpStatusOf[error.code], error.message, error.code);
      if (error instanceof Refusal)
        return refusal(
          error.status,
          error.message,
          error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST',
        );
      throw error;
    }
  }

  router.post(
    '/api/v1/videos/:videoId/traces',
    requireAuth(deps),
    async (req: Request, res: Response, next: NextFunction) => {
      const videoId = String(req.params.videoId);
      const staged = join(media.uploadDir, `trace-${randomUUID()}`);
      let answer: { status: number; body: unknown };
      try {
        answer = await traceUpload(req, videoId, staged);
      } catch (error) {
        await rm(staged, { force: true });
        next(error);
        return;
      }
      // Before answering: a refused or failed upload leaves nothing behind once the client hears.
      await rm(staged, { force: true });
      res.status(answer.status).json(answer.body);
    },
  );
  return router;
}
