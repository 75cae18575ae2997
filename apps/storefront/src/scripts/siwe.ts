import { getAddress, stringToHex } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { call, HubError, say } from './hub';

/** An EIP-1193 provider, as a browser wallet injects it. */
interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

const provider = (window as { ethereum?: Eip1193Provider }).ethereum;

/**
 * Sign-In-With-Ethereum (EIP-4361) with the page's wallet: a single-use nonce from the hub, a
 * message naming this site and the hub's chain, the wallet's signature, then the hub verifies it
 * and signs in (or, with data-link, links the wallet to the signed-in account).
 */
async function signInWithEthereum(link: boolean): Promise<void> {
  if (!provider) throw new HubError('No Ethereum wallet was found in this browser', 0, 'NO_WALLET', []);
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts[0]) throw new HubError('The wallet did not share an account', 0, 'NO_ACCOUNT', []);
  const address = getAddress(accounts[0]);
  const { nonce, domain, chainId } = await call<{ nonce: string; domain: string; chainId: number }>(
    'siwe.nonce',
  );
  const message = createSiweMessage({
    domain,
    address,
    statement: link ? `Link this wallet to my account on ${document.title}` : `Sign in to ${document.title}`,
    uri: window.location.origin,
    version: '1',
    chainId,
    nonce,
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + 10 * 60_000),
  });
  let signature: string;
  try {
    signature = (await provider.request({
      method: 'personal_sign',
      params: [stringToHex(message), address],
    })) as string;
  } catch {
    throw new HubError('The wallet did not sign the message', 0, 'REJECTED', []);
  }
  await call('siwe.verify', { message, signature, link });
}

for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-siwe]'))) {
  const scope = button.closest('section') ?? document;
  if (!provider) {
    button.disabled = true;
    const note = scope.querySelector<HTMLElement>('[data-no-wallet]');
    if (note) note.hidden = false;
    continue;
  }
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const link = button.dataset.siwe === 'link';
      await signInWithEthereum(link);
      if (link) window.location.reload();
      else window.location.assign(button.dataset.next ?? '/account');
    } catch (error) {
      say(scope, error instanceof Error ? error.message : String(error));
      button.disabled = false;
    }
  });
}
