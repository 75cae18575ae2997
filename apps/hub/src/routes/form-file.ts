import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { AppError, httpStatusOf } from '@ppv/core';
import busboy from 'busboy';
import type { Request } from 'express';

/** A refused form upload: its HTTP status and the reason to show. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON error answer of an upload route. */
export const refusal = (status: number, message: string, code = 'BAD_REQUEST') => ({
  status,
  body: { error: { message, code } },
});

/** The answer to an upload's AppError or Refusal; anything else is thrown on (a 500). */
export function refusalOf(error: unknown): { status: number; body: unknown } {
  if (error instanceof AppError) return refusal(httpStatusOf[error.code], error.message, error.code);
  if (error instanceof Refusal)
    return refusal(error.status, error.message, error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST');
  throw error;
}

export function mebibytes(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/**
 * Streams the multipart form's `field` file to `dest` (constant memory), at most `limit` bytes;
 * other fields and files are ignored. Resolves with the file's name and size once the whole body is
 * read; rejects with a Refusal (400, 413, 415) whose message names `what` the file is. Every
 * outcome waits for the file's write to settle, so the caller's clean-up comes after it.
 */
export function receiveFormFile(
  req: Request,
  opts: { dest: string; limit: number; field: string; what: string },
): Promise<{ filename: string; bytes: number }> {
  const { dest, limit, field, what } = opts;
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: limit, fields: 20, parts: 21 } });
    } catch {
      reject(new Refusal(415, `Send the ${what} as a multipart/form-data form with a "${field}" file`));
      return;
    }
    let saving: Promise<{ filename: string; bytes: number }> | null = null;
    let tooLarge = false;
    parser.on('file', (name, stream, info) => {
      if (name !== field || saving) {
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
        filename: info.filename || field,
        bytes,
      }));
      // Reported once the whole body is read (below); a write error must not go unhandled meanwhile.
      saving.catch(() => undefined);
    });
    const settled = () =>
      (saving ?? Promise.resolve()).then(
        () => undefined,
        () => undefined,
      );
    const fail = (refusal: Refusal) => settled().then(() => reject(refusal));
    parser.on('error', () =>
      fail(new Refusal(400, `The form could not be read; please send the ${what} again`)),
    );
    parser.on('close', () => {
      if (tooLarge)
        fail(new Refusal(413, `The ${what} is larger than the upload limit (${mebibytes(limit)})`));
      else if (!saving) fail(new Refusal(400, `Choose the ${what} (the "${field}" file)`));
      else saving.then(resolve, reject);
    });
    req.on('aborted', () => fail(new Refusal(400, 'The upload was interrupted')));
    req.pipe(parser);
  });
}
