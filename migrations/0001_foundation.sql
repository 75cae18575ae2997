-- Foundation: tenants, accounts, sessions, SIWE, API tokens, email outbox, audit log, rate limits.
--
-- Row-level security: every tenant-owned table carries tenant_id and a policy that only shows rows
-- of the tenant set for the current transaction (set_config('app.tenant_id', …, true)). The
-- application connects through the role ppv_app, which owns nothing, cannot bypass RLS, and sees
-- nothing when no tenant is set.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ppv_app') THEN
    CREATE ROLE ppv_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;

CREATE FUNCTION ppv_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- Hub scope: set only by hub-admin use-cases and maintenance jobs to work across tenants.
CREATE FUNCTION ppv_hub_scope() RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('app.hub_scope', true), '') = 'on' $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  logo_url text CHECK (logo_url IS NULL OR logo_url ~ '^(https?://|/)'),
  primary_color text NOT NULL DEFAULT '#6d28d9' CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  accent_color text NOT NULL DEFAULT '#f59e0b' CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
  fee_bps integer NOT NULL DEFAULT 1000 CHECK (fee_bps BETWEEN 0 AND 10000),
  payout_wallet text CHECK (payout_wallet IS NULL OR payout_wallet ~ '^0x[0-9a-fA-F]{40}$'),
  display_currency text NOT NULL DEFAULT 'USD' CHECK (display_currency ~ '^[A-Z]{3}$'),
  -- units of the display currency per US dollar, e.g. 17000 for IDR
  display_rate numeric(24, 8) NOT NULL DEFAULT 1 CHECK (display_rate > 0),
  cors_origins text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Custom domains; <slug>.<HUB_DOMAIN> needs no row. A host name belongs to one tenant.
CREATE TABLE tenant_hostnames (
  hostname text PRIMARY KEY CHECK (hostname ~ '^[a-z0-9.-]+(:[0-9]+)?$'),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_hostnames_tenant_idx ON tenant_hostnames (tenant_id);

-- Accounts are hub-wide identities; what a user may do in a tenant comes from memberships.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL CHECK (username ~ '^[a-z0-9_]{3,32}$'),
  email text CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$')),
  password_hash text,
  is_hub_admin boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE wallets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  chain_id integer NOT NULL CHECK (chain_id > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (address, chain_id)
);
CREATE INDEX wallets_user_idx ON wallets (user_id);

CREATE TABLE memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('viewer', 'creator', 'tenant_admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  auth_method text NOT NULL CHECK (auth_method IN ('password', 'siwe')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  user_agent text,
  ip inet
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);

CREATE TABLE siwe_nonces (
  nonce text PRIMARY KEY CHECK (nonce ~ '^[A-Za-z0-9]{16,64}$'),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX siwe_nonces_expires_idx ON siwe_nonces (expires_at);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  token_hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (tenant_id, user_id);

CREATE TABLE outbox_emails (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  to_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  subject text,
  ip inet,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at DESC);

-- Fixed-window counters shared by every hub instance (login, register, reset, SIWE).
CREATE TABLE rate_limits (
  key text PRIMARY KEY,
  window_started_at timestamptz NOT NULL,
  hits integer NOT NULL
);

-- Liveness of job workers, wherever they run (in the hub or as `ppv worker`).
CREATE TABLE worker_heartbeats (
  worker_id text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['memberships', 'sessions', 'password_resets', 'siwe_nonces', 'api_tokens',
                           'outbox_emails', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = ppv_current_tenant() OR ppv_hub_scope()) '
      'WITH CHECK (tenant_id = ppv_current_tenant() OR ppv_hub_scope())', t);
  END LOOP;
END
$$;

-- Jobs are enqueued from inside the application's transaction through this one narrow door.
CREATE FUNCTION ppv_enqueue(task text, payload json, job_key text DEFAULT NULL, run_at timestamptz DEFAULT NULL,
                            max_attempts integer DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
BEGIN
  PERFORM graphile_worker.add_job(task, payload, job_key => job_key, run_at => run_at,
                                  max_attempts => coalesce(max_attempts, 25));
END
$$;

-- Queue depth for /healthz without giving the application role the job tables.
CREATE FUNCTION ppv_job_stats(OUT pending bigint, OUT failed bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
  SELECT count(*) FILTER (WHERE attempts < max_attempts AND locked_at IS NULL),
         count(*) FILTER (WHERE attempts >= max_attempts)
  FROM graphile_worker._private_jobs
$$;

REVOKE ALL ON FUNCTION ppv_enqueue(text, json, text, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ppv_job_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ppv_enqueue(text, json, text, timestamptz, integer) TO ppv_app;
GRANT EXECUTE ON FUNCTION ppv_job_stats() TO ppv_app;

GRANT USAGE ON SCHEMA public TO ppv_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ppv_app;
REVOKE ALL ON ppv_schema_migrations FROM ppv_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ppv_app;
