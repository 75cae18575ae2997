/** Small generated clips (lavfi testsrc2 + sine) and ffmpeg/ffprobe helpers for the tests. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface ClipSpec {
  width: number;
  height: number;
  seconds: number;
  audio?: boolean;
  /** Writes a display rotation into the container (a second, stream-copying pass). */
  rotate?: 90 | 180 | 270;
  /** Container format and codec flags; default MP4 with H.264. */
  format?: string;
  codec?: string[];
}

/** Encodes a clip into `dir/name` and returns its path. */
export async function makeClip(dir: string, name: string, spec: ClipSpec): Promise<string> {
  const file = join(dir, name);
  const { width, height, seconds } = spec;
  const inputs = ['-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=25:d=${seconds}`];
  if (spec.audio) inputs.push('-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${seconds}`);
  const codec = spec.codec ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
  const audio = spec.audio ? ['-c:a', 'aac', '-b:a', '64k'] : [];
  const target = spec.rotate ? `${file}.plain.mp4` : file;
  await ffmpeg([...inputs, ...codec, ...audio, ...(spec.format ? ['-f', spec.format] : []), target]);
  if (spec.rotate) {
    await ffmpeg(['-i', target, '-c', 'copy', '-metadata:s:v:0', `rotate=${spec.rotate}`, file]);
    await rm(target);
  }
  return file;
}

export async function ffmpeg(args: string[]): Promise<string> {
  const { stderr } = await exec('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
  return stderr;
}

export async function ffprobeJson(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-of', 'json', ...args]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `ppv-media-${prefix}-`));

/** Pids of processes whose working directory is `dir` (ffmpeg runs inside the output folder). */
export async function processesIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => null);
    if (cwd === dir) pids.push(Number(entry));
  }
  return pids;
}
