import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Storefront } from '@ppv/hub';

const require = createRequire(import.meta.url);

/** The storefront package's folder, found through node_modules (also from a bundle elsewhere). */
export const storefrontDir = dirname(require.resolve('@ppv/storefront/package.json'));
const distDir = join(storefrontDir, 'dist');
const entry = join(distDir, 'server', 'entry.mjs');
/** A hash of every input of the build, written next to it: a different hash means a stale build. */
const stampFile = join(distDir, '.source-hash');
const INPUTS = ['src', 'public', 'astro.config.mjs', 'package.json', 'tsconfig.json'];

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info) return [];
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).sort();
  return (await Promise.all(names.map((n) => filesUnder(join(path, n))))).flat();
}

/** The hash of the storefront's sources, or null when they are not here (a bundled install). */
export async function sourceHash(): Promise<string | null> {
  const files = (await Promise.all(INPUTS.map((p) => filesUnder(join(storefrontDir, p))))).flat();
  if (!files.some((f) => f.startsWith(join(storefrontDir, 'src')))) return null;
  const hash = createHash('sha256');
  for (const file of files) {
    hash
      .update(relative(storefrontDir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

export type BuildState = 'fresh' | 'missing' | 'stale' | 'prebuilt';

/** Whether dist/ was built from the sources as they are now. */
export async function buildState(): Promise<BuildState> {
  const built = await stat(entry).then(
    () => true,
    () => false,
  );
  const current = await sourceHash();
  if (current === null) return built ? 'prebuilt' : 'missing';
  if (!built) return 'missing';
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  return stamp.trim() === current ? 'fresh' : 'stale';
}

/** Runs `astro build` in the storefront's folder and stamps the result with the sources' hash. */
export async function buildStorefront(): Promise<void> {
  const hash = await sourceHash();
  if (hash === null) throw new Error(`The storefront's sources are not in ${storefrontDir}; cannot build it`);
  const astro = join(dirname(require.resolve('astro/package.json')), 'bin', 'astro.mjs');
  let output = '';
  const child = spawn(process.execPath, [astro, 'build', '--silent'], {
    cwd: storefrontDir,
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`astro build failed (exit ${code}):\n${output.trim()}`);
  await writeFile(stampFile, `${hash}\n`);
}

/** Builds the storefront when its build is missing or older than its sources; says what it did. */
export async function ensureStorefrontBuilt(): Promise<'built' | 'fresh' | 'prebuilt'> {
  const state = await buildState();
  if (state === 'fresh' || state === 'prebuilt') return state;
  await buildStorefront();
  return 'built';
}

/** The built storefront, ready for `createHubApp({ storefront })`. */
export async function loadStorefront(): Promise<Storefront> {
  const built = (await import(pathToFileURL(entry).href)) as { handler: Storefront['handler'] };
  return { handler: built.handler, clientDir: join(distDir, 'client') };
}
