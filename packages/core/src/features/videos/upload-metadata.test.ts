import { describe, expect, it } from 'vitest';
import { sourceFileName } from './accept-upload';
import { parseUploadMetadata, uploadLimitFor } from './upload-metadata';

const config = { allowExts: ['mp4', 'mov', 'mkv'] };
const problem = (raw: Record<string, string | null>) => {
  try {
    parseUploadMetadata(config, raw);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('parseUploadMetadata', () => {
  it('reads tus metadata strings into the video metadata', () => {
    expect(
      parseUploadMetadata(config, {
        filename: 'Lecture 1.MOV',
        title: ' Lecture 1 ',
        description: 'About things',
        priceCents: '1999',
        previewSeconds: '30',
        filetype: 'video/quicktime',
      }),
    ).toEqual({
      filename: 'Lecture 1.MOV',
      ext: 'mov',
      metadata: { title: 'Lecture 1', description: 'About things', priceCents: 1999, previewSeconds: 30 },
    });
  });

  it('behavior: takes Uppy’s `name`, drops folders from the name, and titles by the name by default', () => {
    expect(parseUploadMetadata(config, { name: 'C:\\Users\\me\\clip.mp4', priceCents: '0' })).toEqual({
      filename: 'clip.mp4',
      ext: 'mp4',
      metadata: { title: 'clip', description: '', priceCents: 0, previewSeconds: 0 },
    });
  });

  it('error: names the first problem, field by field', () => {
    const ok = { filename: 'a.mp4', title: 'A', priceCents: '100' };
    expect(problem({ ...ok, filename: 'a.exe' })).toBe(
      '.exe files are not accepted; upload one of mp4, mov, mkv',
    );
    expect(problem({ ...ok, filename: 'noextension' })).toBe(
      'The file name needs an extension (one of mp4, mov, mkv)',
    );
    expect(problem({ ...ok, filename: 'a\u0000.mp4' })).toBe(
      'The file name must be at most 255 printable characters',
    );
    expect(problem({ ...ok, priceCents: '-1' })).toBe('Price cannot be negative');
    expect(problem({ ...ok, priceCents: '1e3' })).toBe('Price is a whole number of US cents');
    expect(problem({ ...ok, priceCents: null })).toBe('Upload-Metadata needs "priceCents"');
    expect(problem({ ...ok, previewSeconds: '601' })).toBe('Preview is at most 600 seconds');
    expect(problem({ ...ok, title: 'x'.repeat(201) })).toBe('Title must be at most 200 characters');
  });
});

describe('sourceFileName', () => {
  it('keeps a storage-safe version of the name', () => {
    expect(sourceFileName('My clip (1).MP4', 'mp4')).toBe('My_clip_1_.mp4');
    expect(sourceFileName('..hidden.mp4', 'mp4')).toBe('hidden.mp4');
    expect(sourceFileName('視頻.mp4', 'mp4')).toBe('source.mp4');
    expect(sourceFileName(`${'a'.repeat(300)}.mkv`, 'mkv')).toBe(`${'a'.repeat(80)}.mkv`);
  });
});

describe('uploadLimitFor', () => {
  it("is the tenant's own limit when set, else the hub-wide MAX_UPLOAD_BYTES", () => {
    const media = { maxUploadBytes: 10 * 1024 ** 3 };
    expect(uploadLimitFor(media, { maxUploadBytes: 5 * 1024 ** 2 })).toBe(5 * 1024 ** 2);
    expect(uploadLimitFor(media, { maxUploadBytes: 1024 ** 4 })).toBe(1024 ** 4);
    expect(uploadLimitFor(media, { maxUploadBytes: '2097152' })).toBe(2097152);
    expect(uploadLimitFor(media, { maxUploadBytes: null })).toBe(media.maxUploadBytes);
    expect(uploadLimitFor(media, {})).toBe(media.maxUploadBytes);
  });
});
