import { randomUUID } from 'node:crypto';
import { BigIntType, EntitySchema, type Opt } from '@mikro-orm/postgresql';

export type Role = 'viewer' | 'creator' | 'tenant_admin';
export const roles: readonly Role[] = ['viewer', 'creator', 'tenant_admin'];

const id = { type: 'uuid', primary: true, onCreate: () => randomUUID() } as const;
const createdAt = { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() } as const;

export interface Tenant {
  id: Opt<string>;
  slug: string;
  name: string;
  logoUrl?: string | null;
  primaryColor: Opt<string>;
  accentColor: Opt<string>;
  feeBps: Opt<number>;
  payoutWallet?: string | null;
  displayCurrency: Opt<string>;
  displayRate: Opt<string>;
  corsOrigins: Opt<string[]>;
  status: Opt<'active' | 'suspended'>;
  /** Largest upload in bytes; null means the hub-wide MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number | null;
  createdAt: Opt<Date>;
  updatedAt: Opt<Date>;
}

export const TenantEntity = new EntitySchema<Tenant>({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id,
    slug: { type: 'string' },
    name: { type: 'string' },
    logoUrl: { type: 'string', nullable: true },
    primaryColor: { type: 'string', default: '#6d28d9' },
    accentColor: { type: 'string', default: '#f59e0b' },
    feeBps: { type: 'integer', default: 1000 },
    payoutWallet: { type: 'string', nullable: true },
    displayCurrency: { type: 'string', default: 'USD' },
    displayRate: { type: 'decimal', default: '1' },
    corsOrigins: { type: 'string[]', onCreate: () => [] },
    status: { type: 'string', default: 'active' },
    maxUploadBytes: { type: new BigIntType('number'), nullable: true },
    createdAt,
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

export interface TenantHostname {
  hostname: string;
  tenantId: string;
  createdAt: Opt<Date>;
}

export const TenantHostnameEntity = new EntitySchema<TenantHostname>({
  name: 'TenantHostname',
  tableName: 'tenant_hostnames',
  properties: {
    hostname: { type: 'string', primary: true },
    tenantId: { type: 'uuid' },
    createdAt,
  },
});

export interface User {
  id: Opt<string>;
  username: string;
  email?: string | null;
  passwordHash?: string | null;
  isHubAdmin: Opt<boolean>;
  status: Opt<'active' | 'disabled'>;
  createdAt: Opt<Date>;
  updatedAt: Opt<Date>;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  properties: {
    id,
    username: { type: 'string' },
    email: { type: 'string', nullable: true },
    passwordHash: { type: 'string', nullable: true, lazy: true },
    isHubAdmin: { type: 'boolean', default: false },
    status: { type: 'string', default: 'active' },
    createdAt,
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

export interface Wallet {
  id: Opt<string>;
  userId: string;
  address: string;
  chainId: number;
  createdAt: Opt<Date>;
}

export const WalletEntity = new EntitySchema<Wallet>({
  name: 'Wallet',
  tableName: 'wallets',
  properties: {
    id,
    userId: { type: 'uuid' },
    address: { type: 'string' },
    chainId: { type: 'integer' },
    createdAt,
  },
});

export interface Membership {
  tenantId: string;
  userId: string;
  role: Role;
  createdAt: Opt<Date>;
}

export const MembershipEntity = new EntitySchema<Membership>({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    tenantId: { type: 'uuid', primary: true },
    userId: { type: 'uuid', primary: true },
    role: { type: 'string' },
    createdAt,
  },
});

export interface Session {
  id: Opt<string>;
  tenantId: string;
  userId: string;
  tokenHash: Buffer;
  authMethod: 'password' | 'siwe';
  createdAt: Opt<Date>;
  expiresAt: Date;
  lastSeenAt: Opt<Date>;
  revokedAt?: Date | null;
  userAgent?: string | null;
  ip?: string | null;
}

export const SessionEntity = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    userId: { type: 'uuid' },
    tokenHash: { type: 'blob', hidden: true },
    authMethod: { type: 'string' },
    createdAt,
    expiresAt: { type: 'Date' },
    lastSeenAt: { type: 'Date', onCreate: () => new Date() },
    revokedAt: { type: 'Date', nullable: true },
    userAgent: { type: 'string', nullable: true },
    ip: { type: 'string', columnType: 'inet', nullable: true },
  },
});

export interface PasswordReset {
  id: Opt<string>;
  tenantId: string;
  userId: string;
  tokenHash: Buffer;
  createdAt: Opt<Date>;
  expiresAt: Date;
  usedAt?: Date | null;
}

export const PasswordResetEntity = new EntitySchema<PasswordReset>({
  name: 'PasswordReset',
  tableName: 'password_resets',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    userId: { type: 'uuid' },
    tokenHash: { type: 'blob', hidden: true },
    createdAt,
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

export interface SiweNonce {
  nonce: string;
  tenantId: string;
  createdAt: Opt<Date>;
  expiresAt: Date;
  usedAt?: Date | null;
}

export const SiweNonceEntity = new EntitySchema<SiweNonce>({
  name: 'SiweNonce',
  tableName: 'siwe_nonces',
  properties: {
    nonce: { type: 'string', primary: true },
    tenantId: { type: 'uuid' },
    createdAt,
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

export interface ApiToken {
  id: Opt<string>;
  tenantId: string;
  userId: string;
  name: string;
  tokenHash: Buffer;
  prefix: string;
  createdAt: Opt<Date>;
  expiresAt?: Date | null;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

export const ApiTokenEntity = new EntitySchema<ApiToken>({
  name: 'ApiToken',
  tableName: 'api_tokens',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    userId: { type: 'uuid' },
    name: { type: 'string' },
    tokenHash: { type: 'blob', hidden: true },
    prefix: { type: 'string' },
    createdAt,
    expiresAt: { type: 'Date', nullable: true },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

export interface OutboxEmail {
  id: Opt<string>;
  tenantId: string;
  toAddress: string;
  subject: string;
  textBody: string;
  status: Opt<'pending' | 'sent' | 'logged' | 'failed'>;
  attempts: Opt<number>;
  lastError?: string | null;
  createdAt: Opt<Date>;
  sentAt?: Date | null;
}

export const OutboxEmailEntity = new EntitySchema<OutboxEmail>({
  name: 'OutboxEmail',
  tableName: 'outbox_emails',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    toAddress: { type: 'string' },
    subject: { type: 'string' },
    textBody: { type: 'text' },
    status: { type: 'string', default: 'pending' },
    attempts: { type: 'integer', default: 0 },
    lastError: { type: 'text', nullable: true },
    createdAt,
    sentAt: { type: 'Date', nullable: true },
  },
});

export interface AuditEntry {
  id: Opt<string>;
  tenantId: string;
  actorUserId?: string | null;
  action: string;
  subject?: string | null;
  ip?: string | null;
  details: Opt<Record<string, unknown>>;
  createdAt: Opt<Date>;
}

export const AuditEntryEntity = new EntitySchema<AuditEntry>({
  name: 'AuditEntry',
  tableName: 'audit_log',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    tenantId: { type: 'uuid' },
    actorUserId: { type: 'uuid', nullable: true },
    action: { type: 'string' },
    subject: { type: 'string', nullable: true },
    ip: { type: 'string', columnType: 'inet', nullable: true },
    details: { type: 'json', onCreate: () => ({}) },
    createdAt,
  },
});

export type VideoStatus = 'queued' | 'processing' | 'ready' | 'error';

export interface RenditionInfo {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
}

export interface Video {
  id: Opt<string>;
  tenantId: string;
  creatorId: string;
  title: string;
  description: Opt<string>;
  priceCents: number;
  previewSeconds: Opt<number>;
  status: Opt<VideoStatus>;
  progress: Opt<number>;
  lastError?: string | null;
  attempts: Opt<number>;
  sourceKey?: string | null;
  sourceBytes?: string | null;
  sourceFilename?: string | null;
  durationSeconds?: string | null;
  width?: number | null;
  height?: number | null;
  hasAudio?: boolean | null;
  segmentSeconds?: number | null;
  segmentCount?: number | null;
  renditions: Opt<RenditionInfo[]>;
  hasPreview: Opt<boolean>;
  /** A purchase grants this many hours of access; null: for good. */
  rentalHours?: number | null;
  createdAt: Opt<Date>;
  updatedAt: Opt<Date>;
  readyAt?: Date | null;
  /** Hidden by a tenant admin (moderation): out of the catalog and off sale until restored. */
  hiddenAt?: Date | null;
  hiddenReason?: string | null;
  hiddenBy?: string | null;
  /** Unpublished by its creator: out of the catalog and off sale until published again. */
  unpublishedAt?: Date | null;
  /** Bumped by each poster chosen in the studio; poster URLs carry it (cache-busting). */
  posterVersion: Opt<number>;
}

export const VideoEntity = new EntitySchema<Video>({
  name: 'Video',
  tableName: 'videos',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    creatorId: { type: 'uuid' },
    title: { type: 'string' },
    description: { type: 'text', default: '' },
    priceCents: { type: 'integer' },
    previewSeconds: { type: 'integer', default: 0 },
    status: { type: 'string', default: 'queued' },
    progress: { type: 'float', default: 0 },
    lastError: { type: 'text', nullable: true },
    attempts: { type: 'integer', default: 0 },
    sourceKey: { type: 'string', nullable: true },
    sourceBytes: { type: 'bigint', nullable: true },
    sourceFilename: { type: 'string', nullable: true },
    durationSeconds: { type: 'decimal', nullable: true },
    width: { type: 'integer', nullable: true },
    height: { type: 'integer', nullable: true },
    hasAudio: { type: 'boolean', nullable: true },
    segmentSeconds: { type: 'integer', nullable: true },
    segmentCount: { type: 'integer', nullable: true },
    renditions: { type: 'json', onCreate: () => [] },
    hasPreview: { type: 'boolean', default: false },
    rentalHours: { type: 'integer', nullable: true },
    createdAt,
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
    readyAt: { type: 'Date', nullable: true },
    hiddenAt: { type: 'Date', nullable: true },
    hiddenReason: { type: 'text', nullable: true },
    hiddenBy: { type: 'uuid', nullable: true },
    unpublishedAt: { type: 'Date', nullable: true },
    posterVersion: { type: 'integer', default: 0 },
  },
});

export interface VideoKey {
  videoId: string;
  tenantId: string;
  keyId: string;
  sealedKey: Buffer;
  iv: Buffer;
  sealedSegmentSecret: Buffer;
  createdAt: Opt<Date>;
}

export const VideoKeyEntity = new EntitySchema<VideoKey>({
  name: 'VideoKey',
  tableName: 'video_keys',
  properties: {
    videoId: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    keyId: { type: 'string' },
    sealedKey: { type: 'blob', hidden: true },
    iv: { type: 'blob', hidden: true },
    sealedSegmentSecret: { type: 'blob', hidden: true },
    createdAt,
  },
});

export interface AllowlistEntry {
  tenantId: string;
  videoId: string;
  userId: string;
  grantedBy?: string | null;
  createdAt: Opt<Date>;
}

export const AllowlistEntryEntity = new EntitySchema<AllowlistEntry>({
  name: 'AllowlistEntry',
  tableName: 'video_allowlist',
  properties: {
    tenantId: { type: 'uuid' },
    videoId: { type: 'uuid', primary: true },
    userId: { type: 'uuid', primary: true },
    grantedBy: { type: 'uuid', nullable: true },
    createdAt,
  },
});

export interface PlaybackSession {
  id: Opt<string>;
  tenantId: string;
  videoId: string;
  userId: string;
  code: string;
  seed: Buffer;
  createdAt: Opt<Date>;
  lastSeenAt: Opt<Date>;
  expiresAt: Date;
  endedAt?: Date | null;
  ip?: string | null;
  userAgent?: string | null;
}

export const PlaybackSessionEntity = new EntitySchema<PlaybackSession>({
  name: 'PlaybackSession',
  tableName: 'playback_sessions',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    videoId: { type: 'uuid' },
    userId: { type: 'uuid' },
    code: { type: 'string' },
    seed: { type: 'blob', hidden: true },
    createdAt,
    lastSeenAt: { type: 'Date', onCreate: () => new Date() },
    expiresAt: { type: 'Date' },
    endedAt: { type: 'Date', nullable: true },
    ip: { type: 'string', columnType: 'inet', nullable: true },
    userAgent: { type: 'string', nullable: true },
  },
});

/** Admin-set USD value of a non-stable token (hub-level). Rows are history: never updated. */
export interface TokenRate {
  id: Opt<string>;
  chainId: number;
  /** Lower-case contract address; NATIVE_TOKEN (0x000…000) for the native coin. */
  token: string;
  symbol: string;
  /** Millionths of a US dollar per whole token, as a decimal string (an integer). */
  usdMicrosPerToken: string;
  validFrom: Date;
  validUntil: Date;
  setBy?: string | null;
  createdAt: Opt<Date>;
}

export const TokenRateEntity = new EntitySchema<TokenRate>({
  name: 'TokenRate',
  tableName: 'token_rates',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    chainId: { type: 'integer' },
    token: { type: 'string' },
    symbol: { type: 'string' },
    usdMicrosPerToken: { type: 'decimal', columnType: 'numeric(38,0)' },
    validFrom: { type: 'Date' },
    validUntil: { type: 'Date' },
    setBy: { type: 'uuid', nullable: true },
    createdAt,
  },
});

export interface TenantDisplayRate {
  id: Opt<string>;
  tenantId: string;
  currency: string;
  /** Units of the currency per US dollar, as a decimal string. */
  rate: string;
  setBy?: string | null;
  validFrom: Opt<Date>;
}

export const TenantDisplayRateEntity = new EntitySchema<TenantDisplayRate>({
  name: 'TenantDisplayRate',
  tableName: 'tenant_display_rates',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    tenantId: { type: 'uuid' },
    currency: { type: 'string' },
    rate: { type: 'decimal' },
    setBy: { type: 'uuid', nullable: true },
    validFrom: { type: 'Date', onCreate: () => new Date() },
  },
});

export type InvoiceStatus = 'open' | 'paid' | 'expired';

/** Exactly what the hub signed. Addresses and hashes are lower-case hex; amounts decimal strings. */
export interface Invoice {
  id: Opt<string>;
  tenantId: string;
  viewerId: string;
  videoId: string;
  invoiceId: string;
  chainId: number;
  contract: string;
  payer: string;
  token: string;
  tokenSymbol: string;
  amount: string;
  creatorAddress: string;
  tenantAddress: string;
  hubAddress: string;
  creatorBps: number;
  tenantBps: number;
  hubBps: number;
  videoIdHash: string;
  /** Unix seconds. */
  deadline: number;
  signature: string;
  priceCents: number;
  tokenRateId?: string | null;
  rentalHours?: number | null;
  status: Opt<InvoiceStatus>;
  createdAt: Opt<Date>;
  paidAt?: Date | null;
}

export const InvoiceEntity = new EntitySchema<Invoice>({
  name: 'Invoice',
  tableName: 'invoices',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    viewerId: { type: 'uuid' },
    videoId: { type: 'uuid' },
    invoiceId: { type: 'string' },
    chainId: { type: 'integer' },
    contract: { type: 'string' },
    payer: { type: 'string' },
    token: { type: 'string' },
    tokenSymbol: { type: 'string' },
    amount: { type: 'decimal', columnType: 'numeric(78,0)' },
    creatorAddress: { type: 'string' },
    tenantAddress: { type: 'string' },
    hubAddress: { type: 'string' },
    creatorBps: { type: 'integer' },
    tenantBps: { type: 'integer' },
    hubBps: { type: 'integer' },
    videoIdHash: { type: 'string' },
    deadline: { type: new BigIntType('number') },
    signature: { type: 'string' },
    priceCents: { type: 'integer' },
    tokenRateId: { type: 'bigint', nullable: true },
    rentalHours: { type: 'integer', nullable: true },
    status: { type: 'string', default: 'open' },
    createdAt,
    paidAt: { type: 'Date', nullable: true },
  },
});

export type PaymentStatus =
  | 'credited'
  | 'overpaid'
  | 'late'
  | 'underpaid'
  | 'mismatch'
  | 'duplicate'
  | 'unknown_invoice'
  | 'orphaned';

/** One `Paid` event as recorded (written by the payments repository). */
export interface Payment {
  id: Opt<string>;
  tenantId?: string | null;
  chainId: number;
  contract: string;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockHash: string;
  invoiceRef?: string | null;
  invoiceId: string;
  payer: string;
  token: string;
  amount: string;
  creatorShare: string;
  tenantShare: string;
  hubShare: string;
  status: PaymentStatus;
  problem?: string | null;
  recordedAt: Opt<Date>;
  orphanedAt?: Date | null;
}

export const PaymentEntity = new EntitySchema<Payment>({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    id,
    tenantId: { type: 'uuid', nullable: true },
    chainId: { type: 'integer' },
    contract: { type: 'string' },
    txHash: { type: 'string' },
    logIndex: { type: 'integer' },
    blockNumber: { type: new BigIntType('number') },
    blockHash: { type: 'string' },
    invoiceRef: { type: 'uuid', nullable: true },
    invoiceId: { type: 'string' },
    payer: { type: 'string' },
    token: { type: 'string' },
    amount: { type: 'decimal', columnType: 'numeric(78,0)' },
    creatorShare: { type: 'decimal', columnType: 'numeric(78,0)' },
    tenantShare: { type: 'decimal', columnType: 'numeric(78,0)' },
    hubShare: { type: 'decimal', columnType: 'numeric(78,0)' },
    status: { type: 'string' },
    problem: { type: 'text', nullable: true },
    recordedAt: { type: 'Date', onCreate: () => new Date() },
    orphanedAt: { type: 'Date', nullable: true },
  },
});

export interface Entitlement {
  id: Opt<string>;
  tenantId: string;
  userId: string;
  videoId: string;
  source: 'purchase' | 'allowlist';
  paymentId?: string | null;
  grantedAt: Opt<Date>;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  revokeReason?: string | null;
}

export const EntitlementEntity = new EntitySchema<Entitlement>({
  name: 'Entitlement',
  tableName: 'entitlements',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    userId: { type: 'uuid' },
    videoId: { type: 'uuid' },
    source: { type: 'string' },
    paymentId: { type: 'uuid', nullable: true },
    grantedAt: { type: 'Date', onCreate: () => new Date() },
    expiresAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
    revokeReason: { type: 'text', nullable: true },
  },
});

export interface CreatorBlock {
  tenantId: string;
  creatorId: string;
  userId: string;
  reason?: string | null;
  createdAt: Opt<Date>;
}

export const CreatorBlockEntity = new EntitySchema<CreatorBlock>({
  name: 'CreatorBlock',
  tableName: 'creator_blocks',
  properties: {
    tenantId: { type: 'uuid', primary: true },
    creatorId: { type: 'uuid', primary: true },
    userId: { type: 'uuid', primary: true },
    reason: { type: 'text', nullable: true },
    createdAt,
  },
});

export type LedgerParty = 'creator' | 'tenant' | 'hub';

export interface LedgerEntry {
  id: Opt<string>;
  tenantId: string;
  paymentId: string;
  kind: 'share' | 'reversal';
  party: LedgerParty;
  partyUserId?: string | null;
  address: string;
  videoId?: string | null;
  chainId: number;
  token: string;
  tokenSymbol: string;
  /** Smallest token units, negative for a reversal. */
  amount: string;
  usdCents: number;
  createdAt: Opt<Date>;
}

export const LedgerEntryEntity = new EntitySchema<LedgerEntry>({
  name: 'LedgerEntry',
  tableName: 'ledger_entries',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    tenantId: { type: 'uuid' },
    paymentId: { type: 'uuid' },
    kind: { type: 'string' },
    party: { type: 'string' },
    partyUserId: { type: 'uuid', nullable: true },
    address: { type: 'string' },
    videoId: { type: 'uuid', nullable: true },
    chainId: { type: 'integer' },
    token: { type: 'string' },
    tokenSymbol: { type: 'string' },
    amount: { type: 'decimal', columnType: 'numeric(78,0)' },
    usdCents: { type: new BigIntType('number') },
    createdAt,
  },
});

export type TraceStatus = 'queued' | 'running' | 'done' | 'error';

/** A leak trace asked for from the console: a recording of one video, traced by `trace_leak`. */
export interface TraceRequest {
  id: Opt<string>;
  tenantId: string;
  videoId: string;
  requestedBy?: string | null;
  filename: string;
  bytes: number;
  fileKey?: string | null;
  status: Opt<TraceStatus>;
  verdict?: 'match' | 'no_match' | null;
  result?: Record<string, unknown> | null;
  lastError?: string | null;
  createdAt: Opt<Date>;
  finishedAt?: Date | null;
}

export const TraceRequestEntity = new EntitySchema<TraceRequest>({
  name: 'TraceRequest',
  tableName: 'trace_requests',
  properties: {
    id,
    tenantId: { type: 'uuid' },
    videoId: { type: 'uuid' },
    requestedBy: { type: 'uuid', nullable: true },
    filename: { type: 'string' },
    bytes: { type: new BigIntType('number') },
    fileKey: { type: 'string', nullable: true },
    status: { type: 'string', onCreate: () => 'queued' },
    verdict: { type: 'string', nullable: true },
    result: { type: 'json', nullable: true },
    lastError: { type: 'string', nullable: true },
    createdAt,
    finishedAt: { type: 'Date', nullable: true },
  },
});

export const entities = [
  TenantEntity,
  TenantHostnameEntity,
  UserEntity,
  WalletEntity,
  MembershipEntity,
  SessionEntity,
  PasswordResetEntity,
  SiweNonceEntity,
  ApiTokenEntity,
  OutboxEmailEntity,
  AuditEntryEntity,
  VideoEntity,
  VideoKeyEntity,
  AllowlistEntryEntity,
  PlaybackSessionEntity,
  TokenRateEntity,
  TenantDisplayRateEntity,
  InvoiceEntity,
  PaymentEntity,
  EntitlementEntity,
  CreatorBlockEntity,
  LedgerEntryEntity,
  TraceRequestEntity,
];
