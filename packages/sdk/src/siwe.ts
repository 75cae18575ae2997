import { keccak_256 } from '@noble/hashes/sha3';

/** Any EIP-1193 provider: an injected browser wallet, WalletConnect, or a viem account wrapped as one. */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
}

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The EIP-55 mixed-case checksum form of an address, which EIP-4361 messages must use. */
export function checksumAddress(address: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`Not an Ethereum address: ${address}`);
  const lower = address.slice(2).toLowerCase();
  const hash = hex(keccak_256(encoder.encode(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++)
    out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out as `0x${string}`;
}

export interface SiweFields {
  domain: string;
  address: string;
  statement: string;
  uri: string;
  chainId: number;
  nonce: string;
  issuedAt: Date;
  expirationTime: Date;
}

/** An EIP-4361 (Sign-In with Ethereum) message. */
export function siweMessage(f: SiweFields): string {
  if (/[\r\n]/.test(f.statement)) throw new TypeError('A SIWE statement is one line');
  return [
    `${f.domain} wants you to sign in with your Ethereum account:`,
    checksumAddress(f.address),
    '',
    f.statement,
    '',
    `URI: ${f.uri}`,
    'Version: 1',
    `Chain ID: ${f.chainId}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${f.issuedAt.toISOString()}`,
    `Expiration Time: ${f.expirationTime.toISOString()}`,
  ].join('\n');
}

/** `personal_sign` takes the message as 0x-prefixed hex of its UTF-8 bytes. */
export const utf8Hex = (text: string): `0x${string}` => `0x${hex(encoder.encode(text))}`;
