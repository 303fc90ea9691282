-- eventsmith migration 6: outbox wake up
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

-- Notifies only while a relay waits. A NOTIFY takes a database-wide lock at commit, so
-- migration 4's notification on every outbox insert made concurrent appends commit one at a
-- time. A listening relay now sets wake_until on its cursor row before it sleeps (and clears
-- it when it works), and the trigger notifies only while some relay's wake_until lies ahead:
-- busy relays and deployments without a listening relay cost appends nothing. wake_until
-- expires, so a relay that died while waiting stops the notifications by itself. Still only
-- a wake-up: relays poll on a timer, and check for appends that raced their setting it.
ALTER TABLE eventsmith_outbox_cursors ADD COLUMN IF NOT EXISTS wake_until timestamptz;
CREATE OR REPLACE FUNCTION eventsmith_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM eventsmith_outbox_cursors WHERE wake_until > now()) THEN
    PERFORM pg_notify('eventsmith_outbox', TG_TABLE_SCHEMA);
  END IF;
  RETURN NULL;
END
$$;

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (6, 'outbox wake up', '7a98285281f8a19ea3b440559a0544056500d32057a3411c5b5996eeb538cab1')
ON CONFLICT (version) DO NOTHING;
COMMIT;
