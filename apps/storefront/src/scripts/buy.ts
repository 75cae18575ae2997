import { createPpvClient, type DiscoveredWallet, discoverWallets, PpvError } from '@ppv/sdk';

/**
 * The video page's Buy: the same checkout as <ppv-player> (@ppv/sdk's buyWithWallet with the page's
 * wallet), each step shown under the button, then the watch page. A wallet the viewer's account
 * lacks is first linked to it (a Sign-In with Ethereum message the wallet signs), then the purchase
 * continues.
 */
const messages: Partial<Record<string, string>> = {
  USER_REJECTED: 'You cancelled in your wallet. Nothing was paid.',
  INVOICE_EXPIRED: 'The price offer ran out before the payment. Press Buy again for a new one.',
  TRANSACTION_REVERTED: 'The payment did not go through on the network. Nothing was paid.',
  NETWORK_ERROR: 'We could not reach the video service. Check your connection and try again.',
  WALLET_NOT_LINKED:
    'This wallet is not linked to your account yet. Link it by signing a message, then the purchase continues.',
  SIGNATURE_REJECTED: 'You did not sign in your wallet, so it was not linked. Nothing was paid.',
};

const messageOf = (error: unknown) =>
  messages[error instanceof PpvError ? error.code : ''] ??
  (error instanceof Error ? error.message : String(error));

for (const mount of Array.from(document.querySelectorAll<HTMLElement>('[data-ppv-buy]'))) {
  const button = mount.querySelector<HTMLButtonElement>('button[data-buy]');
  const link = mount.querySelector<HTMLButtonElement>('button[data-link-wallet]');
  const status = mount.querySelector<HTMLElement>('[data-buy-status]')!;
  const videoId = mount.dataset.videoId!;
  const ppv = createPpvClient({ hub: window.location.origin });
  const say = (text: string, problem = false) => {
    status.textContent = text;
    status.hidden = false;
    status.classList.toggle('error', problem);
  };

  const buy = async (wallet: DiscoveredWallet) => {
    button!.disabled = true;
    try {
      await ppv.checkout.buyWithWallet({
        videoId,
        provider: wallet.provider,
        onProgress: ({ message }) => say(message),
      });
      say('Paid: opening the video…');
      window.location.assign(`/videos/${videoId}/watch`);
    } catch (error) {
      say(messageOf(error), true);
      button!.disabled = false;
      if (error instanceof PpvError && error.code === 'WALLET_NOT_LINKED' && link) {
        link.hidden = false;
        link.onclick = () => void linkAndBuy(wallet);
        link.focus();
      }
    }
  };

  const linkAndBuy = async (wallet: DiscoveredWallet) => {
    link!.disabled = true;
    button!.disabled = true;
    say('Sign the message in your wallet to link it to your account');
    try {
      await ppv.auth.linkWallet({
        provider: wallet.provider,
        statement: `Link this wallet to my account on ${document.title}`,
      });
    } catch (error) {
      say(messageOf(error), true);
      link!.disabled = false;
      button!.disabled = false;
      return;
    }
    link!.hidden = true;
    link!.disabled = false;
    await buy(wallet);
  };

  button?.addEventListener('click', async () => {
    const [wallet] = await discoverWallets();
    if (!wallet) {
      say('To buy this video, use a browser with an Ethereum wallet.', true);
      return;
    }
    if (link) link.hidden = true;
    await buy(wallet);
  });
}
