import { NATIVE_TOKEN } from '@ppv/chain';
import type { PaymentToken } from '@ppv/config';
import { type EntityManager, type TokenRate, TokenRateEntity } from '@ppv/db';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { recordAudit } from '../audit/record-audit';
import type { SetTokenRateInput } from './rates.schemas';

/** The token's address as stored in rates, invoices and payments: lower case, NATIVE_TOKEN for the coin. */
export const tokenAddressOf = (token: PaymentToken): string =>
  (token.address === 'native' ? NATIVE_TOKEN : token.address).toLowerCase();

/** A configured payment token by symbol, or a 400 naming the accepted ones. */
export function configuredToken(tokens: readonly PaymentToken[], symbol: string): PaymentToken {
  const token = tokens.find((t) => t.symbol === symbol.toUpperCase());
  if (token) return token;
  throw new AppError(
    'BAD_REQUEST',
    tokens.length
      ? `${symbol} is not accepted here; pay with ${tokens.map((t) => t.symbol).join(', ')}`
      : 'No payment tokens are configured on this hub',
    { field: 'token' },
  );
}

/** "3456.78" US dollars → 3456780000 millionths. */
export function usdMicros(usd: string): bigint {
  const [whole = '0', fraction = ''] = usd.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

const publicRate = (r: TokenRate) => ({
  // A bigint column: as a string, so the answer serializes to JSON.
  id: String(r.id),
  symbol: r.symbol,
  token: r.token,
  chainId: r.chainId,
  usdMicrosPerToken: r.usdMicrosPerToken,
  validFrom: r.validFrom,
  validUntil: r.validUntil,
  setBy: r.setBy ?? null,
  createdAt: r.createdAt,
});

/** Hub admin: a new USD rate for a non-stable token, valid in a window. Earlier rates stay as history. */
export async function setTokenRate(
  deps: TenantDeps,
  input: SetTokenRateInput & { auth: AuthInfo; ip: string },
) {
  const token = configuredToken(deps.config.money.tokens, input.token);
  if (token.stable) {
    throw new AppError('BAD_REQUEST', `${token.symbol} is a stablecoin: it is priced at 1 USD`, {
      field: 'token',
    });
  }
  const validFrom = input.validFrom ?? deps.clock();
  if (input.validUntil <= validFrom) {
    throw new AppError('BAD_REQUEST', 'validUntil must be after validFrom (or after now)', {
      field: 'validUntil',
    });
  }
  const rate = deps.em.create(TokenRateEntity, {
    chainId: deps.config.chainId,
    token: tokenAddressOf(token),
    symbol: token.symbol,
    usdMicrosPerToken: usdMicros(input.usdPerToken).toString(),
    validFrom,
    validUntil: input.validUntil,
    setBy: input.auth.userId,
  });
  recordAudit(deps.em, {
    tenantId: deps.tenantId,
    actorUserId: input.auth.userId,
    action: 'token_rate.set',
    subject: token.symbol,
    ip: input.ip,
    details: { usdPerToken: input.usdPerToken, validFrom, validUntil: input.validUntil },
  });
  await deps.em.flush();
  return publicRate(rate);
}

/** A token's rates, newest first. */
export async function listTokenRates(deps: TenantDeps, input: { token: string; limit: number }) {
  const token = configuredToken(deps.config.money.tokens, input.token);
  const rows = await deps.em.find(
    TokenRateEntity,
    { chainId: deps.config.chainId, token: tokenAddressOf(token) },
    { orderBy: { validFrom: 'desc', id: 'desc' }, limit: input.limit },
  );
  return rows.map(publicRate);
}

export type RateLookup = { rate: TokenRate } | { problem: 'none' } | { problem: 'expired'; expiredAt: Date };

/** The rate in force at `at`: the newest one that had started by then, if it has not ended. */
export async function currentTokenRate(
  em: EntityManager,
  input: { chainId: number; token: string; at: Date },
): Promise<RateLookup> {
  const rate = await em.findOne(
    TokenRateEntity,
    { chainId: input.chainId, token: input.token, validFrom: { $lte: input.at } },
    { orderBy: { validFrom: 'desc', id: 'desc' } },
  );
  if (!rate) return { problem: 'none' };
  if (rate.validUntil <= input.at) return { problem: 'expired', expiredAt: rate.validUntil };
  return { rate };
}
