-- eventsmith migration 3: consumers and sagas
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

-- Idempotent consumers: a message id is handled once per consumer group, in the
-- same transaction as the handler's writes. Text, not uuid: CloudEvents ids of
-- other producers are arbitrary strings.
CREATE TABLE IF NOT EXISTS eventsmith_processed_events (
  consumer_group  text        NOT NULL,
  event_id        text        NOT NULL,
  processed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);

-- Orchestrated sagas: state written in the same transaction as the outbox rows it
-- causes; timeouts are stored deadlines, so they survive a crash.
CREATE TABLE IF NOT EXISTS eventsmith_saga_state (
  saga_type   text        NOT NULL,
  saga_id     text        NOT NULL,            -- correlation id
  status      text        NOT NULL,
  step        text,                            -- current step, if any
  state       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  version     integer     NOT NULL CHECK (version >= 0),  -- optimistic concurrency
  attempt     integer     NOT NULL DEFAULT 0,  -- retries of the current step
  timeout_at  timestamptz,                     -- deadline of the current state
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (saga_type, saga_id)
);
CREATE INDEX IF NOT EXISTS eventsmith_saga_state_timeout_idx
  ON eventsmith_saga_state (timeout_at) WHERE timeout_at IS NOT NULL;

INSERT INTO eventsmith_migrations (version, name, checksum)
VALUES (3, 'consumers and sagas', 'a0d781885c989cd03b6f0816072e6d2f9040668f2816296bb9bb5127ce2f5478')
ON CONFLICT (version) DO NOTHING;
COMMIT;
