import {
  type Address,
  encodePacked,
  type Hex,
  hashTypedData,
  keccak256,
  type LocalAccount,
  parseAbiItem,
  recoverTypedDataAddress,
  toHex,
} from 'viem';

/**
 * The invoice the hub signs and the X402Splitter contract accepts (EIP-712). This file is the one
 * definition shared by the contract's tests, the hub that signs invoices and the indexer that reads
 * `Paid` events: `contracts/src/X402Splitter.sol` declares the same struct, type string and event.
 */
export const INVOICE_DOMAIN_NAME = 'PPV Stream Splitter';
export const INVOICE_DOMAIN_VERSION = '1';

/** Basis points: the three shares of an invoice add up to this. */
export const BPS_TOTAL = 10_000;

/** The native coin in an invoice's `token` field. */
export const NATIVE_TOKEN: Address = '0x0000000000000000000000000000000000000000';

export const invoiceTypes = {
  Invoice: [
    { name: 'invoiceId', type: 'bytes32' },
    { name: 'payer', type: 'address' },
    { name: 'token', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'creator', type: 'address' },
    { name: 'tenant', type: 'address' },
    { name: 'hub', type: 'address' },
    { name: 'creatorBps', type: 'uint16' },
    { name: 'tenantBps', type: 'uint16' },
    { name: 'hubBps', type: 'uint16' },
    { name: 'videoIdHash', type: 'bytes32' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

export interface InvoiceMessage {
  /** Single use: the contract refuses an id it has seen. */
  invoiceId: Hex;
  /** Only this address may pay it (for EIP-3009 payments: the authorization's `from`). */
  payer: Address;
  /** An ERC-20, or NATIVE_TOKEN for the chain's coin. */
  token: Address;
  /** Exact amount in the token's smallest unit. */
  amount: bigint;
  creator: Address;
  tenant: Address;
  hub: Address;
  creatorBps: number;
  tenantBps: number;
  hubBps: number;
  /** videoIdHash(videoId): names the video without putting its id on chain in the clear. */
  videoIdHash: Hex;
  /** Unix seconds after which the contract refuses the invoice. */
  deadline: bigint;
}

/**
 * An invoice message from its JSON form (the uint256/uint64 fields as decimal strings, as
 * `checkout.createInvoice` and an x402 offer carry it) back to the typed struct the contract takes.
 */
export function invoiceMessageOf(json: Record<keyof InvoiceMessage, string | number>): InvoiceMessage {
  return {
    invoiceId: json.invoiceId as Hex,
    payer: json.payer as Address,
    token: json.token as Address,
    amount: BigInt(json.amount),
    creator: json.creator as Address,
    tenant: json.tenant as Address,
    hub: json.hub as Address,
    creatorBps: Number(json.creatorBps),
    tenantBps: Number(json.tenantBps),
    hubBps: Number(json.hubBps),
    videoIdHash: json.videoIdHash as Hex,
    deadline: BigInt(json.deadline),
  };
}

export interface InvoiceDomain {
  chainId: number;
  verifyingContract: Address;
}

export function invoiceDomain({ chainId, verifyingContract }: InvoiceDomain) {
  return {
    name: INVOICE_DOMAIN_NAME,
    version: INVOICE_DOMAIN_VERSION,
    chainId,
    verifyingContract,
  } as const;
}

/** The hub's signature over an invoice, for this chain and this splitter contract only. */
export function signInvoice(
  signer: LocalAccount,
  domain: InvoiceDomain,
  invoice: InvoiceMessage,
): Promise<Hex> {
  if (!signer.signTypedData) throw new Error('the invoice signer cannot sign typed data');
  return signer.signTypedData({
    domain: invoiceDomain(domain),
    types: invoiceTypes,
    primaryType: 'Invoice',
    message: invoice,
  });
}

/** The EIP-712 digest the contract verifies. */
export function invoiceDigest(domain: InvoiceDomain, invoice: InvoiceMessage): Hex {
  return hashTypedData({
    domain: invoiceDomain(domain),
    types: invoiceTypes,
    primaryType: 'Invoice',
    message: invoice,
  });
}

/** Who signed an invoice (to check a stored signature against the configured signer). */
export function invoiceSigner(
  domain: InvoiceDomain,
  invoice: InvoiceMessage,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({
    domain: invoiceDomain(domain),
    types: invoiceTypes,
    primaryType: 'Invoice',
    message: invoice,
    signature,
  });
}

/** keccak256 of the video's id (a uuid string), as it appears in invoices and `Paid` events. */
export function videoIdHash(videoId: string): Hex {
  return keccak256(toHex(videoId));
}

/** A fresh invoice id: keccak256 over the invoice row's id and 32 random bytes (never reused). */
export function newInvoiceId(invoiceRowId: string, random: Uint8Array): Hex {
  return keccak256(encodePacked(['string', 'bytes'], [invoiceRowId, toHex(random)]));
}

/**
 * The split rule, the same in Solidity: the tenant and hub shares round down, the creator gets the
 * rest, so the three always add up to the amount and no wei is lost.
 */
export function splitAmount(amount: bigint, tenantBps: number, hubBps: number) {
  const tenantShare = (amount * BigInt(tenantBps)) / BigInt(BPS_TOTAL);
  const hubShare = (amount * BigInt(hubBps)) / BigInt(BPS_TOTAL);
  return { creatorShare: amount - tenantShare - hubShare, tenantShare, hubShare };
}

/** The event every successful payment emits; the indexer reads only this, from the configured contract. */
export const paidEvent = parseAbiItem(
  'event Paid(bytes32 indexed invoiceId, address indexed payer, address indexed creator, address token, uint256 amount, address tenant, address hub, uint256 creatorShare, uint256 tenantShare, uint256 hubShare, bytes32 videoIdHash)',
);
