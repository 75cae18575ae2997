/**
 * The forensic A/B watermark: what making the A and B variants of a rendition costs against the
 * plain encode of the same rendition (same source, filters, encoder flags, key frames and HLS
 * muxer), and how long tracing a leak against 1,000 and 10,000 candidate sessions takes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeLadder, encoderArgs, hlsOutputArgs, keyFrameExpr, locateFfmpeg, runFfmpeg } from '@ppv/media';
import {
  codewordFor,
  makeAbVariants,
  type TraceCandidate,
  traceLeak,
} from '../packages/media/src/watermark/index';
import { childCpuSeconds } from './lib/cpu';
import { benchDir, median, mib, printTable, round, writeResult } from './lib/report';

const CLIP_SECONDS = 60;
const FPS = 30;
const SEGMENT_SECONDS = 4;
/** Shorter segments for the tracing part, so that a one-minute leak carries enough bits. */
const TRACE_SEGMENT_SECONDS = 1;
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 2;
const CLIP = join(benchDir, '.cache', `watermark-720p-${CLIP_SECONDS}s.mp4`);

type Variant = 'plain' | 'A/B';

interface Run {
  variant: Variant;
  round: number;
  wallSeconds: number;
  /** user + sys of the ffmpeg processes, from this process's cutime + cstime. */
  cpuSeconds: number;
  outputBytes: number;
  segments: number;
}

/** CPU seconds of this process itself (the tracer's own work). */
const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** A 60 s 720p zoom into the Mandelbrot set with grain, made once and kept in bench/.cache. */
async function ensureClip(): Promise<void> {
  if (existsSync(CLIP)) return;
  await mkdir(join(benchDir, '.cache'), { recursive: true });
  process.stdout.write(`making ${CLIP} (once)…\n`);
  const partial = `${CLIP}.partial.mp4`;
  await runFfmpeg('ffmpeg', [
    '-y',
    '-f',
    'lavfi',
    '-i',
    `mandelbrot=s=640x360:r=${FPS}:maxiter=200,scale=1280:720,noise=alls=6:allf=t`,
    '-t',
    String(CLIP_SECONDS),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    partial,
  ]);
  await rename(partial, CLIP);
}

async function outputOf(dir: string): Promise<{ bytes: number; segments: number }> {
  let bytes = 0;
  let segments = 0;
  for (const file of await readdir(dir, { recursive: true })) {
    if (!file.endsWith('.ts')) continue;
    bytes += (await stat(join(dir, file))).size;
    segments++;
  }
  return { bytes, segments };
}

const rung = computeLadder({ displayWidth: 1280, displayHeight: 720 }).find((r) => r.name === '360p')!;
const gop = FPS * SEGMENT_SECONDS;
const videoArgs = encoderArgs('libx264', rung, 'v:0', gop);

/** The plain rendition: the same normalization, scaling, encoder and muxer as the variants. */
async function plain(outDir: string): Promise<void> {
  await runFfmpeg('ffmpeg', [
    '-i',
    CLIP,
    '-filter_complex',
    `[0:v]setpts=PTS-STARTPTS,fps=${FPS},scale=${rung.width}:${rung.height}:flags=bicubic,setsar=1,format=yuv420p[v]`,
    '-map',
    '[v]',
    '-an',
    ...videoArgs,
    '-force_key_frames',
    keyFrameExpr(SEGMENT_SECONDS),
    ...hlsOutputArgs(SEGMENT_SECONDS, join(outDir, 'seg_%05d.ts')),
    join(outDir, 'index.m3u8'),
  ]);
}

async function variants(outDir: string, segmentSeconds = SEGMENT_SECONDS) {
  return makeAbVariants({
    input: CLIP,
    outDir,
    width: rung.width,
    height: rung.height,
    fps: { num: FPS, den: 1 },
    segmentSeconds,
    patternSeed: randomBytes(32),
    videoArgs: encoderArgs('libx264', rung, 'v:0', FPS * segmentSeconds),
  });
}

async function measure(variant: Variant, index: number): Promise<Run> {
  const outDir = await mkdtemp(join(tmpdir(), 'ppv-bench-watermark-'));
  try {
    const cpuBefore = await childCpuSeconds();
    const start = performance.now();
    if (variant === 'plain') await plain(outDir);
    else await variants(outDir);
    const wallSeconds = (performance.now() - start) / 1000;
    const cpuSeconds = (await childCpuSeconds()) - cpuBefore;
    const { bytes, segments } = await outputOf(outDir);
    process.stdout.write(
      `  round ${index} ${variant}: ${round(wallSeconds, 1)} s wall, ${round(cpuSeconds, 1)} s CPU, ${segments} segments\n`,
    );
    return { variant, round: index, wallSeconds, cpuSeconds, outputBytes: bytes, segments };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** A/B variants with 1 s segments, a leak of one session (240p, crf 31, cropped, trimmed), traced. */
async function tracing() {
  const dir = await mkdtemp(join(tmpdir(), 'ppv-bench-trace-'));
  try {
    const ab = await variants(join(dir, 'ab'), TRACE_SEGMENT_SECONDS);
    const candidates: TraceCandidate[] = Array.from({ length: 10_000 }, (_, i) => ({
      sessionId: `session-${i}`,
      seed: randomBytes(32),
    }));
    // Among the first 1,000 too, so both candidate sets hold the leaker.
    const guilty = candidates[417]!;
    const word = codewordFor(guilty.seed, ab.segmentDurations.length);
    const list = join(dir, 'served.txt');
    await writeFile(
      list,
      [...word]
        .map((bit, k) => `file '${join(bit ? ab.dirB : ab.dirA, `seg_${String(k).padStart(5, '0')}.ts`)}'`)
        .join('\n'),
    );
    await runFfmpeg('ffmpeg', [
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-c',
      'copy',
      join(dir, 'served.ts'),
    ]);
    const leak = join(dir, 'leak.mp4');
    const leakSeconds = { from: 1.4, to: CLIP_SECONDS - 1.4 };
    await runFfmpeg('ffmpeg', [
      '-i',
      join(dir, 'served.ts'),
      '-ss',
      String(leakSeconds.from),
      '-to',
      String(leakSeconds.to),
      '-vf',
      'crop=iw*0.95:ih*0.94:iw*0.02:ih*0.035,scale=426:240',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '31',
      leak,
    ]);
    const rows = [];
    for (const count of [1000, 10_000]) {
      const cpuBefore = await childCpuSeconds();
      const ownBefore = ownCpuSeconds();
      const start = performance.now();
      const result = await traceLeak({
        leakedFile: leak,
        reference: ab.referenceFile,
        candidates: candidates.slice(0, count),
      });
      const wallSeconds = (performance.now() - start) / 1000;
      rows.push({
        candidates: count,
        wallSeconds,
        ffmpegCpuSeconds: (await childCpuSeconds()) - cpuBefore,
        tracerCpuSeconds: ownCpuSeconds() - ownBefore,
        verdict: result.verdict,
        named: result.verdict === 'match' ? result.sessionId === guilty.sessionId : false,
        bitsRecovered: result.verdict === 'match' ? result.bitsRecovered : null,
        bitErrors: result.verdict === 'match' ? result.bitErrors : null,
        z: result.verdict === 'match' ? result.z : result.bestScore,
        margin: result.verdict === 'match' ? result.margin : null,
        falseMatchProbability: result.verdict === 'match' ? result.falseMatchProbability : null,
      });
    }
    return { leakSeconds, leakBytes: (await stat(leak)).size, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ffmpeg = await locateFfmpeg();
  await ensureClip();
  const runs: Run[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    // Alternate which goes first so that a change in background load hits both alike.
    const order: Variant[] = i % 2 ? ['plain', 'A/B'] : ['A/B', 'plain'];
    for (const variant of order) runs.push(await measure(variant, i));
  }
  const summary = (['plain', 'A/B'] as const).map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return {
      variant,
      wallSeconds: median(mine.map((r) => r.wallSeconds)),
      cpuSeconds: median(mine.map((r) => r.cpuSeconds)),
      outputMiB: mib(median(mine.map((r) => r.outputBytes))),
      segments: mine[0]!.segments,
    };
  });
  const [p, ab] = summary as [(typeof summary)[0], (typeof summary)[0]];
  const ratios = { wall: round(ab.wallSeconds / p.wallSeconds), cpu: round(ab.cpuSeconds / p.cpuSeconds) };
  printTable(
    `${rung.name} (${rung.width}x${rung.height}, ${rung.videoBitrate / 1000} kb/s) from the 1280x720 ${CLIP_SECONDS} s clip, ${SEGMENT_SECONDS} s segments, median of ${ROUNDS} rounds`,
    ['variant', 'wall s', 'CPU s (user+sys)', 'CPU/wall', 'x real time', 'output MiB', 'segments'],
    summary.map((s) => [
      s.variant,
      round(s.wallSeconds, 1),
      round(s.cpuSeconds, 1),
      round(s.cpuSeconds / s.wallSeconds),
      round(CLIP_SECONDS / s.wallSeconds),
      s.outputMiB,
      s.segments,
    ]),
  );
  printTable(
    'A/B ÷ plain (target: CPU ≤ 2.2)',
    ['measure', 'ratio'],
    [
      ['wall time', ratios.wall],
      ['CPU time', ratios.cpu],
    ],
  );

  const trace = await tracing();
  printTable(
    `tracing a ${round(trace.leakSeconds.to - trace.leakSeconds.from, 1)} s leak (240p crf 31, cropped 5 %, trimmed mid-segment; ${TRACE_SEGMENT_SECONDS} s segments)`,
    [
      'candidates',
      'wall s',
      'ffmpeg CPU s',
      'tracer CPU s',
      'verdict',
      'right session',
      'bits',
      'errors',
      'z',
      'margin',
      'false match ≤',
    ],
    trace.rows.map((r) => [
      r.candidates,
      round(r.wallSeconds, 2),
      round(r.ffmpegCpuSeconds, 2),
      round(r.tracerCpuSeconds, 2),
      r.verdict,
      r.named ? 'yes' : 'no',
      r.bitsRecovered ?? '-',
      r.bitErrors ?? '-',
      r.z === null ? '-' : round(r.z),
      r.margin === null ? '-' : round(r.margin),
      r.falseMatchProbability === null ? '-' : r.falseMatchProbability.toExponential(1),
    ]),
  );
  await writeResult('watermark', {
    ffmpeg: ffmpeg.version,
    clip: { seconds: CLIP_SECONDS, width: 1280, height: 720, fps: FPS },
    rendition: rung,
    segmentSeconds: SEGMENT_SECONDS,
    rounds: ROUNDS,
    runs,
    summary,
    ratios,
    trace,
  });
}

await main();
