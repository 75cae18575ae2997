import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, PASSWORD } from '../../testing';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const DAY = 86_400_000;

async function withToken(opts: { expiresInDays?: number } = {}) {
  const tenant = await h.tenant();
  const user = await h.signedIn(tenant);
  const created = await user.api.apiTokens.create({ name: 'deploy script', ...opts });
  const script = h.client(tenant, { authorization: `Bearer ${created.token}` });
  return { tenant, user, created, script };
}

describe('API tokens', () => {
  it('returns the secret once; the list shows only its prefix', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const created = await user.api.apiTokens.create({ name: '  deploy script  ' });
    expect(created).toEqual({
      id: expect.any(String),
      name: 'deploy script',
      prefix: created.token.slice(0, 14),
      token: expect.stringMatching(/^ppv_pat_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(Date),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(created.prefix).toMatch(/^ppv_pat_.{6}$/);
    const { token, ...view } = created;
    const list = await user.api.apiTokens.list();
    expect(list).toEqual([view]);
    expect(JSON.stringify(list)).not.toContain(token.slice(14));
  });

  it('authenticates as its owner and records when it was used', async () => {
    const { user, created, script } = await withToken();
    expect(await script.api.auth.me()).toMatchObject({
      id: user.userId,
      username: user.username,
      via: 'api_token',
      role: 'viewer',
      csrfToken: null,
    });
    const [listed] = await script.api.apiTokens.list();
    expect(listed?.id).toBe(created.id);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('behavior: a mutation with a token needs no CSRF token', async () => {
    const { user, script } = await withToken();
    const [session] = await user.api.auth.sessions.list();
    expect(script.cookies).toEqual({});
    await script.api.auth.sessions.revoke({ sessionId: session!.id });
    expect(await user.api.auth.me()).toBeNull();
  });

  it('error: a revoked token', async () => {
    const { user, created, script } = await withToken();
    await user.api.apiTokens.revoke({ tokenId: created.id });
    await expect(script.api.auth.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This API token was revoked',
    });
    const [listed] = await user.api.apiTokens.list();
    expect(listed?.revokedAt).toBeInstanceOf(Date);
  });

  it('error: an expired token', async () => {
    const { created, script } = await withToken({ expiresInDays: 1 });
    expect(created.expiresAt!.getTime() - created.createdAt.getTime()).toBe(DAY);
    expect((await script.api.auth.me())?.via).toBe('api_token');
    h.advance(DAY + 1000);
    await expect(script.api.auth.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This API token has expired',
    });
  });

  it('error: an unknown token', async () => {
    const tenant = await h.tenant();
    const client = h.client(tenant, { authorization: `Bearer ppv_pat_${'A'.repeat(43)}` });
    await expect(client.api.auth.me()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Unknown API token',
    });
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer not-a-ppv-token'], ['Bearer ppv_pat_abc extra']])(
    'error: a malformed Authorization header %j',
    async (authorization) => {
      const tenant = await h.tenant();
      await expect(h.client(tenant, { authorization }).api.auth.me()).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
        message: 'Malformed Authorization header; expected "Bearer ppv_pat_…"',
      });
    },
  );

  it('error: a token cannot manage tokens or change the password', async () => {
    const { user, created, script } = await withToken();
    const needsSession = {
      code: 'FORBIDDEN',
      message: 'This action needs a signed-in session, not an API token',
    };
    await expect(script.api.apiTokens.create({ name: 'another' })).rejects.toMatchObject(needsSession);
    await expect(script.api.apiTokens.revoke({ tokenId: created.id })).rejects.toMatchObject(needsSession);
    await expect(
      script.api.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'Brand-New-Pass-9' }),
    ).rejects.toMatchObject(needsSession);
    expect(await user.api.apiTokens.list()).toHaveLength(1);
    expect((await script.api.auth.me())?.via).toBe('api_token');
  });

  it("error: revoking someone else's token is not found", async () => {
    const { tenant, created, script } = await withToken();
    const other = await h.signedIn(tenant);
    await expect(other.api.apiTokens.revoke({ tokenId: created.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'API token was not found',
    });
    expect(await other.api.apiTokens.list()).toEqual([]);
    expect((await script.api.auth.me())?.via).toBe('api_token');
  });

  it('error: input validation names the field', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    await expect(user.api.apiTokens.create({ name: '  ' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'name: Give the token a name',
    });
    await expect(user.api.apiTokens.revoke({ tokenId: 'nope' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'tokenId: Unknown token id',
    });
  });
});
