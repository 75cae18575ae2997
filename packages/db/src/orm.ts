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
    await em.execute("SELECT set_config('app.tenant_id', ?, true)", [tenantId]);
    return fn(em);
  });
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
