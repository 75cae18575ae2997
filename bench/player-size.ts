/**
 * How much a page downloads for `<ppv-player>`: the player alone, the player with the SDK, and the
 * full browser bundle with shaka-player (what `<script type="module" src=".../ppv-player.js">`
 * loads), minified, raw and compressed. Builds with tsup into a scratch folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'tsup';
import { printTable, repoRoot, round, writeResult } from './lib/report';

const entry = join(repoRoot, 'packages/player/src/index.ts');
const shakaHls = join(repoRoot, 'node_modules/shaka-player/dist/shaka-player.hls.js');

const variants = [
  { name: 'player alone (SDK and shaka-player external)', external: ['@ppv/sdk', 'shaka-player'] },
  { name: 'player + @ppv/sdk (shaka-player external)', external: ['shaka-player'] },
  { name: 'full bundle, ppv-player.js (shaka-player inside)', external: [] },
];

const kib = (bytes: number) => round(bytes / 1024, 1);

function sizes(code: Buffer) {
  return {
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const work = await mkdtemp(join(tmpdir(), 'ppv-player-size-'));
try {
  const results: { name: string; raw: number; gzip: number; brotli: number }[] = [];
  for (const [i, v] of variants.entries()) {
    const outDir = join(work, String(i));
    await build({
      entry: { player: entry },
      format: ['esm'],
      outDir,
      minify: true,
      target: 'es2022',
      platform: 'browser',
      external: v.external,
      noExternal: v.external.length === 0 ? [/.*/] : [],
      silent: true,
      config: false,
    });
    results.push({ name: v.name, ...sizes(await readFile(join(outDir, 'player.js'))) });
  }
  results.push({
    name: 'shaka-player alone (its HLS build, as shipped)',
    ...sizes(await readFile(shakaHls)),
  });
  printTable(
    'ppv-player download size (minified, KiB)',
    ['what', 'raw', 'gzip -9', 'brotli 11'],
    results.map((r) => [r.name, kib(r.raw), kib(r.gzip), kib(r.brotli)]),
  );
  await writeResult('player-size', { unit: 'bytes', results });
} finally {
  await rm(work, { recursive: true, force: true });
}
