import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(0).max(65535);

/** `TRUST_PROXY`: `false`, `true`, a hop count, or a comma-separated list of addresses/subnets. */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number | string[] => {
    if (value === '' || value === 'false' || value === '0') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const parts = value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (parts.some((p) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/.test(p))) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected false, true, a hop count or a comma-separated list of IPs/subnets',
      });
      return z.NEVER;
    }
    return parts;
  });

const smtpUrl = z
  .string()
  .trim()
  .refine((v) => /^smtps?:\/\//.test(v), 'expected smtp://user:pass@host:port or smtps://…');

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'expected postgres://user:password@host:port/database');

const httpUrl = z
  .string()
  .trim()
  .refine((v) => /^(https?|wss?):\/\//.test(v), 'expected an http(s):// or ws(s):// URL');

const hexAddress = z
  .string()
  .trim()
  .refine((v) => /^0x[0-9a-fA-F]{40}$/.test(v), 'expected a 0x-prefixed 20-byte hex address');

const privateKey = z
  .string()
  .trim()
  .refine((v) => /^0x[0-9a-fA-F]{64}$/.test(v), 'expected a 0x-prefixed 32-byte hex private key');

export interface PaymentToken {
  symbol: string;
  /** `'native'` for the chain's own coin, otherwise the ERC-20 contract address. */
  address: 'native' | `0x${string}`;
  decimals: number;
  /** A stablecoin is priced at 1 USD; other tokens need an admin-set rate. */
  stable: boolean;
}

/** `PAYMENT_TOKENS`: comma list of `SYMBOL:address|native:decimals[:stable]`. */
const paymentTokens = z
  .string()
  .trim()
  .transform((value, ctx): PaymentToken[] => {
    const tokens: PaymentToken[] = [];
    for (const part of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [symbol, address, decimals, flag, ...rest] = part.split(':');
      const valid =
        symbol !== undefined &&
        /^[A-Za-z0-9]{1,16}$/.test(symbol) &&
        address !== undefined &&
        (address === 'native' || /^0x[0-9a-fA-F]{40}$/.test(address)) &&
        decimals !== undefined &&
        /^\d{1,2}$/.test(decimals) &&
        Number(decimals) <= 36 &&
        (flag === undefined || flag === 'stable') &&
        rest.length === 0;
      if (!valid) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${tokens.length + 1}: expected SYMBOL:address|native:decimals[:stable], e.g. USDC:0x…:6:stable`,
        });
        return z.NEVER;
      }
      if (tokens.some((t) => t.symbol === symbol.toUpperCase())) {
        ctx.addIssue({ code: 'custom', message: `token ${symbol.toUpperCase()} is listed twice` });
        return z.NEVER;
      }
      tokens.push({
        symbol: symbol.toUpperCase(),
        address: address === 'native' ? 'native' : (address as `0x${string}`),
        decimals: Number(decimals),
        stable: flag === 'stable',
      });
    }
    return tokens;
  });

/** Every environment variable the processes read. Documented in README.md (Configuration). */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: port.default(8080),
    /** The hub console (apps/console) listens here, on HOST, when `ppv start` runs it. */
    CONSOLE_PORT: port.default(8081),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    DATA_DIR: z.string().trim().min(1).default('.ppv'),
    HUB_DOMAIN: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9.-]+$/, 'expected a host name such as ppv.example.com')
      .default('localhost'),
    DEFAULT_TENANT: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]{1,39}$/)
      .default('demo'),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters of random data').optional(),
    SESSION_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 365)
      .default(24 * 14),
    TRUST_PROXY: trustProxy.default(false),
    AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(30),
    AUTH_RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
    AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    SMTP_URL: smtpUrl.optional(),
    MAIL_FROM: z.string().trim().min(3).default('PPV Stream <no-reply@localhost>'),
    RPC_URL: httpUrl.optional(),
    CHAIN_ID: z.coerce.number().int().min(1).default(31337),
    MEDIA_DIR: z.string().trim().min(1).optional(),
    MEDIA_MASTER_KEY: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9+/_-]{43}=?$|^[0-9a-fA-F]{64}$/,
        'expected 32 random bytes as base64 (44 chars) or hex (64 chars)',
      )
      .optional(),
    PLAYBACK_SIGNING_KEYS: z
      .string()
      .trim()
      .regex(
        /^[A-Za-z0-9_-]{1,32}:[^,:\s]{32,}(,[A-Za-z0-9_-]{1,32}:[^,:\s]{32,})*$/,
        'expected kid:secret[,kid:secret…] with secrets of 32+ characters; the first signs, all verify',
      )
      .optional(),
    PLAYBACK_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
    MAX_PLAYBACK_SESSIONS: z.coerce.number().int().min(1).max(100).default(3),
    PLAYLIST_AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(10 * 1024 ** 3),
    ALLOW_EXTS: z
      .string()
      .trim()
      .toLowerCase()
      .regex(
        /^[a-z0-9]{2,5}(,[a-z0-9]{2,5})*$/,
        'expected a comma-separated list of extensions such as mp4,mov,mkv',
      )
      .default('mp4,m4v,mov,mkv,webm,avi,ts,flv'),
    UPLOAD_EXPIRY_HOURS: z.coerce.number().int().min(1).max(720).default(24),
    SEGMENT_SECONDS: z.coerce.number().int().min(1).max(10).default(4),
    VIDEO_ENCODER: z.enum(['libx264', 'h264_nvenc', 'h264_vaapi', 'h264_qsv']).default('libx264'),
    FFMPEG_PATH: z.string().trim().min(1).optional(),
    FFPROBE_PATH: z.string().trim().min(1).optional(),
    TRANSCODE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
    RUN_WORKER: bool.default(true),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    INVOICE_SIGNER_KEY: privateKey.optional(),
    /** Submits HTTP 402 payments to the splitter and pays their gas (INVOICE_SIGNER_KEY when unset). */
    RELAYER_KEY: privateKey.optional(),
    SPLITTER_ADDRESS: hexAddress.optional(),
    HUB_PAYOUT_WALLET: hexAddress.optional(),
    HUB_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(500),
    PAYMENT_TOKENS: paymentTokens.default([]),
    CHAIN_CONFIRMATIONS: z.coerce.number().int().min(0).max(1_000).optional(),
    INDEXER_BATCH_BLOCKS: z.coerce.number().int().min(1).max(100_000).default(2_000),
    INDEXER_START_BLOCK: z.coerce.number().int().min(0).default(0),
    INDEXER_REORG_DEPTH: z.coerce.number().int().min(1).max(10_000).default(64),
    INDEXER_MAX_LAG_BLOCKS: z.coerce.number().int().min(0).default(20),
    INDEXER_POLL_SECONDS: z.coerce.number().min(0.1).max(3_600).default(2),
    INVOICE_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    QUOTE_TTL_SECONDS: z.coerce.number().int().min(10).max(3_600).default(120),
  })
  .transform((env) => ({
    ...env,
    // Dev chain (31337) mines on demand, so one confirmation is enough there; elsewhere wait for 2.
    CHAIN_CONFIRMATIONS: env.CHAIN_CONFIRMATIONS ?? (env.CHAIN_ID === 31337 ? 1 : 2),
  }))
  .superRefine((env, ctx) => {
    const money = ['INVOICE_SIGNER_KEY', 'SPLITTER_ADDRESS', 'HUB_PAYOUT_WALLET'] as const;
    const set = money.filter((key) => env[key]);
    if (set.length > 0 && set.length < money.length) {
      for (const key of money.filter((k) => !env[k])) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set (payments need all of INVOICE_SIGNER_KEY, SPLITTER_ADDRESS and HUB_PAYOUT_WALLET)`,
        });
      }
    }
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const key of [
      'DATABASE_URL',
      'SESSION_SECRET',
      'RPC_URL',
      'MEDIA_MASTER_KEY',
      'PLAYBACK_SIGNING_KEYS',
    ] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required in production' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once. Throws a ConfigError listing every problem; values are never
 * echoed back, because some of them are secrets.
 */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
}

const testEnvSchema = z.object({
  TEST_DATABASE_URL: postgresUrl.default('postgres://127.0.0.1:5432/postgres'),
});

/** Where test suites create their databases (a server on which the user may CREATE DATABASE). */
export function parseTestEnv(source: Record<string, string | undefined> = process.env) {
  const result = testEnvSchema.safeParse({ TEST_DATABASE_URL: source.TEST_DATABASE_URL || undefined });
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
}
