/**
 * Which video container a file is, from its first bytes, and whether its extension agrees. Runs
 * before ffprobe so that text, images, archives and playlists are refused without being parsed.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { MediaError } from './errors';

export type Container = 'mp4' | 'mov' | 'matroska' | 'webm' | 'avi' | 'mpegts' | 'flv' | 'mpeg-ps';

/** How many leading bytes `sniffContainer` wants (fewer work for every format but MPEG-TS). */
export const SNIFF_BYTES = 4096;

/** Extensions each container may carry, without the dot, lower case. */
const extensionsOf: Record<Container, readonly string[]> = {
  // ISO BMFF and QuickTime share one box structure (and one ffmpeg demuxer): phones write
  // QuickTime brands into .mp4 and ISO brands into .mov, so both families accept both.
  mp4: ['mp4', 'm4v', 'mov', '3gp', '3g2'],
  mov: ['mov', 'qt', 'mp4', 'm4v'],
  // WebM is a Matroska profile; tools label either with either extension.
  matroska: ['mkv', 'webm'],
  webm: ['webm', 'mkv'],
  avi: ['avi'],
  mpegts: ['ts', 'mts', 'm2ts'],
  flv: ['flv'],
  'mpeg-ps': ['mpg', 'mpeg', 'vob'],
};

/** Every extension some container may carry: a default for an upload extension allowlist. */
export const VIDEO_EXTENSIONS: readonly string[] = [...new Set(Object.values(extensionsOf).flat())];

const TS_PACKET = 188;
const M2TS_PACKET = 192;
/** A transport stream must show its sync byte at this many consecutive packet starts. */
const TS_PACKETS_NEEDED = 3;

const ascii = (bytes: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...bytes.subarray(from, from + length));

/** The container the leading bytes belong to, or null when they are not a video container we take. */
export function sniffContainer(head: Uint8Array): Container | null {
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') {
    const brand = ascii(head, 8, 4);
    return brand === 'qt  ' ? 'mov' : 'mp4';
  }
  // Old QuickTime files start with another top-level atom. Its 32-bit size must be plausible: 1
  // (a 64-bit size follows) or 8 up to 512 MiB, so four letters of text before "free" do not pass.
  if (head.length >= 8 && ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].includes(ascii(head, 4, 4))) {
    const size = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    if (size === 1 || (size >= 8 && size < 2 ** 29)) return 'mov';
  }
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    // The EBML header names the DocType near the start.
    const header = ascii(head, 4, Math.min(head.length - 4, 64));
    if (header.includes('webm')) return 'webm';
    if (header.includes('matroska')) return 'matroska';
    return null;
  }
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'AVI ') return 'avi';
  if (head.length >= 9 && ascii(head, 0, 3) === 'FLV' && head[3] === 0x01) return 'flv';
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0xba)
    return 'mpeg-ps';
  if (syncEvery(head, 0, TS_PACKET) || syncEvery(head, 4, M2TS_PACKET)) return 'mpegts';
  return null;
}

/** 0x47 at `offset` and every `packet` bytes after, at least TS_PACKETS_NEEDED times, all that fit. */
function syncEvery(head: Uint8Array, offset: number, packet: number): boolean {
  let seen = 0;
  for (let at = offset; at < head.length; at += packet) {
    if (head[at] !== 0x47) return false;
    seen++;
  }
  return seen >= TS_PACKETS_NEEDED;
}

/** Whether a file of this container may carry this extension (with or without the dot, any case). */
export function extensionMatches(container: Container, ext: string): boolean {
  return extensionsOf[container].includes(ext.replace(/^\./, '').toLowerCase());
}

/**
 * Reads the first bytes of `file` and returns its container. Throws `MediaError` EMPTY_FILE,
 * NOT_MEDIA (not a video container we take), or EXTENSION_MISMATCH when the extension does not fit
 * the container. `ext` is the extension to check (an upload's original name's, when the bytes sit
 * in a temporary file): by default the file's own; null skips the check.
 */
export async function sniffFile(file: string, ext: string | null = extname(file)): Promise<Container> {
  const handle = await open(file, 'r');
  let head: Uint8Array;
  try {
    const buffer = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.length === 0) throw new MediaError('EMPTY_FILE', 'the file is empty');
  const container = sniffContainer(head);
  if (!container) throw new MediaError('NOT_MEDIA', 'the file is not a video we can read');
  if (ext !== null && !extensionMatches(container, ext)) {
    const shown = ext.replace(/^\./, '').toLowerCase();
    throw new MediaError(
      'EXTENSION_MISMATCH',
      `the file is ${describe(container)}, ${shown ? `not .${shown}` : 'but its name has no extension'}`,
    );
  }
  return container;
}

function describe(container: Container): string {
  return {
    mp4: 'an MP4 video',
    mov: 'a QuickTime video',
    matroska: 'a Matroska video',
    webm: 'a WebM video',
    avi: 'an AVI video',
    mpegts: 'an MPEG transport stream',
    flv: 'a Flash video',
    'mpeg-ps': 'an MPEG program stream',
  }[container];
}
