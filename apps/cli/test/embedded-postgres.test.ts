import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/embedded/postgres';
import { isAlive } from '../src/embedded/processes';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ppv-embedded-pg-'));
  // As root the server runs as the "postgres" user, which must be able to enter the folder.
  await chmod(dir, 0o755);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: { info: (msg: string) => lines.push(msg), warn: (msg: string) => lines.push(msg) },
  };
}

async function start(dataDir: string, logger = recordingLogger().logger): Promise<EmbeddedPostgres> {
  const db = await startEmbeddedPostgres({ dataDir, logger });
  cleanups.push(() => db.stop());
  return db;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

const lockFile = (dataDir: string) => join(dataDir, 'postgres', 'data', 'postmaster.pid');

async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt(await readFile(lockFile(dataDir), 'utf8'), 10);
}

/** The postmaster's children: checkpointer, background writer, I/O workers, client backends… */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (Number(ppid) === pid) children.push(Number(entry));
  }
  return children;
}

const packageDir = new URL('..', import.meta.url);
const moduleUrl = new URL('../src/embedded/postgres.ts', import.meta.url).href;

/**
 * Starts the server from another Node process, as `npm start` does, then runs `body` there (with
 * `db` and `pg` in scope). Resolves once the server is up, with the pid of its postmaster.
 */
async function startInChildProcess(
  dataDir: string,
  body: string,
  options: { detached?: boolean; beforeReady?: string } = {},
) {
  const script = `
    import { readFileSync } from 'node:fs';
    import pg from 'pg';
    const { startEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)});
    const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
    ${options.beforeReady ?? ''}
    console.log('ready ' + Number.parseInt(readFileSync(${JSON.stringify(lockFile(dataDir))}, 'utf8')));
    ${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  cleanups.push(async () => child.kill('SIGKILL'));
  const postmaster = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const ready = /^ready (\d+)$/m.exec(output);
      if (ready) resolve(Number(ready[1]));
    });
    child.once('close', (code) =>
      reject(new Error(`the child process exited (${code}) before the server was up`)),
    );
  });
  cleanups.push(async () => {
    if (isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
  });
  return { child, postmaster, output: () => output };
}

describe('embedded PostgreSQL', { timeout: 120_000 }, () => {
  it('starts on an empty folder and serves the ppv database', async () => {
    const dataDir = await tempDataDir();
    const { lines, logger } = recordingLogger();
    const db = await start(dataDir, logger);

    const url = new URL(db.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(db.port);
    expect(url.pathname).toBe('/ppv');
    const [row] = await query<{ db: string; superuser: string }>(
      db.url,
      "SELECT current_database() AS db, current_setting('is_superuser') AS superuser",
    );
    expect(row).toEqual({ db: 'ppv', superuser: 'on' });
    expect(lines.join('\n')).toMatch(/first run/);
    expect(lines.join('\n')).not.toContain(url.password);
  });

  it('stop leaves no PostgreSQL process behind and can be called again', async () => {
    const dataDir = await tempDataDir();
    const db = await start(dataDir);
    const pid = await postmasterPid(dataDir);
    const children = await childrenOf(pid);
    expect(children.length).toBeGreaterThan(0);

    await db.stop();

    expect([pid, ...children].filter(isAlive)).toEqual([]);
    await expect(stat(lockFile(dataDir))).rejects.toThrow(/ENOENT/);
    await expect(db.stop()).resolves.toBeUndefined();
  });

  it('keeps tables, rows and the password across a restart on the same folder', async () => {
    const dataDir = await tempDataDir();
    const first = await start(dataDir);
    await query(first.url, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives')");
    await first.stop();

    const { lines, logger } = recordingLogger();
    const second = await start(dataDir, logger);

    expect(await query(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'survives' }]);
    const password = new URL(first.url).password;
    expect(new URL(second.url).password).toBe(password);
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dataDir, 'postgres', 'password'))).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).not.toMatch(/first run/);
  });

  it('behavior: a stale postmaster.pid from a crashed run does not prevent start', async () => {
    const dataDir = await tempDataDir();
    await (await start(dataDir)).stop();
    const exited = spawn(process.execPath, ['-e', '']);
    await once(exited, 'exit');
    await writeFile(lockFile(dataDir), `${exited.pid}\n${join(dataDir, 'postgres', 'data')}\n`);

    const { lines, logger } = recordingLogger();
    const db = await start(dataDir, logger);

    expect(await query(db.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(lines.join('\n')).toMatch(new RegExp(`stale .*pid ${exited.pid} is not our server`));
  });

  it('behavior: shuts down a server orphaned by a previous run that was killed', async () => {
    const dataDir = await tempDataDir();
    const { child, postmaster } = await startInChildProcess(dataDir, 'setInterval(() => {}, 1000);');
    const orphanChildren = await childrenOf(postmaster);
    child.kill('SIGKILL');
    await once(child, 'close');
    expect(isAlive(postmaster)).toBe(true);

    const { lines, logger } = recordingLogger();
    const db = await start(dataDir, logger);

    expect([postmaster, ...orphanChildren].filter(isAlive)).toEqual([]);
    expect(lines.join('\n')).toMatch(new RegExp(`stopping PostgreSQL \\(pid ${postmaster}\\) left running`));
    expect(await query(db.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('behavior: a process that exits without calling stop() takes its server down', async () => {
    const dataDir = await tempDataDir();
    const { child, postmaster } = await startInChildProcess(dataDir, 'process.exit(0);');
    await once(child, 'close');

    await vi.waitFor(() => expect(isAlive(postmaster)).toBe(false), { timeout: 30_000, interval: 50 });
    await expect(stat(lockFile(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('behavior: a Ctrl-C reaches only Node, which can still use the database, then stop it', async () => {
    const dataDir = await tempDataDir();
    // The handler is in place before the child says "ready", so the signal below cannot arrive
    // while Node would still apply the default action (exit) to it.
    const { child, postmaster, output } = await startInChildProcess(dataDir, '', {
      detached: true,
      beforeReady: `process.once('SIGINT', async () => {
        const client = new pg.Client(db.url);
        await client.connect();
        const { rows } = await client.query('SELECT 1 AS one');
        await client.end();
        await db.stop();
        console.log('served ' + rows[0].one + ' after SIGINT');
      });`,
    });

    // What a terminal does on Ctrl-C: signal the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    const [code] = await once(child, 'close');

    expect(output()).toContain('served 1 after SIGINT');
    expect(code).toBe(0);
    expect(isAlive(postmaster)).toBe(false);
  });

  it('error: refuses a folder whose server belongs to another running process', async () => {
    const dataDir = await tempDataDir();
    const db = await start(dataDir);

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/belongs to another running process/);
    expect(await query(db.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('listens on the port it is given', async () => {
    const dataDir = await tempDataDir();
    const port = await freePort();
    const db = await startEmbeddedPostgres({ dataDir, port });
    cleanups.push(() => db.stop());

    expect(db.port).toBe(port);
    expect(new URL(db.url).port).toBe(String(port));
  });
});
