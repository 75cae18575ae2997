import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Container,
  extensionMatches,
  MediaError,
  SNIFF_BYTES,
  sniffContainer,
  sniffFile,
} from '../src/index';
import { makeClip, tempDir } from './clips';

let dir: string;
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];
/** A fifth of a second of 64x64 video in every container we take, with its usual extension. */
const containers: { container: Container; name: string; format: string; codec: string[] }[] = [
  { container: 'mp4', name: 'clip.mp4', format: 'mp4', codec: x264 },
  { container: 'mov', name: 'clip.mov', format: 'mov', codec: x264 },
  { container: 'matroska', name: 'clip.mkv', format: 'matroska', codec: x264 },
  {
    container: 'webm',
    name: 'clip.webm',
    format: 'webm',
    codec: ['-c:v', 'libvpx', '-deadline', 'realtime'],
  },
  { container: 'avi', name: 'clip.avi', format: 'avi', codec: ['-c:v', 'mpeg4'] },
  { container: 'mpegts', name: 'clip.ts', format: 'mpegts', codec: x264 },
  { container: 'flv', name: 'clip.flv', format: 'flv', codec: ['-c:v', 'flv'] },
  { container: 'mpeg-ps', name: 'clip.mpg', format: 'mpeg', codec: ['-c:v', 'mpeg2video'] },
];

beforeAll(async () => {
  dir = await tempDir('sniff');
  for (const c of containers)
    await makeClip(dir, c.name, { width: 64, height: 64, seconds: 0.2, format: c.format, codec: c.codec });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error('resolved')),
    (e) => e,
  );

describe('sniffContainer', () => {
  it.each(containers)('recognises $container from its first bytes', async ({ container, name }) => {
    const head = (await readFile(join(dir, name))).subarray(0, SNIFF_BYTES);
    expect(sniffContainer(head)).toBe(container);
  });

  it('rejects text, images and nothing at all', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(sniffContainer(bytes('hello world, this is not a video at all'))).toBeNull();
    expect(sniffContainer(bytes('#EXTM3U\n#EXTINF:2,\n/etc/passwd\n'))).toBeNull();
    expect(sniffContainer(bytes('abcdfree text that says free at offset four'))).toBeNull();
    expect(sniffContainer(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBeNull(); // PNG
    expect(sniffContainer(new Uint8Array(0))).toBeNull();
    expect(sniffContainer(new Uint8Array(SNIFF_BYTES).fill(0x47))).toBe('mpegts');
  });
});

describe('extensionMatches', () => {
  it('accepts the extensions of a container family, with or without the dot, any case', () => {
    expect(extensionMatches('mp4', '.MP4')).toBe(true);
    expect(extensionMatches('mp4', 'mov')).toBe(true);
    expect(extensionMatches('mov', '.mp4')).toBe(true);
    expect(extensionMatches('webm', '.mkv')).toBe(true);
    expect(extensionMatches('mpegts', '.m2ts')).toBe(true);
    expect(extensionMatches('avi', '.mp4')).toBe(false);
    expect(extensionMatches('matroska', '.avi')).toBe(false);
    expect(extensionMatches('mp4', '')).toBe(false);
  });
});

describe('sniffFile', () => {
  it('returns the container of a video whose extension fits', async () => {
    expect(await sniffFile(join(dir, 'clip.mkv'))).toBe('matroska');
  });

  it('checks the extension given for a temporary file without one', async () => {
    const bytes = await readFile(join(dir, 'clip.mp4'));
    const upload = join(dir, 'upload-0001');
    await writeFile(upload, bytes);
    expect(await sniffFile(upload, '.mp4')).toBe('mp4');
    expect(await rejection(sniffFile(upload, '.avi'))).toMatchObject({ code: 'EXTENSION_MISMATCH' });
    expect(await rejection(sniffFile(upload))).toMatchObject({
      code: 'EXTENSION_MISMATCH',
      message: 'the file is an MP4 video, but its name has no extension',
    });
  });

  it('error: a text file renamed .mp4', async () => {
    const file = join(dir, 'essay.mp4');
    await writeFile(file, 'It was a dark and stormy night; the rain fell in torrents.\n'.repeat(100));
    const error = await rejection(sniffFile(file));
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'NOT_MEDIA', message: 'the file is not a video we can read' });
  });

  it('error: zero bytes', async () => {
    const file = join(dir, 'empty.mp4');
    await writeFile(file, '');
    expect(await rejection(sniffFile(file))).toMatchObject({
      code: 'EMPTY_FILE',
      message: 'the file is empty',
    });
  });

  it('error: a file truncated before its header is complete', async () => {
    const mp4 = await readFile(join(dir, 'clip.mp4'));
    await writeFile(join(dir, 'cut.mp4'), mp4.subarray(0, 6));
    expect(await rejection(sniffFile(join(dir, 'cut.mp4')))).toMatchObject({ code: 'NOT_MEDIA' });
    const ts = await readFile(join(dir, 'clip.ts'));
    await writeFile(join(dir, 'cut.ts'), ts.subarray(0, 300));
    expect(await rejection(sniffFile(join(dir, 'cut.ts')))).toMatchObject({ code: 'NOT_MEDIA' });
  });

  it('error: a Matroska file named .mp4', async () => {
    const bytes = await readFile(join(dir, 'clip.mkv'));
    await writeFile(join(dir, 'disguised.mp4'), bytes);
    expect(await rejection(sniffFile(join(dir, 'disguised.mp4')))).toMatchObject({
      code: 'EXTENSION_MISMATCH',
      message: 'the file is a Matroska video, not .mp4',
    });
  });
});
