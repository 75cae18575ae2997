import type { ChainClient } from '@ppv/chain';
import type { Logger } from '@ppv/config';
import type { EntityManager, MikroORM } from '@ppv/db';

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
}

export interface MediaConfig {
  /** 32 bytes: seals every video's content key and segment secret at rest (AES-256-GCM). */
  masterKey: Buffer;
  /** Playback-token signing keys by key id; `current` signs, every key verifies (rotation). */
  playbackKeys: { current: string; keys: Record<string, Buffer> };
  playbackTokenTtlSeconds: number;
  maxPlaybackSessions: number;
  maxUploadBytes: number;
  allowExts: string[];
  segmentSeconds: number;
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
  clock: () => Date;
}

/** What a use-case running inside a tenant transaction gets. */
export interface TenantDeps extends AppDeps {
  em: EntityManager;
  tenantId: string;
}
