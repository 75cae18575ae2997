import { keccak_256 } from '@noble/hashes/sha3';
import type { HubClient, HubOutputs } from './client';
import { PpvError, type PpvErrorCode, toPpvError } from './errors';
import type { Eip1193Provider } from './siwe';

export type Quote = HubOutputs['checkout']['quote'];
export type PaymentTokens = HubOutputs['checkout']['tokens'];
export type WalletInvoice = HubOutputs['checkout']['createInvoice'];

/** Where a purchase is: each step is reported once, `confirming` once per confirmation count seen. */
export type CheckoutStep = 'invoice' | 'chain' | 'approve' | 'pay' | 'confirming' | 'confirmed' | 'granted';

export interface CheckoutProgress {
  step: CheckoutStep;
  /** A short sentence for the viewer, e.g. "Waiting for confirmation (1 of 2)". */
  message: string;
  txHash?: string;
  confirmations?: number;
  required?: number;
}

export interface BuyWithWalletOptions {
  videoId: string;
  /** Any EIP-1193 provider: an injected wallet (EIP-6963 or window.ethereum), WalletConnect, … */
  provider: Eip1193Provider;
  /** A token symbol the hub accepts (`checkout.tokens`); default: the hub's first. */
  token?: string;
  onProgress?(progress: CheckoutProgress): void;
  /** How often to ask the wallet and the hub about the payment (ms, default 1000). */
  pollMs?: number;
  /** Give up waiting for the payment's confirmation after this long (ms, default 10 minutes). */
  timeoutMs?: number;
}

export interface Purchase {
  /** The hub's invoice id (uuid). */
  invoiceId: string;
  /** The payment transaction (`payToken` or `payNative`). */
  txHash: string;
  /** The ERC-20 approval, when one was needed. */
  approvalTxHash: string | null;
}

/** An invoice with less than this left is not sent for payment. */
const EXPIRY_MARGIN_MS = 15_000;

const enc = new TextEncoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const selector = (signature: string) => hex(keccak_256(enc.encode(signature)).slice(0, 4));
const INVOICE_TUPLE =
  '(bytes32,address,address,uint256,address,address,address,uint16,uint16,uint16,bytes32,uint64)';
const SELECTORS = {
  approve: selector('approve(address,uint256)'),
  allowance: selector('allowance(address,address)'),
  balanceOf: selector('balanceOf(address)'),
  payToken: selector(`payToken(${INVOICE_TUPLE},bytes)`),
  payNative: selector(`payNative(${INVOICE_TUPLE},bytes)`),
};

/** One ABI word: a uint, an address or a bytes32, left-padded to 32 bytes. */
const word = (value: bigint | string | number): string => {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  return n.toString(16).padStart(64, '0');
};

/** Calldata of payToken/payNative: the invoice struct (all static fields, inline) and the signature. */
export function payCalldata(method: 'payToken' | 'payNative', invoice: WalletInvoice): `0x${string}` {
  const m = invoice.invoice;
  const fields = [
    m.invoiceId,
    m.payer,
    m.token,
    m.amount,
    m.creator,
    m.tenant,
    m.hub,
    m.creatorBps,
    m.tenantBps,
    m.hubBps,
    m.videoIdHash,
    m.deadline,
  ].map((v) => word(BigInt(v)));
  const signature = invoice.signature.slice(2);
  const length = signature.length / 2;
  const padded = signature.padEnd(Math.ceil(length / 32) * 64, '0');
  const offset = word(BigInt((fields.length + 1) * 32));
  return `0x${SELECTORS[method]}${fields.join('')}${offset}${word(BigInt(length))}${padded}`;
}

const fail = (code: PpvErrorCode, message: string, path: string, cause?: unknown) =>
  new PpvError(code, message, { status: 0, path, cause });

/** EIP-1193 error code 4001 (and what some wallets say instead): the user said no. */
const rejected = (error: unknown) => {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  return (
    e?.code === 4001 ||
    e?.cause?.code === 4001 ||
    (typeof e?.message === 'string' && /user (rejected|denied)/i.test(e.message))
  );
};

async function ask<T>(provider: Eip1193Provider, method: string, params?: readonly unknown[]): Promise<T> {
  try {
    return (await provider.request(params ? { method, params } : { method })) as T;
  } catch (error) {
    if (rejected(error))
      throw fail('USER_REJECTED', 'You cancelled the request in your wallet', method, error);
    const message = (error as { message?: unknown } | null)?.message;
    throw fail(
      'WALLET_ERROR',
      `The wallet could not ${method}: ${typeof message === 'string' ? message : String(error)}`,
      method,
      error,
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes the wallet use the invoice's chain, asking it to switch when it is on another. */
async function ensureChain(provider: Eip1193Provider, chainId: number) {
  const current = Number(BigInt(await ask<string>(provider, 'eth_chainId')));
  if (current === chainId) return;
  try {
    await provider.request({
      method: 'wallet_switchEthereumChain',
      params: [{ chainId: `0x${chainId.toString(16)}` }],
    });
  } catch (error) {
    if (rejected(error))
      throw fail(
        'USER_REJECTED',
        'You declined to switch networks in your wallet',
        'wallet_switchEthereumChain',
      );
    throw fail(
      'WRONG_CHAIN',
      `Your wallet is on chain ${current}; switch it to chain ${chainId} to pay`,
      'wallet_switchEthereumChain',
      error,
    );
  }
  const after = Number(BigInt(await ask<string>(provider, 'eth_chainId')));
  if (after !== chainId)
    throw fail(
      'WRONG_CHAIN',
      `Your wallet is on chain ${after}; switch it to chain ${chainId} to pay`,
      'eth_chainId',
    );
}

async function receipt(provider: Eip1193Provider, hash: string, pollMs: number, deadline: number) {
  for (;;) {
    const r = await ask<{ status: string } | null>(provider, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (Date.now() > deadline)
      throw fail(
        'TIMEOUT',
        `Transaction ${hash} was not mined in time; check your wallet`,
        'eth_getTransactionReceipt',
      );
    await sleep(pollMs);
  }
}

/** Buys a view: invoice, chain check, approve + payToken (or payNative), then waits for access. */
export async function buyWithWallet(trpc: HubClient, options: BuyWithWalletOptions): Promise<Purchase> {
  const { provider, videoId, onProgress = () => {} } = options;
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const call = async <T>(path: string, run: () => Promise<T>) => {
    try {
      return await run();
    } catch (error) {
      throw toPpvError(error, path);
    }
  };

  const [account] = await ask<string[]>(provider, 'eth_requestAccounts');
  if (typeof account !== 'string')
    throw fail('WALLET_ERROR', 'The wallet offered no account', 'eth_requestAccounts');
  const token = options.token ?? (await defaultToken(trpc));
  const who = await call('auth.me', () => trpc.auth.me.query());
  // Signed out, the hub's invoice answers that a sign-in is needed.
  if (who && !who.wallets.some((w) => w.address === account.toLowerCase())) {
    throw fail(
      'WALLET_NOT_LINKED',
      `The wallet's account ${account} is not linked to your account: link it (sign a message in the wallet) to pay with it`,
      'auth.me',
    );
  }

  onProgress({ step: 'invoice', message: 'Preparing your invoice' });
  const invoice = await call('checkout.createInvoice', () =>
    trpc.checkout.createInvoice.mutate({ videoId, token, payer: account }),
  );

  onProgress({ step: 'chain', message: `Checking your wallet's network (chain ${invoice.chainId})` });
  await ensureChain(provider, invoice.chainId);

  const amount = BigInt(invoice.invoice.amount);
  const from = invoice.invoice.payer;
  const native = invoice.method === 'payNative';
  const balance = native
    ? BigInt(await ask<string>(provider, 'eth_getBalance', [from, 'latest']))
    : BigInt(
        await ask<string>(provider, 'eth_call', [
          { to: invoice.token.address, data: `0x${SELECTORS.balanceOf}${word(from)}` },
          'latest',
        ]),
      );
  if (balance < amount) {
    throw fail(
      'INSUFFICIENT_BALANCE',
      `Your wallet holds ${formatTokenUnits(balance, invoice.token.decimals)} ${invoice.token.symbol}; this video costs ${formatTokenUnits(amount, invoice.token.decimals)}`,
      'balance',
    );
  }

  let approvalTxHash: string | null = null;
  if (!native) {
    const allowance = BigInt(
      await ask<string>(provider, 'eth_call', [
        {
          to: invoice.token.address,
          data: `0x${SELECTORS.allowance}${word(from)}${word(invoice.splitter)}`,
        },
        'latest',
      ]),
    );
    if (allowance < amount) {
      onProgress({ step: 'approve', message: `Approve ${invoice.token.symbol} in your wallet` });
      approvalTxHash = await ask<string>(provider, 'eth_sendTransaction', [
        {
          from,
          to: invoice.token.address,
          data: `0x${SELECTORS.approve}${word(invoice.splitter)}${word(amount)}`,
        },
      ]);
      const approval = await receipt(provider, approvalTxHash, pollMs, deadline);
      if (approval.status !== '0x1')
        throw fail('TRANSACTION_REVERTED', 'The approval failed on chain; nothing was paid', 'approve');
    }
  }

  // A payment mined after the invoice's deadline reverts: do not send one that may not make it.
  if (new Date(invoice.expiresAt).getTime() - Date.now() < EXPIRY_MARGIN_MS) {
    throw fail(
      'INVOICE_EXPIRED',
      'The invoice expired before it was paid; try again for a new one',
      'invoice',
    );
  }
  onProgress({ step: 'pay', message: 'Confirm the payment in your wallet' });
  const txHash = await ask<string>(provider, 'eth_sendTransaction', [
    {
      from,
      to: invoice.splitter,
      data: payCalldata(invoice.method, invoice),
      ...(native ? { value: `0x${amount.toString(16)}` } : {}),
    },
  ]);

  let seen = -1;
  for (;;) {
    const submitted = await call('payments.submitTransaction', () =>
      trpc.payments.submitTransaction.mutate({ txHash }),
    ).catch((error: PpvError) => {
      // The hub's node may not have the transaction yet, right after the wallet sent it.
      if (error.code === 'NOT_FOUND' && Date.now() < deadline) return null;
      if (error.code === 'BAD_REQUEST' && /reverted/.test(error.message))
        throw fail(
          'TRANSACTION_REVERTED',
          'The payment failed on chain; nothing was paid',
          'payToken',
          error,
        );
      throw error;
    });
    const confirmations = submitted?.confirmations ?? 0;
    if (submitted?.status === 'confirmed') {
      onProgress({
        step: 'confirmed',
        message: 'Payment confirmed; unlocking the video',
        txHash,
        confirmations,
        required: submitted.required,
      });
      break;
    }
    if (confirmations !== seen) {
      seen = confirmations;
      const required = submitted?.required;
      onProgress({
        step: 'confirming',
        message: required
          ? `Waiting for confirmation (${confirmations} of ${required})`
          : 'Waiting for the payment to reach the network',
        txHash,
        confirmations,
        ...(required ? { required } : {}),
      });
    }
    if (Date.now() > deadline)
      throw fail(
        'TIMEOUT',
        `The payment ${txHash} is not confirmed yet; access follows once it is`,
        'confirming',
      );
    await sleep(pollMs);
  }

  for (;;) {
    const status = await call('payments.status', () => trpc.payments.status.query({ invoiceId: invoice.id }));
    if (status.canWatch) break;
    if (Date.now() > deadline)
      throw fail(
        'TIMEOUT',
        'The payment is recorded but access is not granted yet; try again shortly',
        'payments.status',
      );
    await sleep(pollMs);
  }
  onProgress({ step: 'granted', message: 'Paid: enjoy the video', txHash });
  return { invoiceId: invoice.id, txHash, approvalTxHash };
}

/** The hub's first accepted token, or a clear error when it accepts none. */
export async function defaultToken(trpc: HubClient): Promise<string> {
  let accepted: PaymentTokens;
  try {
    accepted = await trpc.checkout.tokens.query();
  } catch (error) {
    throw toPpvError(error, 'checkout.tokens');
  }
  const first = accepted.tokens[0];
  if (!first) throw fail('PRECONDITION_FAILED', 'This hub accepts no payment tokens yet', 'checkout.tokens');
  return first.symbol;
}

/** Smallest units → a decimal string (`4990000`, 6 → `4.99`). */
export function formatTokenUnits(amount: bigint | string, decimals: number): string {
  const value = BigInt(amount);
  const scale = 10n ** BigInt(decimals);
  const fraction = (value % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return fraction ? `${value / scale}.${fraction}` : `${value / scale}`;
}
