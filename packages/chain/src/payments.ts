import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  getAddress,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  toHex,
  type WalletClient,
} from 'viem';
import { isLogRangeTooLarge } from './blocks';
import type { AuthorizationSignature, ReceiveAuthorization } from './eip3009';
import { testUSDAbi, testUSDBytecode, x402SplitterAbi, x402SplitterBytecode } from './generated';
import type { InvoiceMessage } from './invoice';
import { decodePaidLog, PAID_TOPIC, type PaidEvent, type RpcLog } from './paid-log';

export type { PaidEvent } from './paid-log';

/** A wallet client with its account and chain set, as `createWalletClient({ account, chain, … })` makes. */
export type PaymentWallet = WalletClient<Transport, Chain, Account>;
/** Any public client: reads and receipts. */
export type PaymentReader = PublicClient<Transport, Chain | undefined>;

/**
 * The splitter's ABI with TestUSD's errors, so a revert the token raises inside a payment (an
 * EIP-3009 authorization out of its window, an allowance too small, …) is reported by name.
 */
const paymentAbi = [...x402SplitterAbi, ...testUSDAbi.filter((item) => item.type === 'error')] as const;

export class TransactionRevertedError extends Error {
  constructor(
    readonly what: string,
    readonly transactionHash: Hex,
  ) {
    super(`${what} reverted (transaction ${transactionHash})`);
    this.name = 'TransactionRevertedError';
  }
}

async function confirmed(reader: PaymentReader, what: string, hash: Hex): Promise<TransactionReceipt> {
  const receipt = await reader.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new TransactionRevertedError(what, hash);
  return receipt;
}

async function deploy(
  wallet: PaymentWallet,
  reader: PaymentReader,
  what: string,
  contract: { abi: Abi; bytecode: Hex; args: readonly unknown[] },
): Promise<Address> {
  const hash = await wallet.deployContract(contract);
  const receipt = await confirmed(reader, what, hash);
  if (!receipt.contractAddress) throw new Error(`${what} created no contract (transaction ${hash})`);
  return getAddress(receipt.contractAddress);
}

export interface PaymentContracts {
  /** The X402Splitter: takes invoice payments and emits `Paid`. */
  splitter: Address;
  /** A TestUSD token (6 decimals, EIP-3009) owned by `owner`: development and tests only. */
  stablecoin: Address;
}

/**
 * Deploys a TestUSD and an X402Splitter (one after the other, from the wallet's account), both owned
 * by `owner`, the splitter accepting invoices signed by `invoiceSigner`. For the dev stack and tests.
 */
export async function deployPaymentContracts(
  wallet: PaymentWallet,
  reader: PaymentReader,
  { owner, invoiceSigner }: { owner: Address; invoiceSigner: Address },
): Promise<PaymentContracts> {
  const stablecoin = await deploy(wallet, reader, 'deploying TestUSD', {
    abi: testUSDAbi,
    bytecode: testUSDBytecode,
    args: [owner],
  });
  const splitter = await deploy(wallet, reader, 'deploying X402Splitter', {
    abi: x402SplitterAbi,
    bytecode: x402SplitterBytecode,
    args: [owner, invoiceSigner],
  });
  return { splitter, stablecoin };
}

/** Mints TestUSD (smallest units: 1 USD = 1_000_000); the wallet's account must own the token. */
export async function mintTestUsd(
  wallet: PaymentWallet,
  reader: PaymentReader,
  { token, to, amount }: { token: Address; to: Address; amount: bigint },
): Promise<TransactionReceipt> {
  const hash = await wallet.writeContract({
    address: token,
    abi: testUSDAbi,
    functionName: 'mint',
    args: [to, amount],
  });
  return confirmed(reader, 'minting TestUSD', hash);
}

export interface PayInvoiceArgs {
  splitter: Address;
  invoice: InvoiceMessage;
  /** The hub's signature from `signInvoice`. */
  signature: Hex;
}

/** Pays a native-coin invoice from the wallet's account (which must be the invoice's payer). */
export async function payInvoiceNative(
  wallet: PaymentWallet,
  reader: PaymentReader,
  { splitter, invoice, signature }: PayInvoiceArgs,
): Promise<TransactionReceipt> {
  const hash = await wallet.writeContract({
    address: splitter,
    abi: paymentAbi,
    functionName: 'payNative',
    args: [invoice, signature],
    value: invoice.amount,
  });
  return confirmed(reader, 'payNative', hash);
}

/**
 * Pays an ERC-20 invoice from the wallet's account: approves the splitter for the amount, then
 * `payToken`. Returns both receipts (the payment's gas is the second's alone).
 */
export async function payInvoiceWithToken(
  wallet: PaymentWallet,
  reader: PaymentReader,
  { splitter, invoice, signature }: PayInvoiceArgs,
): Promise<{ approval: TransactionReceipt; payment: TransactionReceipt }> {
  const approveHash = await wallet.writeContract({
    address: invoice.token,
    abi: testUSDAbi,
    functionName: 'approve',
    args: [splitter, invoice.amount],
  });
  const approval = await confirmed(reader, 'approve', approveHash);
  const hash = await wallet.writeContract({
    address: splitter,
    abi: paymentAbi,
    functionName: 'payToken',
    args: [invoice, signature],
  });
  return { approval, payment: await confirmed(reader, 'payToken', hash) };
}

type PayWithAuthorizationArgs = PayInvoiceArgs & {
  authorization: Pick<ReceiveAuthorization, 'validAfter' | 'validBefore' | 'nonce'>;
  authorizationSignature: Pick<AuthorizationSignature, 'v' | 'r' | 's'>;
};

/**
 * Sends an invoice with the payer's EIP-3009 authorization (`signReceiveAuthorization`, `to` the
 * splitter, `value` the amount) and returns the transaction's hash without waiting for it to be
 * mined. The wallet is the relayer: any account, it pays only the gas. A payment the contract would
 * refuse throws here already (the gas estimate reverts).
 */
export async function sendInvoiceWithAuthorization(
  relayer: PaymentWallet,
  { splitter, invoice, signature, authorization, authorizationSignature }: PayWithAuthorizationArgs,
): Promise<Hex> {
  const { v, r, s } = authorizationSignature;
  return relayer.writeContract({
    address: splitter,
    abi: paymentAbi,
    functionName: 'payWithAuthorization',
    args: [
      invoice,
      signature,
      authorization.validAfter,
      authorization.validBefore,
      authorization.nonce,
      v,
      r,
      s,
    ],
  });
}

/** sendInvoiceWithAuthorization, then waits for the receipt (TransactionRevertedError if it reverted). */
export async function payInvoiceWithAuthorization(
  relayer: PaymentWallet,
  reader: PaymentReader,
  args: PayWithAuthorizationArgs,
): Promise<TransactionReceipt> {
  return confirmed(reader, 'payWithAuthorization', await sendInvoiceWithAuthorization(relayer, args));
}

const GETLOGS_RETRIES = 3;
const RETRY_STATUSES = new Set([403, 408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set([-1, -32603, 429, -32007]);

/**
 * Whether a failed `eth_getLogs` is worth asking again as is: not when the node refuses the range
 * or its answer is too large (a smaller range is what helps), nor for an error that would come
 * back the same (bad parameters, method not served); yes for network trouble, timeouts, rate
 * limits and server errors.
 */
function worthRetrying(error: unknown): boolean {
  if (isLogRangeTooLarge(error)) return false;
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if ('status' in current && typeof current.status === 'number') return RETRY_STATUSES.has(current.status);
    if ('code' in current && typeof current.code === 'number') return RETRY_CODES.has(current.code);
    current = current.cause;
  }
  return true;
}

/**
 * `eth_getLogs` with its own retries (3, backoff 150 ms × 2ⁿ, as viem's transport does) instead of
 * the transport's: those would also repeat an answer refused as too large, three more times, before
 * the caller could ask for fewer blocks.
 */
async function getLogsRetrying(client: Client, filter: Record<string, unknown>): Promise<RpcLog[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await client.request({ method: 'eth_getLogs', params: [filter] } as never, {
        retryCount: 0,
      })) as RpcLog[];
    } catch (error) {
      if (attempt >= GETLOGS_RETRIES || !worthRetrying(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 150 * 2 ** attempt));
    }
  }
}

/**
 * The `Paid` events the contract at `address` emitted in blocks `fromBlock`…`toBlock` (both
 * included), in chain order: one `eth_getLogs` (address and topic filtered by the node), each log
 * decoded by `decodePaidLog`. Logs of any other contract are never returned, even ones with the
 * same event signature.
 */
export async function readPaidEvents(
  client: Client,
  { address, fromBlock, toBlock }: { address: Address; fromBlock: bigint; toBlock: bigint },
): Promise<PaidEvent[]> {
  if (fromBlock < 0n || toBlock < fromBlock) {
    throw new RangeError(`invalid block range ${fromBlock}…${toBlock}`);
  }
  const logs = await getLogsRetrying(client, {
    address,
    topics: [PAID_TOPIC],
    fromBlock: toHex(fromBlock),
    toBlock: toHex(toBlock),
  });
  const wanted = address.toLowerCase();
  const events: PaidEvent[] = [];
  for (const log of logs) {
    if (log.address.toLowerCase() !== wanted || log.removed) continue;
    if (log.blockNumber === null || log.blockHash === null || log.transactionHash === null) {
      throw new Error(`the node returned a pending Paid log for blocks ${fromBlock}…${toBlock}`);
    }
    events.push(decodePaidLog(log));
  }
  return events.sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
}
