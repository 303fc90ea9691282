-- eventsmith migration 4: outbox notify
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

-- Wakes polling relays (LISTEN eventsmith_outbox) when outbox rows commit. Only a
-- wake-up: the gap-free reader alone decides what may be read, and relays also poll
-- on a timer. One notification per statement; PostgreSQL folds identical ones of a
-- transaction into one and delivers them at commit. The payload names the schema,
-- so relays of other schemas on the same database can ignore it.
CREATE OR REPLACE FUNCTION eventsmith_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('eventsmith_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS eventsmith_outbox_notify ON eventsmith_outbox;
CREATE TRIGGER eventsmith_outbox_notify AFTER INSERT ON eventsmith_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION eventsmith_outbox_notify();

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (4, 'outbox notify', '6ad840116c93adbdead1265863a7e29492e374e4475c1683609b667e4e1fd2e9')
ON CONFLICT (version) DO NOTHING;
COMMIT;
