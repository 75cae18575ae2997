import { call, type HubError } from './hub';

/**
 * Plays videos with shaka-player until the <ppv-player> web component takes over these mounts:
 * `[data-ppv-preview]` plays the free preview (public HLS) and `[data-ppv-player]` starts a playback
 * session for the signed-in viewer and plays its encrypted, watermarked stream.
 */

interface PlaybackStart {
  sessionId: string;
  masterUrl: string;
  token: string;
  expiresAt: string;
  overlay: { handle: string; code: string };
}

type Shaka = typeof import('shaka-player').default;

async function loadShaka(): Promise<Shaka> {
  const module = (await import('shaka-player/dist/shaka-player.compiled.js')) as { default: Shaka };
  const shaka = module.default;
  shaka.polyfill.installAll();
  if (!shaka.Player.isBrowserSupported()) throw new Error('This browser cannot play these videos');
  return shaka;
}

function statusOf(mount: HTMLElement): HTMLElement {
  return mount.querySelector<HTMLElement>('[data-status]')!;
}

function show(mount: HTMLElement, text: string) {
  const box = statusOf(mount);
  box.textContent = text;
  box.hidden = false;
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
    show(mount, `The preview cannot play: ${(error as Error).message ?? error}`);
  }
}

/** Moves the visible watermark (viewer handle and session code) around the picture. */
function moveOverlay(overlay: HTMLElement) {
  const spots = [
    [8, 8],
    [60, 12],
    [14, 70],
    [62, 76],
    [36, 40],
  ] as const;
  let i = 0;
  const place = () => {
    const [left, top] = spots[i++ % spots.length]!;
    overlay.style.left = `${left}%`;
    overlay.style.top = `${top}%`;
  };
  place();
  setInterval(place, 8_000);
}

async function startSession(mount: HTMLElement, endOldest: boolean): Promise<PlaybackStart> {
  return call<PlaybackStart>('playback.start', { videoId: mount.dataset.videoId, endOldest });
}

async function playSession(mount: HTMLElement, endOldest = false): Promise<void> {
  const video = mount.querySelector('video')!;
  const retry = mount.querySelector<HTMLButtonElement>('[data-end-oldest]')!;
  retry.hidden = true;
  let session: PlaybackStart;
  try {
    session = await startSession(mount, endOldest);
  } catch (error) {
    mount.dataset.state = 'denied';
    const e = error as HubError;
    show(mount, e.message);
    if (e.code === 'CONFLICT') retry.hidden = false;
    return;
  }
  let token = session.token;
  const overlay = mount.querySelector<HTMLElement>('[data-overlay]')!;
  overlay.textContent = `${session.overlay.handle} · ${session.overlay.code}`;
  overlay.hidden = false;
  moveOverlay(overlay);

  // Tokens are short-lived: renew at half their life while the session is open.
  const renew = async () => {
    const fresh = await call<{ token: string; expiresAt: string }>('playback.refresh', {
      sessionId: session.sessionId,
    });
    token = fresh.token;
    schedule(fresh.expiresAt);
  };
  const schedule = (expiresAt: string) => {
    const ms = Math.max(5_000, (new Date(expiresAt).getTime() - Date.now()) / 2);
    setTimeout(() => renew().catch((e: Error) => show(mount, e.message)), ms);
  };
  schedule(session.expiresAt);
  window.addEventListener('pagehide', () => {
    void call('playback.end', { sessionId: session.sessionId }, { keepalive: true }).catch(() => undefined);
  });

  try {
    const shaka = await loadShaka();
    const player = new shaka.Player();
    await player.attach(video);
    // The token goes only to the hub's playlist and key routes, never to segment requests.
    player.getNetworkingEngine()!.registerRequestFilter((_type, request) => {
      const uri = request.uris[0] ?? '';
      if (new URL(uri, window.location.href).pathname.startsWith('/play/'))
        request.headers.Authorization = `Bearer ${token}`;
    });
    player.addEventListener('error', (event) => {
      mount.dataset.state = 'error';
      show(
        mount,
        `Playback stopped (error ${(event as unknown as { detail: { code: number } }).detail.code})`,
      );
    });
    await player.load(session.masterUrl);
    mount.dataset.state = 'ready';
    mount.dataset.sessionId = session.sessionId;
  } catch (error) {
    mount.dataset.state = 'error';
    show(mount, `The video cannot play: ${(error as { code?: number }).code ?? (error as Error).message}`);
  }
}

for (const mount of Array.from(document.querySelectorAll<HTMLElement>('[data-ppv-preview]'))) {
  void playPreview(mount);
}
for (const mount of Array.from(document.querySelectorAll<HTMLElement>('[data-ppv-player]'))) {
  mount.querySelector<HTMLButtonElement>('[data-end-oldest]')!.addEventListener('click', () => {
    void playSession(mount, true);
  });
  void playSession(mount);
}
