import {
  payInvoiceWithAuthorization,
  receiveAuthorizationTypes,
  testUSDAbi,
  tokenEip712Domain,
} from '@ppv/chain';
import { type Invoice, InvoiceEntity, lockViewerVideo, VideoEntity } from '@ppv/db';
import {
  type Address,
  createWalletClient,
  custom,
  getAddress,
  type Hex,
  isAddressEqual,
  parseSignature,
  verifyTypedData,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { AuthInfo, RequestMeta } from '../../context';
import type { ChainDeps, TenantDeps } from '../../deps';
import { AppError, notFound } from '../../errors';
import { canWatch } from '../access/can-watch';
import { createInvoice, invoiceForWallet } from '../checkout/create-invoice';
import { submitTransaction } from '../payments/submit-transaction';
import { type PlaybackStart, startPlayback } from '../playback/start-playback';
import { tokenAddressOf } from '../rates/token-rates';
import {
  decodePaymentHeader,
  type PaymentPayload,
  type PaymentRequired,
  type SettlementResponse,
  X402_VERSION,
  type X402ErrorReason,
} from './x402-protocol';

/** An authorization must stay valid at least this long, so the relayer's transaction gets mined in time. */
const MIN_VALIDITY_SECONDS = 6;

export interface X402AccessInput {
  auth: AuthInfo;
  videoId: string;
  /** The URL the client asked for (PaymentRequired.resource.url). */
  resourceUrl: string;
  /** The `PAYMENT-SIGNATURE` header, if sent. */
  paymentHeader: string | undefined;
  req: RequestMeta;
}

export type X402AccessResult =
  /** 402: pay as `paymentRequired` says; `reason` says why the payment sent (if any) was refused. */
  | {
      kind: 'payment_required';
      paymentRequired: PaymentRequired;
      reason: X402ErrorReason | null;
      message: string;
    }
  /** 200: the viewer may watch (paid now, when `settlement` is set, or before). */
  | { kind: 'granted'; playback: PlaybackStart; settlement: SettlementResponse | null }
  /** 202: paid on chain, waiting for confirmations; the indexer grants access once they are in. */
  | { kind: 'settled_pending'; settlement: SettlementResponse; message: string };

type Wallet = Awaited<ReturnType<typeof createInvoice>>;

async function requirementsFor(
  deps: TenantDeps & { chain: ChainDeps },
  input: X402AccessInput,
  wallet: Wallet,
  title: string,
  error: string,
): Promise<PaymentRequired> {
  const domain = await tokenEip712Domain(deps.chain.client, wallet.token.address);
  const now = Math.floor(deps.clock().getTime() / 1000);
  return {
    x402Version: X402_VERSION,
    error,
    resource: { url: input.resourceUrl, description: `A view of "${title}"`, mimeType: 'application/json' },
    accepts: [
      {
        scheme: 'exact',
        network: `eip155:${deps.chain.chainId}`,
        asset: wallet.token.address,
        amount: String(wallet.invoice.amount),
        payTo: wallet.splitter,
        maxTimeoutSeconds: Math.max(0, Math.floor(wallet.expiresAt.getTime() / 1000) - now),
        extra: {
          name: domain.name,
          version: domain.version,
          authorization: 'ReceiveWithAuthorization',
          /** `from` must be `invoice.payer`; `validBefore` no later than `invoice.deadline`. */
          invoice: { id: wallet.id, ...wallet.invoice },
        },
      },
    ],
  };
}

/** The stablecoin x402 payments are taken in: the first configured ERC-20 at a peg. */
function x402Token(deps: TenantDeps) {
  const token = deps.config.money.tokens.find((t) => t.stable && t.address !== 'native');
  if (!token) {
    throw new AppError(
      'PRECONDITION_FAILED',
      'This hub takes no stablecoin payments, so it cannot be paid over HTTP 402; buy the video in the storefront',
    );
  }
  return token;
}

/**
 * Access to a video over HTTP 402 (x402 v2, `exact` scheme, EIP-3009 `ReceiveWithAuthorization`).
 * Without a payment: the requirements of the viewer's open invoice (made or reused by createInvoice).
 * With one: checks it against that invoice (recipient = the splitter, amount, window, signer = the
 * invoice's payer, nonce unused, balance), has the hub's relayer submit it to the splitter (so the
 * split happens on chain), records it through submitTransaction → recordPaidEvents, and starts a
 * playback session. Runs under the (viewer, video) lock: concurrent retries of one authorization
 * settle once, the later ones find the grant and just start playback.
 */
export async function x402Access(deps: TenantDeps, input: X402AccessInput): Promise<X402AccessResult> {
  const payments = deps.config.money.payments;
  const chain = deps.chain;
  if (!payments || !chain)
    throw new AppError('PRECONDITION_FAILED', 'Payments are not set up on this hub yet');
  const video = await deps.em.findOne(VideoEntity, { id: input.videoId });
  if (!video) throw notFound('Video');
  await lockViewerVideo(deps.em, input.auth.userId, video.id);
  const play = () =>
    startPlayback(deps, { auth: input.auth, videoId: video.id, endOldest: true, req: input.req });
  const access = await canWatch(deps.em, input.auth.userId, video, deps.clock());
  if (access.allowed) return { kind: 'granted', playback: await play(), settlement: null };

  const token = x402Token(deps);
  const withChain = { ...deps, chain };
  const refuse = async (reason: X402ErrorReason | null, message: string): Promise<X402AccessResult> => {
    const wallet = await createInvoice(deps, { videoId: video.id, token: token.symbol, auth: input.auth });
    return {
      kind: 'payment_required',
      paymentRequired: await requirementsFor(withChain, input, wallet, video.title, reason ?? message),
      reason,
      message,
    };
  };
  if (!input.paymentHeader) return refuse(null, 'PAYMENT-SIGNATURE header is required');

  const decoded = decodePaymentHeader(input.paymentHeader);
  if ('problem' in decoded) return refuse('invalid_payload', decoded.problem);
  const { accepted, payload } = decoded.payload;
  if (decoded.payload.x402Version !== X402_VERSION)
    return refuse('invalid_x402_version', `This hub speaks x402 version ${X402_VERSION}`);
  if (accepted.scheme !== 'exact')
    return refuse('unsupported_scheme', 'This hub takes only the exact scheme');
  const network = `eip155:${chain.chainId}`;
  if (accepted.network !== network) return refuse('invalid_network', `This hub is paid on ${network}`);

  const invoice = await deps.em.findOne(InvoiceEntity, {
    id: accepted.extra.invoice.id,
    viewerId: input.auth.userId,
    videoId: video.id,
  });
  const now = Math.floor(deps.clock().getTime() / 1000);
  if (invoice?.status !== 'open' || invoice.deadline <= now) {
    return refuse(
      'invalid_payment_requirements',
      'That invoice is not open for this video any more; pay the one in PAYMENT-REQUIRED',
    );
  }
  if (invoice.token !== tokenAddressOf(token)) {
    return refuse('invalid_payment_requirements', 'That invoice is not payable with an authorization');
  }
  const authorization = payload.authorization;
  if (!isAddressEqual(authorization.to as Address, invoice.contract as Address)) {
    return refuse(
      'invalid_exact_evm_payload_recipient_mismatch',
      `The authorization pays ${getAddress(authorization.to)}; it must pay the splitter ${getAddress(invoice.contract)}`,
    );
  }
  if (authorization.value !== BigInt(invoice.amount)) {
    return refuse(
      'invalid_exact_evm_payload_authorization_value',
      `The authorization is for ${authorization.value} units; this video costs ${invoice.amount}`,
    );
  }
  if (authorization.validAfter >= BigInt(now)) {
    return refuse(
      'invalid_exact_evm_payload_authorization_valid_after',
      'The authorization is not valid yet',
    );
  }
  if (authorization.validBefore <= BigInt(now + MIN_VALIDITY_SECONDS)) {
    return refuse(
      'invalid_exact_evm_payload_authorization_valid_before',
      'The authorization has expired (or expires within seconds); sign a new one',
    );
  }
  if (!isAddressEqual(authorization.from as Address, invoice.payer as Address)) {
    return refuse(
      'invalid_exact_evm_payload_signature',
      `The authorization is from ${getAddress(authorization.from)}; this invoice is payable only by your wallet ${getAddress(invoice.payer)}`,
    );
  }
  const tokenAddress = getAddress(invoice.token);
  const domain = await tokenEip712Domain(chain.client, tokenAddress);
  const message = {
    from: getAddress(authorization.from),
    to: getAddress(authorization.to),
    value: authorization.value,
    validAfter: authorization.validAfter,
    validBefore: authorization.validBefore,
    nonce: authorization.nonce as Hex,
  };
  const signed = await verifyTypedData({
    address: message.from,
    domain,
    types: receiveAuthorizationTypes,
    primaryType: 'ReceiveWithAuthorization',
    message,
    signature: payload.signature as Hex,
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
      args: [message.from, message.nonce],
    }),
    chain.client.readContract({
      address: tokenAddress,
      abi: testUSDAbi,
      functionName: 'balanceOf',
      args: [message.from],
    }),
  ]);
  if (used) {
    return refuse(
      'invalid_transaction_state',
      'This authorization was already used; sign a new one with a fresh nonce',
    );
  }
  if (balance < message.value) {
    return refuse(
      'insufficient_funds',
      `The payer holds ${balance} units; this video costs ${message.value}`,
    );
  }

  const settled = await settle(
    withChain,
    payments.relayerKey ?? payments.signerKey,
    invoice,
    message,
    payload,
  );
  if ('reason' in settled) return refuse(settled.reason, settled.message);
  const settlement: SettlementResponse = {
    success: true,
    transaction: settled.transactionHash,
    network,
    payer: message.from,
  };
  const recorded = await submitTransaction(deps, { auth: input.auth, txHash: settled.transactionHash });
  if (recorded.status === 'pending') {
    return {
      kind: 'settled_pending',
      settlement,
      message: `Paid in ${settled.transactionHash}; access follows after ${recorded.required} confirmations (${recorded.confirmations} so far)`,
    };
  }
  return { kind: 'granted', playback: await play(), settlement };
}

/**
 * Whether the contract refused the payment (the relayer's gas estimate or the mined transaction
 * reverted), as against the node being unreachable: viem's revert errors or the chain package's
 * TransactionRevertedError, anywhere along the cause chain.
 */
function reverted(error: unknown): boolean {
  const names = ['TransactionRevertedError', 'ContractFunctionRevertedError', 'ExecutionRevertedError'];
  for (let e = error as { name?: unknown; cause?: unknown } | null; e && typeof e === 'object'; ) {
    if (names.includes(String(e.name))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

async function settle(
  deps: TenantDeps & { chain: ChainDeps },
  relayerKey: Hex,
  invoice: Invoice,
  authorization: { validAfter: bigint; validBefore: bigint; nonce: Hex },
  payload: PaymentPayload['payload'],
): Promise<{ transactionHash: Hex } | { reason: X402ErrorReason; message: string }> {
  const relayer = createWalletClient({
    account: privateKeyToAccount(relayerKey),
    chain: deps.chain.client.chain,
    transport: custom(deps.chain.client),
  });
  const { r, s, yParity } = parseSignature(payload.signature as Hex);
  const wallet = invoiceForWallet(invoice, 0, true);
  const m = wallet.invoice;
  try {
    const receipt = await payInvoiceWithAuthorization(relayer, deps.chain.client, {
      splitter: wallet.splitter,
      invoice: {
        invoiceId: m.invoiceId as Hex,
        payer: m.payer as Address,
        token: m.token as Address,
        amount: BigInt(m.amount),
        creator: m.creator as Address,
        tenant: m.tenant as Address,
        hub: m.hub as Address,
        creatorBps: Number(m.creatorBps),
        tenantBps: Number(m.tenantBps),
        hubBps: Number(m.hubBps),
        videoIdHash: m.videoIdHash as Hex,
        deadline: BigInt(m.deadline),
      },
      signature: wallet.signature as Hex,
      authorization,
      authorizationSignature: { v: 27 + yParity, r, s },
    });
    return { transactionHash: receipt.transactionHash };
  } catch (error) {
    deps.logger.warn({ err: error, invoice: invoice.id }, 'x402 settlement failed');
    if (reverted(error)) {
      return {
        reason: 'invalid_transaction_state',
        message: 'The payment contract refused this payment (it reverted): nothing was paid',
      };
    }
    return {
      reason: 'unexpected_settle_error',
      message: 'The payment could not be submitted to the chain; nothing was paid, please try again',
    };
  }
}
