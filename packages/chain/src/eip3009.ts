import { type Address, type Client, type Hex, type LocalAccount, parseSignature, toHex } from 'viem';
import { getEip712Domain } from 'viem/actions';

/**
 * EIP-3009 `ReceiveWithAuthorization`: the payer's signature lets the payee (here the splitter
 * contract, the only caller the token accepts) move `value` from `from` to `to` within the window.
 * The HTTP 402 path: the payer signs this, the hub's relayer submits it with the invoice.
 */
export const receiveAuthorizationTypes = {
  ReceiveWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

export interface ReceiveAuthorization {
  from: Address;
  /** The payee, who alone may submit it: the splitter contract. */
  to: Address;
  /** In the token's smallest unit: the invoice's amount. */
  value: bigint;
  /** Unix seconds: valid once the block's timestamp is later than this… */
  validAfter: bigint;
  /** …and earlier than this. */
  validBefore: bigint;
  /** 32 random bytes, single use per `from` ({@link newAuthorizationNonce}). */
  nonce: Hex;
}

/** A token's EIP-712 domain, as its `eip712Domain()` reports it (see {@link tokenEip712Domain}). */
export interface TokenDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

/** The signature as bytes and split into the (v, r, s) that `receiveWithAuthorization` takes. */
export interface AuthorizationSignature {
  signature: Hex;
  v: number;
  r: Hex;
  s: Hex;
}

/** A fresh random EIP-3009 nonce. */
export function newAuthorizationNonce(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** The payer's signature of a `ReceiveWithAuthorization` in the token's domain. */
export async function signReceiveAuthorization(
  account: LocalAccount,
  tokenDomain: TokenDomain,
  authorization: ReceiveAuthorization,
): Promise<AuthorizationSignature> {
  if (!account.signTypedData) throw new Error('the payer account cannot sign typed data');
  const signature = await account.signTypedData({
    domain: tokenDomain,
    types: receiveAuthorizationTypes,
    primaryType: 'ReceiveWithAuthorization',
    message: authorization,
  });
  const { r, s, yParity } = parseSignature(signature);
  return { signature, v: 27 + yParity, r, s };
}

/** The fields bitmap of EIP-5267 for name, version, chainId and verifyingContract. */
const NAME_VERSION_CHAIN_CONTRACT = 0x0f;

/**
 * Reads a token's EIP-712 domain through EIP-5267 `eip712Domain()`, so authorizations are signed in
 * exactly the domain the token checks. Throws when the token does not implement EIP-5267 or uses a
 * domain other than (name, version, chainId, verifyingContract).
 */
export async function tokenEip712Domain(client: Client, token: Address): Promise<TokenDomain> {
  let answer: Awaited<ReturnType<typeof getEip712Domain>>;
  try {
    answer = await getEip712Domain(client, { address: token });
  } catch (error) {
    throw new Error(`token ${token} does not report its EIP-712 domain (EIP-5267 eip712Domain())`, {
      cause: error,
    });
  }
  const { domain, fields, extensions } = answer;
  if (Number(fields) !== NAME_VERSION_CHAIN_CONTRACT || extensions.length > 0) {
    throw new Error(
      `token ${token} uses an EIP-712 domain with fields ${fields} and ${extensions.length} extensions; ` +
        'only (name, version, chainId, verifyingContract) is supported',
    );
  }
  return {
    name: domain.name,
    version: domain.version,
    chainId: Number(domain.chainId),
    verifyingContract: domain.verifyingContract,
  };
}
