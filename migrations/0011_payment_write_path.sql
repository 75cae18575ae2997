-- Fewer foreign-key checks on the payment write path, and the index reversals need.
--
-- Recording one credited payment writes a payment, an entitlement and three ledger shares; before
-- this migration that meant 18 foreign-key checks (each a lookup that locks the referenced row), a
-- quarter of the indexer's recording time.
--
-- The ledger is history. A share keeps the video and the creator account it was earned for even
-- after the video or the account is deleted (before, both were set to NULL, rewriting the record),
-- so those two references are plain ids. Its tenant is its payment's; the payment reference (which
-- cascades when a tenant and its payments go) is the one the ledger keeps.
ALTER TABLE ledger_entries
  DROP CONSTRAINT ledger_entries_tenant_id_fkey,
  DROP CONSTRAINT ledger_entries_party_user_id_fkey,
  DROP CONSTRAINT ledger_entries_video_id_fkey;

-- A reversal sums the shares of one payment, and deleting a payment cascades to its shares: both
-- look ledger entries up by payment.
CREATE INDEX ledger_entries_payment_idx ON ledger_entries (payment_id);

-- An entitlement's tenant is its video's: one composite reference checks both (and that they agree)
-- where two checks did before. Deleting the tenant deletes its videos, which deletes their
-- entitlements, as before.
ALTER TABLE videos ADD CONSTRAINT videos_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE entitlements
  DROP CONSTRAINT entitlements_tenant_id_fkey,
  DROP CONSTRAINT entitlements_video_id_fkey,
  ADD CONSTRAINT entitlements_tenant_video_fkey FOREIGN KEY (tenant_id, video_id)
    REFERENCES videos (tenant_id, id) ON DELETE CASCADE;
