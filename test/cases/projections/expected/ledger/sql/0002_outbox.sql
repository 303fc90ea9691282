-- eventsmith migration 2: outbox
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

-- Transactional outbox. id, aggregatetype, aggregateid, type and payload are the
-- column names Debezium's outbox event router reads by default, so CDC can replace
-- the polling relay on this table with no configuration.
CREATE TABLE IF NOT EXISTS eventsmith_outbox (
  id             uuid        PRIMARY KEY,           -- message id (CloudEvents id)
  aggregatetype  text        NOT NULL,              -- stream type
  aggregateid    text        NOT NULL,              -- Kafka key (aggregate id)
  type           text        NOT NULL,              -- CloudEvents type
  payload        bytea,                             -- Kafka value; NULL = tombstone
  position       bigint      GENERATED ALWAYS AS IDENTITY,
  -- Writing transaction; the relay reads below pg_snapshot_xmin(pg_current_snapshot()).
  txid           xid8        NOT NULL DEFAULT pg_current_xact_id(),
  topic          text        NOT NULL,
  headers        jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- CloudEvents attributes and extensions
  content_type   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz
);
CREATE INDEX IF NOT EXISTS eventsmith_outbox_txid_position_idx ON eventsmith_outbox (txid, position);

-- Where each polling relay has read up to: (txid, position) of its last row.
CREATE TABLE IF NOT EXISTS eventsmith_outbox_cursors (
  relay       text        PRIMARY KEY,
  txid        xid8        NOT NULL,
  position    bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (2, 'outbox', 'c79d7747adf131a4732266b2dbf657bc8b32ecd277f28e379c98f4c651fe0602')
ON CONFLICT (version) DO NOTHING;
COMMIT;
