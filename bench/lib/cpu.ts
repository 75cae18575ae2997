import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const ticksPerSecond = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim());

/** CPU seconds (user + sys) of this process's children that have been waited for. */
export async function childCpuSeconds(): Promise<number> {
  const text = await readFile('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; cutime and cstime are 16 and 17.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}
