/**
 * Running ffmpeg and ffprobe: finding them, running one with an AbortSignal (the process is killed
 * on abort), keeping the end of stderr for error reports, and parsing `-progress pipe:1`.
 */
import { spawn } from 'node:child_process';
import { MediaError } from './errors';

/** The commands to run: absolute paths from configuration, or bare names looked up on PATH. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

export const defaultTools: FfmpegTools = { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' };

export interface FfmpegInstallation extends FfmpegTools {
  /** The first line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.9-0+deb12u1 …`. */
  version: string;
}

export interface FfmpegProgress {
  /** How much of the output is written, in milliseconds of media time. */
  outTimeMs: number;
  /** `outTimeMs` over the known duration, 0–1; 1 once ffmpeg reports the end. */
  fraction: number;
  /** Encoding speed as a multiple of real time (`2` = twice real time); null until ffmpeg knows. */
  speed: number | null;
}

export interface RunOptions {
  /** Aborting kills the process (SIGKILL) and the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Working directory of the process. */
  cwd?: string;
  /** With `durationSeconds` (the output's expected duration), ffmpeg reports its progress here. */
  onProgress?: (progress: FfmpegProgress) => void;
  durationSeconds?: number;
}

export interface RunResult {
  stdout: string;
  stderrTail: string;
}

const STDERR_TAIL_CHARS = 8 * 1024;
const STDOUT_MAX_CHARS = 16 * 1024 * 1024;

const located = new Map<string, Promise<FfmpegInstallation>>();

/**
 * Checks that both tools run and returns them with ffmpeg's version. `config` holds the paths
 * from configuration; a missing one means "look it up on PATH". The answer is cached per pair.
 * Throws `MediaError('FFMPEG_MISSING')` naming the tool and where it was looked for.
 */
export function locateFfmpeg(config: Partial<FfmpegTools> = {}): Promise<FfmpegInstallation> {
  const tools = { ...defaultTools, ...config };
  const key = `${tools.ffmpeg}\0${tools.ffprobe}`;
  let found = located.get(key);
  if (!found) {
    found = (async () => {
      const [ffmpeg] = await Promise.all([
        runTool(tools.ffmpeg, ['-hide_banner', '-version']),
        runTool(tools.ffprobe, ['-hide_banner', '-version']),
      ]);
      return { ...tools, version: ffmpeg.stdout.split('\n', 1)[0]?.trim() ?? '' };
    })();
    found.catch(() => located.delete(key));
    located.set(key, found);
  }
  return found;
}

/**
 * Runs ffmpeg with `args` after the flags every run gets (no banner, no stdin, errors only on
 * stderr, and `-progress pipe:1` when progress is wanted). Rejects with
 * `MediaError('FFMPEG_FAILED')` carrying the stderr tail when ffmpeg exits with an error.
 */
export async function runFfmpeg(ffmpeg: string, args: string[], options: RunOptions = {}): Promise<void> {
  const { onProgress, durationSeconds } = options;
  const progress = onProgress && durationSeconds ? createProgressParser(durationSeconds, onProgress) : null;
  const common = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-nostats'];
  await runTool(ffmpeg, progress ? [...common, '-progress', 'pipe:1', ...args] : [...common, ...args], {
    ...options,
    onStdout: progress ?? undefined,
  });
}

/** Runs ffprobe and returns its standard output (the caller asks for JSON). */
export async function runFfprobe(ffprobe: string, args: string[], options: RunOptions = {}): Promise<string> {
  const { stdout } = await runTool(ffprobe, ['-hide_banner', '-loglevel', 'error', ...args], options);
  return stdout;
}

/** Spawns a tool, collects stdout (or streams it to `onStdout`) and the end of stderr. */
export function runTool(
  command: string,
  args: string[],
  options: RunOptions & { onStdout?: ((chunk: string) => void) | undefined } = {},
): Promise<RunResult> {
  const { signal, cwd, onStdout } = options;
  const name = command.split('/').pop() ?? command;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (onStdout) onStdout(chunk);
      else if (stdout.length < STDOUT_MAX_CHARS) stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason);
      else if (spawnError)
        reject(
          spawnError.code === 'ENOENT' || spawnError.code === 'EACCES'
            ? new MediaError(
                'FFMPEG_MISSING',
                command.includes('/')
                  ? `${name} was not found at ${command}: check the configured path`
                  : `${name} was not found on PATH: install ffmpeg (Debian: apt-get install ffmpeg) or configure its path`,
                undefined,
                { cause: spawnError },
              )
            : new MediaError(
                'FFMPEG_FAILED',
                `${name} could not be started: ${spawnError.message}`,
                undefined,
                {
                  cause: spawnError,
                },
              ),
        );
      else if (code !== 0) {
        const tail = stderr.trim();
        const last = tail.split('\n').pop() ?? '';
        const how = killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`;
        reject(new MediaError('FFMPEG_FAILED', `${name} ${how}${last ? `: ${last}` : ''}`, tail));
      } else resolve({ stdout, stderrTail: stderr.trim() });
    });
  });
}

/**
 * Parses ffmpeg's `-progress` output (blocks of `key=value` lines, each ending with
 * `progress=continue` or `progress=end`) fed in arbitrary chunks, and reports once per block.
 */
export function createProgressParser(
  durationSeconds: number,
  onProgress: (progress: FfmpegProgress) => void,
): (chunk: string) => void {
  let pending = '';
  let outTimeMs = 0;
  let speed: number | null = null;
  const durationMs = durationSeconds * 1000;
  return (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf('=');
      if (at < 0) continue;
      const key = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (key === 'out_time_us') {
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) outTimeMs = Math.round(us / 1000);
      } else if (key === 'speed') {
        const x = Number.parseFloat(value);
        speed = Number.isFinite(x) ? x : null;
      } else if (key === 'progress') {
        const end = value === 'end';
        const fraction = end ? 1 : durationMs > 0 ? Math.min(1, outTimeMs / durationMs) : 0;
        onProgress({ outTimeMs, fraction, speed });
      }
    }
  };
}
