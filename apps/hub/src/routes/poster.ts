import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AppDeps, acceptPosterUpload, MAX_POSTER_UPLOAD_BYTES } from '@ppv/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { requireAuth } from '../middleware/auth';
import { mebibytes, receiveFormFile, refusal, refusalOf } from './form-file';

export const POSTER_FILE_FIELD = 'poster';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `POST /api/v1/videos/:videoId/poster`: a new poster image (JPEG or PNG, at most 10 MiB) as a
 * multipart form's `poster` file, for the video's creator or a tenant admin. The image is checked by
 * its first bytes, re-encoded by ffmpeg to a bounded JPEG and published; the answer (200) carries
 * the new poster URL, whose `?v=` changed. Every refusal is a 4xx with its reason; the uploaded file
 * is deleted before the answer.
 */
export function posterRoutes(deps: AppDeps): express.Router {
  const router = express.Router();

  async function upload(req: Request, videoId: string, staged: string) {
    try {
      if (!UUID.test(videoId)) return refusal(404, 'Video was not found', 'NOT_FOUND');
      await mkdir(deps.config.media.uploadDir, { recursive: true });
      await receiveFormFile(req, {
        dest: staged,
        limit: MAX_POSTER_UPLOAD_BYTES,
        field: POSTER_FILE_FIELD,
        what: 'poster image',
      });
      const result = await acceptPosterUpload(deps, {
        tenantId: req.tenant.id,
        auth: req.auth!,
        videoId,
        file: staged,
        ip: req.ip,
      });
      return { status: 200, body: result };
    } catch (error) {
      return refusalOf(error);
    }
  }

  router.post(
    '/api/v1/videos/:videoId/poster',
    requireAuth(deps),
    async (req: Request, res: Response, next: NextFunction) => {
      const declared = Number(req.get('content-length'));
      if (Number.isFinite(declared) && declared > MAX_POSTER_UPLOAD_BYTES + 64 * 1024) {
        res.status(413).json({
          error: {
            message: `The poster image is larger than the upload limit (${mebibytes(MAX_POSTER_UPLOAD_BYTES)})`,
            code: 'PAYLOAD_TOO_LARGE',
          },
        });
        return;
      }
      const staged = join(deps.config.media.uploadDir, `poster-${randomUUID()}`);
      let answer: { status: number; body: unknown };
      try {
        answer = await upload(req, String(req.params.videoId), staged);
      } catch (error) {
        await rm(staged, { force: true });
        next(error);
        return;
      }
      await rm(staged, { force: true });
      res.status(answer.status).json(answer.body);
    },
  );
  return router;
}
