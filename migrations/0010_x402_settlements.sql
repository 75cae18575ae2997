-- HTTP 402 (x402) settlements: one row per EIP-3009 authorization the hub's relayer settles through
-- the splitter. The row is written ('settling', with a lease) in a short transaction before the
-- settlement transaction is sent; the transaction's hash is added as soon as it is known, and the
-- outcome in a second short transaction once it is mined. No database transaction stays open while
-- the chain works. A concurrent retry of the same payment finds the row and waits for it instead of
-- sending again; a row left 'settling' by a process that died is resolved from the chain by the
-- next request that meets it once its lease has run out (the receipt of its transaction, or the
-- token's record of the nonce), and the indexer credits the `Paid` event in any case.
CREATE TABLE x402_settlements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_ref uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  chain_id integer NOT NULL CHECK (chain_id > 0),
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  payer text NOT NULL CHECK (payer ~ '^0x[0-9a-f]{40}$'),
  nonce text NOT NULL CHECK (nonce ~ '^0x[0-9a-f]{64}$'),
  -- the authorization's validBefore (unix seconds): after it the nonce can never be used
  valid_before bigint NOT NULL,
  status text NOT NULL DEFAULT 'settling' CHECK (status IN ('settling', 'settled', 'failed')),
  tx_hash text CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
  -- the x402 error reason of a failed settlement
  problem text,
  -- a 'settling' row belongs to the request that wrote it until then
  lease_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- an authorization is settled once (the token's own rule, kept here across tenants)
  UNIQUE (chain_id, token, payer, nonce)
);
-- One settlement of an invoice in flight at a time.
CREATE UNIQUE INDEX x402_settlements_in_flight_key ON x402_settlements (invoice_ref) WHERE status = 'settling';

SELECT ppv_isolate_by_tenant('x402_settlements'::regclass);

GRANT SELECT, INSERT, UPDATE ON x402_settlements TO ppv_app;
