import {
  type AccessCheck,
  createPpvClient,
  type DiscoveredWallet,
  discoverWallets,
  formatTokenUnits,
  type PlaybackSession,
  type PpvClient,
  PpvError,
  type Tenant,
  type Video,
} from '@ppv/sdk';
import shaka from 'shaka-player/dist/shaka-player.hls.js';
import { formatPrice } from './price';
import { styles } from './styles';
import { Watermark } from './watermark';

/** What the player shows; reflected in its `state` attribute (for styling) and the `ppv-state` event. */
export type PlayerState =
  | 'loading'
  | 'ready'
  | 'paywall'
  | 'preview'
  | 'playing'
  | 'too-many-sessions'
  | 'paused-watermark'
  | 'error';

/** The `detail` of the `ppv-checkout` event: enough for a checkout to take over. */
export interface CheckoutRequest {
  videoId: string;
  priceCents: number;
  title: string;
  client: PpvClient;
}

const WATERMARK_MOVE_MS = 4_000;

const problems = {
  notFound: 'This video does not exist, or it is not ready to watch yet.',
  notReady: 'This video is still being prepared. Please try again in a few minutes.',
  network: 'We could not reach the video service. Check your connection and try again.',
  ended: 'Your viewing session ended. Press play to start a new one.',
  watermark: 'Playback is paused because the viewer watermark could not be shown.',
  noWallet: 'To buy this video, open this page in a browser with an Ethereum wallet.',
  rejected: 'You cancelled in your wallet. Nothing was paid.',
  expired: 'The price offer ran out before the payment. Press Buy again for a new one.',
  reverted: 'The payment did not go through on the network. Nothing was paid.',
  notLinked:
    'This wallet is not linked to your account yet. Link it by signing a message, then the purchase continues.',
} as const;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Omit<HTMLElementTagNameMap[K], 'part'>> & { class?: string; part?: string } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { class: className, part, ...rest } = props;
  Object.assign(node, rest);
  if (className) node.className = className;
  if (part) node.setAttribute('part', part);
  node.append(...children);
  return node;
}

/**
 * `<ppv-player hub="https://videos.example" tenant="acme" video="<video id>">`: poster, title and
 * price, the free preview, a paywall with sign-in when the viewer may not watch, then encrypted
 * playback (shaka-player) under a moving watermark. Emits `ppv-checkout` from the paywall's Buy
 * button; call `refresh()` once a purchase went through.
 */
export class PpvPlayerElement extends HTMLElement {
  static observedAttributes = ['hub', 'tenant', 'video'];

  #root = this.attachShadow({ mode: 'open' });
  #frame = element('div', { class: 'frame', part: 'frame' });
  #video = element('video', { playsInline: true, part: 'video' });
  #poster = element('img', { class: 'poster', alt: '', part: 'poster' });
  #badge = element('div', { class: 'badge', hidden: true });
  #panel = element('div', { class: 'panel', part: 'panel' });
  #title = element('h1');
  #watermark = new Watermark(this.#frame, {
    intervalMs: WATERMARK_MOVE_MS,
    onLost: () => this.#watermarkLost(),
  });
  #client: PpvClient | null = null;
  /** The API token #client was made with. */
  #clientToken: string | null = null;
  #tenant: Tenant | null = null;
  #info: Video | null = null;
  #session: PlaybackSession | null = null;
  #token = '';
  #apiToken: string | null = null;
  #stopRefresh: (() => void) | null = null;
  #shaka: shaka.Player | null = null;
  #state: PlayerState = 'loading';
  #wallets: DiscoveredWallet[] = [];
  #generation = 0;
  /** Start playing as soon as the viewer may watch (the `autoplay` attribute), once per load. */
  #autoplay = false;

  constructor() {
    super();
    const style = element('style', { textContent: styles });
    this.#video.addEventListener('play', () => {
      if (this.#session && !this.#watermark.visible()) this.#watermarkLost();
    });
    this.#video.addEventListener('ended', () => {
      if (this.#state === 'preview') void this.#showPaywallOrPlay();
    });
    this.#frame.append(this.#video, this.#poster, this.#badge, this.#panel);
    this.#root.append(style, this.#frame, element('div', { class: 'meta', part: 'meta' }, [this.#title]));
  }

  /** The current state (also the `state` attribute). */
  get state(): PlayerState {
    return this.#state;
  }

  /**
   * A personal API token (`ppv_pat_…`) of the viewer: the player then calls the hub with
   * `Authorization: Bearer` instead of the hub's session cookie. For pages on another site than the
   * hub, where browsers never send or keep that (SameSite=Lax) cookie. A property, never an
   * attribute, so it stays out of the page's markup; setting it loads again.
   */
  get token(): string | null {
    return this.#apiToken;
  }

  set token(value: string | null) {
    const next = value?.trim() || null;
    if (next === this.#apiToken) return;
    this.#apiToken = next;
    if (this.isConnected) void this.refresh();
  }

  /** The playback session that is playing, if any (to end it when the page goes away, for example). */
  get sessionId(): string | null {
    return this.#session?.sessionId ?? null;
  }

  /** The SDK client this player talks to the hub with (null until `hub` is set). */
  get client(): PpvClient | null {
    return this.#client;
  }

  connectedCallback(): void {
    void this.refresh();
  }

  disconnectedCallback(): void {
    this.#generation++;
    void this.#stop();
  }

  attributeChangedCallback(_name: string, old: string | null, value: string | null): void {
    if (old !== value && this.isConnected) void this.refresh();
  }

  /** Loads the video and decides again what to show (after sign-in or a purchase, for example). */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    await this.#stop();
    const hub = this.getAttribute('hub');
    const videoId = this.getAttribute('video');
    if (!hub || !videoId) {
      this.#error('This player needs its hub and video attributes.');
      return;
    }
    this.#autoplay = this.hasAttribute('autoplay');
    this.#setState('loading');
    this.#showPanel([element('p', { textContent: 'Loading…', role: 'status' })]);
    const tenant = this.getAttribute('tenant') ?? undefined;
    if (!URL.canParse(hub)) {
      this.#error(`The player's hub attribute is not a web address: ${hub}`, false);
      return;
    }
    const base = new URL(hub);
    const same = this.#client?.hub === base.origin + base.pathname.replace(/\/+$/, '');
    const apiToken = this.#apiToken;
    const client =
      this.#client && same && this.#client.tenant === tenant && this.#clientToken === apiToken
        ? this.#client
        : createPpvClient({ hub, ...(tenant && { tenant }), ...(apiToken && { token: apiToken }) });
    this.#clientToken = apiToken;
    this.#client = client;
    try {
      const [branding, info, wallets] = await Promise.all([
        client.branding(),
        client.videos.get(videoId),
        discoverWallets(),
      ]);
      if (generation !== this.#generation) return;
      this.#tenant = branding;
      this.#info = info;
      this.#wallets = wallets;
      this.#renderInfo();
      if (info.status !== 'ready') {
        this.#error(problems.notReady, false);
        return;
      }
      await this.#showPaywallOrPlay();
    } catch (error) {
      if (generation === this.#generation) this.#failed(error);
    }
  }

  #setState(state: PlayerState): void {
    this.#state = state;
    this.setAttribute('state', state);
    this.dispatchEvent(new CustomEvent('ppv-state', { detail: { state }, bubbles: true, composed: true }));
  }

  #renderInfo(): void {
    const info = this.#info!;
    this.#title.textContent = info.title;
    this.#poster.hidden = !info.posterUrl;
    if (info.posterUrl) this.#poster.src = info.posterUrl;
    this.#video.hidden = true;
  }

  #priceLine(): HTMLElement {
    const info = this.#info!;
    if (info.priceCents === 0)
      return element('p', { class: 'price', textContent: 'Free to watch when signed in' });
    const { usd, local } = formatPrice(info.priceCents, this.#tenant!, this.lang || undefined);
    const line = element('p', { class: 'price' }, [usd]);
    if (local) line.append(' ', element('span', { class: 'local', textContent: `(${local})` }));
    return line;
  }

  async #showPaywallOrPlay(): Promise<void> {
    const access = await this.#client!.access(this.#info!.id);
    if (!access.allowed) await this.#showPaywall(access);
    else if (this.#autoplay) {
      this.#autoplay = false;
      await this.#play(false);
    } else this.#showReady();
  }

  /** Allowed to watch: a play button over the poster (playback starts a session, so it waits for it). */
  #showReady(): void {
    this.#setState('ready');
    this.#badge.hidden = true;
    const play = element('button', { class: 'play', textContent: 'Play', type: 'button' });
    play.setAttribute('aria-label', `Play ${this.#info!.title}`);
    play.addEventListener('click', () => void this.#play(false));
    this.#showPanel([play], play);
  }

  async #showPaywall(access: Extract<AccessCheck, { allowed: false }>): Promise<void> {
    const info = this.#info!;
    if (access.reason === 'not_ready') {
      this.#error(problems.notReady, false);
      return;
    }
    if (access.reason === 'blocked') {
      // Nothing to buy: the creator blocked this viewer.
      this.#error(access.message, false);
      return;
    }
    this.#setState('paywall');
    this.#video.hidden = true;
    this.#poster.hidden = !info.posterUrl;
    this.#badge.hidden = true;
    const price = this.#priceLine();
    const children: Node[] = [element('h2', { textContent: info.title }), price];
    const actions = element('div', { class: 'actions' });
    if (info.previewUrl) {
      const preview = element('button', {
        type: 'button',
        className: 'secondary',
        textContent: 'Watch the free preview',
      });
      preview.addEventListener('click', () => void this.#playPreview());
      actions.append(preview);
    }
    if (access.reason === 'sign_in_required') {
      children.push(element('p', { textContent: access.message }), this.#signInForm());
    } else {
      const status = element('p', { class: 'status', role: 'status' });
      const wallets = this.#wallets;
      const buttons = (wallets.length ? wallets : [null]).map((wallet) => {
        const label = !wallet
          ? 'Buy a view'
          : wallets.length > 1
            ? `Buy with ${wallet.name}`
            : 'Buy with wallet';
        const buy = element('button', { type: 'button', textContent: label });
        buy.addEventListener('click', () => this.#checkout(buttons, status, wallet));
        return buy;
      });
      const slot = element('slot', { name: 'checkout' });
      children.push(element('p', { textContent: access.message }), slot, status);
      actions.prepend(...buttons);
      if (access.reason === 'payment_required') {
        const generation = this.#generation;
        const quote = await this.#client!.checkout.quote(info.id).catch(() => null);
        if (generation !== this.#generation) return;
        if (quote) {
          price.append(
            ' ',
            element('span', {
              class: 'token',
              textContent: `· ${formatTokenUnits(quote.amount, quote.token.decimals)} ${quote.token.symbol}`,
            }),
          );
        }
      }
    }
    children.push(actions);
    const first = children
      .map((c) =>
        c instanceof Element ? (c.matches('input, button') ? c : c.querySelector('input, button')) : null,
      )
      .find((c) => c !== null);
    this.#showPanel(children, first);
  }

  #signInForm(): HTMLElement {
    const login = element('input', { name: 'login', autocomplete: 'username', required: true });
    const password = element('input', {
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    });
    const problem = element('p', { class: 'problem', role: 'alert' });
    const submit = element('button', { type: 'submit', textContent: 'Sign in' });
    const form = element('form', {}, [
      element('label', {}, ['Email or username', login]),
      element('label', {}, ['Password', password]),
      problem,
      submit,
    ]);
    form.setAttribute('aria-label', 'Sign in to watch');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      problem.textContent = '';
      try {
        await this.#client!.auth.signIn({ login: login.value, password: password.value });
        this.#signedIn();
      } catch (error) {
        problem.textContent = this.#message(error);
        submit.disabled = false;
      }
    });
    const ethereum = this.#signInWallet()?.provider;
    if (ethereum) {
      const wallet = element('button', {
        type: 'button',
        className: 'secondary',
        textContent: 'Sign in with a wallet',
      });
      wallet.addEventListener('click', async () => {
        wallet.disabled = true;
        problem.textContent = '';
        try {
          await this.#client!.auth.signInWithEthereum({
            provider: ethereum,
            statement: `Sign in to ${this.#tenant?.name ?? 'watch'}`,
          });
          this.#signedIn();
        } catch (error) {
          problem.textContent = this.#message(error);
          wallet.disabled = false;
        }
      });
      form.append(wallet);
    }
    return form;
  }

  /** A wallet for signing in: the first EIP-6963 announcement, or window.ethereum. */
  #signInWallet(): DiscoveredWallet | undefined {
    return this.#wallets[0];
  }

  #signedIn(): void {
    this.dispatchEvent(new CustomEvent('ppv-signed-in', { bubbles: true, composed: true }));
    void this.#showPaywallOrPlay().catch((error: unknown) => this.#failed(error));
  }

  /**
   * Buy: emits `ppv-checkout` (a page that runs its own checkout calls preventDefault()); otherwise
   * pays with the chosen wallet through the SDK, shows each step, then plays.
   */
  async #checkout(buttons: HTMLButtonElement[], status: HTMLElement, wallet: DiscoveredWallet | null) {
    const info = this.#info!;
    const detail: CheckoutRequest = {
      videoId: info.id,
      priceCents: info.priceCents,
      title: info.title,
      client: this.#client!,
    };
    const event = new CustomEvent('ppv-checkout', {
      detail,
      bubbles: true,
      composed: true,
      cancelable: true,
    });
    this.dispatchEvent(event);
    if (event.defaultPrevented) return;
    status.classList.remove('problem');
    if (!wallet) {
      status.classList.add('problem');
      status.textContent = problems.noWallet;
      return;
    }
    const generation = this.#generation;
    for (const b of buttons) b.disabled = true;
    try {
      await this.#client!.checkout.buyWithWallet({
        videoId: info.id,
        provider: wallet.provider,
        onProgress: (p) => {
          status.textContent = p.message;
          this.dispatchEvent(
            new CustomEvent('ppv-checkout-progress', { detail: p, bubbles: true, composed: true }),
          );
        },
      });
      if (generation !== this.#generation) return;
      this.dispatchEvent(
        new CustomEvent('ppv-purchased', { detail: { videoId: info.id }, bubbles: true, composed: true }),
      );
      await this.#play(false);
    } catch (error) {
      if (generation !== this.#generation) return;
      status.classList.add('problem');
      status.textContent = this.#checkoutMessage(error);
      for (const b of buttons) b.disabled = false;
      if (error instanceof PpvError && error.code === 'WALLET_NOT_LINKED')
        this.#offerLink(buttons, status, wallet);
    }
  }

  /** The wallet that would pay is not the account's: link it (SIWE), then buy with it. */
  #offerLink(buttons: HTMLButtonElement[], status: HTMLElement, wallet: DiscoveredWallet): void {
    // One offer at a time: pressing Buy again refuses the same wallet again.
    status.parentElement?.querySelector('button[data-link-wallet]')?.remove();
    const link = element('button', { type: 'button', textContent: 'Link this wallet and buy' });
    link.dataset.linkWallet = '';
    status.after(link);
    link.focus();
    link.addEventListener('click', async () => {
      link.disabled = true;
      status.classList.remove('problem');
      status.textContent = 'Sign the message in your wallet to link it to your account';
      try {
        await this.#client!.auth.linkWallet({
          provider: wallet.provider,
          statement: `Link this wallet to my account on ${this.#tenant?.name ?? 'this site'}`,
        });
      } catch (error) {
        status.classList.add('problem');
        status.textContent = this.#message(error);
        link.disabled = false;
        return;
      }
      link.remove();
      await this.#checkout(buttons, status, wallet);
    });
  }

  #checkoutMessage(error: unknown): string {
    if (!(error instanceof PpvError)) return this.#message(error);
    if (error.code === 'USER_REJECTED') return problems.rejected;
    if (error.code === 'INVOICE_EXPIRED') return problems.expired;
    if (error.code === 'TRANSACTION_REVERTED') return problems.reverted;
    if (error.code === 'NETWORK_ERROR') return problems.network;
    if (error.code === 'WALLET_NOT_LINKED') return problems.notLinked;
    return error.message;
  }

  async #playPreview(): Promise<void> {
    const info = this.#info!;
    try {
      this.#setState('preview');
      this.#badge.textContent = 'Free preview';
      this.#badge.hidden = false;
      this.#panel.hidden = true;
      await this.#load(info.previewUrl!);
    } catch (error) {
      this.#failed(error);
    }
  }

  async #play(endOldest: boolean): Promise<void> {
    const generation = this.#generation;
    const client = this.#client!;
    this.#panel.replaceChildren(element('p', { textContent: 'Starting…', role: 'status' }));
    try {
      const session = await client.playback.start(this.#info!.id, { endOldest });
      if (generation !== this.#generation) {
        void client.playback.end(session.sessionId).catch(() => undefined);
        return;
      }
      this.#session = session;
      this.#token = session.token;
      this.#stopRefresh = client.playback.keepFresh(session, {
        onToken: (token) => {
          this.#token = token;
        },
        onError: (error) => this.#failed(error),
      });
      this.#watermark.show(session.overlay.handle, session.overlay.code);
      if (!this.#watermark.visible()) {
        this.#watermarkLost();
        return;
      }
      this.#setState('playing');
      this.#badge.hidden = true;
      this.#panel.hidden = true;
      await this.#load(session.masterUrl);
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error instanceof PpvError && error.code === 'CONFLICT' && !endOldest) this.#tooManySessions(error);
      else if (
        error instanceof PpvError &&
        (error.code === 'PAYMENT_REQUIRED' || error.code === 'UNAUTHORIZED')
      )
        await this.#showPaywallOrPlay().catch((e: unknown) => this.#failed(e));
      else this.#failed(error);
    }
  }

  #tooManySessions(error: PpvError): void {
    this.#setState('too-many-sessions');
    const endOldest = element('button', {
      type: 'button',
      textContent: 'End my oldest session and watch here',
    });
    endOldest.addEventListener('click', () => void this.#play(true));
    const cancel = element('button', { type: 'button', className: 'secondary', textContent: 'Not now' });
    cancel.addEventListener('click', () => this.#showReady());
    this.#showPanel(
      [
        element('h2', { textContent: 'You are watching on too many screens' }),
        element('p', { textContent: error.message }),
        element('div', { class: 'actions' }, [endOldest, cancel]),
      ],
      endOldest,
    );
  }

  /** Loads a playlist into shaka-player; the playback token goes only to the hub's /play routes. */
  async #load(url: string): Promise<void> {
    if (!shaka.Player.isBrowserSupported()) throw new Error('This browser cannot play these videos.');
    await this.#shaka?.destroy();
    const player = new shaka.Player();
    this.#shaka = player;
    await player.attach(this.#video);
    const client = this.#client!;
    const hubOrigin = new URL(client.hub).origin;
    player.getNetworkingEngine()!.registerRequestFilter((_type, request) => {
      request.uris = request.uris.map((uri) => (new URL(uri).origin === hubOrigin ? client.url(uri) : uri));
      if (this.#token && request.uris[0]?.includes('/play/'))
        request.headers.Authorization = `Bearer ${this.#token}`;
    });
    player.addEventListener('error', (event) =>
      this.#failed((event as unknown as { detail: shaka.util.Error }).detail),
    );
    this.#poster.hidden = true;
    this.#video.hidden = false;
    this.#video.controls = true;
    await player.load(url);
    // Without a gesture (autoplay) browsers allow only muted playback: then start muted.
    await this.#video.play().catch(async (error: unknown) => {
      if ((error as DOMException | null)?.name !== 'NotAllowedError') return;
      this.#video.muted = true;
      await this.#video.play().catch(() => undefined);
    });
  }

  #watermarkLost(): void {
    this.#video.pause();
    this.#setState('paused-watermark');
    const again = element('button', { type: 'button', textContent: 'Try again' });
    again.addEventListener('click', () => void this.refresh());
    this.#showPanel(
      [element('p', { class: 'problem', role: 'alert', textContent: problems.watermark }), again],
      again,
    );
  }

  /** Everything a failure can be, in plain words. */
  #message(error: unknown): string {
    if (error instanceof PpvError) {
      if (error.code === 'NETWORK_ERROR') return problems.network;
      if (error.code === 'NOT_FOUND' && error.details.path === 'videos.get') return problems.notFound;
      if (error.code === 'PRECONDITION_FAILED') return problems.notReady;
      return error.message;
    }
    if (error instanceof shaka.util.Error) {
      const status = error.code === shaka.util.Error.Code.BAD_HTTP_STATUS ? (error.data[1] as number) : 0;
      if (status === 401 || status === 410) return problems.ended;
      if (error.category === shaka.util.Error.Category.NETWORK) return problems.network;
      return `The video could not be played (player error ${error.code}).`;
    }
    return error instanceof Error ? error.message : String(error);
  }

  #failed(error: unknown): void {
    const ended = error instanceof shaka.util.Error && this.#message(error) === problems.ended;
    this.#error(this.#message(error), !ended, ended);
  }

  #error(message: string, retry = true, playAgain = false): void {
    void this.#stop();
    this.#setState('error');
    const children: Node[] = [element('p', { class: 'problem', role: 'alert', textContent: message })];
    if (retry || playAgain) {
      const again = element('button', {
        type: 'button',
        textContent: playAgain ? 'Play again' : 'Try again',
      });
      again.addEventListener('click', () => void this.refresh());
      children.push(again);
    }
    this.#showPanel(children, children[1] as Element | undefined);
    this.dispatchEvent(new CustomEvent('ppv-error', { detail: { message }, bubbles: true, composed: true }));
  }

  /** Shows `children` in the panel; moves focus into it only when the viewer was already in the player. */
  #showPanel(children: Node[], focus?: Element | null): void {
    const hadFocus = this.#root.activeElement !== null;
    this.#panel.replaceChildren(...children);
    this.#panel.hidden = false;
    if (hadFocus && focus instanceof HTMLElement) focus.focus();
  }

  /** Ends what is playing: the session (freeing its slot under the cap), the refresh timer, the watermark. */
  async #stop(): Promise<void> {
    this.#stopRefresh?.();
    this.#stopRefresh = null;
    this.#watermark.hide();
    const session = this.#session;
    this.#session = null;
    this.#token = '';
    const player = this.#shaka;
    this.#shaka = null;
    this.#video.controls = false;
    await player?.destroy().catch(() => undefined);
    if (session) await this.#client?.playback.end(session.sessionId).catch(() => undefined);
  }
}
