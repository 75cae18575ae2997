import { createWalletClient, type Hex, http, type LocalAccount } from 'viem';
import { chainFor } from './client';

/** The name of the page function the injected test wallet forwards its requests to. */
export const TEST_WALLET_BINDING = 'ppvTestWallet';

/**
 * The Node side of an injected browser wallet for tests: an EIP-1193 `request` handler over a viem
 * local account on a dev chain (anvil). Signs `personal_sign`, signs and sends `eth_sendTransaction`,
 * refuses to switch chains, and forwards every read to the node. Expose it to a page under
 * `TEST_WALLET_BINDING` and add `testWalletInitScript` to the page.
 */
export function testWalletHandler(account: LocalAccount, options: { rpcUrl: string; chainId: number }) {
  const wallet = createWalletClient({
    account,
    chain: chainFor(options.chainId, options.rpcUrl),
    transport: http(options.rpcUrl),
  });
  return async (method: string, params: unknown[] = []): Promise<unknown> => {
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return [account.address.toLowerCase()];
      case 'eth_chainId':
        return `0x${options.chainId.toString(16)}`;
      case 'wallet_switchEthereumChain': {
        const [target] = params as [{ chainId: string }];
        if (Number(BigInt(target.chainId)) === options.chainId) return null;
        throw new Error(`Unrecognized chain ID ${target.chainId}`);
      }
      case 'personal_sign':
        return account.signMessage({ message: { raw: params[0] as Hex } });
      case 'eth_sendTransaction': {
        const [tx] = params as [{ to: Hex; data?: Hex; value?: Hex }];
        return wallet.sendTransaction({
          to: tx.to,
          ...(tx.data && { data: tx.data }),
          ...(tx.value && { value: BigInt(tx.value) }),
        });
      }
      default:
        return wallet.request({ method: method as never, params: params as never });
    }
  };
}

/**
 * The page side: `window.ethereum` and an EIP-6963 announcement ("PPV Test Wallet"), each request
 * forwarded to the page function `TEST_WALLET_BINDING`. Pass it to Playwright's `addInitScript`.
 */
export const testWalletInitScript = `(() => {
  const provider = {
    isPpvTestWallet: true,
    request: ({ method, params }) => window.${TEST_WALLET_BINDING}(method, params ?? []),
    on() {},
    removeListener() {},
  };
  window.ethereum = provider;
  const info = Object.freeze({
    uuid: '6d5cf4b8-3f0e-4c36-9a7b-0a1d8e2c5f10',
    name: 'PPV Test Wallet',
    icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>',
    rdns: 'test.ppv.wallet',
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
})();`;
