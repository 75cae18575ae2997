import { z } from 'zod';

/**
 * The x402 protocol (version 2) over HTTP, as far as this hub speaks it: the `exact` scheme on an EVM
 * chain with an EIP-3009 stablecoin. Headers carry base64-encoded JSON: `PAYMENT-REQUIRED` (server →
 * client, with the 402), `PAYMENT-SIGNATURE` (client → server, the signed authorization) and
 * `PAYMENT-RESPONSE` (server → client, the settlement).
 */
export const X402_VERSION = 2;

/** The protocol's reasons for refusing a payment, as they appear in `PaymentRequired.error`. */
export type X402ErrorReason =
  | 'invalid_payload'
  | 'invalid_x402_version'
  | 'unsupported_scheme'
  | 'invalid_network'
  | 'invalid_payment_requirements'
  | 'invalid_exact_evm_payload_recipient_mismatch'
  | 'invalid_exact_evm_payload_authorization_value'
  | 'invalid_exact_evm_payload_authorization_valid_after'
  | 'invalid_exact_evm_payload_authorization_valid_before'
  | 'invalid_exact_evm_payload_signature'
  | 'invalid_transaction_state'
  | 'insufficient_funds'
  | 'unexpected_settle_error';

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

export interface PaymentRequired {
  x402Version: typeof X402_VERSION;
  error?: string;
  resource: { url: string; description: string; mimeType: string };
  accepts: PaymentRequirements[];
}

export interface SettlementResponse {
  success: boolean;
  transaction: string;
  network: string;
  payer: string;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address');
const uint = z.union([z.string().regex(/^\d{1,78}$/), z.number().int().nonnegative()]).transform(BigInt);

/** What a client sends in `PAYMENT-SIGNATURE` for the `exact` EVM scheme. */
export const paymentPayloadSchema = z.object({
  x402Version: z.number().int(),
  accepted: z.object({
    scheme: z.string(),
    network: z.string(),
    extra: z.object({ invoice: z.object({ id: z.string().uuid() }) }),
  }),
  payload: z.object({
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte hex signature'),
    authorization: z.object({
      from: address,
      to: address,
      value: uint,
      validAfter: uint,
      validBefore: uint,
      nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte hex nonce'),
    }),
  }),
});
export type PaymentPayload = z.infer<typeof paymentPayloadSchema>;

export const encodeX402Header = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** Decodes a `PAYMENT-SIGNATURE` header, or says in words what is wrong with it. */
export function decodePaymentHeader(header: string): { payload: PaymentPayload } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return { problem: 'The PAYMENT-SIGNATURE header is not base64-encoded JSON' };
  }
  const parsed = paymentPayloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      problem: `The PAYMENT-SIGNATURE header is not an x402 exact-scheme payment: ${issue?.path.join('.') || 'payload'}: ${issue?.message}`,
    };
  }
  return { payload: parsed.data };
}
