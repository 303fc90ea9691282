-- eventsmith migration 5: projections
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

-- Projection runners read eventsmith_events gap-free, in (txid, global_position)
-- order below the oldest running transaction, like the outbox relay.
CREATE INDEX IF NOT EXISTS eventsmith_events_txid_position_idx ON eventsmith_events (txid, global_position);

-- One checkpoint per projection (and per rebuild in progress, named <projection>#rebuild):
-- written in the same transaction as the rows it covers, so a crash never loses or
-- double-applies an event. fingerprint identifies the rules the table was built with.
CREATE TABLE IF NOT EXISTS eventsmith_projections (
  name         text        PRIMARY KEY,
  txid         xid8        NOT NULL,
  position     bigint      NOT NULL,
  fingerprint  text        NOT NULL,
  applied      bigint      NOT NULL DEFAULT 0,   -- events applied since the table was (re)built
  updated_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (5, 'projections', '8f95097307cebb378da00441f1e7b798d7c9b4e7702f93c5fe4798fda3194aaf')
ON CONFLICT (version) DO NOTHING;
COMMIT;
