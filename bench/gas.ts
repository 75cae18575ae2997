/**
 * Gas of the X402Splitter's three payment paths on anvil: payNative, payToken (the approve counted
 * apart) and payWithAuthorization, paying recipients that hold nothing yet and recipients that already
 * hold a balance of the token. Median over `--runs N` payments each (default 5).
 */
import {
  createChainClient,
  DEV_ACCOUNTS,
  deployPaymentContracts,
  type InvoiceMessage,
  mintTestUsd,
  NATIVE_TOKEN,
  newAuthorizationNonce,
  payInvoiceNative,
  payInvoiceWithAuthorization,
  payInvoiceWithToken,
  signInvoice,
  signReceiveAuthorization,
  startAnvil,
  tokenEip712Domain,
  videoIdHash,
} from '@ppv/chain';
import { type Address, createWalletClient, http, type LocalAccount, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { median, printTable, writeResult } from './lib/report';

const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 5;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive integer');

const owner = privateKeyToAccount(DEV_ACCOUNTS[0].privateKey);
const hubSigner = privateKeyToAccount(DEV_ACCOUNTS[1].privateKey);
const payer = privateKeyToAccount(DEV_ACCOUNTS[2].privateKey);
const relayer = privateKeyToAccount(DEV_ACCOUNTS[3].privateKey);

type Path = 'payNative' | 'payToken' | 'payWithAuthorization';
type Recipients = 'new' | 'funded';

const anvil = await startAnvil();
try {
  const client = createChainClient({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  const wallet = (account: LocalAccount) =>
    createWalletClient({ account, chain: client.chain, transport: http(anvil.rpcUrl) });
  const { splitter, stablecoin } = await deployPaymentContracts(wallet(owner), client, {
    owner: owner.address,
    invoiceSigner: hubSigner.address,
  });
  await mintTestUsd(wallet(owner), client, { token: stablecoin, to: payer.address, amount: 10n ** 15n });
  const tokenDomain = await tokenEip712Domain(client, stablecoin);

  const fresh = (): Address => privateKeyToAccount(generatePrivateKey()).address;
  const invoiceFor = async (token: Address, to: { creator: Address; tenant: Address; hub: Address }) =>
    ({
      invoiceId: toHex(crypto.getRandomValues(new Uint8Array(32))),
      payer: payer.address,
      token,
      // $4.99 in TestUSD units, or as many wei.
      amount: 4_990_000n,
      ...to,
      creatorBps: 8_500,
      tenantBps: 1_000,
      hubBps: 500,
      videoIdHash: videoIdHash(crypto.randomUUID()),
      deadline: (await client.getBlock()).timestamp + 3_600n,
    }) satisfies InvoiceMessage;

  /** One payment by `path`; returns the gas of the payment transaction (and of the approve for payToken). */
  async function pay(path: Path, to: { creator: Address; tenant: Address; hub: Address }) {
    const invoice = await invoiceFor(path === 'payNative' ? NATIVE_TOKEN : stablecoin, to);
    const signature = await signInvoice(
      hubSigner,
      { chainId: anvil.chainId, verifyingContract: splitter },
      invoice,
    );
    if (path === 'payNative') {
      return {
        gas: (await payInvoiceNative(wallet(payer), client, { splitter, invoice, signature })).gasUsed,
      };
    }
    if (path === 'payToken') {
      const { approval, payment } = await payInvoiceWithToken(wallet(payer), client, {
        splitter,
        invoice,
        signature,
      });
      return { gas: payment.gasUsed, approveGas: approval.gasUsed };
    }
    const authorization = {
      from: payer.address,
      to: splitter,
      value: invoice.amount,
      validAfter: 0n,
      validBefore: invoice.deadline,
      nonce: newAuthorizationNonce(),
    };
    const receipt = await payInvoiceWithAuthorization(wallet(relayer), client, {
      splitter,
      invoice,
      signature,
      authorization,
      authorizationSignature: await signReceiveAuthorization(payer, tokenDomain, authorization),
    });
    return { gas: receipt.gasUsed };
  }

  const results: { path: Path; recipients: Recipients; gas: number[]; approveGas: number[] }[] = [];
  for (const path of ['payNative', 'payToken', 'payWithAuthorization'] as const) {
    for (const recipients of ['new', 'funded'] as const) {
      const gas: number[] = [];
      const approveGas: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const to = { creator: fresh(), tenant: fresh(), hub: fresh() };
        // A first payment to the same three funds them, so the measured one adds to existing balances.
        if (recipients === 'funded') await pay(path, to);
        const measured = await pay(path, to);
        gas.push(Number(measured.gas));
        if (measured.approveGas !== undefined) approveGas.push(Number(measured.approveGas));
      }
      results.push({ path, recipients, gas, approveGas });
    }
  }

  const rows = results.map((r) => [
    r.path,
    r.recipients === 'new' ? 'recipients hold nothing yet' : 'recipients already funded',
    median(r.gas),
    Math.min(...r.gas),
    Math.max(...r.gas),
    r.approveGas.length > 0 ? median(r.approveGas) : '—',
  ]);
  printTable(
    `X402Splitter gas used per payment (median of ${RUNS}; 3-way split 85/10/5 %, anvil, evm cancun)`,
    ['path', 'recipients', 'median', 'min', 'max', 'approve (apart)'],
    rows,
  );
  await writeResult('gas', {
    runs: RUNS,
    split: { creatorBps: 8_500, tenantBps: 1_000, hubBps: 500 },
    results: results.map((r) => ({
      ...r,
      medianGas: median(r.gas),
      medianApproveGas: r.approveGas.length > 0 ? median(r.approveGas) : null,
    })),
  });
} finally {
  await anvil.stop();
}
