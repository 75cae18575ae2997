import {
  type Address,
  concatHex,
  createWalletClient,
  encodeDeployData,
  getContractAddress,
  type Hex,
  http,
  padHex,
  serializeErc6492Signature,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  createSiweMessage,
  DEV_ACCOUNTS,
  generateSiweNonce,
  type SiweMessage,
  startAnvil,
  testSmartWalletAbi,
  testSmartWalletBytecode,
  verifySiwe,
} from '../src/index';

const DOMAIN = 'hub.example.test';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;
/** The deterministic CREATE2 deployer anvil ships with (https://github.com/Arachnid/deterministic-deployment-proxy). */
const CREATE2_DEPLOYER = '0x4e59b44847b379578588920ca78fbf26c0b4956c';

const alice = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const mallory = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);

let anvil: AnvilInstance;
let client: ChainClient;

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
});
afterAll(async () => {
  await anvil.stop();
});

function siweMessage(address: Address, overrides: Partial<SiweMessage> = {}): string {
  return createSiweMessage({
    domain: DOMAIN,
    address,
    statement: 'Sign in to PPV Stream.',
    uri: `https://${DOMAIN}/login`,
    version: '1',
    chainId: 31337,
    nonce: generateSiweNonce(),
    issuedAt: new Date(NOW.getTime() - MINUTE),
    expirationTime: new Date(NOW.getTime() + 10 * MINUTE),
    ...overrides,
  });
}

function verify(message: string, signature: string, now = NOW) {
  return verifySiwe({ client, message, signature, expectedDomain: DOMAIN, expectedChainId: 31337, now });
}

describe('verifySiwe with a plain account', () => {
  it('verifies a message signed by its address and returns the parsed fields', async () => {
    const message = siweMessage(alice.address, { nonce: 'abcDEF123456' });
    const result = await verify(message, await alice.signMessage({ message }));
    expect(result).toEqual({
      ok: true,
      address: alice.address.toLowerCase(),
      nonce: 'abcDEF123456',
      chainId: 31337,
      issuedAt: new Date(NOW.getTime() - MINUTE),
      expirationTime: new Date(NOW.getTime() + 10 * MINUTE),
    });
  });

  it('verifies a message without expiration time and compares the domain case-insensitively', async () => {
    const message = siweMessage(alice.address, { expirationTime: undefined });
    const result = await verifySiwe({
      client,
      message,
      signature: await alice.signMessage({ message }),
      expectedDomain: DOMAIN.toUpperCase(),
      expectedChainId: 31337,
      now: NOW,
    });
    expect(result.ok).toBe(true);
    expect(result).not.toHaveProperty('expirationTime');
  });

  it('error: rejects a message for another domain', async () => {
    const message = siweMessage(alice.address, { domain: 'evil.example.test' });
    expect(await verify(message, await alice.signMessage({ message }))).toEqual({
      ok: false,
      reason: 'wrong_domain',
      message: 'the message is for evil.example.test, not hub.example.test',
    });
  });

  it('error: rejects a message for another chain', async () => {
    const message = siweMessage(alice.address, { chainId: 1 });
    expect(await verify(message, await alice.signMessage({ message }))).toMatchObject({
      ok: false,
      reason: 'wrong_chain',
      message: 'the message is for chain 1, not 31337',
    });
  });

  it('error: rejects an expired message, from its expiration time on', async () => {
    const message = siweMessage(alice.address);
    const signature = await alice.signMessage({ message });
    expect(await verify(message, signature, new Date(NOW.getTime() + 10 * MINUTE))).toMatchObject({
      ok: false,
      reason: 'expired',
      message: 'the message expired at 2026-03-01T12:10:00.000Z',
    });
    expect((await verify(message, signature, new Date(NOW.getTime() + 10 * MINUTE - 1))).ok).toBe(true);
  });

  it('error: rejects a message before its not-before time', async () => {
    const message = siweMessage(alice.address, { notBefore: new Date(NOW.getTime() + MINUTE) });
    const signature = await alice.signMessage({ message });
    expect(await verify(message, signature)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect((await verify(message, signature, new Date(NOW.getTime() + MINUTE))).ok).toBe(true);
  });

  it('error: rejects malformed signatures', async () => {
    const message = siweMessage(alice.address);
    for (const signature of ['0x1234', 'not hex', '0x123', '', '0x']) {
      expect(await verify(message, signature)).toMatchObject({ ok: false, reason: 'malformed_signature' });
    }
    expect(await verify(message, '0x1234')).toMatchObject({
      message: 'a 2-byte signature cannot come from a plain account',
    });
  });

  it('error: rejects a signature by another key', async () => {
    const message = siweMessage(alice.address);
    expect(await verify(message, await mallory.signMessage({ message }))).toEqual({
      ok: false,
      reason: 'bad_signature',
      message: `the signature is not valid for ${alice.address}`,
    });
  });

  it('error: rejects a signature of a different message', async () => {
    const signed = siweMessage(alice.address);
    const presented = signed.replace('Sign in to PPV Stream.', 'Sign in to PPV Stream!');
    expect(await verify(presented, await alice.signMessage({ message: signed }))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('error: rejects a 65-byte signature that recovers to nobody', async () => {
    const message = siweMessage(alice.address);
    expect(await verify(message, padHex('0x1b', { size: 65, dir: 'left' }))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('error: rejects malformed messages', async () => {
    const valid = siweMessage(alice.address);
    const malformed = [
      'hello',
      valid.replace(/\nNonce: .*/, ''),
      valid.replace(/Nonce: \w+/, 'Nonce: short'),
      valid.replace(/Issued At: .*/, 'Issued At: yesterday'),
      valid.replace(/Expiration Time: .*/, 'Expiration Time: 2026-03-01 12:10'),
      valid.replace('Version: 1', 'Version: 2'),
      valid.replace(alice.address, '0x1234'),
    ];
    for (const message of malformed) {
      const result = await verify(message, await alice.signMessage({ message }));
      expect(result).toMatchObject({ ok: false, reason: 'malformed_message' });
    }
    expect(await verify('hello', '0x')).toMatchObject({
      message:
        "not a valid EIP-4361 message: it must start with '<domain> wants you to sign in with your Ethereum account:' and an address",
    });
    expect(await verify(valid.replace(/\nNonce: .*/, ''), '0x')).toMatchObject({
      message:
        'not a valid EIP-4361 message: the URI, Version, Chain ID, Nonce and Issued At lines are missing or out of order',
    });
  });

  it('error: refuses a client for another chain than the one expected', async () => {
    const message = siweMessage(alice.address, { chainId: 1 });
    await expect(
      verifySiwe({ client, message, signature: '0x', expectedDomain: DOMAIN, expectedChainId: 1, now: NOW }),
    ).rejects.toThrow('verifySiwe: the client is for chain 31337, expected 1');
  });
});

describe('verifySiwe with a smart-contract wallet', () => {
  let wallet: Address;

  beforeAll(async () => {
    const deployer = createWalletClient({
      account: privateKeyToAccount(DEV_ACCOUNTS[0].privateKey),
      chain: client.chain,
      transport: http(anvil.rpcUrl),
    });
    const hash = await deployer.deployContract({
      abi: testSmartWalletAbi,
      bytecode: testSmartWalletBytecode,
      args: [alice.address],
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    wallet = receipt.contractAddress!;
  });

  it('verifies a message for the wallet signed by its owner (EIP-1271)', async () => {
    const message = siweMessage(wallet);
    expect(await verify(message, await alice.signMessage({ message }))).toMatchObject({
      ok: true,
      address: wallet.toLowerCase(),
    });
  });

  it('error: rejects a message for the wallet signed by another key (EIP-1271)', async () => {
    const message = siweMessage(wallet);
    expect(await verify(message, await mallory.signMessage({ message }))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('error: leaves signatures of unusual length to the wallet, which rejects them', async () => {
    const message = siweMessage(wallet);
    expect(await verify(message, '0x1234')).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('verifies a message for a wallet not deployed yet (EIP-6492)', async () => {
    expect(await client.getCode({ address: CREATE2_DEPLOYER })).not.toBe(undefined);
    const salt = padHex('0x6492', { size: 32 });
    const initCode = encodeDeployData({
      abi: testSmartWalletAbi,
      bytecode: testSmartWalletBytecode,
      args: [alice.address],
    });
    const counterfactual = getContractAddress({
      opcode: 'CREATE2',
      from: CREATE2_DEPLOYER,
      salt,
      bytecode: initCode,
    });
    const wrap = (signature: Hex) =>
      serializeErc6492Signature({ address: CREATE2_DEPLOYER, data: concatHex([salt, initCode]), signature });

    const message = siweMessage(counterfactual);
    expect(await verify(message, wrap(await alice.signMessage({ message })))).toMatchObject({
      ok: true,
      address: counterfactual.toLowerCase(),
    });
    expect(await verify(message, wrap(await mallory.signMessage({ message })))).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await client.getCode({ address: counterfactual })).toBe(undefined);
  });
});
