import {
  type Chain,
  createPublicClient,
  defineChain,
  type HttpTransport,
  http,
  type PublicClient,
} from 'viem';
import { foundry } from 'viem/chains';

export type ChainClient = PublicClient<HttpTransport, Chain>;

export type ChainClientOptions = {
  rpcUrl: string;
  chainId: number;
  /** Per-request timeout. Defaults to 10 s. */
  timeoutMs?: number;
};

/** The chain object for an id: foundry/anvil for 31337, otherwise a plain custom chain served by `rpcUrl`. */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  const rpcUrls = { default: { http: [rpcUrl] } };
  if (chainId === foundry.id) return { ...foundry, rpcUrls };
  return defineChain({
    id: chainId,
    name: `Chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls,
  });
}

export function createChainClient(options: ChainClientOptions): ChainClient {
  return createPublicClient({
    chain: chainFor(options.chainId, options.rpcUrl),
    // Requests made in the same tick (the indexer's block headers) go out as one JSON-RPC batch.
    transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 10_000, batch: { batchSize: 64 } }),
  });
}

export type ChainHealth = {
  ok: boolean;
  chainId?: number;
  /** Latest block number, as a decimal string so it serialises to JSON. */
  blockNumber?: string;
  error?: string;
};

/** For /healthz: asks the node for its chain id and head block, without retries. Never throws. */
export async function chainHealth(
  client: ChainClient,
  expectedChainId: number,
  options: { timeoutMs?: number } = {},
): Promise<ChainHealth> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const [chainIdHex, blockNumberHex] = await Promise.race([
      Promise.all([
        client.request({ method: 'eth_chainId' }, { retryCount: 0, dedupe: false }),
        client.request({ method: 'eth_blockNumber' }, { retryCount: 0, dedupe: false }),
      ]),
      timeout,
    ]);
    const chainId = Number(BigInt(chainIdHex));
    const blockNumber = BigInt(blockNumberHex).toString();
    if (chainId !== expectedChainId) {
      return {
        ok: false,
        chainId,
        blockNumber,
        error: `chain id is ${chainId}, expected ${expectedChainId}`,
      };
    }
    return { ok: true, chainId, blockNumber };
  } catch (error) {
    return { ok: false, error: describeChainError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * viem's full messages span lines and name the RPC URL (which may hold an API key): keep the short message,
 * plus the system error code underneath, if any (e.g. `ECONNREFUSED`).
 */
export function describeChainError(error: unknown): string {
  const short =
    error && typeof error === 'object' && 'shortMessage' in error && typeof error.shortMessage === 'string'
      ? error.shortMessage
      : error instanceof Error
        ? error.message
        : String(error);
  const code = systemErrorCode(error);
  return code ? `${short} (${code})` : short;
}

function systemErrorCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 8) return undefined;
  const deeper = 'cause' in error ? systemErrorCode(error.cause, depth + 1) : undefined;
  if (deeper) return deeper;
  return 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
