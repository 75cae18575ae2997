import { randomBytes } from 'node:crypto';
import { EntitlementEntity, InvoiceEntity, VideoEntity, withHubScope, withTenant } from '@ppv/db';
import { getAddress, type Hex, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../testing';
import { recordPaidEvents } from '../payments/record-paid-events';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const hex = (bytes: number) => toHex(randomBytes(bytes));
const address = () => getAddress(hex(20));
const HOUR = 3_600_000;

/** A ready video of `creatorId` in `tenantId`. */
function video(tenantId: string, creatorId: string, title: string, priceCents: number) {
  return withTenant(h.db.orm, tenantId, async (em) => {
    const v = em.create(VideoEntity, { tenantId, creatorId, title, priceCents, status: 'ready' });
    await em.flush();
    return v.id;
  });
}

/** Buys `videoId` for `viewerId` as the chain indexer would record it: an invoice, then its Paid event. */
async function buy(
  tenantId: string,
  viewerId: string,
  videoId: string,
  opts: { priceCents: number; amount: bigint; rentalHours?: number },
) {
  const invoiceId = hex(32);
  const payer = address();
  const token = address();
  const splitter = address();
  await withTenant(h.db.orm, tenantId, async (em) => {
    em.create(InvoiceEntity, {
      tenantId,
      viewerId,
      videoId,
      invoiceId,
      chainId: 31337,
      contract: splitter.toLowerCase(),
      payer: payer.toLowerCase(),
      token: token.toLowerCase(),
      tokenSymbol: 'TUSD',
      amount: opts.amount.toString(),
      creatorAddress: address().toLowerCase(),
      tenantAddress: address().toLowerCase(),
      hubAddress: address().toLowerCase(),
      creatorBps: 9000,
      tenantBps: 500,
      hubBps: 500,
      videoIdHash: hex(32),
      deadline: Math.floor(h.deps.clock().getTime() / 1000) + 900,
      signature: hex(65),
      priceCents: opts.priceCents,
      rentalHours: opts.rentalHours ?? null,
    });
    await em.flush();
  });
  const txHash = hex(32);
  const share = opts.amount / 20n;
  const [result] = await withHubScope(h.db.orm, (em) =>
    recordPaidEvents({ em, clock: h.deps.clock }, [
      {
        chainId: 31337,
        invoiceId,
        payer,
        creator: address(),
        token,
        amount: opts.amount,
        tenant: address(),
        hub: address(),
        creatorShare: opts.amount - 2n * share,
        tenantShare: share,
        hubShare: share,
        videoIdHash: hex(32) as Hex,
        address: splitter,
        blockNumber: 100n,
        blockHash: hex(32),
        transactionHash: txHash,
        logIndex: 0,
      },
    ]),
  );
  expect(result).toMatchObject({ status: 'credited', granted: true });
  return txHash.toLowerCase();
}

describe('purchases.mine', () => {
  it('lists the viewer’s purchases newest first with the price paid, the token amount and a rental’s end', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const viewer = await h.signedIn(tenant);
    const lesson = await video(tenant.id, creator.userId, 'Knife skills', 500);
    const rental = await video(tenant.id, creator.userId, 'Weekend rental', 250);
    const lessonTx = await buy(tenant.id, viewer.userId, lesson, { priceCents: 500, amount: 5_000_000n });
    h.advance(1_000);
    const rentalTx = await buy(tenant.id, viewer.userId, rental, {
      priceCents: 250,
      amount: 2_500_000n,
      rentalHours: 48,
    });

    const mine = await viewer.api.purchases.mine();
    expect(mine).toEqual([
      {
        videoId: rental,
        title: 'Weekend rental',
        purchasedAt: expect.any(Date),
        priceCents: 250,
        tokenSymbol: 'TUSD',
        amount: '2500000',
        txHash: rentalTx,
        expiresAt: expect.any(Date),
        status: 'active',
      },
      {
        videoId: lesson,
        title: 'Knife skills',
        purchasedAt: expect.any(Date),
        priceCents: 500,
        tokenSymbol: 'TUSD',
        amount: '5000000',
        txHash: lessonTx,
        expiresAt: null,
        status: 'active',
      },
    ]);
    const [first] = mine;
    expect(first!.expiresAt!.getTime() - first!.purchasedAt.getTime()).toBe(48 * HOUR);
    expect(await viewer.api.purchases.mine({ limit: 1 })).toHaveLength(1);
  });

  it('marks a rental that ran out as expired and a revoked purchase as revoked', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const viewer = await h.signedIn(tenant);
    const rental = await video(tenant.id, creator.userId, 'Short rental', 100);
    const bought = await video(tenant.id, creator.userId, 'Reorged away', 100);
    await buy(tenant.id, viewer.userId, rental, { priceCents: 100, amount: 1_000_000n, rentalHours: 1 });
    await buy(tenant.id, viewer.userId, bought, { priceCents: 100, amount: 1_000_000n });
    await withTenant(h.db.orm, tenant.id, (em) =>
      em.nativeUpdate(
        EntitlementEntity,
        { videoId: bought, userId: viewer.userId },
        { revokedAt: h.deps.clock(), revokeReason: 'reorg' },
      ),
    );
    h.advance(2 * HOUR);
    const byTitle = Object.fromEntries(
      (await viewer.api.purchases.mine()).map((p) => [p.title, p.status] as const),
    );
    expect(byTitle).toEqual({ 'Short rental': 'expired', 'Reorged away': 'revoked' });
  });

  it('shows neither another viewer’s purchases nor free access granted by the creator', async () => {
    const tenant = await h.tenant();
    const creator = await h.signedIn(tenant, { role: 'creator' });
    const buyer = await h.signedIn(tenant);
    const other = await h.signedIn(tenant);
    const lesson = await video(tenant.id, creator.userId, 'Lesson', 300);
    await buy(tenant.id, buyer.userId, lesson, { priceCents: 300, amount: 3_000_000n });
    await withTenant(h.db.orm, tenant.id, async (em) => {
      em.create(EntitlementEntity, {
        tenantId: tenant.id,
        userId: other.userId,
        videoId: await video(tenant.id, creator.userId, 'Gift', 300),
        source: 'allowlist',
      });
      await em.flush();
    });
    expect(await other.api.purchases.mine()).toEqual([]);
    expect((await buyer.api.purchases.mine()).map((p) => p.title)).toEqual(['Lesson']);
  });

  it('error: signed out, or a limit out of range', async () => {
    const tenant = await h.tenant();
    await expect(h.client(tenant).api.purchases.mine()).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'Please sign in first',
    });
    const viewer = await h.signedIn(tenant);
    await expect(viewer.api.purchases.mine({ limit: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'limit: limit is at least 1',
    });
  });
});
