import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Address, createWalletClient, getAddress, type Hex, http, isAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_ACCOUNTS, type DevAccount } from './anvil';
import { createChainClient } from './client';
import { deployPaymentContracts, mintTestUsd } from './payments';

/** TestUSD minted to each funded address on every call that deploys (6 decimals: 10,000 TUSD). */
export const DEV_FUND_AMOUNT = 10_000n * 1_000_000n;

export type EnsureDevDeploymentOptions = {
  rpcUrl: string;
  chainId: number;
  /** JSON file (in the data dir) holding the deployed addresses, so a restart reuses them. */
  stateFile: string;
  /** Receive {@link DEV_FUND_AMOUNT} TestUSD when the contracts are (re)deployed. */
  fundAddresses?: Address[];
};

/** DEVELOPMENT ONLY: every key here is anvil's public "test test … junk" mnemonic. */
export type DevDeployment = {
  chainId: number;
  splitter: Address;
  stablecoin: Address;
  /** Owner of both contracts (dev account 0). */
  owner: Address;
  /** Signs invoices (dev account 1). */
  invoiceSignerKey: Hex;
  /** Receives the hub's share (dev account 2). */
  hubPayoutWallet: Address;
  devAccounts: readonly DevAccount[];
  /** False when an earlier deployment still had code on chain and was reused. */
  deployed: boolean;
};

type StoredDeployment = { chainId: number; splitter: Address; stablecoin: Address };

function readStored(stateFile: string): StoredDeployment | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    const value = JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<StoredDeployment>;
    if (
      typeof value.chainId === 'number' &&
      typeof value.splitter === 'string' &&
      isAddress(value.splitter) &&
      typeof value.stablecoin === 'string' &&
      isAddress(value.stablecoin)
    ) {
      return {
        chainId: value.chainId,
        splitter: getAddress(value.splitter),
        stablecoin: getAddress(value.stablecoin),
      };
    }
  } catch {
    // An unreadable file is treated as no deployment: the contracts are deployed again.
  }
  return undefined;
}

/**
 * On a development chain (anvil), deploy X402Splitter + TestUSD once and reuse them afterwards:
 * the addresses are kept in `stateFile` and re-checked with `getCode`, so a chain that lost its
 * state (or a different chain) gets a fresh deployment. Uses anvil's well-known dev accounts.
 */
export async function ensureDevDeployment(options: EnsureDevDeploymentOptions): Promise<DevDeployment> {
  const owner = DEV_ACCOUNTS[0];
  const signer = DEV_ACCOUNTS[1];
  const hub = DEV_ACCOUNTS[2];
  const reader = createChainClient({ rpcUrl: options.rpcUrl, chainId: options.chainId });
  const base = {
    chainId: options.chainId,
    owner: getAddress(owner.address),
    invoiceSignerKey: signer.privateKey as Hex,
    hubPayoutWallet: getAddress(hub.address),
    devAccounts: DEV_ACCOUNTS,
  };

  const stored = readStored(options.stateFile);
  if (stored && stored.chainId === options.chainId) {
    const [splitterCode, tokenCode] = await Promise.all([
      reader.getCode({ address: stored.splitter }),
      reader.getCode({ address: stored.stablecoin }),
    ]);
    if (splitterCode && splitterCode !== '0x' && tokenCode && tokenCode !== '0x') {
      return { ...base, splitter: stored.splitter, stablecoin: stored.stablecoin, deployed: false };
    }
  }

  const wallet = createWalletClient({
    account: privateKeyToAccount(owner.privateKey as Hex),
    chain: reader.chain,
    transport: http(options.rpcUrl),
  });
  const contracts = await deployPaymentContracts(wallet, reader, {
    owner: base.owner,
    invoiceSigner: getAddress(signer.address),
  });
  for (const to of options.fundAddresses ?? []) {
    await mintTestUsd(wallet, reader, { token: contracts.stablecoin, to, amount: DEV_FUND_AMOUNT });
  }
  const record: StoredDeployment = {
    chainId: options.chainId,
    splitter: contracts.splitter,
    stablecoin: contracts.stablecoin,
  };
  mkdirSync(dirname(options.stateFile), { recursive: true });
  const temporary = `${options.stateFile}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, options.stateFile);
  return { ...base, splitter: contracts.splitter, stablecoin: contracts.stablecoin, deployed: true };
}
