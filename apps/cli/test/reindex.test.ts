import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AnvilInstance,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  startAnvil,
} from '@ppv/chain';
import { findChainCursor } from '@ppv/db';
import { createTestDatabase, type TestDatabase } from '@ppv/db/testing';
import { type Address, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/ppv.mjs', import.meta.url));
const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);

let anvil: AnvilInstance;
let db: TestDatabase;
let dataDir: string;
let splitter: Address;

beforeAll(async () => {
  anvil = await startAnvil();
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  ({ splitter } = await deployPaymentContracts(wallet, client, {
    owner: owner.address,
    invoiceSigner: DEV_ACCOUNTS[1].address,
  }));
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'ppv-reindex-'));
}, 60_000);
afterAll(async () => {
  await db?.drop();
  await anvil?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function ppv(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      RPC_URL: anvil.rpcUrl,
      INVOICE_SIGNER_KEY: DEV_ACCOUNTS[1].privateKey,
      SPLITTER_ADDRESS: splitter,
      HUB_PAYOUT_WALLET: DEV_ACCOUNTS[7].address,
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

const cursor = () =>
  findChainCursor(db.orm.em.fork(), { chainId: anvil.chainId, contract: splitter.toLowerCase() });

describe('ppv reindex', () => {
  it('moves the cursor to the block before --from, and back to the start without it', async () => {
    const moved = await ppv(['reindex', '--from', '2']);
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(moved.stdout).toBe(
      `Indexer of ${splitter.toLowerCase()} on chain 31337: reads again from block 2 (was at nothing indexed yet); recorded payments are kept\n`,
    );
    expect(await cursor()).toMatchObject({ blockNumber: 1n });

    const back = await ppv(['reindex']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('reads again from block 0 (was at 1)');
    expect(await cursor()).toMatchObject({ blockNumber: null, blockHash: null });
  }, 60_000);

  it('error: a --from that is not a block number exits 1 with the reason and changes nothing', async () => {
    await ppv(['reindex', '--from', '1']);
    const result = await ppv(['reindex', '--from', 'yesterday']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('error: from: expected a block number (a non-negative integer)\n');
    expect((await cursor())?.blockNumber).toBe(0n);
  }, 60_000);

  it('error: without payments configured it says what is missing', async () => {
    const result = await ppv(['reindex'], {
      INVOICE_SIGNER_KEY: '',
      SPLITTER_ADDRESS: '',
      HUB_PAYOUT_WALLET: '',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: Payments are not configured: the indexer needs RPC_URL, INVOICE_SIGNER_KEY/,
    );
  }, 60_000);
});
