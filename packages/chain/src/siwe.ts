import { type Address, type Hex, isAddress, isErc6492Signature, isErc8010Signature, isHex, size } from 'viem';
import { parseSiweMessage } from 'viem/siwe';
import type { ChainClient } from './client';

export { createSiweMessage, generateSiweNonce, parseSiweMessage, type SiweMessage } from 'viem/siwe';

/** How far ahead of our clock a wallet's Issued At may be. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type SiweFailureReason =
  | 'malformed_message'
  | 'wrong_domain'
  | 'wrong_chain'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'malformed_signature';

export type SiweVerification =
  | {
      ok: true;
      /** Lowercase. */
      address: Address;
      /** Not checked here: the caller consumes it (single use) in the database. */
      nonce: string;
      chainId: number;
      issuedAt: Date;
      expirationTime?: Date;
    }
  | { ok: false; reason: SiweFailureReason; message: string };

export type VerifySiweOptions = {
  client: ChainClient;
  /** The EIP-4361 message exactly as it was signed. */
  message: string;
  signature: string;
  /** RFC 3986 authority the message must name, e.g. `tenant.example.com` or `localhost:8080`. */
  expectedDomain: string;
  expectedChainId: number;
  /** Defaults to the current time. */
  now?: Date;
};

const NONCE = /^[a-zA-Z0-9]{8,}$/;

/**
 * Verifies a Sign-In with Ethereum message and its signature. Signatures of plain accounts are checked
 * by recovery; smart-contract wallets through EIP-1271 and not yet deployed ones through EIP-6492 (viem's
 * `verifySiweMessage`, which calls the chain). A bad message or signature is a result, never an
 * exception; an unreachable RPC node while checking a contract wallet does throw.
 */
export async function verifySiwe(options: VerifySiweOptions): Promise<SiweVerification> {
  const { client, message, signature, expectedDomain, expectedChainId, now = new Date() } = options;
  if (client.chain.id !== expectedChainId) {
    throw new Error(`verifySiwe: the client is for chain ${client.chain.id}, expected ${expectedChainId}`);
  }

  const parsed = parseFields(message);
  if (typeof parsed === 'string') return fail('malformed_message', `not a valid EIP-4361 message: ${parsed}`);
  const { domain, address, chainId, nonce, issuedAt, expirationTime, notBefore } = parsed;

  if (domain.toLowerCase() !== expectedDomain.toLowerCase()) {
    return fail('wrong_domain', `the message is for ${domain}, not ${expectedDomain}`);
  }
  if (chainId !== expectedChainId) {
    return fail('wrong_chain', `the message is for chain ${chainId}, not ${expectedChainId}`);
  }
  if (expirationTime && now >= expirationTime) {
    return fail('expired', `the message expired at ${expirationTime.toISOString()}`);
  }
  if (notBefore && now < notBefore) {
    return fail('not_yet_valid', `the message is not valid before ${notBefore.toISOString()}`);
  }
  if (issuedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    return fail('not_yet_valid', `the message claims to be issued in the future (${issuedAt.toISOString()})`);
  }

  if (!isHex(signature, { strict: true }) || signature.length % 2 !== 0) {
    return fail('malformed_signature', 'the signature is not a hex string of whole bytes');
  }
  if (!(await couldBeSignature(client, address, signature))) {
    return fail(
      'malformed_signature',
      `a ${size(signature)}-byte signature cannot come from a plain account`,
    );
  }

  const valid = await client.verifySiweMessage({ message, signature, time: now });
  if (!valid) return fail('bad_signature', `the signature is not valid for ${address}`);

  return {
    ok: true,
    address: address.toLowerCase() as Address,
    nonce,
    chainId,
    issuedAt,
    ...(expirationTime ? { expirationTime } : {}),
  };
}

/**
 * Plain accounts sign with 65-byte (or EIP-2098 compact 64-byte) ECDSA signatures. Any other length can
 * only be meant for a contract wallet: wrapped for EIP-6492/8010, or checked by a deployed wallet's code
 * (a Safe, for one, accepts an empty signature for a message it approved on chain).
 */
async function couldBeSignature(client: ChainClient, address: Address, signature: Hex): Promise<boolean> {
  const bytes = size(signature);
  if (bytes === 64 || bytes === 65) return true;
  if (isErc6492Signature(signature) || isErc8010Signature(signature)) return true;
  const code = await client.getCode({ address });
  return code !== undefined && code !== '0x';
}

type SiweFields = {
  domain: string;
  address: Address;
  chainId: number;
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
  notBefore?: Date;
};

/** The fields verification needs, or what is wrong with the message. */
function parseFields(message: string): SiweFields | string {
  const fields = parseSiweMessage(message);
  const { domain, address, uri, version, chainId, nonce, issuedAt, expirationTime, notBefore } = fields;
  if (!domain || !address || !isAddress(address, { strict: false })) {
    return "it must start with '<domain> wants you to sign in with your Ethereum account:' and an address";
  }
  // The suffix is matched as a whole: any missing or misplaced line leaves all of it out.
  if (!uri) return 'the URI, Version, Chain ID, Nonce and Issued At lines are missing or out of order';
  if (version !== '1') return 'version is not 1';
  if (chainId === undefined || !Number.isSafeInteger(chainId)) return 'no valid chain ID';
  if (!nonce || !NONCE.test(nonce)) return 'the nonce is not 8+ letters and digits';
  if (!isValidDate(issuedAt)) return 'Issued At is missing or not an RFC 3339 date-time';
  if (expirationTime && !isValidDate(expirationTime)) return 'Expiration Time is not an RFC 3339 date-time';
  if (notBefore && !isValidDate(notBefore)) return 'Not Before is not an RFC 3339 date-time';
  return {
    domain,
    address,
    chainId,
    nonce,
    issuedAt,
    ...(expirationTime ? { expirationTime } : {}),
    ...(notBefore ? { notBefore } : {}),
  };
}

function isValidDate(date: Date | undefined): date is Date {
  return date instanceof Date && !Number.isNaN(date.getTime());
}

function fail(reason: SiweFailureReason, message: string): SiweVerification {
  return { ok: false, reason, message };
}
