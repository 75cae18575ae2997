-- Money: token rates, display-rate history, invoices, on-chain payments, entitlements, creator
-- block lists and the ledger. Amounts of tokens are integers in the token's smallest unit
-- (numeric(78,0) holds any uint256); US amounts are integer cents; rates are integers too.
-- The tenant's payout wallet and fee (tenants.payout_wallet, tenants.fee_bps) come from 0001.

-- Admin-set USD value of a non-stable token or the native coin, per chain. Hub-level (no tenant,
-- no row-level security): every tenant prices with the same rates. Rows are never updated: a new
-- rate is a new row, so the history stays; the current rate is the newest row whose window
-- contains the moment asked about.
CREATE TABLE token_rates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain_id integer NOT NULL CHECK (chain_id > 0),
  -- the ERC-20 contract, lower case; 0x000…000 for the native coin
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,16}$'),
  -- millionths of a US dollar per whole token (10^decimals smallest units)
  usd_micros_per_token numeric(38, 0) NOT NULL CHECK (usd_micros_per_token > 0),
  valid_from timestamptz NOT NULL,
  valid_until timestamptz NOT NULL,
  set_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_until > valid_from)
);
CREATE INDEX token_rates_lookup_idx ON token_rates (chain_id, token, valid_from DESC, id DESC);

-- Every display currency and rate a tenant has had (tenants.display_currency / display_rate hold
-- the current one): written with each change, in the same transaction.
CREATE TABLE tenant_display_rates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- units of the currency per US dollar, e.g. 17000 for IDR
  rate numeric(24, 8) NOT NULL CHECK (rate > 0),
  set_by uuid REFERENCES users (id) ON DELETE SET NULL,
  valid_from timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_display_rates_tenant_idx ON tenant_display_rates (tenant_id, valid_from DESC, id DESC);
INSERT INTO tenant_display_rates (tenant_id, currency, rate, valid_from)
  SELECT id, display_currency, display_rate, created_at FROM tenants;

-- An optional rental period: a purchase then grants access for this many hours.
ALTER TABLE videos
  ADD COLUMN rental_hours integer NULL CONSTRAINT videos_rental_hours_range CHECK (rental_hours BETWEEN 1 AND 8760);

-- Exactly what the hub signed (EIP-712, see packages/chain/src/invoice.ts), plus the price it came from.
CREATE TABLE invoices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  viewer_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  invoice_id text NOT NULL UNIQUE CHECK (invoice_id ~ '^0x[0-9a-f]{64}$'),
  chain_id integer NOT NULL CHECK (chain_id > 0),
  contract text NOT NULL CHECK (contract ~ '^0x[0-9a-f]{40}$'),
  payer text NOT NULL CHECK (payer ~ '^0x[0-9a-f]{40}$'),
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  token_symbol text NOT NULL,
  amount numeric(78, 0) NOT NULL CHECK (amount > 0),
  creator_address text NOT NULL CHECK (creator_address ~ '^0x[0-9a-f]{40}$'),
  tenant_address text NOT NULL CHECK (tenant_address ~ '^0x[0-9a-f]{40}$'),
  hub_address text NOT NULL CHECK (hub_address ~ '^0x[0-9a-f]{40}$'),
  creator_bps integer NOT NULL CHECK (creator_bps BETWEEN 0 AND 10000),
  tenant_bps integer NOT NULL CHECK (tenant_bps BETWEEN 0 AND 10000),
  hub_bps integer NOT NULL CHECK (hub_bps BETWEEN 0 AND 10000),
  video_id_hash text NOT NULL CHECK (video_id_hash ~ '^0x[0-9a-f]{64}$'),
  -- unix seconds, as signed
  deadline bigint NOT NULL CHECK (deadline > 0),
  signature text NOT NULL CHECK (signature ~ '^0x[0-9a-f]+$'),
  price_cents integer NOT NULL CHECK (price_cents > 0),
  -- the rate the amount came from (NULL for a stablecoin at its peg)
  token_rate_id bigint REFERENCES token_rates (id),
  rental_hours integer,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'expired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz,
  CHECK (creator_bps + tenant_bps + hub_bps = 10000)
);
-- One open invoice per (viewer, video): it is reused while valid.
CREATE UNIQUE INDEX invoices_open_key ON invoices (tenant_id, viewer_id, video_id) WHERE status = 'open';
CREATE INDEX invoices_viewer_idx ON invoices (tenant_id, viewer_id, created_at DESC);

-- Every `Paid` event seen, whatever it turned out to be. tenant_id is NULL only for an event whose
-- invoice is unknown (seen only in hub scope).
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  chain_id integer NOT NULL CHECK (chain_id > 0),
  contract text NOT NULL CHECK (contract ~ '^0x[0-9a-f]{40}$'),
  tx_hash text NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
  log_index integer NOT NULL CHECK (log_index >= 0),
  block_number bigint NOT NULL CHECK (block_number >= 0),
  block_hash text NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
  invoice_ref uuid REFERENCES invoices (id) ON DELETE SET NULL,
  -- the event's invoice id, kept also when no invoice has it
  invoice_id text NOT NULL CHECK (invoice_id ~ '^0x[0-9a-f]{64}$'),
  payer text NOT NULL CHECK (payer ~ '^0x[0-9a-f]{40}$'),
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  amount numeric(78, 0) NOT NULL CHECK (amount >= 0),
  creator_share numeric(78, 0) NOT NULL CHECK (creator_share >= 0),
  tenant_share numeric(78, 0) NOT NULL CHECK (tenant_share >= 0),
  hub_share numeric(78, 0) NOT NULL CHECK (hub_share >= 0),
  -- credited, overpaid and late grant access; the others are kept for admins
  status text NOT NULL CHECK (status IN ('credited', 'overpaid', 'late', 'underpaid', 'mismatch',
                                         'duplicate', 'unknown_invoice', 'orphaned')),
  -- why a payment was not credited, in words an admin can act on
  problem text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  orphaned_at timestamptz,
  UNIQUE (chain_id, tx_hash, log_index)
);
CREATE INDEX payments_tenant_idx ON payments (tenant_id, recorded_at DESC);
CREATE INDEX payments_block_idx ON payments (chain_id, block_number);
CREATE INDEX payments_invoice_idx ON payments (invoice_ref);

-- Who may watch what beyond owner/admin/free: purchases (this table) and the creator's allowlist
-- (video_allowlist). One row per (viewer, video); a revoked or expired one is renewed in place.
CREATE TABLE entitlements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('purchase', 'allowlist')),
  payment_id uuid REFERENCES payments (id) ON DELETE SET NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  -- end of a rental; NULL for a purchase that does not expire
  expires_at timestamptz,
  revoked_at timestamptz,
  revoke_reason text,
  UNIQUE (video_id, user_id)
);
CREATE INDEX entitlements_user_idx ON entitlements (tenant_id, user_id);
CREATE INDEX entitlements_payment_idx ON entitlements (payment_id);

-- A creator's block list: a blocked viewer can neither buy nor watch that creator's videos.
CREATE TABLE creator_blocks (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  creator_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason text CHECK (reason IS NULL OR length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, creator_id, user_id)
);

-- Every share of every credited payment, and its reversal when the payment's block was orphaned
-- (a reversal has the negated amounts). Earnings are sums over this table.
CREATE TABLE ledger_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  payment_id uuid NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('share', 'reversal')),
  party text NOT NULL CHECK (party IN ('creator', 'tenant', 'hub')),
  -- the creator's account for a creator share
  party_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  video_id uuid REFERENCES videos (id) ON DELETE SET NULL,
  chain_id integer NOT NULL,
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  token_symbol text NOT NULL,
  amount numeric(78, 0) NOT NULL,
  -- the share's value in US cents, split from the invoice's price by the contract's rounding rule
  usd_cents bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_party_idx ON ledger_entries (tenant_id, party, created_at);
CREATE INDEX ledger_entries_creator_idx ON ledger_entries (tenant_id, party_user_id, created_at);

SELECT ppv_isolate_by_tenant(t)
  FROM unnest(ARRAY['tenant_display_rates', 'invoices', 'payments', 'entitlements', 'creator_blocks',
                    'ledger_entries']::regclass[]) AS t;

GRANT SELECT, INSERT, UPDATE, DELETE ON token_rates, tenant_display_rates, invoices, payments, entitlements,
  creator_blocks, ledger_entries TO ppv_app;
