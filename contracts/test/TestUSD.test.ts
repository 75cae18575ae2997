import {
  type AuthorizationSignature,
  type InvoiceMessage,
  newAuthorizationNonce,
  payInvoiceWithAuthorization,
  type ReceiveAuthorization,
  receiveAuthorizationTypes,
  signReceiveAuthorization,
  type TokenDomain,
  testUSDAbi,
  tokenEip712Domain,
} from '@ppv/chain';
import { type Address, keccak256, type LocalAccount, parseSignature, toHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Chain,
  chainNow,
  expectRevert,
  freshAddress,
  invoiceUsed,
  makeInvoice,
  payer,
  relayer,
  sign,
  startChain,
  stranger,
  tokenBalance,
} from './fixture';

let chain: Chain;
let domain: TokenDomain;

beforeAll(async () => {
  chain = await startChain();
  domain = await tokenEip712Domain(chain.client, chain.contracts.stablecoin);
});
afterAll(async () => {
  await chain.anvil.stop();
});

const token = () => chain.contracts.stablecoin;
const read = <T extends 'name' | 'symbol' | 'decimals'>(functionName: T) =>
  chain.client.readContract({ address: token(), abi: testUSDAbi, functionName });

async function authorize(overrides: Partial<ReceiveAuthorization> = {}, signer: LocalAccount = payer) {
  const now = await chainNow(chain.client);
  const authorization: ReceiveAuthorization = {
    from: payer.address,
    to: chain.contracts.splitter,
    value: 1_000_000n,
    validAfter: now - 60n,
    validBefore: now + 3_600n,
    nonce: newAuthorizationNonce(),
    ...overrides,
  };
  return { authorization, signed: await signReceiveAuthorization(signer, domain, authorization) };
}

async function payWith(
  invoice: InvoiceMessage,
  authorization: ReceiveAuthorization,
  signed: AuthorizationSignature,
) {
  return payInvoiceWithAuthorization(chain.wallet(relayer), chain.client, {
    splitter: chain.contracts.splitter,
    invoice,
    signature: await sign(chain, invoice),
    authorization,
    authorizationSignature: signed,
  });
}

function tokenInvoice(overrides: Partial<InvoiceMessage> = {}) {
  return makeInvoice(chain.client, { token: token(), ...overrides });
}

function authorizationState(authorizer: Address, nonce: `0x${string}`) {
  return chain.client.readContract({
    address: token(),
    abi: testUSDAbi,
    functionName: 'authorizationState',
    args: [authorizer, nonce],
  });
}

describe('TestUSD', () => {
  it('is a 6-decimal ERC-20 whose EIP-5267 domain is ("Test USD", "1", chain id, itself)', async () => {
    expect(await read('decimals')).toBe(6);
    expect(await read('name')).toBe('Test USD');
    expect(await read('symbol')).toBe('tUSD');
    expect(domain).toEqual({
      name: 'Test USD',
      version: '1',
      chainId: chain.anvil.chainId,
      verifyingContract: token(),
    });
  });

  it('publishes the EIP-3009 typehashes', async () => {
    const typehash = (
      functionName: 'RECEIVE_WITH_AUTHORIZATION_TYPEHASH' | 'TRANSFER_WITH_AUTHORIZATION_TYPEHASH',
    ) => chain.client.readContract({ address: token(), abi: testUSDAbi, functionName });
    const fields = receiveAuthorizationTypes.ReceiveWithAuthorization.map((f) => `${f.type} ${f.name}`).join(
      ',',
    );
    expect(await typehash('RECEIVE_WITH_AUTHORIZATION_TYPEHASH')).toBe(
      keccak256(toHex(`ReceiveWithAuthorization(${fields})`)),
    );
    expect(await typehash('TRANSFER_WITH_AUTHORIZATION_TYPEHASH')).toBe(
      keccak256(toHex(`TransferWithAuthorization(${fields})`)),
    );
    expect(
      await chain.client.readContract({
        address: token(),
        abi: testUSDAbi,
        functionName: 'CANCEL_AUTHORIZATION_TYPEHASH',
      }),
    ).toBe(keccak256(toHex('CancelAuthorization(address authorizer,bytes32 nonce)')));
  });

  it('error: only the owner mints', async () => {
    await expectRevert(
      chain.wallet(stranger).writeContract({
        address: token(),
        abi: testUSDAbi,
        functionName: 'mint',
        args: [stranger.address, 1n],
      }),
      'OwnableUnauthorizedAccount',
    );
  });

  it('transferWithAuthorization moves the funds for anyone who submits it, once', async () => {
    const to = freshAddress();
    const now = await chainNow(chain.client);
    const authorization = {
      from: payer.address,
      to,
      value: 42n,
      validAfter: 0n,
      validBefore: now + 600n,
      nonce: newAuthorizationNonce(),
    };
    if (!payer.signTypedData) throw new Error('unreachable');
    const signature = await payer.signTypedData({
      domain,
      types: {
        TransferWithAuthorization: receiveAuthorizationTypes.ReceiveWithAuthorization,
      },
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    });
    const { r, s, yParity } = parseSignature(signature);
    const submit = () =>
      chain.wallet(relayer).writeContract({
        address: token(),
        abi: testUSDAbi,
        functionName: 'transferWithAuthorization',
        args: [
          payer.address,
          to,
          42n,
          0n,
          authorization.validBefore,
          authorization.nonce,
          27 + yParity,
          r,
          s,
        ],
      });
    await chain.client.waitForTransactionReceipt({ hash: await submit() });
    expect(await tokenBalance(chain, token(), to)).toBe(42n);
    expect(await authorizationState(payer.address, authorization.nonce)).toBe(true);
    await expectRevert(submit(), 'AuthorizationAlreadyUsed');
  });

  it('error: receiveWithAuthorization refuses any caller but the payee', async () => {
    const { authorization, signed } = await authorize({ to: stranger.address });
    const submit = (account: LocalAccount) =>
      chain.wallet(account).writeContract({
        address: token(),
        abi: testUSDAbi,
        functionName: 'receiveWithAuthorization',
        args: [
          authorization.from,
          authorization.to,
          authorization.value,
          authorization.validAfter,
          authorization.validBefore,
          authorization.nonce,
          signed.v,
          signed.r,
          signed.s,
        ],
      });
    await expectRevert(submit(relayer), 'CallerMustBePayee');
    await chain.client.waitForTransactionReceipt({ hash: await submit(stranger) });
    expect(await authorizationState(payer.address, authorization.nonce)).toBe(true);
  });

  it('error: a cancelled authorization cannot be used', async () => {
    const invoice = await tokenInvoice();
    const { authorization, signed } = await authorize({ value: invoice.amount });
    if (!payer.signTypedData) throw new Error('unreachable');
    const cancel = parseSignature(
      await payer.signTypedData({
        domain,
        types: {
          CancelAuthorization: [
            { name: 'authorizer', type: 'address' },
            { name: 'nonce', type: 'bytes32' },
          ],
        },
        primaryType: 'CancelAuthorization',
        message: { authorizer: payer.address, nonce: authorization.nonce },
      }),
    );
    const hash = await chain.wallet(relayer).writeContract({
      address: token(),
      abi: testUSDAbi,
      functionName: 'cancelAuthorization',
      args: [payer.address, authorization.nonce, 27 + cancel.yParity, cancel.r, cancel.s],
    });
    await chain.client.waitForTransactionReceipt({ hash });
    await expectRevert(payWith(invoice, authorization, signed), 'AuthorizationAlreadyUsed');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });
});

describe('payWithAuthorization: refused EIP-3009 authorizations leave the invoice unpaid', () => {
  it('error: an authorization for another amount', async () => {
    const invoice = await tokenInvoice({ amount: 1_000_000n });
    for (const value of [999_999n, 1_000_001n]) {
      const { authorization, signed } = await authorize({ value });
      await expectRevert(payWith(invoice, authorization, signed), 'InvalidAuthorizationSignature');
    }
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: an authorization for another recipient than the splitter', async () => {
    const invoice = await tokenInvoice();
    const { authorization, signed } = await authorize({ to: stranger.address, value: invoice.amount });
    await expectRevert(payWith(invoice, authorization, signed), 'InvalidAuthorizationSignature');
  });

  it('error: an authorization whose window has closed or not opened', async () => {
    const now = await chainNow(chain.client);
    const invoice = await tokenInvoice();
    const expired = await authorize({ validAfter: 0n, validBefore: now, value: invoice.amount });
    await expectRevert(payWith(invoice, expired.authorization, expired.signed), 'AuthorizationExpired');
    const early = await authorize({ validAfter: now + 600n, value: invoice.amount });
    await expectRevert(payWith(invoice, early.authorization, early.signed), 'AuthorizationNotYetValid');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });

  it('error: a nonce used before, even for another invoice', async () => {
    const first = await tokenInvoice();
    const { authorization, signed } = await authorize({ value: first.amount });
    await payWith(first, authorization, signed);
    expect(await authorizationState(payer.address, authorization.nonce)).toBe(true);
    const second = await tokenInvoice({ amount: first.amount });
    const before = await tokenBalance(chain, token(), payer.address);
    await expectRevert(payWith(second, authorization, signed), 'AuthorizationAlreadyUsed');
    expect(await tokenBalance(chain, token(), payer.address)).toBe(before);
    expect(await invoiceUsed(chain, second.invoiceId)).toBe(false);
  });

  it('error: an authorization signed by another key or in another token’s domain', async () => {
    const invoice = await tokenInvoice();
    const byStranger = await authorize({ value: invoice.amount }, stranger);
    await expectRevert(
      payWith(invoice, byStranger.authorization, byStranger.signed),
      'InvalidAuthorizationSignature',
    );
    const otherDomain = { ...domain, verifyingContract: freshAddress() };
    const now = await chainNow(chain.client);
    const authorization = {
      from: payer.address,
      to: chain.contracts.splitter,
      value: invoice.amount,
      validAfter: 0n,
      validBefore: now + 600n,
      nonce: newAuthorizationNonce(),
    };
    const signed = await signReceiveAuthorization(payer, otherDomain, authorization);
    await expectRevert(payWith(invoice, authorization, signed), 'InvalidAuthorizationSignature');
    expect(await invoiceUsed(chain, invoice.invoiceId)).toBe(false);
  });
});
