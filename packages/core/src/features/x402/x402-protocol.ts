import { z } from 'zod';

/**
 * The x402 protocol over HTTP, as far as this hub speaks it: the `exact` scheme on an EVM chain with
 * an EIP-3009 stablecoin, in version 2 (headers `PAYMENT-REQUIRED`, `PAYMENT-SIGNATURE`,
 * `PAYMENT-RESPONSE`, each base64-encoded JSON) and in version 1 (the requirements as the 402's JSON
 * body, the payment in `X-PAYMENT`, the settlement in `X-PAYMENT-RESPONSE`).
 */
export const X402_VERSION = 2;
export type X402Version = 1 | 2;

/**
 * The protocol's reasons for refusing a payment, as they appear in `PaymentRequired.error` and
 * `SettlementResponse.errorReason`. The value mismatch has its version's name: version 2 asks for
 * the exact amount (`…_value_mismatch`), version 1 named it `…_value`.
 */
export type X402ErrorReason =
  | 'invalid_payload'
  | 'invalid_x402_version'
  | 'unsupported_scheme'
  | 'invalid_network'
  | 'invalid_payment_requirements'
  | 'invalid_exact_evm_payload_recipient_mismatch'
  | 'invalid_exact_evm_payload_authorization_value_mismatch'
  | 'invalid_exact_evm_payload_authorization_value'
  | 'invalid_exact_evm_payload_authorization_valid_after'
  | 'invalid_exact_evm_payload_authorization_valid_before'
  | 'invalid_exact_evm_payload_signature'
  | 'invalid_exact_evm_nonce_already_used'
  | 'insufficient_funds'
  | 'invalid_transaction_state'
  | 'unexpected_settle_error';

export const valueMismatchReason = (version: X402Version): X402ErrorReason =>
  version === 1
    ? 'invalid_exact_evm_payload_authorization_value'
    : 'invalid_exact_evm_payload_authorization_value_mismatch';

/** Version 2 `PaymentRequirements` (one entry of `accepts`). */
export interface PaymentRequirements {
  scheme: 'exact';
  /** CAIP-2: `eip155:<chainId>`. */
  network: string;
  /** The token's address. */
  asset: string;
  /** In the token's smallest unit, as a decimal string. */
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
}

/** Version 2 `PaymentRequired`: the `PAYMENT-REQUIRED` header. */
export interface PaymentRequired {
  x402Version: 2;
  error?: string;
  resource: { url: string; description: string; mimeType: string };
  accepts: PaymentRequirements[];
}

/** Version 1 `PaymentRequirements`: the resource is described in each entry. */
export interface PaymentRequirementsV1 {
  scheme: 'exact';
  /** The network's version 1 name (`base`, `base-sepolia`, …), or CAIP-2 for a chain without one. */
  network: string;
  maxAmountRequired: string;
  resource: string;
  description: string;
  mimeType: string;
  outputSchema: null;
  payTo: string;
  maxTimeoutSeconds: number;
  asset: string;
  extra: Record<string, unknown>;
}

/** Version 1 `PaymentRequirementsResponse`: the 402's JSON body. */
export interface PaymentRequiredV1 {
  x402Version: 1;
  error: string;
  accepts: PaymentRequirementsV1[];
}

/** `PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE`. */
export interface SettlementResponse {
  success: boolean;
  errorReason?: X402ErrorReason;
  /** The transaction's hash; empty when none was mined. */
  transaction: string;
  network: string;
  payer: string;
}

/** Version 1 network names of the EVM chains that have one (the protocol's own table). */
const V1_NETWORKS: Record<number, string> = {
  1: 'ethereum',
  11155111: 'sepolia',
  8453: 'base',
  84532: 'base-sepolia',
  43114: 'avalanche',
  43113: 'avalanche-fuji',
  137: 'polygon',
  80002: 'polygon-amoy',
  2741: 'abstract',
  11124: 'abstract-testnet',
  4689: 'iotex',
  1329: 'sei',
  1328: 'sei-testnet',
  3338: 'peaq',
  1514: 'story',
  41923: 'educhain',
};

/** The network as version 2 names it (CAIP-2). */
export const caip2Network = (chainId: number) => `eip155:${chainId}`;

/** The network as version 1 names it: its name, or CAIP-2 for a chain the version 1 table lacks. */
export const v1Network = (chainId: number) => V1_NETWORKS[chainId] ?? caip2Network(chainId);

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');
const uint = z.union([z.string().regex(/^\d{1,78}$/), z.number().int().nonnegative()]).transform(BigInt);

const exactEvmPayload = z.object({
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte hex signature'),
  authorization: z.object({
    from: address,
    to: address,
    value: uint,
    validAfter: uint,
    validBefore: uint,
    nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hex nonce'),
  }),
});
export type ExactEvmPayload = z.infer<typeof exactEvmPayload>;

/** `PAYMENT-SIGNATURE` (version 2): the accepted requirements are echoed and checked by the caller. */
const paymentPayloadV2 = z.object({
  x402Version: z.literal(2),
  accepted: z
    .object({ scheme: z.string(), network: z.string() })
    .passthrough()
    .transform((accepted) => accepted as { scheme: string; network: string } & Record<string, unknown>),
  payload: exactEvmPayload,
});

/** `X-PAYMENT` (version 1): scheme and network at the top. */
const paymentPayloadV1 = z.object({
  x402Version: z.literal(1),
  scheme: z.string(),
  network: z.string(),
  payload: exactEvmPayload,
});

/** A payment as either version sends it. */
export interface PaymentPayload {
  x402Version: X402Version;
  scheme: string;
  network: string;
  /** Version 2 only: the requirements the client says it accepted. */
  accepted: Record<string, unknown> | null;
  payload: ExactEvmPayload;
}

export const encodeX402Header = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** The header a version's payment arrives in. */
export const paymentHeaderName = (version: X402Version) =>
  version === 1 ? 'X-PAYMENT' : 'PAYMENT-SIGNATURE';

/**
 * Decodes a payment header (`PAYMENT-SIGNATURE` for version 2, `X-PAYMENT` for version 1), or says
 * with the protocol's reason what is wrong with it.
 */
export function decodePaymentHeader(
  header: string,
  version: X402Version,
): { payment: PaymentPayload } | { reason: X402ErrorReason; problem: string } {
  const name = paymentHeaderName(version);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return { reason: 'invalid_payload', problem: `The ${name} header is not base64-encoded JSON` };
  }
  const sent = (json as { x402Version?: unknown } | null)?.x402Version;
  if (sent !== version) {
    return {
      reason: 'invalid_x402_version',
      problem: `The ${name} header carries x402 version ${version}; this one says ${JSON.stringify(sent ?? null)}`,
    };
  }
  const parsed = version === 2 ? paymentPayloadV2.safeParse(json) : paymentPayloadV1.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      reason: 'invalid_payload',
      problem: `The ${name} header is not an x402 exact-scheme EVM payment: ${issue?.path.join('.') || 'payload'}: ${issue?.message}`,
    };
  }
  const data = parsed.data;
  return {
    payment:
      'accepted' in data
        ? {
            x402Version: 2,
            scheme: data.accepted.scheme,
            network: data.accepted.network,
            accepted: data.accepted,
            payload: data.payload,
          }
        : {
            x402Version: 1,
            scheme: data.scheme,
            network: data.network,
            accepted: null,
            payload: data.payload,
          },
  };
}
