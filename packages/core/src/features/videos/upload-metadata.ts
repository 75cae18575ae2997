import type { MediaConfig } from '../../deps';
import { AppError } from '../../errors';
import { type VideoMetadata, videoMetadataInput } from './videos.schemas';

/** What a creator declares when an upload starts (tus `Upload-Metadata`), checked before any byte. */
export interface UploadDeclaration {
  /** The original file name, without any folder part. */
  filename: string;
  /** Its extension, lower case, without the dot. */
  ext: string;
  metadata: VideoMetadata;
}

const integerFields = ['priceCents', 'previewSeconds'] as const;

/** tus metadata values are strings; numbers must be plain integers, anything else reaches zod as is. */
function integerOrRaw(value: string): number | string {
  return /^-?\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
}

/**
 * Validates tus upload metadata: `filename` (or `name`, as Uppy sends it) with an allowed extension,
 * then `title`, `description`, `priceCents` and `previewSeconds` through `videoMetadataInput`.
 * Throws BAD_REQUEST naming the first problem; unknown keys (a client's `filetype`…) are ignored.
 */
export function parseUploadMetadata(
  config: Pick<MediaConfig, 'allowExts'>,
  raw: Record<string, string | null | undefined>,
): UploadDeclaration {
  const given = (raw.filename ?? raw.name ?? '').trim();
  const filename = given.split(/[/\\]/).pop() ?? '';
  if (!filename) {
    throw new AppError('BAD_REQUEST', 'Say which file this is: Upload-Metadata needs a "filename"', {
      field: 'filename',
    });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (filename.length > 255 || /[\u0000-\u001f\u007f]/.test(filename)) {
    throw new AppError('BAD_REQUEST', 'The file name must be at most 255 printable characters', {
      field: 'filename',
    });
  }
  const dot = filename.lastIndexOf('.');
  const ext = dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
  const allowed = config.allowExts.join(', ');
  if (!ext) {
    throw new AppError('BAD_REQUEST', `The file name needs an extension (one of ${allowed})`, {
      field: 'filename',
    });
  }
  if (!config.allowExts.includes(ext)) {
    throw new AppError('BAD_REQUEST', `.${ext} files are not accepted; upload one of ${allowed}`, {
      field: 'filename',
    });
  }

  const input: Record<string, unknown> = {};
  for (const key of ['title', 'description'] as const) {
    if (raw[key] !== undefined && raw[key] !== null) input[key] = raw[key];
  }
  for (const key of integerFields) {
    const value = raw[key];
    if (value !== undefined && value !== null && value.trim() !== '') input[key] = integerOrRaw(value);
  }
  if (input.title === undefined) input.title = filename.slice(0, dot).slice(0, 200);
  const parsed = videoMetadataInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const message =
      input[field] === undefined
        ? `Upload-Metadata needs "${field}"`
        : (issue?.message ?? 'Invalid upload metadata');
    throw new AppError('BAD_REQUEST', message, { field });
  }
  return { filename, ext, metadata: parsed.data };
}

/** A tenant's own upload limit may range from 1 MiB to 1 TiB. */
export const MIN_TENANT_UPLOAD_BYTES = 1024 ** 2;
export const MAX_TENANT_UPLOAD_BYTES = 1024 ** 4;

/** The largest upload `tenant` accepts: its own limit when set, else the hub-wide MAX_UPLOAD_BYTES. */
export function uploadLimitFor(
  config: Pick<MediaConfig, 'maxUploadBytes'>,
  tenant: { maxUploadBytes?: number | string | null },
): number {
  const own = tenant.maxUploadBytes;
  return own === null || own === undefined ? config.maxUploadBytes : Number(own);
}
