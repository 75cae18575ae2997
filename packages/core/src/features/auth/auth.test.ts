import { SessionEntity, UserEntity, withTenant } from '@ppv/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, PASSWORD, unique } from '../../testing';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const newUser = () => {
  const username = unique('reg');
  return { username, email: `${username}@example.com`, password: 'Sturdy-Password-1' };
};

describe('register', () => {
  it('creates an account, signs it in and makes it a viewer of the tenant', async () => {
    const tenant = await h.tenant();
    const client = h.client(tenant);
    const input = newUser();
    const result = await client.api.auth.register(input);
    expect(client.cookies.ppv_session).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(result.csrfToken).toBe(client.cookies.ppv_csrf);
    const me = await client.api.auth.me();
    expect(me).toMatchObject({
      username: input.username,
      email: input.email,
      role: 'viewer',
      via: 'session',
      hasPassword: true,
    });
  });

  it('error: duplicate email, case-insensitively', async () => {
    const tenant = await h.tenant();
    const input = newUser();
    await h.client(tenant).api.auth.register(input);
    await expect(
      h
        .client(tenant)
        .api.auth.register({ ...input, username: unique('other'), email: input.email.toUpperCase() }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: 'That email address is already registered' });
  });

  it('error: duplicate username', async () => {
    const tenant = await h.tenant();
    const input = newUser();
    await h.client(tenant).api.auth.register(input);
    await expect(
      h.client(tenant).api.auth.register({ ...input, email: `${unique('x')}@example.com` }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: 'That username is taken' });
  });

  it.each([
    ['short', 'Password must be at least 10 characters long'],
    ['lowercaseonly', 'Password needs three of'],
    ['password123', 'That password is too common'],
  ])('error: weak password %s', async (password, message) => {
    const tenant = await h.tenant();
    await expect(h.client(tenant).api.auth.register({ ...newUser(), password })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining(message),
    });
  });

  it('error: password containing the username', async () => {
    const tenant = await h.tenant();
    const input = newUser();
    await expect(
      h.client(tenant).api.auth.register({ ...input, password: `${input.username}-X9!` }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Password must not contain your username or email',
    });
  });

  it('error: malformed email and username name the field', async () => {
    const tenant = await h.tenant();
    await expect(
      h.client(tenant).api.auth.register({ ...newUser(), email: 'not-an-email' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'email: Enter a valid email address',
    });
    await expect(h.client(tenant).api.auth.register({ ...newUser(), username: 'a b' })).rejects.toMatchObject(
      {
        code: 'BAD_REQUEST',
        message: expect.stringContaining('username: Username must be 3–32 characters'),
      },
    );
  });
});

describe('login', () => {
  it('signs in with email or username', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const byEmail = h.client(tenant);
    await byEmail.api.auth.login({ login: `${user.username}@example.com`, password: PASSWORD });
    expect((await byEmail.api.auth.me())?.username).toBe(user.username);
  });

  it('error: wrong password and unknown email get the same answer', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const wrong = h.client(tenant).api.auth.login({ login: user.username, password: 'Wrong-Password-1' });
    const unknown = h
      .client(tenant)
      .api.auth.login({ login: 'nobody@example.com', password: 'Wrong-Password-1' });
    const [a, b] = await Promise.allSettled([wrong, unknown]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    const ea = (a as PromiseRejectedResult).reason;
    const eb = (b as PromiseRejectedResult).reason;
    expect(ea.code).toBe('UNAUTHORIZED');
    expect(ea.message).toBe(eb.message);
    expect(ea.message).toBe('Incorrect email/username or password');
  });

  it('error: rate-limited per account after repeated failures', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const limit = h.deps.config.authRateLimitPerAccount;
    // the sign-in that set the user up counted once
    const strict = { ...h.deps.config, authRateLimitPerAccount: 4 };
    h.deps.config = strict;
    try {
      for (let i = 0; i < 3; i++) {
        await expect(
          h.client(tenant).api.auth.login({ login: user.username, password: 'Nope-nope-1' }),
        ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      }
      const error = await h
        .client(tenant)
        .api.auth.login({ login: user.username, password: PASSWORD })
        .catch((e) => e);
      expect(error.code).toBe('TOO_MANY_REQUESTS');
      expect(error.message).toMatch(/Too many sign-in attempts for this account/);
      expect(error.cause.details.retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      h.deps.config = { ...strict, authRateLimitPerAccount: limit };
    }
  });

  it('error: rate-limited per client IP across accounts', async () => {
    const tenant = await h.tenant();
    const saved = h.deps.config;
    h.deps.config = { ...saved, authRateLimitPerIp: 2 };
    try {
      const ip = '198.51.100.99';
      for (let i = 0; i < 2; i++) {
        await expect(
          h.client(tenant, { ip }).api.auth.login({ login: unique('n'), password: 'Nope-nope-1' }),
        ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      }
      await expect(
        h.client(tenant, { ip }).api.auth.login({ login: unique('n'), password: 'Nope-nope-1' }),
      ).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      await expect(
        h
          .client(tenant, { ip: '198.51.100.100' })
          .api.auth.login({ login: unique('n'), password: 'Nope-nope-1' }),
      ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      h.deps.config = saved;
    }
  });
});

describe('sessions', () => {
  it('logout revokes the session and clears the cookies', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const stolen = { ...user.cookies };
    await user.api.auth.logout();
    expect(user.cookies.ppv_session).toBeUndefined();
    const replay = h.client(tenant);
    replay.cookies = stolen;
    expect(await replay.api.auth.me()).toBeNull();
    await expect(replay.api.auth.sessions.list()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This session was signed out; please sign in again',
    });
  });

  it('error: a tampered cookie is refused', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const [sid, mac] = user.cookies.ppv_session!.split('.');
    const flipped = `${sid!.slice(0, -2)}${sid!.endsWith('AA') ? 'BA' : 'AA'}.${mac}`;
    user.cookies.ppv_session = flipped;
    await expect(user.api.auth.sessions.list()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Your session cookie is invalid; please sign in again',
    });
    user.cookies.ppv_session = 'garbage';
    expect(await user.api.auth.me()).toBeNull();
  });

  it('error: an expired session is refused', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    await withTenant(h.db.orm, tenant.id, (em) =>
      em.nativeUpdate(SessionEntity, { userId: user.userId }, { expiresAt: new Date(Date.now() - 1000) }),
    );
    await expect(user.api.auth.sessions.list()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Your session has expired; please sign in again',
    });
  });

  it('lists own sessions and revokes another one', async () => {
    const tenant = await h.tenant();
    const laptop = await h.signedIn(tenant);
    const phone = h.client(tenant);
    await phone.api.auth.login({ login: laptop.username, password: PASSWORD });
    const sessions = await laptop.api.auth.sessions.list();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const other = sessions.find((s) => !s.current)!;
    await laptop.api.auth.sessions.revoke({ sessionId: other.id });
    await expect(phone.api.auth.sessions.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await laptop.api.auth.sessions.list()).toHaveLength(1);
  });

  it("error: cannot revoke another user's session", async () => {
    const tenant = await h.tenant();
    const alice = await h.signedIn(tenant);
    const bob = await h.signedIn(tenant);
    const [bobSession] = await bob.api.auth.sessions.list();
    await expect(alice.api.auth.sessions.revoke({ sessionId: bobSession!.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await bob.api.auth.sessions.list()).toHaveLength(1);
  });

  it('error: cookie-authenticated mutations need the CSRF token', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const noCsrf = h.client(tenant, { csrf: false });
    noCsrf.cookies = { ...user.cookies };
    await expect(
      noCsrf.api.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'Another-Pass-77' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Missing or invalid CSRF token (send the x-csrf-token header)',
    });
    noCsrf.cookies.ppv_csrf = 'forged';
    await expect(noCsrf.api.auth.sessions.revoke({ sessionId: crypto.randomUUID() })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});

describe('the caller', () => {
  it("behavior: the role is the user's membership here; a hub admin acts as tenant admin", async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    expect(await creator.api.auth.me()).toMatchObject({ role: 'creator', isHubAdmin: false });
    const admin = await h.signedIn(tenant, { hubAdmin: true });
    expect(await admin.api.auth.me()).toMatchObject({ role: 'tenant_admin', isHubAdmin: true });
  });

  it('error: a disabled account is signed out', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    await h.db.orm.em.fork().nativeUpdate(UserEntity, { id: user.userId }, { status: 'disabled' });
    expect(await user.api.auth.me()).toBeNull();
    await expect(user.api.auth.sessions.list()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This account is disabled',
    });
  });

  it('behavior: last seen moves at most once a minute, and not for a request that failed', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const lastSeen = () =>
      withTenant(h.db.orm, tenant.id, async (em) => {
        const session = await em.findOneOrFail(SessionEntity, { userId: user.userId });
        return session.lastSeenAt.getTime();
      });
    const signedInAt = await lastSeen();
    h.advance(30_000);
    await user.api.auth.me();
    expect(await lastSeen()).toBe(signedInAt);
    h.advance(31_000);
    await expect(user.api.auth.sessions.revoke({ sessionId: crypto.randomUUID() })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await lastSeen()).toBe(signedInAt);
    await user.api.auth.me();
    expect(await lastSeen()).toBeGreaterThanOrEqual(signedInAt + 61_000);
  });
});

describe('change password', () => {
  it('revokes the other sessions, keeps this one, and the new password works', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const other = h.client(tenant);
    await other.api.auth.login({ login: user.username, password: PASSWORD });
    const elsewhere = await h.tenant();
    const otherTenant = h.client(elsewhere);
    await otherTenant.api.auth.login({ login: user.username, password: PASSWORD });

    const result = await user.api.auth.changePassword({
      currentPassword: PASSWORD,
      newPassword: 'Brand-New-Pass-9',
    });
    expect(result.revokedSessions).toBe(2);
    expect(await user.api.auth.me()).not.toBeNull();
    expect(await other.api.auth.me()).toBeNull();
    expect(await otherTenant.api.auth.me()).toBeNull();
    await expect(
      h.client(tenant).api.auth.login({ login: user.username, password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await h.client(tenant).api.auth.login({ login: user.username, password: 'Brand-New-Pass-9' });
  });

  it('error: wrong current password', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    await expect(
      user.api.auth.changePassword({ currentPassword: 'Not-It-123', newPassword: 'Brand-New-Pass-9' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Your current password is incorrect',
    });
  });
});
