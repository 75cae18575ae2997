import { BlockNotFoundError, type Client, type Hex } from 'viem';
import { getBlock, getBlockNumber } from 'viem/actions';

/** What the indexer keeps of a block to detect reorganisations. */
export interface BlockHeader {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
}

const CONCURRENCY = 16;

/** The node's latest block number, never served from viem's cache. */
export function readHeadBlockNumber(client: Client): Promise<bigint> {
  return getBlockNumber(client, { cacheTime: 0 });
}

/**
 * The canonical headers of blocks `numbers`, in the same order; null for a number past the node's
 * head (the chain got shorter). At most 16 requests in flight.
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
