import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  mintTestUsd,
  NATIVE_TOKEN,
  type PaymentContracts,
  type PaymentWallet,
  signInvoice,
  startAnvil,
  testUSDAbi,
  videoIdHash,
  x402SplitterAbi,
} from '@ppv/chain';
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  type Hex,
  http,
  type LocalAccount,
  toHex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { expect } from 'vitest';

export const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
/** The hub's invoice signer. */
export const hubSigner = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
export const payer = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);
export const relayer = privateKeyToAccount(DEV_ACCOUNTS[3].privateKey);
export const stranger = privateKeyToAccount(DEV_ACCOUNTS[4].privateKey);

export interface Chain {
  anvil: AnvilInstance;
  client: ChainClient;
  wallet(account: LocalAccount): PaymentWallet;
  contracts: PaymentContracts;
}

export async function startChain(): Promise<Chain> {
  const anvil = await startAnvil();
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = (account: LocalAccount) =>
    createWalletClient({ account, chain: client.chain, transport: http(anvil.rpcUrl) });
  const contracts = await deployPaymentContracts(wallet(owner), client, {
    owner: owner.address,
    invoiceSigner: hubSigner.address,
  });
  await mintTestUsd(wallet(owner), client, {
    token: contracts.stablecoin,
    to: payer.address,
    amount: 1_000_000_000_000n,
  });
  return { anvil, client, wallet, contracts };
}

/** A never-used address, so its balance starts at zero. */
export function freshAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address;
}

export function randomId(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

export async function chainNow(client: ChainClient): Promise<bigint> {
  return (await client.getBlock()).timestamp;
}

/** An invoice from `payer` with fresh recipients, an hour to pay, 85 / 10 / 5 %. */
export async function makeInvoice(
  client: ChainClient,
  overrides: Partial<InvoiceMessage> = {},
): Promise<InvoiceMessage> {
  return {
    invoiceId: randomId(),
    payer: payer.address,
    token: NATIVE_TOKEN,
    amount: 1_000_000n,
    creator: freshAddress(),
    tenant: freshAddress(),
    hub: freshAddress(),
    creatorBps: 8_500,
    tenantBps: 1_000,
    hubBps: 500,
    videoIdHash: videoIdHash(crypto.randomUUID()),
    deadline: (await chainNow(client)) + 3_600n,
    ...overrides,
  };
}

export function sign(
  chain: Chain,
  invoice: InvoiceMessage,
  { signer = hubSigner, splitter = chain.contracts.splitter, chainId = chain.anvil.chainId } = {},
): Promise<Hex> {
  return signInvoice(signer, { chainId, verifyingContract: splitter }, invoice);
}

/** The name of the custom error a viem call failed with (from the splitter's or TestUSD's ABI). */
export function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

export async function expectRevert(call: Promise<unknown>, errorName: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `expected a revert with ${errorName}`).toBeDefined();
  expect(revertName(error), String(error)).toBe(errorName);
}

export function tokenBalance(chain: Chain, token: Address, account: Address): Promise<bigint> {
  return chain.client.readContract({
    address: token,
    abi: testUSDAbi,
    functionName: 'balanceOf',
    args: [account],
  });
}

export function invoiceUsed(chain: Chain, invoiceId: Hex, splitter = chain.contracts.splitter) {
  return chain.client.readContract({
    address: splitter,
    abi: x402SplitterAbi,
    functionName: 'invoiceUsed',
    args: [invoiceId],
  });
}
