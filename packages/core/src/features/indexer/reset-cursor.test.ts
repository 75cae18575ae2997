import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  startAnvil,
} from '@ppv/chain';
import { payInvoicesInBulk } from '@ppv/chain/testing';
import { findChainCursor, withHubScope } from '@ppv/db';
import { type Address, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../deps';
import { createHarness, type Harness } from '../../testing';
import { resetIndexerCursor } from './reset-cursor';
import { runIndexerPass } from './run-indexer';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const signer = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const recipients = {
  creator: DEV_ACCOUNTS[5].address,
  tenant: DEV_ACCOUNTS[6].address,
  hub: DEV_ACCOUNTS[7].address,
};

let anvil: AnvilInstance;
let client: ChainClient;
let splitter: Address;
let h: Harness;
let deps: AppDeps;

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = createWalletClient({ account: owner, chain: client.chain, transport: http(anvil.rpcUrl) });
  ({ splitter } = await deployPaymentContracts(wallet, client, {
    owner: owner.address,
    invoiceSigner: signer.address,
  }));
  h = await createHarness({ chain: { client, chainId: anvil.chainId } });
  deps = {
    ...h.deps,
    config: {
      ...h.deps.config,
      money: {
        ...h.deps.config.money,
        confirmations: 0,
        payments: {
          signerKey: DEV_ACCOUNTS[1].privateKey,
          splitterAddress: splitter,
          hubPayoutWallet: recipients.hub,
        },
      },
    },
  };
}, 60_000);
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

const paymentCount = () =>
  withHubScope(h.db.orm, async (em) => {
    const [row] = await em.execute<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM payments WHERE contract = ?',
      [splitter.toLowerCase()],
    );
    return row?.n ?? 0;
  });
const cursor = () =>
  findChainCursor(h.db.orm.em.fork(), { chainId: anvil.chainId, contract: splitter.toLowerCase() });

describe('resetIndexerCursor (ppv reindex)', () => {
  it('reads again from the given block without recording any payment twice; twice is the same as once', async () => {
    const payments = await payInvoicesInBulk({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      splitter,
      signer,
      payer: DEV_ACCOUNTS[2].address,
      count: 4,
      recipients,
      perBlock: 1,
    });
    expect((await runIndexerPass(deps))?.events).toBe(4);
    expect(await paymentCount()).toBe(4);
    const indexedTo = (await cursor())?.blockNumber;
    const from = payments[1]!.blockNumber;

    const reset = await resetIndexerCursor(deps, { from: from.toString() });
    expect(reset).toEqual({
      chainId: anvil.chainId,
      contract: splitter.toLowerCase(),
      from: from.toString(),
      previous: indexedTo?.toString(),
    });
    expect(await cursor()).toMatchObject({
      blockNumber: from - 1n,
      blockHash: (await client.getBlock({ blockNumber: from - 1n })).hash,
    });
    expect(await resetIndexerCursor(deps, { from: from.toString() })).toMatchObject({
      previous: (from - 1n).toString(),
    });

    const again = await runIndexerPass(deps);
    expect(again).toMatchObject({ ok: true, events: 3, reorgs: [] });
    expect(await paymentCount()).toBe(4);
    expect((await cursor())?.blockNumber).toBe(indexedTo);
  });

  it('without --from goes back to INDEXER_START_BLOCK', async () => {
    expect(await resetIndexerCursor(deps, {})).toMatchObject({ from: '0' });
    expect(await cursor()).toMatchObject({ blockNumber: null, blockHash: null });
    expect((await runIndexerPass(deps))?.events).toBe(4);
    expect(await paymentCount()).toBe(4);
  });

  it('error: a block that is not a number, or past the head, is refused and the cursor stays', async () => {
    const before = await cursor();
    await expect(resetIndexerCursor(deps, { from: '-3' })).rejects.toThrow(/expected a block number/);
    await expect(resetIndexerCursor(deps, { from: 'latest' })).rejects.toThrow(/expected a block number/);
    const head = await client.getBlockNumber({ cacheTime: 0 });
    await expect(resetIndexerCursor(deps, { from: (head + 5n).toString() })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Block ${head + 5n} is past the chain's head (${head})`,
    });
    expect(await cursor()).toEqual(before);
  });

  it('error: without payments configured there is no cursor to reset', async () => {
    await expect(resetIndexerCursor(h.deps, {})).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
  });
});
