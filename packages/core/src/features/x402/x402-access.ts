import { setTimeout as sleep } from 'node:timers/promises';
import {
  invoiceMessageOf,
  receiveAuthorizationTypes,
  sendInvoiceWithAuthorization,
  testUSDAbi,
  tokenEip712Domain,
} from '@ppv/chain';
import {
  claimX402Settlement,
  type Invoice,
  InvoiceEntity,
  lockInFlightX402Settlement,
  lockViewerVideo,
  lockX402Settlement,
  updateX402Settlement,
  VideoEntity,
  withTenant,
  type X402Settlement,
} from '@ppv/db';
import {
  type Address,
  createWalletClient,
  custom,
  getAddress,
  type Hex,
  isAddressEqual,
  parseSignature,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  verifyTypedData,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { AuthInfo, RequestMeta } from '../../context';
import type { AppDeps, ChainDeps, TenantDeps } from '../../deps';
import { AppError, notFound } from '../../errors';
import { canWatch } from '../access/can-watch';
import { createInvoice, invoiceForWallet } from '../checkout/create-invoice';
import { submitTransaction } from '../payments/submit-transaction';
import { type PlaybackStart, startPlayback } from '../playback/start-playback';
import {
  caip2Network,
  decodePaymentHeader,
  type ExactEvmPayload,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequiredV1,
  paymentHeaderName,
  type SettlementResponse,
  v1Network,
  valueMismatchReason,
  X402_VERSION,
  type X402ErrorReason,
  type X402Version,
} from './x402-protocol';

/** An authorization must stay valid at least this long, so the relayer's transaction gets mined in time. */
const MIN_VALIDITY_SECONDS = 6;
/** A settlement in flight belongs to the request that started it this long; then anyone may resolve it. */
export const X402_SETTLEMENT_LEASE_SECONDS = 120;
/** A request that meets another's settlement of its invoice waits for it in steps of this long… */
const WAIT_STEP_MS = 200;
/** …this many times at most, then answers 409. */
const WAIT_STEPS = 100;

export interface X402AccessInput {
  auth: AuthInfo;
  videoId: string;
  /** The URL the client asked for (PaymentRequired.resource.url). */
  resourceUrl: string;
  /** The payment header sent, if any: `PAYMENT-SIGNATURE` (version 2) or `X-PAYMENT` (version 1). */
  payment: { version: X402Version; header: string } | null;
  req: RequestMeta;
}

export type X402AccessResult =
  /**
   * 402: pay as `paymentRequired` (version 2) or `paymentRequiredV1` says; `reason` says why the
   * payment sent (if any) was refused; `settlement` is set when it was refused at settlement.
   */
  | {
      kind: 'payment_required';
      version: X402Version;
      paymentRequired: PaymentRequired;
      paymentRequiredV1: PaymentRequiredV1;
      reason: X402ErrorReason | null;
      message: string;
      settlement: SettlementResponse | null;
    }
  /** 200: the viewer may watch (paid now, when `settlement` is set, or before). */
  | { kind: 'granted'; version: X402Version; playback: PlaybackStart; settlement: SettlementResponse | null }
  /** 202: paid on chain, waiting for confirmations (or for the indexer); access follows then. */
  | { kind: 'settled_pending'; version: X402Version; settlement: SettlementResponse | null; message: string };

export type X402Deps = AppDeps & { tenantId: string };

type Wallet = Awaited<ReturnType<typeof createInvoice>>;
type Authorization = {
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
};

/** What the first short transaction decided. */
type Step =
  | { kind: 'done'; result: X402AccessResult }
  | { kind: 'refuse'; wallet: Wallet; title: string; reason: X402ErrorReason | null; message: string }
  /** Another request is settling this invoice: wait for it, then look again. */
  | { kind: 'wait'; txHash: string | null }
  /** A settlement whose request went away (its lease ran out): settle its fate from the chain. */
  | { kind: 'resolve'; settlement: X402Settlement }
  /** This request holds the settlement: send it. */
  | {
      kind: 'settle';
      settlement: X402Settlement;
      invoice: Invoice;
      wallet: Wallet;
      title: string;
      authorization: Authorization;
      payload: ExactEvmPayload;
    };

/** The stablecoin x402 payments are taken in: the first configured ERC-20 at a peg. */
function x402Token(deps: AppDeps) {
  const token = deps.config.money.tokens.find((t) => t.stable && t.address !== 'native');
  if (!token) {
    throw new AppError(
      'PRECONDITION_FAILED',
      'This hub takes no stablecoin payments, so it cannot be paid over HTTP 402; buy the video in the storefront',
    );
  }
  return token;
}

/** The invoice as `extra.invoice` shows it: the signed struct, its row id and the hub's signature. */
const offeredInvoice = (wallet: Wallet) => ({
  id: wallet.id,
  ...wallet.invoice,
  signature: wallet.signature,
});

async function requirementsFor(
  deps: AppDeps & { chain: ChainDeps },
  input: X402AccessInput,
  wallet: Wallet,
  title: string,
  error: string,
  errorV1: string,
): Promise<{ v2: PaymentRequired; v1: PaymentRequiredV1 }> {
  const domain = await tokenEip712Domain(deps.chain.client, wallet.token.address);
  const now = Math.floor(deps.clock().getTime() / 1000);
  const description = `A view of "${title}"`;
  const maxTimeoutSeconds = Math.max(1, Math.floor(wallet.expiresAt.getTime() / 1000) - now);
  const extra = {
    name: domain.name,
    version: domain.version,
    authorization: 'ReceiveWithAuthorization',
    /** `from` must be `invoice.payer`; `validBefore` no later than `invoice.deadline`. */
    invoice: offeredInvoice(wallet),
  };
  const amount = String(wallet.invoice.amount);
  return {
    v2: {
      x402Version: X402_VERSION,
      error,
      resource: { url: input.resourceUrl, description, mimeType: 'application/json' },
      accepts: [
        {
          scheme: 'exact',
          network: caip2Network(deps.chain.chainId),
          asset: wallet.token.address,
          amount,
          payTo: wallet.splitter,
          maxTimeoutSeconds,
          extra,
        },
      ],
    },
    v1: {
      x402Version: 1,
      error: errorV1,
      accepts: [
        {
          scheme: 'exact',
          network: v1Network(deps.chain.chainId),
          maxAmountRequired: amount,
          resource: input.resourceUrl,
          description,
          mimeType: 'application/json',
          outputSchema: null,
          payTo: wallet.splitter,
          maxTimeoutSeconds,
          asset: wallet.token.address,
          extra,
        },
      ],
    },
  };
}

/** Where the echoed `accepted` (version 2) differs from what this hub offered, or null. */
function requirementsMismatch(accepted: Record<string, unknown>, wallet: Wallet): string | null {
  const same = (a: unknown, b: unknown) => String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();
  if (!same(accepted.asset, wallet.token.address)) return 'asset';
  if (String(accepted.amount ?? '') !== String(wallet.invoice.amount)) return 'amount';
  if (!same(accepted.payTo, wallet.splitter)) return 'payTo';
  const extra = accepted.extra as { invoice?: Record<string, unknown> } | undefined;
  const invoice = extra?.invoice;
  if (!invoice || typeof invoice !== 'object') return 'extra.invoice';
  for (const [key, value] of Object.entries(offeredInvoice(wallet))) {
    if (!same(invoice[key], value)) return `extra.invoice.${key}`;
  }
  return null;
}

/**
 * Access to a video over HTTP 402 (x402 version 2, or version 1; `exact` scheme, EIP-3009
 * `ReceiveWithAuthorization` to the splitter). Without a payment: the requirements of the viewer's
 * open invoice (made or reused by createInvoice). With one: checks it against that invoice
 * (requirements as offered, recipient = the splitter, amount, window, signer = the invoice's payer,
 * nonce unused, balance) and records the settlement as in flight, in one short transaction; has the
 * hub's relayer send it to the splitter (so the split happens on chain) and waits for the receipt
 * with no transaction open; then records the payment (submitTransaction → recordPaidEvents) and
 * starts a playback session in a second short transaction. A concurrent retry of the same payment
 * waits for the one in flight and settles nothing itself.
 */
export async function x402Access(deps: X402Deps, input: X402AccessInput): Promise<X402AccessResult> {
  const chain = deps.chain;
  if (!deps.config.money.payments || !chain)
    throw new AppError('PRECONDITION_FAILED', 'Payments are not set up on this hub yet');
  const withChain = { ...deps, chain };
  const inTenant = <T>(fn: (d: TenantDeps) => Promise<T>) =>
    withTenant(deps.orm, deps.tenantId, (em) => fn({ ...deps, em }));
  const version = input.payment?.version ?? X402_VERSION;

  for (let waited = 0; ; ) {
    const step = await inTenant((d) => prepare(d, chain, input));
    switch (step.kind) {
      case 'done':
        return step.result;
      case 'refuse':
        return refusal(withChain, input, step, null);
      case 'wait':
        if (++waited > WAIT_STEPS) {
          throw new AppError(
            'CONFLICT',
            `A payment of this video is being settled${step.txHash ? ` (transaction ${step.txHash})` : ''}; ask again in a minute`,
          );
        }
        await sleep(WAIT_STEP_MS);
        break;
      case 'resolve':
        await resolveLapsed(withChain, inTenant, input.auth, step.settlement);
        break;
      case 'settle':
        return settle(withChain, inTenant, input, version, step);
    }
  }
}

async function refusal(
  deps: AppDeps & { chain: ChainDeps },
  input: X402AccessInput,
  step: { wallet: Wallet; title: string; reason: X402ErrorReason | null; message: string },
  settlement: SettlementResponse | null,
): Promise<X402AccessResult> {
  // Without a payment header the 402 serves clients of either version, each told of its own header.
  const [error, errorV1] = step.reason
    ? [step.reason, step.reason]
    : input.payment
      ? [step.message, step.message]
      : [`${paymentHeaderName(2)} header is required`, `${paymentHeaderName(1)} header is required`];
  const { v2, v1 } = await requirementsFor(deps, input, step.wallet, step.title, error, errorV1);
  return {
    kind: 'payment_required',
    version: input.payment?.version ?? X402_VERSION,
    paymentRequired: v2,
    paymentRequiredV1: v1,
    reason: step.reason,
    message: step.message,
    settlement,
  };
}

/** The first short transaction: decide, and hold the settlement when there is one to send. */
async function prepare(deps: TenantDeps, chain: ChainDeps, input: X402AccessInput): Promise<Step> {
  const version = input.payment?.version ?? X402_VERSION;
  const video = await deps.em.findOne(VideoEntity, { id: input.videoId });
  if (!video) throw notFound('Video');
  await lockViewerVideo(deps.em, input.auth.userId, video.id);
  const now = deps.clock();
  const access = await canWatch(deps.em, input.auth.userId, video, now);
  if (access.allowed) {
    const playback = await startPlayback(deps, {
      auth: input.auth,
      videoId: video.id,
      endOldest: true,
      req: input.req,
    });
    return { kind: 'done', result: { kind: 'granted', version, playback, settlement: null } };
  }

  const token = x402Token(deps);
  const wallet = await createInvoice(deps, { videoId: video.id, token: token.symbol, auth: input.auth });
  const refuse = (reason: X402ErrorReason | null, message: string): Step => ({
    kind: 'refuse',
    wallet,
    title: video.title,
    reason,
    message,
  });
  if (!input.payment) {
    return refuse(
      null,
      'Payment required: pay in PAYMENT-SIGNATURE (x402 version 2) or X-PAYMENT (version 1)',
    );
  }

  const decoded = decodePaymentHeader(input.payment.header, version);
  if ('reason' in decoded) return refuse(decoded.reason, decoded.problem);
  const payment: PaymentPayload = decoded.payment;
  if (payment.scheme !== 'exact') return refuse('unsupported_scheme', 'This hub takes only the exact scheme');
  const networks =
    version === 1 ? [v1Network(chain.chainId), caip2Network(chain.chainId)] : [caip2Network(chain.chainId)];
  if (!networks.includes(payment.network))
    return refuse('invalid_network', `This hub is paid on ${networks[0]}`);
  if (payment.accepted) {
    const differs = requirementsMismatch(payment.accepted, wallet);
    if (differs) {
      return refuse(
        'invalid_payment_requirements',
        `The accepted requirements are not the ones this hub offers (${differs} differs); pay the ones in PAYMENT-REQUIRED`,
      );
    }
  }
  const invoice = await deps.em.findOneOrFail(InvoiceEntity, { id: wallet.id });

  const auth = payment.payload.authorization;
  const seconds = BigInt(Math.floor(now.getTime() / 1000));
  if (!isAddressEqual(auth.to as Address, invoice.contract as Address)) {
    return refuse(
      'invalid_exact_evm_payload_recipient_mismatch',
      `The authorization pays ${getAddress(auth.to)}; it must pay the splitter ${getAddress(invoice.contract)}`,
    );
  }
  if (auth.value !== BigInt(invoice.amount)) {
    return refuse(
      valueMismatchReason(version),
      `The authorization is for ${auth.value} units; this video costs exactly ${invoice.amount}`,
    );
  }
  if (auth.validAfter >= seconds) {
    return refuse(
      'invalid_exact_evm_payload_authorization_valid_after',
      'The authorization is not valid yet',
    );
  }
  if (auth.validBefore < seconds + BigInt(MIN_VALIDITY_SECONDS)) {
    return refuse(
      'invalid_exact_evm_payload_authorization_valid_before',
      'The authorization has expired (or expires within seconds); sign a new one',
    );
  }
  if (!isAddressEqual(auth.from as Address, invoice.payer as Address)) {
    return refuse(
      'invalid_exact_evm_payload_signature',
      `The authorization is from ${getAddress(auth.from)}; this invoice is payable only by your wallet ${getAddress(invoice.payer)}`,
    );
  }
  const authorization: Authorization = {
    from: getAddress(auth.from),
    to: getAddress(auth.to),
    value: auth.value,
    validAfter: auth.validAfter,
    validBefore: auth.validBefore,
    nonce: auth.nonce.toLowerCase() as Hex,
  };
  const key = {
    chainId: chain.chainId,
    token: invoice.token,
    payer: invoice.payer,
    nonce: authorization.nonce,
  };

  const known = await lockX402Settlement(deps.em, key);
  if (known && known.invoiceRef !== invoice.id && known.status !== 'failed') {
    return refuse(
      'invalid_exact_evm_nonce_already_used',
      'This authorization was already used for another payment; sign a new one with a fresh nonce',
    );
  }
  if (known?.status === 'settled') {
    if (known.txHash) {
      return {
        kind: 'done',
        result: await recorded(deps, input, version, { txHash: known.txHash, payer: known.payer }),
      };
    }
    return {
      kind: 'done',
      result: {
        kind: 'settled_pending',
        version,
        settlement: null,
        message:
          'This authorization was settled on chain; access follows once the chain indexer records the payment',
      },
    };
  }
  const inFlight = await lockInFlightX402Settlement(deps.em, input.auth.userId, video.id);
  if (inFlight) {
    return inFlight.leaseUntil > now
      ? { kind: 'wait', txHash: inFlight.txHash }
      : { kind: 'resolve', settlement: inFlight };
  }

  const tokenAddress = getAddress(invoice.token);
  const domain = await tokenEip712Domain(chain.client, tokenAddress);
  const signed = await verifyTypedData({
    address: authorization.from,
    domain,
    types: receiveAuthorizationTypes,
    primaryType: 'ReceiveWithAuthorization',
    message: authorization,
    signature: payment.payload.signature as Hex,
  }).catch(() => false);
  if (!signed) {
    return refuse(
      'invalid_exact_evm_payload_signature',
      'The signature is not the payer’s signature of this authorization',
    );
  }
  const [used, balance] = await Promise.all([
    chain.client.readContract({
      address: tokenAddress,
      abi: testUSDAbi,
      functionName: 'authorizationState',
      args: [authorization.from, authorization.nonce],
    }),
    chain.client.readContract({
      address: tokenAddress,
      abi: testUSDAbi,
      functionName: 'balanceOf',
      args: [authorization.from],
    }),
  ]);
  if (used) {
    return refuse(
      'invalid_exact_evm_nonce_already_used',
      'This authorization was already used; sign a new one with a fresh nonce',
    );
  }
  if (balance < authorization.value) {
    return refuse(
      'insufficient_funds',
      `The payer holds ${balance} units; this video costs ${authorization.value}`,
    );
  }
  const settlement = await claimX402Settlement(deps.em, {
    ...key,
    tenantId: deps.tenantId,
    invoiceRef: invoice.id,
    validBefore: authorization.validBefore,
    leaseUntil: new Date(now.getTime() + X402_SETTLEMENT_LEASE_SECONDS * 1000),
    at: now,
  });
  if (!settlement) {
    return refuse(
      'invalid_exact_evm_nonce_already_used',
      'This authorization was already used; sign a new one with a fresh nonce',
    );
  }
  return {
    kind: 'settle',
    settlement,
    invoice,
    wallet,
    title: video.title,
    authorization,
    payload: payment.payload,
  };
}

/** Records a mined settlement (submitTransaction → recordPaidEvents) and, once confirmed, starts playback. */
async function recorded(
  deps: TenantDeps,
  input: X402AccessInput,
  version: X402Version,
  mined: { txHash: string; payer: string },
): Promise<X402AccessResult> {
  const chain = deps.chain as ChainDeps;
  const settlement: SettlementResponse = {
    success: true,
    transaction: mined.txHash,
    network: version === 1 ? v1Network(chain.chainId) : caip2Network(chain.chainId),
    payer: getAddress(mined.payer),
  };
  const txHash = mined.txHash;
  const result = await submitTransaction(deps, { auth: input.auth, txHash });
  if (result.status === 'pending') {
    return {
      kind: 'settled_pending',
      version,
      settlement,
      message: `Paid in ${txHash}; access follows after ${result.required} confirmations (${result.confirmations} so far)`,
    };
  }
  const playback = await startPlayback(deps, {
    auth: input.auth,
    videoId: input.videoId,
    endOldest: true,
    req: input.req,
  });
  return { kind: 'granted', version, playback, settlement };
}

/**
 * Whether the contract refused the payment (the relayer's gas estimate reverted), as against the
 * node being unreachable: viem's revert errors anywhere along the cause chain.
 */
function reverted(error: unknown): boolean {
  const names = ['ContractFunctionRevertedError', 'ExecutionRevertedError'];
  for (let e = error as { name?: unknown; cause?: unknown } | null; e && typeof e === 'object'; ) {
    if (names.includes(String(e.name))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

type InTenant = <T>(fn: (d: TenantDeps) => Promise<T>) => Promise<T>;

/** Sends the held settlement and waits for it with no transaction open, then records the outcome. */
async function settle(
  deps: AppDeps & { chain: ChainDeps },
  inTenant: InTenant,
  input: X402AccessInput,
  version: X402Version,
  step: Extract<Step, { kind: 'settle' }>,
): Promise<X402AccessResult> {
  const network = version === 1 ? v1Network(deps.chain.chainId) : caip2Network(deps.chain.chainId);
  const payer = step.authorization.from;
  const fail = async (reason: X402ErrorReason, message: string, transaction = '') => {
    await inTenant((d) =>
      updateX402Settlement(d.em, step.settlement.id, { status: 'failed', problem: reason, at: d.clock() }),
    );
    return refusal(
      deps,
      input,
      { ...step, reason, message },
      {
        success: false,
        errorReason: reason,
        transaction,
        network,
        payer,
      },
    );
  };

  const payments = deps.config.money.payments;
  if (!payments) throw new AppError('PRECONDITION_FAILED', 'Payments are not set up on this hub yet');
  const relayer = createWalletClient({
    account: privateKeyToAccount(payments.relayerKey ?? payments.signerKey),
    chain: deps.chain.client.chain,
    transport: custom(deps.chain.client),
  });
  const { r, s, yParity } = parseSignature(step.payload.signature as Hex);
  const m = invoiceForWallet(step.invoice, 0, true).invoice;
  let hash: Hex;
  try {
    hash = await sendInvoiceWithAuthorization(relayer, {
      splitter: getAddress(step.invoice.contract),
      invoice: invoiceMessageOf(m),
      signature: step.invoice.signature as Hex,
      authorization: step.authorization,
      authorizationSignature: { v: 27 + yParity, r, s },
    });
  } catch (error) {
    deps.logger.warn({ err: error, invoice: step.invoice.id }, 'x402 settlement was not sent');
    if (reverted(error)) {
      return fail(
        'invalid_transaction_state',
        'The payment contract refused this payment (it reverted): nothing was paid',
      );
    }
    return fail(
      'unexpected_settle_error',
      'The payment could not be submitted to the chain; nothing was paid, please try again',
    );
  }
  await inTenant((d) => updateX402Settlement(d.em, step.settlement.id, { txHash: hash, at: d.clock() }));

  let receipt: TransactionReceipt;
  try {
    receipt = await deps.chain.client.waitForTransactionReceipt({ hash });
  } catch (error) {
    // The lease runs out and the next request resolves it from the chain; the indexer credits it anyway.
    deps.logger.warn({ err: error, invoice: step.invoice.id, hash }, 'x402 settlement receipt not seen');
    throw new AppError(
      'CONFLICT',
      `The payment was sent in transaction ${hash} but its outcome is not known yet; ask again in a minute`,
    );
  }
  if (receipt.status !== 'success') {
    return fail(
      'invalid_transaction_state',
      `The payment contract refused this payment (transaction ${hash} reverted): nothing was paid`,
      hash,
    );
  }
  return inTenant(async (d) => {
    await lockViewerVideo(d.em, input.auth.userId, input.videoId);
    await updateX402Settlement(d.em, step.settlement.id, { status: 'settled', at: d.clock() });
    return recorded(d, input, version, { txHash: hash, payer });
  });
}

/**
 * Settles the fate of a settlement whose request went away (its lease ran out) from the chain: its
 * transaction's receipt when it has one (mined: recorded; reverted: failed), else the token's record
 * of the nonce (used: settled, the indexer credits the `Paid` event; never usable any more: failed;
 * still usable: failed, so the same authorization may be sent again — the invoice and the nonce are
 * single-use on chain, so it can be paid only once).
 */
async function resolveLapsed(
  deps: AppDeps & { chain: ChainDeps },
  inTenant: InTenant,
  auth: AuthInfo,
  settlement: X402Settlement,
): Promise<void> {
  const mark = (status: 'settled' | 'failed', problem: X402ErrorReason | null) =>
    inTenant((d) => updateX402Settlement(d.em, settlement.id, { status, problem, at: d.clock() }));
  if (settlement.txHash) {
    const receipt = await deps.chain.client
      .getTransactionReceipt({ hash: settlement.txHash as Hex })
      .catch((error: unknown) => {
        if (error instanceof TransactionReceiptNotFoundError) return null;
        throw error;
      });
    if (receipt?.status === 'success') {
      await inTenant(async (d) => {
        await submitTransaction(d, { auth, txHash: settlement.txHash as string });
        await updateX402Settlement(d.em, settlement.id, { status: 'settled', at: d.clock() });
      });
      return;
    }
    if (receipt) return void (await mark('failed', 'invalid_transaction_state'));
  }
  const used = await deps.chain.client.readContract({
    address: getAddress(settlement.token),
    abi: testUSDAbi,
    functionName: 'authorizationState',
    args: [getAddress(settlement.payer), settlement.nonce as Hex],
  });
  if (used) return void (await mark('settled', null));
  const now = BigInt(Math.floor(deps.clock().getTime() / 1000));
  await mark(
    'failed',
    now >= settlement.validBefore
      ? 'invalid_exact_evm_payload_authorization_valid_before'
      : 'unexpected_settle_error',
  );
}
