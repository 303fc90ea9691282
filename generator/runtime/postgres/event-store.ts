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
import { type OutboxHeaders, emptyOutboxColumns, outboxInsertSql, outboxParams, pushOutboxRow } from './outbox.js';
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

// Named: prepared once per connection (see NamedStatement).
const APPEND_NEW_STREAM = { name: 'eventsmith_append_new_stream', text: `WITH ${CREATE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX}\n${RESULT}` };
const APPEND_EXISTING_STREAM = { name: 'eventsmith_append_existing_stream', text: `WITH ${ADVANCE_HEAD},\n${INSERT_EVENTS},\n${INSERT_OUTBOX}\n${RESULT}` };

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

/**
 * Appends events at expectedVersion + 1, ... and their outbox rows, atomically: one statement,
 * which joins the caller's transaction when `db` is a client inside one. Throws
 * ConcurrencyError if the stream is not at expectedVersion (nothing is written, and the
 * caller's transaction is not aborted), DuplicateEventError if an event id is already stored.
 */
export async function appendToStream(db: Queryable, input: AppendToStream): Promise<AppendResult> {
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
  const eventIds: string[] = [];
  const eventTypes: string[] = [];
  const schemaVersions: number[] = [];
  const contentTypes: string[] = [];
  const datas: Buffer[] = [];
  // One JSON array, as the outbox headers (see outboxParams).
  const metadatas: EventMetadata[] = [];
  const occurredAts: string[] = [];
  const outbox = emptyOutboxColumns();
  let streamVersion = expectedVersion;
  for (const e of events) {
    streamVersion++;
    if (!Number.isSafeInteger(e.schemaVersion) || e.schemaVersion < 1) {
      throw new RangeError(`eventsmith: schemaVersion of ${e.eventType} must be a positive integer, got ${e.schemaVersion}`);
    }
    eventIds.push(e.eventId);
    eventTypes.push(e.eventType);
    schemaVersions.push(e.schemaVersion);
    contentTypes.push(e.contentType);
    datas.push(toBuffer(e.data));
    metadatas.push(e.metadata ?? {});
    occurredAts.push((e.occurredAt ?? now).toISOString());
    if (e.outbox !== undefined) {
      pushOutboxRow(outbox, {
        id: e.outbox.id ?? e.eventId,
        aggregateType: streamType,
        aggregateId: e.outbox.key ?? streamId,
        type: e.outbox.type ?? e.eventType,
        payload: e.outbox.payload,
        topic: e.outbox.topic,
        headers: withStreamVersion(e.outbox.headers, streamVersion),
        contentType: e.outbox.contentType === undefined ? e.contentType : e.outbox.contentType,
      });
    }
  }

  let row: Row | undefined;
  try {
    row = firstRow(
      await db.query({
        ...(expectedVersion === 0 ? APPEND_NEW_STREAM : APPEND_EXISTING_STREAM),
        values: [streamType, streamId, expectedVersion, newVersion, eventIds, eventTypes, schemaVersions, contentTypes, datas, JSON.stringify(metadatas), occurredAts, ...outboxParams(outbox)],
      }),
    );
  } catch (err) {
    const { code, constraint } = pgErrorInfo(err);
    if (code === UNIQUE_VIOLATION) {
      if (constraint === 'eventsmith_events_stream_version_key') {
        throw new ConcurrencyError(streamType, streamId, expectedVersion, undefined, 'duplicate-version');
      }
      if (constraint === 'eventsmith_events_event_id_key' || constraint === 'eventsmith_outbox_pkey') {
        throw new DuplicateEventError(streamType, streamId, eventIds);
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
  return { streamVersion: asInt(row.version, 'version'), globalPositions: positions };
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
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`eventsmith: pageSize must be a positive integer, got ${pageSize}`);

  let state: S | undefined;
  let version = 0;
  let snapshotIgnored: LoadedAggregate<S>['snapshotIgnored'];
  const codec = definition.snapshot;
  if (codec !== undefined && options.useSnapshot !== false) {
    const snapshot = await loadSnapshot(db, streamType, streamId);
    if (snapshot !== undefined) {
      if (snapshot.schemaFingerprint !== codec.fingerprint) {
        snapshotIgnored = 'schema-mismatch';
      } else {
        try {
          state = codec.decode(snapshot.state);
          version = snapshot.streamVersion;
        } catch {
          snapshotIgnored = 'undecodable';
        }
      }
    }
  }
  const snapshotVersion = version;
  let current = state === undefined ? definition.initialState() : state;

  // Pages by version: appends of one stream commit in version order, so consecutive pages
  // (even from different snapshots) always form a prefix of the stream.
  for (;;) {
    const page = await readStream(db, streamType, streamId, { fromVersion: version + 1, limit: pageSize });
    for (const event of page) {
      if (event.streamVersion !== version + 1) {
        throw new Error(`eventsmith: ${streamType} ${JSON.stringify(streamId)}: version ${version + 1} is missing (found ${event.streamVersion})`);
      }
      current = definition.evolve(current, decodeRecordedEvent(definition.decoders, event));
      version = event.streamVersion;
    }
    if (page.length < pageSize) break;
  }
  const loaded: LoadedAggregate<S> = { state: current, version, snapshotVersion, eventsApplied: version - snapshotVersion };
  return snapshotIgnored === undefined ? loaded : { ...loaded, snapshotIgnored };
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
  return saveSnapshot(db, {
    streamType: definition.streamType,
    streamId,
    streamVersion: aggregate.version,
    schemaFingerprint: codec.fingerprint,
    contentType: codec.contentType,
    state: codec.encode(aggregate.state),
  });
}
