import type { Eip1193Provider } from './siwe';

/** A browser wallet the page offers: announced through EIP-6963, or the legacy `window.ethereum`. */
export interface DiscoveredWallet {
  /** The wallet's name as it announces itself ("Browser wallet" for window.ethereum). */
  name: string;
  /** EIP-6963 `rdns` (reverse domain name); `window.ethereum` for the fallback. */
  id: string;
  provider: Eip1193Provider;
}

interface AnnounceDetail {
  info?: { name?: unknown; rdns?: unknown; uuid?: unknown };
  provider?: Eip1193Provider;
}

const announced = new Map<string, DiscoveredWallet>();
let listening = false;

function listen(): void {
  if (listening || typeof window === 'undefined') return;
  listening = true;
  window.addEventListener('eip6963:announceProvider', (event) => {
    const detail = (event as CustomEvent<AnnounceDetail>).detail;
    const provider = detail?.provider;
    if (!provider || typeof provider.request !== 'function') return;
    const id = String(detail.info?.rdns ?? detail.info?.uuid ?? `wallet-${announced.size + 1}`);
    announced.set(id, { id, name: String(detail.info?.name ?? 'Browser wallet'), provider });
  });
}

/**
 * The wallets of this page (EIP-6963: asks them to announce themselves and waits `waitMs` for the
 * answers, which wallets send synchronously); falls back to `window.ethereum` when none announce.
 */
export async function discoverWallets(waitMs = 100): Promise<DiscoveredWallet[]> {
  if (typeof window === 'undefined') return [];
  listen();
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  if (announced.size === 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  if (announced.size > 0) return [...announced.values()];
  const injected = (window as { ethereum?: Eip1193Provider }).ethereum;
  return injected && typeof injected.request === 'function'
    ? [{ id: 'window.ethereum', name: 'Browser wallet', provider: injected }]
    : [];
}
