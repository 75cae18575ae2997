import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { MikroORM } from '@mikro-orm/postgresql';
import { parseTestEnv } from '@ppv/config';
import pg from 'pg';
import { migrate, migrationsDir } from './migrate';
import { createOrm } from './orm';

export interface TestDatabase {
  /** Connection URL of the owner (the role that ran the migrations). */
  url: string;
  name: string;
  orm: MikroORM;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A URL without a user name connects as the operating-system user, as psql does. */
function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (!parsed.username) parsed.username = userInfo().username;
  return parsed.toString();
}

async function templateName(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(migrationsDir)).sort())
    hash.update(name).update(await readFile(migrationsDir + name));
  return `ppv_tpl_${hash.digest('hex').slice(0, 16)}`;
}

async function ensureTemplate(admin: pg.Client, adminUrl: string): Promise<string> {
  const template = await templateName();
  await admin.query('SELECT pg_advisory_lock(hashtext($1))', ['ppv_test_template']);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      await migrate(withDatabase(adminUrl, building));
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', ['ppv_test_template']);
  }
  return template;
}

/**
 * A fresh database cloned from a migrated template (built once per migration set), with an ORM
 * connected as the application role. Call `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = withDefaultUser(parseTestEnv().TEST_DATABASE_URL);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `ppv_test_${randomBytes(6).toString('hex')}`;
  try {
    const template = await ensureTemplate(admin, adminUrl);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const orm = await createOrm({ url, poolMax: 5 });
  return {
    url,
    name,
    orm,
    async drop() {
      await orm.close(true);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
