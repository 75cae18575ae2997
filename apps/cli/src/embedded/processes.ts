import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process exists (EPERM: it does, but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcessInfo {
  ppid: number;
  args: string[];
}

/** Parent and command line of a process, from /proc; undefined when it is gone or /proc is unavailable. */
export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    // Field 2 is the command name in parentheses and may itself contain spaces or parentheses.
    const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), args: cmdline.split('\0').filter(Boolean) };
  } catch {
    return undefined;
  }
}

const shutdownSteps = [
  // PostgreSQL: SIGINT is a fast shutdown, SIGQUIT an immediate one.
  ['SIGINT', 30_000],
  ['SIGQUIT', 5_000],
  ['SIGKILL', 5_000],
] as const;

/**
 * Signals `pid` to stop, escalating when it takes too long, and resolves once `hasExited()` is true.
 * For a child process pass a check on its exit code; for any other process, `() => !isAlive(pid)`.
 */
export async function stopProcess(pid: number, hasExited: () => boolean): Promise<void> {
  for (const [signal, graceMs] of shutdownSteps) {
    if (hasExited()) return;
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw error;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (hasExited()) return;
      await sleep(25);
    }
  }
  throw new Error(`process ${pid} did not exit, even after SIGKILL`);
}
