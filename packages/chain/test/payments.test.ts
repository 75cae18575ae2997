import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  type LocalAccount,
  recoverTypedDataAddress,
  serializeSignature,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  isLogRangeTooLarge,
  mintTestUsd,
  NATIVE_TOKEN,
  newAuthorizationNonce,
  type PaymentContracts,
  payInvoiceNative,
  payInvoiceWithAuthorization,
  payInvoiceWithToken,
  readPaidEvents,
  receiveAuthorizationTypes,
  signInvoice,
  signReceiveAuthorization,
  splitAmount,
  startAnvil,
  testSmartWalletAbi,
  testSmartWalletBytecode,
  testUSDAbi,
  tokenEip712Domain,
  videoIdHash,
  x402SplitterAbi,
} from '../src/index';

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const hubSigner = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const payer = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);
const creator = DEV_ACCOUNTS[5].address;
const tenant = DEV_ACCOUNTS[6].address;
const hub = DEV_ACCOUNTS[7].address;

let anvil: AnvilInstance;
let client: ChainClient;
let contracts: PaymentContracts;

const wallet = (account: LocalAccount) =>
  createWalletClient({ account, chain: client.chain, transport: http(anvil.rpcUrl) });

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  contracts = await deployPaymentContracts(wallet(owner), client, {
    owner: owner.address,
    invoiceSigner: hubSigner.address,
  });
});
afterAll(async () => {
  await anvil.stop();
});

let nextInvoice = 0;
async function invoice(overrides: Partial<InvoiceMessage> = {}): Promise<InvoiceMessage> {
  nextInvoice += 1;
  return {
    invoiceId: `0x${nextInvoice.toString(16).padStart(64, '0')}`,
    payer: payer.address,
    token: NATIVE_TOKEN,
    amount: 1_000_003n,
    creator,
    tenant,
    hub,
    creatorBps: 8_000,
    tenantBps: 1_500,
    hubBps: 500,
    videoIdHash: videoIdHash(`video-${nextInvoice}`),
    deadline: (await client.getBlock()).timestamp + 3_600n,
    ...overrides,
  };
}

const signed = (inv: InvoiceMessage, splitter = contracts.splitter) =>
  signInvoice(hubSigner, { chainId: anvil.chainId, verifyingContract: splitter }, inv);

describe('deployPaymentContracts and mintTestUsd', () => {
  it('deploys a TestUSD and a splitter owned by the owner, accepting the given invoice signer', async () => {
    for (const address of [contracts.splitter, contracts.stablecoin]) {
      expect(address).toBe(getAddress(address));
      expect(await client.getCode({ address })).toMatch(/^0x[0-9a-f]{100,}$/);
    }
    const read = (functionName: 'owner' | 'invoiceSigner') =>
      client.readContract({ address: contracts.splitter, abi: x402SplitterAbi, functionName });
    expect(await read('owner')).toBe(owner.address);
    expect(await read('invoiceSigner')).toBe(hubSigner.address);
    expect(
      await client.readContract({ address: contracts.stablecoin, abi: testUSDAbi, functionName: 'owner' }),
    ).toBe(owner.address);
  });

  it('mints TestUSD to an account', async () => {
    const receipt = await mintTestUsd(wallet(owner), client, {
      token: contracts.stablecoin,
      to: payer.address,
      amount: 50_000_000n,
    });
    expect(receipt.status).toBe('success');
    expect(
      await client.readContract({
        address: contracts.stablecoin,
        abi: testUSDAbi,
        functionName: 'balanceOf',
        args: [payer.address],
      }),
    ).toBe(50_000_000n);
  });

  it('error: minting from an account that does not own the token fails with the contract’s error', async () => {
    await expect(
      mintTestUsd(wallet(payer), client, { token: contracts.stablecoin, to: payer.address, amount: 1n }),
    ).rejects.toThrow('OwnableUnauthorizedAccount');
  });
});

describe('EIP-3009 helpers', () => {
  it('tokenEip712Domain reads the token’s EIP-5267 domain', async () => {
    expect(await tokenEip712Domain(client, contracts.stablecoin)).toEqual({
      name: 'Test USD',
      version: '1',
      chainId: anvil.chainId,
      verifyingContract: contracts.stablecoin,
    });
  });

  it('error: tokenEip712Domain names a contract that does not implement EIP-5267', async () => {
    const hash = await wallet(owner).deployContract({
      abi: testSmartWalletAbi,
      bytecode: testSmartWalletBytecode,
      args: [owner.address],
    });
    const address = getAddress((await client.waitForTransactionReceipt({ hash })).contractAddress!);
    await expect(tokenEip712Domain(client, address)).rejects.toThrow(
      `token ${address} does not report its EIP-712 domain (EIP-5267 eip712Domain())`,
    );
  });

  it('signReceiveAuthorization returns the signature and the same signature split into v, r, s', async () => {
    const domain = await tokenEip712Domain(client, contracts.stablecoin);
    const authorization = {
      from: payer.address,
      to: contracts.splitter,
      value: 123n,
      validAfter: 0n,
      validBefore: 2n ** 40n,
      nonce: newAuthorizationNonce(),
    };
    const { signature, v, r, s } = await signReceiveAuthorization(payer, domain, authorization);
    expect([27, 28]).toContain(v);
    expect(serializeSignature({ r, s, v: BigInt(v) })).toBe(signature);
    expect(
      await recoverTypedDataAddress({
        domain,
        types: receiveAuthorizationTypes,
        primaryType: 'ReceiveWithAuthorization',
        message: authorization,
        signature,
      }),
    ).toBe(payer.address);
  });

  it('newAuthorizationNonce makes distinct 32-byte nonces', () => {
    const nonces = new Set(Array.from({ length: 20 }, newAuthorizationNonce));
    expect(nonces.size).toBe(20);
    for (const nonce of nonces) expect(nonce).toMatch(/^0x[0-9a-f]{64}$/);
  });
});

describe('readPaidEvents', () => {
  it('decodes every path’s Paid event with its block, transaction and log index, in chain order', async () => {
    await mintTestUsd(wallet(owner), client, {
      token: contracts.stablecoin,
      to: payer.address,
      amount: 10n ** 9n,
    });
    const first = await client.getBlockNumber({ cacheTime: 0 });

    const native = await invoice();
    const nativeReceipt = await payInvoiceNative(wallet(payer), client, {
      splitter: contracts.splitter,
      invoice: native,
      signature: await signed(native),
    });
    const token = await invoice({ token: contracts.stablecoin, amount: 777n });
    const { payment } = await payInvoiceWithToken(wallet(payer), client, {
      splitter: contracts.splitter,
      invoice: token,
      signature: await signed(token),
    });
    const authorized = await invoice({ token: contracts.stablecoin, amount: 5_000_000n });
    const authorization = {
      from: payer.address,
      to: contracts.splitter,
      value: authorized.amount,
      validAfter: 0n,
      validBefore: authorized.deadline,
      nonce: newAuthorizationNonce(),
    };
    const authorizedReceipt = await payInvoiceWithAuthorization(wallet(owner), client, {
      splitter: contracts.splitter,
      invoice: authorized,
      signature: await signed(authorized),
      authorization,
      authorizationSignature: await signReceiveAuthorization(
        payer,
        await tokenEip712Domain(client, contracts.stablecoin),
        authorization,
      ),
    });

    const events = await readPaidEvents(client, {
      address: contracts.splitter,
      fromBlock: first,
      toBlock: await client.getBlockNumber({ cacheTime: 0 }),
    });
    const receipts = [nativeReceipt, payment, authorizedReceipt];
    expect(events).toEqual(
      [native, token, authorized].map((inv, i) => {
        const { payer: from, creator: to, token: coin, invoiceId, amount, tenant: t, hub: h } = inv;
        const receipt = receipts[i]!;
        const log = receipt.logs.at(-1)!;
        return {
          invoiceId,
          payer: from,
          creator: to,
          token: coin,
          amount,
          tenant: t,
          hub: h,
          ...splitAmount(amount, inv.tenantBps, inv.hubBps),
          videoIdHash: inv.videoIdHash,
          address: contracts.splitter,
          blockNumber: receipt.blockNumber,
          blockHash: receipt.blockHash,
          transactionHash: receipt.transactionHash,
          logIndex: log.logIndex,
        };
      }),
    );

    const middle = await readPaidEvents(client, {
      address: contracts.splitter,
      fromBlock: payment.blockNumber,
      toBlock: payment.blockNumber,
    });
    expect(middle.map((event) => event.invoiceId)).toEqual([token.invoiceId]);
  });

  it('returns only the logs of the contract asked for, not another splitter’s', async () => {
    const other = await deployPaymentContracts(wallet(owner), client, {
      owner: owner.address,
      invoiceSigner: hubSigner.address,
    });
    const from = await client.getBlockNumber({ cacheTime: 0 });
    const onOther = await invoice();
    await payInvoiceNative(wallet(payer), client, {
      splitter: other.splitter,
      invoice: onOther,
      signature: await signed(onOther, other.splitter),
    });
    const to = await client.getBlockNumber({ cacheTime: 0 });
    expect(
      await readPaidEvents(client, { address: contracts.splitter, fromBlock: from, toBlock: to }),
    ).toEqual([]);
    const theirs = await readPaidEvents(client, { address: other.splitter, fromBlock: from, toBlock: to });
    expect(theirs.map((event) => [event.address, event.invoiceId])).toEqual([
      [other.splitter, onOther.invoiceId],
    ]);
  });

  it('error: an answer too large is refused after one request, not retried, so the caller can ask for fewer blocks', async () => {
    const from = await client.getBlockNumber({ cacheTime: 0 });
    const paid = await invoice();
    await payInvoiceNative(wallet(payer), client, {
      splitter: contracts.splitter,
      invoice: paid,
      signature: await signed(paid),
    });
    let requests = 0;
    const small = createPublicClient({
      chain: client.chain,
      transport: http(anvil.rpcUrl, {
        maxResponseBodySize: 200,
        fetchFn: (input, init) => {
          requests += 1;
          return fetch(input, init);
        },
      }),
    });
    const to = await client.getBlockNumber({ cacheTime: 0 });
    const refused = await readPaidEvents(small, {
      address: contracts.splitter,
      fromBlock: from,
      toBlock: to,
    }).catch((error: unknown) => error);
    expect(isLogRangeTooLarge(refused)).toBe(true);
    expect(requests).toBe(1);
  });

  it('error: refuses a block range that ends before it starts', async () => {
    await expect(
      readPaidEvents(client, { address: contracts.splitter, fromBlock: 5n, toBlock: 4n }),
    ).rejects.toThrow('invalid block range 5…4');
  });
});
