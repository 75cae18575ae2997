import { createTestClient, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilInstance, chainFor, chainHealth, createChainClient, startAnvil } from '../src/index';

describe('createChainClient', () => {
  it('uses the foundry chain for 31337 and a custom chain otherwise, both served by the given RPC', () => {
    const local = createChainClient({ rpcUrl: 'http://127.0.0.1:9', chainId: 31337 });
    expect(local.chain.name).toBe('Foundry');
    expect(local.chain.rpcUrls.default.http).toEqual(['http://127.0.0.1:9']);

    const custom = chainFor(8453, 'https://rpc.example.test');
    expect(custom.id).toBe(8453);
    expect(custom.nativeCurrency.decimals).toBe(18);
    expect(custom.rpcUrls.default.http).toEqual(['https://rpc.example.test']);
  });
});

describe('chainHealth', () => {
  let anvil: AnvilInstance;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil.stop();
  });

  it('reports ok with the chain id and head block of a running node', async () => {
    const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
    await createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) }).mine({ blocks: 3 });
    expect(await chainHealth(client, 31337)).toEqual({ ok: true, chainId: 31337, blockNumber: '3' });
  });

  it('error: reports a node on another chain as not ok', async () => {
    const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
    const health = await chainHealth(client, 1);
    expect(health.ok).toBe(false);
    expect(health.chainId).toBe(31337);
    expect(health.error).toBe('chain id is 31337, expected 1');
  });

  it('error: reports a stopped node as not ok without throwing or naming the RPC URL', async () => {
    const stopped = await startAnvil();
    await stopped.stop();
    const client = createChainClient({ rpcUrl: stopped.rpcUrl, chainId: stopped.chainId });
    const health = await chainHealth(client, stopped.chainId);
    expect(health.ok).toBe(false);
    expect(health.chainId).toBeUndefined();
    expect(health.error).toBe('HTTP request failed. (ECONNREFUSED)');
    expect(health.error).not.toContain(String(stopped.port));
  });
});
