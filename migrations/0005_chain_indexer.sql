-- Chain indexer: one cursor per (chain, contract) and the recent blocks it relied on, kept to
-- detect reorganisations. Hub-level tables: no tenant, no row-level security.

CREATE TABLE chain_cursors (
  chain_id integer NOT NULL CHECK (chain_id > 0),
  contract text NOT NULL CHECK (contract ~ '^0x[0-9a-fA-F]{40}$'),
  -- NULL before the first batch: the indexer starts from its configured start block.
  block_number bigint CHECK (block_number >= 0),
  block_hash text CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
  last_success_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, contract),
  CHECK ((block_number IS NULL) = (block_hash IS NULL))
);

-- Pruned beyond a depth from the cursor; the newest rows are compared with the chain before
-- each batch, and a mismatch walks back to the common ancestor.
CREATE TABLE chain_blocks (
  chain_id integer NOT NULL CHECK (chain_id > 0),
  number bigint NOT NULL CHECK (number >= 0),
  hash text NOT NULL CHECK (hash ~ '^0x[0-9a-f]{64}$'),
  parent_hash text NOT NULL CHECK (parent_hash ~ '^0x[0-9a-f]{64}$'),
  indexed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, number)
);
CREATE INDEX chain_blocks_hash_idx ON chain_blocks (chain_id, hash);
