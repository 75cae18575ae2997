import { BlockNotFoundError, type Client, type Hex } from 'viem';
import { getBlock, getBlockNumber } from 'viem/actions';

/** What the indexer keeps of a block to detect reorganisations. */
export interface BlockHeader {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
}

/** Requests in flight; with createChainClient's batching, one JSON-RPC batch of this many. */
const CONCURRENCY = 32;

/** The node's latest block number, never served from viem's cache. */
export function readHeadBlockNumber(client: Client): Promise<bigint> {
  return getBlockNumber(client, { cacheTime: 0 });
}

/**
 * The canonical headers of blocks `numbers`, in the same order; null for a number past the node's
 * head (the chain got shorter). At most 32 requests in flight (one batch with createChainClient).
 */
export async function readBlockHeaders(
  client: Client,
  numbers: readonly bigint[],
): Promise<(BlockHeader | null)[]> {
  const headers: (BlockHeader | null)[] = new Array(numbers.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const index = next++;
      const blockNumber = numbers[index] as bigint;
      try {
        const block = await getBlock(client, { blockNumber });
        if (block.hash === null) throw new Error(`the node returned block ${blockNumber} without a hash`);
        headers[index] = {
          number: block.number ?? blockNumber,
          hash: block.hash,
          parentHash: block.parentHash,
        };
      } catch (error) {
        if (!(error instanceof BlockNotFoundError)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, numbers.length) }, worker));
  return headers;
}

const TOO_LARGE = /size limit|too large|too many|more than \d+|limit exceeded|block range|range is too/i;

/**
 * Whether a failed `eth_getLogs` means "ask for fewer blocks": viem's answer-too-large error, or a
 * node refusing the range or the number of results (each provider words it its own way).
 */
export function isLogRangeTooLarge(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const details = 'details' in current ? String(current.details) : '';
    if (
      current.name === 'ResponseBodyTooLargeError' ||
      TOO_LARGE.test(current.message) ||
      TOO_LARGE.test(details)
    ) {
      return true;
    }
    current = current.cause;
  }
  return false;
}
