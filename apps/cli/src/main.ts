import { redactUrl } from '@ppv/config';
import { migrate } from '@ppv/db';
import { Command } from 'commander';
import { adminCreateCommand, describeError, tenantCreateCommand } from './commands/admin';
import { withDatabase } from './commands/database';
import { reindexCommand } from './commands/reindex';
import { startCommand } from './commands/start';
import { traceCommand } from './commands/trace';
import { workerCommand } from './commands/worker';
import { createDeps, loadEnv } from './runtime';
import { seed } from './seed';

const program = new Command()
  .name('ppv')
  .description('PPV Stream: a self-hosted, multi-tenant pay-per-view video hub')
  .showHelpAfterError();

const run = (fn: () => Promise<void>) => async () => {
  try {
    await fn();
  } catch (error) {
    process.stderr.write(`error: ${describeError(error)}\n`);
    // Exit now: a half-opened database pool or child process must not keep a failed command alive.
    process.exit(1);
  }
};

program
  .command('start')
  .description(
    'Run the hub and the job worker (embedded PostgreSQL and anvil when DATABASE_URL / RPC_URL are not set)',
  )
  .action(run(() => startCommand(loadEnv())));

program
  .command('migrate')
  .description('Apply pending database migrations')
  .action(
    run(async () => {
      const env = loadEnv();
      await withDatabase(env, async (url) => {
        const result = await migrate(url);
        process.stdout.write(
          `${redactUrl(url)}: applied ${result.applied.length} (${result.applied.join(', ') || 'none pending'})\n`,
        );
      });
    }),
  );

program
  .command('seed')
  .description('Create the demo tenant and development accounts (idempotent)')
  .action(
    run(async () => {
      const env = loadEnv();
      await withDatabase(env, async (url) => {
        await migrate(url);
        const deps = await createDeps(env, { databaseUrl: url });
        try {
          const created = await seed(deps, env.DEFAULT_TENANT);
          process.stdout.write(
            created
              ? `Seeded tenant ${env.DEFAULT_TENANT}\n`
              : `Tenant ${env.DEFAULT_TENANT} already seeded; accounts checked\n`,
          );
        } finally {
          await deps.orm.close(true);
        }
      });
    }),
  );

program
  .command('worker')
  .description('Run only the job worker (needs DATABASE_URL)')
  .action(run(() => workerCommand(loadEnv())));

program
  .command('reindex')
  .description(
    "Make the chain indexer read the splitter's Paid events again (recorded payments are kept, never doubled)",
  )
  .option('--from <block>', 'the first block to read again (default INDEXER_START_BLOCK)')
  .action((opts: { from?: string }) => run(() => reindexCommand(loadEnv(), opts))());

program
  .command('trace')
  .description(
    'Name the playback session (viewer, tenant, time) a leaked recording came from, or say no match',
  )
  .argument('<file>', 'the leaked recording (any container ffmpeg reads)')
  .option('--video <id>', 'the video it shows (faster); without it, every watermarked video is tried')
  .option('--json', 'print the full verdict with the evidence as JSON')
  .action((file: string, opts: { video?: string; json?: boolean }) =>
    run(() => traceCommand(loadEnv(), file, opts))(),
  );

const tenant = program.command('tenant').description('Manage tenants');
tenant
  .command('create')
  .description('Create a tenant')
  .requiredOption('--slug <slug>', 'subdomain slug, e.g. acme (served at acme.<HUB_DOMAIN>)')
  .requiredOption('--name <name>', 'display name')
  .option('--host <hostname...>', 'custom host names')
  .option('--admin <user>', 'username or email of an existing user to make tenant admin')
  .option('--fee <bps>', 'tenant fee in basis points (0–10000)')
  .option('--currency <code>', 'display currency, e.g. IDR')
  .option('--rate <rate>', 'display-currency units per US dollar, e.g. 17000')
  .action((opts: Parameters<typeof tenantCreateCommand>[1]) =>
    run(() => tenantCreateCommand(loadEnv(), opts))(),
  );

const admin = program.command('admin').description('Manage hub administrators');
admin
  .command('create')
  .description('Create a hub administrator account')
  .requiredOption('--username <username>')
  .requiredOption('--email <email>')
  .requiredOption('--password <password>', 'at least 10 characters, three character classes')
  .action((opts: Parameters<typeof adminCreateCommand>[1]) =>
    run(() => adminCreateCommand(loadEnv(), opts))(),
  );

await program.parseAsync(process.argv);
