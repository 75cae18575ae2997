import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export type StartAnvilOptions = {
  /** Port on 127.0.0.1. A free one is picked when omitted (anvil does not accept port 0). */
  port?: number;
  /** Defaults to 31337. */
  chainId?: number;
  /** Seconds between blocks (interval mining). Omitted: a block per transaction (automine). */
  blockTime?: number;
  /**
   * Load the chain from this file when it exists and dump it there on exit (and every few seconds),
   * so a dev chain survives restarts.
   */
  stateFile?: string;
  /** Defaults to anvil's "test test … junk" mnemonic, i.e. {@link DEV_ACCOUNTS}. */
  mnemonic?: string;
  /** How long to wait for the RPC to answer. Defaults to 15 s. */
  startTimeoutMs?: number;
};

export type AnvilInstance = {
  rpcUrl: string;
  port: number;
  chainId: number;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
};

export class AnvilStartError extends Error {
  constructor(
    message: string,
    readonly outputTail: string,
  ) {
    super(outputTail ? `${message}\n--- anvil output (tail) ---\n${outputTail}` : message);
    this.name = 'AnvilStartError';
  }
}

const HOST = '127.0.0.1';
const DEFAULT_CHAIN_ID = 31337;
const STOP_GRACE_MS = 5_000;
const STATE_INTERVAL_SECONDS = 10;
const OUTPUT_TAIL_BYTES = 4_096;
const PORT_ATTEMPTS = 3;

/** Children still running, killed synchronously if this process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Path to the anvil binary shipped on npm as @foundry-rs/anvil-linux-amd64, made executable if needed. */
export function anvilBinaryPath(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the bundled anvil is built for linux/x64, this is ${process.platform}/${process.arch}; ` +
        'add the matching @foundry-rs/anvil-* package',
    );
  }
  const require = createRequire(import.meta.url);
  const binary = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    // npm does not always keep the exec bit of files in optional platform packages.
    try {
      chmodSync(binary, statSync(binary).mode | 0o111);
    } catch (error) {
      throw new Error(`${binary} is not executable and could not be made so`, { cause: error });
    }
  }
  return binary;
}

/** Spawns a local anvil on 127.0.0.1 and resolves once it answers `eth_chainId`. */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  if (options.port !== undefined) return launch(options, options.port);
  // Another process can take the free port between our probe and anvil's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(options, await findFreePort());
    } catch (error) {
      const addressInUse =
        error instanceof AnvilStartError && /address already in use/i.test(error.outputTail);
      if (!addressInUse || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(options: StartAnvilOptions, port: number): Promise<AnvilInstance> {
  const chainId = options.chainId ?? DEFAULT_CHAIN_ID;
  const args = ['--host', HOST, '--port', String(port), '--chain-id', String(chainId)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.mnemonic !== undefined) args.push('--mnemonic', options.mnemonic);
  if (options.stateFile !== undefined) {
    args.push('--state', options.stateFile, '--state-interval', String(STATE_INTERVAL_SECONDS));
  }

  // Not detached: anvil stays in our process group, so a terminal's Ctrl-C reaches it too.
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  running.add(child);
  installExitHook();
  void exited.then(() => running.delete(child));

  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawned || child.pid === undefined) {
    throw new AnvilStartError(`could not spawn anvil: ${spawned?.message ?? 'no pid'}`, output.text());
  }
  const pid = child.pid;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const rpcUrl = `http://${HOST}:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new AnvilStartError(
        `anvil exited during start-up (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode})`,
        output.text(),
      );
    }
    try {
      const answered = await rpcChainId(rpcUrl);
      if (answered !== chainId) {
        await stop();
        throw new AnvilStartError(
          `anvil on ${rpcUrl} reports chain id ${answered}, expected ${chainId}`,
          output.text(),
        );
      }
      return { rpcUrl, port, chainId, pid, stop };
    } catch (error) {
      if (error instanceof AnvilStartError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    await Promise.race([exited, sleep(100)]);
  }
  await stop();
  throw new AnvilStartError(
    `anvil did not answer eth_chainId on ${rpcUrl} within ${timeoutMs} ms (${lastError})`,
    output.text(),
  );
}

async function rpcChainId(rpcUrl: string): Promise<number> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await response.json()) as { result?: string };
  if (typeof body.result !== 'string')
    throw new Error(`unexpected eth_chainId answer: ${JSON.stringify(body)}`);
  return Number.parseInt(body.result, 16);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last few KiB of a process's combined output for error messages. */
class OutputTail {
  #chunks: Buffer[] = [];
  #size = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - (this.#chunks[0]?.length ?? 0) >= OUTPUT_TAIL_BYTES) {
      this.#size -= this.#chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return Buffer.concat(this.#chunks).subarray(-OUTPUT_TAIL_BYTES).toString('utf8').trim();
  }
}

/**
 * DEVELOPMENT ONLY. The ten accounts anvil derives from its public default mnemonic
 * "test test test test test test test test test test test junk" (m/44'/60'/0'/0/i).
 * Their keys are known to everyone: never use them, or that mnemonic, on a real network.
 */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** DEVELOPMENT ONLY: see {@link DEV_MNEMONIC}. */
export const DEV_ACCOUNTS = [
  {
    address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  },
  {
    address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  },
  {
    address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  },
  {
    address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  },
  {
    address: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
    privateKey: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  },
  {
    address: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
    privateKey: '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  },
  {
    address: '0x976EA74026E726554dB657fA54763abd0C3a0aa9',
    privateKey: '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  },
  {
    address: '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955',
    privateKey: '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  },
  {
    address: '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f',
    privateKey: '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  },
  {
    address: '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720',
    privateKey: '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
  },
] as const satisfies readonly { address: `0x${string}`; privateKey: `0x${string}` }[];

export type DevAccount = (typeof DEV_ACCOUNTS)[number];
