/**
 * The typed repository a generated `<slug>/repository.ts` builds per aggregate: load (latest
 * snapshot plus the events after it, each decoded with the codec of the version it was stored
 * in and upcast to the latest) and append (events and their outbox rows in one statement, in
 * the caller's transaction if given), with snapshots every N events.
 *
 * Generated code supplies only what depends on the spec (stream type, topic, codecs, upcaster,
 * reducer, state codec); everything here is the same for every aggregate.
 */
import type { AvroCodec } from '../avro.js';
import { uuidV7 } from '../uuid-v7.js';
import { STREAM_VERSION_EXTENSION, dataschemaFor, type CloudEvent } from '../cloudevents.js';
import { type Logger, componentLogger } from '../logger.js';
import { type ConnectionPool, type Queryable, pgErrorInfo } from './db.js';
import {
  type AggregateDefinition,
  type EventDecoder,
  type EventMetadata,
  type LoadedAggregate,
  type AppendSnapshot,
  type NewEvent,
  type RecordedEvent,
  appendToStream,
  appendToStreams,
  encodeStateSnapshot,
  loadAggregate,
  loadAggregates,
  saveAggregateSnapshot,
  saveSnapshot,
} from './event-store.js';
import type { OutboxHeaders } from './outbox.js';
import { frameConfluent } from '../kafka/binding.js';
import type { PublishRegistry } from '../kafka/typed.js';
import { type Context, type Span, failSpan, startSpan, traceHeadersOf, type TraceHeaders } from '../telemetry/otel.js';
import { ConcurrencyError, DuplicateEventError } from './errors.js';
import { messagingAttributes } from '../telemetry/conventions.js';

/** How event data is stored and published: Avro binary, or Avro's JSON encoding. */
export type StorageEncoding = 'avro' | 'json';

const contentTypes: { readonly [E in StorageEncoding]: string } = { avro: 'application/avro', json: 'application/json' };

/** The codecs of one aggregate's events: CloudEvents type → schema version → codec. */
export type EventCodecTable = { readonly [type: string]: { readonly [version: number]: AvroCodec<unknown> } };

type CodecValue<C> = C extends AvroCodec<infer T> ? T : never;

/**
 * Every (type, version, data) a codec table can decode: the any-version event an upcaster takes.
 * One member per type and version, so a generated upcaster's parameter type is checked against it.
 */
export type StoredEventOf<G extends EventCodecTable> = {
  [T in keyof G & string]: {
    [V in keyof G[T] & number]: { readonly type: T; readonly dataVersion: V; readonly data: CodecValue<G[T][V]> };
  }[keyof G[T] & number];
}[keyof G & string];

/** A domain event at its latest version, as reducers take it. */
export interface TypedEvent {
  readonly type: string;
  readonly data: unknown;
}

/** What `append` takes: events at their latest version, or their CloudEvents envelopes. */
export type EventInput<E extends TypedEvent> = E | (E extends { readonly type: infer T extends string; readonly data: infer D } ? CloudEvent<T, D, number> : never);

/** An aggregate id: the stream id is its text. */
export type AggregateId = string | number | bigint;

/** What a generated repository knows about its aggregate. */
export interface RepositoryDefinition<Id extends AggregateId, S, E extends TypedEvent, G extends EventCodecTable> {
  /** The aggregate's name: stream type, and Debezium's `aggregatetype`. */
  readonly streamType: string;
  /** Kafka topic of the outbox rows. */
  readonly topic: string;
  /** CloudEvents `source` of new events (an envelope's own `source` wins). */
  readonly source: string;
  /** Encoding of new events' data; stored rows record theirs, so either is read back. */
  readonly encoding: StorageEncoding;
  /** The aggregate id as stream id (and Kafka key, CloudEvents subject). */
  readonly streamId: (id: Id) => string;
  readonly codecs: G;
  /** Any stored version of an event → its latest version. */
  readonly upcast: (event: StoredEventOf<G>) => E;
  readonly initialState: S;
  readonly evolve: (state: S, event: E) => S;
  /** Snapshot every this many events; absent: no snapshots. */
  readonly snapshotEvery?: number;
  /** Encodes the state in snapshots; its fingerprint identifies the state's schema. Required with `snapshotEvery`. */
  readonly stateCodec?: AvroCodec<S>;
}

export interface RepositoryOptions {
  /**
   * Called when a background snapshot fails (a snapshot is a cache: the aggregate still loads,
   * by replaying more events). Default: a warning through `logger`.
   */
  readonly onSnapshotError?: (error: unknown, streamId: string) => void;
  /** Failed background snapshots (default: concise lines on stderr). */
  readonly logger?: Logger;
  /**
   * With a schema registry: the outbox rows of Avro events carry the Confluent framing (magic
   * byte + the version's registry id), so the relay publishes what Java, Connect or ksqlDB
   * consumers decode by id. The events table keeps the plain Avro data.
   */
  readonly registry?: PublishRegistry;
}

export interface RepositoryLoadOptions {
  /**
   * Read in this transaction (a pooled client after BEGIN). A load through a client never
   * writes a snapshot: what it reads may not be committed yet.
   */
  readonly client?: Queryable;
  /** Use the stored snapshot (default true); false replays the whole stream. */
  readonly useSnapshot?: boolean;
  /** Events read per round trip (default 1000). */
  readonly pageSize?: number;
}

export interface RepositoryAppendOptions {
  /**
   * Append in this transaction (a pooled client after BEGIN), so that business tables commit or
   * roll back with the events and their outbox rows. No snapshot is written then (this code
   * does not see the commit); the next load through the pool writes it if it is due.
   */
  readonly client?: Queryable;
  /** CloudEvents `correlationid` of events given without an envelope (an envelope's own wins). */
  readonly correlationId?: string;
  /** CloudEvents `causationid` of events given without an envelope (an envelope's own wins). */
  readonly causationId?: string;
}

/** One append of `appendMany`: what `append` takes. */
export interface RepositoryAppend<Id, I> extends Omit<RepositoryAppendOptions, 'client'> {
  readonly id: Id;
  readonly events: readonly I[];
  readonly expectedVersion: number;
  /** The context the append's `create` span starts under (default: the active one). */
  readonly parent?: Context;
}

export interface AppendedEvents {
  /** The stream's version after the append: the next append's expectedVersion. */
  readonly version: number;
  /** The CloudEvents ids of the appended events, in order. */
  readonly eventIds: readonly string[];
}

/** An aggregate as a committed transaction left it (see Repository.snapshotCommitted). */
export interface CommittedAggregate<S> {
  /** The version of the snapshot the transaction's load started from (0: none). */
  readonly snapshotVersion: number;
  /** The stream version the transaction left. */
  readonly version: number;
  /** The state at `version`. */
  readonly state: () => S;
}

/** The typed repository of one aggregate. */
export interface Repository<Id extends AggregateId, S, I> {
  /**
   * State and version of the aggregate (initial state and version 0 if it has no events). Throws
   * EventDecodeError, naming stream and version, for a stored event this code cannot read.
   */
  load(id: Id, options?: RepositoryLoadOptions): Promise<LoadedAggregate<S>>;
  /**
   * Appends `events` after `expectedVersion` (0 for a new aggregate) with their outbox rows, in
   * one statement. Throws ConcurrencyError (saying what was expected and found) when the stream
   * moved on; nothing is written then, and a caller's transaction stays usable.
   */
  append(id: Id, events: readonly I[], expectedVersion: number, options?: RepositoryAppendOptions): Promise<AppendedEvents>;
  /**
   * `load` of several aggregates in one statement, in the caller's transaction: each outcome in
   * the order of `ids` (an aggregate whose events cannot be decoded does not fail the others).
   */
  loadMany?(ids: readonly Id[], options: { readonly client: Queryable }): Promise<Array<PromiseSettledResult<LoadedAggregate<S>>>>;
  /**
   * `append` of several appends in one statement, in the caller's transaction (appendToStreams):
   * appends to one aggregate follow each other and are written or refused together; an
   * aggregate that moved on gets its ConcurrencyError in the result of each of its appends
   * while the others are written.
   */
  appendMany?(appends: readonly RepositoryAppend<Id, I>[], options: { readonly client: Queryable }): Promise<Array<AppendedEvents | ConcurrencyError>>;
  /**
   * The state after `events` (as given to `append`) are applied to `state`: each event encoded as
   * an append stores it and decoded as a load reads it back, so the result is what a load after
   * the append gives (the command handler keeps it for the next command of its transaction).
   */
  stateAfter?(state: S, events: readonly I[]): S;
  /**
   * Call after the caller's transaction that loaded the aggregate (loadMany) and appended to it
   * COMMITTED: snapshots the state it left, in the background through the pool, when it is due as
   * for a load through the pool (`snapshotEvery` or more events past the snapshot that load
   * started from, the transaction's appends included). `state` (the state at `version`) is
   * computed only then, in the background; a failure goes to onSnapshotError. Returns at once.
   */
  snapshotCommitted?(id: Id, committed: CommittedAggregate<S>): void;
  /** Loads the aggregate through the pool and stores its snapshot now; false without snapshots or events. */
  snapshot(id: Id): Promise<boolean>;
  /** Resolves when every background snapshot started so far has finished (for shutdown and tests). */
  settled(): Promise<void>;
}

function eventAttributes(event: NewEvent): Record<string, string> {
  return { 'messaging.message.id': event.eventId, 'cloudevents.event_id': event.eventId, 'cloudevents.event_type': event.eventType };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function own<T>(table: { readonly [key: string]: T }, key: string | number): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function versionsOf(codecs: EventCodecTable, type: string): readonly number[] {
  const versions = own(codecs, type);
  return versions === undefined ? [] : Object.keys(versions).map(Number).sort((a, b) => a - b);
}

function isEnvelope(event: TypedEvent): event is CloudEvent<string, unknown, number> {
  return 'specversion' in event;
}

/** What decoding an event reads of it: the repository's decoders use nothing else. */
type StoredData = Pick<RecordedEvent, 'eventType' | 'schemaVersion' | 'contentType' | 'data'>;

/** Decodes the stored data of one event with the codec of the version it was written in. */
function decodeData(codecs: EventCodecTable, event: StoredData): unknown {
  const codec = own(own(codecs, event.eventType) ?? {}, event.schemaVersion);
  if (codec === undefined) {
    throw new RangeError(`no schema version ${event.schemaVersion} of ${event.eventType} in this code (known: ${versionsOf(codecs, event.eventType).join(', ')})`);
  }
  const media = mediaType(event.contentType);
  if (media === contentTypes.avro) return codec.fromBinary(event.data);
  if (media === contentTypes.json) return codec.fromJson(utf8.decode(event.data));
  throw new TypeError(`unsupported content type ${JSON.stringify(event.contentType)}`);
}

/** An event as its stored data decodes, upcast to its latest version: what a load applies. */
function decodeStored<Id extends AggregateId, S, E extends TypedEvent, G extends EventCodecTable>(def: RepositoryDefinition<Id, S, E, G>, event: StoredData): E {
  // The codec of exactly this type and version accepted the bytes, so this is a member of StoredEventOf<G>.
  return def.upcast({ type: event.eventType, dataVersion: event.schemaVersion, data: decodeData(def.codecs, event) } as StoredEventOf<G>);
}

/**
 * A stream as this repository last left it through the pool: its state at `version` (encoded as
 * a snapshot stores it; absent: the initial state, version 0) and the events it appended after
 * that, in version order. Events are never changed once stored, so when an append at
 * `version + events.length` succeeds, these are exactly what a load would read up to there.
 */
interface StreamTail {
  readonly version: number;
  readonly state: Uint8Array | undefined;
  readonly events: Array<StoredData & { readonly streamVersion: number }>;
}

/**
 * Whether `err` is the server's error for a statement (an ErrorResponse: the statement's own
 * transaction rolled back, nothing written), not a lost connection (the outcome unknown) nor one
 * of the store's own outcomes (a conflict, a duplicate event).
 */
function rolledBack(err: unknown): boolean {
  if (err instanceof ConcurrencyError || err instanceof DuplicateEventError) return false;
  const { code } = pgErrorInfo(err);
  const severity = typeof err === 'object' && err !== null && 'severity' in err ? err.severity : undefined;
  return typeof severity === 'string' && code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
}

/** Streams whose tail a repository keeps, and their bytes (the least recently appended go first). */
const MAX_TAILS = 1000;
const MAX_TAIL_BYTES = 8 * 1024 * 1024;

/** The runtime's aggregate definition: one decoder per event type (a missing type is an EventDecodeError). */
function aggregateDefinition<Id extends AggregateId, S, E extends TypedEvent, G extends EventCodecTable>(
  def: RepositoryDefinition<Id, S, E, G>,
): AggregateDefinition<S, E> {
  const decoders: { [type: string]: EventDecoder<E> } = Object.create(null) as { [type: string]: EventDecoder<E> };
  for (const type of Object.keys(def.codecs)) decoders[type] = (event) => decodeStored(def, event);
  const codec = def.stateCodec;
  return {
    streamType: def.streamType,
    initialState: () => def.initialState,
    decoders,
    evolve: def.evolve,
    ...(codec !== undefined && def.snapshotEvery !== undefined
      ? {
          snapshot: {
            fingerprint: codec.fingerprintHex,
            contentType: contentTypes.avro,
            encode: (state: S) => codec.toBinary(state),
            decode: (bytes: Uint8Array) => codec.fromBinary(bytes),
          },
        }
      : {}),
  };
}

function checkDefinition(def: { readonly streamType: string; readonly codecs: EventCodecTable; readonly snapshotEvery?: number; readonly stateCodec?: unknown }): void {
  const every = def.snapshotEvery;
  if (every !== undefined) {
    if (!Number.isSafeInteger(every) || every < 1) throw new RangeError(`eventsmith: snapshotEvery of ${def.streamType} must be a positive integer, got ${every}`);
    if (def.stateCodec === undefined) throw new TypeError(`eventsmith: ${def.streamType} has snapshotEvery but no stateCodec`);
  }
  for (const type of Object.keys(def.codecs)) {
    if (versionsOf(def.codecs, type).length === 0) throw new TypeError(`eventsmith: ${def.streamType} event ${type} has no codecs`);
  }
}

/**
 * A repository over `pool`. Snapshots (when the definition has `snapshotEvery`) are written by an
 * append through the pool that crosses a multiple of N (in its statement when the stream's tail
 * gives the state, else in the background after it commits), and after a load through the pool
 * that applied N or more events on top of its snapshot; writers never wait for a snapshot row.
 */
export function createRepository<Id extends AggregateId, S, E extends TypedEvent, G extends EventCodecTable>(
  pool: ConnectionPool,
  def: RepositoryDefinition<Id, S, E, G>,
  options: RepositoryOptions = {},
): Repository<Id, S, EventInput<E>> {
  checkDefinition(def);
  const aggregate = aggregateDefinition(def);
  const every = aggregate.snapshot === undefined ? undefined : def.snapshotEvery;
  const encoding = def.encoding;
  const contentType = contentTypes[encoding];
  const pending = new Set<Promise<void>>();
  const log = componentLogger(options.logger, 'repository', { aggregate: def.streamType });
  const onSnapshotError =
    options.onSnapshotError ?? ((err: unknown, streamId: string) => log.warn({ err, streamId }, 'background snapshot failed; loads replay more events until the next one'));

  const reportSnapshotError = (error: unknown, streamId: string): void => {
    try {
      onSnapshotError(error, streamId);
    } catch {
      // A throwing handler must not become an unhandled rejection that ends the process.
    }
  };

  const inBackground = (streamId: string, work: () => Promise<unknown>): void => {
    const task = work().then(
      () => undefined,
      (error: unknown) => reportSnapshotError(error, streamId),
    );
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };

  // The snapshot due at an append is computed from the stream's tail when this repository wrote
  // every event since a state it knows (a stream it created, or its last snapshot), and stored by
  // the append's own statement: reading the events back and decoding their rows, then storing the
  // snapshot with a statement and a commit of its own, cost more than the append whose crossing
  // called for it (~1.7 ms, ~1 ms of it on this thread, every 5 appends of 10). Another writer of
  // the stream (another process, a caller's transaction) breaks the chain, and the snapshot is
  // loaded and stored after the commit as before.
  const tails = new Map<string, StreamTail>();
  let tailBytes = 0;
  const sizeOf = (tail: StreamTail): number => (tail.state?.byteLength ?? 0) + tail.events.reduce((n, e) => n + e.data.byteLength, 0);
  const forget = (streamId: string): StreamTail | undefined => {
    const tail = tails.get(streamId);
    if (tail !== undefined) {
      tails.delete(streamId);
      tailBytes -= sizeOf(tail);
    }
    return tail;
  };
  const remember = (streamId: string, tail: StreamTail): void => {
    forget(streamId);
    tails.set(streamId, tail); // last: the most recently appended
    tailBytes += sizeOf(tail);
    while (tails.size > MAX_TAILS || tailBytes > MAX_TAIL_BYTES) forget(tails.keys().next().value as string);
  };

  /** Records a committed append through the pool on the stream's tail, or forgets a tail it does not extend. */
  const extendTail = (streamId: string, expectedVersion: number, events: readonly NewEvent[]): void => {
    const tail = expectedVersion === 0 ? { version: 0, state: undefined, events: [] } : forget(streamId);
    if (tail === undefined || tail.version + tail.events.length !== expectedVersion) return;
    let version = expectedVersion;
    for (const e of events) tail.events.push({ streamVersion: ++version, eventType: e.eventType, schemaVersion: e.schemaVersion, contentType: e.contentType, data: e.data });
    remember(streamId, tail);
  };

  const storeSnapshot = (streamId: string, version: number, snapshot: AppendSnapshot): Promise<boolean> =>
    saveSnapshot(pool, { streamType: def.streamType, streamId, streamVersion: version, ...snapshot });

  /** Loads the aggregate through the pool and stores its snapshot (its state then starts the stream's tail). */
  const snapshotNow = async (streamId: string): Promise<boolean> => {
    const codec = aggregate.snapshot;
    if (codec === undefined) return false;
    const loaded = await loadAggregate(pool, aggregate, streamId);
    if (loaded.version === 0) return false;
    const snapshot = encodeStateSnapshot(codec, loaded.state);
    // Only where no append of this repository started a tail meanwhile; one that ran meanwhile
    // left none, so the next append finds this tail behind it and forgets it.
    if (!tails.has(streamId)) remember(streamId, { version: loaded.version, state: snapshot.state, events: [] });
    return storeSnapshot(streamId, loaded.version, snapshot);
  };

  /**
   * The encoded state after `events`, appended at `expectedVersion`, from the stream's tail, as
   * a load after the append would compute it (each event decoded from the bytes stored); undefined
   * when the tail does not reach exactly `expectedVersion` (another writer) or cannot be applied.
   */
  const stateAfterTail = (streamId: string, expectedVersion: number, events: readonly NewEvent[]): AppendSnapshot | undefined => {
    const tail = expectedVersion === 0 ? { version: 0, state: undefined, events: [] } : tails.get(streamId);
    const codec = aggregate.snapshot;
    if (codec === undefined || tail === undefined || tail.version + tail.events.length !== expectedVersion) return undefined;
    try {
      let state = tail.state === undefined ? def.initialState : codec.decode(tail.state);
      for (const e of [...tail.events, ...events]) state = def.evolve(state, decodeStored(def, e));
      return encodeStateSnapshot(codec, state);
    } catch {
      // Not the writer's concern: the snapshot is then loaded after the commit, which reports it.
      return undefined;
    }
  };

  /** Stores a snapshot the append statement could not (another session held its row), in the background. */
  const saveLater = (streamId: string, version: number, snapshot: AppendSnapshot): void =>
    inBackground(streamId, () => storeSnapshot(streamId, version, snapshot));

  // Per event type, computed once: sorting the codec table's versions took more than a UUID per event.
  const latestVersions = new Map(Object.keys(def.codecs).map((type) => [type, versionsOf(def.codecs, type).at(-1) ?? 0]));

  const encode = (type: string, version: number, data: unknown): Uint8Array => {
    const codec = own(own(def.codecs, type) ?? {}, version);
    if (codec === undefined) {
      const known = versionsOf(def.codecs, type);
      throw new TypeError(
        known.length === 0
          ? `eventsmith: ${type} is not an event of ${def.streamType}`
          : `eventsmith: ${type} has no version ${version} (known: ${known.join(', ')})`,
      );
    }
    return encoding === 'avro' ? codec.toBinary(data) : utf8Encoder.encode(codec.toJson(data));
  };

  /** Frames each Avro outbox payload with its version's registry id (resolved before the transaction). */
  const frameOutbox = async (newEvents: NewEvent[], registry: PublishRegistry): Promise<NewEvent[]> =>
    Promise.all(newEvents.map(async (e) => {
      const codec = own(own(def.codecs, e.eventType) ?? {}, e.schemaVersion) as AvroCodec<unknown> | undefined;
      if (codec === undefined || e.outbox === undefined || e.contentType !== 'application/avro') return e;
      const subject = registry.subject(e.eventType, e.schemaVersion);
      const schemaId = registry.resolver.cachedId(subject, codec) ?? (await registry.resolver.idFor(subject, codec));
      return { ...e, outbox: { ...e.outbox, payload: frameConfluent(schemaId, e.data) } };
    }));

  const toNewEvent = (event: EventInput<E>, streamId: string, streamVersion: number, now: Date, opts: RepositoryAppendOptions, trace: TraceHeaders | undefined): NewEvent => {
    let id: string;
    let time: string;
    let occurredAt: Date;
    let version: number;
    let source = def.source;
    let correlationId = opts.correlationId;
    let causationId = opts.causationId;
    if (isEnvelope(event)) {
      if (event.subject !== streamId) {
        throw new RangeError(`eventsmith: envelope ${event.id} is about ${JSON.stringify(event.subject)}, not ${def.streamType} ${JSON.stringify(streamId)}`);
      }
      if (!uuidPattern.test(event.id)) throw new RangeError(`eventsmith: envelope id ${JSON.stringify(event.id)} must be a UUID to be stored (event ids are uuid)`);
      id = event.id;
      time = event.time;
      occurredAt = new Date(event.time);
      if (Number.isNaN(occurredAt.getTime())) throw new RangeError(`eventsmith: envelope ${event.id} has an invalid time ${JSON.stringify(event.time)}`);
      version = event.dataversion;
      source = event.source;
      correlationId = event.correlationid ?? correlationId;
      causationId = event.causationid ?? causationId;
    } else {
      id = uuidV7(now.getTime());
      time = now.toISOString();
      occurredAt = now;
      version = latestVersions.get(event.type) ?? 0;
    }
    const data = encode(event.type, version, event.data);
    // No content-type here: the row's content_type column is that header (for the relay and for
    // Debezium's EventRouter alike), as outboxEntry lays rows out; a copy cost every row 36 bytes.
    const headers: { [name: string]: string } = {
      ce_specversion: '1.0',
      ce_id: id,
      ce_source: source,
      ce_type: event.type,
      ce_time: time,
      ce_subject: streamId,
      ce_dataschema: dataschemaFor(event.type, version),
      ce_dataversion: String(version),
      ce_partitionkey: streamId,
      [`ce_${STREAM_VERSION_EXTENSION}`]: String(streamVersion),
    };
    // The CloudEvents distributed-tracing extension: the relay publishes it later, from another process.
    if (trace !== undefined) {
      headers.ce_traceparent = trace.traceparent;
      if (trace.tracestate !== undefined) headers.ce_tracestate = trace.tracestate;
    }
    const metadata: { [key: string]: string } = { source };
    if (correlationId !== undefined) {
      headers.ce_correlationid = correlationId;
      metadata.correlationid = correlationId;
    }
    if (causationId !== undefined) {
      headers.ce_causationid = causationId;
      metadata.causationid = causationId;
    }
    const outboxHeaders: OutboxHeaders = headers;
    const eventMetadata: EventMetadata = metadata;
    return {
      eventId: id,
      eventType: event.type,
      schemaVersion: version,
      data,
      contentType,
      metadata: eventMetadata,
      occurredAt,
      outbox: { topic: def.topic, payload: data, headers: outboxHeaders, key: streamId, type: event.type, contentType },
    };
  };

  /**
   * One append's `create` span (its context is the creation context of every event written)
   * and its events as stored; the span is failed here if they cannot be made.
   */
  const start = (
    streamId: string,
    events: readonly EventInput<E>[],
    expectedVersion: number,
    appendOptions: RepositoryAppendOptions,
    parent: Context | undefined,
  ): { readonly span: Span | undefined; readonly newEvents: Promise<NewEvent[]> } => {
    const now = new Date();
    const span = startSpan(`create ${def.topic}`, {
      kind: 'producer',
      attributes: messagingAttributes('create', def.topic, { key: streamId, count: events.length, aggregate: def.streamType }),
      ...(parent !== undefined ? { parent } : {}),
    });
    const make = async (): Promise<NewEvent[]> => {
      const trace = traceHeadersOf(span);
      let newEvents = events.map((e, i) => toNewEvent(e, streamId, expectedVersion + i + 1, now, appendOptions, trace));
      if (options.registry !== undefined && encoding === 'avro') newEvents = await frameOutbox(newEvents, options.registry);
      if (newEvents.length === 1 && span?.isRecording()) span.setAttributes(eventAttributes(newEvents[0] as NewEvent));
      return newEvents;
    };
    return { span, newEvents: make() };
  };

  return {
    async load(id, loadOptions = {}) {
      const streamId = def.streamId(id);
      const loaded = await loadAggregate(loadOptions.client ?? pool, aggregate, streamId, {
        ...(loadOptions.useSnapshot !== undefined ? { useSnapshot: loadOptions.useSnapshot } : {}),
        ...(loadOptions.pageSize !== undefined ? { pageSize: loadOptions.pageSize } : {}),
      });
      // A long tail (appends in callers' transactions, or a snapshot of an older state schema):
      // store what was just computed, unless it was read inside a transaction that may roll back.
      if (every !== undefined && loadOptions.client === undefined && loadOptions.useSnapshot !== false && loaded.eventsApplied >= every) {
        inBackground(streamId, () => saveAggregateSnapshot(pool, aggregate, streamId, loaded));
      }
      return loaded;
    },

    async append(id, events, expectedVersion, appendOptions = {}) {
      const streamId = def.streamId(id);
      const { span, newEvents: prepared } = start(streamId, events, expectedVersion, appendOptions, undefined);
      let result: Awaited<ReturnType<typeof appendToStream>>;
      let newEvents: NewEvent[];
      // Through the pool, an append that crosses a multiple of N stores the snapshot in its own
      // statement when the stream's tail gives the state (no extra round trip or commit); else
      // it is loaded and stored after the commit, off the writer's path.
      const crosses = every !== undefined && appendOptions.client === undefined && Math.floor((expectedVersion + events.length) / every) > Math.floor(expectedVersion / every);
      let snapshot: AppendSnapshot | undefined;
      let snapshotError: { readonly error: unknown } | undefined;
      try {
        newEvents = await prepared;
        const input = { streamType: def.streamType, streamId, expectedVersion, events: newEvents };
        if (crosses) snapshot = stateAfterTail(streamId, expectedVersion, newEvents);
        if (snapshot === undefined) {
          result = await appendToStream(appendOptions.client ?? pool, input);
        } else {
          try {
            result = await appendToStream(pool, input, snapshot);
          } catch (err) {
            if (!rolledBack(err)) throw err;
            // A snapshot is a cache and must not fail the append: the statement was rolled back
            // (nothing written), so the append goes again alone, and the error is reported as a
            // failed background snapshot's.
            snapshotError = { error: err };
            snapshot = undefined;
            result = await appendToStream(pool, input);
          }
        }
      } catch (err) {
        failSpan(span, err);
        throw err;
      }
      span?.end();
      if (every !== undefined && appendOptions.client === undefined) {
        if (snapshot !== undefined) {
          remember(streamId, { version: result.streamVersion, state: snapshot.state, events: [] });
          if (result.snapshotSettled !== true) saveLater(streamId, result.streamVersion, snapshot);
        } else {
          extendTail(streamId, expectedVersion, newEvents);
          if (snapshotError !== undefined) reportSnapshotError(snapshotError.error, streamId);
          else if (crosses) inBackground(streamId, () => snapshotNow(streamId));
        }
      }
      return { version: result.streamVersion, eventIds: newEvents.map((e) => e.eventId) };
    },

    async loadMany(ids, loadOptions) {
      // In the caller's transaction: no snapshot here (what it reads may not be committed yet);
      // the caller hands what its transaction left to snapshotCommitted after COMMIT.
      return loadAggregates(loadOptions.client, aggregate, ids.map((id) => def.streamId(id)));
    },

    async appendMany(appends, appendOptions) {
      const started = appends.map((a) => {
        const streamId = def.streamId(a.id);
        return { a, streamId, ...start(streamId, a.events, a.expectedVersion, a, a.parent) };
      });
      let results: Array<Awaited<ReturnType<typeof appendToStream>> | ConcurrencyError>;
      let prepared: NewEvent[][];
      try {
        prepared = await Promise.all(started.map((p) => p.newEvents));
        results = await appendToStreams(
          appendOptions.client,
          started.map((p, j) => ({ streamType: def.streamType, streamId: p.streamId, expectedVersion: p.a.expectedVersion, events: prepared[j] as NewEvent[] })),
        );
      } catch (err) {
        for (const p of started) failSpan(p.span, err);
        throw err;
      }
      return results.map((r, j) => {
        const { span } = started[j] as (typeof started)[number];
        if (r instanceof ConcurrencyError) {
          failSpan(span, r);
          return r;
        }
        span?.end();
        return { version: r.streamVersion, eventIds: (prepared[j] as NewEvent[]).map((e) => e.eventId) };
      });
    },

    stateAfter(state, events) {
      let current = state;
      for (const event of events) {
        const version = isEnvelope(event) ? event.dataversion : (versionsOf(def.codecs, event.type).at(-1) ?? 0);
        const stored = { eventType: event.type, schemaVersion: version, data: encode(event.type, version, event.data), contentType } as RecordedEvent;
        // A member of StoredEventOf<G>: the codec of this type and version wrote the bytes.
        current = def.evolve(current, def.upcast({ type: event.type, dataVersion: version, data: decodeData(def.codecs, stored) } as StoredEventOf<G>));
      }
      return current;
    },

    snapshotCommitted(id, committed) {
      if (every === undefined || committed.version - committed.snapshotVersion < every) return;
      const streamId = def.streamId(id);
      // Async, so that a throw of `state` goes to onSnapshotError, not to the caller (after its COMMIT).
      inBackground(streamId, async () => saveAggregateSnapshot(pool, aggregate, streamId, { state: committed.state(), version: committed.version }));
    },

    snapshot(id) {
      return snapshotNow(def.streamId(id));
    },

    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
