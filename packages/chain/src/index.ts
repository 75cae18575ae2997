export {
  type AnvilInstance,
  AnvilStartError,
  anvilBinaryPath,
  DEV_ACCOUNTS,
  DEV_MNEMONIC,
  type DevAccount,
  type StartAnvilOptions,
  startAnvil,
} from './anvil';
export { type BlockHeader, isLogRangeTooLarge, readBlockHeaders, readHeadBlockNumber } from './blocks';
export {
  type ChainClient,
  type ChainClientOptions,
  type ChainHealth,
  chainFor,
  chainHealth,
  createChainClient,
  describeChainError,
} from './client';
export {
  DEV_FUND_AMOUNT,
  type DevDeployment,
  type EnsureDevDeploymentOptions,
  ensureDevDeployment,
} from './dev-deployment';
export {
  type AuthorizationSignature,
  newAuthorizationNonce,
  type ReceiveAuthorization,
  receiveAuthorizationTypes,
  signReceiveAuthorization,
  type TokenDomain,
  tokenEip712Domain,
} from './eip3009';
export * from './generated';
export {
  BPS_TOTAL,
  INVOICE_DOMAIN_NAME,
  INVOICE_DOMAIN_VERSION,
  type InvoiceDomain,
  type InvoiceMessage,
  invoiceDigest,
  invoiceDomain,
  invoiceMessageOf,
  invoiceSigner,
  invoiceTypes,
  NATIVE_TOKEN,
  newInvoiceId,
  paidEvent,
  signInvoice,
  splitAmount,
  videoIdHash,
} from './invoice';
export { decodePaidLog, PAID_TOPIC, type RpcLog } from './paid-log';
export {
  deployPaymentContracts,
  mintTestUsd,
  type PaidEvent,
  type PayInvoiceArgs,
  type PaymentContracts,
  type PaymentReader,
  type PaymentWallet,
  payInvoiceNative,
  payInvoiceWithAuthorization,
  payInvoiceWithToken,
  readPaidEvents,
  sendInvoiceWithAuthorization,
  TransactionRevertedError,
} from './payments';
export {
  createSiweMessage,
  generateSiweNonce,
  parseSiweMessage,
  type SiweFailureReason,
  type SiweMessage,
  type SiweVerification,
  type VerifySiweOptions,
  verifySiwe,
} from './siwe';
export { TEST_WALLET_BINDING, testWalletHandler, testWalletInitScript } from './test-wallet';
