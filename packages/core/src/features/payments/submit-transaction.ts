import { paidEvent } from '@ppv/chain';
import { InvoiceEntity } from '@ppv/db';
import {
  getAddress,
  type Hex,
  isAddressEqual,
  parseEventLogs,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from 'viem';
import type { AuthInfo } from '../../context';
import type { TenantDeps } from '../../deps';
import { AppError } from '../../errors';
import { type ChainPaidEvent, type RecordedPayment, recordPaidEvents } from './record-paid-events';

export type SubmitTransactionResult =
  | { status: 'pending'; confirmations: number; required: number; message: string }
  | { status: 'confirmed'; confirmations: number; required: number; payments: RecordedPayment[] };

const isNotFound = (error: unknown) =>
  error instanceof TransactionReceiptNotFoundError || error instanceof TransactionNotFoundError;

async function receiptOf(deps: TenantDeps & { chain: NonNullable<TenantDeps['chain']> }, hash: Hex) {
  try {
    return await deps.chain.client.getTransactionReceipt({ hash });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await deps.chain.client.getTransaction({ hash });
    return null;
  } catch (error) {
    if (isNotFound(error))
      throw new AppError('NOT_FOUND', `No transaction ${hash} on chain ${deps.chain.chainId}`);
    throw error;
  }
}

/**
 * The fast path: the viewer hands in the hash of their payment and gets access as soon as it has
 * the configured confirmations, without waiting for the indexer. Only `Paid` events of the
 * configured splitter count (a look-alike contract emitting the same event is ignored), and each
 * must pay one of the caller's own invoices. Recording is recordPaidEvents, so the indexer seeing
 * the same events later changes nothing.
 */
export async function submitTransaction(
  deps: TenantDeps,
  input: { auth: AuthInfo; txHash: string },
): Promise<SubmitTransactionResult> {
  const payments = deps.config.money.payments;
  const chain = deps.chain;
  if (!payments || !chain)
    throw new AppError('PRECONDITION_FAILED', 'Payments are not set up on this hub yet');
  const hash = input.txHash as Hex;
  const required = deps.config.money.confirmations;
  const receipt: TransactionReceipt | null = await receiptOf({ ...deps, chain }, hash);
  if (!receipt) {
    return {
      status: 'pending',
      confirmations: 0,
      required,
      message: `pending, 0 of ${required} confirmations`,
    };
  }
  if (receipt.status !== 'success') {
    throw new AppError('BAD_REQUEST', 'This transaction reverted: it paid nothing');
  }
  const decoded = parseEventLogs({ abi: [paidEvent], logs: receipt.logs, strict: true });
  const ours = decoded.filter((log) => isAddressEqual(log.address, payments.splitterAddress));
  if (ours.length === 0) {
    throw new AppError(
      'BAD_REQUEST',
      decoded.length
        ? `This transaction's payment events come from ${getAddress(decoded[0]?.address ?? '')}, not from this hub's payment contract`
        : 'This transaction made no payment to this hub',
    );
  }
  for (const log of ours) {
    const invoice = await deps.em.findOne(InvoiceEntity, { invoiceId: log.args.invoiceId.toLowerCase() });
    if (!invoice || invoice.viewerId !== input.auth.userId) {
      throw new AppError('FORBIDDEN', 'This transaction pays an invoice that is not yours');
    }
  }
  const head = await chain.client.getBlockNumber({ cacheTime: 0 });
  const confirmations = Number(head - receipt.blockNumber + 1n);
  if (confirmations < required) {
    return {
      status: 'pending',
      confirmations,
      required,
      message: `pending, ${confirmations} of ${required} confirmations`,
    };
  }
  const events: ChainPaidEvent[] = ours.map((log) => ({
    ...log.args,
    chainId: chain.chainId,
    address: log.address,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    transactionHash: receipt.transactionHash,
    logIndex: log.logIndex,
  }));
  const recorded = await recordPaidEvents({ em: deps.em, clock: deps.clock }, events);
  return { status: 'confirmed', confirmations, required, payments: recorded };
}
