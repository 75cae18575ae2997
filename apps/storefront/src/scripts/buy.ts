import { createPpvClient, discoverWallets, PpvError } from '@ppv/sdk';

/**
 * The video page's Buy: the same checkout as <ppv-player> (@ppv/sdk's buyWithWallet with the page's
 * wallet), each step shown under the button, then the watch page.
 */
const messages: Partial<Record<string, string>> = {
  USER_REJECTED: 'You cancelled in your wallet. Nothing was paid.',
  INVOICE_EXPIRED: 'The price offer ran out before the payment. Press Buy again for a new one.',
  TRANSACTION_REVERTED: 'The payment did not go through on the network. Nothing was paid.',
  NETWORK_ERROR: 'We could not reach the video service. Check your connection and try again.',
};

for (const mount of Array.from(document.querySelectorAll<HTMLElement>('[data-ppv-buy]'))) {
  const button = mount.querySelector<HTMLButtonElement>('button[data-buy]');
  const status = mount.querySelector<HTMLElement>('[data-buy-status]')!;
  const videoId = mount.dataset.videoId!;
  const say = (text: string, problem = false) => {
    status.textContent = text;
    status.hidden = false;
    status.classList.toggle('error', problem);
  };
  button?.addEventListener('click', async () => {
    const [wallet] = await discoverWallets();
    if (!wallet) {
      say('To buy this video, use a browser with an Ethereum wallet.', true);
      return;
    }
    button.disabled = true;
    try {
      const ppv = createPpvClient({ hub: window.location.origin });
      await ppv.checkout.buyWithWallet({
        videoId,
        provider: wallet.provider,
        onProgress: ({ message }) => say(message),
      });
      say('Paid: opening the video…');
      window.location.assign(`/videos/${videoId}/watch`);
    } catch (error) {
      const code = error instanceof PpvError ? error.code : '';
      say(messages[code] ?? (error instanceof Error ? error.message : String(error)), true);
      button.disabled = false;
    }
  });
}
