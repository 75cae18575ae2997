/**
 * What the forensic A/B watermark costs the transcode job: the whole pipeline as the worker runs it
 * (`transcodeToHls` with `watermark`: every rung of `computeLadder` as variant A and B, the tracer's
 * references, poster and storyboard) against the same call without the watermark (the plain
 * ladder, one encode per rung), on the same source, side by side in one run. CPU time is user + sys
 * of the ffmpeg processes; the hub process's own CPU (the marked run accumulates the references
 * from the grid frames ffmpeg streams to it) is shown apart.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeLadder,
  generateHlsKey,
  locateFfmpeg,
  type ProbeResult,
  probeMedia,
  runFfmpeg,
  transcodeToHls,
} from '@ppv/media';
import { patternSeedOf } from '@ppv/media/watermark';
import { childCpuSeconds } from './lib/cpu';
import { benchDir, median, mib, printTable, round, writeResult } from './lib/report';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const CLIP_SECONDS = arg('seconds', 30);
const ROUNDS = arg('rounds', 1);
/** The hub's default (`SEGMENT_SECONDS`). */
const SEGMENT_SECONDS = arg('segment', 4);
const CLIP = join(benchDir, '.cache', `abcost-1080p-${CLIP_SECONDS}s.mp4`);

type Variant = 'plain ladder' | 'A/B ladder';
const VARIANTS: Variant[] = ['plain ladder', 'A/B ladder'];

interface Run {
  variant: Variant;
  round: number;
  wallSeconds: number;
  /** user + sys of the ffmpeg processes, from this process's cutime + cstime. */
  ffmpegCpuSeconds: number;
  /** user + sys of this process during the run (reference building, progress, file handling). */
  nodeCpuSeconds: number;
  loadAtStart: number;
  outputBytes: number;
  segments: number;
}

const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/**
 * A 1080p 30 fps clip with camera-like grain (`testsrc2` + temporal noise, so the encoders work as
 * on real footage rather than on flat colour) and a sine tone, made once and kept in bench/.cache.
 */
async function ensureClip(): Promise<void> {
  if (existsSync(CLIP)) return;
  await mkdir(join(benchDir, '.cache'), { recursive: true });
  process.stdout.write(`making ${CLIP} (once)…\n`);
  const partial = `${CLIP}.partial.mp4`;
  await runFfmpeg('ffmpeg', [
    '-y',
    ...['-f', 'lavfi', '-i', `testsrc2=s=1920x1080:r=30:d=${CLIP_SECONDS},noise=alls=8:allf=t`],
    ...['-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${CLIP_SECONDS}`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', partial],
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

async function measure(variant: Variant, roundNo: number, probe: ProbeResult): Promise<Run> {
  const work = await mkdtemp(join(tmpdir(), 'ppv-bench-abcost-'));
  const outDir = join(work, 'out');
  try {
    const loadAtStart = round(loadavg()[0]!);
    const childBefore = await childCpuSeconds();
    const ownBefore = ownCpuSeconds();
    const start = performance.now();
    // The worker's call (packages/worker/src/tasks/transcode-video.ts), without a preview.
    await transcodeToHls({
      input: CLIP,
      outDir,
      probe,
      ladder: computeLadder(probe),
      segmentSeconds: SEGMENT_SECONDS,
      key: generateHlsKey('key://bench'),
      encoder: 'libx264',
      preview: null,
      watermark: variant === 'A/B ladder' ? { patternSeed: patternSeedOf(Buffer.alloc(32, 7)) } : null,
    });
    const wallSeconds = (performance.now() - start) / 1000;
    const ffmpegCpuSeconds = (await childCpuSeconds()) - childBefore;
    const nodeCpuSeconds = ownCpuSeconds() - ownBefore;
    const { bytes, segments } = await outputOf(outDir);
    process.stdout.write(
      `  round ${roundNo} ${variant}: ${round(wallSeconds, 1)} s wall, ${round(ffmpegCpuSeconds, 1)} s ffmpeg CPU, ` +
        `${round(nodeCpuSeconds, 1)} s node CPU, ${segments} segments, load ${loadAtStart} at start\n`,
    );
    return {
      variant,
      round: roundNo,
      wallSeconds,
      ffmpegCpuSeconds,
      nodeCpuSeconds,
      loadAtStart,
      outputBytes: bytes,
      segments,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ffmpeg = await locateFfmpeg();
  await ensureClip();
  const probe = await probeMedia(CLIP);
  const ladder = computeLadder(probe);
  process.stdout.write(
    `${probe.displayWidth}x${probe.displayHeight} ${CLIP_SECONDS} s clip, ${SEGMENT_SECONDS} s segments, ` +
      `rungs ${ladder.map((r) => r.name).join(' ')}, libx264 veryfast, ${cpus().length} CPUs\n`,
  );

  const runs: Run[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    // Alternate which goes first so that a change in background load hits both alike.
    const order = i % 2 === 0 ? [...VARIANTS].reverse() : VARIANTS;
    for (const variant of order) runs.push(await measure(variant, i, probe));
  }

  const summary = VARIANTS.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return {
      variant,
      wallSeconds: median(mine.map((r) => r.wallSeconds)),
      ffmpegCpuSeconds: median(mine.map((r) => r.ffmpegCpuSeconds)),
      nodeCpuSeconds: median(mine.map((r) => r.nodeCpuSeconds)),
      outputMiB: mib(median(mine.map((r) => r.outputBytes))),
      segments: mine[0]!.segments,
    };
  });
  const [plain, marked] = summary as [(typeof summary)[0], (typeof summary)[0]];
  const ratios = {
    ffmpegCpu: round(marked.ffmpegCpuSeconds / plain.ffmpegCpuSeconds),
    totalCpu: round(
      (marked.ffmpegCpuSeconds + marked.nodeCpuSeconds) / (plain.ffmpegCpuSeconds + plain.nodeCpuSeconds),
    ),
    wall: round(marked.wallSeconds / plain.wallSeconds),
  };
  printTable(
    'every run',
    ['round', 'variant', 'wall s', 'ffmpeg CPU s', 'node CPU s', 'load at start'],
    runs.map((r) => [
      r.round,
      r.variant,
      round(r.wallSeconds, 1),
      round(r.ffmpegCpuSeconds, 1),
      round(r.nodeCpuSeconds, 1),
      r.loadAtStart,
    ]),
  );
  printTable(
    `A/B watermark cost, median of ${ROUNDS} round(s)`,
    ['variant', 'wall s', 'ffmpeg CPU s (user+sys)', 'node CPU s', 'x real time', 'output MiB', 'segments'],
    summary.map((s) => [
      s.variant,
      round(s.wallSeconds, 1),
      round(s.ffmpegCpuSeconds, 1),
      round(s.nodeCpuSeconds, 1),
      round(CLIP_SECONDS / s.wallSeconds),
      s.outputMiB,
      s.segments,
    ]),
  );
  printTable(
    'A/B ÷ plain (target: ffmpeg CPU ≤ 2.2)',
    ['measure', 'ratio'],
    [
      ['ffmpeg CPU time', ratios.ffmpegCpu],
      ['ffmpeg + node CPU time', ratios.totalCpu],
      ['wall time', ratios.wall],
    ],
  );
  await writeResult('abcost', {
    ffmpeg: ffmpeg.version,
    clip: { seconds: CLIP_SECONDS, width: probe.width, height: probe.height, frameRate: probe.frameRate },
    segmentSeconds: SEGMENT_SECONDS,
    ladder,
    rounds: ROUNDS,
    runs,
    summary,
    ratios,
  });
}

await main();
