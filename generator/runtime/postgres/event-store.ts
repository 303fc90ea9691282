/**
 * The event store: append with optimistic concurrency (events and their outbox rows in one
 * statement), stream and global reads, snapshots, and loading an aggregate from them.
 *
 * Every function takes a Queryable: a pool (each call is then its own transaction) or a client
 * inside the caller's transaction, so that business tables join the same commit.
 */
import {
  type Queryable,
  type Row,
  UNIQUE_VIOLATION,
  asBigInt,
  asBytes,
  asDate,
  asInt,
  asJson,
  asString,
  firstRow,
  pgErrorInfo,
  rowsOf,
  toBuffer,
} from './db.js';
import { ConcurrencyError, DuplicateEventError, EventDecodeError } from './errors.js';
import { type OutboxColumns, type OutboxHeaders, emptyOutboxColumns, outboxInsertSql, outboxParams, pushOutboxRow } from './outbox.js';
import { STREAM_VERSION_EXTENSION } from '../cloudevents.js';

/** JSON as stored in the metadata column (correlation and causation ids, actor, ...). */
export type MetadataValue = string | number | boolean | null | readonly MetadataValue[] | { readonly [key: string]: MetadataValue };
export type EventMetadata = { readonly [key: string]: MetadataValue };

/** The outbox row of an appended event; unset fields default from the event and stream. */
export interface EventOutbox {
  readonly topic: string;
  /** The Kafka value (the event's encoding, or a structured CloudEvent); null = tombstone. */
  readonly payload: Uint8Array | null;
  /** CloudEvents attributes and extensions. */
  readonly headers?: OutboxHeaders;
  /** Kafka key / Debezium aggregateid; default the stream id. */
  readonly key?: string;
  /** Debezium type; default the event type. */
  readonly type?: string;
  /** Message id; default the event id. */
  readonly id?: string;
  /** Default the event's content type. */
  readonly contentType?: string | null;
}

export interface NewEvent {
  /** uuid; also the CloudEvents id and (by default) the outbox message id. */
  readonly eventId: string;
  readonly eventType: string;
  /** The schema version `data` is encoded in (1, 2, ...). */
  readonly schemaVersion: number;
  readonly data: Uint8Array;
  /** e.g. application/avro or application/json. */
  readonly contentType: string;
  readonly metadata?: EventMetadata;
  /** Default: now. */
  readonly occurredAt?: Date;
  readonly outbox?: EventOutbox;
}

export interface AppendToStream {
  readonly streamType: string;
  readonly streamId: string;
  /** The stream's version the decision was made on; 0 for a new stream. */
  readonly expectedVersion: number;
  readonly events: readonly NewEvent[];
}

export interface AppendResult {
  /** The stream's version after the append: expectedVersion + events.length. */
  readonly streamVersion: number;
  /** Global positions of the appended events, in order. */
  readonly globalPositions: readonly bigint[];
  /**
   * With a snapshot given to appendToStream: whether the statement settled it (stored it, or
   * found a newer one stored). False when another session held the stream's snapshot row: the
   * append did not wait for it, and the caller stores the snapshot with saveSnapshot.
   */
  readonly snapshotSettled?: boolean;
}

/** The state of a stream at the version an append leaves, encoded as saveSnapshot stores it. */
export interface AppendSnapshot {
  readonly schemaFingerprint: string;
  readonly contentType: string;
  readonly state: Uint8Array;
}

export interface RecordedEvent {
  readonly globalPosition: bigint;
  readonly streamType: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly schemaVersion: number;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: EventMetadata;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
}

const MAX_VERSION = 2_147_483_647;

function checkStream(streamType: string, streamId: string): void {
  if (streamType === '') throw new RangeError('eventsmith: streamType must not be empty');
  if (streamId === '') throw new RangeError(`eventsmith: streamId of ${streamType} must not be empty`);
}

function checkVersion(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_VERSION) throw new RangeError(`eventsmith: ${what} must be an integer in 0..${MAX_VERSION}, got ${v}`);
}

// The head decides the append: one row per stream, updated only from the expected version.
// A concurrent writer blocks on the row lock until the first commits; PostgreSQL then re-checks
// the WHERE clause against the committed row (READ COMMITTED), finds the version moved, updates
// nothing, and the events below are not inserted. Nothing aborts, so a caller's transaction
// stays usable and the actual version can be read. last_txid <= pg_current_xact_id(): see
// ConcurrencyConflict 'transaction-order'.
const CREATE_HEAD = `head AS (
  INSERT INTO eventsmith_streams (stream_type, stream_id, version)
  VALUES ($1, $2, $4)
  ON CONFLICT (stream_type, stream_id) DO NOTHING
  RETURNING version
)`;

const ADVANCE_HEAD = `head AS (
  UPDATE eventsmith_streams
     SET version = $4, last_txid = pg_current_xact_id(), updated_at = now()
   WHERE stream_type = $1 AND stream_id = $2 AND version = $3
     AND last_txid <= pg_current_xact_id()
  RETURNING version
)`;

const INSERT_EVENTS = `ins AS (
  INSERT INTO eventsmith_events
         (stream_type, stream_id, stream_version, event_id, event_type, schema_version, content_type, data, metadata, occurred_at)
  SELECT $1, $2, $3 + e.ord::integer, e.event_id, e.event_type, e.schema_version, e.content_type, e.data, e.metadata, e.occurred_at
    FROM ROWS FROM (unnest($5::uuid[]), unnest($6::text[]), unnest($7::integer[]), unnest($8::text[]), unnest($9::bytea[]),
                    jsonb_array_elements($10::jsonb), unnest($11::timestamptz[]))
         WITH ORDINALITY AS e(event_id, event_type, schema_version, content_type, data, metadata, occurred_at, ord)
   WHERE EXISTS (SELECT FROM head)
   ORDER BY e.ord
  RETURNING global_position, stream_version
)`;

const INSERT_OUTBOX = `ob AS (
  ${outboxInsertSql(12)}
   WHERE EXISTS (SELECT FROM head)
   ORDER BY o.ord
  RETURNING position
)`;

const RESULT = `SELECT (SELECT version FROM head) AS version,
       (SELECT array_agg(global_position::text ORDER BY stream_version) FROM ins) AS positions`;

// The snapshot at the new version ($20-$22), written only if the head moved, as saveSnapshot
// would (replacing an older one, or one of another schema at the same version), and without
// waiting: a session holding the stream's snapshot row (another snapshot being written) is
// skipped (SKIP LOCKED), and the statement says so (snapshot_settled false) for the caller to
// store it afterwards. Data-modifying CTEs run whether or not the result reads them.
const WRITE_SNAPSHOT = `snap_lock AS (
  SELECT stream_version, schema_fingerprint FROM eventsmith_snapshots
   WHERE stream_type = $1 AND stream_id = $2
     FOR NO KEY UPDATE SKIP LOCKED
), snap_new AS (
  INSERT INTO eventsmith_snapshots (stream_type, stream_id, stream_version, schema_fingerprint, content_type, state)
  SELECT $1, $2, $4, $20, $21, $22
   WHERE EXISTS (SELECT FROM head) AND NOT EXISTS (SELECT FROM eventsmith_snapshots WHERE stream_type = $1 AND stream_id = $2)
  ON CONFLICT (stream_type, stream_id) DO NOTHING
  RETURNING 1
), snap_update AS (
  UPDATE eventsmith_snapshots s
     SET stream_version = $4, schema_fingerprint = $20, content_type = $21, state = $22, created_at = now()
    FROM snap_lock l
   WHERE s.stream_type = $1 AND s.stream_id = $2 AND EXISTS (SELECT FROM head)
     AND (l.stream_version < $4 OR (l.stream_version = $4 AND l.schema_fingerprint <> $20))
  RETURNING 1
)`;

const SNAPSHOT_RESULT = `,
       EXISTS (SELECT FROM snap_lock) OR EXISTS (SELECT FROM snap_new) AS snapshot_settled`;

// Named: prepared once per connection (see NamedStatement).
const APPEND_NEW_STREAM = { name: 'eventsmith_append_new_stream', text: `WITH ${CREATE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX}\n${RESULT}` };
const APPEND_EXISTING_STREAM = { name: 'eventsmith_append_existing_stream', text: `WITH ${ADVANCE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX}\n${RESULT}` };
const APPEND_NEW_STREAM_SNAPSHOT = {
  name: 'eventsmith_append_new_stream_snapshot',
  text: `WITH ${CREATE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX},\n${WRITE_SNAPSHOT}\n${RESULT}${SNAPSHOT_RESULT}`,
};
const APPEND_EXISTING_STREAM_SNAPSHOT = {
  name: 'eventsmith_append_existing_stream_snapshot',
  text: `WITH ${ADVANCE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX},\n${WRITE_SNAPSHOT}\n${RESULT}${SNAPSHOT_RESULT}`,
};

async function currentVersion(db: Queryable, streamType: string, streamId: string): Promise<number> {
  const row = firstRow(
    await db.query({ name: 'eventsmith_stream_version', text: 'SELECT version FROM eventsmith_streams WHERE stream_type = $1 AND stream_id = $2', values: [streamType, streamId] }),
  );
  return row === undefined ? 0 : asInt(row.version, 'version');
}

/** The stream's current version (0 if it has no events). */
export async function streamVersion(db: Queryable, streamType: string, streamId: string): Promise<number> {
  checkStream(streamType, streamId);
  return currentVersion(db, streamType, streamId);
}

const STREAM_VERSION_HEADER = `ce_${STREAM_VERSION_EXTENSION}`;

/**
 * Binary-mode CloudEvents headers (they carry `ce_specversion`) get the event's version in its
 * stream as the `streamversion` extension, unless the caller set it: only the store knows it, and
 * a Kafka-mode projection's `$version` reads it. Other headers are the caller's own and left as given.
 */
function withStreamVersion(headers: OutboxHeaders | undefined, version: number): OutboxHeaders | undefined {
  if (headers === undefined || headers.ce_specversion === undefined || headers[STREAM_VERSION_HEADER] !== undefined) return headers;
  return { ...headers, [STREAM_VERSION_HEADER]: String(version) };
}

/** The events of an append as the statements' column arrays. */
interface EventColumns {
  readonly eventIds: string[];
  readonly eventTypes: string[];
  readonly schemaVersions: number[];
  readonly contentTypes: string[];
  readonly datas: Buffer[];
  /** Sent as one JSON array, as the outbox headers (see outboxParams). */
  readonly metadatas: EventMetadata[];
  readonly occurredAts: string[];
  readonly outbox: OutboxColumns;
}

function emptyEventColumns(): EventColumns {
  return { eventIds: [], eventTypes: [], schemaVersions: [], contentTypes: [], datas: [], metadatas: [], occurredAts: [], outbox: emptyOutboxColumns() };
}

/** Adds `e`, the event at `version` of the stream, and its outbox row if it has one (then true). */
function pushEvent(c: EventColumns, e: NewEvent, version: number, streamType: string, streamId: string, now: Date): boolean {
  if (!Number.isSafeInteger(e.schemaVersion) || e.schemaVersion < 1) {
    throw new RangeError(`eventsmith: schemaVersion of ${e.eventType} must be a positive integer, got ${e.schemaVersion}`);
  }
  c.eventIds.push(e.eventId);
  c.eventTypes.push(e.eventType);
  c.schemaVersions.push(e.schemaVersion);
  c.contentTypes.push(e.contentType);
  c.datas.push(toBuffer(e.data));
  c.metadatas.push(e.metadata ?? {});
  c.occurredAts.push((e.occurredAt ?? now).toISOString());
  if (e.outbox === undefined) return false;
  pushOutboxRow(c.outbox, {
    id: e.outbox.id ?? e.eventId,
    aggregateType: streamType,
    aggregateId: e.outbox.key ?? streamId,
    type: e.outbox.type ?? e.eventType,
    payload: e.outbox.payload,
    topic: e.outbox.topic,
    headers: withStreamVersion(e.outbox.headers, version),
    contentType: e.outbox.contentType === undefined ? e.contentType : e.outbox.contentType,
  });
  return true;
}

/** The event columns' parameters, in the order both append statements take them. */
function eventParams(c: EventColumns): unknown[] {
  return [c.eventIds, c.eventTypes, c.schemaVersions, c.contentTypes, c.datas, JSON.stringify(c.metadatas), c.occurredAts];
}

/**
 * Appends events at expectedVersion + 1, ... and their outbox rows, atomically: one statement,
 * which joins the caller's transaction when `db` is a client inside one. Throws
 * ConcurrencyError if the stream is not at expectedVersion (nothing is written, and the
 * caller's transaction is not aborted), DuplicateEventError if an event id is already stored.
 *
 * `snapshot`, the stream's state at the new version, is stored by the same statement when the
 * append is written (see AppendResult.snapshotSettled), saving saveSnapshot's round trip and
 * commit. Give it with a pool only: in a caller's transaction its row lock would last until
 * that commits.
 */
export async function appendToStream(db: Queryable, input: AppendToStream, snapshot?: AppendSnapshot): Promise<AppendResult> {
  const { streamType, streamId, expectedVersion, events } = input;
  checkStream(streamType, streamId);
  checkVersion(expectedVersion, 'expectedVersion');
  const newVersion = expectedVersion + events.length;
  checkVersion(newVersion, 'the new stream version');

  if (events.length === 0) {
    const actual = await currentVersion(db, streamType, streamId);
    if (actual !== expectedVersion) throw new ConcurrencyError(streamType, streamId, expectedVersion, actual);
    return { streamVersion: expectedVersion, globalPositions: [] };
  }

  const now = new Date();
  const columns = emptyEventColumns();
  let streamVersion = expectedVersion;
  for (const e of events) pushEvent(columns, e, ++streamVersion, streamType, streamId, now);

  let row: Row | undefined;
  try {
    const values = [streamType, streamId, expectedVersion, newVersion, ...eventParams(columns), ...outboxParams(columns.outbox)];
    row = firstRow(
      await db.query(
        snapshot === undefined
          ? { ...(expectedVersion === 0 ? APPEND_NEW_STREAM : APPEND_EXISTING_STREAM), values }
          : {
              ...(expectedVersion === 0 ? APPEND_NEW_STREAM_SNAPSHOT : APPEND_EXISTING_STREAM_SNAPSHOT),
              values: [...values, snapshot.schemaFingerprint, snapshot.contentType, toBuffer(snapshot.state)],
            },
      ),
    );
  } catch (err) {
    const { code, constraint } = pgErrorInfo(err);
    if (code === UNIQUE_VIOLATION) {
      if (constraint === 'eventsmith_events_stream_version_key') {
        throw new ConcurrencyError(streamType, streamId, expectedVersion, undefined, 'duplicate-version');
      }
      if (constraint === 'eventsmith_events_event_id_key' || constraint === 'eventsmith_outbox_pkey') {
        throw new DuplicateEventError(streamType, streamId, columns.eventIds);
      }
    }
    throw err;
  }

  if (row === undefined || row.version === null || row.version === undefined) {
    // Read committed state: the winner has committed (we waited for its row lock).
    const actual = await currentVersion(db, streamType, streamId);
    throw new ConcurrencyError(streamType, streamId, expectedVersion, actual, actual === expectedVersion ? 'transaction-order' : 'version-mismatch');
  }
  const positions = asArray(row.positions, 'positions').map((p) => asBigInt(p, 'global_position'));
  const result = { streamVersion: asInt(row.version, 'version'), globalPositions: positions };
  return snapshot === undefined ? result : { ...result, snapshotSettled: row.snapshot_settled === true };
}

// Several streams' appends in one statement: each stream's head is created (expected 0) or
// advanced from its expected version exactly as in the single-stream statements (the same row
// lock, re-check and transaction-order rule), and only the events and outbox rows of the
// streams whose head moved are inserted, in the order given. $1-$4: per stream; $5-$13: per
// event, with the index of its stream; then the outbox rows and, last, each row's stream index.
const APPEND_STREAMS = {
  name: 'eventsmith_append_streams',
  text: `WITH s AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[]) WITH ORDINALITY AS s(stream_type, stream_id, expected, version, ord)
), created AS (
  INSERT INTO eventsmith_streams (stream_type, stream_id, version)
  SELECT s.stream_type, s.stream_id, s.version FROM s WHERE s.expected = 0 ORDER BY s.stream_type, s.stream_id
  ON CONFLICT (stream_type, stream_id) DO NOTHING
  RETURNING stream_type, stream_id
), advanced AS (
  UPDATE eventsmith_streams h
     SET version = s.version, last_txid = pg_current_xact_id(), updated_at = now()
    FROM s
   WHERE s.expected > 0 AND h.stream_type = s.stream_type AND h.stream_id = s.stream_id AND h.version = s.expected
     AND h.last_txid <= pg_current_xact_id()
  RETURNING h.stream_type, h.stream_id
), head AS (
  SELECT s.ord::integer AS ord, s.stream_type, s.stream_id FROM s JOIN (SELECT * FROM created UNION ALL SELECT * FROM advanced) w USING (stream_type, stream_id)
), ins AS (
  INSERT INTO eventsmith_events
         (stream_type, stream_id, stream_version, event_id, event_type, schema_version, content_type, data, metadata, occurred_at)
  SELECT ($1::text[])[e.sord], ($2::text[])[e.sord], e.stream_version, e.event_id, e.event_type, e.schema_version, e.content_type, e.data, e.metadata, e.occurred_at
    FROM ROWS FROM (unnest($5::integer[]), unnest($6::integer[]), unnest($7::uuid[]), unnest($8::text[]), unnest($9::integer[]), unnest($10::text[]),
                    unnest($11::bytea[]), jsonb_array_elements($12::jsonb), unnest($13::timestamptz[]))
         WITH ORDINALITY AS e(sord, stream_version, event_id, event_type, schema_version, content_type, data, metadata, occurred_at, ord)
   WHERE e.sord IN (SELECT ord FROM head)
   ORDER BY e.ord
  RETURNING global_position, stream_type, stream_id, stream_version
), ob AS (
  ${outboxInsertSql(14)}
   WHERE ($22::integer[])[o.ord::int] IN (SELECT ord FROM head)
   ORDER BY o.ord
  RETURNING 1
)
SELECT h.ord, (SELECT array_agg(i.global_position::text ORDER BY i.stream_version) FROM ins i WHERE i.stream_type = h.stream_type AND i.stream_id = h.stream_id) AS positions
  FROM head h`,
};

/**
 * appendToStream for several appends in one statement. Appends to one stream chain: each
 * after the one before (its expectedVersion is the version the one before leaves), and they
 * are written or refused together, on the first one's expected version. Each stream is
 * decided on its own: a stream that moved on is refused (its ConcurrencyError, saying what
 * was expected and found, stands in the result of each of its appends, and nothing of it is
 * written) while the others are written, and the caller's transaction stays usable. Events
 * and outbox rows are written in the order of the appends. Every append needs events (use
 * appendToStream to check a version alone). Throws DuplicateEventError, or ConcurrencyError
 * 'duplicate-version', as appendToStream does (the statement then fails as a whole).
 */
export async function appendToStreams(db: Queryable, appends: readonly AppendToStream[]): Promise<Array<AppendResult | ConcurrencyError>> {
  const streams: Array<{ streamType: string; streamId: string; expectedVersion: number; version: number }> = [];
  const byKey = new Map<string, number>();
  const streamOf: number[] = [];
  for (const a of appends) {
    checkStream(a.streamType, a.streamId);
    checkVersion(a.expectedVersion, 'expectedVersion');
    checkVersion(a.expectedVersion + a.events.length, 'the new stream version');
    if (a.events.length === 0) throw new RangeError(`eventsmith: an append to ${a.streamType} ${JSON.stringify(a.streamId)} in appendToStreams has no events`);
    const key = JSON.stringify([a.streamType, a.streamId]);
    const k = byKey.get(key);
    if (k === undefined) {
      byKey.set(key, streams.length);
      streamOf.push(streams.length);
      streams.push({ streamType: a.streamType, streamId: a.streamId, expectedVersion: a.expectedVersion, version: a.expectedVersion + a.events.length });
    } else {
      const stream = streams[k] as (typeof streams)[number];
      if (a.expectedVersion !== stream.version) {
        throw new RangeError(`eventsmith: appends to ${a.streamType} ${JSON.stringify(a.streamId)} must follow each other: expected version ${a.expectedVersion} after ${stream.version}`);
      }
      stream.version += a.events.length;
      streamOf.push(k);
    }
  }
  if (appends.length === 0) return [];

  const now = new Date();
  const sords: number[] = [];
  const versions: number[] = [];
  const columns = emptyEventColumns();
  const outboxStreams: number[] = [];
  appends.forEach((a, j) => {
    const k = streamOf[j] as number;
    let version = a.expectedVersion;
    for (const e of a.events) {
      version++;
      sords.push(k + 1);
      versions.push(version);
      if (pushEvent(columns, e, version, a.streamType, a.streamId, now)) outboxStreams.push(k + 1);
    }
  });

  let written: Row[];
  try {
    written = rowsOf(
      await db.query({
        ...APPEND_STREAMS,
        values: [
          streams.map((s) => s.streamType),
          streams.map((s) => s.streamId),
          streams.map((s) => s.expectedVersion),
          streams.map((s) => s.version),
          sords,
          versions,
          ...eventParams(columns),
          ...outboxParams(columns.outbox),
          outboxStreams,
        ],
      }),
    );
  } catch (err) {
    const { code, constraint } = pgErrorInfo(err);
    if (code === UNIQUE_VIOLATION) {
      // The key PostgreSQL names, when it is one of these streams'.
      const detail = typeof err === 'object' && err !== null && 'detail' in err && typeof err.detail === 'string' ? err.detail : '';
      const named = streams.find((s) => detail.includes(`(${s.streamType}, ${s.streamId}, `)) ?? (streams[0] as (typeof streams)[number]);
      if (constraint === 'eventsmith_events_stream_version_key') {
        throw new ConcurrencyError(named.streamType, named.streamId, named.expectedVersion, undefined, 'duplicate-version');
      }
      if (constraint === 'eventsmith_events_event_id_key' || constraint === 'eventsmith_outbox_pkey') {
        throw new DuplicateEventError(named.streamType, named.streamId, columns.eventIds);
      }
    }
    throw err;
  }

  const positions = new Map<number, bigint[]>();
  for (const r of written) positions.set(asInt(r.ord, 'ord') - 1, asArray(r.positions, 'positions').map((p) => asBigInt(p, 'global_position')));
  // Refused streams: their current versions, read committed (the winners have committed: we waited for their row locks).
  const refused = streams.flatMap((s, k) => (positions.has(k) ? [] : [k]));
  const conflicts = new Map<number, ConcurrencyError>();
  if (refused.length > 0) {
    const found = await db.query({
      name: 'eventsmith_stream_versions',
      text: `SELECT i.ord::integer AS ord, h.version FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(stream_type, stream_id, ord)
               JOIN eventsmith_streams h USING (stream_type, stream_id)`,
      values: [refused.map((k) => streams[k]?.streamType), refused.map((k) => streams[k]?.streamId)],
    });
    const actual = new Map(rowsOf(found).map((r) => [refused[asInt(r.ord, 'ord') - 1] as number, asInt(r.version, 'version')]));
    for (const k of refused) {
      const s = streams[k] as (typeof streams)[number];
      const v = actual.get(k) ?? 0;
      conflicts.set(k, new ConcurrencyError(s.streamType, s.streamId, s.expectedVersion, v, v === s.expectedVersion ? 'transaction-order' : 'version-mismatch'));
    }
  }
  // Each append's share of its stream's positions, in order.
  const taken = new Map<number, number>();
  return appends.map((a, j) => {
    const k = streamOf[j] as number;
    const conflict = conflicts.get(k);
    if (conflict !== undefined) return conflict;
    const from = taken.get(k) ?? 0;
    taken.set(k, from + a.events.length);
    return { streamVersion: a.expectedVersion + a.events.length, globalPositions: (positions.get(k) ?? []).slice(from, from + a.events.length) };
  });
}

function asArray(v: unknown, column: string): unknown[] {
  if (Array.isArray(v)) return v as unknown[];
  throw new TypeError(`eventsmith: column ${column}: expected an array`);
}

// Timestamps as epoch milliseconds (float8): pg's timestamptz text parser took half the time of
// a replay's fetch. floor() keeps what the parser kept: whole milliseconds, earlier if anything.
export const EVENT_COLUMNS = `global_position::text AS global_position, stream_type, stream_id, stream_version, event_id::text AS event_id,
       event_type, schema_version, content_type, data, metadata,
       floor(extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_at, floor(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_at`;

/** A row of EVENT_COLUMNS (or of STREAM_EVENT_COLUMNS, with the stream it was read from). */
export function toRecordedEvent(r: Row, stream?: { readonly streamType: string; readonly streamId: string }): RecordedEvent {
  const metadata = asJson(r.metadata, 'metadata');
  return {
    globalPosition: asBigInt(r.global_position, 'global_position'),
    streamType: stream === undefined ? asString(r.stream_type, 'stream_type') : stream.streamType,
    streamId: stream === undefined ? asString(r.stream_id, 'stream_id') : stream.streamId,
    streamVersion: asInt(r.stream_version, 'stream_version'),
    eventId: asString(r.event_id, 'event_id'),
    eventType: asString(r.event_type, 'event_type'),
    schemaVersion: asInt(r.schema_version, 'schema_version'),
    contentType: asString(r.content_type, 'content_type'),
    data: asBytes(r.data, 'data'),
    metadata: typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as EventMetadata) : {},
    occurredAt: asDate(r.occurred_at, 'occurred_at'),
    recordedAt: asDate(r.recorded_at, 'recorded_at'),
  };
}

export interface ReadStreamOptions {
  /** First version to read (default 1). */
  readonly fromVersion?: number;
  /** At most this many events (default all). */
  readonly limit?: number;
}

// A stream's reads leave out what the caller knows: fewer values to send and to parse.
export const STREAM_EVENT_COLUMNS = EVENT_COLUMNS.replace('stream_type, stream_id, ', '');
const READ_STREAM = `SELECT ${STREAM_EVENT_COLUMNS}
       FROM eventsmith_events e
      WHERE e.stream_type = $1 AND e.stream_id = $2 AND e.stream_version >= $3
      ORDER BY e.stream_version
      LIMIT $4`;

/** Events of one stream from `fromVersion` on, in version order. */
export async function readStream(db: Queryable, streamType: string, streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
  checkStream(streamType, streamId);
  const from = options.fromVersion ?? 1;
  checkVersion(from, 'fromVersion');
  const limit = options.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const result = await db.query({ name: 'eventsmith_read_stream', text: READ_STREAM, values: [streamType, streamId, from, limit ?? null] });
  const stream = { streamType, streamId };
  return rowsOf(result).map((r) => toRecordedEvent(r, stream));
}

/**
 * Events of all streams after a global position, in position order: for replays and backfills
 * of a quiescent store. Not for tailing a live store: positions are taken at insert and become
 * visible at commit, so a reader can pass a position whose transaction commits later. Live
 * consumers read the outbox (outbox-reader.ts), which is gap-free.
 */
export async function readAll(db: Queryable, afterPosition: bigint, limit: number): Promise<RecordedEvent[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const result = await db.query(
    `SELECT ${EVENT_COLUMNS}
       FROM eventsmith_events e
      WHERE e.global_position > $1::bigint
      ORDER BY e.global_position -- qualified: the bare name would sort the ::text output
      LIMIT $2`,
    [afterPosition.toString(), limit],
  );
  return rowsOf(result).map((r) => toRecordedEvent(r));
}

// ---------------------------------------------------------------------------------------------
// Snapshots

export interface Snapshot {
  readonly streamType: string;
  readonly streamId: string;
  /** The stream version the state includes. */
  readonly streamVersion: number;
  /** Identifies the state's schema; loaders ignore snapshots of another. */
  readonly schemaFingerprint: string;
  readonly contentType: string;
  readonly state: Uint8Array;
}

/**
 * Stores a snapshot unless a newer one is there (same version: replaced only if the schema
 * differs, so that new code's snapshot takes over after a state schema change).
 *
 * Call it with a pool after the append committed, not inside the append's transaction: it then
 * takes no lock an appender waits for (it touches only eventsmith_snapshots, and the upsert's
 * row lock lasts one statement). Returns whether the snapshot was stored.
 */
export async function saveSnapshot(db: Queryable, snapshot: Snapshot): Promise<boolean> {
  checkStream(snapshot.streamType, snapshot.streamId);
  checkVersion(snapshot.streamVersion, 'streamVersion');
  if (snapshot.streamVersion === 0) return false;
  const result = await db.query({
    name: 'eventsmith_save_snapshot',
    text: `INSERT INTO eventsmith_snapshots AS s (stream_type, stream_id, stream_version, schema_fingerprint, content_type, state)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (stream_type, stream_id) DO UPDATE
        SET stream_version = excluded.stream_version, schema_fingerprint = excluded.schema_fingerprint,
            content_type = excluded.content_type, state = excluded.state, created_at = now()
      WHERE s.stream_version < excluded.stream_version
         OR (s.stream_version = excluded.stream_version AND s.schema_fingerprint <> excluded.schema_fingerprint)
     RETURNING 1 AS stored`,
    values: [snapshot.streamType, snapshot.streamId, snapshot.streamVersion, snapshot.schemaFingerprint, snapshot.contentType, toBuffer(snapshot.state)],
  });
  return rowsOf(result).length > 0;
}

export async function loadSnapshot(db: Queryable, streamType: string, streamId: string): Promise<Snapshot | undefined> {
  checkStream(streamType, streamId);
  const row = firstRow(
    await db.query({
      name: 'eventsmith_load_snapshot',
      text: `SELECT stream_version, schema_fingerprint, content_type, state FROM eventsmith_snapshots
        WHERE stream_type = $1 AND stream_id = $2`,
      values: [streamType, streamId],
    }),
  );
  if (row === undefined) return undefined;
  return {
    streamType,
    streamId,
    streamVersion: asInt(row.stream_version, 'stream_version'),
    schemaFingerprint: asString(row.schema_fingerprint, 'schema_fingerprint'),
    contentType: asString(row.content_type, 'content_type'),
    state: asBytes(row.state, 'state'),
  };
}

// ---------------------------------------------------------------------------------------------
// Aggregates

/** Decodes one stored event (any stored schema version) into the latest domain event. */
export type EventDecoder<E> = (event: RecordedEvent) => E;

export interface SnapshotCodec<S> {
  /** Changes whenever the state's encoding does (e.g. its schema fingerprint). */
  readonly fingerprint: string;
  readonly contentType: string;
  encode(state: S): Uint8Array;
  decode(bytes: Uint8Array): S;
}

/** What the runtime needs to know about an aggregate; generated per aggregate. */
export interface AggregateDefinition<S, E> {
  readonly streamType: string;
  initialState(): S;
  /** By stored event type. A type missing here is an EventDecodeError, not a reducer crash. */
  readonly decoders: Readonly<Record<string, EventDecoder<E>>>;
  evolve(state: S, event: E): S;
  /** Absent: always full replay. */
  readonly snapshot?: SnapshotCodec<S>;
}

export interface LoadedAggregate<S> {
  readonly state: S;
  /** The stream version `state` includes: the expectedVersion of the next append. */
  readonly version: number;
  /** Version of the snapshot used, 0 if none. */
  readonly snapshotVersion: number;
  /** Events applied on top of the snapshot (or initial state). */
  readonly eventsApplied: number;
  /** Why a stored snapshot was not used. */
  readonly snapshotIgnored?: 'schema-mismatch' | 'undecodable';
}

export interface LoadOptions {
  /** Use a stored snapshot (default true when the definition has a snapshot codec). */
  readonly useSnapshot?: boolean;
  /** Events read per round trip (default 1000). */
  readonly pageSize?: number;
}

/** Decodes a stored event, turning every failure into an EventDecodeError that names it. */
export function decodeRecordedEvent<E>(decoders: Readonly<Record<string, EventDecoder<E>>>, event: RecordedEvent): E {
  const decoder = Object.hasOwn(decoders, event.eventType) ? decoders[event.eventType] : undefined;
  if (decoder === undefined) {
    throw new EventDecodeError(event.streamType, event.streamId, event.streamVersion, event.eventType, event.schemaVersion, 'unknown-event-type');
  }
  try {
    return decoder(event);
  } catch (cause) {
    throw new EventDecodeError(event.streamType, event.streamId, event.streamVersion, event.eventType, event.schemaVersion, 'undecodable', { cause });
  }
}

/**
 * State and version of an aggregate: the latest usable snapshot plus the events after it, each
 * decoded (and upcast) by the definition's decoders. A snapshot is a cache: one of another
 * schema, or one that fails to decode, is ignored and the stream replayed from the start.
 */
export async function loadAggregate<S, E>(
  db: Queryable,
  definition: AggregateDefinition<S, E>,
  streamId: string,
  options: LoadOptions = {},
): Promise<LoadedAggregate<S>> {
  const { streamType } = definition;
  checkStream(streamType, streamId);
  const pageSize = checkPageSize(options.pageSize);
  const codec = definition.snapshot;
  const snapshot = codec !== undefined && options.useSnapshot !== false ? await loadSnapshot(db, streamType, streamId) : undefined;
  const start = startOf(definition, snapshot === undefined ? undefined : { version: snapshot.streamVersion, fingerprint: snapshot.schemaFingerprint, state: snapshot.state });
  return replay(db, definition, streamId, start, pageSize);
}

function checkPageSize(pageSize: number | undefined): number {
  const size = pageSize ?? 1000;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`eventsmith: pageSize must be a positive integer, got ${size}`);
  return size;
}

/** Where a load starts: a stored snapshot's state and version, or the initial state. */
interface LoadStart<S> {
  readonly state: S;
  readonly version: number;
  readonly snapshotIgnored?: LoadedAggregate<S>['snapshotIgnored'];
}

/** The start a stored snapshot gives (a cache: one of another schema, or undecodable, is ignored). */
function startOf<S, E>(definition: AggregateDefinition<S, E>, snapshot: { readonly version: number; readonly fingerprint: string; readonly state: Uint8Array } | undefined): LoadStart<S> {
  const codec = definition.snapshot;
  if (codec === undefined || snapshot === undefined) return { state: definition.initialState(), version: 0 };
  if (snapshot.fingerprint !== codec.fingerprint) return { state: definition.initialState(), version: 0, snapshotIgnored: 'schema-mismatch' };
  try {
    return { state: codec.decode(snapshot.state), version: snapshot.version };
  } catch {
    return { state: definition.initialState(), version: 0, snapshotIgnored: 'undecodable' };
  }
}

/** The events after `start`, page by page (the first page given when already read), decoded and applied. */
async function replay<S, E>(
  db: Queryable,
  definition: AggregateDefinition<S, E>,
  streamId: string,
  start: LoadStart<S>,
  pageSize: number,
  firstPage?: readonly RecordedEvent[],
): Promise<LoadedAggregate<S>> {
  const { streamType } = definition;
  let current = start.state;
  let version = start.version;
  // Pages by version: appends of one stream commit in version order, so consecutive pages
  // (even from different snapshots) always form a prefix of the stream.
  let page = firstPage ?? (await readStream(db, streamType, streamId, { fromVersion: version + 1, limit: pageSize }));
  for (;;) {
    for (const event of page) {
      if (event.streamVersion !== version + 1) {
        throw new Error(`eventsmith: ${streamType} ${JSON.stringify(streamId)}: version ${version + 1} is missing (found ${event.streamVersion})`);
      }
      current = definition.evolve(current, decodeRecordedEvent(definition.decoders, event));
      version = event.streamVersion;
    }
    if (page.length < pageSize) break;
    page = await readStream(db, streamType, streamId, { fromVersion: version + 1, limit: pageSize });
  }
  const loaded: LoadedAggregate<S> = { state: current, version, snapshotVersion: start.version, eventsApplied: version - start.version };
  return start.snapshotIgnored === undefined ? loaded : { ...loaded, snapshotIgnored: start.snapshotIgnored };
}

// Several streams of one type in one statement: each stream's snapshot (when of the loader's
// schema, $3) and the first page of its events after it. The snapshot's state comes on the
// stream's first row only; a stream without events still has its one row (no event columns).
const LOAD_AGGREGATES = {
  name: 'eventsmith_load_aggregates',
  text: `SELECT i.ord::integer AS ord, sn.stream_version AS snapshot_version, sn.schema_fingerprint AS snapshot_fingerprint,
       CASE WHEN row_number() OVER (PARTITION BY i.ord ORDER BY e.stream_version) = 1 THEN sn.state END AS snapshot_state, e.*
  FROM unnest($2::text[]) WITH ORDINALITY AS i(stream_id, ord)
  LEFT JOIN eventsmith_snapshots sn ON $3::text IS NOT NULL AND sn.stream_type = $1 AND sn.stream_id = i.stream_id
  LEFT JOIN LATERAL (
    SELECT ${STREAM_EVENT_COLUMNS}
      FROM eventsmith_events ev
     WHERE ev.stream_type = $1 AND ev.stream_id = i.stream_id
       AND ev.stream_version > CASE WHEN sn.schema_fingerprint = $3 THEN sn.stream_version ELSE 0 END
     ORDER BY ev.stream_version
     LIMIT $4
  ) e ON true
 ORDER BY i.ord, e.stream_version`,
};

/**
 * loadAggregate for several streams of one aggregate type, with one statement for all of them
 * (snapshots and the first page of each stream's events after its snapshot); a stream longer
 * than a page, or whose snapshot does not decode, reads the rest as loadAggregate would. Each
 * stream's outcome is its own, in the order of `streamIds` (a stream that cannot be decoded
 * does not fail the others).
 */
export async function loadAggregates<S, E>(
  db: Queryable,
  definition: AggregateDefinition<S, E>,
  streamIds: readonly string[],
  options: LoadOptions = {},
): Promise<Array<PromiseSettledResult<LoadedAggregate<S>>>> {
  const { streamType } = definition;
  for (const streamId of streamIds) checkStream(streamType, streamId);
  const pageSize = checkPageSize(options.pageSize);
  if (streamIds.length === 0) return [];
  const fingerprint = definition.snapshot !== undefined && options.useSnapshot !== false ? definition.snapshot.fingerprint : null;
  const result = await db.query({ ...LOAD_AGGREGATES, values: [streamType, streamIds, fingerprint, pageSize] });
  const snapshots: Array<{ version: number; fingerprint: string; state: Uint8Array } | undefined> = streamIds.map(() => undefined);
  const pages: RecordedEvent[][] = streamIds.map(() => []);
  for (const r of rowsOf(result)) {
    const k = asInt(r.ord, 'ord') - 1;
    const streamId = streamIds[k] as string;
    if (r.snapshot_state !== null && r.snapshot_state !== undefined) {
      snapshots[k] = { version: asInt(r.snapshot_version, 'snapshot_version'), fingerprint: asString(r.snapshot_fingerprint, 'snapshot_fingerprint'), state: asBytes(r.snapshot_state, 'snapshot_state') };
    }
    if (r.stream_version !== null && r.stream_version !== undefined) pages[k]?.push(toRecordedEvent(r, { streamType, streamId }));
  }
  return Promise.allSettled(
    streamIds.map(async (streamId, k) => {
      const start = startOf(definition, snapshots[k]);
      // The statement read after the snapshot it could use; one that does not decode replays from the start.
      return replay(db, definition, streamId, start, pageSize, start.snapshotIgnored === 'undecodable' ? undefined : pages[k]);
    }),
  );
}

/**
 * Snapshots a loaded aggregate (see saveSnapshot for when to call it). Returns whether it was
 * stored; false without a codec, for version 0, or when a newer snapshot exists.
 */
export async function saveAggregateSnapshot<S, E>(
  db: Queryable,
  definition: AggregateDefinition<S, E>,
  streamId: string,
  aggregate: { readonly state: S; readonly version: number },
): Promise<boolean> {
  const codec = definition.snapshot;
  if (codec === undefined || aggregate.version === 0) return false;
  return saveSnapshot(db, { streamType: definition.streamType, streamId, streamVersion: aggregate.version, ...encodeStateSnapshot(codec, aggregate.state) });
}

/** A state encoded as the snapshots table stores it (saveSnapshot's fields, appendToStream's `snapshot`). */
export function encodeStateSnapshot<S>(codec: SnapshotCodec<S>, state: S): AppendSnapshot {
  return { schemaFingerprint: codec.fingerprint, contentType: codec.contentType, state: codec.encode(state) };
}
