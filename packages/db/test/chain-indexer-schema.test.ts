import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withHubScope } from '../src/index';
import { createTestDatabase, type TestDatabase } from '../src/testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

const HASH_A = `0x${'a'.repeat(64)}`;
const HASH_B = `0x${'b'.repeat(64)}`;
const SPLITTER = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

describe('chain indexer tables', () => {
  it('the application role keeps a cursor and its recent blocks', async () => {
    await withHubScope(db.orm, async (em) => {
      await em.execute(
        `INSERT INTO chain_cursors (chain_id, contract, block_number, block_hash) VALUES (31337, '${SPLITTER}', 12, '${HASH_A}')`,
      );
      await em.execute(
        `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash) VALUES (31337, 12, '${HASH_A}', '${HASH_B}')`,
      );
    });
    const rows = await withHubScope(db.orm, (em) =>
      em.execute('SELECT block_number, consecutive_failures FROM chain_cursors WHERE chain_id = 31337'),
    );
    expect(rows).toEqual([{ block_number: '12', consecutive_failures: 0 }]);
  });

  it('refuses a cursor with a block number but no hash, and a malformed block hash', async () => {
    await expect(
      withHubScope(db.orm, (em) =>
        em.execute(
          `INSERT INTO chain_cursors (chain_id, contract, block_number) VALUES (1, '${SPLITTER}', 5)`,
        ),
      ),
    ).rejects.toThrow(/check constraint/);
    await expect(
      withHubScope(db.orm, (em) =>
        em.execute(
          `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash) VALUES (1, 1, '0x12', '${HASH_A}')`,
        ),
      ),
    ).rejects.toThrow(/check constraint/);
  });
});
