/**
 * argon2id with the hub's parameters (argon2Params): time to hash and verify, and the memory a
 * hash takes, measured in fresh child processes hashing one at a time and four at a time.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { argon2Params, hashPassword, verifyPassword } from '@ppv/core';
import { mean, mib, percentile, printTable, round, writeResult } from './lib/report';

const TIMED = 40;
const WARMUP = 3;
const MEMORY_HASHES = 20;
const CONCURRENCY = 4;
const SAMPLE_EVERY_MS = 1;
const PASSWORD = 'Correct-Horse-42';

interface MemoryResult {
  mode: 'sequential' | 'concurrent';
  concurrency: number;
  hashes: number;
  baselineRss: number;
  peakRss: number;
  afterRss: number;
  /** ru_maxrss growth over the run (from the child's own start, so it includes the baseline). */
  maxRssGrowth: number;
  wallMs: number;
}

function stats(values: number[]) {
  return {
    mean: round(mean(values)),
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Child: hashes `MEMORY_HASHES` passwords `concurrency` at a time while sampling RSS. */
async function memoryChild(concurrency: number): Promise<MemoryResult> {
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, SAMPLE_EVERY_MS);
  const start = performance.now();
  for (let done = 0; done < MEMORY_HASHES; done += concurrency) {
    await Promise.all(Array.from({ length: concurrency }, () => hashPassword(PASSWORD)));
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const wallMs = performance.now() - start;
  clearInterval(sampler);
  return {
    mode: concurrency === 1 ? 'sequential' : 'concurrent',
    concurrency,
    hashes: MEMORY_HASHES,
    baselineRss,
    peakRss,
    afterRss: process.memoryUsage.rss(),
    maxRssGrowth: process.resourceUsage().maxRSS * 1024 - maxRssBefore,
    wallMs,
  };
}

function inChild(concurrency: number): Promise<MemoryResult> {
  return new Promise((resolve, reject) => {
    // libuv runs these hashes on its thread pool: give it one thread per concurrent hash.
    const proc = fork(fileURLToPath(import.meta.url), ['--memory-child', String(concurrency)], {
      stdio: 'inherit',
      env: { ...process.env, UV_THREADPOOL_SIZE: String(CONCURRENCY) },
    });
    let result: MemoryResult | undefined;
    proc.on('message', (message: MemoryResult) => {
      result = message;
    });
    proc.once('error', reject);
    proc.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`memory child exited with code ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  printTable(
    'argon2 parameters (argon2Params from @ppv/core, @node-rs/argon2)',
    ['parameter', 'value'],
    [
      ['algorithm', 'argon2id'],
      ['memoryCost', `${argon2Params.memoryCost} KiB (${round(argon2Params.memoryCost / 1024, 1)} MiB)`],
      ['timeCost', String(argon2Params.timeCost)],
      ['parallelism', String(argon2Params.parallelism)],
      ['UV_THREADPOOL_SIZE (memory runs)', String(CONCURRENCY)],
    ],
  );

  await timeEach(WARMUP, () => hashPassword(PASSWORD));
  const stored = await hashPassword(PASSWORD);
  const hashMs = await timeEach(TIMED, () => hashPassword(PASSWORD));
  const verifyMs = await timeEach(TIMED, async () => {
    if (!(await verifyPassword(stored, PASSWORD))) throw new Error('verify rejected the right password');
  });
  const timing = { hash: stats(hashMs), verify: stats(verifyMs) };
  printTable(
    `argon2id time, ${TIMED} sequential operations each after ${WARMUP} warm-up hashes (ms)`,
    ['operation', 'mean', 'p50', 'p95', 'min', 'max'],
    Object.entries(timing).map(([op, s]) => [op, s.mean, s.p50, s.p95, s.min, s.max]),
  );

  const memory = [await inChild(1), await inChild(CONCURRENCY)];
  printTable(
    `argon2id memory: ${MEMORY_HASHES} hashes in a fresh process, RSS sampled every ${SAMPLE_EVERY_MS} ms (MiB)`,
    ['mode', 'baseline', 'peak', 'peak growth', 'maxRSS growth', 'after', 'hashes/s'],
    memory.map((m) => [
      m.concurrency === 1 ? 'sequential' : `${m.concurrency} concurrent`,
      mib(m.baselineRss),
      mib(m.peakRss),
      mib(m.peakRss - m.baselineRss),
      mib(m.maxRssGrowth),
      mib(m.afterRss),
      round((m.hashes / m.wallMs) * 1000, 1),
    ]),
  );

  await writeResult('argon2', {
    params: { ...argon2Params, algorithm: 'argon2id', uvThreadpoolSize: CONCURRENCY },
    timingMs: { operations: TIMED, warmup: WARMUP, ...timing },
    memory: memory.map((m) => ({
      ...m,
      baselineRssMiB: mib(m.baselineRss),
      peakRssMiB: mib(m.peakRss),
      peakGrowthMiB: mib(m.peakRss - m.baselineRss),
      maxRssGrowthMiB: mib(m.maxRssGrowth),
      afterRssMiB: mib(m.afterRss),
      hashesPerSecond: round((m.hashes / m.wallMs) * 1000, 2),
    })),
  });
}

const childAt = process.argv.indexOf('--memory-child');
if (childAt >= 0) {
  const result = await memoryChild(Number(process.argv[childAt + 1]));
  process.send!(result, () => process.exit(0));
} else {
  await main();
}
