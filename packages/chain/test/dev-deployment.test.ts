import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  DEV_FUND_AMOUNT,
  ensureDevDeployment,
  startAnvil,
  testUSDAbi,
  x402SplitterAbi,
} from '../src/index';

let anvil: AnvilInstance;
let client: ChainClient;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  dir = mkdtempSync(join(tmpdir(), 'ppv-dev-deploy-'));
});

afterAll(async () => {
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ensureDevDeployment', () => {
  it('deploys once, funds the addresses, and a restart reuses the same contracts', async () => {
    const stateFile = join(dir, 'reuse', 'contracts.json');
    const viewer = DEV_ACCOUNTS[4].address;
    const first = await ensureDevDeployment({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      stateFile,
      fundAddresses: [viewer],
    });
    expect(first.deployed).toBe(true);
    expect(first.hubPayoutWallet).toBe(DEV_ACCOUNTS[2].address);
    expect(first.invoiceSignerKey).toBe(DEV_ACCOUNTS[1].privateKey);
    const signer = await client.readContract({
      address: first.splitter,
      abi: x402SplitterAbi,
      functionName: 'invoiceSigner',
    });
    expect(signer).toBe(DEV_ACCOUNTS[1].address);
    const balance = await client.readContract({
      address: first.stablecoin,
      abi: testUSDAbi,
      functionName: 'balanceOf',
      args: [viewer],
    });
    expect(balance).toBe(DEV_FUND_AMOUNT);

    const second = await ensureDevDeployment({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, stateFile });
    expect(second.deployed).toBe(false);
    expect(second.splitter).toBe(first.splitter);
    expect(second.stablecoin).toBe(first.stablecoin);
  });

  it('deploys again when the recorded addresses have no code on the chain', async () => {
    const stateFile = join(dir, 'stale.json');
    writeFileSync(
      stateFile,
      JSON.stringify({
        chainId: anvil.chainId,
        splitter: '0x000000000000000000000000000000000000dEaD',
        stablecoin: '0x000000000000000000000000000000000000bEEF',
      }),
    );
    const result = await ensureDevDeployment({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, stateFile });
    expect(result.deployed).toBe(true);
    expect(await client.getCode({ address: result.splitter })).not.toBe('0x');
  });
});
