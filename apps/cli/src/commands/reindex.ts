import type { Env } from '@ppv/config';
import { resetIndexerCursor } from '@ppv/core';
import { migrate } from '@ppv/db';
import { createDeps } from '../runtime';
import { withDatabase } from './database';

/**
 * `ppv reindex [--from <block>]`: the chain indexer reads the splitter's `Paid` events again from
 * `<block>` (default INDEXER_START_BLOCK) on its next pass. Payments already recorded are kept and
 * never recorded twice, so it is safe to run at any time, and more than once.
 */
export async function reindexCommand(env: Env, opts: { from?: string }): Promise<void> {
  if (!env.RPC_URL) {
    throw new Error('ppv reindex needs RPC_URL (and the payment settings) of the chain to index');
  }
  await withDatabase(env, async (databaseUrl) => {
    await migrate(databaseUrl);
    const deps = await createDeps(env, { databaseUrl, rpcUrl: env.RPC_URL });
    try {
      const reset = await resetIndexerCursor(deps, opts.from === undefined ? {} : { from: opts.from });
      process.stdout.write(
        `Indexer of ${reset.contract} on chain ${reset.chainId}: reads again from block ${reset.from} ` +
          `(was at ${reset.previous ?? 'nothing indexed yet'}); recorded payments are kept\n`,
      );
    } finally {
      await deps.orm.close(true);
    }
  });
}
