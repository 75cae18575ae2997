import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ROLE,
  createOrm,
  executeAsTenant,
  MembershipEntity,
  SessionEntity,
  TenantEntity,
  UserEntity,
  withHubScope,
  withTenant,
} from '../src/index';
import { createTestDatabase, type TestDatabase } from '../src/testing';

let db: TestDatabase;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const em = db.orm.em.fork();
  const a = em.create(TenantEntity, { slug: 'rls-a', name: 'A' });
  const b = em.create(TenantEntity, { slug: 'rls-b', name: 'B' });
  const user = em.create(UserEntity, { username: 'rls_user', email: 'rls@example.com' });
  await em.flush();
  tenantA = a.id;
  tenantB = b.id;
  for (const tenantId of [tenantA, tenantB]) {
    await withTenant(db.orm, tenantId, async (tx) => {
      tx.create(MembershipEntity, { tenantId, userId: user.id, role: 'viewer' });
      tx.create(SessionEntity, {
        tenantId,
        userId: user.id,
        tokenHash: randomBytes(32),
        authMethod: 'password',
        expiresAt: new Date(Date.now() + 60_000),
      });
    });
  }
});

afterAll(() => db?.drop());

/** A raw connection as the application role, bypassing the ORM and every application filter. */
async function asAppRole<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`SET ROLE ${APP_ROLE}`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('row-level security', () => {
  it('shows nothing of tenant-owned tables when no tenant is set, bypassing the application', async () => {
    await asAppRole(async (client) => {
      for (const table of [
        'memberships',
        'sessions',
        'password_resets',
        'siwe_nonces',
        'api_tokens',
        'outbox_emails',
        'audit_log',
        'tenant_display_rates',
        'invoices',
        'payments',
        'entitlements',
        'creator_blocks',
        'ledger_entries',
        'x402_settlements',
      ]) {
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0].n, table).toBe(0);
      }
    });
  });

  it('shows only the tenant set for the transaction', async () => {
    const seen = await withTenant(db.orm, tenantA, (em) => em.find(SessionEntity, {}));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.tenantId).toBe(tenantA);
  });

  it('forgets the tenant when the transaction ends', async () => {
    await asAppRole(async (client) => {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantA]);
      expect((await client.query('SELECT count(*)::int AS n FROM sessions')).rows[0].n).toBe(1);
      await client.query('COMMIT');
      expect((await client.query('SELECT count(*)::int AS n FROM sessions')).rows[0].n).toBe(0);
    });
  });

  it('error: refuses to write a row for another tenant', async () => {
    await expect(
      withTenant(db.orm, tenantA, async (em) => {
        await em.execute(`INSERT INTO audit_log (tenant_id, action) VALUES ('${tenantB}', 'forged')`);
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it('error: cannot move a row to another tenant', async () => {
    await expect(
      withTenant(db.orm, tenantA, (em) => em.execute(`UPDATE sessions SET tenant_id = '${tenantB}'`)),
    ).rejects.toThrow(/row-level security/);
  });

  it('error: the application role cannot switch RLS off or escape it', async () => {
    await asAppRole(async (client) => {
      await expect(client.query('ALTER TABLE sessions DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/owner/);
      await expect(client.query('DROP POLICY tenant_isolation ON sessions')).rejects.toThrow(/owner/);
      await client.query('SET row_security = off');
      await expect(client.query('SELECT * FROM sessions')).rejects.toThrow(/row-level security/);
    });
    const { rows } = await asAppRole((c) =>
      c.query('SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user'),
    );
    expect(rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
  });

  it('executeAsTenant scopes exactly its one statement, on a connection that then sees nothing', async () => {
    // One connection, so the statement after it runs where the setting would have stayed.
    const orm = await createOrm({ url: db.url, poolMax: 1 });
    try {
      const count = 'SELECT count(*)::int AS n, min(tenant_id::text) AS tenant FROM sessions';
      expect(await executeAsTenant(orm, tenantA, count, [])).toEqual([{ n: 1, tenant: tenantA }]);
      expect(await executeAsTenant(orm, tenantB, count, [])).toEqual([{ n: 1, tenant: tenantB }]);
      const after = await orm.em
        .fork()
        .execute(
          "SELECT current_setting('app.tenant_id', true) AS t, (SELECT count(*)::int FROM sessions) AS n",
        );
      expect(after).toEqual([{ t: '', n: 0 }]);
      // Values are formatted as literals, never as SQL.
      const tricky = "it's'; DELETE FROM sessions; --";
      expect(await executeAsTenant(orm, tenantA, 'SELECT ?::text AS v, ?::int AS w', [tricky, 7])).toEqual([
        { v: tricky, w: 7 },
      ]);
      expect(await executeAsTenant(orm, tenantA, count, [])).toEqual([{ n: 1, tenant: tenantA }]);
    } finally {
      await orm.close(true);
    }
  });

  it("error: executeAsTenant refuses another tenant's row, rolls its statement back and runs one statement only", async () => {
    const orm = await createOrm({ url: db.url, poolMax: 1 });
    try {
      await expect(
        executeAsTenant(orm, tenantA, 'INSERT INTO audit_log (tenant_id, action) VALUES (?, ?)', [
          tenantB,
          'forged',
        ]),
      ).rejects.toThrow(/row-level security/);
      await expect(executeAsTenant(orm, tenantA, 'SELECT 1; SELECT 2', [])).rejects.toThrow(/one statement/);
      const [written] = await executeAsTenant<{ id: string }>(
        orm,
        tenantA,
        'INSERT INTO audit_log (tenant_id, action) VALUES (?, ?) RETURNING id',
        [tenantA, 'executeAsTenant-write'],
      );
      const kept = await withTenant(db.orm, tenantA, (em) =>
        em.execute('SELECT action FROM audit_log WHERE id = ?', [written!.id]),
      );
      expect(kept).toEqual([{ action: 'executeAsTenant-write' }]);
      expect(await orm.em.fork().execute("SELECT current_setting('app.tenant_id', true) AS t")).toEqual([
        { t: '' },
      ]);
    } finally {
      await orm.close(true);
    }
  });

  it('hub scope sees every tenant (hub admins and maintenance jobs)', async () => {
    const all = await withHubScope(db.orm, (em) => em.find(SessionEntity, {}));
    expect(new Set(all.map((s) => s.tenantId))).toEqual(new Set([tenantA, tenantB]));
  });
});

describe('row-level security coverage', () => {
  it('every table with a tenant_id column has forced RLS and the tenant_isolation policy', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        table: string;
        rls: boolean;
        forced: boolean;
        policy: string | null;
      }>(`
        SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced, p.polname AS policy
          FROM information_schema.columns col
          JOIN pg_class c ON c.relname = col.table_name AND c.relkind = 'r'
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema
          LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'
         WHERE col.table_schema = 'public' AND col.column_name = 'tenant_id' AND c.relname <> 'tenant_hostnames'`);
      expect(rows.length).toBeGreaterThanOrEqual(12);
      for (const row of rows)
        expect(row, row.table).toMatchObject({ rls: true, forced: true, policy: 'tenant_isolation' });
    } finally {
      await client.end();
    }
  });
});
