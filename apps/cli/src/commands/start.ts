import { join } from 'node:path';
import {
  type AnvilInstance,
  DEV_ACCOUNTS,
  DEV_FUND_AMOUNT,
  type DevDeployment,
  ensureDevDeployment,
  startAnvil,
} from '@ppv/chain';
import { createLogger, type Env, type Logger, redactUrl } from '@ppv/config';
import { createSmtpMailer } from '@ppv/core';
import { migrate } from '@ppv/db';
import { type Storefront, startHub } from '@ppv/hub';
import { ensureStorefrontBuilt, loadStorefront } from '@ppv/storefront';
import { type RunningWorker, startWorker } from '@ppv/worker';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../embedded/postgres';
import { createDeps, dataDir } from '../runtime';
import { demoAccounts, seed } from '../seed';

export interface StartedStack {
  url: string;
  databaseUrl: string;
  rpcUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the whole product: embedded PostgreSQL and an anvil dev chain unless DATABASE_URL / RPC_URL
 * are configured, migrations, the demo seed (first start), the job worker and the hub. stop() takes
 * everything down in reverse order; nothing is left running.
 */
export async function startStack(
  configured: Env,
  opts: { printBanner?: boolean } = {},
): Promise<StartedStack> {
  let env = configured;
  const logger = createLogger(env);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) {
      await fn().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
    stops.length = 0;
  };
  try {
    let databaseUrl = env.DATABASE_URL;
    let embeddedPg: EmbeddedPostgres | undefined;
    if (!databaseUrl) {
      embeddedPg = await startEmbeddedPostgres({
        dataDir: dataDir(env),
        logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      });
      stops.push(() => embeddedPg!.stop());
      databaseUrl = embeddedPg.url;
    }
    let rpcUrl = env.RPC_URL;
    let anvil: AnvilInstance | undefined;
    if (!rpcUrl) {
      anvil = await startAnvil({ chainId: env.CHAIN_ID, stateFile: join(dataDir(env), 'anvil-state.json') });
      stops.push(() => anvil!.stop());
      rpcUrl = anvil.rpcUrl;
    }
    let devChain: DevDeployment | undefined;
    if (anvil && !env.SPLITTER_ADDRESS) {
      devChain = await ensureDevDeployment({
        rpcUrl,
        chainId: env.CHAIN_ID,
        stateFile: join(dataDir(env), 'dev-contracts.json'),
        fundAddresses: DEMO_WALLETS.map((a) => a.address),
      });
      env = withDevChain(env, devChain);
      logger.info(
        { splitter: devChain.splitter, stablecoin: devChain.stablecoin, deployed: devChain.deployed },
        'dev chain contracts ready',
      );
    }
    const migrated = await migrate(databaseUrl);
    logger.info({ applied: migrated.applied, database: redactUrl(databaseUrl) }, 'database migrated');

    const deps = await createDeps(env, { databaseUrl, rpcUrl, logger });
    stops.push(() => deps.orm.close(true));
    const seeded =
      env.NODE_ENV !== 'production' &&
      (await seed(deps, env.DEFAULT_TENANT, {
        viewerWallets: devChain ? DEMO_WALLETS.map((w) => w.address) : [],
      }));

    let worker: RunningWorker | undefined;
    if (env.RUN_WORKER) {
      const mailer = env.SMTP_URL ? createSmtpMailer(env.SMTP_URL) : null;
      worker = await startWorker({
        deps,
        connectionString: databaseUrl,
        concurrency: env.WORKER_CONCURRENCY,
        mailer,
        mailFrom: env.MAIL_FROM,
        encoder: env.VIDEO_ENCODER,
        transcodeConcurrency: env.TRANSCODE_CONCURRENCY,
      });
      stops.push(async () => {
        await worker!.stop();
        mailer?.close();
      });
    }
    const storefront = await prepareStorefront(env, logger);
    const hub = await startHub({
      deps,
      host: env.HOST,
      port: env.PORT,
      trustProxy: env.TRUST_PROXY,
      storefront,
    });
    stops.push(() => hub.close());
    logger.info({ url: hub.url, worker: !!worker }, 'hub listening');

    if (opts.printBanner)
      printBanner({
        env,
        url: hub.url,
        port: hub.port,
        databaseUrl,
        rpcUrl,
        embedded: !!embeddedPg,
        anvil: !!anvil,
        seeded,
        storefront: !!storefront,
        devChain,
      });
    return { url: hub.url, databaseUrl, rpcUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Anvil's dev accounts after the owner, invoice signer and hub payout wallet: demo viewers' wallets. */
const DEMO_WALLETS = DEV_ACCOUNTS.slice(3, 6);

/** The configuration with the dev chain's contracts as the payment settings (the stablecoin first). */
function withDevChain(env: Env, chain: DevDeployment): Env {
  return {
    ...env,
    INVOICE_SIGNER_KEY: chain.invoiceSignerKey,
    SPLITTER_ADDRESS: chain.splitter,
    HUB_PAYOUT_WALLET: chain.hubPayoutWallet,
    PAYMENT_TOKENS: [
      { symbol: 'TUSD', address: chain.stablecoin, decimals: 6, stable: true },
      ...env.PAYMENT_TOKENS.filter((t) => t.address.toLowerCase() !== chain.stablecoin.toLowerCase()),
    ],
  };
}

/**
 * The viewer storefront's build, made first when it is missing or older than its sources (outside
 * production: a production image ships it built). Without one the hub still serves everything else.
 */
async function prepareStorefront(env: Env, logger: Logger): Promise<Storefront | undefined> {
  if (env.NODE_ENV !== 'production') {
    const started = Date.now();
    const state = await ensureStorefrontBuilt();
    if (state === 'built') logger.info({ ms: Date.now() - started }, 'storefront built');
  }
  try {
    return await loadStorefront();
  } catch (error) {
    logger.warn(
      { err: error },
      'no storefront build (npm run build -w @ppv/storefront): serving the hub without it',
    );
    return undefined;
  }
}

function printBanner(info: {
  env: Env;
  url: string;
  port: number;
  databaseUrl: string;
  rpcUrl: string;
  embedded: boolean;
  anvil: boolean;
  seeded: boolean;
  storefront: boolean;
  devChain: DevDeployment | undefined;
}): void {
  const lines = [
    '',
    'PPV Stream is running.',
    '',
    ...(info.env.NODE_ENV === 'production'
      ? [`  Hub                 ${info.url} (tenants at <slug>.${info.env.HUB_DOMAIN})`]
      : [
          `  Hub (demo tenant)   ${info.url}`,
          `  Same, by subdomain  http://${info.env.DEFAULT_TENANT}.localhost:${info.port}`,
        ]),
    ...(info.storefront
      ? [`  Storefront          ${info.url}/`]
      : ['  Storefront          not built (npm run build -w @ppv/storefront)']),
    `  Health              ${info.url}/healthz`,
    `  Database            ${redactUrl(info.databaseUrl)}${info.embedded ? ` (embedded, data in ${dataDir(info.env)})` : ''}`,
    // A provider URL often carries an API key in its path: show only the origin of a configured one.
    `  Chain               ${info.anvil ? `${info.rpcUrl} (anvil dev chain, id ${info.env.CHAIN_ID})` : `${new URL(info.rpcUrl).origin}/… (chain ${info.env.CHAIN_ID})`}`,
    '',
  ];
  if (info.env.NODE_ENV !== 'production') {
    lines.push(
      'Development accounts (development only, never use these anywhere real):',
      `  hub admin     ${demoAccounts.hubAdmin.username} / ${demoAccounts.hubAdmin.password}`,
      `  tenant admin  ${demoAccounts.tenantAdmin.username} / ${demoAccounts.tenantAdmin.password}`,
      `  creator       ${demoAccounts.creator.username} / ${demoAccounts.creator.password}`,
      `  viewers       user01 … user10 / Passw0rd01! … Passw0rd10! (emails user01@example.com …)`,
      info.seeded ? '  (seeded just now)' : '',
      '',
    );
  }
  if (info.devChain) {
    lines.push(
      'Dev chain contracts and wallets (development only: these keys are public, never use them anywhere real):',
      `  splitter      ${info.devChain.splitter}`,
      `  TestUSD       ${info.devChain.stablecoin} (6 decimals; ${(DEV_FUND_AMOUNT / 1_000_000n).toLocaleString('en-US')} minted to each wallet below when deployed)`,
      `  hub payout    ${info.devChain.hubPayoutWallet}`,
      ...DEMO_WALLETS.map(
        (w, i) =>
          `  wallet ${i + 1}      ${w.address}  key ${w.privateKey}  (linked to ${demoAccounts.viewers[i]?.username})`,
      ),
      '',
    );
  }
  lines.push('Press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n'));
}

/** `ppv start`: runs until SIGINT/SIGTERM, then stops everything it started. */
export async function startCommand(env: Env): Promise<void> {
  const stack = await startStack(env, { printBanner: true });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    // A connection that errors while the database goes down must not crash the process before the
    // embedded PostgreSQL and anvil are stopped: during shutdown such errors are only reported.
    process.on('uncaughtException', (error) => process.stderr.write(`while stopping: ${error.message}\n`));
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
