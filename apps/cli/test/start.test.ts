import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/ppv.mjs', import.meta.url));
let dataDir: string;
let firstSplitter: string;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Processes whose command line mentions `needle` (our postgres and anvil name the data folder). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(needle) && !/\) Z /.test(state))
      found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** The command lines of the processes whose parent is `pid`. */
async function childrenOf(pid: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const state = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so count from the last parenthesis.
    const ppid = Number(state.slice(state.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid)
      found.push((await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' '));
  }
  return found;
}

async function healthy(url: string, deadline: number): Promise<unknown> {
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return res.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the hub did not become healthy in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startAndStop(): Promise<{
  health: unknown;
  output: string;
  code: number | null;
  consolePort: number;
  consoleSignIn: number;
  children: string[];
}> {
  const port = await freePort();
  const consolePort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: dataDir,
    PORT: String(port),
    CONSOLE_PORT: String(consolePort),
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [bin, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  try {
    const health = await healthy(`http://127.0.0.1:${port}`, Date.now() + 90_000);
    // The banner comes last, once the console listens too.
    for (const deadline = Date.now() + 90_000; !output.includes('Press Ctrl-C to stop.'); ) {
      if (Date.now() > deadline) throw new Error('no start banner in time');
      await new Promise((r) => setTimeout(r, 250));
    }
    const consoleSignIn = (await fetch(`http://127.0.0.1:${consolePort}/sign-in`)).status;
    const children = await childrenOf(child.pid!);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = await exited;
    return { health, output, code, consolePort, consoleSignIn, children };
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
}

describe('ppv start with nothing configured', () => {
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts embedded PostgreSQL and anvil on an empty data folder, is healthy, and stops with no orphans', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ppv-start-'));
    await chmod(dataDir, 0o755);
    const first = await startAndStop();
    expect(first.health).toMatchObject({
      ok: true,
      database: { ok: true },
      worker: { ok: true },
      chain: { ok: true, chainId: 31337 },
    });
    expect(first.output).toContain('PPV Stream is running.');
    expect(first.output).toContain('user01 … user10');
    expect(first.output).toContain('(seeded just now)');
    // The hub console runs on its own port, and the banner gives its address.
    expect(first.output).toContain(`Console             http://localhost:${first.consolePort}`);
    expect(first.consoleSignIn).toBe(200);
    // Started without the V8 flag the hub needs, `ppv start` runs itself again with it.
    expect(
      first.children.filter((c) => c.includes('--max-semi-space-size=2') && c.includes('start')),
    ).toHaveLength(1);
    expect(first.output).not.toMatch(/postgres:\/\/postgres:(?!\*\*\*)/);
    expect(first.code).toBe(0);
    expect(await processesMentioning(dataDir)).toEqual([]);
    // The dev chain got the splitter and TestUSD, and the banner names them with the demo wallets.
    const contracts = JSON.parse(await readFile(join(dataDir, 'dev-contracts.json'), 'utf8'));
    expect(contracts.splitter).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(first.output).toContain(`splitter      ${contracts.splitter}`);
    // Its worker indexes that splitter.
    expect(first.health).toMatchObject({
      indexer: { configured: true, ok: true, chainId: 31337, contract: contracts.splitter.toLowerCase() },
    });
    expect(first.output).toContain(`TestUSD       ${contracts.stablecoin}`);
    firstSplitter = contracts.splitter;
    expect(first.output).toMatch(/wallet 1 {6}0x[0-9a-fA-F]{40} {2}key 0x[0-9a-f]{64}/);
  });

  it('restarts on the same folder with its data (no second seed) and stops cleanly again', async () => {
    const second = await startAndStop();
    expect(second.health).toMatchObject({ ok: true });
    expect(second.output).not.toContain('(seeded just now)');
    // The restart reuses the contracts deployed on the first start (anvil keeps its state).
    const contracts = JSON.parse(await readFile(join(dataDir, 'dev-contracts.json'), 'utf8'));
    expect(contracts.splitter).toBe(firstSplitter);
    expect(second.output).toContain(`splitter      ${contracts.splitter}`);
    expect(second.code).toBe(0);
    expect(await processesMentioning(dataDir)).toEqual([]);
  });
});
