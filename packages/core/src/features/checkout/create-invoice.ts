import { randomBytes, randomUUID } from 'node:crypto';
import { type InvoiceMessage, newInvoiceId, signInvoice, videoIdHash } from '@ppv/chain';
import {
  type Invoice,
  InvoiceEntity,
  isBlockedByCreator,
  lockViewerVideo,
  TenantEntity,
  WalletEntity,
} from '@ppv/db';
import { type Address, getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { canWatch } from '../access/can-watch';
import type { CreateInvoiceInput } from './checkout.schemas';
import { priceInToken, purchasableVideo } from './quote';

/** An open invoice is reused only while it has at least this long left to be paid. */
const REUSE_MARGIN_SECONDS = 60;

/** What a wallet needs to pay an invoice through the splitter, and what the viewer sees of it. */
export function invoiceForWallet(invoice: Invoice, decimals: number, reused: boolean) {
  const message: Record<keyof InvoiceMessage, string | number> = {
    invoiceId: invoice.invoiceId,
    payer: getAddress(invoice.payer),
    token: getAddress(invoice.token),
    amount: invoice.amount,
    creator: getAddress(invoice.creatorAddress),
    tenant: getAddress(invoice.tenantAddress),
    hub: getAddress(invoice.hubAddress),
    creatorBps: invoice.creatorBps,
    tenantBps: invoice.tenantBps,
    hubBps: invoice.hubBps,
    videoIdHash: invoice.videoIdHash,
    deadline: String(invoice.deadline),
  };
  return {
    id: invoice.id,
    videoId: invoice.videoId,
    status: invoice.status,
    reused,
    chainId: invoice.chainId,
    /** The X402Splitter to call. */
    splitter: getAddress(invoice.contract),
    /** `payNative` (send `amount` as value) for the native coin, else approve `amount` and `payToken`. */
    method: BigInt(invoice.token) === 0n ? ('payNative' as const) : ('payToken' as const),
    token: { symbol: invoice.tokenSymbol, address: getAddress(invoice.token), decimals },
    priceCents: invoice.priceCents,
    /** The invoice struct exactly as signed; uint256/uint64 fields as decimal strings. */
    invoice: message,
    signature: invoice.signature,
    expiresAt: new Date(invoice.deadline * 1000),
  };
}

/**
 * Creates (or reuses) the signed invoice a viewer pays to buy a video. Refuses when payments are not
 * configured, for the video's owner, a viewer who can already watch it, and a viewer its creator
 * blocked. The split is the hub's fee, the tenant's fee and the rest to the creator. One open invoice
 * per (viewer, video): a valid one for the same token and payer is returned again, any other is
 * expired and replaced (its payment would still be honoured, recorded as late).
 */
export async function createInvoice(deps: TenantDeps, input: CreateInvoiceInput & { auth: AuthInfo }) {
  const viewerId = input.auth.userId;
  const video = await purchasableVideo(deps, input.videoId);
  const payments = deps.config.money.payments;
  if (!payments) throw new AppError('PRECONDITION_FAILED', 'Payments are not set up on this hub yet');
  if (video.creatorId === viewerId)
    throw new AppError('CONFLICT', 'This is your own video: there is nothing to buy');
  if (
    await isBlockedByCreator(deps.em, {
      tenantId: deps.tenantId,
      creatorId: video.creatorId,
      userId: viewerId,
    })
  ) {
    throw new AppError('FORBIDDEN', 'The creator of this video has blocked you from buying it');
  }
  const now = deps.clock();
  const access = await canWatch(deps.em, viewerId, video, now);
  if (access.allowed) {
    throw new AppError(
      'CONFLICT',
      `You can already watch this video (${access.grant}): there is nothing to buy`,
    );
  }

  const chainId = deps.config.chainId;
  const wallets = await deps.em.find(
    WalletEntity,
    { userId: viewerId, chainId },
    { orderBy: { createdAt: 'desc' } },
  );
  const payer = input.payer ? wallets.find((w) => w.address === input.payer?.toLowerCase()) : wallets[0];
  if (!payer) {
    throw new AppError(
      input.payer ? 'FORBIDDEN' : 'PRECONDITION_FAILED',
      input.payer
        ? 'That wallet is not linked to your account; link it with Sign-In with Ethereum first'
        : 'Link a wallet to your account (Sign-In with Ethereum) before buying',
      { field: 'payer' },
    );
  }
  const [creatorWallet] = await deps.em.find(
    WalletEntity,
    { userId: video.creatorId, chainId },
    { orderBy: { createdAt: 'asc' }, limit: 1 },
  );
  if (!creatorWallet) {
    throw new AppError('PRECONDITION_FAILED', 'The creator of this video has not linked a payout wallet yet');
  }
  const tenant = await deps.em.findOneOrFail(TenantEntity, { id: deps.tenantId });
  if (!tenant.payoutWallet)
    throw new AppError('PRECONDITION_FAILED', 'This site has no payout wallet set up yet');
  const hubBps = deps.config.money.hubFeeBps;
  const tenantBps = tenant.feeBps;
  const creatorBps = 10_000 - hubBps - tenantBps;
  if (creatorBps < 0) {
    throw new AppError(
      'PRECONDITION_FAILED',
      'The fees of this site and the hub exceed 100%; ask the admin to fix them',
    );
  }

  await lockViewerVideo(deps.em, viewerId, video.id);
  const contract = payments.splitterAddress.toLowerCase();
  const priced = await priceInToken(deps, video.priceCents, input.token);
  const open = await deps.em.findOne(InvoiceEntity, { viewerId, videoId: video.id, status: 'open' });
  if (open) {
    const reusable =
      open.deadline > Math.floor(now.getTime() / 1000) + REUSE_MARGIN_SECONDS &&
      open.token === priced.address &&
      open.payer === payer.address &&
      open.chainId === chainId &&
      open.contract === contract &&
      open.priceCents === video.priceCents;
    if (reusable) return invoiceForWallet(open, priced.token.decimals, true);
    open.status = 'expired';
    await deps.em.flush();
  }

  const id = randomUUID();
  const ttlEnd = Math.floor(now.getTime() / 1000) + deps.config.money.invoiceTtlSeconds;
  // A rated price holds no longer than its rate.
  const deadline = priced.rateValidUntil
    ? Math.min(ttlEnd, Math.floor(priced.rateValidUntil.getTime() / 1000))
    : ttlEnd;
  const message: InvoiceMessage = {
    invoiceId: newInvoiceId(id, randomBytes(32)),
    payer: getAddress(payer.address),
    token: getAddress(priced.address),
    amount: priced.amount,
    creator: getAddress(creatorWallet.address),
    tenant: getAddress(tenant.payoutWallet),
    hub: getAddress(payments.hubPayoutWallet),
    creatorBps,
    tenantBps,
    hubBps,
    videoIdHash: videoIdHash(video.id),
    deadline: BigInt(deadline),
  };
  const signature = await signInvoice(
    privateKeyToAccount(payments.signerKey),
    { chainId, verifyingContract: getAddress(contract) as Address },
    message,
  );
  const invoice = deps.em.create(InvoiceEntity, {
    id,
    tenantId: deps.tenantId,
    viewerId,
    videoId: video.id,
    invoiceId: message.invoiceId.toLowerCase(),
    chainId,
    contract,
    payer: payer.address,
    token: priced.address,
    tokenSymbol: priced.token.symbol,
    amount: priced.amount.toString(),
    creatorAddress: message.creator.toLowerCase(),
    tenantAddress: message.tenant.toLowerCase(),
    hubAddress: message.hub.toLowerCase(),
    creatorBps,
    tenantBps,
    hubBps,
    videoIdHash: message.videoIdHash,
    deadline,
    signature: (signature as Hex).toLowerCase(),
    priceCents: video.priceCents,
    tokenRateId: priced.rate?.id ?? null,
    rentalHours: video.rentalHours ?? null,
  });
  await deps.em.flush();
  return invoiceForWallet(invoice, priced.token.decimals, false);
}
