import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createProgressParser, type FfmpegProgress, locateFfmpeg, MediaError, runFfmpeg } from '../src/index';

/** Pids of live processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) pids.push(Number(entry));
  }
  return pids;
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => Promise.reject(new Error('resolved')),
    (e) => e,
  );

describe('locateFfmpeg', () => {
  it('finds ffmpeg and ffprobe on PATH and reports the version', async () => {
    const found = await locateFfmpeg();
    expect(found.ffmpeg).toBe('ffmpeg');
    expect(found.ffprobe).toBe('ffprobe');
    expect(found.version).toMatch(/^ffmpeg version /);
  });

  it('error: a configured path that does not exist names the path', async () => {
    const error = await rejection(locateFfmpeg({ ffmpeg: '/nonexistent/bin/ffmpeg' }));
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'FFMPEG_MISSING' });
    expect((error as Error).message).toBe(
      'ffmpeg was not found at /nonexistent/bin/ffmpeg: check the configured path',
    );
  });

  it('error: a tool missing from PATH says how to install it', async () => {
    const error = await rejection(locateFfmpeg({ ffprobe: 'ffprobe-not-installed' }));
    expect(error).toMatchObject({ code: 'FFMPEG_MISSING' });
    expect((error as Error).message).toMatch(/^ffprobe-not-installed was not found on PATH: install ffmpeg/);
  });
});

describe('runFfmpeg', () => {
  it('error: a failing command rejects with the end of stderr', async () => {
    const error = await rejection(runFfmpeg('ffmpeg', ['-i', '/nonexistent/input.mp4', '-f', 'null', '-']));
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({ code: 'FFMPEG_FAILED' });
    expect((error as Error).message).toMatch(/^ffmpeg exited with code \d+: .*No such file or directory/);
    expect((error as MediaError).stderrTail).toContain('/nonexistent/input.mp4');
  });

  it('reports progress from -progress against the known duration, ending at 1', async () => {
    const seen: FfmpegProgress[] = [];
    await runFfmpeg('ffmpeg', ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=3', '-f', 'null', '-'], {
      durationSeconds: 3,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ fraction: 1 });
    expect(seen.at(-1)!.outTimeMs).toBeGreaterThanOrEqual(2900);
    const fractions = seen.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it('aborting kills ffmpeg and rejects with an AbortError', async () => {
    const marker = `abort-${randomUUID()}`;
    const controller = new AbortController();
    const run = runFfmpeg(
      'ffmpeg',
      [
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=160x120:r=25:d=60',
        '-metadata',
        `title=${marker}`,
        '-f',
        'null',
        '-',
      ],
      { signal: controller.signal },
    );
    await expect.poll(() => processesWith(marker)).toHaveLength(1);
    controller.abort();
    const error = await rejection(run);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(await processesWith(marker)).toEqual([]);
  });

  it('an already aborted signal rejects without starting ffmpeg', async () => {
    const error = await rejection(
      runFfmpeg('/nonexistent/ffmpeg', ['-version'], { signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});

describe('createProgressParser', () => {
  it('parses blocks split anywhere, skipping N/A values', () => {
    const seen: FfmpegProgress[] = [];
    const feed = createProgressParser(10, (p) => seen.push(p));
    const text =
      'frame=0\nout_time_us=N/A\nspeed=N/A\nprogress=continue\n' +
      'frame=50\nout_time_us=2500000\nout_time_ms=2500000\nspeed=1.5x\nprogress=continue\n' +
      'frame=200\nout_time_us=10020000\nspeed=2.25x\nprogress=end\n';
    for (let i = 0; i < text.length; i += 7) feed(text.slice(i, i + 7));
    expect(seen).toEqual([
      { outTimeMs: 0, fraction: 0, speed: null },
      { outTimeMs: 2500, fraction: 0.25, speed: 1.5 },
      { outTimeMs: 10020, fraction: 1, speed: 2.25 },
    ]);
  });
});
