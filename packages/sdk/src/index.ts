export type {
  BuyWithWalletOptions,
  CheckoutProgress,
  CheckoutStep,
  PaymentTokens,
  Purchase,
  Quote,
  WalletInvoice,
} from './checkout';
export { formatTokenUnits } from './checkout';
export {
  type AccessCheck,
  createPpvClient,
  type HubClient,
  type HubInputs,
  type HubOutputs,
  type ListVideosInput,
  type Me,
  type PlaybackSession,
  type PpvClient,
  type PpvClientOptions,
  type SignInWithEthereumOptions,
  type Tenant,
  type Video,
  type VideoPage,
} from './client';
export { PpvError, type PpvErrorCode, toPpvError } from './errors';
export type { HubErrorShape, HubRouter } from './generated/hub-router';
export { checksumAddress, type Eip1193Provider, siweMessage } from './siwe';
export { type DiscoveredWallet, discoverWallets } from './wallets';
