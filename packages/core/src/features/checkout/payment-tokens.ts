import type { TenantDeps } from '../../deps';
import { tokenAddressOf } from '../rates/token-rates';

/** The tokens this hub accepts, in the configured order (the first is the default), and its chain. */
export function paymentTokens(deps: Pick<TenantDeps, 'config'>) {
  return {
    chainId: deps.config.chainId,
    tokens: deps.config.money.tokens.map((t) => ({
      symbol: t.symbol,
      address: tokenAddressOf(t),
      native: t.address === 'native',
      decimals: t.decimals,
      stable: t.stable,
    })),
  };
}
