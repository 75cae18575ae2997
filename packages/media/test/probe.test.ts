import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError, parseProbe, probeMedia } from '../src/index';
import { ffmpeg, makeClip, tempDir } from './clips';

let dir: string;
const clips = {} as Record<'landscape' | 'rotated' | 'portrait' | 'silent' | 'tiny' | 'audioOnly', string>;

beforeAll(async () => {
  dir = await tempDir('probe');
  [clips.landscape, clips.rotated, clips.portrait, clips.silent, clips.tiny, clips.audioOnly] =
    await Promise.all([
      makeClip(dir, 'landscape.mp4', { width: 854, height: 480, seconds: 2, audio: true }),
      makeClip(dir, 'rotated.mp4', { width: 320, height: 240, seconds: 2, rotate: 90 }),
      makeClip(dir, 'portrait.mp4', { width: 240, height: 426, seconds: 2, audio: true }),
      makeClip(dir, 'silent.mp4', { width: 640, height: 360, seconds: 2 }),
      makeClip(dir, 'tiny.mp4', { width: 256, height: 144, seconds: 2 }),
      ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2', '-c:a', 'aac', join(dir, 'audio.m4a')]).then(() =>
        join(dir, 'audio.m4a'),
      ),
    ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error('resolved')),
    (e) => e,
  );

describe('probeMedia', () => {
  it('reads a landscape clip with audio', async () => {
    expect(await probeMedia(clips.landscape)).toEqual({
      durationSeconds: expect.closeTo(2, 1),
      width: 854,
      height: 480,
      rotation: 0,
      displayWidth: 854,
      displayHeight: 480,
      frameRate: 25,
      hasAudio: true,
      videoStreamIndex: 0,
      audioStreamIndex: 1,
      videoCodec: 'h264',
      audioCodec: 'aac',
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      bitRate: expect.any(Number),
    });
  });

  it('swaps the display size of a clip rotated by a quarter turn', async () => {
    const probe = await probeMedia(clips.rotated);
    expect(probe).toMatchObject({ width: 320, height: 240, displayWidth: 240, displayHeight: 320 });
    // ffmpeg versions disagree on the sign of the matrix written for `rotate=90`; either way it is a quarter turn.
    expect([90, 270]).toContain(probe.rotation);
  });

  it('reads a portrait clip stored upright', async () => {
    expect(await probeMedia(clips.portrait)).toMatchObject({
      rotation: 0,
      displayWidth: 240,
      displayHeight: 426,
      hasAudio: true,
    });
  });

  it('reports a clip without audio', async () => {
    expect(await probeMedia(clips.silent)).toMatchObject({
      hasAudio: false,
      audioCodec: null,
      videoCodec: 'h264',
    });
  });

  it('reads a low-resolution clip', async () => {
    expect(await probeMedia(clips.tiny)).toMatchObject({ displayWidth: 256, displayHeight: 144 });
  });

  it('error: audio only is "no video stream"', async () => {
    const error = await rejection(probeMedia(clips.audioOnly));
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'NO_VIDEO', message: 'no video stream' });
  });

  it('error: a text file is "could not read the file as media"', async () => {
    const file = join(dir, 'notes.mp4');
    await writeFile(file, 'Meeting notes\nnothing to see here\n');
    const error = await rejection(probeMedia(file));
    expect(error).toMatchObject({ code: 'NOT_MEDIA', message: 'could not read the file as media' });
    expect((error as MediaError).stderrTail).toBeTruthy();
  });

  it('error: a truncated MP4 (index at the end, cut in half) is not media', async () => {
    const bytes = await readFile(clips.landscape);
    const file = join(dir, 'truncated.mp4');
    await writeFile(file, bytes.subarray(0, bytes.length >> 1));
    expect(await rejection(probeMedia(file))).toMatchObject({ code: 'NOT_MEDIA' });
  });

  it('error: a playlist is not opened, even one pointing at a real video', async () => {
    const file = join(dir, 'list.mp4');
    await writeFile(
      file,
      `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${clips.landscape}\n#EXT-X-ENDLIST\n`,
    );
    expect(await rejection(probeMedia(file))).toMatchObject({ code: 'NOT_MEDIA' });
  });

  it('error: dimensions over the limit', async () => {
    const error = await rejection(probeMedia(clips.landscape, { limits: { maxDimension: 640 } }));
    expect(error).toMatchObject({
      code: 'TOO_LARGE_DIMENSIONS',
      message: 'the picture is too large (854x480; at most 640 pixels on a side)',
    });
  });

  it('error: longer than the limit', async () => {
    const error = await rejection(probeMedia(clips.landscape, { limits: { maxDurationSeconds: 1 } }));
    expect(error).toMatchObject({ code: 'TOO_LONG', message: 'the video is too long (2 s; at most 1 s)' });
  });
});

describe('parseProbe', () => {
  const stream = {
    codec_type: 'video',
    codec_name: 'h264',
    width: 1920,
    height: 1080,
    avg_frame_rate: '30000/1001',
  };
  const format = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '12.5', bit_rate: '4000000' };
  const matrix = (rotation: number) => ({ side_data_list: [{ side_data_type: 'Display Matrix', rotation }] });

  it('turns the counter-clockwise display matrix into a clockwise quarter turn', () => {
    expect(parseProbe({ format, streams: [{ ...stream, ...matrix(-90) }] })).toMatchObject({
      rotation: 90,
      displayWidth: 1080,
      displayHeight: 1920,
      frameRate: 29.97,
      bitRate: 4_000_000,
    });
    expect(parseProbe({ format, streams: [{ ...stream, ...matrix(90) }] }).rotation).toBe(270);
    expect(parseProbe({ format, streams: [{ ...stream, ...matrix(180) }] })).toMatchObject({
      rotation: 180,
      displayWidth: 1920,
    });
    expect(parseProbe({ format, streams: [{ ...stream, ...matrix(-270) }] }).rotation).toBe(270);
  });

  it('reads the legacy clockwise rotate tag', () => {
    expect(parseProbe({ format, streams: [{ ...stream, tags: { rotate: '90' } }] }).rotation).toBe(90);
    expect(parseProbe({ format, streams: [{ ...stream, tags: { rotate: '-90' } }] }).rotation).toBe(270);
  });

  it('skips cover art and points at the streams ffmpeg should map', () => {
    const probe = parseProbe({
      format,
      streams: [
        {
          ...stream,
          index: 0,
          codec_name: 'mjpeg',
          width: 600,
          height: 600,
          disposition: { attached_pic: 1 },
        },
        { ...stream, index: 1 },
        { index: 2, codec_type: 'audio', codec_name: 'opus' },
      ],
    });
    expect(probe).toMatchObject({
      videoStreamIndex: 1,
      audioStreamIndex: 2,
      width: 1920,
      audioCodec: 'opus',
    });
  });

  it('error: cover art alone is no video stream', () => {
    expect(() =>
      parseProbe({
        format,
        streams: [
          { codec_type: 'audio', codec_name: 'mp3' },
          { ...stream, codec_name: 'mjpeg', disposition: { attached_pic: 1 } },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'NO_VIDEO' }));
  });

  it('error: a still image has no duration', () => {
    expect(() => parseProbe({ format: { format_name: 'image2' }, streams: [stream] })).toThrow(
      expect.objectContaining({ code: 'NOT_MEDIA' }),
    );
  });
});
