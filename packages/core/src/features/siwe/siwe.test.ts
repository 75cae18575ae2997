import {
  type AnvilInstance,
  createChainClient,
  createSiweMessage,
  DEV_ACCOUNTS,
  type SiweMessage,
  startAnvil,
  testSmartWalletAbi,
  testSmartWalletBytecode,
} from '@ppv/chain';
import type { Tenant } from '@ppv/db';
import { type Address, createWalletClient, getAddress, http } from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestClient } from '../../testing';

const MINUTE = 60_000;

let anvil: AnvilInstance;
let h: Harness;
beforeAll(async () => {
  anvil = await startAnvil();
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  h = await createHarness({ chain: { client, chainId: 31337 } });
});
afterAll(async () => {
  await h?.close();
  await anvil?.stop();
});

/** A fresh key per test: wallets are hub-wide, so tests must not share them. */
const newWallet = () => privateKeyToAccount(generatePrivateKey());

/** The EIP-4361 message a browser wallet would be asked to sign on `client`'s host. */
function siweMessage(
  client: TestClient,
  address: Address,
  nonce: string,
  overrides: Partial<SiweMessage> = {},
): string {
  const host = client.req.host;
  const now = h.deps.clock();
  return createSiweMessage({
    domain: host,
    address,
    statement: 'Sign in to PPV Stream.',
    uri: `http://${host}/login`,
    version: '1',
    chainId: 31337,
    nonce,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + 5 * MINUTE),
    ...overrides,
  });
}

/** Gets a nonce from the site, signs the message with `signer` for `address` and verifies it. */
async function signIn(
  client: TestClient,
  signer: PrivateKeyAccount,
  opts: { address?: Address; link?: boolean } = {},
) {
  const { nonce } = await client.api.siwe.nonce();
  const message = siweMessage(client, opts.address ?? signer.address, nonce);
  return client.api.siwe.verify({
    message,
    signature: await signer.signMessage({ message }),
    link: opts.link,
  });
}

/** A signed message ready to verify, for error cases that alter one part of it. */
async function signed(client: TestClient, signer: PrivateKeyAccount, overrides: Partial<SiweMessage> = {}) {
  const { nonce } = await client.api.siwe.nonce();
  const message = siweMessage(client, signer.address, nonce, overrides);
  return { message, signature: await signer.signMessage({ message }) };
}

describe('nonce', () => {
  it('returns a fresh nonce with the domain (the request host) and chain id the message must name', async () => {
    const tenant = await h.tenant();
    const client = h.client(tenant);
    const before = h.deps.clock().getTime();
    const first = await client.api.siwe.nonce();
    const after = h.deps.clock().getTime();
    expect(first).toEqual({
      nonce: expect.stringMatching(/^[A-Za-z0-9]{24}$/),
      domain: `${tenant.slug}.hub.test`,
      chainId: 31337,
      expiresAt: expect.any(Date),
    });
    expect(first.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 10 * MINUTE);
    expect(first.expiresAt.getTime()).toBeLessThanOrEqual(after + 10 * MINUTE);
    expect((await client.api.siwe.nonce()).nonce).not.toBe(first.nonce);
    const custom = await h.client(tenant, { host: 'videos.example.com:8443' }).api.siwe.nonce();
    expect(custom.domain).toBe('videos.example.com:8443');
  });
});

describe('sign in with a wallet', () => {
  it('creates a wallet-only account on first sign-in and reuses it after', async () => {
    const tenant = await h.tenant();
    const wallet = newWallet();
    const client = h.client(tenant);
    const first = await signIn(client, wallet);
    const address = wallet.address.toLowerCase();
    expect(first).toEqual({
      userId: expect.any(String),
      address,
      linked: false,
      created: true,
      csrfToken: client.cookies.ppv_csrf,
    });
    expect(await client.api.auth.me()).toMatchObject({
      id: first.userId,
      username: `w_${address.slice(2, 10)}`,
      email: null,
      hasPassword: false,
      role: 'viewer',
      via: 'session',
      wallets: [{ address, chainId: 31337 }],
    });
    const [session] = await client.api.auth.sessions.list();
    expect(session?.method).toBe('siwe');

    const again = h.client(tenant);
    expect(await signIn(again, wallet)).toMatchObject({ userId: first.userId, created: false });
    expect((await again.api.auth.me())?.id).toBe(first.userId);
  });

  it('signs in to the same account on another tenant, joining it as a viewer', async () => {
    const wallet = newWallet();
    const onA = await signIn(h.client(await h.tenant()), wallet);
    const clientB = h.client(await h.tenant());
    expect(await signIn(clientB, wallet)).toMatchObject({ userId: onA.userId, created: false });
    expect(await clientB.api.auth.me()).toMatchObject({ id: onA.userId, role: 'viewer' });
  });

  it('signs in with a smart-contract wallet (EIP-1271) signed by its owner', async () => {
    const owner = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
    const deployer = createWalletClient({
      account: privateKeyToAccount(DEV_ACCOUNTS[0].privateKey),
      chain: h.deps.chain!.client.chain,
      transport: http(anvil.rpcUrl),
    });
    const hash = await deployer.deployContract({
      abi: testSmartWalletAbi,
      bytecode: testSmartWalletBytecode,
      args: [owner.address],
    });
    const contract = (await h.deps.chain!.client.waitForTransactionReceipt({ hash })).contractAddress!;
    const tenant = await h.tenant();
    const client = h.client(tenant);

    const result = await signIn(client, owner, { address: contract });
    expect(result).toMatchObject({ address: contract.toLowerCase(), created: true });
    expect((await client.api.auth.me())?.wallets).toEqual([
      { address: contract.toLowerCase(), chainId: 31337 },
    ]);
    await expect(signIn(h.client(tenant), newWallet(), { address: contract })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: `Sign-in message rejected: the signature is not valid for ${getAddress(contract)}`,
    });
  });
});

describe('link a wallet', () => {
  it('links a wallet to a password account; signing in with it then lands in that account', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const wallet = newWallet();
    const address = wallet.address.toLowerCase();
    expect(await signIn(user, wallet, { link: true })).toEqual({
      userId: user.userId,
      address,
      linked: true,
      created: false,
      csrfToken: null,
    });
    expect(await user.api.auth.me()).toMatchObject({
      username: user.username,
      hasPassword: true,
      wallets: [{ address, chainId: 31337 }],
    });
    // Linking again is harmless.
    expect(await signIn(user, wallet, { link: true })).toMatchObject({ linked: true });

    const viaWallet = h.client(tenant);
    expect(await signIn(viaWallet, wallet)).toMatchObject({ userId: user.userId, created: false });
    expect((await viaWallet.api.auth.me())?.username).toBe(user.username);
  });

  it('error: linking needs a signed-in account', async () => {
    const tenant = await h.tenant();
    await expect(signIn(h.client(tenant), newWallet(), { link: true })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Sign in first to link a wallet to your account',
    });
  });

  it('error: an API token cannot link a wallet (it would turn a script credential into a sign-in)', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const { token } = await user.api.apiTokens.create({ name: 'ci' });
    const script = h.client(tenant, { authorization: `Bearer ${token}` });
    await expect(signIn(script, newWallet(), { link: true })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This action needs a signed-in session, not an API token',
    });
    expect((await user.api.auth.me())?.wallets).toEqual([]);
  });

  it('error: linking with the session cookie needs the CSRF token', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const forged = h.client(tenant, { csrf: false });
    forged.cookies = { ...user.cookies };
    await expect(signIn(forged, newWallet(), { link: true })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Missing or invalid CSRF token (send the x-csrf-token header)',
    });
    expect((await user.api.auth.me())?.wallets).toEqual([]);
  });

  it('error: a wallet of another account cannot be linked', async () => {
    const tenant = await h.tenant();
    const wallet = newWallet();
    const owner = await h.signedIn(tenant);
    await signIn(owner, wallet, { link: true });
    const other = await h.signedIn(tenant);
    await expect(signIn(other, wallet, { link: true })).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        'This wallet is linked to another account: sign in with it to use that account, or unlink it there first',
    });
    expect((await other.api.auth.me())?.wallets).toEqual([]);
  });
});

describe('unlink a wallet', () => {
  it('unlinks a wallet of a password account; signing in with it then makes a new account', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const wallet = newWallet();
    await signIn(user, wallet, { link: true });
    expect(await user.api.auth.wallets.unlink({ address: wallet.address })).toEqual({ ok: true });
    expect((await user.api.auth.me())?.wallets).toEqual([]);

    const viaWallet = h.client(tenant);
    const again = await signIn(viaWallet, wallet);
    expect(again).toMatchObject({ created: true });
    expect(again.userId).not.toBe(user.userId);
  });

  it('a wallet-only account unlinks one of two wallets and keeps the other', async () => {
    const tenant = await h.tenant();
    const first = newWallet();
    const second = newWallet();
    const client = h.client(tenant);
    await signIn(client, first);
    await signIn(client, second, { link: true });
    await client.api.auth.wallets.unlink({ address: first.address });
    expect((await client.api.auth.me())?.wallets).toEqual([
      { address: second.address.toLowerCase(), chainId: 31337 },
    ]);
  });

  it('error: the only wallet of an account without a password stays linked', async () => {
    const tenant = await h.tenant();
    const wallet = newWallet();
    const client = h.client(tenant);
    await signIn(client, wallet);
    await expect(client.api.auth.wallets.unlink({ address: wallet.address })).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        'This wallet is the only way to sign in to your account: link another wallet or set a password first',
    });
    expect((await client.api.auth.me())?.wallets).toHaveLength(1);
  });

  it('error: a wallet of another account is not found, and stays linked there', async () => {
    const tenant = await h.tenant();
    const owner = await h.signedIn(tenant);
    const wallet = newWallet();
    await signIn(owner, wallet, { link: true });
    const other = await h.signedIn(tenant);
    await expect(other.api.auth.wallets.unlink({ address: wallet.address })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'That wallet is not linked to your account',
    });
    expect((await owner.api.auth.me())?.wallets).toHaveLength(1);
  });

  it('error: an API token cannot unlink a wallet, and a malformed address is refused', async () => {
    const tenant = await h.tenant();
    const user = await h.signedIn(tenant);
    const wallet = newWallet();
    await signIn(user, wallet, { link: true });
    const { token } = await user.api.apiTokens.create({ name: 'ci' });
    const script = h.client(tenant, { authorization: `Bearer ${token}` });
    await expect(script.api.auth.wallets.unlink({ address: wallet.address })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This action needs a signed-in session, not an API token',
    });
    await expect(user.api.auth.wallets.unlink({ address: '0x1234' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'address: address must be a 0x-prefixed 20-byte Ethereum address',
    });
    expect((await user.api.auth.me())?.wallets).toHaveLength(1);
  });
});

describe('errors', () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await h.tenant();
  });

  it('error: a replayed message (its nonce is single use)', async () => {
    const client = h.client(tenant);
    const input = await signed(client, newWallet());
    await client.api.siwe.verify(input);
    await expect(h.client(tenant).api.siwe.verify(input)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This sign-in message was already used; request a new one',
    });
  });

  it('error: a nonce this site did not issue, or issued for another tenant', async () => {
    const wallet = newWallet();
    const client = h.client(tenant);
    const made = siweMessage(client, wallet.address, 'madeUpNonce12345');
    await expect(
      client.api.siwe.verify({ message: made, signature: await wallet.signMessage({ message: made }) }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Unknown nonce: request a new sign-in message from this site',
    });

    const { nonce } = await h.client(await h.tenant()).api.siwe.nonce();
    const foreign = siweMessage(client, wallet.address, nonce);
    await expect(
      client.api.siwe.verify({ message: foreign, signature: await wallet.signMessage({ message: foreign }) }),
    ).rejects.toMatchObject({ message: 'Unknown nonce: request a new sign-in message from this site' });
  });

  it('error: a nonce expires after 10 minutes, even in a message that has not', async () => {
    const client = h.client(tenant);
    const wallet = newWallet();
    const { nonce } = await client.api.siwe.nonce();
    const message = siweMessage(client, wallet.address, nonce, {
      expirationTime: new Date(h.deps.clock().getTime() + 60 * MINUTE),
    });
    const signature = await wallet.signMessage({ message });
    h.advance(11 * MINUTE);
    await expect(client.api.siwe.verify({ message, signature })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'This sign-in message has expired; request a new one',
    });
  });

  it('error: an expired message', async () => {
    const client = h.client(tenant);
    const now = h.deps.clock();
    const input = await signed(client, newWallet(), {
      issuedAt: new Date(now.getTime() - 2 * MINUTE),
      expirationTime: new Date(now.getTime() - MINUTE),
    });
    await expect(client.api.siwe.verify(input)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Sign-in message rejected: the message expired at ${new Date(now.getTime() - MINUTE).toISOString()}`,
    });
  });

  it('error: a message for another domain', async () => {
    const client = h.client(tenant);
    const input = await signed(client, newWallet(), { domain: 'evil.example.com' });
    await expect(client.api.siwe.verify(input)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Sign-in message rejected: the message is for evil.example.com, not ${tenant.slug}.hub.test`,
    });
  });

  it('error: a message for another chain', async () => {
    const client = h.client(tenant);
    const input = await signed(client, newWallet(), { chainId: 1 });
    await expect(client.api.siwe.verify(input)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Sign-in message rejected: the message is for chain 1, not 31337',
    });
  });

  it('error: a malformed signature', async () => {
    const client = h.client(tenant);
    const { message } = await signed(client, newWallet());
    await expect(client.api.siwe.verify({ message, signature: '0x1234' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Sign-in message rejected: a 2-byte signature cannot come from a plain account',
    });
    await expect(client.api.siwe.verify({ message, signature: 'not hex' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Sign-in message rejected: the signature is not a hex string of whole bytes',
    });
  });

  it('error: a signature by another key, which leaves the nonce unused', async () => {
    const client = h.client(tenant);
    const wallet = newWallet();
    const { message, signature } = await signed(client, wallet);
    await expect(
      client.api.siwe.verify({ message, signature: await newWallet().signMessage({ message }) }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: `Sign-in message rejected: the signature is not valid for ${wallet.address}`,
    });
    expect(await client.api.siwe.verify({ message, signature })).toMatchObject({ created: true });
  });

  it('error: a message issued in the future', async () => {
    const client = h.client(tenant);
    const { nonce } = await client.api.siwe.nonce();
    const wallet = privateKeyToAccount(DEV_ACCOUNTS[7].privateKey);
    const issuedAt = new Date(Date.now() + 60 * MINUTE);
    const made = createSiweMessage({
      domain: `${tenant.slug}.hub.test`,
      address: wallet.address,
      uri: `http://${tenant.slug}.hub.test`,
      version: '1',
      chainId: 31337,
      nonce,
      issuedAt,
    });
    await expect(
      client.api.siwe.verify({ message: made, signature: await wallet.signMessage({ message: made }) }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Sign-in message rejected: the message claims to be issued in the future (${issuedAt.toISOString()})`,
    });
  });

  it('error: a malformed message', async () => {
    const client = h.client(tenant);
    await expect(client.api.siwe.verify({ message: 'hello', signature: '0x' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        "Sign-in message rejected: not a valid EIP-4361 message: it must start with '<domain> wants you to sign in with your Ethereum account:' and an address",
    });
  });
});

describe('without a chain', () => {
  it('error: sign-in with Ethereum is not configured', async () => {
    const tenant = await h.tenant();
    const client = h.client(tenant);
    const input = await signed(client, newWallet());
    const chain = h.deps.chain;
    h.deps.chain = undefined;
    try {
      await expect(client.api.siwe.verify(input)).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
        message: 'Sign-in with Ethereum is not configured on this hub',
      });
    } finally {
      h.deps.chain = chain;
    }
  });
});
