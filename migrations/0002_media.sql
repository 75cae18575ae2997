-- Media: videos, their encryption keys, allowlists, uploads, playback sessions and key fetches.
-- Every table is tenant-owned and under the same row-level-security policy as the foundation's.

CREATE TABLE videos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  creator_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  preview_seconds integer NOT NULL DEFAULT 0 CHECK (preview_seconds BETWEEN 0 AND 600),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'error')),
  progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  last_error text,
  attempts integer NOT NULL DEFAULT 0,
  source_key text,
  source_bytes bigint,
  source_filename text,
  duration_seconds numeric(12, 3),
  width integer,
  height integer,
  has_audio boolean,
  segment_seconds integer,
  segment_count integer,
  renditions jsonb NOT NULL DEFAULT '[]',
  has_preview boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  ready_at timestamptz
);
CREATE INDEX videos_tenant_idx ON videos (tenant_id, created_at DESC);
CREATE INDEX videos_creator_idx ON videos (tenant_id, creator_id);

-- The AES-128 content key and IV, and the secret that names A/B segment files, each encrypted
-- (AES-256-GCM) under the hub's master key. Only the key endpoint ever decrypts the content key.
CREATE TABLE video_keys (
  video_id uuid PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key_id text NOT NULL UNIQUE,
  sealed_key bytea NOT NULL,
  iv bytea NOT NULL CHECK (length(iv) = 16),
  sealed_segment_secret bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE video_allowlist (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  video_id uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (video_id, user_id)
);

CREATE TABLE playback_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  video_id uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- short code shown in the visible overlay and named by the leak tracer
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{8}$'),
  -- seed of this session's A/B segment sequence
  seed bytea NOT NULL CHECK (length(seed) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ip inet,
  user_agent text
);
CREATE INDEX playback_sessions_user_idx ON playback_sessions (tenant_id, user_id, created_at DESC);
CREATE INDEX playback_sessions_video_idx ON playback_sessions (video_id);

CREATE TABLE key_fetches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id uuid NOT NULL REFERENCES playback_sessions (id) ON DELETE CASCADE,
  fetched_at timestamptz NOT NULL DEFAULT now(),
  ip inet
);
CREATE INDEX key_fetches_session_idx ON key_fetches (session_id, fetched_at DESC);

-- One way to put a tenant-owned table under row-level security, for this and later migrations.
CREATE FUNCTION ppv_isolate_by_tenant(t regclass) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (tenant_id = ppv_current_tenant() OR ppv_hub_scope()) '
    'WITH CHECK (tenant_id = ppv_current_tenant() OR ppv_hub_scope())', t);
END
$$;
REVOKE ALL ON FUNCTION ppv_isolate_by_tenant(regclass) FROM PUBLIC;

SELECT ppv_isolate_by_tenant(t)
  FROM unnest(ARRAY['videos', 'video_keys', 'video_allowlist', 'playback_sessions', 'key_fetches']::regclass[]) AS t;

GRANT SELECT, INSERT, UPDATE, DELETE ON videos, video_keys, video_allowlist, playback_sessions, key_fetches TO ppv_app;
