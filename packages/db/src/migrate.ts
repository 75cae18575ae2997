import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations as runWorkerMigrations, Logger as WorkerLogger } from 'graphile-worker';
import pg from 'pg';

/**
 * The top-level migrations/ folder, the one source of schema truth: found by walking up from this
 * module, so it works from the sources and from a bundled build alike.
 */
export const migrationsDir = findMigrationsDir(dirname(fileURLToPath(import.meta.url)));

function findMigrationsDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, '0001_foundation.sql'))) return `${candidate}/`;
    if (dirname(dir) === dir) return join(from, 'migrations/');
  }
}

const silentWorkerLogger = new WorkerLogger(() => () => undefined);

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(`${dir}${name}`, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies the job queue's schema and then every pending file of migrations/ in order, each in its
 * own transaction, under an advisory lock so that concurrent starts do not race. A changed file
 * that was already applied is an error: migrations are append-only.
 */
export async function migrate(connectionString: string, dir = migrationsDir): Promise<MigrationResult> {
  await runWorkerMigrations({ connectionString, logger: silentWorkerLogger });
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['ppv_migrate']);
    await client.query(`CREATE TABLE IF NOT EXISTS ppv_schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (
        await client.query<{ name: string; checksum: string }>(
          'SELECT name, checksum FROM ppv_schema_migrations',
        )
      ).rows.map((r) => [r.name, r.checksum]),
    );
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of await readMigrations(dir)) {
      const previous = done.get(file.name);
      if (previous) {
        if (previous !== file.checksum) {
          throw new Error(
            `migration ${file.name} was changed after it was applied; add a new migration instead`,
          );
        }
        result.alreadyApplied.push(file.name);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(file.sql);
        await client.query('INSERT INTO ppv_schema_migrations (name, checksum) VALUES ($1, $2)', [
          file.name,
          file.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
      }
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['ppv_migrate']).catch(() => undefined);
    await client.end();
  }
}
