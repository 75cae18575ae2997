import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FfmpegProgress,
  type HlsKey,
  type HlsManifest,
  MediaError,
  type ProbeResult,
  probeMedia,
  transcodeToHls,
} from '../src/index';
import { readReference } from '../src/watermark/index';
import { ffprobeJson, makeClip, processesIn, tempDir } from './clips';

const exec = promisify(execFile);

let dir: string;
let keyFile: string;
const key: HlsKey = {
  keyBytes: Uint8Array.from({ length: 16 }, (_, i) => i * 7 + 3),
  iv: Uint8Array.from({ length: 16 }, (_, i) => 255 - i * 5),
  keyUri: 'key://video-1',
};
const ivHex = Buffer.from(key.iv).toString('hex');

interface Run {
  input: string;
  probe: ProbeResult;
  outDir: string;
  manifest: HlsManifest;
  progress: FfmpegProgress[];
}
let withAudio: Run;
let silent: Run;
let rotated: Run;
let marked: Run;
let markedPortrait: Run;

async function transcode(
  name: string,
  input: string,
  options: Partial<Parameters<typeof transcodeToHls>[0]> = {},
): Promise<Run> {
  const probe = await probeMedia(input);
  const outDir = join(dir, name, 'out');
  await mkdir(join(dir, name));
  const progress: FfmpegProgress[] = [];
  const manifest = await transcodeToHls({
    input,
    outDir,
    probe,
    key,
    onProgress: (p) => progress.push(p),
    ...options,
  });
  return { input, probe, outDir, manifest, progress };
}

/** A copy of a rung's playlist whose key URI is the key file on disk, as a player would fetch it. */
async function withLocalKey(outDir: string, rung: string): Promise<string> {
  const playlist = await readFile(join(outDir, rung, 'index.m3u8'), 'utf8');
  const local = join(outDir, rung, 'local.m3u8');
  await writeFile(local, playlist.replaceAll(`URI="${key.keyUri}"`, `URI="${keyFile}"`));
  return local;
}

const hls = ['-allowed_extensions', 'ALL'];
const extinf = (playlist: string) => [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((m) => Number(m[1]));
const rungOf = (name: string) => ({
  name,
  width: 320,
  height: 180,
  shortSide: 180,
  videoBitrate: 300_000,
  maxRate: 450_000,
  bufSize: 600_000,
  audioBitrate: 64_000,
});
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error('resolved')),
    (e) => e,
  );

beforeAll(async () => {
  dir = await tempDir('transcode');
  keyFile = join(dir, 'video-1.key');
  await writeFile(keyFile, key.keyBytes);
  const [a, s, r] = await Promise.all([
    makeClip(dir, 'with-audio.mp4', { width: 854, height: 480, seconds: 4, audio: true }),
    makeClip(dir, 'silent.mp4', { width: 640, height: 360, seconds: 4 }),
    makeClip(dir, 'rotated.mp4', { width: 320, height: 240, seconds: 2, rotate: 90 }),
  ]);
  withAudio = await transcode('with-audio', a, { segmentSeconds: 1, preview: { seconds: 2 } });
  silent = await transcode('silent', s, { segmentSeconds: 2, storyboard: false });
  rotated = await transcode('rotated', r, { segmentSeconds: 1, storyboard: false });
  marked = await transcode('marked', a, {
    segmentSeconds: 1,
    preview: { seconds: 2 },
    watermark: { patternSeed: 'video-1 pattern seed' },
  });
  markedPortrait = await transcode('marked-portrait', r, {
    segmentSeconds: 1,
    storyboard: false,
    watermark: { patternSeed: 'video-2 pattern seed' },
  });
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('transcodeToHls', () => {
  it('lists every rung in master.m3u8 with its size and measured bandwidth', async () => {
    const { manifest, outDir } = withAudio;
    expect(manifest).toMatchObject({
      master: 'master.m3u8',
      segmentSeconds: 1,
      segmentCount: 4,
      durationSeconds: expect.closeTo(4, 1),
      hasPreview: true,
    });
    expect(manifest.renditions.map((r) => [r.name, r.width, r.height, r.playlists.A!])).toEqual([
      ['480p', 854, 480, '480p/index.m3u8'],
      ['360p', 640, 360, '360p/index.m3u8'],
      ['240p', 428, 240, '240p/index.m3u8'],
    ]);
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    for (const r of manifest.renditions) {
      expect(r.averageBandwidth).toBeGreaterThan(0);
      expect(r.bandwidth).toBeGreaterThanOrEqual(r.averageBandwidth);
      expect(master).toContain(
        `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},RESOLUTION=${r.width}x${r.height},`,
      );
      expect(master).toContain(`\n${r.playlists.A!}\n`);
    }
  });

  it('puts the AES-128 key URI and IV in every media playlist', async () => {
    for (const { outDir, manifest } of [withAudio, silent, rotated])
      for (const r of manifest.renditions) {
        const playlist = await readFile(join(outDir, r.playlists.A!), 'utf8');
        expect(playlist).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="key://video-1",IV=0x${ivHex}\n`);
        expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      }
  });

  it('error: segments cannot be read without the key', async () => {
    const { outDir, manifest } = withAudio;
    for (const r of manifest.renditions) {
      const segment = join(outDir, r.name, 'seg_00000.ts');
      await expect(ffprobeJson(['-show_streams', segment])).rejects.toThrow(/Invalid data found/);
    }
  });

  it('decodes every rung completely with the key', async () => {
    const { outDir, manifest } = withAudio;
    for (const r of manifest.renditions) {
      const local = await withLocalKey(outDir, r.name);
      const probe = await ffprobeJson([
        ...hls,
        '-count_frames',
        '-show_entries',
        'stream=codec_type,width,height,nb_read_frames:format=duration',
        local,
      ]);
      expect(probe).toMatchObject({
        streams: expect.arrayContaining([
          { codec_type: 'video', width: r.width, height: r.height, nb_read_frames: '100' },
          expect.objectContaining({ codec_type: 'audio' }),
        ]),
        format: { duration: expect.stringMatching(/^(3\.9|4\.0)/) },
      });
      const { stderr } = await exec('ffmpeg', ['-v', 'error', ...hls, '-i', local, '-f', 'null', '-']);
      expect(stderr).toBe('');
    }
  });

  it('cuts every rung at the same times, each segment starting on a key frame', async () => {
    const { outDir, manifest } = withAudio;
    const durations: number[][] = [];
    for (const r of manifest.renditions) {
      durations.push(extinf(await readFile(join(outDir, r.playlists.A!), 'utf8')));
      const packets = (await ffprobeJson([
        ...hls,
        '-select_streams',
        'v:0',
        '-show_entries',
        'packet=pts_time,flags',
        await withLocalKey(outDir, r.name),
      ])) as { packets: { pts_time: string; flags: string }[] };
      const start = Number(packets.packets[0]!.pts_time);
      const keyFrames = packets.packets
        .filter((p) => p.flags.startsWith('K'))
        .map((p) => Math.round((Number(p.pts_time) - start) * 1000) / 1000);
      expect(keyFrames, r.name).toEqual([0, 1, 2, 3]);
    }
    expect(durations[0]).toEqual([1, 1, 1, 1]);
    for (const d of durations) expect(d).toEqual(durations[0]);
  });

  it('adds a silent stereo AAC track when the source has no audio', async () => {
    const { outDir, manifest, probe } = silent;
    expect(probe.hasAudio).toBe(false);
    expect(manifest.segmentCount).toBe(2);
    for (const r of manifest.renditions) {
      const local = await withLocalKey(outDir, r.name);
      const streams = (await ffprobeJson([
        ...hls,
        '-select_streams',
        'a',
        '-count_packets',
        '-show_entries',
        'stream=codec_name,channels,sample_rate,nb_read_packets',
        local,
      ])) as {
        streams: { codec_name: string; channels: number; sample_rate: string; nb_read_packets: string }[];
      };
      expect(streams.streams).toEqual([
        { codec_name: 'aac', channels: 2, sample_rate: '48000', nb_read_packets: expect.any(String) },
      ]);
      // 4 s of 1024-sample frames at 48 kHz is 187.5 frames.
      expect(Number(streams.streams[0]!.nb_read_packets)).toBeGreaterThanOrEqual(185);
      const { stderr } = await exec('ffmpeg', [
        ...hls,
        '-i',
        local,
        '-af',
        'volumedetect',
        '-vn',
        '-f',
        'null',
        '-',
      ]);
      expect(stderr).toMatch(/max_volume: -91\.0 dB/);
    }
  });

  it('makes an unencrypted preview of at most the first N seconds at 360p', async () => {
    const { outDir, manifest } = withAudio;
    expect(manifest.preview).toEqual({
      playlist: 'preview/index.m3u8',
      width: 640,
      height: 360,
      durationSeconds: 2,
    });
    const playlist = await readFile(join(outDir, 'preview/index.m3u8'), 'utf8');
    expect(playlist).not.toContain('#EXT-X-KEY');
    expect(extinf(playlist).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2.001);
    const probe = (await ffprobeJson([
      '-count_frames',
      '-show_entries',
      'stream=codec_type,width,height,nb_read_frames',
      join(outDir, 'preview/seg_00000.ts'),
    ])) as { streams: { codec_type: string; width?: number; height?: number; nb_read_frames: string }[] };
    expect(probe.streams).toEqual(
      expect.arrayContaining([
        { codec_type: 'video', width: 640, height: 360, nb_read_frames: expect.any(String) },
      ]),
    );
    const frames = (
      await Promise.all(
        (
          await readdir(join(outDir, 'preview'))
        )
          .filter((f) => f.endsWith('.ts'))
          .map((f) =>
            ffprobeJson([
              '-count_frames',
              '-select_streams',
              'v:0',
              '-show_entries',
              'stream=nb_read_frames',
              join(outDir, 'preview', f),
            ]),
          ),
      )
    ).reduce(
      (sum, p) => sum + Number((p as { streams: { nb_read_frames: string }[] }).streams[0]!.nb_read_frames),
      0,
    );
    expect(frames).toBe(50);
    expect(silent.manifest).toMatchObject({ hasPreview: false, preview: null });
  });

  it('makes a poster and a storyboard sprite of the expected size with its WebVTT index', async () => {
    const { outDir, manifest } = withAudio;
    expect(manifest.poster).toEqual({ file: 'poster.jpg', width: 854, height: 480 });
    expect(manifest.storyboard).toEqual({
      image: 'storyboard.jpg',
      index: 'storyboard.vtt',
      tileWidth: 160,
      tileHeight: 90,
      columns: 4,
      rows: 1,
      count: 4,
      intervalSeconds: 1,
    });
    const size = async (file: string) =>
      (
        (await ffprobeJson(['-show_entries', 'stream=codec_name,width,height', join(outDir, file)])) as {
          streams: unknown[];
        }
      ).streams[0];
    expect(await size('poster.jpg')).toEqual({ codec_name: 'mjpeg', width: 854, height: 480 });
    expect(await size('storyboard.jpg')).toEqual({ codec_name: 'mjpeg', width: 640, height: 90 });
    expect(await readFile(join(outDir, 'storyboard.vtt'), 'utf8')).toBe(
      'WEBVTT\n\n' +
        '00:00:00.000 --> 00:00:01.000\nstoryboard.jpg#xywh=0,0,160,90\n\n' +
        '00:00:01.000 --> 00:00:02.000\nstoryboard.jpg#xywh=160,0,160,90\n\n' +
        '00:00:02.000 --> 00:00:03.000\nstoryboard.jpg#xywh=320,0,160,90\n\n' +
        '00:00:03.000 --> 00:00:04.000\nstoryboard.jpg#xywh=480,0,160,90\n',
    );
  });

  it('applies the rotation of a phone clip: a portrait ladder and poster', async () => {
    const { outDir, manifest } = rotated;
    expect(manifest.renditions.map((r) => [r.name, r.width, r.height])).toEqual([['240p', 240, 320]]);
    const probe = await ffprobeJson(['-show_entries', 'stream=width,height', join(outDir, 'poster.jpg')]);
    expect(probe).toEqual({ programs: [], streams: [{ width: 240, height: 320 }] });
    const video = await ffprobeJson([
      ...hls,
      '-select_streams',
      'v',
      '-show_entries',
      'stream=width,height',
      await withLocalKey(outDir, '240p'),
    ]);
    expect(video).toMatchObject({ streams: [{ width: 240, height: 320 }] });
  });

  it('reports progress up to 1', () => {
    const fractions = withAudio.progress.map((p) => p.fraction);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it('writes nothing outside outDir and leaves no key or scratch files in it', async () => {
    expect(await readdir(join(dir, 'with-audio'))).toEqual(['out']);
    const entries = (await readdir(withAudio.outDir)).filter((e) => !e.startsWith('local'));
    expect(entries.sort()).toEqual([
      '240p',
      '360p',
      '480p',
      'master.m3u8',
      'poster.jpg',
      'preview',
      'storyboard.jpg',
      'storyboard.vtt',
    ]);
    const files = await readdir(withAudio.outDir, { recursive: true });
    const keyBytes = Buffer.from(key.keyBytes);
    for (const file of files) {
      if (!file.endsWith('.m3u8') && !file.endsWith('.vtt')) continue;
      expect((await readFile(join(withAudio.outDir, file))).includes(keyBytes), file).toBe(false);
    }
  });

  it('aborting kills ffmpeg, rejects with an AbortError and removes the key files', async () => {
    const outDir = join(dir, 'aborted');
    const controller = new AbortController();
    let ran = false;
    const error = await rejection(
      transcodeToHls({
        input: withAudio.input,
        outDir,
        probe: withAudio.probe,
        key,
        signal: controller.signal,
        onProgress: () => {
          ran = true;
          controller.abort();
        },
      }),
    );
    expect(ran).toBe(true);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(await processesIn(outDir)).toEqual([]);
    expect((await readdir(outDir)).filter((e) => e.startsWith('.key'))).toEqual([]);
  });

  it('error: an input ffmpeg cannot decode fails with its stderr and removes the key files', async () => {
    const input = join(dir, 'garbage.mp4');
    await writeFile(input, 'not a video'.repeat(100));
    const outDir = join(dir, 'garbage');
    const error = await rejection(transcodeToHls({ input, outDir, probe: withAudio.probe, key }));
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'FFMPEG_FAILED' });
    expect((error as MediaError).stderrTail).toBeTruthy();
    expect((await readdir(outDir)).filter((e) => e.startsWith('.key'))).toEqual([]);
  });

  it("error: a hardware encoder this machine lacks fails with ffmpeg's reason", async () => {
    const error = await rejection(
      transcodeToHls({
        input: rotated.input,
        outDir: join(dir, 'nvenc'),
        probe: rotated.probe,
        key,
        encoder: 'h264_nvenc',
      }),
    );
    expect(error).toMatchObject({ code: 'FFMPEG_FAILED' });
    expect((error as MediaError).stderrTail).toMatch(/nvenc|cuda/i);
  });

  it('error: bad options are refused before ffmpeg runs', async () => {
    const base = { input: withAudio.input, probe: withAudio.probe, key };
    const outDir = join(dir, 'bad');
    const cases: [Partial<Parameters<typeof transcodeToHls>[0]>, string][] = [
      [{ key: { ...key, keyBytes: new Uint8Array(15) } }, 'the key must be 16 bytes'],
      [{ key: { ...key, iv: new Uint8Array(8) } }, 'the IV must be 16 bytes'],
      [
        { key: { ...key, keyUri: 'key://a"b' } },
        'the key URI must be printable ASCII without spaces or quotes',
      ],
      [
        { key: { ...key, keyUri: 'key://a\n/etc/passwd' } },
        'the key URI must be printable ASCII without spaces or quotes',
      ],
      [{ segmentSeconds: 0.5 }, 'segmentSeconds must be between 1 and 30'],
      [{ ladder: [rungOf('../escape')] }, 'rung names must be distinct words of letters, digits, - and _'],
      [
        { ladder: [rungOf('small'), { ...rungOf('big'), width: 640, height: 360 }] },
        'the ladder must go from the largest rung down',
      ],
      [{ outDir: withAudio.outDir }, `${withAudio.outDir} must be empty`],
    ];
    for (const [options, message] of cases) {
      const error = await rejection(transcodeToHls({ ...base, outDir, ...options }));
      expect(error).toMatchObject({ code: 'BAD_OPTIONS', message });
    }
  });
});

/** Key frame times (from the first packet) of a rendition playlist's video, decrypted with the key. */
async function keyFrameTimes(outDir: string, folder: string): Promise<number[]> {
  const packets = (await ffprobeJson([
    ...hls,
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time,flags',
    await withLocalKey(outDir, folder),
  ])) as { packets: { pts_time: string; flags: string }[] };
  const start = Number(packets.packets[0]!.pts_time);
  return packets.packets
    .filter((p) => p.flags.startsWith('K'))
    .map((p) => Math.round((Number(p.pts_time) - start) * 1000) / 1000);
}

describe('transcodeToHls with the watermark', () => {
  it('makes variants A and B of every rung in place of the plain ladder, and a reference per rung', async () => {
    const { manifest, outDir } = marked;
    expect(manifest).toMatchObject({
      variants: ['A', 'B'],
      segmentCount: 4,
      watermark: {
        references: {
          '480p': 'watermark/480p.ppvwm',
          '360p': 'watermark/360p.ppvwm',
          '240p': 'watermark/240p.ppvwm',
        },
      },
      hasPreview: true,
    });
    expect(manifest.renditions.map((r) => [r.name, r.width, r.height, r.playlists])).toEqual(
      (
        [
          ['480p', 854, 480],
          ['360p', 640, 360],
          ['240p', 428, 240],
        ] as const
      ).map(([name, w, h]) => [name, w, h, { A: `${name}/A/index.m3u8`, B: `${name}/B/index.m3u8` }]),
    );
    for (const r of manifest.renditions) {
      expect((await readdir(join(outDir, r.name))).sort()).toEqual(['A', 'B']);
      const ref = await readReference(join(outDir, manifest.watermark!.references[r.name]!));
      expect(ref).toMatchObject({ width: r.width, height: r.height, frameCount: 100, segmentCount: 4 });
      // The mark is there: A − B is far from zero in the middle of a segment.
      expect(Math.max(...ref.diff[1]!.map(Math.abs))).toBeGreaterThan(1);
    }
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    expect(master.split('\n').filter((l) => l.endsWith('.m3u8'))).toEqual(
      manifest.renditions.map((r) => r.playlists.A),
    );
    const entries = (await readdir(outDir)).filter((e) => !e.startsWith('local')).sort();
    expect(entries).toEqual([
      '240p',
      '360p',
      '480p',
      'master.m3u8',
      'poster.jpg',
      'preview',
      'storyboard.jpg',
      'storyboard.vtt',
      'watermark',
    ]);
  });

  it('cuts A and B of every rung at the same times, each segment starting on a key frame', async () => {
    const { manifest, outDir } = marked;
    for (const r of manifest.renditions)
      for (const variant of ['A', 'B'] as const) {
        expect(
          extinf(await readFile(join(outDir, r.playlists[variant]!), 'utf8')),
          `${r.name} ${variant}`,
        ).toEqual([1, 1, 1, 1]);
        expect(await keyFrameTimes(outDir, `${r.name}/${variant}`), `${r.name} ${variant}`).toEqual([
          0, 1, 2, 3,
        ]);
      }
  });

  it('encrypts both variants with the key and IV; each decodes to the whole video with audio, A and B differ', async () => {
    const { manifest, outDir } = marked;
    for (const r of manifest.renditions) {
      const frames: string[] = [];
      for (const variant of ['A', 'B'] as const) {
        const folder = `${r.name}/${variant}`;
        const playlist = await readFile(join(outDir, folder, 'index.m3u8'), 'utf8');
        expect(playlist).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="key://video-1",IV=0x${ivHex}\n`);
        await expect(ffprobeJson(['-show_streams', join(outDir, folder, 'seg_00000.ts')])).rejects.toThrow(
          /Invalid data found/,
        );
        const probe = (await ffprobeJson([
          ...hls,
          '-count_frames',
          '-show_entries',
          'stream=codec_type,width,height,nb_read_frames',
          await withLocalKey(outDir, folder),
        ])) as { streams: { codec_type: string; nb_read_frames: string }[] };
        expect(probe.streams).toEqual(
          expect.arrayContaining([
            { codec_type: 'video', width: r.width, height: r.height, nb_read_frames: '100' },
            expect.objectContaining({ codec_type: 'audio' }),
          ]),
        );
        const { stdout } = await exec('ffmpeg', [
          '-v',
          'error',
          ...hls,
          '-i',
          await withLocalKey(outDir, folder),
          '-map',
          '0:v',
          '-f',
          'md5',
          '-',
        ]);
        frames.push(stdout);
      }
      expect(frames[0]).not.toBe(frames[1]);
    }
  });

  it('marks a portrait source on its own grid and gives a silent one silent audio', async () => {
    const { manifest, outDir, probe } = markedPortrait;
    expect(probe.hasAudio).toBe(false);
    expect(manifest.renditions.map((r) => [r.name, r.width, r.height])).toEqual([['240p', 240, 320]]);
    const ref = await readReference(join(outDir, 'watermark/240p.ppvwm'));
    expect(ref.grid).toEqual({ width: 48, height: 64 });
    expect(ref.frameCount).toBe(50);
    for (const variant of ['A', 'B'] as const) {
      const { stderr } = await exec('ffmpeg', [
        ...hls,
        '-i',
        await withLocalKey(outDir, `240p/${variant}`),
        '-af',
        'volumedetect',
        '-vn',
        '-f',
        'null',
        '-',
      ]);
      expect(stderr).toMatch(/max_volume: -91\.0 dB/);
    }
  });

  it('reports progress up to 1', () => {
    const fractions = marked.progress.map((p) => p.fraction);
    expect(fractions.length).toBeGreaterThan(10);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it('aborting kills ffmpeg, rejects with an AbortError and removes the key and pattern files', async () => {
    const outDir = join(dir, 'marked-aborted');
    const controller = new AbortController();
    const error = await rejection(
      transcodeToHls({
        input: withAudio.input,
        outDir,
        probe: withAudio.probe,
        key,
        watermark: { patternSeed: 'x' },
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(await processesIn(outDir)).toEqual([]);
    expect((await readdir(outDir)).filter((e) => e.startsWith('.key'))).toEqual([]);
  });

  it('error: a rung of odd size cannot be marked', async () => {
    const error = await rejection(
      transcodeToHls({
        input: withAudio.input,
        outDir: join(dir, 'marked-odd'),
        probe: withAudio.probe,
        key,
        ladder: [{ ...rungOf('odd'), width: 321 }],
        watermark: { patternSeed: 'x' },
      }),
    );
    expect(error).toMatchObject({
      code: 'BAD_OPTIONS',
      message: 'A/B variants: width and height must be positive even numbers, not 321×180',
    });
  });
});
