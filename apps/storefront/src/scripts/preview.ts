/**
 * The video page's free preview: `[data-ppv-preview]` plays its public HLS (no sign-in, nothing
 * encrypted) with shaka-player. The watch page plays with <ppv-player> (src/scripts/watch.ts).
 */

type Shaka = typeof import('shaka-player').default;

async function loadShaka(): Promise<Shaka> {
  const module = (await import('shaka-player/dist/shaka-player.compiled.js')) as { default: Shaka };
  const shaka = module.default;
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) throw new Error('This browser cannot play these videos');
  return shaka;
}

async function playPreview(mount: HTMLElement) {
  const video = mount.querySelector('video')!;
  try {
    const shaka = await loadShaka();
    const player = new shaka.Player();
    await player.attach(video);
    await player.load(mount.dataset.src!);
    mount.dataset.state = 'ready';
  } catch (error) {
    mount.dataset.state = 'error';
    const box = mount.querySelector<HTMLElement>('[data-status]')!;
    box.textContent = `The preview cannot play: ${(error as Error).message ?? error}`;
    box.hidden = false;
  }
}

for (const mount of Array.from(document.querySelectorAll<HTMLElement>('[data-ppv-preview]'))) {
  void playPreview(mount);
}
