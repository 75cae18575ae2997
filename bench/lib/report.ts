import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoRoot = dirname(benchDir);

export interface MachineInfo {
  date: string;
  node: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  cpus: number;
  totalMemMiB: number;
  freeMemMiB: number;
  /** 1, 5 and 15 minute load averages when the result was written: high means a disturbed run. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    cpuModel: list[0]?.model ?? 'unknown',
    cpus: list.length,
    totalMemMiB: Math.round(totalmem() / 2 ** 20),
    freeMemMiB: Math.round(freemem() / 2 ** 20),
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export type Cell = string | number;

/** Prints rows as an aligned text table: text columns left-aligned, numbers right-aligned. */
export function printTable(title: string, header: string[], rows: Cell[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = ['', title, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Writes `bench/results/<name>.json` with the machine info next to the figures. */
export async function writeResult(name: string, data: Record<string, unknown>): Promise<string> {
  const file = join(benchDir, 'results', `${name}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ bench: name, machine: machineInfo(), ...data }, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
  return file;
}

/** Rounds to `digits` decimals, for tables and JSON alike. */
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Nearest-rank percentile of unsorted values (`p` in 0–100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
