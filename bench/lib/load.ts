/**
 * The load generator, run in a child process (forked by runLoad) so that autocannon's client and
 * the server under test never share an event loop; on a 2-core machine each gets a core.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds of unmeasured load first (JIT, pools, caches). */
  warmupSeconds: number;
  durationSeconds: number;
  /** Every response must have exactly this body; others are counted as mismatches. */
  expectBody: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  totalRequests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  durationSeconds: number;
}

const run = (spec: LoadSpec, seconds: number) =>
  autocannon({
    url: spec.url,
    headers: spec.headers,
    connections: spec.connections,
    duration: seconds,
    expectBody: spec.expectBody,
  });

type Message = { type: 'measuring' } | { type: 'result'; result: LoadResult };

async function child(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds);
  process.send!({ type: 'measuring' } satisfies Message);
  const r = await run(spec, spec.durationSeconds);
  return {
    requestsPerSecond: r.requests.average,
    latencyMs: {
      mean: r.latency.average,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
    },
    totalRequests: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
    durationSeconds: r.duration,
  };
}

/**
 * Runs one load in a fresh child process (same Node flags, so tsx too) and resolves its figures.
 * `onMeasuring` is called when the warm-up is over and the measured run starts.
 */
export function runLoad(spec: LoadSpec, onMeasuring: () => void = () => {}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: 'inherit' });
    let result: LoadResult | undefined;
    proc.on('message', (message: Message) => {
      if (message.type === 'measuring') onMeasuring();
      else result = message.result;
    });
    proc.once('error', reject);
    proc.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`load generator exited with code ${code}`)),
    );
    proc.send(spec);
  });
}

if (process.argv.includes('--child') && process.send) {
  process.once('message', (spec) => {
    child(spec as LoadSpec).then(
      (result) => process.send!({ type: 'result', result } satisfies Message, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
