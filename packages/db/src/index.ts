export { LockMode, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
export * from './entities';
export { type MigrationResult, migrate, migrationsDir } from './migrate';
export {
  APP_ROLE,
  createOrm,
  type EntityManager,
  executeAsTenant,
  executeBound,
  type OrmOptions,
  type StatementRunner,
  tenantStatement,
  withHubScope,
  withTenant,
} from './orm';
export {
  type CredentialLookup,
  type CredentialUser,
  findApiTokenCredential,
  findSessionCredential,
  findUserProfile,
  touchApiToken,
  touchSession,
  type UserProfile,
} from './repositories/auth';
export {
  type ChainBlock,
  type ChainCursor,
  deleteChainBlocksFrom,
  findChainCursor,
  loadChainCursor,
  markChainCursorHealthy,
  moveChainCursor,
  pruneChainBlocks,
  recentChainBlocks,
  recordChainFailure,
  saveChainBlocks,
} from './repositories/chain-indexer';
export {
  type DailyEarningsRow,
  type EarningsRow,
  eventKey,
  hasActivePurchase,
  isBlockedByCreator,
  type LedgerLine,
  type LockedInvoice,
  listLedgerLines,
  listViewerPurchases,
  lockInvoicesByChainIds,
  lockViewerVideo,
  type OrphanedPayment,
  orphanMissingPayments,
  orphanPayments,
  type PaymentCredit,
  type PaymentRow,
  type PaymentWrite,
  recordPayments,
  reversePayment,
  sumEarnings,
  sumEarningsByDay,
  type ViewerPurchase,
} from './repositories/payments';
export { findPlaybackGrant, type PlaybackGrant, recordKeyFetch } from './repositories/playback';
export {
  searchVideos,
  type VideoSearch,
  type VideoSearchResult,
  type VideoSort,
  videoSorts,
} from './repositories/videos';
export {
  claimX402Settlement,
  lockInFlightX402Settlement,
  lockX402Settlement,
  updateX402Settlement,
  type X402AuthorizationKey,
  type X402Settlement,
  type X402SettlementStatus,
} from './repositories/x402';
