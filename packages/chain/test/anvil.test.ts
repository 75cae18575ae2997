import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestClient, http, publicActions, walletActions } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnvilInstance, AnvilStartError, DEV_ACCOUNTS, DEV_MNEMONIC, startAnvil } from '../src/index';

const started: AnvilInstance[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((anvil) => anvil.stop()));
});

async function start(options?: Parameters<typeof startAnvil>[0]): Promise<AnvilInstance> {
  const anvil = await startAnvil(options);
  started.push(anvil);
  return anvil;
}

/** Whether the process is alive; a zombie (dead, waiting for its parent or init to reap it) is not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function testClient(anvil: AnvilInstance) {
  return createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    .extend(publicActions)
    .extend(walletActions);
}

describe('startAnvil', () => {
  it('starts on a free port of 127.0.0.1 and answers with its chain id', async () => {
    const anvil = await start();
    expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`);
    expect(anvil.chainId).toBe(31337);
    expect(await testClient(anvil).getChainId()).toBe(31337);
  });

  it('uses the requested port and chain id', async () => {
    const port = await freePort();
    const anvil = await start({ port, chainId: 4242 });
    expect(anvil.port).toBe(port);
    expect(anvil.chainId).toBe(4242);
    expect(await testClient(anvil).getChainId()).toBe(4242);
  });

  it('runs two chains side by side', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
  });

  it('stops the process and leaves nothing running', async () => {
    const anvil = await startAnvil();
    expect(isRunning(anvil.pid)).toBe(true);
    await anvil.stop();
    expect(isRunning(anvil.pid)).toBe(false);
    await anvil.stop();
  });

  it('behavior: the chain dies with the Node process that started it', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'start-and-exit.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture]);
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // SIGKILL is sent as the parent exits; delivery is asynchronous.
    await expect.poll(() => isRunning(pid), { timeout: 10_000 }).toBe(false);
  }, 30_000);

  it('keeps its chain across restarts when given a state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppv-anvil-'));
    try {
      const stateFile = join(dir, 'chain.json');
      const first = await startAnvil({ stateFile });
      await testClient(first).mine({ blocks: 7 });
      await first.stop();

      const second = await start({ stateFile });
      expect(await testClient(second).getBlockNumber({ cacheTime: 0 })).toBe(7n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('error: a port in use fails fast with the output of anvil', async () => {
    const server = await listen();
    try {
      const port = (server.address() as { port: number }).port;
      const failure = startAnvil({ port });
      await expect(failure).rejects.toThrow(AnvilStartError);
      await expect(failure).rejects.toThrow(/anvil exited during start-up[\s\S]*address already in use/i);
    } finally {
      server.close();
    }
  });
});

describe('DEV_ACCOUNTS', () => {
  it('are the accounts anvil funds from its default mnemonic', async () => {
    const anvil = await start();
    const accounts = await testClient(anvil).getAddresses();
    expect(accounts.map((address) => address.toLowerCase())).toEqual(
      DEV_ACCOUNTS.map((account) => account.address.toLowerCase()),
    );
    DEV_ACCOUNTS.forEach((account, index) => {
      expect(privateKeyToAccount(account.privateKey).address).toBe(account.address);
      expect(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).address).toBe(account.address);
    });
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
