import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@ppv/config';
import { InvoiceEntity, type Tenant, VideoEntity, withHubScope, withTenant } from '@ppv/db';
import { createTestDatabase, type TestDatabase } from '@ppv/db/testing';
import { LocalStorage } from '@ppv/media';
import { getAddress, type Hex, toHex } from 'viem';
import type { CookieWriter, RequestMeta } from './context';
import type { AppDeps, ChainDeps, ChainPaidEvent, CoreConfig, RecordedPayment } from './index';
import { createCaller, createTenant, createUser, recordPaidEvents } from './index';

export const testConfig: CoreConfig = {
  nodeEnv: 'test',
  sessionSecret: 'test-session-secret-0123456789abcdef0123456789',
  sessionTtlHours: 24,
  hubDomain: 'hub.test',
  defaultTenant: 'demo',
  chainId: 31337,
  authRateLimitPerIp: 1000,
  authRateLimitPerAccount: 1000,
  authRateLimitWindowSeconds: 900,
  money: {
    payments: null,
    hubFeeBps: 500,
    tokens: [],
    confirmations: 1,
    invoiceTtlSeconds: 900,
    quoteTtlSeconds: 120,
  },
  indexer: { batchBlocks: 2_000, startBlock: 0, reorgDepth: 64, maxLagBlocks: 20, pollIntervalMs: 2_000 },
  media: {
    masterKey: Buffer.alloc(32, 7),
    playbackKeys: { current: 'k2', keys: { k2: Buffer.alloc(32, 2), k1: Buffer.alloc(32, 1) } },
    playbackTokenTtlSeconds: 600,
    maxPlaybackSessions: 3,
    playlistAuthorizationSeconds: 5,
    maxUploadBytes: 50 * 1024 * 1024,
    allowExts: ['mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'ts', 'flv'],
    uploadExpiryHours: 24,
    /** Replaced by a private folder per harness. */
    uploadDir: '',
    segmentSeconds: 2,
    tools: { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' },
  },
};

export interface Harness {
  db: TestDatabase;
  deps: AppDeps;
  /** This harness's private media folder (the local store's root; uploads under `.uploads`). */
  mediaDir: string;
  /** Moves the clock the use-cases see. */
  advance(ms: number): void;
  tenant(slug?: string): Promise<Tenant>;
  client(tenant: Tenant, opts?: ClientOptions): TestClient;
  /** A user with a password, signed in on `tenant` through the real login procedure. */
  signedIn(
    tenant: Tenant,
    opts?: { role?: 'viewer' | 'creator' | 'tenant_admin'; hubAdmin?: boolean },
  ): Promise<TestClient & { userId: string; username: string; password: string }>;
  close(): Promise<void>;
}

export interface ClientOptions {
  ip?: string;
  host?: string;
  authorization?: string;
  /** Send the CSRF header from the csrf cookie on mutations (as a browser client would). */
  csrf?: boolean;
}

let counter = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;
export const PASSWORD = 'Correct-Horse-42';

export class TestClient {
  cookies: Record<string, string> = {};
  constructor(
    private readonly harness: Harness,
    readonly tenant: Tenant,
    readonly opts: ClientOptions = {},
  ) {}

  get req(): RequestMeta {
    return {
      ip: this.opts.ip ?? '203.0.113.7',
      host: this.opts.host ?? `${this.tenant.slug}.${testConfig.hubDomain}`,
      secure: false,
      userAgent: 'vitest',
      cookies: { ...this.cookies },
      authorization: this.opts.authorization,
      csrfToken: this.opts.csrf === false ? undefined : this.cookies.ppv_csrf,
    };
  }

  get api() {
    const writer: CookieWriter = {
      set: (name, value) => {
        this.cookies[name] = value;
      },
      clear: (name) => {
        delete this.cookies[name];
      },
    };
    return createCaller({ deps: this.harness.deps, tenant: this.tenant, req: this.req, cookies: writer });
  }

  /** The same cookies presented to another tenant's host. */
  on(tenant: Tenant): TestClient {
    const other = new TestClient(this.harness, tenant, this.opts);
    other.cookies = { ...this.cookies };
    return other;
  }
}

export async function createHarness(options: { chain?: ChainDeps } = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const mediaDir = await mkdtemp(join(tmpdir(), 'ppv-media-'));
  let offset = 0;
  const deps: AppDeps = {
    orm: db.orm,
    config: { ...testConfig, media: { ...testConfig.media, uploadDir: join(mediaDir, '.uploads') } },
    logger: createLogger({ LOG_LEVEL: 'silent' }),
    chain: options.chain,
    storage: new LocalStorage(mediaDir),
    clock: () => new Date(Date.now() + offset),
  };
  const harness: Harness = {
    db,
    deps,
    mediaDir,
    advance(ms) {
      offset += ms;
    },
    tenant: (slug = unique('t')) => createTenant(deps, { slug, name: `Tenant ${slug}` }),
    client: (tenant, opts) => new TestClient(harness, tenant, opts),
    async signedIn(tenant, opts = {}) {
      const username = unique('u');
      const user = await createUser(db.orm.em.fork(), {
        username,
        email: `${username}@example.com`,
        password: PASSWORD,
        isHubAdmin: opts.hubAdmin ?? false,
      });
      const client = harness.client(tenant);
      await client.api.auth.login({ login: username, password: PASSWORD });
      if (opts.role && opts.role !== 'viewer') {
        await db.orm.em.fork().transactional(async (em) => {
          await em.execute("SELECT set_config('app.tenant_id', ?, true)", [tenant.id]);
          await em.execute('UPDATE memberships SET role = ? WHERE user_id = ?', [opts.role, user.id]);
        });
      }
      return Object.assign(client, { userId: user.id, username, password: PASSWORD });
    },
    async close() {
      await db.drop();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface TestSale {
  tenant: Tenant;
  creatorId: string;
  viewerId: string;
  videoId: string;
  invoiceId: Hex;
  event: ChainPaidEvent;
  payment: RecordedPayment;
}

const randomHex = (bytes: number) => toHex(randomBytes(bytes));
const TEST_SPLITTER = getAddress(randomHex(20));
const TEST_TOKEN = getAddress(randomHex(20));
let testBlock = 1_000n;

/**
 * A paid 10.00 USD purchase of 10 TUSD (creator 85%, tenant 10%, hub 5%) recorded as the chain
 * indexer records a `Paid` event: an invoice, then the event (so payment, entitlement and ledger
 * lines). A new creator, viewer and video unless given; `paid` below 10 TUSD makes it underpaid;
 * `at` is when it is recorded (the ledger lines' date). Sales of one viewer and video run one after
 * the other: a viewer has one open invoice per video.
 */
export async function recordTestSale(
  h: Harness,
  tenant: Tenant,
  opts: { creatorId?: string; viewerId?: string; videoId?: string; paid?: bigint; at?: Date } = {},
): Promise<TestSale> {
  const creatorId = opts.creatorId ?? (await h.signedIn(tenant, { role: 'creator' })).userId;
  const viewerId = opts.viewerId ?? (await h.signedIn(tenant)).userId;
  const invoiceId = randomHex(32);
  const payer = getAddress(randomHex(20));
  const videoId = await withTenant(h.db.orm, tenant.id, async (em) => {
    let id = opts.videoId;
    if (!id) {
      const video = em.create(VideoEntity, {
        tenantId: tenant.id,
        creatorId,
        title: 'Sold',
        priceCents: 1000,
        status: 'ready',
      });
      await em.flush();
      id = video.id;
    }
    em.create(InvoiceEntity, {
      tenantId: tenant.id,
      viewerId,
      videoId: id,
      invoiceId,
      chainId: testConfig.chainId,
      contract: TEST_SPLITTER.toLowerCase(),
      payer: payer.toLowerCase(),
      token: TEST_TOKEN.toLowerCase(),
      tokenSymbol: 'TUSD',
      amount: '10000000',
      creatorAddress: randomHex(20),
      tenantAddress: randomHex(20),
      hubAddress: randomHex(20),
      creatorBps: 8500,
      tenantBps: 1000,
      hubBps: 500,
      videoIdHash: randomHex(32),
      deadline: Math.floor(Date.now() / 1000) + 900,
      signature: randomHex(65),
      priceCents: 1000,
    });
    await em.flush();
    return id;
  });
  testBlock += 1n;
  const amount = opts.paid ?? 10_000_000n;
  const event: ChainPaidEvent = {
    chainId: testConfig.chainId,
    invoiceId,
    payer,
    creator: getAddress(randomHex(20)),
    token: TEST_TOKEN,
    amount,
    tenant: getAddress(randomHex(20)),
    hub: getAddress(randomHex(20)),
    creatorShare: (amount * 8500n) / 10_000n,
    tenantShare: (amount * 1000n) / 10_000n,
    hubShare: amount - (amount * 8500n) / 10_000n - (amount * 1000n) / 10_000n,
    videoIdHash: randomHex(32),
    address: TEST_SPLITTER,
    blockNumber: testBlock,
    blockHash: randomHex(32),
    transactionHash: randomHex(32),
    logIndex: 0,
  };
  const at = opts.at;
  const clock = at ? () => at : h.deps.clock;
  const [payment] = await withHubScope(h.db.orm, (em) => recordPaidEvents({ em, clock }, [event]));
  if (!payment) throw new Error('the Paid event was not recorded');
  return { tenant, creatorId, viewerId, videoId, invoiceId, event, payment };
}
