import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, redactUrl } from '../src/index';

describe('parseEnv', () => {
  it('applies defaults for development', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(8080);
    expect(env.NODE_ENV).toBe('development');
    expect(env.TRUST_PROXY).toBe(false);
    expect(env.RUN_WORKER).toBe(true);
  });

  it('parses trust proxy forms', () => {
    expect(parseEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
  });

  it('error: lists every problem at once without echoing values', () => {
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://secret@x/y', SESSION_SECRET: 'short-secret' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/PORT/);
      expect(problems.join('\n')).toMatch(/DATABASE_URL: expected postgres:/);
      expect(problems.join('\n')).toMatch(/SESSION_SECRET: must be at least 32/);
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('error: production requires database, session secret and RPC URL', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(
      /DATABASE_URL: is required in production[\s\S]*SESSION_SECRET[\s\S]*RPC_URL[\s\S]*MEDIA_MASTER_KEY[\s\S]*PLAYBACK_SIGNING_KEYS/,
    );
  });
});

describe('redactUrl', () => {
  it('hides passwords and secret query parameters', () => {
    expect(redactUrl('postgres://app:hunter2@db:5432/ppv?sslkey=abc')).toBe(
      'postgres://app:***@db:5432/ppv?sslkey=***',
    );
  });
});

describe('parseEnv payment settings', () => {
  const key = `0x${'11'.repeat(32)}`;
  const address = `0x${'ab'.repeat(20)}`;

  it('leaves payments off by default with documented defaults', () => {
    const env = parseEnv({});
    expect(env.INVOICE_SIGNER_KEY).toBeUndefined();
    expect(env.HUB_FEE_BPS).toBe(500);
    expect(env.PAYMENT_TOKENS).toEqual([]);
    expect(env.CHAIN_CONFIRMATIONS).toBe(1);
    expect(parseEnv({ CHAIN_ID: '1' }).CHAIN_CONFIRMATIONS).toBe(2);
    expect(env.INVOICE_TTL_SECONDS).toBe(900);
    expect(env.QUOTE_TTL_SECONDS).toBe(120);
  });

  it('parses payment tokens with decimals and the stable flag', () => {
    const env = parseEnv({ PAYMENT_TOKENS: `usdc:${address}:6:stable, ETH:native:18` });
    expect(env.PAYMENT_TOKENS).toEqual([
      { symbol: 'USDC', address, decimals: 6, stable: true },
      { symbol: 'ETH', address: 'native', decimals: 18, stable: false },
    ]);
  });

  it('error: a malformed or repeated payment token is named', () => {
    expect(() => parseEnv({ PAYMENT_TOKENS: 'USDC:0x12:6' })).toThrow(
      /PAYMENT_TOKENS: entry 1: expected SYMBOL/,
    );
    expect(() => parseEnv({ PAYMENT_TOKENS: 'ETH:native:18,eth:native:18' })).toThrow(/ETH is listed twice/);
  });

  it('error: signer key, splitter and hub wallet are required together, without echoing the key', () => {
    try {
      parseEnv({ INVOICE_SIGNER_KEY: key });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/SPLITTER_ADDRESS: is required when INVOICE_SIGNER_KEY is set/);
      expect(problems).toMatch(/HUB_PAYOUT_WALLET: is required/);
      expect((error as Error).message).not.toContain(key);
    }
    const env = parseEnv({ INVOICE_SIGNER_KEY: key, SPLITTER_ADDRESS: address, HUB_PAYOUT_WALLET: address });
    expect(env.SPLITTER_ADDRESS).toBe(address);
  });

  it('behavior: RELAYER_KEY is optional and, when set, must be a 32-byte hex key', () => {
    expect(parseEnv({}).RELAYER_KEY).toBeUndefined();
    expect(parseEnv({ RELAYER_KEY: key }).RELAYER_KEY).toBe(key);
    try {
      parseEnv({ RELAYER_KEY: `${key}ff` });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toMatch(
        /RELAYER_KEY: expected a 0x-prefixed 32-byte/,
      );
    }
  });

  it('error: a signer key that is not 32-byte hex is refused', () => {
    expect(() => parseEnv({ INVOICE_SIGNER_KEY: '0x1234' })).toThrow(
      /INVOICE_SIGNER_KEY: expected a 0x-prefixed 32-byte/,
    );
  });
});
