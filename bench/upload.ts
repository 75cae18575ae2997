/**
 * A 2 GiB upload over loopback through the hub's tus endpoint (`/uploads`, API token): throughput,
 * and the growth of the hub process's resident memory (target < 100 MiB). The hub runs in a child
 * process (lib/upload-hub.ts) whose VmRSS this process samples every 50 ms from /proc; its VmHWM
 * (peak RSS) is reset before each upload. The body is a real 4 s MP4 (faststart: ftyp, moov, mdat)
 * followed by one ISO BMFF `free` box with a 64-bit size padding it to 2 GiB, streamed from a
 * reused zero buffer, so the client holds none of it and the hub's sniffing and ffprobe accept it.
 * The baseline writes the same bytes to a local file (the disk's ceiling on this machine). A 256 MiB
 * upload first warms the hub up (JIT, heap, first ffprobe); its growth is reported too.
 */
import { execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Cell, mib, printTable, round, writeResult } from './lib/report';
import type { HubReady, HubRequest, VideoReply } from './lib/upload-hub';

const run = promisify(execFile);

const TOTAL = 2 * 2 ** 30;
const CHUNK = 64 * 2 ** 20;
const WARMUP = 256 * 2 ** 20;
const SAMPLE_MS = 50;
const TARGET_GROWTH_MIB = 100;
const ZEROS = Buffer.alloc(2 ** 20);

/** A small real MP4, faststart (moov before mdat). */
async function makeClip(work: string): Promise<Buffer> {
  const clip = join(work, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4'],
    ...[
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      '-movflags',
      '+faststart',
      clip,
    ],
  ]);
  return readFile(clip);
}

/** The MP4 followed by the header of a `free` box (size 1: a 64-bit size follows) up to `total`. */
function headOf(mp4: Buffer, total: number): Buffer {
  const free = Buffer.alloc(16);
  free.writeUInt32BE(1, 0);
  free.write('free', 4, 'latin1');
  free.writeBigUInt64BE(BigInt(total - mp4.length), 8);
  return Buffer.concat([mp4, free]);
}

/** Bytes [start, end) of the body: the head, then zeros. */
function* body(head: Buffer, start: number, end: number): Generator<Buffer> {
  let at = start;
  if (at < head.length) {
    const upTo = Math.min(end, head.length);
    yield head.subarray(at, upTo);
    at = upTo;
  }
  while (at < end) {
    const n = Math.min(end - at, ZEROS.length);
    yield ZEROS.subarray(0, n);
    at += n;
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** ms from the request's start to the last body byte handed to the socket, and to the response. */
  sentMs: number;
  doneMs: number;
}

/** node:http rather than fetch (which replaces the Host header the tenant is resolved from). */
function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  chunks: Iterable<Buffer> = [],
): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let sentMs = Number.NaN;
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(parts).toString('utf8'),
          sentMs,
          doneMs: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('finish', () => {
      sentMs = performance.now() - started;
    });
    (async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await once(req, 'drain');
      }
      req.end();
    })().catch(reject);
  });
}

interface Status {
  rssKiB: number;
  hwmKiB: number;
}

async function procStatus(pid: number): Promise<Status> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** Samples a process's VmRSS every SAMPLE_MS, and this process's own RSS (the client's). */
function sampler(pid: number) {
  let maxRssKiB = 0;
  let clientMaxRss = 0;
  let samples = 0;
  const tick = () =>
    procStatus(pid).then((s) => {
      maxRssKiB = Math.max(maxRssKiB, s.rssKiB);
      clientMaxRss = Math.max(clientMaxRss, process.memoryUsage.rss());
      samples++;
    });
  const timer = setInterval(() => void tick(), SAMPLE_MS);
  return {
    async stop() {
      clearInterval(timer);
      await tick();
      return { maxRssKiB, clientMaxRss, samples };
    },
  };
}

interface Outcome {
  scenario: string;
  bytes: number;
  requests: number;
  seconds: number;
  mibPerSecond: number;
  /** The last request: from its last body byte sent to its response (flush, sniff, ffprobe, commit). */
  finishMs: number | null;
  hub: {
    baselineMiB: number;
    sampledPeakMiB: number;
    hwmMiB: number;
    /** Peak during this upload − RSS just before it. */
    growthMiB: number;
    /** Peak during this upload − RSS of the hub when it was ready, before any upload. */
    growthSinceReadyMiB: number;
    afterMiB: number;
    samples: number;
  } | null;
  clientPeakRssMiB: number;
  response: string;
  video: VideoReply['row'];
  accepted: boolean;
}

const KiB = (k: number) => round(k / 1024, 1);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ppv-bench-upload-'));
  const hubProc = fork(fileURLToPath(new URL('./lib/upload-hub.ts', import.meta.url)), {
    // The V8 flag `npm start` and the Docker image run the hub with (see the bench's README).
    execArgv: [...process.execArgv, '--max-semi-space-size=2'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = hubProc.pid!;
  const exited = once(hubProc, 'exit');
  const outcomes: Outcome[] = [];
  try {
    const mp4 = await makeClip(work);
    const ready = await new Promise<HubReady>((resolve, reject) => {
      hubProc.once('message', resolve);
      hubProc.once('exit', (code) =>
        reject(new Error(`the hub process exited (${code}) before it was ready`)),
      );
    });
    const auth = { host: ready.host, authorization: `Bearer ${ready.token}`, 'tus-resumable': '1.0.0' };
    const ask = async (message: HubRequest): Promise<VideoReply> => {
      hubProc.send(message);
      const [reply] = (await once(hubProc, 'message')) as [VideoReply];
      return reply;
    };
    // The hub's own peak since it started is not the upload's: clear it (echo 5 > clear_refs).
    const resetPeak = () =>
      writeFile(`/proc/${pid}/clear_refs`, '5').then(
        () => true,
        () => false,
      );
    // Dirty pages of the previous scenario are written back before the next one starts.
    const settle = async () => {
      await run('sync');
      await new Promise((r) => setTimeout(r, 1000));
    };

    // Baseline: the same bytes to a local file, as fast as the disk (page cache) takes them; no fsync,
    // as the hub's file store does none either.
    await settle();
    {
      const file = join(work, 'disk.mp4');
      const sample = sampler(process.pid);
      const started = performance.now();
      const out = createWriteStream(file);
      for (const chunk of body(headOf(mp4, TOTAL), 0, TOTAL)) if (!out.write(chunk)) await once(out, 'drain');
      out.end();
      await once(out, 'close');
      const seconds = (performance.now() - started) / 1000;
      const s = await sample.stop();
      await rm(file);
      outcomes.push({
        scenario: 'local file write (baseline)',
        bytes: TOTAL,
        requests: 0,
        seconds: round(seconds),
        mibPerSecond: round(TOTAL / 2 ** 20 / seconds, 0),
        finishMs: null,
        hub: null,
        clientPeakRssMiB: mib(s.clientMaxRss),
        response: '-',
        video: null,
        accepted: true,
      });
    }

    const peakResettable = await resetPeak();
    const readyRss = await procStatus(pid);
    for (const { scenario, total, chunk } of [
      { scenario: `warm-up: 256 MiB, ${CHUNK / 2 ** 20} MiB PATCHes`, total: WARMUP, chunk: CHUNK },
      { scenario: `tus, ${CHUNK / 2 ** 20} MiB PATCHes`, total: TOTAL, chunk: CHUNK },
      { scenario: 'tus, one PATCH', total: TOTAL, chunk: TOTAL },
    ]) {
      const head = headOf(mp4, total);
      await settle();
      const baseline = await procStatus(pid);
      await resetPeak();
      const sample = sampler(pid);
      const started = performance.now();
      const created = await call(`${ready.url}/uploads`, 'POST', {
        ...auth,
        'upload-length': String(total),
        'upload-metadata': [
          `filename ${Buffer.from('bench-2gib.mp4').toString('base64')}`,
          `title ${Buffer.from(`Bench upload (${scenario})`).toString('base64')}`,
          `priceCents ${Buffer.from('0').toString('base64')}`,
        ].join(','),
      });
      if (created.status !== 201) throw new Error(`POST /uploads: ${created.status} ${created.text}`);
      const location = new URL(String(created.headers.location), `${ready.url}/uploads/`).href;
      let last = created;
      let requests = 1;
      for (let offset = 0; offset < total; offset += chunk) {
        last = await call(
          location,
          'PATCH',
          {
            ...auth,
            'upload-offset': String(offset),
            'content-type': 'application/offset+octet-stream',
            'content-length': String(Math.min(chunk, total - offset)),
          },
          body(head, offset, Math.min(offset + chunk, total)),
        );
        requests++;
        if (last.status !== 204) break;
      }
      const seconds = (performance.now() - started) / 1000;
      const s = await sample.stop();
      const after = await procStatus(pid);
      const videoId = last.headers['ppv-video-id'];
      const video = typeof videoId === 'string' ? (await ask({ type: 'video', id: videoId })).row : null;
      const hwmKiB = peakResettable ? after.hwmKiB : s.maxRssKiB;
      const peakKiB = Math.max(hwmKiB, s.maxRssKiB);
      outcomes.push({
        scenario,
        bytes: total,
        requests,
        seconds: round(seconds),
        mibPerSecond: round(total / 2 ** 20 / seconds, 0),
        finishMs: round(last.doneMs - last.sentMs, 0),
        hub: {
          baselineMiB: KiB(baseline.rssKiB),
          sampledPeakMiB: KiB(s.maxRssKiB),
          hwmMiB: KiB(hwmKiB),
          growthMiB: KiB(peakKiB - baseline.rssKiB),
          growthSinceReadyMiB: KiB(peakKiB - readyRss.rssKiB),
          afterMiB: KiB(after.rssKiB),
          samples: s.samples,
        },
        clientPeakRssMiB: mib(s.clientMaxRss),
        response: `${last.status} ${last.text.trim()}`,
        video,
        accepted: last.status === 200 && video?.status === 'queued' && video.source_bytes === String(total),
      });
    }

    const disk = outcomes[0]!;
    const rows: Cell[][] = outcomes.map((o) => [
      o.scenario,
      o.requests,
      mib(o.bytes),
      o.seconds,
      o.mibPerSecond,
      o.hub ? round(o.mibPerSecond / disk.mibPerSecond) : '-',
      o.finishMs ?? '-',
      o.hub?.baselineMiB ?? '-',
      o.hub?.hwmMiB ?? '-',
      o.hub?.growthMiB ?? '-',
      o.hub?.growthSinceReadyMiB ?? '-',
      o.hub?.afterMiB ?? '-',
      o.clientPeakRssMiB,
      o.hub ? (o.video ? `video ${o.video.status}` : o.response) : '-',
    ]);
    printTable(
      `2 GiB over loopback into the hub's tus endpoint (hub RSS sampled every ${SAMPLE_MS} ms; peak = VmHWM${peakResettable ? ', reset before each upload' : ' unavailable: sampled VmRSS max'})`,
      [
        'scenario',
        'requests',
        'MiB',
        's',
        'MiB/s',
        '÷ disk',
        'finish ms',
        'hub RSS before MiB',
        'hub peak MiB',
        'growth MiB',
        'since ready MiB',
        'hub RSS after MiB',
        'client peak MiB',
        'outcome',
      ],
      rows,
    );
    const uploads = outcomes.filter((o) => o.hub);
    const measured = uploads.filter((o) => o.bytes === TOTAL);
    const worst = Math.max(...measured.map((o) => o.hub!.growthMiB));
    const worstSinceReady = Math.max(...uploads.map((o) => o.hub!.growthSinceReadyMiB));
    const verdict = (v: number) => (v < TARGET_GROWTH_MIB ? 'met' : 'MISSED');
    process.stdout.write(
      `hub RSS growth target < ${TARGET_GROWTH_MIB} MiB: ${verdict(worst)} per 2 GiB upload after the warm-up (worst ${worst} MiB); ` +
        `${verdict(worstSinceReady)} counting from the hub ready before any upload (${worstSinceReady} MiB)\n`,
    );
    for (const o of uploads) process.stdout.write(`${o.scenario}: ${o.response}\n`);
    await writeResult('upload', {
      totalBytes: TOTAL,
      warmupBytes: WARMUP,
      clipBytes: mp4.length,
      chunkBytes: CHUNK,
      sampleMs: SAMPLE_MS,
      peakFromVmHwm: peakResettable,
      targetGrowthMiB: TARGET_GROWTH_MIB,
      outcomes,
    });
    const refused = uploads.filter((o) => !o.accepted);
    if (refused.length > 0) {
      console.error(`not accepted as a queued video: ${refused.map((o) => o.scenario).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    if (hubProc.exitCode === null && hubProc.connected) {
      hubProc.send({ type: 'close' } satisfies HubRequest);
      const timeout = setTimeout(() => hubProc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timeout);
    }
    await rm(work, { recursive: true, force: true });
  }
}

await main();
