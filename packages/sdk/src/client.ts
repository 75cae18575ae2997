import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import {
  type BuyWithWalletOptions,
  buyWithWallet,
  defaultToken,
  type PaymentTokens,
  type Purchase,
  type Quote,
} from './checkout';
import { CookieJar } from './cookies';
import { hubRouteError, PpvError, toPpvError } from './errors';
import type { HubRouter } from './generated/hub-router';
import { type Eip1193Provider, siweMessage, utf8Hex } from './siwe';

export type HubInputs = inferRouterInputs<HubRouter>;
export type HubOutputs = inferRouterOutputs<HubRouter>;
/** The raw typed tRPC client: every procedure of the hub, for what the helpers do not cover. */
export type HubClient = TRPCClient<HubRouter>;

export type Tenant = HubOutputs['tenant']['current'];
export type Me = NonNullable<HubOutputs['auth']['me']>;
export type Video = HubOutputs['videos']['get'];
export type VideoPage = HubOutputs['videos']['list'];
export type AccessCheck = HubOutputs['access']['check'];
export type ListVideosInput = HubInputs['videos']['list'];

export interface PlaybackSession {
  sessionId: string;
  /** Absolute URL of the session's master playlist; send the token with every request to it. */
  masterUrl: string;
  token: string;
  expiresAt: Date;
  /** For the visible moving watermark: the viewer's handle and the session's code. */
  overlay: { handle: string; code: string };
}

export interface PpvClientOptions {
  /** The hub's base URL, e.g. `https://videos.example.com`. */
  hub: string | URL;
  /**
   * The tenant's slug, sent as `x-ppv-tenant` (and as `?tenant=` on media URLs). Leave it out when
   * `hub` is the tenant's own host (`<slug>.<hub domain>` or a custom domain).
   */
  tenant?: string;
  /** A fetch implementation; defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** A personal API token (`ppv_pat_…`) for scripts: sent as Bearer, no cookies, no CSRF. */
  token?: string;
}

export interface SignInWithEthereumOptions {
  provider: Eip1193Provider;
  /** The account to sign in with; default: the first the wallet offers (`eth_requestAccounts`). */
  address?: string;
  /** The line the wallet shows above the message. */
  statement?: string;
  /** The message's URI; default: the page's origin in a browser, the hub's elsewhere. */
  uri?: string;
}

export interface PpvClient {
  readonly hub: string;
  readonly tenant: string | undefined;
  readonly trpc: HubClient;
  /** An absolute URL on the hub for a path the hub returned (`/media/…`, `/play/…`), tenant included. */
  url(path: string): string;
  /** The tenant's branding and display currency. */
  branding(): Promise<Tenant>;
  auth: {
    signIn(input: { login: string; password: string }): Promise<Me>;
    signInWithEthereum(options: SignInWithEthereumOptions): Promise<Me & { created: boolean }>;
    /**
     * Links the wallet to the signed-in account (a Sign-In with Ethereum message with `link`): it
     * can then pay and sign in. CONFLICT when it is linked to another account.
     */
    linkWallet(options: SignInWithEthereumOptions): Promise<Me>;
    signOut(): Promise<void>;
    /** The signed-in account, or null. */
    me(): Promise<Me | null>;
  };
  videos: {
    /**
     * One page of the catalog: `q` searches titles and descriptions (case and accent blind, at most
     * 200 characters), `sort` is `newest` (default), `oldest`, `price_asc`, `price_desc` or `title`,
     * `limit` (1–100, default 24) videos from `page` (1-based) or `offset`.
     */
    list(input?: ListVideosInput): Promise<VideoPage>;
    /** Every video of the catalog (or of a search), page by page. */
    all(input?: Omit<ListVideosInput, 'offset' | 'page'>): AsyncGenerator<Video>;
    get(videoId: string): Promise<Video>;
  };
  checkout: {
    /** The tokens the hub accepts (the first is the default) and the chain it is paid on. */
    tokens(): Promise<PaymentTokens>;
    /** The price in a token (default: the hub's first) and in the tenant's display currency. */
    quote(videoId: string, options?: { token?: string }): Promise<Quote>;
    /**
     * Buys a view through an EIP-1193 wallet: invoice, chain check, approve + payToken (or payNative),
     * then waits until the hub grants access. Signed in first (with SIWE, which links the wallet).
     */
    buyWithWallet(options: BuyWithWalletOptions): Promise<Purchase>;
  };
  /** May the caller watch this video in full, and if not why (`sign_in_required`, `payment_required`, `blocked`, `not_ready`). */
  access(videoId: string): Promise<AccessCheck>;
  playback: {
    /** Starts a session; `endOldest` ends the viewer's oldest one when the cap on sessions is reached. */
    start(videoId: string, options?: { endOldest?: boolean }): Promise<PlaybackSession>;
    refresh(sessionId: string): Promise<{ token: string; expiresAt: Date }>;
    end(sessionId: string): Promise<void>;
    /**
     * Refreshes the session's token `leadSeconds` (60) before it expires, for as long as it runs:
     * `onToken` gets each new token. Returns a function that stops it.
     */
    keepFresh(
      session: Pick<PlaybackSession, 'sessionId' | 'expiresAt'>,
      handlers: { onToken(token: string, expiresAt: Date): void; onError?(error: PpvError): void },
      leadSeconds?: number,
    ): () => void;
  };
}

/** The wallet's first account; a refusal is SIGNATURE_REJECTED like a refused signature. */
async function walletAccount(provider: Eip1193Provider): Promise<string> {
  let accounts: unknown;
  try {
    accounts = await provider.request({ method: 'eth_requestAccounts' });
  } catch (error) {
    throw new PpvError('SIGNATURE_REJECTED', 'The wallet did not share an account', {
      status: 0,
      path: 'eth_requestAccounts',
      cause: error,
    });
  }
  const [first] = Array.isArray(accounts) ? accounts : [];
  if (typeof first !== 'string') {
    throw new PpvError('SIGNATURE_REJECTED', 'The wallet offered no account', {
      status: 0,
      path: 'eth_requestAccounts',
    });
  }
  return first;
}

const inBrowser = () => typeof document !== 'undefined' && typeof document.cookie === 'string';

/** A client for one tenant of a hub. Works in browsers (session cookie + CSRF token) and Node 22+. */
export function createPpvClient(options: PpvClientOptions): PpvClient {
  const base = new URL(options.hub);
  const hub = base.origin + base.pathname.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const token = options.token;
  const jar = token || inBrowser() ? null : new CookieJar();
  /** undefined: not known yet; null: there is none (signed out, or an API token). */
  let csrf: string | null | undefined = token ? null : undefined;

  const url = (path: string): string => {
    const u = new URL(path, `${hub}/`);
    if (options.tenant && u.origin === base.origin && !u.searchParams.has('tenant'))
      u.searchParams.set('tenant', options.tenant);
    return u.toString();
  };

  const hubFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (options.tenant) headers.set('x-ppv-tenant', options.tenant);
    if (token) headers.set('authorization', `Bearer ${token}`);
    const cookie = jar?.header();
    if (cookie) headers.set('cookie', cookie);
    // In the query too: a browser's CORS preflight carries the URL but none of the request's headers.
    const target = options.tenant ? url(String(input)) : input;
    const response = await doFetch(target, { ...init, headers, credentials: token ? 'omit' : 'include' });
    jar?.store(response.headers);
    if (!response.ok && response.headers.get('content-type')?.includes('json')) {
      const routeError = hubRouteError(
        response.status,
        await response
          .clone()
          .json()
          .catch(() => null),
      );
      if (routeError) throw routeError;
    }
    return response;
  };

  const trpc: HubClient = createTRPCClient<HubRouter>({
    links: [
      httpLink({
        url: `${hub}/trpc`,
        fetch: hubFetch,
        async headers({ op }) {
          if (op.type !== 'mutation' || token) return {};
          if (csrf === undefined)
            csrf = jar?.get('ppv_csrf') ?? (await trpc.auth.me.query())?.csrfToken ?? null;
          return csrf ? { 'x-csrf-token': csrf } : {};
        },
      }),
    ],
  });

  const call = async <T>(path: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toPpvError(error, path);
    }
  };

  const withUrls = <V extends { posterUrl: string | null; previewUrl: string | null }>(v: V): V => ({
    ...v,
    posterUrl: v.posterUrl && url(v.posterUrl),
    previewUrl: v.previewUrl && url(v.previewUrl),
  });

  const me = async (): Promise<Me | null> => {
    const who = await call('auth.me', () => trpc.auth.me.query());
    if (!token) csrf = who?.csrfToken ?? null;
    return who;
  };

  const signedIn = async (csrfToken: string | null, path: string): Promise<Me> => {
    csrf = csrfToken;
    const who = await me();
    if (!who)
      throw new PpvError('UNAUTHORIZED', 'Signed in, but the hub did not keep the session', {
        status: 0,
        path,
      });
    return who;
  };

  /** A SIWE message for the hub's nonce, signed by the wallet, then verified (sign-in or link). */
  const siweVerify = async (opts: SignInWithEthereumOptions, link: boolean) => {
    const address = opts.address ?? (await walletAccount(opts.provider));
    const challenge = await call('siwe.nonce', () => trpc.siwe.nonce.mutate());
    const issuedAt = new Date();
    const message = siweMessage({
      domain: challenge.domain,
      address,
      statement: opts.statement ?? 'Sign in with Ethereum.',
      uri: opts.uri ?? (typeof location !== 'undefined' ? location.origin : base.origin),
      chainId: challenge.chainId,
      nonce: challenge.nonce,
      issuedAt,
      expirationTime: new Date(Math.min(issuedAt.getTime() + 10 * 60_000, Date.parse(challenge.expiresAt))),
    });
    let signature: string;
    try {
      signature = (await opts.provider.request({
        method: 'personal_sign',
        params: [utf8Hex(message), address],
      })) as string;
    } catch (error) {
      throw new PpvError('SIGNATURE_REJECTED', 'The wallet did not sign the sign-in message', {
        status: 0,
        path: 'personal_sign',
        cause: error,
      });
    }
    return call('siwe.verify', () => trpc.siwe.verify.mutate({ message, signature, link }));
  };

  const list = (input: ListVideosInput = {}) =>
    call('videos.list', async () => {
      const page = await trpc.videos.list.query(input);
      return { ...page, videos: page.videos.map(withUrls) };
    });

  const playback: PpvClient['playback'] = {
    start: (videoId, opts = {}) =>
      call('playback.start', async () => {
        const s = await trpc.playback.start.mutate({ videoId, endOldest: opts.endOldest ?? false });
        return {
          sessionId: s.sessionId,
          masterUrl: url(s.masterUrl),
          token: s.token,
          expiresAt: new Date(s.expiresAt),
          overlay: s.overlay,
        };
      }),
    refresh: (sessionId) =>
      call('playback.refresh', async () => {
        const r = await trpc.playback.refresh.mutate({ sessionId });
        return { token: r.token, expiresAt: new Date(r.expiresAt) };
      }),
    end: (sessionId) =>
      call('playback.end', async () => {
        await trpc.playback.end.mutate({ sessionId });
      }),
    keepFresh(session, handlers, leadSeconds = 60) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      const schedule = (expiresAt: Date) => {
        const wait = Math.max(1_000, expiresAt.getTime() - Date.now() - leadSeconds * 1000);
        timer = setTimeout(async () => {
          try {
            const next = await playback.refresh(session.sessionId);
            if (stopped) return;
            handlers.onToken(next.token, next.expiresAt);
            schedule(next.expiresAt);
          } catch (error) {
            if (!stopped) handlers.onError?.(toPpvError(error, 'playback.refresh'));
          }
        }, wait);
      };
      schedule(session.expiresAt);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };

  return {
    hub,
    tenant: options.tenant,
    trpc,
    url,
    branding: () => call('tenant.current', () => trpc.tenant.current.query()),
    auth: {
      signIn: (input) =>
        call('auth.login', async () => {
          const r = await trpc.auth.login.mutate(input);
          return signedIn(r.csrfToken, 'auth.login');
        }),
      async signInWithEthereum(opts) {
        const verified = await siweVerify(opts, false);
        return { ...(await signedIn(verified.csrfToken, 'siwe.verify')), created: verified.created };
      },
      async linkWallet(opts) {
        await siweVerify({ statement: 'Link this wallet to my account.', ...opts }, true);
        const who = await me();
        if (!who)
          throw new PpvError('UNAUTHORIZED', 'Sign in first to link a wallet to your account', {
            status: 0,
            path: 'siwe.verify',
          });
        return who;
      },
      signOut: () =>
        call('auth.logout', async () => {
          await trpc.auth.logout.mutate();
          csrf = token ? null : undefined;
        }),
      me,
    },
    videos: {
      list,
      async *all(input = {}) {
        for (let offset = 0; ; ) {
          const page = await list({ ...input, offset });
          yield* page.videos;
          offset += page.videos.length;
          if (page.videos.length === 0 || offset >= page.total) return;
        }
      },
      get: (videoId) => call('videos.get', async () => withUrls(await trpc.videos.get.query({ videoId }))),
    },
    checkout: {
      tokens: () => call('checkout.tokens', () => trpc.checkout.tokens.query()),
      quote: async (videoId, opts = {}) => {
        const token = opts.token ?? (await defaultToken(trpc));
        return call('checkout.quote', () => trpc.checkout.quote.query({ videoId, token }));
      },
      buyWithWallet: (opts) => buyWithWallet(trpc, opts),
    },
    access: (videoId) => call('access.check', () => trpc.access.check.query({ videoId })),
    playback,
  };
}
