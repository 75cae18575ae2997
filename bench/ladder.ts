/**
 * The rendition ladder in one ffmpeg process (decode once, `split` + `scale` per rung, what
 * `transcodeToHls` does) against one ffmpeg per rendition run one after another (how PeerTube
 * does it), on the same 60 s 1080p clip with the same encoder flags, rates, key frames, AAC audio
 * and AES-128 encryption. Wall time, and CPU time (user + sys) of the ffmpeg children.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUDIO_FILTERS,
  computeLadder,
  encoderArgs,
  generateHlsKey,
  hlsOutputArgs,
  keyFrameExpr,
  locateFfmpeg,
  outputFrameRate,
  type ProbeResult,
  probeMedia,
  type Rung,
  runFfmpeg,
  safeInputArgs,
  scaleFilters,
  transcodeToHls,
} from '@ppv/media';
import { childCpuSeconds } from './lib/cpu';
import { benchDir, median, mib, printTable, round, writeResult } from './lib/report';

const CLIP_SECONDS = 60;
const SEGMENT_SECONDS = 4;
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 2;
const CLIP = join(benchDir, '.cache', `ladder-1080p-${CLIP_SECONDS}s.mp4`);

type Variant = 'one process' | 'one per rendition';

interface Run {
  variant: Variant;
  round: number;
  wallSeconds: number;
  /** user + sys of the ffmpeg processes, from this process's cutime + cstime. */
  cpuSeconds: number;
  processes: number;
  /** The 1-minute load average when the run started: well above the core count means a disturbed run. */
  loadAtStart: number;
  outputBytes: number;
  segments: number;
}

/** The 60 s 1080p test clip (testsrc2 at 30 fps + a sine tone), made once and kept in bench/.cache. */
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
    `testsrc2=s=1920x1080:r=30:d=${CLIP_SECONDS}`,
    '-f',
    'lavfi',
    '-i',
    `sine=f=440:sample_rate=48000:d=${CLIP_SECONDS}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
    partial,
  ]);
  await rename(partial, CLIP);
}

/** Segment files and their total size under `dir`. */
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

async function measure(
  variant: Variant,
  roundNo: number,
  work: (outDir: string) => Promise<number>,
): Promise<Run> {
  const outDir = await mkdtemp(join(tmpdir(), 'ppv-bench-ladder-'));
  try {
    const loadAtStart = round(loadavg()[0]!);
    const cpuBefore = await childCpuSeconds();
    const start = performance.now();
    const processes = await work(outDir);
    const wallSeconds = (performance.now() - start) / 1000;
    const cpuSeconds = (await childCpuSeconds()) - cpuBefore;
    const { bytes, segments } = await outputOf(outDir);
    const run = {
      variant,
      round: roundNo,
      wallSeconds,
      cpuSeconds,
      processes,
      loadAtStart,
      outputBytes: bytes,
      segments,
    };
    process.stdout.write(
      `  round ${roundNo} ${variant}: ${round2(wallSeconds)} s wall, ${round2(cpuSeconds)} s CPU, ` +
        `${segments} segments, load ${loadAtStart} at start\n`,
    );
    return run;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

const round2 = (n: number) => round(n, 1);

/** (a) What the transcode job runs: the ladder alone (no preview, poster or storyboard). */
function oneProcess(probe: ProbeResult) {
  return async (outDir: string) => {
    await transcodeToHls({
      input: CLIP,
      outDir,
      probe,
      key: generateHlsKey('key://bench'),
      segmentSeconds: SEGMENT_SECONDS,
      poster: false,
      storyboard: false,
    });
    return 1;
  };
}

/** (b) One ffmpeg per rung, one after another: each decodes the source again. */
function onePerRendition(probe: ProbeResult, ladder: Rung[]) {
  const gop = Math.ceil(outputFrameRate(probe) * SEGMENT_SECONDS);
  return async (outDir: string) => {
    const keyDir = join(outDir, '.key');
    await mkdir(keyDir);
    const key = generateHlsKey('key://bench');
    await writeFile(join(keyDir, 'key.bin'), key.keyBytes);
    const keyInfo = join(keyDir, 'key.info');
    await writeFile(
      keyInfo,
      `${key.keyUri}\n${join(keyDir, 'key.bin')}\n${Buffer.from(key.iv).toString('hex')}\n`,
    );
    for (const rung of ladder) {
      await mkdir(join(outDir, rung.name));
      await runFfmpeg(
        'ffmpeg',
        [
          ...safeInputArgs(CLIP),
          '-filter_complex',
          `[0:v:0]${scaleFilters('libx264', rung.width, rung.height)}[v];[0:a:0]${AUDIO_FILTERS}[a]`,
          '-map',
          '[v]',
          '-map',
          '[a]',
          ...encoderArgs('libx264', rung, 'v:0', gop),
          '-c:a',
          'aac',
          '-b:a',
          String(rung.audioBitrate),
          '-force_key_frames:v',
          keyFrameExpr(SEGMENT_SECONDS),
          '-map_metadata',
          '-1',
          ...hlsOutputArgs(SEGMENT_SECONDS, `${rung.name}/seg_%05d.ts`),
          '-hls_key_info_file',
          keyInfo,
          `${rung.name}/index.m3u8`,
        ],
        { cwd: outDir },
      );
    }
    await rm(keyDir, { recursive: true });
    return ladder.length;
  };
}

async function main(): Promise<void> {
  const ffmpeg = await locateFfmpeg();
  await ensureClip();
  const probe = await probeMedia(CLIP);
  const ladder = computeLadder(probe);
  printTable(
    `ladder for the ${probe.displayWidth}x${probe.displayHeight} ${CLIP_SECONDS} s clip (libx264 veryfast, ${SEGMENT_SECONDS} s segments, AES-128)`,
    ['rung', 'size', 'video kb/s', 'maxrate kb/s', 'audio kb/s'],
    ladder.map((r) => [
      r.name,
      `${r.width}x${r.height}`,
      r.videoBitrate / 1000,
      r.maxRate / 1000,
      r.audioBitrate / 1000,
    ]),
  );

  const runs: Run[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    // Alternate which goes first so that a change in background load hits both alike.
    const order: [Variant, (outDir: string) => Promise<number>][] = [
      ['one process', oneProcess(probe)],
      ['one per rendition', onePerRendition(probe, ladder)],
    ];
    if (i % 2 === 0) order.reverse();
    for (const [variant, work] of order) runs.push(await measure(variant, i, work));
  }

  const summary = (['one process', 'one per rendition'] as const).map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return {
      variant,
      processes: mine[0]!.processes,
      wallSeconds: median(mine.map((r) => r.wallSeconds)),
      cpuSeconds: median(mine.map((r) => r.cpuSeconds)),
      outputMiB: mib(median(mine.map((r) => r.outputBytes))),
      segments: mine[0]!.segments,
    };
  });
  const [one, per] = summary as [(typeof summary)[0], (typeof summary)[0]];
  const ratios = {
    wall: round(per.wallSeconds / one.wallSeconds),
    cpu: round(per.cpuSeconds / one.cpuSeconds),
  };
  // Each round's two runs are back to back (their order alternating), so a round's own ratio is
  // the paired comparison: background load that changes between rounds cancels out of it.
  const rounds = Array.from({ length: ROUNDS }, (_, i) => {
    const pair = runs.filter((r) => r.round === i + 1);
    const a = pair.find((r) => r.variant === 'one process')!;
    const b = pair.find((r) => r.variant === 'one per rendition')!;
    return {
      round: i + 1,
      wall: round(b.wallSeconds / a.wallSeconds),
      cpu: round(b.cpuSeconds / a.cpuSeconds),
    };
  });
  const pairedRatios = {
    wall: median(rounds.map((r) => r.wall)),
    cpu: median(rounds.map((r) => r.cpu)),
  };
  printTable(
    'every run',
    ['round', 'variant', 'wall s', 'CPU s', 'CPU/wall', 'load at start'],
    runs.map((r) => [
      r.round,
      r.variant,
      round2(r.wallSeconds),
      round2(r.cpuSeconds),
      round(r.cpuSeconds / r.wallSeconds),
      r.loadAtStart,
    ]),
  );
  printTable(
    `ladder, median of ${ROUNDS} rounds on ${cpus().length} CPUs`,
    [
      'variant',
      'ffmpeg processes',
      'wall s',
      'CPU s (user+sys)',
      'CPU/wall',
      'x real time',
      'output MiB',
      'segments',
    ],
    summary.map((s) => [
      s.variant,
      s.processes,
      round2(s.wallSeconds),
      round2(s.cpuSeconds),
      round(s.cpuSeconds / s.wallSeconds),
      round(CLIP_SECONDS / s.wallSeconds),
      s.outputMiB,
      s.segments,
    ]),
  );
  printTable(
    'one per rendition ÷ one process, per round',
    ['round', 'wall ratio', 'CPU ratio'],
    rounds.map((r) => [r.round, r.wall, r.cpu]),
  );
  printTable(
    'one per rendition ÷ one process (target: wall ≥ 1.5)',
    ['measure', 'ratio of the medians', "median of the rounds' ratios"],
    [
      ['wall time', ratios.wall, pairedRatios.wall],
      ['CPU time', ratios.cpu, pairedRatios.cpu],
    ],
  );
  await writeResult('ladder', {
    ffmpeg: ffmpeg.version,
    clip: { seconds: CLIP_SECONDS, width: probe.width, height: probe.height, frameRate: probe.frameRate },
    segmentSeconds: SEGMENT_SECONDS,
    ladder,
    rounds: ROUNDS,
    runs,
    summary,
    ratios,
    roundRatios: rounds,
    pairedRatios,
  });
}

await main();
