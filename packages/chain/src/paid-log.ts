import { type Address, getAddress, type Hex, toEventSelector } from 'viem';
import { paidEvent } from './invoice';

/** topic0 of `Paid`: the keccak of its signature. */
export const PAID_TOPIC: Hex = toEventSelector(paidEvent);

/** A log as `eth_getLogs` returns it (quantities in hex). */
export interface RpcLog {
  address: Hex;
  topics: readonly Hex[];
  data: Hex;
  blockNumber: Hex | null;
  blockHash: Hex | null;
  transactionHash: Hex | null;
  logIndex: Hex | null;
  removed?: boolean;
}

/** A decoded `Paid` event and where it is on chain (what the indexer needs to checkpoint and detect reorgs). */
export interface PaidEvent {
  invoiceId: Hex;
  payer: Address;
  creator: Address;
  token: Address;
  amount: bigint;
  tenant: Address;
  hub: Address;
  creatorShare: bigint;
  tenantShare: bigint;
  hubShare: bigint;
  videoIdHash: Hex;
  /** The contract that emitted it (checksummed). */
  address: Address;
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: number;
}

/** `Paid`'s data: eight 32-byte words (token, amount, tenant, hub, the three shares, videoIdHash). */
const DATA_WORDS = 8;
const WORD = 64;
const ADDRESS_PADDING = '0'.repeat(24);

/**
 * Checksummed addresses by lower-case hex. The same few addresses (payer wallets, the hub, tenants,
 * tokens) recur in almost every event, and checksumming costs a keccak each time.
 */
const checksums = new Map<string, Address>();
const CHECKSUM_CACHE_LIMIT = 10_000;

function checksummed(lowerHex: string): Address {
  let address = checksums.get(lowerHex);
  if (address === undefined) {
    address = getAddress(lowerHex);
    if (checksums.size >= CHECKSUM_CACHE_LIMIT) checksums.clear();
    checksums.set(lowerHex, address);
  }
  return address;
}

class PaidLogError extends Error {
  constructor(log: RpcLog, why: string) {
    super(`malformed Paid log (transaction ${log.transactionHash}, log ${log.logIndex}): ${why}`);
    this.name = 'PaidLogError';
  }
}

/** The 20-byte address in a 32-byte word (hex without 0x); its 12 leading bytes must be zero. */
function wordAddress(log: RpcLog, word: string, field: string): Address {
  if (word.length !== WORD || !word.startsWith(ADDRESS_PADDING)) {
    throw new PaidLogError(log, `${field} is not an address word`);
  }
  return checksummed(`0x${word.slice(24)}`);
}

const isHexBody = (value: string) => /^[0-9a-fA-F]*$/.test(value);

/**
 * Decodes one `Paid` log by its fixed layout (three indexed topics, eight data words) — the same
 * values as viem's `decodeEventLog` with the splitter's ABI, without its generic ABI walk. Throws
 * on a log of another event, a wrong topic count or data size, or a pending log (no block yet).
 */
export function decodePaidLog(log: RpcLog): PaidEvent {
  const { topics, data } = log;
  if (topics.length !== 4 || topics[0]?.toLowerCase() !== PAID_TOPIC) {
    throw new PaidLogError(log, 'not a Paid event');
  }
  if (data.length !== 2 + DATA_WORDS * WORD || !isHexBody(data.slice(2))) {
    throw new PaidLogError(log, `data of ${(data.length - 2) / 2} bytes, expected ${DATA_WORDS * 32}`);
  }
  if (
    log.blockNumber === null ||
    log.blockHash === null ||
    log.transactionHash === null ||
    log.logIndex === null
  ) {
    throw new PaidLogError(log, 'pending (not in a block yet)');
  }
  const word = (i: number) => data.slice(2 + i * WORD, 2 + (i + 1) * WORD);
  const topic = (i: number) => {
    const value = topics[i] as Hex;
    if (value.length !== 2 + WORD || !isHexBody(value.slice(2)))
      throw new PaidLogError(log, `topic ${i} is not 32 bytes`);
    return value.toLowerCase() as Hex;
  };
  return {
    invoiceId: topic(1),
    payer: wordAddress(log, topic(2).slice(2), 'payer'),
    creator: wordAddress(log, topic(3).slice(2), 'creator'),
    token: wordAddress(log, word(0).toLowerCase(), 'token'),
    amount: BigInt(`0x${word(1)}`),
    tenant: wordAddress(log, word(2).toLowerCase(), 'tenant'),
    hub: wordAddress(log, word(3).toLowerCase(), 'hub'),
    creatorShare: BigInt(`0x${word(4)}`),
    tenantShare: BigInt(`0x${word(5)}`),
    hubShare: BigInt(`0x${word(6)}`),
    videoIdHash: `0x${word(7).toLowerCase()}`,
    address: checksummed(log.address.toLowerCase()),
    blockNumber: BigInt(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: Number(log.logIndex),
  };
}
