import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createChainClient } from '@ppv/chain';
import { createLogger, type Env, type Logger, parseEnv } from '@ppv/config';
import type { AppDeps, ChainDeps, CoreConfig } from '@ppv/core';
import { createOrm } from '@ppv/db';
import { LocalStorage } from '@ppv/media';

/** Validates the environment once for this process; prints the problems and exits on failure. */
export function loadEnv(): Env {
  try {
    return parseEnv();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}

export const dataDir = (env: Env) => resolve(env.DATA_DIR);

/** The local media store's root: MEDIA_DIR, or `media` in the data folder. */
export const mediaDir = (env: Env) => resolve(env.MEDIA_DIR ?? join(dataDir(env), 'media'));

/**
 * A secret from configuration, or (outside production) generated once and kept in the data folder,
 * so that sessions, sealed media keys and playback tokens survive restarts.
 */
async function devSecret(
  env: Env,
  configured: string | undefined,
  name: string,
  bytes: number,
): Promise<string> {
  if (configured) return configured;
  if (env.NODE_ENV === 'production') throw new Error(`${name} is required in production`);
  const file = join(dataDir(env), `dev-${name.toLowerCase().replaceAll('_', '-')}`);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(dataDir(env), { recursive: true });
    const secret = randomBytes(bytes).toString('base64url');
    await writeFile(file, secret, { mode: 0o600 });
    await chmod(file, 0o600);
    return secret;
  }
}

export interface Secrets {
  sessionSecret: string;
  masterKey: Buffer;
  playbackKeys: { current: string; keys: Record<string, Buffer> };
}

export async function loadSecrets(env: Env): Promise<Secrets> {
  const sessionSecret = await devSecret(env, env.SESSION_SECRET, 'SESSION_SECRET', 48);
  const master = await devSecret(env, env.MEDIA_MASTER_KEY, 'MEDIA_MASTER_KEY', 32);
  const masterKey = /^[0-9a-fA-F]{64}$/.test(master)
    ? Buffer.from(master, 'hex')
    : Buffer.from(master, 'base64url');
  const signing = await devSecret(env, env.PLAYBACK_SIGNING_KEYS, 'PLAYBACK_SIGNING_KEYS', 32);
  const pairs = signing.includes(':')
    ? signing.split(',').map((p) => p.split(':') as [string, string])
    : [['dev', signing] as [string, string]];
  return {
    sessionSecret,
    masterKey,
    playbackKeys: {
      current: pairs[0]![0],
      keys: Object.fromEntries(pairs.map(([kid, secret]) => [kid, Buffer.from(secret)])),
    },
  };
}

export function coreConfig(env: Env, secrets: Secrets): CoreConfig {
  return {
    nodeEnv: env.NODE_ENV,
    sessionSecret: secrets.sessionSecret,
    sessionTtlHours: env.SESSION_TTL_HOURS,
    hubDomain: env.HUB_DOMAIN,
    defaultTenant: env.DEFAULT_TENANT,
    chainId: env.CHAIN_ID,
    authRateLimitPerIp: env.AUTH_RATE_LIMIT_PER_IP,
    authRateLimitPerAccount: env.AUTH_RATE_LIMIT_PER_ACCOUNT,
    authRateLimitWindowSeconds: env.AUTH_RATE_LIMIT_WINDOW_SECONDS,
    money: {
      payments:
        env.INVOICE_SIGNER_KEY && env.SPLITTER_ADDRESS && env.HUB_PAYOUT_WALLET
          ? {
              signerKey: env.INVOICE_SIGNER_KEY as `0x${string}`,
              splitterAddress: env.SPLITTER_ADDRESS as `0x${string}`,
              hubPayoutWallet: env.HUB_PAYOUT_WALLET as `0x${string}`,
              relayerKey: env.RELAYER_KEY as `0x${string}` | undefined,
            }
          : null,
      hubFeeBps: env.HUB_FEE_BPS,
      tokens: env.PAYMENT_TOKENS,
      confirmations: env.CHAIN_CONFIRMATIONS,
      invoiceTtlSeconds: env.INVOICE_TTL_SECONDS,
      quoteTtlSeconds: env.QUOTE_TTL_SECONDS,
    },
    indexer: {
      batchBlocks: env.INDEXER_BATCH_BLOCKS,
      startBlock: env.INDEXER_START_BLOCK,
      reorgDepth: env.INDEXER_REORG_DEPTH,
      maxLagBlocks: env.INDEXER_MAX_LAG_BLOCKS,
      pollIntervalMs: Math.round(env.INDEXER_POLL_SECONDS * 1000),
    },
    media: {
      masterKey: secrets.masterKey,
      playbackKeys: secrets.playbackKeys,
      playbackTokenTtlSeconds: env.PLAYBACK_TOKEN_TTL_SECONDS,
      maxPlaybackSessions: env.MAX_PLAYBACK_SESSIONS,
      playlistAuthorizationSeconds: env.PLAYLIST_AUTH_CACHE_SECONDS,
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      allowExts: env.ALLOW_EXTS.split(','),
      uploadExpiryHours: env.UPLOAD_EXPIRY_HOURS,
      // Keys cannot start with a dot, so the folder is never reachable as media.
      uploadDir: join(mediaDir(env), '.uploads'),
      segmentSeconds: env.SEGMENT_SECONDS,
      tools: { ffmpeg: env.FFMPEG_PATH ?? 'ffmpeg', ffprobe: env.FFPROBE_PATH ?? 'ffprobe' },
    },
  };
}

export async function createDeps(
  env: Env,
  opts: { databaseUrl: string; rpcUrl?: string | undefined; logger?: Logger },
): Promise<AppDeps> {
  const logger = opts.logger ?? createLogger(env);
  const orm = await createOrm({ url: opts.databaseUrl, poolMax: env.DATABASE_POOL_MAX });
  const chain: ChainDeps | undefined = opts.rpcUrl
    ? { client: createChainClient({ rpcUrl: opts.rpcUrl, chainId: env.CHAIN_ID }), chainId: env.CHAIN_ID }
    : undefined;
  return {
    orm,
    config: coreConfig(env, await loadSecrets(env)),
    logger,
    chain,
    storage: new LocalStorage(mediaDir(env)),
    clock: () => new Date(),
  };
}
