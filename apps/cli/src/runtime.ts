import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createChainClient } from '@ppv/chain';
import { createLogger, type Env, type Logger, parseEnv } from '@ppv/config';
import type { AppDeps, ChainDeps, CoreConfig } from '@ppv/core';
import { createOrm } from '@ppv/db';

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

/**
 * The session secret: from configuration, or (outside production) generated once and kept in the
 * data folder so sessions survive restarts.
 */
export async function sessionSecret(env: Env): Promise<string> {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  if (env.NODE_ENV === 'production') throw new Error('SESSION_SECRET is required in production');
  const file = join(dataDir(env), 'dev-session-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(dataDir(env), { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    await writeFile(file, secret, { mode: 0o600 });
    await chmod(file, 0o600);
    return secret;
  }
}

export function coreConfig(env: Env, secret: string): CoreConfig {
  return {
    nodeEnv: env.NODE_ENV,
    sessionSecret: secret,
    sessionTtlHours: env.SESSION_TTL_HOURS,
    hubDomain: env.HUB_DOMAIN,
    defaultTenant: env.DEFAULT_TENANT,
    chainId: env.CHAIN_ID,
    authRateLimitPerIp: env.AUTH_RATE_LIMIT_PER_IP,
    authRateLimitPerAccount: env.AUTH_RATE_LIMIT_PER_ACCOUNT,
    authRateLimitWindowSeconds: env.AUTH_RATE_LIMIT_WINDOW_SECONDS,
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
  return { orm, config: coreConfig(env, await sessionSecret(env)), logger, chain, clock: () => new Date() };
}
