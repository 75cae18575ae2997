/**
 * The simulated viewers of bench/viewers.ts, run in a forked child process (so they never share an
 * event loop with the hub). Each viewer has its own keep-alive connection (an agent with one
 * socket), as each real player has, and plays at real-time pace:
 *
 * - `hub`: `master.m3u8` → its first rendition's playlist → `key` (token in `Authorization: Bearer`),
 *   then the playlist's segments, segment k requested k segment lengths after the first (or at
 *   once when the previous one came late); at the end of the video it starts again from the master
 *   playlist, as a replay.
 * - `static`: the same segment pattern over a fixed list of segment URLs (nginx has no playlists
 *   or keys).
 *
 * Every request's latency is measured to the last byte of the body.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export type Viewer =
  | { mode: 'hub'; sessionId: string; token: string }
  | { mode: 'static'; segments: string[] };

export interface LoadSpec {
  origin: string;
  viewers: Viewer[];
  segmentSeconds: number;
  /** Viewers start spread evenly over these first seconds. */
  staggerSeconds: number;
  /** No viewer starts a request after this; requests in flight are awaited. */
  durationSeconds: number;
}

export type Kind = 'master' | 'playlist' | 'key' | 'segment';

export interface LoadResult {
  /** Latencies in ms of the successful requests, by kind. */
  latencies: Record<Kind, number[]>;
  /** Non-2xx answers and network errors, by kind. */
  failures: Record<Kind, number>;
  firstFailure: string | null;
  segmentBytes: number;
  /** Seconds from the first request to the last response. */
  elapsedSeconds: number;
  /** This process's CPU (% of one core) over the run. */
  cpuPercent: number;
}

const kinds: Kind[] = ['master', 'playlist', 'key', 'segment'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function get(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  keepBody: boolean,
): Promise<{ status: number; body: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), bytes }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function child(spec: LoadSpec): Promise<LoadResult> {
  const latencies = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as LoadResult['latencies'];
  const failures = Object.fromEntries(kinds.map((k) => [k, 0])) as LoadResult['failures'];
  let firstFailure: string | null = null;
  let segmentBytes = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + spec.durationSeconds * 1000;

  const timed = async (
    agent: Agent,
    kind: Kind,
    url: string,
    headers: Record<string, string>,
  ): Promise<string | null> => {
    const t0 = performance.now();
    try {
      const res = await get(agent, url, headers, kind !== 'segment');
      const ms = performance.now() - t0;
      if (res.status >= 200 && res.status < 300) {
        latencies[kind].push(ms);
        if (kind === 'segment') segmentBytes += res.bytes;
        return res.body;
      }
      firstFailure ??= `${kind} ${url.replace(/token=[^&]+/, 'token=…')}: ${res.status} ${res.body.slice(0, 200)}`;
    } catch (error) {
      firstFailure ??= `${kind} ${url}: ${(error as Error).message}`;
    }
    failures[kind]++;
    return null;
  };

  /** Plays `segments` at real-time pace from now; false when the run's time is up. */
  const playSegments = async (agent: Agent, segments: string[]): Promise<boolean> => {
    const t0 = performance.now();
    for (const [k, uri] of segments.entries()) {
      const due = t0 + k * spec.segmentSeconds * 1000;
      if (due >= end) return false;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await timed(agent, 'segment', new URL(uri, spec.origin).href, {});
    }
    // The last segment plays for one segment length before the replay starts.
    const last = t0 + segments.length * spec.segmentSeconds * 1000;
    const wait = last - performance.now();
    if (wait > 0) await sleep(wait);
    return performance.now() < end;
  };

  const hubViewer = async (agent: Agent, viewer: Extract<Viewer, { mode: 'hub' }>) => {
    const auth = { authorization: `Bearer ${viewer.token}` };
    const masterUrl = `${spec.origin}/play/${viewer.sessionId}/master.m3u8`;
    while (performance.now() < end) {
      const master = await timed(agent, 'master', masterUrl, auth);
      const rendition = master?.split('\n').find((line) => line.endsWith('.m3u8'));
      if (!rendition) return;
      const playlistUrl = new URL(rendition, masterUrl).href;
      const playlist = await timed(agent, 'playlist', playlistUrl, auth);
      const keyUri = playlist && /#EXT-X-KEY:[^\n]*URI="([^"]+)"/.exec(playlist)?.[1];
      if (!playlist || !keyUri) return;
      if ((await timed(agent, 'key', new URL(keyUri, playlistUrl).href, auth)) === null) return;
      const segments = playlist.split('\n').filter((line) => line && !line.startsWith('#'));
      if (!(await playSegments(agent, segments))) return;
    }
  };

  await Promise.all(
    spec.viewers.map(async (viewer, i) => {
      await sleep((i / spec.viewers.length) * spec.staggerSeconds * 1000);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        if (viewer.mode === 'hub') await hubViewer(agent, viewer);
        else while (await playSegments(agent, viewer.segments));
      } finally {
        agent.destroy();
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - start;
  return {
    latencies,
    failures,
    firstFailure,
    segmentBytes,
    elapsedSeconds: elapsed / 1000,
    cpuPercent: ((used.user + used.system) / 1000 / elapsed) * 100,
  };
}

type Message = { type: 'started' } | { type: 'result'; result: LoadResult };

/** Runs one step in a fresh child process; `onStarted` is called when its viewers start. */
export function runViewers(spec: LoadSpec, onStarted: () => void = () => {}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: 'inherit' });
    let result: LoadResult | undefined;
    proc.on('message', (message: Message) => {
      if (message.type === 'started') onStarted();
      else result = message.result;
    });
    proc.once('error', reject);
    proc.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`viewer load exited with code ${code}`)),
    );
    proc.send(spec);
  });
}

if (process.argv.includes('--child')) {
  process.once('message', async (spec: LoadSpec) => {
    process.send!({ type: 'started' } satisfies Message);
    const result = await child(spec);
    process.send!({ type: 'result', result } satisfies Message, () => process.exit(0));
  });
}
