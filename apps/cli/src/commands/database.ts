import type { Env } from '@ppv/config';
import { startEmbeddedPostgres } from '../embedded/postgres';
import { dataDir } from '../runtime';

/** Runs `fn` against DATABASE_URL, or against the embedded development database while it runs. */
export async function withDatabase<T>(env: Env, fn: (url: string) => Promise<T>): Promise<T> {
  if (env.DATABASE_URL) return fn(env.DATABASE_URL);
  const pg = await startEmbeddedPostgres({ dataDir: dataDir(env) });
  try {
    return await fn(pg.url);
  } finally {
    await pg.stop();
  }
}
