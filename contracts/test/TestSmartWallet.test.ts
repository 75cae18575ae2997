import {
  type AnvilInstance,
  type ChainClient,
  createChainClient,
  DEV_ACCOUNTS,
  startAnvil,
  testSmartWalletAbi,
  testSmartWalletBytecode,
} from '@ppv/chain';
import {
  type Address,
  createWalletClient,
  type Hex,
  hashMessage,
  http,
  numberToHex,
  parseSignature,
  serializeCompactSignature,
  signatureToCompactSignature,
  toFunctionSelector,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount, sign } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAGIC_VALUE = '0x1626ba7e';
const INVALID = '0xffffffff';
/** secp256k1 group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const owner = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const hash = hashMessage('hello wallet');

let anvil: AnvilInstance;
let client: ChainClient;
let wallet: Address;

function deployer() {
  return createWalletClient({
    account: privateKeyToAccount(DEV_ACCOUNTS[0].privateKey),
    chain: client.chain,
    transport: http(anvil.rpcUrl),
  });
}

beforeAll(async () => {
  anvil = await startAnvil();
  client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const tx = await deployer().deployContract({
    abi: testSmartWalletAbi,
    bytecode: testSmartWalletBytecode,
    args: [owner.address],
  });
  wallet = (await client.waitForTransactionReceipt({ hash: tx })).contractAddress!;
});
afterAll(async () => {
  await anvil.stop();
});

function isValidSignature(signature: Hex, digest: Hex = hash) {
  return client.readContract({
    address: wallet,
    abi: testSmartWalletAbi,
    functionName: 'isValidSignature',
    args: [digest, signature],
  });
}

describe('TestSmartWallet', () => {
  it('records its owner', async () => {
    expect(
      await client.readContract({ address: wallet, abi: testSmartWalletAbi, functionName: 'owner' }),
    ).toBe(owner.address);
  });

  it("returns the EIP-1271 magic value for the owner's signature of the hash", async () => {
    expect(
      await isValidSignature(await sign({ hash, privateKey: DEV_ACCOUNTS[1].privateKey, to: 'hex' })),
    ).toBe(MAGIC_VALUE);
  });

  it('error: rejects a signature by another key', async () => {
    expect(
      await isValidSignature(await sign({ hash, privateKey: DEV_ACCOUNTS[2].privateKey, to: 'hex' })),
    ).toBe(INVALID);
  });

  it("error: rejects the owner's signature of another hash", async () => {
    const signature = await sign({ hash, privateKey: DEV_ACCOUNTS[1].privateKey, to: 'hex' });
    expect(await isValidSignature(signature, hashMessage('something else'))).toBe(INVALID);
  });

  it('error: rejects signatures that are not 65 bytes, compact ones included', async () => {
    const signature = await sign({ hash, privateKey: DEV_ACCOUNTS[1].privateKey });
    const compact = serializeCompactSignature(signatureToCompactSignature(signature));
    for (const bad of [compact, '0x', '0x1234', `${compact}${'00'.repeat(2)}`] as Hex[]) {
      expect(await isValidSignature(bad)).toBe(INVALID);
    }
  });

  it('error: rejects the malleable high-s twin and a bad v', async () => {
    const { r, s, v } = parseSignature(
      await sign({ hash, privateKey: DEV_ACCOUNTS[1].privateKey, to: 'hex' }),
    );
    const highS = numberToHex(N - BigInt(s), { size: 32 });
    const flippedV = v === 27n ? 28 : 27;
    expect(
      await isValidSignature(`${r}${highS.slice(2)}${numberToHex(flippedV, { size: 1 }).slice(2)}`),
    ).toBe(INVALID);
    expect(
      await isValidSignature(`${r}${s.slice(2)}${numberToHex(Number(v) - 27, { size: 1 }).slice(2)}`),
    ).toBe(INVALID);
  });

  it('error: cannot be deployed without an owner', async () => {
    await expect(
      deployer().deployContract({
        abi: testSmartWalletAbi,
        bytecode: testSmartWalletBytecode,
        args: [zeroAddress],
      }),
    ).rejects.toThrow(`custom error ${toFunctionSelector('ZeroOwner()')}`);
  });
});
