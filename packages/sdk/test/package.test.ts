import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedFile, generateRouterTypes } from '../scripts/generate-router-types';

const run = promisify(execFile);
const sdkDir = new URL('..', import.meta.url).pathname;
const rootModules = new URL('../../../node_modules/', import.meta.url).pathname;
const bin = (name: string) => join(rootModules, '.bin', name);

let work: string;
let pkg: string;
let consumer: string;

/** The package as npm would publish it, built into a scratch folder. */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ppv-sdk-pack-'));
  // A project that installed @ppv/sdk and its dependencies, and nothing of the hub.
  consumer = join(work, 'consumer');
  pkg = join(consumer, 'node_modules', '@ppv', 'sdk');
  await run(bin('tsup'), ['--out-dir', join(pkg, 'dist')], { cwd: sdkDir });
  await cp(join(sdkDir, 'package.json'), join(pkg, 'package.json'));
  await cp(join(sdkDir, 'README.md'), join(pkg, 'README.md'));
  for (const scope of ['@trpc', '@noble'])
    await symlink(join(rootModules, scope), join(consumer, 'node_modules', scope));
}, 120_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the published package', () => {
  it('the generated router types say what the hub router says (else: npm run generate -w @ppv/sdk)', async () => {
    expect(generateRouterTypes()).toBe(await readFile(generatedFile, 'utf8'));
  });

  it('its declarations import nothing but its own dependencies', async () => {
    for (const file of ['index.d.ts', 'index.d.cts']) {
      const text = await readFile(join(pkg, 'dist', file), 'utf8');
      const imported = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(new Set(imported)).toEqual(new Set(['@trpc/client', '@trpc/server']));
    }
  });

  it('a TypeScript project without the hub’s packages gets the full types, ESM and CommonJS', async () => {
    const usage = `
import { createPpvClient, PpvError, type Video } from '@ppv/sdk';
const client = createPpvClient({ hub: 'https://videos.example.com', tenant: 'demo' });
export async function price(id: string): Promise<number> {
  const video: Video = await client.videos.get(id);
  // @ts-expect-error not a field of a video: proves the types are not any
  video.noSuchField;
  const check = await client.access(id);
  if (!check.allowed) {
    const reason: 'sign_in_required' | 'payment_required' | 'not_ready' | 'blocked' = check.reason;
    void reason;
  }
  const session = await client.trpc.playback.start.mutate({ videoId: id });
  const url: string = session.masterUrl;
  void url;
  // @ts-expect-error the input is checked too
  await client.trpc.videos.list.query({ limit: 'ten' });
  return video.priceCents;
}
export const isPpvError = (e: unknown) => e instanceof PpvError && e.code === 'PAYMENT_REQUIRED';
`;
    await writeFile(join(consumer, 'esm.mts'), usage);
    await writeFile(
      join(consumer, 'cjs.cts'),
      usage.replace(/^import (.*) from '@ppv\/sdk';$/m, 'import $1 from "@ppv/sdk";'),
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          // tRPC's own declarations use Disposable.
          lib: ['es2022', 'dom', 'esnext.disposable'],
          types: [],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const result = await run(bin('tsc'), ['-p', consumer]).then(
      () => 'ok',
      (e: { stdout: string }) => e.stdout,
    );
    expect(result).toBe('ok');
  }, 120_000);

  it('loads in Node as ESM and as CommonJS', async () => {
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { createPpvClient } from '@ppv/sdk'; console.log(typeof createPpvClient({ hub: 'http://h.test' }).videos.get)",
      ],
      { cwd: consumer },
    );
    expect(esm.stdout.trim()).toBe('function');
    const cjs = await run(process.execPath, ['-e', "console.log(typeof require('@ppv/sdk').PpvError)"], {
      cwd: consumer,
    });
    expect(cjs.stdout.trim()).toBe('function');
  });

  it('passes publint and Are The Types Wrong', async () => {
    const lint = await run(bin('publint'), [pkg]);
    expect(lint.stdout).toContain('All good!');
    const attw = await run(bin('attw'), ['--pack', pkg, '--format', 'ascii']).then(
      (r) => r.stdout,
      (e: { stdout: string }) => e.stdout,
    );
    expect(attw).toContain('No problems found');
  }, 120_000);
});
