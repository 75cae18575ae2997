import {
  BPS_TOTAL,
  deployPaymentContracts,
  type InvoiceMessage,
  invoiceDigest,
  NATIVE_TOKEN,
  newAuthorizationNonce,
  payInvoiceNative,
  payInvoiceWithAuthorization,
  payInvoiceWithToken,
  readPaidEvents,
  reentrantReceiverAbi,
  reentrantReceiverBytecode,
  reentrantTokenAbi,
  reentrantTokenBytecode,
  rejectingReceiverAbi,
  rejectingReceiverBytecode,
  signReceiveAuthorization,
  splitAmount,
  tokenEip712Domain,
  x402SplitterAbi,
  x402SplitterBytecode,
} from '@ppv/chain';
import {
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseEther,
  toFunctionSelector,
  zeroAddress,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Chain,
  chainNow,
  expectRevert,
  freshAddress,
  hubSigner,
  invoiceUsed,
  makeInvoice,
  owner,
  payer,
  relayer,
  revertName,
  sign,
  startChain,
  stranger,
  tokenBalance,
} from './fixture';

let chain: Chain;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(async () => {
  await chain.anvil.stop();
});

const payerWallet = () => chain.wallet(payer);
const splitterAddress = () => chain.contracts.splitter;

function tokenInvoice(overrides: Partial<InvoiceMessage> = {}) {
  return makeInvoice(chain.client, { token: chain.contracts.stablecoin, ...overrides });
}

async function payNative(invoice: InvoiceMessage, signature?: Hex) {
  return payInvoiceNative(payerWallet(), chain.client, {
    splitter: splitterAddress(),
    invoice,
    signature: signature ?? (await sign(chain, invoice)),
  });
}

async function payToken(invoice: InvoiceMessage, signature?: Hex) {
  return payInvoiceWithToken(payerWallet(), chain.client, {
    splitter: splitterAddress(),
    invoice,
    signature: signature ?? (await sign(chain, invoice)),
  });
}

async function payWithAuthorization(invoice: InvoiceMessage, signature?: Hex) {
  const now = await chainNow(chain.client);
  const authorization = {
    from: invoice.payer,
    to: splitterAddress(),
    value: invoice.amount,
    validAfter: now - 60n,
    validBefore: now + 3_600n,
    nonce: newAuthorizationNonce(),
  };
  // A native invoice has no token to authorize: sign with the stablecoin's domain, which the
  // contract must refuse before it calls any token.
  const asset = invoice.token === NATIVE_TOKEN ? chain.contracts.stablecoin : invoice.token;
  const domain = await tokenEip712Domain(chain.client, asset);
  return payInvoiceWithAuthorization(chain.wallet(relayer), chain.client, {
    splitter: splitterAddress(),
    invoice,
    signature: signature ?? (await sign(chain, invoice)),
    authorization,
    authorizationSignature: await signReceiveAuthorization(payer, domain, authorization),
  });
}

const balance = (address: Address) => chain.client.getBalance({ address });

async function expectPaidOut(
  invoice: InvoiceMessage,
  receipt: { blockNumber: bigint; transactionHash: Hex },
) {
  const shares = splitAmount(invoice.amount, invoice.tenantBps, invoice.hubBps);
  const balanceOf = (address: Address) =>
    invoice.token === NATIVE_TOKEN ? balance(address) : tokenBalance(chain, invoice.token, address);
  expect(await balanceOf(invoice.creator)).toBe(shares.creatorShare);
  expect(await balanceOf(invoice.tenant)).toBe(shares.tenantShare);
  expect(await balanceOf(invoice.hub)).toBe(shares.hubShare);
  expect(await balanceOf(splitterAddress())).toBe(0n);
  expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(true);

  const events = await readPaidEvents(chain.client, {
    address: splitterAddress(),
    fromBlock: receipt.blockNumber,
    toBlock: receipt.blockNumber,
  });
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({
    invoiceId: invoice.invoiceId,
    payer: getAddress(invoice.payer),
    creator: getAddress(invoice.creator),
    token: getAddress(invoice.token),
    amount: invoice.amount,
    tenant: getAddress(invoice.tenant),
    hub: getAddress(invoice.hub),
    ...shares,
    videoIdHash: invoice.videoIdHash,
    transactionHash: receipt.transactionHash,
  });
}

describe('X402Splitter: the three payment paths', () => {
  it('hashes an invoice to the same EIP-712 digest as invoiceDigest in @ppv/chain', async () => {
    const invoice = await makeInvoice(chain.client);
    const digest = await chain.client.readContract({
      address: splitterAddress(),
      abi: x402SplitterAbi,
      functionName: 'hashInvoice',
      args: [invoice],
    });
    expect(digest).toBe(
      invoiceDigest({ chainId: chain.anvil.chainId, verifyingContract: splitterAddress() }, invoice),
    );
  });

  it('payNative accepts signInvoice’s signature, pays the three shares and emits Paid', async () => {
    const invoice = await makeInvoice(chain.client, { amount: parseEther('0.123456789') });
    await expectPaidOut(invoice, await payNative(invoice));
  });

  it('payToken pulls the amount from the payer and pays the three shares', async () => {
    const invoice = await tokenInvoice({ amount: 4_990_000n });
    const before = await tokenBalance(chain, invoice.token, payer.address);
    const { payment } = await payToken(invoice);
    expect(await tokenBalance(chain, invoice.token, payer.address)).toBe(before - invoice.amount);
    await expectPaidOut(invoice, payment);
  });

  it('payWithAuthorization settles the payer’s EIP-3009 authorization submitted by a relayer', async () => {
    const invoice = await tokenInvoice({ amount: 1_990_000n });
    const payerEth = await balance(payer.address);
    const before = await tokenBalance(chain, invoice.token, payer.address);
    const receipt = await payWithAuthorization(invoice);
    expect(receipt.from.toLowerCase()).toBe(relayer.address.toLowerCase());
    expect(await balance(payer.address)).toBe(payerEth);
    expect(await tokenBalance(chain, invoice.token, payer.address)).toBe(before - invoice.amount);
    await expectPaidOut(invoice, receipt);
  });

  it('skips zero shares: a 100 % creator invoice pays the creator alone', async () => {
    const invoice = await tokenInvoice({ creatorBps: BPS_TOTAL, tenantBps: 0, hubBps: 0, amount: 7n });
    await expectPaidOut(invoice, (await payToken(invoice)).payment);
  });
});

describe('X402Splitter: refused invoices', () => {
  it('error: refuses an invoice past its deadline', async () => {
    const invoice = await makeInvoice(chain.client, { deadline: (await chainNow(chain.client)) - 1n });
    await expectRevert(payNative(invoice), 'InvoiceExpired');
    const token = await tokenInvoice({ deadline: (await chainNow(chain.client)) - 1n });
    await expectRevert(payToken(token), 'InvoiceExpired');
    await expectRevert(payWithAuthorization(token), 'InvoiceExpired');
  });

  it('error: refuses a signature by any key but the invoice signer', async () => {
    const invoice = await makeInvoice(chain.client);
    await expectRevert(payNative(invoice, await sign(chain, invoice, { signer: stranger })), 'WrongSigner');
    const token = await tokenInvoice();
    const forged = await sign(chain, token, { signer: payer });
    await expectRevert(payToken(token, forged), 'WrongSigner');
    await expectRevert(payWithAuthorization(token, forged), 'WrongSigner');
  });

  it('error: refuses a signature of another invoice and malformed signatures', async () => {
    const invoice = await makeInvoice(chain.client);
    const signature = await sign(chain, invoice);
    await expectRevert(payNative({ ...invoice, hubBps: 400, creatorBps: 8_600 }, signature), 'WrongSigner');
    await expectRevert(payNative(invoice, '0x'), 'WrongSigner');
    await expectRevert(payNative(invoice, `${signature}00`), 'WrongSigner');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: refuses a paid invoice on every path (replay)', async () => {
    const invoice = await makeInvoice(chain.client);
    const signature = await sign(chain, invoice);
    await payNative(invoice, signature);
    await expectRevert(payNative(invoice, signature), 'InvoiceUsed');

    const token = await tokenInvoice();
    const tokenSignature = await sign(chain, token);
    await payWithAuthorization(token, tokenSignature);
    await expectRevert(payToken(token, tokenSignature), 'InvoiceUsed');
    await expectRevert(payWithAuthorization(token, tokenSignature), 'InvoiceUsed');
  });

  it('error: refuses a native payment of less or more than the amount', async () => {
    const invoice = await makeInvoice(chain.client);
    const signature = await sign(chain, invoice);
    for (const value of [invoice.amount - 1n, invoice.amount + 1n, 0n]) {
      await expectRevert(
        payerWallet().writeContract({
          address: splitterAddress(),
          abi: x402SplitterAbi,
          functionName: 'payNative',
          args: [invoice, signature],
          value,
        }),
        'WrongAmount',
      );
    }
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: refuses an ERC-20 invoice paid natively and a native invoice paid as a token', async () => {
    await expectRevert(payNative(await tokenInvoice()), 'WrongToken');
    const native = await makeInvoice(chain.client);
    await expectRevert(payToken(native), 'WrongToken');
    await expectRevert(payWithAuthorization(native), 'WrongToken');
  });

  it('error: refuses a signature made for another chain id', async () => {
    const invoice = await makeInvoice(chain.client);
    await expectRevert(payNative(invoice, await sign(chain, invoice, { chainId: 1 })), 'WrongSigner');
  });

  it('error: refuses a signature made for another splitter contract (A’s invoice on B)', async () => {
    const other = await deployPaymentContracts(chain.wallet(owner), chain.client, {
      owner: owner.address,
      invoiceSigner: hubSigner.address,
    });
    const invoice = await makeInvoice(chain.client);
    const forA = await sign(chain, invoice);
    await expectRevert(
      payInvoiceNative(payerWallet(), chain.client, { splitter: other.splitter, invoice, signature: forA }),
      'WrongSigner',
    );
    const forB = await sign(chain, invoice, { splitter: other.splitter });
    await payInvoiceNative(payerWallet(), chain.client, {
      splitter: other.splitter,
      invoice,
      signature: forB,
    });
    expect(await invoiceUsed(chain, invoice.invoiceId, other.splitter)).toBe(true);
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: refuses splits that do not add up to 10,000 bps', async () => {
    for (const [creatorBps, tenantBps, hubBps] of [
      [8_500, 1_000, 499],
      [8_500, 1_000, 501],
      [10_000, 10_000, 0],
      [0, 0, 0],
      [65_535, 65_535, 65_535],
    ] as const) {
      await expectRevert(
        payNative(await makeInvoice(chain.client, { creatorBps, tenantBps, hubBps })),
        'BadSplit',
      );
    }
  });

  it('error: refuses a zero creator, tenant or hub address, and a zero amount', async () => {
    for (const field of ['creator', 'tenant', 'hub'] as const) {
      await expectRevert(payToken(await tokenInvoice({ [field]: zeroAddress })), 'ZeroRecipient');
    }
    await expectRevert(payToken(await tokenInvoice({ amount: 0n })), 'ZeroAmount');
  });

  it('error: refuses a payment from anyone but the invoice’s payer', async () => {
    const invoice = await makeInvoice(chain.client);
    const signature = await sign(chain, invoice);
    await expectRevert(
      payInvoiceNative(chain.wallet(stranger), chain.client, {
        splitter: splitterAddress(),
        invoice,
        signature,
      }),
      'WrongPayer',
    );
    const token = await tokenInvoice({ payer: stranger.address });
    await expectRevert(payToken(token), 'WrongPayer');
  });

  it('error: refuses an EIP-3009 authorization signed by anyone but the invoice’s payer', async () => {
    // The splitter asks the token to move the funds from inv.payer: another account's signature
    // does not verify there.
    const invoice = await tokenInvoice({ payer: stranger.address });
    await expectRevert(payWithAuthorization(invoice), 'InvalidAuthorizationSignature');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: refuses every path while paused, and only the owner pauses and unpauses', async () => {
    const splitterCall = (functionName: 'pause' | 'unpause', account = owner) =>
      chain.wallet(account).writeContract({ address: splitterAddress(), abi: x402SplitterAbi, functionName });
    await expectRevert(splitterCall('pause', stranger), 'OwnableUnauthorizedAccount');
    await chain.client.waitForTransactionReceipt({ hash: await splitterCall('pause') });
    try {
      await expectRevert(payNative(await makeInvoice(chain.client)), 'EnforcedPause');
      await expectRevert(payToken(await tokenInvoice()), 'EnforcedPause');
      await expectRevert(payWithAuthorization(await tokenInvoice()), 'EnforcedPause');
      await expectRevert(splitterCall('unpause', stranger), 'OwnableUnauthorizedAccount');
    } finally {
      await chain.client.waitForTransactionReceipt({ hash: await splitterCall('unpause') });
    }
    const invoice = await makeInvoice(chain.client);
    await expectPaidOut(invoice, await payNative(invoice));
  });

  it('error: a recipient that refuses the native coin fails the payment and leaves the invoice unpaid', async () => {
    const hash = await chain.wallet(owner).deployContract({
      abi: rejectingReceiverAbi,
      bytecode: rejectingReceiverBytecode,
    });
    const rejecting = (await chain.client.waitForTransactionReceipt({ hash })).contractAddress!;
    const invoice = await makeInvoice(chain.client, { tenant: rejecting });
    await expectRevert(payNative(invoice), 'NativeTransferFailed');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });
});

describe('X402Splitter: re-entrancy', () => {
  async function deployed(abi: typeof reentrantTokenAbi | typeof reentrantReceiverAbi, bytecode: Hex) {
    const hash = await chain.wallet(owner).deployContract({ abi, bytecode });
    return getAddress((await chain.client.waitForTransactionReceipt({ hash })).contractAddress!);
  }

  async function reentryOutcome(
    abi: typeof reentrantTokenAbi | typeof reentrantReceiverAbi,
    address: Address,
  ) {
    const [succeeded, result] = await Promise.all([
      chain.client.readContract({ address, abi, functionName: 'reentrySucceeded' }),
      chain.client.readContract({ address, abi, functionName: 'reentryResult' }),
    ]);
    return { succeeded, error: decodeErrorResult({ abi: x402SplitterAbi, data: result }).errorName };
  }

  it('error: a token that calls back into the splitter mid-transfer is refused; the outer payment completes', async () => {
    const token = await deployed(reentrantTokenAbi, reentrantTokenBytecode);
    const mint = await payerWallet().writeContract({
      address: token,
      abi: reentrantTokenAbi,
      functionName: 'mint',
      args: [payer.address, 10_000_000n],
    });
    await chain.client.waitForTransactionReceipt({ hash: mint });
    const inner = await makeInvoice(chain.client, { token, payer: token });
    const arm = await payerWallet().writeContract({
      address: token,
      abi: reentrantTokenAbi,
      functionName: 'arm',
      args: [
        splitterAddress(),
        encodeFunctionData({
          abi: x402SplitterAbi,
          functionName: 'payToken',
          args: [inner, await sign(chain, inner)],
        }),
      ],
    });
    await chain.client.waitForTransactionReceipt({ hash: arm });

    const outer = await makeInvoice(chain.client, { token });
    await expectPaidOut(outer, (await payToken(outer)).payment);
    expect(await reentryOutcome(reentrantTokenAbi, token)).toEqual({
      succeeded: false,
      error: 'ReentrancyGuardReentrantCall',
    });
    expect(await invoiceUsed(chain, inner.invoiceId)).toBe(false);
  });

  it('error: a recipient that calls back into the splitter when paid is refused; the outer payment completes', async () => {
    const receiver = await deployed(reentrantReceiverAbi, reentrantReceiverBytecode);
    const inner = await makeInvoice(chain.client, { payer: receiver, amount: 0n });
    const arm = await payerWallet().writeContract({
      address: receiver,
      abi: reentrantReceiverAbi,
      functionName: 'arm',
      args: [
        splitterAddress(),
        encodeFunctionData({
          abi: x402SplitterAbi,
          functionName: 'payNative',
          args: [inner, await sign(chain, inner)],
        }),
      ],
    });
    await chain.client.waitForTransactionReceipt({ hash: arm });

    const outer = await makeInvoice(chain.client, { creator: receiver });
    await expectPaidOut(outer, await payNative(outer));
    expect(await reentryOutcome(reentrantReceiverAbi, receiver)).toEqual({
      succeeded: false,
      error: 'ReentrancyGuardReentrantCall',
    });
    expect(await invoiceUsed(chain, inner.invoiceId)).toBe(false);
  });
});

describe('X402Splitter: the split', () => {
  /** Deterministic pseudo-random numbers (xorshift64), so a failure can be replayed. */
  function random(seed: bigint) {
    let state = seed;
    return (bits: number) => {
      let out = 0n;
      for (let i = 0; i < bits; i += 64) {
        state ^= (state << 13n) & 0xffffffffffffffffn;
        state ^= state >> 7n;
        state ^= (state << 17n) & 0xffffffffffffffffn;
        out = (out << 64n) | state;
      }
      return out & ((1n << BigInt(bits)) - 1n);
    };
  }

  function randomSplit(next: (bits: number) => bigint) {
    const tenantBps = Number(next(16) % 10_001n);
    const hubBps = Number(next(16) % BigInt(10_001 - tenantBps));
    return { creatorBps: BPS_TOTAL - tenantBps - hubBps, tenantBps, hubBps };
  }

  it('split() equals splitAmount() and its shares add up to the amount, over 300 random amounts and splits', async () => {
    const next = random(0x9e3779b97f4a7c15n);
    const cases = Array.from({ length: 300 }, (_, i) => {
      // Small amounts (rounding matters most), token-sized ones, and up to 2^256 - 1.
      const bits = [8, 24, 64, 128, 256][i % 5]!;
      return { amount: next(bits), ...randomSplit(next) };
    });
    cases.push({ amount: 2n ** 256n - 1n, creatorBps: 0, tenantBps: 5_000, hubBps: 5_000 });
    const results = await Promise.all(
      cases.map(({ amount, tenantBps, hubBps }) =>
        chain.client.readContract({
          address: splitterAddress(),
          abi: x402SplitterAbi,
          functionName: 'split',
          args: [amount, tenantBps, hubBps],
        }),
      ),
    );
    results.forEach(([creatorShare, tenantShare, hubShare], i) => {
      const { amount, tenantBps, hubBps } = cases[i]!;
      expect({ creatorShare, tenantShare, hubShare }, `case ${i}`).toEqual(
        splitAmount(amount, tenantBps, hubBps),
      );
      expect(creatorShare + tenantShare + hubShare).toBe(amount);
    });
  });

  it('pays exactly splitAmount() on chain, native and token, over 24 random payments', async () => {
    const next = random(0xdeadbeefcafef00dn);
    for (let i = 0; i < 24; i++) {
      const overrides = { amount: 1n + next(i % 2 === 0 ? 20 : 40), ...randomSplit(next) };
      const invoice =
        i % 2 === 0 ? await tokenInvoice(overrides) : await makeInvoice(chain.client, overrides);
      const receipt =
        invoice.token === NATIVE_TOKEN ? await payNative(invoice) : (await payToken(invoice)).payment;
      await expectPaidOut(invoice, receipt);
    }
  });
});

describe('X402Splitter: administration', () => {
  const signerOf = (splitter: Address) =>
    chain.client.readContract({ address: splitter, abi: x402SplitterAbi, functionName: 'invoiceSigner' });

  async function ownSplitter() {
    const { splitter } = await deployPaymentContracts(chain.wallet(owner), chain.client, {
      owner: owner.address,
      invoiceSigner: hubSigner.address,
    });
    return splitter;
  }

  it('rotates the invoice signer: the old key is refused after, the new one accepted', async () => {
    const splitter = await ownSplitter();
    const pay = async (signer: typeof hubSigner) => {
      const invoice = await makeInvoice(chain.client);
      const signature = await sign(chain, invoice, { signer, splitter });
      return payInvoiceNative(payerWallet(), chain.client, { splitter, invoice, signature });
    };
    await pay(hubSigner);

    const hash = await chain.wallet(owner).writeContract({
      address: splitter,
      abi: x402SplitterAbi,
      functionName: 'setInvoiceSigner',
      args: [stranger.address],
    });
    const receipt = await chain.client.waitForTransactionReceipt({ hash });
    const [rotated] = await chain.client.getContractEvents({
      address: splitter,
      abi: x402SplitterAbi,
      eventName: 'InvoiceSignerChanged',
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect(rotated?.args).toEqual({ previousSigner: hubSigner.address, newSigner: stranger.address });
    expect(await signerOf(splitter)).toBe(stranger.address);

    await expectRevert(pay(hubSigner), 'WrongSigner');
    await pay(stranger);
  });

  it('error: only the owner rotates the signer, never to address zero', async () => {
    const splitter = await ownSplitter();
    const rotate = (account: typeof owner, to: Address) =>
      chain.wallet(account).writeContract({
        address: splitter,
        abi: x402SplitterAbi,
        functionName: 'setInvoiceSigner',
        args: [to],
      });
    await expectRevert(rotate(stranger, stranger.address), 'OwnableUnauthorizedAccount');
    await expectRevert(rotate(owner, zeroAddress), 'ZeroSigner');
    expect(await signerOf(splitter)).toBe(hubSigner.address);
  });

  it('error: cannot be deployed without an invoice signer', async () => {
    await expect(
      chain.wallet(owner).deployContract({
        abi: x402SplitterAbi,
        bytecode: x402SplitterBytecode,
        args: [owner.address, zeroAddress],
      }),
    ).rejects.toThrow(`custom error ${toFunctionSelector('ZeroSigner()')}`);
  });

  it('error: ownership cannot be renounced, by the owner or anyone else', async () => {
    const splitter = await ownSplitter();
    // The override is `view` (it only reverts), so any transaction calling it runs this same call.
    const renounce = (account: typeof owner) =>
      chain.client.readContract({
        address: splitter,
        abi: x402SplitterAbi,
        functionName: 'renounceOwnership',
        account: account.address,
      });
    await expectRevert(renounce(owner), 'OwnershipRequired');
    await expectRevert(renounce(stranger), 'OwnableUnauthorizedAccount');
    expect(
      await chain.client.readContract({ address: splitter, abi: x402SplitterAbi, functionName: 'owner' }),
    ).toBe(owner.address);
  });

  it('hands ownership over in two steps: the new owner must accept', async () => {
    const splitter = await ownSplitter();
    const next = freshAddress();
    const transfer = await chain.wallet(owner).writeContract({
      address: splitter,
      abi: x402SplitterAbi,
      functionName: 'transferOwnership',
      args: [next],
    });
    await chain.client.waitForTransactionReceipt({ hash: transfer });
    const read = (functionName: 'owner' | 'pendingOwner') =>
      chain.client.readContract({ address: splitter, abi: x402SplitterAbi, functionName });
    expect(await read('owner')).toBe(owner.address);
    expect(await read('pendingOwner')).toBe(next);
    const error = await chain
      .wallet(stranger)
      .writeContract({ address: splitter, abi: x402SplitterAbi, functionName: 'acceptOwnership' })
      .catch((reason: unknown) => reason);
    expect(revertName(error)).toBe('OwnableUnauthorizedAccount');
  });
});
