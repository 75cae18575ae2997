import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AppDeps, assertMayTrace, requestTrace, uploadLimitFor } from '@ppv/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { requireAuth } from '../middleware/auth';
import { mebibytes, receiveFormFile, refusal, refusalOf } from './form-file';

/** The form field that carries the recording. */
export const TRACE_FILE_FIELD = 'recording';
/** Room for the multipart framing and a few small fields around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
      const { filename, bytes } = await receiveFormFile(req, {
        dest: staged,
        limit,
        field: TRACE_FILE_FIELD,
        what: 'recording',
      });
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
      return refusalOf(error);
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
