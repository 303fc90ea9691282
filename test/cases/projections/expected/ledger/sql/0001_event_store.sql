-- eventsmith migration 1: event store
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

-- One row per stream: the optimistic-concurrency head. Appends update it with
-- "WHERE version = expected", so concurrent writers queue on its row lock and
-- the losers see the winner's version without aborting their transaction.
-- last_txid keeps appends of one stream in transaction-id order, the order in
-- which the gap-free outbox reader delivers.
CREATE TABLE IF NOT EXISTS eventsmith_streams (
  stream_type  text        NOT NULL,
  stream_id    text        NOT NULL,
  version      integer     NOT NULL CHECK (version > 0),
  last_txid    xid8        NOT NULL DEFAULT pg_current_xact_id(),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_type, stream_id)
);

CREATE TABLE IF NOT EXISTS eventsmith_events (
  global_position  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream_type      text        NOT NULL,
  stream_id        text        NOT NULL,
  stream_version   integer     NOT NULL CHECK (stream_version > 0),
  event_id         uuid        NOT NULL,
  event_type       text        NOT NULL,
  schema_version   integer     NOT NULL CHECK (schema_version > 0),
  content_type     text        NOT NULL,
  data             bytea       NOT NULL,
  metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  occurred_at      timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  -- Writing transaction: lets a reader of all events be made gap-free like the
  -- outbox reader without rewriting the table later.
  txid             xid8        NOT NULL DEFAULT pg_current_xact_id(),
  -- Also the index for stream reads (stream_type, stream_id, stream_version >= n);
  -- the primary key serves global reads.
  CONSTRAINT eventsmith_events_stream_version_key UNIQUE (stream_type, stream_id, stream_version),
  CONSTRAINT eventsmith_events_event_id_key UNIQUE (event_id)
);

-- Latest snapshot per stream; a cache: deleting rows only costs replay time.
CREATE TABLE IF NOT EXISTS eventsmith_snapshots (
  stream_type         text        NOT NULL,
  stream_id           text        NOT NULL,
  stream_version      integer     NOT NULL CHECK (stream_version > 0),
  -- Identifies the state schema; a snapshot of another schema is ignored on load.
  schema_fingerprint  text        NOT NULL,
  content_type        text        NOT NULL,
  state               bytea       NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_type, stream_id)
);

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (1, 'event store', '1f39ac6bedb822aa16b6731a455f16751b3e6f2410244f0391d9be760a8a80d0')
ON CONFLICT (version) DO NOTHING;
COMMIT;
