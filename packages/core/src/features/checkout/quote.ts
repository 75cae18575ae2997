import type { PaymentToken } from '@ppv/config';
import { TenantEntity, type TokenRate, VideoEntity } from '@ppv/db';
import type { TenantDeps } from '../../deps';
import { AppError, notFound } from '../../errors';
import { configuredToken, currentTokenRate, tokenAddressOf } from '../rates/token-rates';
import { unlistedReason } from '../videos/moderate-video';
import type { QuoteInput } from './checkout.schemas';

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * US cents → the token's smallest units, rounded up so a payment never falls short of the price:
 * a stablecoin at its peg (1 token = 1 USD), any other token at `usdMicrosPerToken` (millionths of a
 * dollar per whole token). A non-stable token without a rate is a programming error here: callers
 * look the rate up first.
 */
export function tokenAmountForCents(
  cents: number,
  token: PaymentToken,
  usdMicrosPerToken: bigint | null,
): bigint {
  const unit = 10n ** BigInt(token.decimals);
  if (token.stable) return ceilDiv(BigInt(cents) * unit, 100n);
  if (usdMicrosPerToken === null || usdMicrosPerToken <= 0n)
    throw new Error(`pricing ${token.symbol} needs a rate`);
  return ceilDiv(BigInt(cents) * 10_000n * unit, usdMicrosPerToken);
}

/** The price in the tenant's display currency, as a decimal string with two places (half up). */
export function displayAmount(cents: number, rate: string): string {
  const [whole = '0', fraction = ''] = rate.split('.');
  const scaled = BigInt(whole) * 10n ** 8n + BigInt(fraction.padEnd(8, '0').slice(0, 8));
  const hundredths = (BigInt(cents) * scaled + 5n * 10n ** 7n) / 10n ** 8n;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

export interface PricedToken {
  token: PaymentToken;
  address: string;
  amount: bigint;
  rate: TokenRate | null;
  /** When this price stops holding (the rate's end, for a rated token). */
  rateValidUntil: Date | null;
}

/** Prices `cents` in a configured token at the rate in force now, or refuses with the reason. */
export async function priceInToken(deps: TenantDeps, cents: number, symbol: string): Promise<PricedToken> {
  const token = configuredToken(deps.config.money.tokens, symbol);
  const address = tokenAddressOf(token);
  if (token.stable) {
    return {
      token,
      address,
      amount: tokenAmountForCents(cents, token, null),
      rate: null,
      rateValidUntil: null,
    };
  }
  const lookup = await currentTokenRate(deps.em, {
    chainId: deps.config.chainId,
    token: address,
    at: deps.clock(),
  });
  if ('problem' in lookup) {
    throw new AppError(
      'PRECONDITION_FAILED',
      lookup.problem === 'none'
        ? `${token.symbol} has no USD rate yet; pay with a stablecoin or ask the hub admin to set one`
        : `The USD rate of ${token.symbol} expired at ${lookup.expiredAt.toISOString()}; pay with a stablecoin or ask the hub admin to renew it`,
      { field: 'token' },
    );
  }
  return {
    token,
    address,
    amount: tokenAmountForCents(cents, token, BigInt(lookup.rate.usdMicrosPerToken)),
    rate: lookup.rate,
    rateValidUntil: lookup.rate.validUntil,
  };
}

/** A purchasable (ready, listed, priced) video of this tenant, or the reason it is not. */
export async function purchasableVideo(deps: TenantDeps, videoId: string) {
  const video = await deps.em.findOne(VideoEntity, { id: videoId });
  if (!video) throw notFound('Video');
  if (video.status !== 'ready')
    throw new AppError('PRECONDITION_FAILED', 'This video is not ready to sell yet');
  const unlisted = unlistedReason(video);
  if (unlisted) throw new AppError('PRECONDITION_FAILED', `This video is not for sale: ${unlisted}`);
  if (video.priceCents === 0)
    throw new AppError('BAD_REQUEST', 'This video is free: there is nothing to pay');
  return video;
}

/**
 * What a video costs in a token now: the amount in the token's smallest units, the rate used, the
 * price in the tenant's display currency, and until when the quote holds (quoteTtlSeconds, or the
 * rate's end if sooner).
 */
export async function quote(deps: TenantDeps, input: QuoteInput) {
  const tenant = await deps.em.findOneOrFail(TenantEntity, { id: deps.tenantId });
  const video = await purchasableVideo(deps, input.videoId);
  const priced = await priceInToken(deps, video.priceCents, input.token);
  const now = deps.clock();
  const ttlEnd = new Date(now.getTime() + deps.config.money.quoteTtlSeconds * 1000);
  const expiresAt = priced.rateValidUntil && priced.rateValidUntil < ttlEnd ? priced.rateValidUntil : ttlEnd;
  return {
    videoId: video.id,
    priceCents: video.priceCents,
    token: {
      symbol: priced.token.symbol,
      address: priced.address,
      decimals: priced.token.decimals,
      stable: priced.token.stable,
    },
    /** Smallest units of the token, as a decimal string. */
    amount: priced.amount.toString(),
    rate: priced.rate
      ? {
          id: priced.rate.id,
          usdMicrosPerToken: priced.rate.usdMicrosPerToken,
          validUntil: priced.rate.validUntil,
        }
      : null,
    display: {
      currency: tenant.displayCurrency,
      rate: tenant.displayRate,
      amount: displayAmount(video.priceCents, tenant.displayRate),
    },
    quotedAt: now,
    expiresAt,
  };
}
