-- eventsmith migration 8: outbox published ahead
-- Generated from eventsmith/runtime. Do not edit: the checksum below is verified by migrate().
-- Idempotent; safe to apply more than once and concurrently with migrate().
BEGIN;
SELECT pg_advisory_xact_lock(7311142570157108585);
CREATE TABLE IF NOT EXISTS eventsmith_migrations (
  version     integer     PRIMARY KEY,
  name        text        NOT NULL,
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);

-- The relay also publishes rows of transactions that committed while an older one still
-- runs, instead of waiting for every older transaction to end. What it published above its
-- cursor (txid, position) is kept here, per transaction: the txids (ascending) and, at the
-- same index, the position of the last row published of each. Only transactions that
-- committed while an older one ran are listed, and they leave the list when the cursor passes
-- them, so it stays short.
ALTER TABLE eventsmith_outbox_cursors
  ADD COLUMN IF NOT EXISTS ahead_txids     xid8[]   NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS ahead_positions bigint[] NOT NULL DEFAULT '{}';

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (8, 'outbox published ahead', 'a77e5fd31d60efde33c7cd58dc62ac19e478d568db60d8449366216542d53172')
ON CONFLICT (version) DO NOTHING;
COMMIT;
