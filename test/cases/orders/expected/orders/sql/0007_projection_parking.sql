-- eventsmith migration 7: projection parking
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

-- Events a projection's rules cannot apply (an insert on a key that has a row, a
-- null key): parked here in the batch's transaction instead of failing the batch
-- forever. projection is the checkpoint's name; a rebuild's rows replace the
-- live ones at the swap.
CREATE TABLE IF NOT EXISTS eventsmith_projection_parked (
  projection       text        NOT NULL,
  global_position  bigint      NOT NULL,
  event_id         uuid        NOT NULL,
  event_type       text        NOT NULL,
  stream_type      text        NOT NULL,
  stream_id        text        NOT NULL,
  reason           text        NOT NULL,
  parked_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, global_position)
);

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (7, 'projection parking', 'bf2247178b69a35876540809e92b904117b220d30296f9ece805646ebba181f8')
ON CONFLICT (version) DO NOTHING;
COMMIT;
