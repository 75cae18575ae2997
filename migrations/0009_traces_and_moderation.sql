-- Leak traces asked for from the console: a recording uploaded against one video, traced by the
-- `trace_leak` job. The recording is kept in private storage (never published) under the video's
-- prefix until the job is done with it, so deleting the video removes it too.
CREATE TABLE trace_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  video_id uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
  filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  bytes bigint NOT NULL CHECK (bytes > 0),
  -- storage key of the recording while it waits for the job; null once deleted
  file_key text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'error')),
  -- 'match' or 'no_match' once done
  verdict text CHECK (verdict IN ('match', 'no_match')),
  -- the named session, viewer, tenant, time and confidence (match), or the tracer's reason (no match)
  result jsonb,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CHECK ((status = 'done') = (verdict IS NOT NULL))
);
CREATE INDEX trace_requests_video_idx ON trace_requests (tenant_id, video_id, created_at DESC);

SELECT ppv_isolate_by_tenant('trace_requests');
GRANT SELECT, INSERT, UPDATE, DELETE ON trace_requests TO ppv_app;

-- Moderation: a tenant admin hides a video (with the reason shown to its creator); its creator
-- unpublishes and publishes it again. Either keeps it out of the catalog and off sale; viewers
-- who already bought it or are on its allowlist keep watching (docs/moderation.md).
ALTER TABLE videos
  ADD COLUMN hidden_at timestamptz,
  ADD COLUMN hidden_reason text CHECK (length(hidden_reason) BETWEEN 1 AND 500),
  ADD COLUMN hidden_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN unpublished_at timestamptz,
  ADD CONSTRAINT videos_hidden_with_reason CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL));

-- A poster chosen in the studio (a frame or an uploaded image) bumps this; poster URLs carry it
-- (`poster.jpg?v=<n>`) so browsers and CDNs fetch the new one.
ALTER TABLE videos ADD COLUMN poster_version integer NOT NULL DEFAULT 0 CHECK (poster_version >= 0);
