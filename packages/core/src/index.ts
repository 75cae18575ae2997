export type { AuthInfo, Context, CookieOptions, CookieWriter, RequestMeta } from './context';
export type {
  AppDeps,
  ChainDeps,
  CoreConfig,
  IndexerConfig,
  MediaConfig,
  MoneyConfig,
  TenantDeps,
  TenantScopeDeps,
} from './deps';
export { AppError, type AppErrorCode, httpStatusOf } from './errors';
export { type AccessDecision, canWatch } from './features/access/can-watch';
export { resolveAuth } from './features/auth/resolve-auth';
export { CSRF_COOKIE, SESSION_COOKIE } from './features/auth/session-cookie';
export { createSmtpMailer, type Mailer } from './features/email/mailer';
export { queueEmail } from './features/email/queue-email';
export { sendOutboxEmail } from './features/email/send-outbox-email';
export { checkHealth, type Health } from './features/health/check-health';
export {
  type IndexChainDeps,
  type IndexChainInput,
  type IndexChainResult,
  indexChain,
  type OrphanedRange,
  type PaidEventHandlers,
} from './features/indexer/index-chain';
export { type IndexerStatus, indexerStatus } from './features/indexer/indexer-status';
export { type ResetCursor, resetCursorInput, resetIndexerCursor } from './features/indexer/reset-cursor';
export { indexerTarget, paymentHandlers, runIndexerPass } from './features/indexer/run-indexer';
export { sweepExpired } from './features/maintenance/sweep-expired';
export {
  type ChainPaidEvent,
  GRANTING_STATUSES,
  type RecordedPayment,
  type RecordPaidEventsDeps,
  recordPaidEvents,
} from './features/payments/record-paid-events';
export { type RevokeBlocksInput, type RevokedPayment, revokeBlocks } from './features/payments/revoke-blocks';
export { playbackTokenOf } from './features/playback/authorize-playback';
export { fetchPlaybackKey, KEY_FETCHES_PER_WINDOW } from './features/playback/fetch-key';
export { FileCache, type FileVersion } from './features/playback/file-cache';
export { masterPlaylist } from './features/playback/master-playlist';
export { mediaPlaylist } from './features/playback/media-playlist';
export {
  type PlaybackClaims,
  signPlaybackToken,
  verifyPlaybackToken,
} from './features/playback/playback-token';
export { type PublicMedia, resolvePublicMedia } from './features/playback/public-media';
export { hitRateLimit } from './features/rate-limit/hit-rate-limit';
export { createTenant } from './features/tenants/create-tenant';
export { publicTenant } from './features/tenants/manage-tenant';
export { resolveTenant } from './features/tenants/resolve-tenant';
export { assertMayTrace, requestTrace } from './features/tracing/request-trace';
export { type RunTraceOutcome, runTrace } from './features/tracing/run-trace';
export { type TraceVerdict, traceLeakedFile } from './features/tracing/trace-leak';
export type { TraceFinding } from './features/tracing/trace-views';
export { createUser } from './features/users/create-user';
export { acceptUpload } from './features/videos/accept-upload';
export { createVideo, type UploadedSource } from './features/videos/create-video';
export { publicVideo, studioVideo } from './features/videos/manage-videos';
export {
  acceptPosterUpload,
  MAX_POSTER_UPLOAD_BYTES,
  makeFramePoster,
  publishPoster,
} from './features/videos/set-poster';
export {
  MAX_TENANT_UPLOAD_BYTES,
  MIN_TENANT_UPLOAD_BYTES,
  parseUploadMetadata,
  type UploadDeclaration,
  uploadLimitFor,
} from './features/videos/upload-metadata';
export { type VideoMetadata, videoMetadataInput } from './features/videos/videos.schemas';
export {
  X402_SETTLEMENT_LEASE_SECONDS,
  type X402AccessInput,
  type X402AccessResult,
  type X402Deps,
  x402Access,
} from './features/x402/x402-access';
export {
  decodePaymentHeader,
  encodeX402Header,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequiredV1,
  type PaymentRequirements,
  type PaymentRequirementsV1,
  paymentHeaderName,
  type SettlementResponse,
  v1Network,
  X402_VERSION,
  type X402ErrorReason,
  type X402Version,
} from './features/x402/x402-protocol';
export { enqueue, type JobPayloads, type TaskName } from './lib/jobs';
export { argon2Params, hashPassword, verifyPassword } from './lib/passwords';
export { seal, unseal } from './lib/sealing';
export { type AppRouter, appRouter, createCaller } from './router';
