/**
 * Runs ffmpeg with raw video frames of a fixed size on standard output and hands each frame to a
 * callback as it arrives (constant memory, whatever the length of the video).
 */
import { spawn } from 'node:child_process';
import { MediaError } from '../errors';

export interface FrameRun {
  ffmpeg: string;
  /** Arguments after the common flags; the last output must be `-f rawvideo pipe:1`. */
  args: string[];
  frameBytes: number;
  /** Called with each frame; the buffer is reused after the call returns. */
  onFrame: (frame: Buffer, index: number) => void;
  signal?: AbortSignal | undefined;
  /** Working directory of the process. */
  cwd?: string | undefined;
}

const STDERR_TAIL_CHARS = 8 * 1024;

/** Resolves with the number of frames read once ffmpeg exits cleanly. */
export function readFrames({ ffmpeg, args, frameBytes, onFrame, signal, cwd }: FrameRun): Promise<number> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-nostats', ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const frame = Buffer.alloc(frameBytes);
    let filled = 0;
    let count = 0;
    let failure: unknown;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length && failure === undefined) {
        const n = Math.min(frameBytes - filled, chunk.length - at);
        chunk.copy(frame, filled, at, at + n);
        filled += n;
        at += n;
        if (filled === frameBytes) {
          filled = 0;
          try {
            onFrame(frame, count++);
          } catch (error) {
            failure = error;
            child.kill('SIGKILL');
          }
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      const tail = stderr.trim();
      if (signal?.aborted) reject(signal.reason);
      else if (failure !== undefined) reject(failure);
      else if (spawnError)
        reject(
          new MediaError('FFMPEG_MISSING', `ffmpeg could not be started: ${spawnError.message}`, undefined, {
            cause: spawnError,
          }),
        );
      else if (code !== 0) {
        const how = killedBy ? `was killed by ${killedBy}` : `exited with code ${code}`;
        reject(new MediaError('FFMPEG_FAILED', `ffmpeg ${how}: ${tail.split('\n').pop() ?? ''}`, tail));
      } else resolve(count);
    });
  });
}
