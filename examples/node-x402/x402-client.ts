import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Address, getAddress, type Hex, isAddressEqual, type LocalAccount, toHex } from 'viem';

/** One way to pay, from the hub's `PAYMENT-REQUIRED` (x402 v2, `exact` scheme). */
export interface PaymentRequirements {
  scheme: string;
  network: string;
  asset: Address;
  amount: string;
  payTo: Address;
  maxTimeoutSeconds: number;
  extra: {
    name: string;
    version: string;
    authorization: string;
    /** The invoice the authorization pays, as the hub signed it (the splitter checks that signature). */
    invoice: { id: string; payer: Address; deadline: string; signature: Hex };
  };
}

/** What `playback.start` returns: the session's master playlist and its playback token. */
export interface PlaybackSession {
  sessionId: string;
  masterUrl: string;
  token: string;
  expiresAt: string;
}

export interface Settlement {
  success: boolean;
  transaction: Hex;
  network: string;
  payer: Address;
}

export interface Hub {
  url: string;
  tenant: string;
  /** A personal API token of the viewer (the entitlement is theirs). */
  apiToken: string;
}

const decodeHeader = <T>(value: string | null, name: string): T => {
  if (!value) throw new Error(`the hub sent no ${name} header`);
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as T;
};

const encodeHeader = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/**
 * The hub's refusal in words. A 402 body is the protocol's own (`error` is the x402 reason code) with
 * `message` added; any other error body is `{ error: { message, code } }`.
 */
async function refusal(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as {
    error?: string | { message?: string; code?: string };
    message?: string;
  } | null;
  const error = body?.error;
  if (typeof error === 'string') return new Error(`${res.status}: ${body?.message ?? error} (${error})`);
  return new Error(`${res.status}: ${error?.message ?? res.statusText}`);
}

/** Signs the EIP-3009 ReceiveWithAuthorization the requirements ask for: `to` the splitter. */
async function authorize(account: LocalAccount, accepted: PaymentRequirements, chainId: number) {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const deadline = BigInt(accepted.extra.invoice.deadline);
  const authorization = {
    from: account.address,
    to: getAddress(accepted.payTo),
    value: BigInt(accepted.amount),
    validAfter: now - 60n,
    validBefore:
      deadline < now + BigInt(accepted.maxTimeoutSeconds)
        ? deadline
        : now + BigInt(accepted.maxTimeoutSeconds),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  if (!account.signTypedData) throw new Error('this account cannot sign typed data');
  const signature = await account.signTypedData({
    domain: {
      name: accepted.extra.name,
      version: accepted.extra.version,
      chainId,
      verifyingContract: accepted.asset,
    },
    types: {
      ReceiveWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'ReceiveWithAuthorization',
    message: authorization,
  });
  return {
    signature,
    authorization: Object.fromEntries(
      Object.entries(authorization).map(([key, value]) => [key, String(value)]),
    ),
  };
}

/**
 * Asks the hub for a video; on 402 pays it with the wallet's signed authorization (no transaction of
 * its own, no gas: the hub's relayer settles it) and asks again. Returns the playback session, and
 * the settlement when this call paid.
 */
export async function buyAccess(
  hub: Hub,
  videoId: string,
  account: LocalAccount,
): Promise<{ playback: PlaybackSession; settlement: Settlement | null }> {
  const url = new URL(`/x402/videos/${videoId}/access`, hub.url);
  const headers = { authorization: `Bearer ${hub.apiToken}`, 'x-ppv-tenant': hub.tenant };
  const first = await fetch(url, { headers });
  if (first.ok) return { playback: (await first.json()) as PlaybackSession, settlement: null };
  if (first.status !== 402) throw await refusal(first);
  const required = decodeHeader<{ x402Version: number; accepts: PaymentRequirements[] }>(
    first.headers.get('payment-required'),
    'PAYMENT-REQUIRED',
  );
  const accepted = required.accepts.find((a) => a.scheme === 'exact' && a.network.startsWith('eip155:'));
  if (!accepted) throw new Error('the hub offers no exact-scheme EVM payment');
  if (!isAddressEqual(accepted.extra.invoice.payer, account.address)) {
    throw new Error(
      `the invoice is payable by ${accepted.extra.invoice.payer}, not by ${account.address}: link this wallet to your account first`,
    );
  }
  const chainId = Number(accepted.network.slice('eip155:'.length));
  const payment = {
    x402Version: required.x402Version,
    accepted,
    payload: await authorize(account, accepted, chainId),
  };
  const paid = await fetch(url, { headers: { ...headers, 'payment-signature': encodeHeader(payment) } });
  if (!paid.ok) throw await refusal(paid);
  const settlement = decodeHeader<Settlement>(paid.headers.get('payment-response'), 'PAYMENT-RESPONSE');
  if (paid.status === 202)
    throw new Error(`paid in ${settlement.transaction}; access follows after confirmations`);
  return { playback: (await paid.json()) as PlaybackSession, settlement };
}

const run = promisify(execFile);

/** Saves the session's decrypted stream to `file` with ffmpeg (the playback token in a header). */
export async function saveStream(hub: Hub, playback: PlaybackSession, file: string): Promise<void> {
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-headers', `Authorization: Bearer ${playback.token}\r\nx-ppv-tenant: ${hub.tenant}\r\n`],
    ...['-i', new URL(playback.masterUrl, hub.url).toString(), '-c', 'copy', file],
  ]);
}
