import type { ChainClient } from '@ppv/chain';
import type { Logger, PaymentToken } from '@ppv/config';
import type { EntityManager, MikroORM } from '@ppv/db';
import type { FfmpegTools, MediaStorage } from '@ppv/media';

/** What the core needs to know of the configuration (a slice of @ppv/config's Env). */
export interface CoreConfig {
  nodeEnv: 'development' | 'test' | 'production';
  sessionSecret: string;
  sessionTtlHours: number;
  hubDomain: string;
  defaultTenant: string;
  chainId: number;
  authRateLimitPerIp: number;
  authRateLimitPerAccount: number;
  authRateLimitWindowSeconds: number;
  media: MediaConfig;
  money: MoneyConfig;
  indexer: IndexerConfig;
}

/** The chain indexer (`index_chain`); it runs only when `money.payments` is set. */
export interface IndexerConfig {
  /** Blocks per `eth_getLogs` request and per database transaction. */
  batchBlocks: number;
  /** Where a fresh cursor starts (the splitter's deployment block). */
  startBlock: number;
  /** How many recent blocks keep their hash to detect reorganisations; deeper ones are assumed final. */
  reorgDepth: number;
  /** /healthz reports the indexer degraded beyond this many blocks behind head − confirmations. */
  maxLagBlocks: number;
  /** Pause between passes once caught up. */
  pollIntervalMs: number;
}

export interface MoneyConfig {
  /** Null when INVOICE_SIGNER_KEY, SPLITTER_ADDRESS and HUB_PAYOUT_WALLET are unset: checkout is off. */
  payments: {
    signerKey: `0x${string}`;
    splitterAddress: `0x${string}`;
    hubPayoutWallet: `0x${string}`;
    /** Submits HTTP 402 (x402) payments and pays their gas; the invoice signer's key when unset. */
    relayerKey?: `0x${string}` | undefined;
  } | null;
  hubFeeBps: number;
  tokens: PaymentToken[];
  confirmations: number;
  invoiceTtlSeconds: number;
  quoteTtlSeconds: number;
}

export interface MediaConfig {
  /** 32 bytes: seals every video's content key and segment secret at rest (AES-256-GCM). */
  masterKey: Buffer;
  /** Playback-token signing keys by key id; `current` signs, every key verifies (rotation). */
  playbackKeys: { current: string; keys: Record<string, Buffer> };
  playbackTokenTtlSeconds: number;
  maxPlaybackSessions: number;
  /**
   * How long a session's playlists reuse one authorization (0: every playlist asks the database).
   * The key endpoint always asks. See features/playback/playlist-authorization.ts.
   */
  playlistAuthorizationSeconds: number;
  /** Largest upload in bytes (a per-tenant override is a later column on tenants). */
  maxUploadBytes: number;
  /** Extensions an upload's file name may have, lower case, without the dot. */
  allowExts: string[];
  /** Unfinished uploads are deleted this many hours after they were created. */
  uploadExpiryHours: number;
  /**
   * Where tus uploads are written while they arrive: a private folder on the same file system as
   * the local media store, so a finished upload moves into it with one rename.
   */
  uploadDir: string;
  segmentSeconds: number;
  /** The ffmpeg and ffprobe commands. */
  tools: FfmpegTools;
}

export interface ChainDeps {
  client: ChainClient;
  chainId: number;
}

/** Long-lived dependencies shared by the hub, the worker, the CLI and tests. */
export interface AppDeps {
  orm: MikroORM;
  config: CoreConfig;
  logger: Logger;
  chain?: ChainDeps | undefined;
  /** Where media lives (`<tenantId>/<videoId>/…`): local disk by default. */
  storage: MediaStorage;
  clock: () => Date;
}

/**
 * What a use-case of one tenant gets when it opens no transaction (the `/play/…` routes): each of
 * its statements runs on its own in the tenant's scope (`tenantStatement` in `@ppv/db`).
 */
export interface TenantScopeDeps extends AppDeps {
  tenantId: string;
}

/** What a use-case running inside a tenant transaction gets. */
export interface TenantDeps extends TenantScopeDeps {
  em: EntityManager;
}
