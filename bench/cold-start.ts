/**
 * `npm start` cold start: spawn to the first 200 from /healthz, on an empty DATA_DIR (initdb,
 * migrations, demo seed) and again on the same DATA_DIR; then Ctrl-C (SIGINT to the process group,
 * as a terminal sends it) and a check that no postgres or anvil of that data folder is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './lib/net';
import { median, printTable, repoRoot, round, writeResult } from './lib/report';

const RUNS = 3;
const HEALTHY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;
const POLL_MS = 25;
const BANNER = 'PPV Stream is running.';

interface Start {
  kind: 'first' | 'second';
  /** spawn → first 200 from /healthz. */
  healthyMs: number;
  /** spawn → the "PPV Stream is running." banner on stdout. */
  bannerMs: number | null;
  /** SIGINT → every process of the group has exited. */
  stopMs: number;
  /** How npm itself ended: on Ctrl-C npm re-raises the signal, so `SIGINT` is the normal answer. */
  npmExit: string;
  /** `ppv start` printed its SIGINT notice and no "error while stopping". */
  cleanStop: boolean;
  /** postgres/anvil processes naming the data folder, once the process group is gone. */
  leftovers: string[];
}

/** Live processes whose command line mentions `needle`: our postgres and anvil name the data folder. */
async function processesMentioning(needle: string): Promise<{ pid: number; cmdline: string }[]> {
  const found: { pid: number; cmdline: string }[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(needle) && !/\) Z /.test(stat))
      found.push({ pid: Number(pid), cmdline: cmdline.replaceAll('\0', ' ').trim() });
  }
  return found;
}

/**
 * Reports processes `npm start` left behind, then stops them (they are ours: started by this bench)
 * so that the next start is measured as it would be after a clean stop.
 */
async function reportAndStop(leftovers: { pid: number; cmdline: string }[], dataDir: string): Promise<void> {
  const pgLog = await readFile(join(dataDir, 'postgres', 'postgres.log'), 'utf8').catch(() => '');
  console.error(
    `left running:\n${leftovers.map((l) => `  ${l.pid}: ${l.cmdline}`).join('\n')}\n` +
      `end of postgres.log:\n${pgLog.trim().split('\n').slice(-6).join('\n')}`,
  );
  for (const { pid } of leftovers) process.kill(pid, 'SIGINT');
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  while ((await processesMentioning(dataDir)).length > 0) {
    if (performance.now() > deadline) throw new Error(`could not stop ${leftovers.map((l) => l.pid)}`);
    await sleep(POLL_MS);
  }
}

/** Live processes of process group `pgid`. */
async function groupMembers(pgid: number): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // After the command name in parentheses: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state && state !== 'Z' && Number(pgrp) === pgid) found.push(Number(pid));
  }
  return found;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = performance.now() + HEALTHY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `npm start exited (${child.exitCode ?? child.signalCode}) before healthy:\n${output()}`,
      );
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res?.status === 200 && ((await res.json()) as { ok?: boolean }).ok === true) return;
    if (performance.now() > deadline)
      throw new Error(`not healthy after ${HEALTHY_TIMEOUT_MS} ms:\n${output()}`);
    await sleep(POLL_MS);
  }
}

async function startOnce(kind: Start['kind'], dataDir: string): Promise<Start> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const started = performance.now();
  // Its own process group, so SIGINT can reach npm and everything under it, like a terminal's Ctrl-C.
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let bannerMs: number | null = null;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
    if (bannerMs === null && output.includes(BANNER)) bannerMs = performance.now() - started;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = once(child, 'exit');
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, child, () => output);
  } catch (error) {
    process.kill(-child.pid!, 'SIGKILL');
    throw error;
  }
  const healthyMs = performance.now() - started;
  const stopping = performance.now();
  process.kill(-child.pid!, 'SIGINT');
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  while ((await groupMembers(child.pid!)).length > 0) {
    if (performance.now() > deadline) throw new Error(`still running ${STOP_TIMEOUT_MS} ms after SIGINT`);
    await sleep(POLL_MS);
  }
  const stopMs = performance.now() - stopping;
  // What `ppv start` printed from Ctrl-C on; node prints "Node.js v…" after an uncaught error.
  const shutdown = output.slice(Math.max(0, output.indexOf('SIGINT: stopping')));
  const cleanStop =
    shutdown.startsWith('SIGINT: stopping') &&
    !shutdown.includes('error while stopping') &&
    !/^Node\.js v\d/m.test(shutdown);
  const found = await processesMentioning(dataDir);
  if (!cleanStop || found.length > 0) {
    console.error(
      `${kind} start did not stop cleanly; its output from Ctrl-C on:\n` +
        shutdown.trim().split('\n').slice(0, 40).join('\n'),
    );
  }
  if (found.length > 0) await reportAndStop(found, dataDir);
  const leftovers = found.map((l) => `${l.pid}: ${l.cmdline}`);
  return { kind, healthyMs, bannerMs, stopMs, npmExit: signal ?? `code ${code}`, cleanStop, leftovers };
}

async function main(): Promise<void> {
  const starts: Start[] = [];
  for (let run = 1; run <= RUNS; run++) {
    // realpath: postgres and anvil see the resolved path; 0755 so the postgres user can enter it.
    const dataDir = await realpath(await mkdtemp(join(tmpdir(), 'ppv-bench-')));
    await chmod(dataDir, 0o755);
    try {
      for (const kind of ['first', 'second'] as const) {
        process.stdout.write(`run ${run}/${RUNS}, ${kind} start (DATA_DIR ${dataDir})…\n`);
        const start = await startOnce(kind, dataDir);
        process.stdout.write(
          `  healthy after ${round(start.healthyMs, 0)} ms, stopped in ${round(start.stopMs, 0)} ms, ` +
            `npm ended by ${start.npmExit}, ${start.leftovers.length} processes left\n`,
        );
        starts.push(start);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  const summary = (['first', 'second'] as const).map((kind) => {
    const of = starts.filter((s) => s.kind === kind);
    const ms = (pick: (s: Start) => number | null) => of.map(pick).filter((v): v is number => v !== null);
    return {
      kind,
      runs: of.length,
      healthyMs: ms((s) => s.healthyMs).map((v) => round(v, 0)),
      medianHealthyMs: round(median(ms((s) => s.healthyMs)), 0),
      medianBannerMs: round(median(ms((s) => s.bannerMs)), 0),
      medianStopMs: round(median(ms((s) => s.stopMs)), 0),
      npmExits: [...new Set(of.map((s) => s.npmExit))],
      cleanStops: of.filter((s) => s.cleanStop).length,
      leftovers: of.flatMap((s) => s.leftovers),
    };
  });
  printTable(
    `npm start cold start: spawn → first 200 on /healthz, ${RUNS} runs each (median; all runs in brackets)`,
    ['DATA_DIR', 'healthy ms', 'runs', 'banner ms', 'stop ms', 'npm ended by', 'clean stops', 'left running'],
    summary.map((s) => [
      s.kind === 'first' ? 'empty (first run)' : 'reused (second run)',
      s.medianHealthyMs,
      `[${s.healthyMs.join(', ')}]`,
      s.medianBannerMs,
      s.medianStopMs,
      s.npmExits.join(', '),
      `${s.cleanStops}/${s.runs}`,
      s.leftovers.length,
    ]),
  );
  await writeResult('cold-start', {
    config: {
      runs: RUNS,
      command: 'npm start',
      env: 'DATA_DIR=<temp> PORT=<free> LOG_LEVEL=warn',
      pollMs: POLL_MS,
    },
    summary,
    starts: starts.map((s) => ({ ...s, healthyMs: round(s.healthyMs, 0), stopMs: round(s.stopMs, 0) })),
  });
  if (starts.some((s) => s.leftovers.length > 0 || !s.cleanStop)) {
    throw new Error('npm start did not stop cleanly (see above)');
  }
}

await main();
