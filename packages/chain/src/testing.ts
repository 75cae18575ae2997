/**
 * DEVELOPMENT AND TESTS ONLY: many invoice payments on anvil at once, for indexer tests and benches.
 * Uses anvil's unlocked dev accounts (`eth_sendTransaction`) and its mining controls.
 */
import { type Address, encodeFunctionData, type Hex, type LocalAccount, toHex } from 'viem';
import { x402SplitterAbi } from './generated';
import { type InvoiceMessage, NATIVE_TOKEN, signInvoice, videoIdHash } from './invoice';

/** Gas reserved per payment: above payNative's cost, so that every one fits and none is estimated. */
const PAYMENT_GAS = 250_000n;
const RPC_BATCH = 500;
/** Payments per block: their reserved gas stays under anvil's 30,000,000 block gas limit. */
const PER_BLOCK = 100;

type RpcCall = { method: string; params: unknown[] };

/** One JSON-RPC batch request; throws on any error answer. */
export async function rpcBatch<T = unknown>(rpcUrl: string, calls: RpcCall[]): Promise<T[]> {
  if (calls.length === 0) return [];
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: '2.0', id, ...call }))),
  });
  const answers = (await response.json()) as { id: number; result?: T; error?: { message: string } }[];
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((call, id) => {
    const answer = byId.get(id);
    if (!answer || answer.error) {
      throw new Error(`${call.method} failed: ${answer?.error?.message ?? 'no answer'}`);
    }
    return answer.result as T;
  });
}

export const rpc = async <T = unknown>(rpcUrl: string, method: string, params: unknown[] = []) =>
  (await rpcBatch<T>(rpcUrl, [{ method, params }]))[0] as T;

export interface BulkPaymentOptions {
  rpcUrl: string;
  chainId: number;
  splitter: Address;
  /** The hub's invoice signer. */
  signer: LocalAccount;
  /** An anvil dev account (unlocked): it pays every invoice in the native coin. */
  payer: Address;
  count: number;
  recipients: { creator: Address; tenant: Address; hub: Address };
  /** Wei per payment (default 1,000,003). */
  amount?: bigint;
  /** Payments per block (default and at most 100, what anvil's block gas limit takes). */
  perBlock?: number;
  /** The video id of payment `i` (default `bulk-<i>`), hashed into its invoice. */
  videoId?: (i: number) => string;
}

export interface BulkPayment {
  invoice: InvoiceMessage;
  /** The hub's signature over the invoice. */
  signature: Hex;
  transactionHash: Hex;
  blockNumber: bigint;
}

/**
 * Sends `count` native-coin payments with automine off (batched JSON-RPC), mining a block after
 * every `perBlock`, turns automine back on and checks every receipt succeeded.
 */
export async function payInvoicesInBulk(options: BulkPaymentOptions): Promise<BulkPayment[]> {
  const { rpcUrl, chainId, splitter, signer, payer, count } = options;
  const latest = await rpc<{ timestamp: Hex }>(rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
  const deadline = BigInt(latest.timestamp) + 86_400n;
  const firstNonce = BigInt(await rpc<Hex>(rpcUrl, 'eth_getTransactionCount', [payer, 'pending']));
  const salt = toHex(crypto.getRandomValues(new Uint8Array(8)));
  const invoices: InvoiceMessage[] = [];
  const signatures: Hex[] = [];
  const sends: RpcCall[] = [];
  for (let i = 0; i < count; i++) {
    const invoice: InvoiceMessage = {
      invoiceId: `0x${salt.slice(2)}${i.toString(16).padStart(48, '0')}`,
      payer,
      token: NATIVE_TOKEN,
      amount: options.amount ?? 1_000_003n,
      ...options.recipients,
      creatorBps: 8_000,
      tenantBps: 1_500,
      hubBps: 500,
      videoIdHash: videoIdHash(options.videoId?.(i) ?? `bulk-${i}`),
      deadline,
    };
    const signature = await signInvoice(signer, { chainId, verifyingContract: splitter }, invoice);
    invoices.push(invoice);
    signatures.push(signature);
    sends.push({
      method: 'eth_sendTransaction',
      params: [
        {
          from: payer,
          to: splitter,
          value: toHex(invoice.amount),
          gas: toHex(PAYMENT_GAS),
          nonce: toHex(firstNonce + BigInt(i)),
          data: encodeFunctionData({
            abi: x402SplitterAbi,
            functionName: 'payNative',
            args: [invoice, signature],
          }),
        },
      ],
    });
  }
  await rpc(rpcUrl, 'evm_setAutomine', [false]);
  const hashes: Hex[] = [];
  try {
    // A block at a time: anvil drops what does not fit in the block it mines.
    const chunk = Math.min(options.perBlock ?? PER_BLOCK, PER_BLOCK);
    for (let i = 0; i < sends.length; i += chunk) {
      hashes.push(...(await rpcBatch<Hex>(rpcUrl, sends.slice(i, i + chunk))));
      await rpc(rpcUrl, 'evm_mine');
    }
  } finally {
    await rpc(rpcUrl, 'evm_setAutomine', [true]);
  }
  const receipts: ({ status: Hex; blockNumber: Hex } | null)[] = [];
  for (let i = 0; i < hashes.length; i += RPC_BATCH) {
    receipts.push(
      ...(await rpcBatch<{ status: Hex; blockNumber: Hex } | null>(
        rpcUrl,
        hashes
          .slice(i, i + RPC_BATCH)
          .map((hash) => ({ method: 'eth_getTransactionReceipt', params: [hash] })),
      )),
    );
  }
  return receipts.map((receipt, i) => {
    if (!receipt) throw new Error(`bulk payment ${i} was never mined (${hashes[i]})`);
    if (receipt.status !== '0x1') throw new Error(`bulk payment ${i} reverted (${hashes[i]})`);
    return {
      invoice: invoices[i] as InvoiceMessage,
      signature: signatures[i] as Hex,
      transactionHash: hashes[i] as Hex,
      blockNumber: BigInt(receipt.blockNumber),
    };
  });
}
