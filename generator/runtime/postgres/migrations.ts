/**
 * Versioned, idempotent schema migrations for the event store, snapshots, outbox, consumer
 * idempotency and saga state — one source for both `migrate()` and the `.sql` files the
 * generator emits (`migrationFiles()`), so a team may apply either and switch later.
 *
 * A released migration is immutable: its checksum is recorded, and `migrate()` refuses a
 * database whose recorded checksum differs. Changes go into a new migration.
 *
 * Table names are unqualified: they land in the first schema of the connection's search_path.
 */
import { createHash } from 'node:crypto';
import { type ConnectionPool, asString, firstRow, inTransaction } from './db.js';
import { MigrationError } from './errors.js';

export interface Migration {
  /** 1, 2, 3, ... in order of application. */
  readonly version: number;
  /** Short description, also in the file name. */
  readonly name: string;
  /** Idempotent DDL (IF NOT EXISTS everywhere), without transaction control. */
  readonly sql: string;
}

/**
 * Held for the whole migration transaction so that concurrent `migrate()` calls (every replica
 * of a service at start-up) apply each migration once. Concurrent `CREATE TABLE IF NOT EXISTS`
 * alone is not safe: two sessions can both pass the existence check and one fails on a
 * catalog unique index. The key is "eventsmi" as a 64-bit integer.
 */
export const MIGRATION_LOCK_KEY = '7311142570157108585';

export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS eventsmith_migrations (
  version     integer     PRIMARY KEY,
  name        text        NOT NULL,
  checksum    text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);`;

const EVENT_STORE_SQL = `-- One row per stream: the optimistic-concurrency head. Appends update it with
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
);`;

const OUTBOX_SQL = `-- Transactional outbox. id, aggregatetype, aggregateid, type and payload are the
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
);`;

const CONSUMERS_AND_SAGAS_SQL = `-- Idempotent consumers: a message id is handled once per consumer group, in the
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
  ON eventsmith_saga_state (timeout_at) WHERE timeout_at IS NOT NULL;`;

const OUTBOX_NOTIFY_SQL = `-- Wakes polling relays (LISTEN eventsmith_outbox) when outbox rows commit. Only a
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
  FOR EACH STATEMENT EXECUTE FUNCTION eventsmith_outbox_notify();`;

const PROJECTIONS_SQL = `-- Projection runners read eventsmith_events gap-free, in (txid, global_position)
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
);`;

const OUTBOX_WAKE_UP_SQL = `-- Notifies only while a relay waits. A NOTIFY takes a database-wide lock at commit, so
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
$$;`;

const PROJECTION_PARKING_SQL = `-- Events a projection's rules cannot apply (an insert on a key that has a row, a
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
);`;

const OUTBOX_PUBLISHED_AHEAD_SQL = `-- The relay also publishes rows of transactions that committed while an older one still
-- runs, instead of waiting for every older transaction to end. What it published above its
-- cursor (txid, position) is kept here, per transaction: the txids (ascending) and, at the
-- same index, the position of the last row published of each. Only transactions that
-- committed while an older one ran are listed, and they leave the list when the cursor passes
-- them, so it stays short.
ALTER TABLE eventsmith_outbox_cursors
  ADD COLUMN IF NOT EXISTS ahead_txids     xid8[]   NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS ahead_positions bigint[] NOT NULL DEFAULT '{}';`;

/** Every migration of this runtime, oldest first. Never edit a released entry. */
export const migrations: readonly Migration[] = Object.freeze([
  Object.freeze({ version: 1, name: 'event store', sql: EVENT_STORE_SQL }),
  Object.freeze({ version: 2, name: 'outbox', sql: OUTBOX_SQL }),
  Object.freeze({ version: 3, name: 'consumers and sagas', sql: CONSUMERS_AND_SAGAS_SQL }),
  Object.freeze({ version: 4, name: 'outbox notify', sql: OUTBOX_NOTIFY_SQL }),
  Object.freeze({ version: 5, name: 'projections', sql: PROJECTIONS_SQL }),
  Object.freeze({ version: 6, name: 'outbox wake up', sql: OUTBOX_WAKE_UP_SQL }),
  Object.freeze({ version: 7, name: 'projection parking', sql: PROJECTION_PARKING_SQL }),
  Object.freeze({ version: 8, name: 'outbox published ahead', sql: OUTBOX_PUBLISHED_AHEAD_SQL }),
]);

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql, 'utf8').digest('hex');
}

function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function checkOrder(list: readonly Migration[]): void {
  let previous = 0;
  for (const m of list) {
    if (!Number.isSafeInteger(m.version) || m.version <= previous) {
      throw new MigrationError(`eventsmith: migration versions must increase: ${m.version} after ${previous}`);
    }
    previous = m.version;
  }
}

export interface MigrationFile {
  /** e.g. `0001_event_store.sql` */
  readonly fileName: string;
  readonly content: string;
}

/**
 * The migrations as standalone `.sql` files for psql, Flyway and the like. Each runs in its own
 * transaction under the same advisory lock as `migrate()` and records itself in
 * eventsmith_migrations, so files and `migrate()` can be mixed; re-applying a file is harmless.
 */
export function migrationFiles(list: readonly Migration[] = migrations): MigrationFile[] {
  checkOrder(list);
  return list.map((m) => ({
    fileName: `${String(m.version).padStart(4, '0')}_${m.name.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()}.sql`,
    content: [
      `-- eventsmith migration ${m.version}: ${m.name}`,
      '-- Generated from eventsmith/runtime. Do not edit: the checksum below is verified by migrate().',
      '-- Idempotent; safe to apply more than once and concurrently with migrate().',
      'BEGIN;',
      `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});`,
      MIGRATIONS_TABLE_SQL,
      '',
      m.sql,
      '',
      `INSERT INTO eventsmith_migrations (version, name, checksum)`,
      `VALUES (${m.version}, ${sqlLiteral(m.name)}, ${sqlLiteral(migrationChecksum(m))})`,
      'ON CONFLICT (version) DO NOTHING;',
      'COMMIT;',
      '',
    ].join('\n'),
  }));
}

export interface MigrateResult {
  /** Versions applied by this call. */
  readonly applied: readonly number[];
  /** Versions found already applied (by an earlier or a concurrent call, or a .sql file). */
  readonly skipped: readonly number[];
}

/**
 * Applies the pending migrations, each in its own transaction under an advisory lock: safe to
 * call from every process at start-up. Throws MigrationError if an applied migration's recorded
 * checksum differs from this runtime's.
 */
export async function migrate(pool: ConnectionPool, options: { migrations?: readonly Migration[] } = {}): Promise<MigrateResult> {
  const list = options.migrations ?? migrations;
  checkOrder(list);
  const applied: number[] = [];
  const skipped: number[] = [];
  for (const m of list) {
    const checksum = migrationChecksum(m);
    const ran = await inTransaction(pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await tx.query(MIGRATIONS_TABLE_SQL);
      const row = firstRow(await tx.query('SELECT checksum FROM eventsmith_migrations WHERE version = $1', [m.version]));
      if (row !== undefined) {
        const recorded = asString(row.checksum, 'checksum');
        if (recorded !== checksum) {
          throw new MigrationError(
            `eventsmith: migration ${m.version} (${m.name}) was applied with checksum ${recorded}, ` +
              `but this runtime's is ${checksum}: a released migration was edited`,
          );
        }
        return false;
      }
      await tx.query(m.sql);
      await tx.query('INSERT INTO eventsmith_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, checksum]);
      return true;
    });
    (ran ? applied : skipped).push(m.version);
  }
  return { applied, skipped };
}
