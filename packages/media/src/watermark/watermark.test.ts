/**
 * The A/B watermark end to end with real ffmpeg: variants of a 40-second 360p clip with 1-second
 * segments, leaks assembled from one session's segments and then re-encoded, scaled down, cropped
 * and trimmed the way a pirate would, traced against 1,000 candidate sessions.
 */
import { execFile } from 'node:child_process';
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../errors';
import {
  type AbVariants,
  codewordFor,
  decodeReference,
  makeAbVariants,
  readReference,
  type TraceCandidate,
  traceLeak,
} from './index';
import { playlistDurations } from './variants';

const fixedSeed = (label: string) => createHash('sha256').update(`watermark-test:${label}`).digest();

const run = promisify(execFile);
const ffmpeg = (args: string[]) =>
  run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args]);
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast'];
const SECONDS = 40;

let dir: string;
let source: string;
let variants: AbVariants;
let candidates: TraceCandidate[];
let guilty: TraceCandidate;
/** The leak most tests use: 240p, crf 31, 5 % × 6 % cropped, trimmed at 1.4 s and 38.6 s. */
let leak: string;

/** Concatenates the segments `session` was served (its A/B sequence) into one file. */
async function assemble(session: TraceCandidate, name: string): Promise<string> {
  const word = codewordFor(session.seed, variants.segmentDurations.length);
  const list = join(dir, `${name}.txt`);
  const lines = [...word].map((bit, k) => {
    const folder = bit ? variants.dirB : variants.dirA;
    return `file '${join(folder, `seg_${String(k).padStart(5, '0')}.ts`)}'`;
  });
  await writeFile(list, lines.join('\n'));
  const out = join(dir, `${name}.ts`);
  await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', out]);
  return out;
}

/** Re-encodes `input` from `from` to `to` seconds (frame-accurate) through the filter `vf`. */
async function reencode(input: string, name: string, from: number, to: number, vf: string, crf: number) {
  const out = join(dir, `${name}.mp4`);
  await ffmpeg([
    '-i',
    input,
    '-ss',
    String(from),
    '-to',
    String(to),
    '-vf',
    vf,
    ...X264,
    '-crf',
    String(crf),
    out,
  ]);
  return out;
}

/** Luma SSIM and PSNR of `b` against `a`, measured by ffmpeg's ssim and psnr filters. */
async function compare(a: string, b: string): Promise<{ ssim: number; psnr: number }> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-i',
    a,
    '-i',
    b,
    '-lavfi',
    '[0:v][1:v]ssim;[0:v][1:v]psnr',
    '-f',
    'null',
    '-',
  ]);
  const ssim = Number(/SSIM Y:([0-9.]+)/.exec(stderr)?.[1]);
  const psnr = Number(/PSNR y:([0-9.]+)/.exec(stderr)?.[1]);
  return { ssim, psnr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ppv-watermark-'));
  source = join(dir, 'source.mp4');
  // A slow zoom into the Mandelbrot set with film-like grain: smooth areas where a mark would
  // show, detail, and motion that looks like a crop — the hard case for aligning a leak.
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'mandelbrot=s=320x180:r=30:maxiter=200,scale=640:360,noise=alls=6:allf=t:all_seed=42',
    '-t',
    String(SECONDS),
    ...X264,
    '-crf',
    '16',
    source,
  ]);
  variants = await makeAbVariants({
    input: source,
    outDir: join(dir, 'ab'),
    width: 640,
    height: 360,
    fps: { num: 30, den: 1 },
    segmentSeconds: 1,
    patternSeed: fixedSeed('pattern'),
  });
  // Fixed seeds and grain: the same clip, pattern and codewords on every run, so the verdicts below
  // are about the tracer, not about a lucky or unlucky draw.
  candidates = Array.from({ length: 1000 }, (_, i) => ({
    sessionId: `session-${i}`,
    seed: fixedSeed(`session-${i}`),
  }));
  guilty = candidates[417]!;
  const served = await assemble(guilty, 'served');
  leak = await reencode(served, 'leak', 1.4, 38.6, 'crop=iw*0.95:ih*0.94:iw*0.02:ih*0.035,scale=426:240', 31);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('makeAbVariants', () => {
  it('writes A and B segments with the same timeline, 1 s each, and a reference for every segment', async () => {
    const a = playlistDurations(await readFile(join(variants.dirA, 'index.m3u8'), 'utf8'));
    const b = playlistDurations(await readFile(join(variants.dirB, 'index.m3u8'), 'utf8'));
    expect(a).toHaveLength(SECONDS);
    expect(b).toEqual(a);
    for (const d of a) expect(d).toBeCloseTo(1, 2);
    const first = await Promise.all(
      [variants.dirA, variants.dirB].map((d) => readFile(join(d, 'seg_00000.ts'))),
    );
    expect(first[0]!.equals(first[1]!)).toBe(false);
    const ref = await readReference(variants.referenceFile);
    expect(ref.segmentCount).toBe(SECONDS);
    expect(ref.frameCount).toBe(SECONDS * 30);
    expect(ref.grid).toEqual({ width: 64, height: 36 });
    // Stored at 1/64 level (content) and 1/256 level (mark) precision.
    expect(Math.abs(ref.mean[7]![700]! - variants.reference.mean[7]![700]!)).toBeLessThan(1 / 64);
    expect(Math.abs(ref.diff[7]![700]! - variants.reference.diff[7]![700]!)).toBeLessThan(1 / 256);
    // Small enough to keep with the video: ~4 kB per segment here.
    expect((await stat(variants.referenceFile)).size).toBeLessThan(SECONDS * 8 * 1024);
  });

  it('makes A and B differ by an invisible mark: PSNR ≥ 45 dB and SSIM ≥ 0.99 between them', async () => {
    // Losslessly encoded, so that what is measured is the mark alone, not the encoder's noise.
    const short = join(dir, 'short.mp4');
    await ffmpeg(['-i', source, '-t', '4', '-c', 'copy', short]);
    const lossless = await makeAbVariants({
      input: short,
      outDir: join(dir, 'lossless'),
      width: 640,
      height: 360,
      fps: { num: 30, den: 1 },
      segmentSeconds: 1,
      patternSeed: 'another video',
      videoArgs: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0'],
    });
    const joined = await Promise.all(
      [lossless.dirA, lossless.dirB].map(async (d, i) => {
        const out = join(dir, `lossless-${i}.ts`);
        const parts = await Promise.all([0, 1, 2, 3].map((k) => readFile(join(d, `seg_0000${k}.ts`))));
        await writeFile(out, Buffer.concat(parts));
        return out;
      }),
    );
    const { ssim, psnr } = await compare(joined[0]!, joined[1]!);
    expect(psnr).toBeGreaterThanOrEqual(45);
    expect(ssim).toBeGreaterThanOrEqual(0.99);
  }, 120_000);

  it('encrypts A and B with the same key and IV and carries the audio in both', async () => {
    const withAudio = join(dir, 'with-audio.mp4');
    await ffmpeg([
      '-i',
      source,
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:sample_rate=48000',
      '-t',
      '3',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      withAudio,
    ]);
    const key = randomBytes(16);
    await writeFile(join(dir, 'key.bin'), key);
    const keyInfo = join(dir, 'key.info');
    await writeFile(keyInfo, `key://video\n${join(dir, 'key.bin')}\n${randomBytes(16).toString('hex')}\n`);
    const encrypted = await makeAbVariants({
      input: withAudio,
      outDir: join(dir, 'encrypted'),
      width: 640,
      height: 360,
      fps: { num: 30, den: 1 },
      segmentSeconds: 1,
      patternSeed: 'x',
      audioArgs: ['-c:a', 'aac', '-b:a', '64k'],
      hlsKeyInfoFile: keyInfo,
    });
    const keyLine = async (d: string) =>
      /^#EXT-X-KEY:.*$/m.exec(await readFile(join(d, 'index.m3u8'), 'utf8'))?.[0];
    const lineA = await keyLine(encrypted.dirA);
    expect(lineA).toMatch(/METHOD=AES-128,URI="key:\/\/video",IV=0x/);
    expect(await keyLine(encrypted.dirB)).toBe(lineA);
    // Encrypted segments are not MPEG-TS any more (no 0x47 sync byte every 188 bytes)…
    const segment = await readFile(join(encrypted.dirB, 'seg_00001.ts'));
    expect([0, 188, 376].every((at) => segment[at] === 0x47)).toBe(false);
    // …and decrypt to video and audio with the key.
    const iv = /IV=0x([0-9a-f]+)/i.exec(lineA!)![1]!;
    const decipher = createDecipheriv('aes-128-cbc', key, Buffer.from(iv, 'hex'));
    const clear = join(dir, 'clear.ts');
    await writeFile(clear, Buffer.concat([decipher.update(segment), decipher.final()]));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type',
      '-of',
      'csv=p=0',
      clear,
    ]);
    expect([...new Set(stdout.split('\n').filter(Boolean))].sort()).toEqual(['audio', 'video']);
  }, 120_000);

  it('error: refuses an odd rendition size or a ramp longer than half a segment', async () => {
    const base = {
      input: source,
      outDir: join(dir, 'bad'),
      fps: { num: 30, den: 1 },
      segmentSeconds: 1,
      patternSeed: 'x',
    };
    await expect(makeAbVariants({ ...base, width: 641, height: 360 })).rejects.toThrow(/even numbers/);
    await expect(makeAbVariants({ ...base, width: 640, height: 360, rampSeconds: 0.6 })).rejects.toThrow(
      /rampSeconds/,
    );
  });
});

describe('traceLeak', () => {
  it('names the leaking session among 1,000 from a 240p crf 31 re-encode, cropped 5 %, cut mid-segment at both ends', async () => {
    const result = await traceLeak({ leakedFile: leak, reference: join(dir, 'ab'), candidates });
    expect(result.verdict).toBe('match');
    if (result.verdict !== 'match') return;
    expect(result.sessionId).toBe(guilty.sessionId);
    expect(result.confidence).toBeGreaterThan(1 - 1e-6);
    // Segments 0–1 and 38–39 are cut or partial: 2…37 are read.
    expect(result.evidence.segments[0]).toBe(2);
    expect(result.evidence.segments.at(-1)).toBe(37);
    expect(result.bitsRecovered).toBe(36);
    expect(result.bitErrors).toBeLessThanOrEqual(2);
    expect(result.margin).toBeGreaterThan(1.5);
    expect(result.evidence.startSeconds).toBeCloseTo(1.4, 0);
    const { picture } = result.evidence;
    expect(Math.abs(picture.x0 - 0.02)).toBeLessThan(0.015);
    expect(Math.abs(picture.y1 - 0.97)).toBeLessThan(0.015);
  }, 120_000);

  it('answers no_match when the leaking session is not among the candidates', async () => {
    const others = candidates.filter((c) => c !== guilty);
    const result = await traceLeak({
      leakedFile: leak,
      reference: variants.referenceFile,
      candidates: others,
    });
    expect(result).toMatchObject({ verdict: 'no_match', reason: 'NO_SIGNIFICANT_MATCH' });
  }, 120_000);

  it('answers no_match for the clean, unwatermarked encode of the same video', async () => {
    const clean = await reencode(
      source,
      'clean',
      1.4,
      38.6,
      'crop=iw*0.95:ih*0.94:iw*0.02:ih*0.035,scale=426:240',
      31,
    );
    const result = await traceLeak({ leakedFile: clean, reference: variants.referenceFile, candidates });
    expect(result).toMatchObject({ verdict: 'no_match', reason: 'NO_SIGNIFICANT_MATCH' });
  }, 120_000);

  it('answers no_match for a recording of another video', async () => {
    const other = join(dir, 'other.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'life=s=160x90:r=30:mold=10:ratio=0.3:death_color=#1060a0:life_color=#f0d040,scale=426:240,gblur=sigma=1',
      '-t',
      '30',
      ...X264,
      '-crf',
      '31',
      other,
    ]);
    const result = await traceLeak({ leakedFile: other, reference: variants.referenceFile, candidates });
    expect(result).toMatchObject({ verdict: 'no_match', reason: 'NOT_THIS_VIDEO', bestScore: null });
  }, 120_000);

  it('answers AMBIGUOUS rather than pick one when two candidate sessions share the same sequence', async () => {
    const twins = [...candidates, { sessionId: 'twin', seed: guilty.seed }];
    const result = await traceLeak({
      leakedFile: leak,
      reference: variants.referenceFile,
      candidates: twins,
    });
    expect(result).toMatchObject({ verdict: 'no_match', reason: 'AMBIGUOUS' });
  }, 120_000);

  it('answers TOO_SHORT for a 6-second excerpt: 5 bits cannot single out one session of 1,000', async () => {
    const excerpt = await reencode(leak, 'excerpt', 10, 16, 'null', 28);
    const result = await traceLeak({ leakedFile: excerpt, reference: variants.referenceFile, candidates });
    expect(result).toMatchObject({ verdict: 'no_match', reason: 'TOO_SHORT' });
  }, 120_000);

  it('error: refuses a reference file that is not one, and an empty candidate list', async () => {
    await expect(traceLeak({ leakedFile: leak, reference: source, candidates })).rejects.toBeInstanceOf(
      MediaError,
    );
    expect(() => decodeReference(Buffer.from('not gzip'))).toThrow(/not a watermark reference/);
    await expect(
      traceLeak({ leakedFile: leak, reference: variants.referenceFile, candidates: [] }),
    ).rejects.toThrow(/no candidate/);
  });
});
