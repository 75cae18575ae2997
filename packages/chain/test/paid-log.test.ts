import { randomBytes } from 'node:crypto';
import {
  type Address,
  bytesToHex,
  decodeEventLog,
  encodeAbiParameters,
  encodeEventTopics,
  type Hex,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { decodePaidLog, PAID_TOPIC, paidEvent, type RpcLog, x402SplitterAbi } from '../src';

const random = (bytes: number): Hex => bytesToHex(randomBytes(bytes));
/** Sometimes zero, sometimes the largest uint256, otherwise random widths. */
function randomUint(): bigint {
  const pick = randomBytes(1)[0] as number;
  if (pick < 16) return 0n;
  if (pick < 32) return 2n ** 256n - 1n;
  return BigInt(random(1 + (pick % 32)));
}

function randomPaidLog(): { log: RpcLog; args: Record<string, unknown> } {
  const args = {
    invoiceId: random(32),
    payer: random(20) as Address,
    creator: random(20) as Address,
    token: random(20) as Address,
    amount: randomUint(),
    tenant: random(20) as Address,
    hub: random(20) as Address,
    creatorShare: randomUint(),
    tenantShare: randomUint(),
    hubShare: randomUint(),
    videoIdHash: random(32),
  };
  const topics = encodeEventTopics({
    abi: [paidEvent],
    eventName: 'Paid',
    args: { invoiceId: args.invoiceId, payer: args.payer, creator: args.creator },
  }) as Hex[];
  const data = encodeAbiParameters(
    paidEvent.inputs.filter((input) => !('indexed' in input && input.indexed)),
    [
      args.token,
      args.amount,
      args.tenant,
      args.hub,
      args.creatorShare,
      args.tenantShare,
      args.hubShare,
      args.videoIdHash,
    ],
  );
  const log: RpcLog = {
    address: random(20),
    topics,
    data,
    blockNumber: `0x${(randomBytes(4).readUInt32BE() >>> 1).toString(16)}`,
    blockHash: random(32),
    transactionHash: random(32),
    logIndex: `0x${(randomBytes(2).readUInt16BE()).toString(16)}`,
  };
  return { log, args };
}

describe('decodePaidLog', () => {
  it('decodes 2,000 random Paid logs exactly as viem decodeEventLog does', () => {
    for (let i = 0; i < 2_000; i++) {
      const { log } = randomPaidLog();
      const viem = decodeEventLog({
        abi: x402SplitterAbi,
        eventName: 'Paid',
        topics: log.topics as [Hex],
        data: log.data,
        strict: true,
      });
      const ours = decodePaidLog(log);
      const { address, blockNumber, blockHash, transactionHash, logIndex, ...fields } = ours;
      expect(fields).toEqual(viem.args);
      expect(address.toLowerCase()).toBe(log.address.toLowerCase());
      expect(blockNumber).toBe(BigInt(log.blockNumber as Hex));
      expect(logIndex).toBe(Number(log.logIndex));
      expect([blockHash, transactionHash]).toEqual([log.blockHash, log.transactionHash]);
    }
  });

  it('returns checksummed addresses', () => {
    const { log, args } = randomPaidLog();
    const decoded = decodePaidLog(log);
    for (const field of ['payer', 'creator', 'token', 'tenant', 'hub'] as const) {
      expect(decoded[field]).not.toBe((args[field] as string).toLowerCase());
      expect(decoded[field].toLowerCase()).toBe((args[field] as string).toLowerCase());
    }
  });

  it('error: rejects a log of another event', () => {
    const { log } = randomPaidLog();
    expect(() => decodePaidLog({ ...log, topics: [random(32), ...log.topics.slice(1)] })).toThrow(
      /not a Paid event/,
    );
    expect(() => decodePaidLog({ ...log, topics: log.topics.slice(0, 3) })).toThrow(/not a Paid event/);
  });

  it('error: rejects data of the wrong size', () => {
    const { log } = randomPaidLog();
    expect(() => decodePaidLog({ ...log, data: log.data.slice(0, -64) as Hex })).toThrow(
      /data of 224 bytes, expected 256/,
    );
    expect(() => decodePaidLog({ ...log, data: `${log.data}00` })).toThrow(/expected 256/);
  });

  it('error: rejects an address word with non-zero padding', () => {
    const { log } = randomPaidLog();
    const data = `0x01${log.data.slice(4)}` as Hex;
    expect(() => decodePaidLog({ ...log, data })).toThrow(/token is not an address word/);
  });

  it('error: rejects a pending log', () => {
    const { log } = randomPaidLog();
    expect(() => decodePaidLog({ ...log, blockHash: null })).toThrow(/pending/);
  });

  it('knows the Paid topic', () => {
    expect(randomPaidLog().log.topics[0]).toBe(PAID_TOPIC);
  });
});
