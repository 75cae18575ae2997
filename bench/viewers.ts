/**
 * Concurrent viewers: N playback sessions of one really transcoded video, each playing at real-time
 * pace through the hub (master playlist → media playlist → key → one segment per segment length),
 * with N raised step by step until a segment takes longer than a segment length (a stall) or the
 * p99 segment latency exceeds it. Then the same segment pattern against the same files served by
 * nginx (Debian package `nginx`), the ceiling; without nginx that part is skipped with a message.
 * The viewers run in a forked child process (lib/viewers-load.ts).
 *
 * `--playlist-auth 0,5` runs the hub's steps once per PLAYLIST_AUTH_CACHE_SECONDS value (default:
 * the configured 5 only), to compare playlist authorizations read every time with reused ones.
 *
 *   npx tsx bench/viewers.ts [--steps 100,250,500] [--seconds 30] [--playlist-auth 0,5]
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createVideo } from '@ppv/core';
import { createHarness, type Harness } from '@ppv/core/testing';
import { createOrm, VideoEntity, withTenant } from '@ppv/db';
import { startHub } from '@ppv/hub';
import { videoPrefix } from '@ppv/media';
import { startWorker } from '@ppv/worker';
import { freePort } from './lib/net';
import { type Cell, percentile, printTable, round, writeResult } from './lib/report';
import { type Kind, type LoadResult, runViewers, type Viewer } from './lib/viewers-load';

const run = promisify(execFile);
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const STEPS = (arg('steps') ?? '100,250,500,1000,1500,2000,3000,4000').split(',').map(Number);
const STEP_SECONDS = Number(arg('seconds') ?? 25);
const STAGGER_SECONDS = 5;
const CLIP_SECONDS = 20;
const SEGMENT_SECONDS = 2;
const POOL_MAX = 20;
/** Sessions per viewer account (the per-viewer cap is raised to this). */
const SESSIONS_PER_VIEWER = 50;
/** PLAYLIST_AUTH_CACHE_SECONDS values the hub's steps run with (null: the harness's own). */
const PLAYLIST_AUTH = arg('playlist-auth')?.split(',').map(Number) ?? [null];

interface Step {
  server: 'hub' | 'nginx';
  /** The hub's PLAYLIST_AUTH_CACHE_SECONDS, when the run compares values. */
  playlistAuthSeconds: number | null;
  sessions: number;
  load: LoadResult;
  /** The server's CPU (% of one core) while the viewers ran: the hub's node process, or nginx's master and workers. */
  serverCpuPercent: number;
}

const stalls = (load: LoadResult) =>
  load.latencies.segment.filter((ms) => ms > SEGMENT_SECONDS * 1000).length + load.failures.segment;

const overLimit = (load: LoadResult) =>
  stalls(load) > 0 ||
  percentile(load.latencies.segment, 99) > SEGMENT_SECONDS * 1000 ||
  Object.values(load.failures).some((n) => n > 0);

/** user + system ticks of these processes (Linux /proc), in ms. */
async function cpuMs(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks * 10; // USER_HZ = 100
}

async function nginxBinary(): Promise<string | null> {
  for (const path of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return null;
}

async function startNginx(binary: string, mediaDir: string, dir: string) {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 2;
${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 75s;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { video/mp2t ts; }
  server {
    listen 127.0.0.1:${port};
    location /media/ { alias ${mediaDir}/; }
  }
}
`,
  );
  const proc = spawn(binary, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      request(`http://127.0.0.1:${port}/`, (res) => {
        res.resume();
        resolve(true);
      })
        .on('error', () => resolve(false))
        .end();
    });
    if (up) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('nginx did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const workers = async () => {
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(proc.pid)]);
    return [proc.pid!, ...stdout.split('\n').filter(Boolean).map(Number)];
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    workers,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGQUIT');
      await once(proc, 'exit');
    },
  };
}

/** A 20 s 640x360 clip, made with ffmpeg and transcoded by the real transcode_video task. */
async function readyVideo(h: Harness, work: string) {
  const clip = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${CLIP_SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${CLIP_SECONDS}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
  ]);
  const tenant = await h.tenant(h.deps.config.defaultTenant);
  const creator = await h.signedIn(tenant, { role: 'creator' });
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    const { videoId } = await createVideo(
      { ...h.deps, em, tenantId: tenant.id },
      {
        creatorId: creator.userId,
        metadata: { title: 'Bench clip', description: '', priceCents: 100, previewSeconds: 0 },
        source: { sourceKey: 'pending', sourceBytes: 1, filename: 'clip.mp4' },
      },
    );
    const sourceKey = `${videoPrefix(tenant.id, videoId)}/source.mp4`;
    await em.nativeUpdate(VideoEntity, { id: videoId }, { sourceKey });
    const copy = join(work, 'upload.mp4');
    await copyFile(clip, copy);
    await h.deps.storage.putFile(sourceKey, copy);
    return videoId;
  });
  const worker = await startWorker({
    deps: h.deps,
    connectionString: h.db.url,
    concurrency: 1,
    mailer: null,
    mailFrom: 'PPV <no-reply@hub.test>',
    pollIntervalMs: 200,
    transcodeWatchIntervalMs: 250,
  });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const video = await withTenant(h.db.orm, tenant.id, (em) =>
        em.findOneOrFail(VideoEntity, { id: videoId }),
      );
      if (video.status === 'ready') break;
      if (video.status === 'error' || Date.now() > deadline) {
        throw new Error(`transcode ended ${video.status}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await worker.stop();
    // graphile-worker's stop() does not wait for its pool to end.
    await new Promise((r) => setTimeout(r, 500));
  }
  return { tenant, creator, videoId };
}

function get(url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`${url}: ${res.statusCode} ${body}`));
      });
    })
      .on('error', reject)
      .end();
  });
}

const stat = (values: number[], p: number) => (values.length ? round(percentile(values, p), 1) : '-');

function row(step: Step): Cell[] {
  const { load } = step;
  const seconds = load.elapsedSeconds;
  const rate = (kinds: Kind[]) => round(kinds.reduce((n, k) => n + load.latencies[k].length, 0) / seconds, 0);
  const playlists = [...load.latencies.master, ...load.latencies.playlist];
  const hub = step.server === 'hub';
  return [
    step.playlistAuthSeconds === null
      ? step.server
      : `${step.server}, playlist auth ${step.playlistAuthSeconds} s`,
    step.sessions,
    rate(['segment']),
    round((load.segmentBytes * 8) / seconds / 1e6, 0),
    stat(load.latencies.segment, 50),
    stat(load.latencies.segment, 99),
    round(Math.max(0, ...load.latencies.segment), 0),
    stalls(load),
    hub ? rate(['key']) : '-',
    hub ? stat(load.latencies.key, 50) : '-',
    hub ? stat(load.latencies.key, 99) : '-',
    hub ? rate(['master', 'playlist']) : '-',
    hub ? stat(playlists, 50) : '-',
    hub ? stat(playlists, 99) : '-',
    Object.values(load.failures).reduce((a, b) => a + b, 0),
    round(step.serverCpuPercent, 0),
    round(load.cpuPercent, 0),
  ];
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ppv-bench-viewers-'));
  const h = await createHarness();
  const maxSessions = Math.max(...STEPS);
  // Sessions are spread over viewer accounts, each allowed SESSIONS_PER_VIEWER at once; tokens
  // live an hour so that none expires during the run.
  h.deps.config.media.maxPlaybackSessions = SESSIONS_PER_VIEWER;
  h.deps.config.media.playbackTokenTtlSeconds = 3600;
  const orm = await createOrm({ url: h.db.url, poolMax: POOL_MAX });
  let hub: Awaited<ReturnType<typeof startHub>> | undefined;
  let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
  const steps: Step[] = [];
  try {
    let t0 = performance.now();
    const { tenant, creator, videoId } = await readyVideo(h, work);
    process.stdout.write(
      `transcoded a ${CLIP_SECONDS}s 360p clip in ${round((performance.now() - t0) / 1000, 1)}s\n`,
    );

    t0 = performance.now();
    // Accounts in parallel, four at a time (the harness pool has five connections); each
    // account's sessions one after another.
    const accounts = Math.ceil(maxSessions / SESSIONS_PER_VIEWER);
    const perAccount: { sessionId: string; token: string }[][] = [];
    for (let a = 0; a < accounts; a += 4) {
      const batch = Array.from({ length: Math.min(4, accounts - a) }, async (_, j) => {
        const viewer = await h.signedIn(tenant);
        await creator.api.videos.access.grant({ videoId, who: viewer.username });
        const count = Math.min(SESSIONS_PER_VIEWER, maxSessions - (a + j) * SESSIONS_PER_VIEWER);
        const mine: { sessionId: string; token: string }[] = [];
        for (let i = 0; i < count; i++) {
          const started = await viewer.api.playback.start({ videoId });
          mine.push({ sessionId: started.sessionId, token: started.token });
        }
        return mine;
      });
      perAccount.push(...(await Promise.all(batch)));
    }
    // Interleaved, so that a step's sessions belong to many accounts.
    const sessions = Array.from({ length: SESSIONS_PER_VIEWER }, (_, i) =>
      perAccount.flatMap((mine) => (mine[i] ? [mine[i]] : [])),
    ).flat();
    process.stdout.write(
      `created ${sessions.length} playback sessions in ${round((performance.now() - t0) / 1000, 1)}s\n`,
    );

    // The hub answers the default tenant on 127.0.0.1, so the viewers need no Host header.
    hub = await startHub({ deps: { ...h.deps, orm }, host: '127.0.0.1', port: 0, trustProxy: false });
    const origin = `http://127.0.0.1:${hub.port}`;

    const measure = async (
      server: Step['server'],
      base: string,
      viewers: Viewer[],
      pids?: () => Promise<number[]>,
    ) => {
      let cpu = process.cpuUsage();
      let nginxCpu = 0;
      let started = performance.now();
      const load = await runViewers(
        {
          origin: base,
          viewers,
          segmentSeconds: SEGMENT_SECONDS,
          staggerSeconds: STAGGER_SECONDS,
          durationSeconds: STEP_SECONDS,
        },
        () => {
          cpu = process.cpuUsage();
          started = performance.now();
          if (pids)
            void pids()
              .then(cpuMs)
              .then((ms) => (nginxCpu = ms));
        },
      );
      const elapsed = performance.now() - started;
      const used = pids
        ? (await cpuMs(await pids())) - nginxCpu
        : (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
      const playlistAuthSeconds =
        server === 'hub' && PLAYLIST_AUTH[0] !== null
          ? h.deps.config.media.playlistAuthorizationSeconds
          : null;
      const step: Step = {
        server,
        playlistAuthSeconds,
        sessions: viewers.length,
        load,
        serverCpuPercent: (used / elapsed) * 100,
      };
      steps.push(step);
      const [, , segRate, , p50, p99, , stalled] = row(step);
      process.stdout.write(
        `  ${server} ${viewers.length} sessions: ${segRate} segments/s, p50 ${p50} ms, p99 ${p99} ms, ${stalled} stalls` +
          `${load.firstFailure ? `; first failure: ${load.firstFailure}` : ''}\n`,
      );
      return step;
    };

    for (const seconds of PLAYLIST_AUTH) {
      if (seconds !== null) h.deps.config.media.playlistAuthorizationSeconds = seconds;
      const given = seconds === null ? '' : `, PLAYLIST_AUTH_CACHE_SECONDS=${seconds}`;
      process.stdout.write(`hub: steps ${STEPS.join(', ')}, ${STEP_SECONDS}s each${given}…\n`);
      for (const n of STEPS) {
        const step = await measure(
          'hub',
          origin,
          sessions.slice(0, n).map((s) => ({ mode: 'hub', ...s })),
        );
        if (overLimit(step.load)) break;
      }
    }
    await hub.close();
    hub = undefined;

    const binary = await nginxBinary();
    if (!binary) {
      process.stdout.write(
        '\nnginx is required for the ceiling column (Debian: apt-get install nginx); not found, skipped.\n',
      );
    } else {
      // Each session's segment URLs, as its media playlist lists them (the A/B codeword differs).
      hub = await startHub({ deps: { ...h.deps, orm }, host: '127.0.0.1', port: 0, trustProxy: false });
      const playlistOf = async (s: { sessionId: string; token: string }) => {
        const base = `http://127.0.0.1:${hub!.port}/play/${s.sessionId}`;
        const master = await get(`${base}/master.m3u8`, s.token);
        const rendition = master.split('\n').find((l) => l.endsWith('.m3u8'))!;
        const playlist = await get(`${base}/${rendition}`, s.token);
        return playlist.split('\n').filter((l) => l && !l.startsWith('#'));
      };
      const segmentLists: string[][] = [];
      for (let i = 0; i < sessions.length; i += 20) {
        segmentLists.push(...(await Promise.all(sessions.slice(i, i + 20).map(playlistOf))));
      }
      await hub.close();
      hub = undefined;
      nginx = await startNginx(binary, h.mediaDir, work);
      process.stdout.write(`nginx ${binary} on ${nginx.origin}, root ${h.mediaDir}\n`);
      for (const n of STEPS) {
        const viewers: Viewer[] = segmentLists.slice(0, n).map((segments) => ({ mode: 'static', segments }));
        const step = await measure('nginx', nginx.origin, viewers, nginx.workers);
        if (overLimit(step.load)) break;
      }
    }

    const header = [
      'server',
      'sessions',
      'seg/s',
      'Mbit/s',
      'seg p50',
      'seg p99',
      'seg max',
      'stalls',
      'key/s',
      'key p50',
      'key p99',
      'pl/s',
      'pl p50',
      'pl p99',
      'errors',
      'srv CPU%',
      'load CPU%',
    ];
    printTable(
      `Concurrent viewers: ${CLIP_SECONDS}s 360p video, ${SEGMENT_SECONDS}s segments, ${STEP_SECONDS}s per step ` +
        `(starts spread over ${STAGGER_SECONDS}s); latencies in ms to the last byte; stall = segment > ${SEGMENT_SECONDS * 1000} ms; ` +
        'pl = master + media playlists',
      header,
      steps.map(row),
    );
    const best = (server: Step['server']) =>
      Math.max(0, ...steps.filter((s) => s.server === server && !overLimit(s.load)).map((s) => s.sessions));
    const tested = (server: Step['server']) => steps.filter((s) => s.server === server).length > 0;
    const hubMax = best('hub');
    const nginxMax = tested('nginx') ? best('nginx') : null;
    const capped = (server: Step['server']) =>
      steps.filter((s) => s.server === server).every((s) => !overLimit(s.load))
        ? ' (every step passed: the limit is higher)'
        : '';
    process.stdout.write(
      `max sessions with zero stalls, p99 segment ≤ ${SEGMENT_SECONDS}s and no errors: hub ${hubMax}${capped('hub')}` +
        `, nginx ${nginxMax ?? 'not run (nginx not installed)'}${nginxMax === null ? '' : capped('nginx')}\n`,
    );
    await writeResult('viewers', {
      config: {
        clipSeconds: CLIP_SECONDS,
        rendition: '360p (the top of the ladder the transcode task made)',
        segmentSeconds: SEGMENT_SECONDS,
        stepSeconds: STEP_SECONDS,
        staggerSeconds: STAGGER_SECONDS,
        steps: STEPS,
        databasePoolMax: POOL_MAX,
        sessionsPerViewerAccount: SESSIONS_PER_VIEWER,
        loadGenerator: 'node:http, one keep-alive connection per viewer, in a forked child process',
        nginx: binary ? { binary, workerProcesses: 2, sendfile: true } : null,
      },
      maxSessionsWithoutStalls: { hub: hubMax, nginx: nginxMax },
      steps: steps.map((s) => {
        const summary = (kind: Kind) => ({
          count: s.load.latencies[kind].length,
          perSecond: round(s.load.latencies[kind].length / s.load.elapsedSeconds, 1),
          p50: round(percentile(s.load.latencies[kind], 50), 2),
          p90: round(percentile(s.load.latencies[kind], 90), 2),
          p99: round(percentile(s.load.latencies[kind], 99), 2),
          max: round(Math.max(0, ...s.load.latencies[kind]), 2),
          failures: s.load.failures[kind],
        });
        return {
          server: s.server,
          playlistAuthSeconds: s.playlistAuthSeconds,
          sessions: s.sessions,
          stalls: stalls(s.load),
          elapsedSeconds: round(s.load.elapsedSeconds, 2),
          segmentMbitPerSecond: round((s.load.segmentBytes * 8) / s.load.elapsedSeconds / 1e6, 1),
          serverCpuPercent: round(s.serverCpuPercent, 1),
          loadGeneratorCpuPercent: round(s.load.cpuPercent, 1),
          firstFailure: s.load.firstFailure,
          segment: summary('segment'),
          key: summary('key'),
          master: summary('master'),
          playlist: summary('playlist'),
        };
      }),
    });
  } finally {
    await nginx?.stop();
    await hub?.close();
    await orm.close(true);
    await h.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
