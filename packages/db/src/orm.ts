import { type EntityManager, MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { entities } from './entities';

export type { EntityManager };

/** The role every application connection runs as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = 'ppv_app';

export interface OrmOptions {
  url: string;
  poolMax?: number;
  debug?: boolean;
}

interface PgConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

export async function createOrm({ url, poolMax = 10, debug = false }: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities,
    debug,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: false },
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(conn: PgConnection, done: (err: Error | null, conn: PgConnection) => void) {
        conn.query(`SET ROLE ${APP_ROLE}`, (err) => done(err, conn));
      },
    },
  });
}

/** Sets the tenant row-level security sees, until the end of the (implicit or explicit) transaction. */
const SET_TENANT = "SELECT set_config('app.tenant_id', ?, true)";

/**
 * Runs `fn` in a transaction scoped to one tenant: row-level security shows and accepts only that
 * tenant's rows. Everything tenant-owned goes through here.
 */
export function withTenant<T>(
  orm: MikroORM,
  tenantId: string,
  fn: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    await em.execute(SET_TENANT, [tenantId]);
    return fn(em);
  });
}

/**
 * Runs one statement in a tenant's scope in one round trip, without an explicit transaction:
 * `set_config('app.tenant_id', …, true)` and `sql` travel as one simple-protocol message, which
 * PostgreSQL runs as one implicit transaction, so row-level security sees the tenant for exactly
 * that statement and the setting is gone with it (a write commits with it). withTenant costs
 * four round trips for the same statement (BEGIN, set_config, the statement, COMMIT): use this on
 * hot paths whose work is one statement at a time (the playback routes); anything whose statements
 * must agree with each other belongs in withTenant. `?` values are formatted into the text as
 * `em.execute` formats them.
 */
export async function executeAsTenant<T extends object>(
  orm: MikroORM,
  tenantId: string,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  if (sql.includes(';')) throw new Error('executeAsTenant runs one statement: its SQL may not contain ";"');
  const text = orm.em.getPlatform().formatQuery(`${SET_TENANT}; ${sql}`, [tenantId, ...params]);
  const results = (await orm.em.getConnection().getKnex().raw(text)) as { rows: T[] }[];
  return results[1]!.rows;
}

/** Where a repository function runs its statement: a transaction's `em`, or a `tenantStatement`. */
export type StatementRunner =
  | EntityManager
  | (<T extends object>(sql: string, params: unknown[]) => Promise<T[]>);

/** A StatementRunner running each statement on its own in `tenantId`'s scope (executeAsTenant). */
export const tenantStatement =
  (orm: MikroORM, tenantId: string) =>
  <T extends object>(sql: string, params: unknown[]) =>
    executeAsTenant<T>(orm, tenantId, sql, params);

/** Runs `sql` through `runner`. */
export function runStatement<T extends object>(
  runner: StatementRunner,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  return typeof runner === 'function' ? runner<T>(sql, params) : runner.execute<T[]>(sql, params);
}

/** Runs `fn` in a transaction that sees every tenant: hub-admin use-cases and maintenance jobs only. */
export function withHubScope<T>(orm: MikroORM, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    await em.execute("SELECT set_config('app.hub_scope', 'on', true)");
    return fn(em);
  });
}

/**
 * Runs raw SQL in `em`'s transaction with `?` placeholders sent as bind parameters, and returns
 * its rows. `em.execute` instead formats every value into the SQL text on the client (escaping it
 * character by character) and PostgreSQL then parses it back as a literal: for the megabytes of JSON
 * a batch of chain events carries, that round trip alone cost more than the statement's own work.
 * Use it for statements with large parameters; `??` (an identifier) is not supported.
 */
export async function executeBound<T extends object>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  const query = em
    .getConnection()
    .getKnex()
    .raw(sql, params as never[]);
  const trx = em.getTransactionContext();
  if (trx) query.transacting(trx);
  const result = (await query) as { rows: T[] };
  return result.rows;
}
