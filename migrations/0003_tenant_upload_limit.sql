-- Per-tenant upload limit: NULL means the hub-wide MAX_UPLOAD_BYTES applies.
ALTER TABLE tenants
  ADD COLUMN max_upload_bytes bigint NULL
    CONSTRAINT tenants_max_upload_bytes_range CHECK (max_upload_bytes > 0 AND max_upload_bytes <= 1099511627776);
