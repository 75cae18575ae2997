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
export {
  type ChainClient,
  type ChainClientOptions,
  type ChainHealth,
  chainFor,
  chainHealth,
  createChainClient,
} from './client';
export * from './generated';
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
