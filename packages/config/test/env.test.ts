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
