import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import type { ConsoleLocals } from './lib/hub';

const require = createRequire(import.meta.url);

/** The console package's folder, found through node_modules (also from a bundle elsewhere). */
export const consoleDir = dirname(require.resolve('@ppv/console/package.json'));
const sdkDir = dirname(require.resolve('@ppv/sdk/package.json'));
const sdkBuild = join(sdkDir, 'dist', 'index.js');
const distDir = join(consoleDir, 'dist');
const entry = join(distDir, 'server', 'entry.mjs');
const stampFile = join(distDir, '.source-hash');
const INPUTS = ['src', 'public', 'astro.config.mjs', 'package.json', 'tsconfig.json'];

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info) return [];
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).sort();
  return (await Promise.all(names.map((n) => filesUnder(join(path, n))))).flat();
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A hash of the console's sources and of the SDK build it bundles, or null without sources. */
export async function sourceHash(): Promise<string | null> {
  const files = (await Promise.all(INPUTS.map((p) => filesUnder(join(consoleDir, p))))).flat();
  if (!files.some((f) => f.startsWith(join(consoleDir, 'src')))) return null;
  const hash = createHash('sha256');
  for (const file of [...files, ...(await filesUnder(sdkBuild))]) {
    hash
      .update(relative(consoleDir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

function runNode(args: string[], cwd: string, what: string): Promise<void> {
  let output = '';
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** Builds @ppv/sdk (which the console bundles) when it has no build, then the console itself. */
export async function buildConsole(): Promise<void> {
  if (!(await exists(sdkBuild))) {
    const tsup = join(dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');
    await runNode([tsup], sdkDir, 'building @ppv/sdk');
  }
  const hash = await sourceHash();
  if (hash === null) throw new Error(`The console's sources are not in ${consoleDir}; cannot build it`);
  const astro = join(dirname(require.resolve('astro/package.json')), 'bin', 'astro.mjs');
  await runNode([astro, 'build', '--silent'], consoleDir, 'astro build');
  await writeFile(stampFile, `${hash}\n`);
}

/** Builds the console when its build is missing or older than its sources; says what it did. */
export async function ensureConsoleBuilt(): Promise<'built' | 'fresh' | 'prebuilt'> {
  const built = await exists(entry);
  const current = (await exists(sdkBuild)) ? await sourceHash() : 'missing sdk';
  if (current === null) {
    if (built) return 'prebuilt';
    throw new Error(`The console has neither sources nor a build in ${consoleDir}`);
  }
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  if (built && stamp.trim() === current) return 'fresh';
  await buildConsole();
  return 'built';
}

type Handler = (
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
  locals: ConsoleLocals,
) => void;

export interface ConsoleOptions {
  /** The hub's base URL the console's server calls (`/trpc`, `/uploads`, `/healthz`). */
  hubUrl: string;
  /** The tenant signed in to when the sign-in form names none. */
  defaultTenant: string;
  host: string;
  port: number;
  /** Secure cookies (production, behind https). */
  secureCookies: boolean;
  /**
   * express's `trust proxy` for the console's own clients (TRUST_PROXY): whom to believe about
   * the client's address, which the console passes on to the hub in `X-Forwarded-For`.
   */
  trustProxy?: boolean | number | string[];
  /** Where an unexpected error of a page is reported (its visitor sees a generic 500 page). */
  onError?: (error: unknown, path: string) => void;
}

export interface RunningConsole {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The console's HTTP server: its built assets, then every page rendered by Astro. */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const built = (await import(pathToFileURL(entry).href)) as { handler: Handler };
  const locals: Omit<ConsoleLocals, 'clientIp'> = {
    hubUrl: opts.hubUrl.replace(/\/+$/, ''),
    defaultTenant: opts.defaultTenant,
    secureCookies: opts.secureCookies,
  };
  const hubOrigin = new URL(locals.hubUrl).origin;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? false);
  app.use((_req, res, next) => {
    res.set(
      'content-security-policy',
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        `img-src 'self' data: https: ${hubOrigin}`,
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
      ].join('; '),
    );
    res.set('x-content-type-options', 'nosniff');
    res.set('referrer-policy', 'same-origin');
    next();
  });
  app.use(
    '/_astro',
    express.static(join(distDir, 'client', '_astro'), {
      immutable: true,
      maxAge: '365d',
      fallthrough: false,
    }),
  );
  app.use((req, res, next) => built.handler(req, res, next, { ...locals, clientIp: req.ip ?? null }));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  const report = opts.onError ?? ((error: unknown, path: string) => console.error(`console: ${path}`, error));
  app.use(((error, req, res, _next) => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res
        .status(status)
        .type('text/plain')
        .send(status === 404 ? 'Not found' : 'Bad request');
      return;
    }
    report(error, req.path);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).type('text/plain').send('Something went wrong in the console; please try again.');
  }) as express.ErrorRequestHandler);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.on('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = ['0.0.0.0', '::', '127.0.0.1'].includes(opts.host) ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
