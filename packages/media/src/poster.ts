import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MediaError } from './errors';
import { runFfmpeg } from './ffmpeg';
import { safeInputArgs } from './probe';

/** Posters are re-encoded to fit within this box (aspect kept): a bounded-size JPEG. */
export const POSTER_MAX = { width: 1920, height: 1080 } as const;

const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the file starts as a JPEG or a PNG does. Throws NOT_MEDIA (or EMPTY_FILE) otherwise. */
export async function sniffImage(file: string): Promise<'jpeg' | 'png'> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead === 0) throw new MediaError('EMPTY_FILE', 'the file is empty');
    if (head.subarray(0, 3).equals(JPEG)) return 'jpeg';
    if (bytesRead === 8 && head.equals(PNG)) return 'png';
    throw new MediaError('NOT_MEDIA', 'the file is not a JPEG or PNG image');
  } finally {
    await handle.close();
  }
}

/**
 * Writes a poster JPEG to `output` that fits POSTER_MAX: either a frame of the video `input` at
 * `atSeconds` (seeking before decoding), or the image `input` re-encoded (`image`: its sniffed type,
 * decoded by that format only). Metadata is dropped. Throws FFMPEG_FAILED when ffmpeg cannot.
 */
export async function makePoster(options: {
  ffmpeg: string;
  input: string;
  output: string;
  atSeconds?: number;
  image?: 'jpeg' | 'png';
}): Promise<void> {
  const input = options.image
    ? [
        ...['-protocol_whitelist', 'file', '-f', options.image === 'jpeg' ? 'jpeg_pipe' : 'png_pipe'],
        ...['-i', `file:${resolve(options.input)}`],
      ]
    : [...(options.atSeconds ? ['-ss', options.atSeconds.toFixed(3)] : []), ...safeInputArgs(options.input)];
  const fit = `scale=w='min(iw,${POSTER_MAX.width})':h='min(ih,${POSTER_MAX.height})':force_original_aspect_ratio=decrease,setsar=1`;
  await runFfmpeg(options.ffmpeg, [
    '-y',
    ...input,
    ...['-map', '0:v:0', '-frames:v', '1', '-vf', `${fit},format=yuvj420p`],
    ...[
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-map_metadata',
      '-1',
      '-f',
      'image2',
      `file:${resolve(options.output)}`,
    ],
  ]);
}
