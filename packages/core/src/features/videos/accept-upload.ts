import { randomUUID } from 'node:crypto';
import { withTenant } from '@ppv/db';
import { MediaError, type MediaErrorCode, probeMedia, sniffFile } from '@ppv/media';
import type { AppDeps } from '../../deps';
import { AppError } from '../../errors';
import { createVideo } from './create-video';
import type { UploadDeclaration } from './upload-metadata';

/** Media problems that are the upload's fault: each a 400 with its reason; others are server faults. */
const refusals: Partial<Record<MediaErrorCode, (message: string) => string>> = {
  EMPTY_FILE: () => 'The file is empty',
  NOT_MEDIA: (m) => `Upload refused: ${m}`,
  EXTENSION_MISMATCH: (m) => `Upload refused: ${m}`,
  NO_VIDEO: () => 'Upload refused: the file has no video stream (is it audio only?)',
  TOO_LARGE_DIMENSIONS: (m) => `Upload refused: ${m}`,
  TOO_LONG: (m) => `Upload refused: ${m}`,
};

/** A storage-safe version of the original name: `My clip (1).MP4` → `My_clip_1_.mp4`. */
export function sourceFileName(filename: string, ext: string): string {
  const base = filename
    .slice(0, filename.length - ext.length - 1)
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.+$/, '')
    .slice(0, 80);
  return `${base || 'source'}.${ext}`;
}

/**
 * Turns a finished upload (a local file in the staging folder) into a video: magic bytes must match
 * the declared extension, ffprobe must find a video stream; then the file moves into storage as
 * `<tenant>/<video>/source/<name>` and the video row, its keys and its transcode job are created in
 * one transaction. Throws BAD_REQUEST with the reason when the file is refused. The caller removes
 * the staged file on failure; once moved, a failed transaction removes it from storage here.
 */
export async function acceptUpload(
  deps: AppDeps,
  input: {
    tenantId: string;
    creatorId: string;
    /** Path of the complete upload on local disk. */
    file: string;
    bytes: number;
    declaration: UploadDeclaration;
    ip?: string;
  },
): Promise<{ videoId: string }> {
  const { filename, ext, metadata } = input.declaration;
  try {
    if (input.bytes === 0) throw new MediaError('EMPTY_FILE', 'the file is empty');
    await sniffFile(input.file, ext);
    await probeMedia(input.file, { ffprobe: deps.config.media.tools.ffprobe });
  } catch (error) {
    if (error instanceof MediaError) {
      const refusal = refusals[error.code];
      if (refusal) throw new AppError('BAD_REQUEST', refusal(error.message));
    }
    throw error;
  }

  const videoId = randomUUID();
  const sourceKey = `${input.tenantId}/${videoId}/source/${sourceFileName(filename, ext)}`;
  let moved = false;
  try {
    return await withTenant(deps.orm, input.tenantId, async (em) => {
      const created = await createVideo(
        { ...deps, em, tenantId: input.tenantId },
        {
          videoId,
          creatorId: input.creatorId,
          metadata,
          source: { sourceKey, sourceBytes: input.bytes, filename },
          ...(input.ip && { ip: input.ip }),
        },
      );
      // Last, so that a failed insert leaves the upload where it was; the job only becomes visible
      // to workers with the commit, by which time the file is in place.
      await deps.storage.putFile(sourceKey, input.file);
      moved = true;
      return created;
    });
  } catch (error) {
    if (moved) {
      await deps.storage
        .deletePrefix(`${input.tenantId}/${videoId}`)
        .catch((cause: unknown) =>
          deps.logger.error({ err: cause, videoId }, 'could not remove the source of a failed upload'),
        );
    }
    throw error;
  }
}
