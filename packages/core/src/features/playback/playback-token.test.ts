import { describe, expect, it } from 'vitest';
import { signPlaybackToken, verifyPlaybackToken } from './playback-token';

const k1 = Buffer.alloc(32, 1);
const k2 = Buffer.alloc(32, 2);
const claims = { sid: 's', vid: 'v', uid: 'u', tid: 't', exp: Math.floor(Date.now() / 1000) + 60 };

describe('playback tokens', () => {
  it('verifies a token it signed', () => {
    const keys = { current: 'k1', keys: { k1 } };
    expect(verifyPlaybackToken(keys, signPlaybackToken(keys, claims), new Date())).toEqual({
      ok: true,
      claims,
    });
  });

  it('behavior: a token signed before a key rotation still verifies while its key is configured', () => {
    const before = signPlaybackToken({ current: 'k1', keys: { k1 } }, claims);
    const rotated = { current: 'k2', keys: { k2, k1 } };
    expect(verifyPlaybackToken(rotated, before, new Date()).ok).toBe(true);
    expect(verifyPlaybackToken({ current: 'k2', keys: { k2 } }, before, new Date())).toEqual({
      ok: false,
      problem: 'unknown_key',
    });
  });

  it('error: rejects an expired token', () => {
    const keys = { current: 'k1', keys: { k1 } };
    const token = signPlaybackToken(keys, { ...claims, exp: Math.floor(Date.now() / 1000) - 1 });
    expect(verifyPlaybackToken(keys, token, new Date())).toEqual({ ok: false, problem: 'expired' });
  });

  it('error: rejects forged claims and signatures', () => {
    const keys = { current: 'k1', keys: { k1 } };
    const [body, mac] = signPlaybackToken(keys, claims).split('.');
    const forged = Buffer.from(JSON.stringify({ kid: 'k1', ...claims, vid: 'other' })).toString('base64url');
    expect(verifyPlaybackToken(keys, `${forged}.${mac}`, new Date())).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
    expect(verifyPlaybackToken({ current: 'k1', keys: { k1: k2 } }, `${body}.${mac}`, new Date())).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
    for (const garbage of [
      '',
      'x',
      'a.b.c',
      '%%%.###',
      `${Buffer.from('not json').toString('base64url')}.${mac}`,
    ]) {
      expect(verifyPlaybackToken(keys, garbage, new Date()), garbage).toMatchObject({
        ok: false,
        problem: 'malformed',
      });
    }
  });
});
