/**
 * Projections: read models kept from the event store by generated rules.
 *
 * - Reading: eventsmith_events in (txid, global_position) order, gap-free by the same rule as the
 *   outbox relay (gap-free.ts): no event is skipped under concurrent, out-of-order commits.
 * - Exactly once: each batch is applied and its checkpoint stored in one transaction, with the
 *   checkpoint row locked (FOR UPDATE) while the batch reads and applies. A crash anywhere rolls
 *   back both; two appliers can never apply the same batch.
 * - One active runner per projection: a session advisory lock on the runner's own connection.
 *   When the process dies, PostgreSQL drops the connection and the lock with it, and a standby
 *   that keeps trying the lock takes over from the stored checkpoint.
 * - Read ahead: while behind, the runner reads (and decodes) the next batch's events on a second
 *   connection while it applies the current one. The next batch's transaction locks the
 *   checkpoint and applies them only if it stands where they were read after; if anything else
 *   moved it, they are discarded and read again. The rows they touch are read after the lock.
 * - Rebuild without downtime: replay into a shadow table (its own checkpoint, so it resumes),
 *   then, with the live checkpoint locked, catch up and swap the tables in one transaction.
 *   Readers wait for that commit at most; they never see an empty or partial table.
 * - The definition's fingerprint (a hash of the spec's columns and rules) is stored with the
 *   checkpoint: a runner whose rules differ from those the table was built with refuses to apply
 *   (ProjectionRebuildRequiredError) until a rebuild swaps in a table built with its rules.
 * - An event its rule cannot apply (an insert on a key that has a row, a null key, a custom rule
 *   hitting a unique or not-null constraint) would fail its batch on every retry and stop the
 *   projection for good: it is parked instead, in eventsmith_projection_parked, in the batch's
 *   transaction, and the runner goes on (projectionParked counts them).
 */
import { type ConnectionPool, type PooledConnection, type Queryable, type QueryResultLike, type Row, UNIQUE_VIOLATION, asBigInt, asInt, asJson, asString, firstRow, inTransaction, pgErrorInfo, rowsOf } from './db.js';
import { type RecordedEvent, toRecordedEvent, EVENT_COLUMNS } from './event-store.js';
import { type TxCursor, TX_CURSOR_START, cursorParams, gapFreeAfter, gapFreeAfterCursor } from './gap-free.js';
import { BatchFolder, type LoadedRow, type Preloaded, type ProjectionBatchRules, arrayLiteral, prepared } from './projection-rules.js';
import { type Logger, errorMessage, stderrLogger, withFields } from '../logger.js';
import { type CloudEvent, STREAM_VERSION_EXTENSION, streamVersionOf } from '../cloudevents.js';

/** What a projection rule receives: the event (latest version) and its metadata. */
export interface ProjectionEvent<E> {
  readonly eventId: string;
  /** The aggregate id (stream id; the CloudEvents subject). */
  readonly subject: string;
  /** When the event occurred. */
  readonly time: Date;
  /** The stream version of the event. */
  readonly version: number;
  readonly event: E;
}

/** What a custom rule returns: a stub without a return statement does not compile. */
export type ProjectionApplied = 'applied';

/** The decoding part of the generated kafka.ts `eventDecoding`: codecs and upcasters per type and version. */
export interface ProjectionDecoding {
  codec(type: string, version: number): { fromBinary(bytes: Uint8Array): unknown; fromJson(text: string): unknown } | undefined;
  upcast(type: string, version: number, data: unknown): unknown;
}

export interface ProjectionDefinition<E> {
  /** The projection's name: its checkpoint's key. */
  readonly name: string;
  /** The live table. */
  readonly table: string;
  /** Hash of the columns and rules the generated code implements. */
  readonly fingerprint: string;
  /** Stream types (aggregates) and CloudEvents types the rules handle. */
  readonly streamTypes: readonly string[];
  readonly eventTypes: readonly string[];
  readonly decoding: ProjectionDecoding;
  /** DDL of the table named `table`: idempotent statements; index names derive from `table`. */
  ddl(table: string): readonly string[];
  /** [name the DDL gives an index or constraint of `table`], to rename them at a swap. */
  indexNames(table: string): readonly string[];
  /** Applies one event to `table` inside the caller's transaction. */
  apply(db: Queryable, table: string, event: ProjectionEvent<E>): Promise<void>;
  /**
   * The declarative rules as data: the runner applies runs of their events set-based
   * (projection-rules.ts) and calls `apply` only for the other (custom) events. Without it, every
   * event goes through `apply`.
   */
  readonly batch?: ProjectionBatchRules<E>;
}

export class ProjectionRebuildRequiredError extends Error {
  constructor(
    readonly projection: string,
    readonly storedFingerprint: string,
    readonly fingerprint: string,
  ) {
    super(
      `eventsmith: projection ${projection} was built with rules ${storedFingerprint}, this code has ${fingerprint}: rebuild required (rebuildProjection)`,
    );
    this.name = 'ProjectionRebuildRequiredError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A stored event as `{ type, data }` of its latest version (decoded with its writer's codec, then upcast). */
export function decodeStoredEvent(decoding: ProjectionDecoding, recorded: RecordedEvent): { readonly type: string; readonly data: unknown } {
  return decodeEventData(decoding, recorded.eventId, recorded.eventType, recorded.schemaVersion, recorded.contentType, recorded.data);
}

function decodeEventData(decoding: ProjectionDecoding, eventId: string, type: string, version: number, contentType: string, data: Uint8Array): { readonly type: string; readonly data: unknown } {
  const codec = decoding.codec(type, version);
  if (codec === undefined) throw new Error(`eventsmith: event ${eventId}: no codec for ${type} v${version}`);
  const raw = contentType.startsWith('application/avro') ? codec.fromBinary(data) : codec.fromJson(utf8.decode(data));
  return { type, data: decoding.upcast(type, version, raw) };
}

/** A stored event as its projection rules receive it. The caller vouches that E is the event union of these types. */
export function toProjectionEvent<E>(decoding: ProjectionDecoding, recorded: RecordedEvent): ProjectionEvent<E> {
  return {
    eventId: recorded.eventId,
    subject: recorded.streamId,
    time: recorded.occurredAt,
    version: recorded.streamVersion,
    event: decodeStoredEvent(decoding, recorded) as E,
  };
}

/**
 * A consumed event as its projection's rules receive it (Kafka mode). The stream version comes
 * from the event's `streamversion` extension, which the event store sets on every event it appends
 * (appendToStream, on binary-mode CloudEvents outbox headers; the repository's always are).
 * `needsVersion`: a rule reads `$version` (or is custom, and may): an event without the extension
 * then fails its handler (retried, then dead-lettered) instead of applying a made-up version;
 * otherwise the version is 0 when absent.
 */
export function kafkaProjectionEvent<E>(e: CloudEvent, event: E, needsVersion: boolean): ProjectionEvent<E> {
  const version = streamVersionOf(e);
  if (version === undefined && needsVersion) {
    throw new Error(
      `eventsmith: event ${e.id} (${e.type}) has no ${STREAM_VERSION_EXTENSION} extension: this projection's rules read the stream version, which only events appended through the event store carry`,
    );
  }
  return { eventId: e.id, subject: e.subject, time: new Date(e.time), version: version ?? 0, event };
}

/** Events of eventsmith_events after `after`, gap-free, in (txid, global_position) order. */
export async function readEventsAfter(db: Queryable, after: TxCursor, limit: number): Promise<{ events: RecordedEvent[]; cursor: TxCursor }> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const result = await db.query(
    `SELECT ${EVENT_COLUMNS}, txid::text AS txid
       FROM eventsmith_events e
      WHERE ${gapFreeAfter('e', 'global_position', 1)}
      ORDER BY e.txid, e.global_position
      LIMIT $3`,
    [...cursorParams(after), limit],
  );
  const rows = rowsOf(result);
  const events = rows.map((r) => toRecordedEvent(r));
  const last = rows[rows.length - 1];
  return { events, cursor: last === undefined ? after : { txid: asBigInt(last.txid, 'txid'), position: asBigInt(last.global_position, 'global_position') } };
}

export interface ProjectionCheckpoint extends TxCursor {
  readonly fingerprint: string;
  readonly applied: bigint;
}

function toCheckpoint(row: Row): ProjectionCheckpoint {
  return {
    txid: asBigInt(row.txid, 'txid'),
    position: asBigInt(row.position, 'position'),
    fingerprint: asString(row.fingerprint, 'fingerprint'),
    applied: asBigInt(row.applied, 'applied'),
  };
}

const CHECKPOINT_COLUMNS = 'txid::text AS txid, position::text AS position, fingerprint, applied::text AS applied';

export async function loadProjectionCheckpoint(db: Queryable, name: string): Promise<ProjectionCheckpoint | undefined> {
  const row = firstRow(await db.query(`SELECT ${CHECKPOINT_COLUMNS} FROM eventsmith_projections WHERE name = $1`, [name]));
  return row === undefined ? undefined : toCheckpoint(row);
}

/**
 * Creates the live table and its checkpoint if they are not there (idempotent; every instance may
 * call it at start). Returns whether the stored rules differ from the definition's (rebuild required).
 */
export async function ensureProjection<E>(pool: ConnectionPool, definition: ProjectionDefinition<E>): Promise<{ readonly rebuildRequired: boolean }> {
  return inTransaction(pool, async (tx) => {
    // Serialises concurrent start-ups: CREATE ... IF NOT EXISTS alone races on the catalog.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventsmith_projection_ddl:${definition.name}`]);
    for (const statement of definition.ddl(definition.table)) await tx.query(statement);
    await tx.query(
      `INSERT INTO eventsmith_projections (name, txid, position, fingerprint) VALUES ($1, '0'::xid8, 0, $2) ON CONFLICT (name) DO NOTHING`,
      [definition.name, definition.fingerprint],
    );
    const checkpoint = await loadProjectionCheckpoint(tx, definition.name);
    return { rebuildRequired: checkpoint !== undefined && checkpoint.fingerprint !== definition.fingerprint };
  });
}

export interface BatchOptions {
  /** Events read per batch (default 500). */
  readonly limit?: number;
  /** Checkpoint name (default the projection's name). */
  readonly checkpoint?: string;
  /** Table applied to (default the live table). */
  readonly table?: string;
  /** Refuse to apply when the checkpoint's fingerprint differs (default true; false for a rebuild's shadow). */
  readonly checkFingerprint?: boolean;
}

export interface BatchResult {
  /** Events read from the store (of any type). */
  readonly read: number;
  /** Events the rules applied. */
  readonly applied: number;
  /** Events of the projection's types parked instead of applied (eventsmith_projection_parked). */
  readonly parked: number;
  readonly cursor: TxCursor;
}

interface BatchPlan<E> {
  readonly table: string;
  readonly folder: BatchFolder<E> | undefined;
  readonly read: { readonly name: string; readonly text: string };
  /** The runner's read ahead: the events only, after a cursor given as parameters, no lock (readAhead). */
  readonly ahead: { readonly name: string; readonly text: string };
  /** The types of the declarative rules, when the read also loads the rows they touch. */
  readonly preload: readonly string[] | undefined;
}

const LOCK_CHECKPOINT = { name: 'eventsmith_projection_lock', text: 'SELECT 1 FROM eventsmith_projections WHERE name = $1 FOR UPDATE' } as const;

/** The columns of eventsmith_events a batch reads (alias `e`). */
const EVENT_FIELDS =
  'e.txid, e.global_position, e.stream_type, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.content_type, e.data, e.occurred_at';

/** Of the events `e` read and the projection's own `m`: how many were read, the last one's cursor, and `m` as one JSON array (BatchEventItem). */
const BATCH_EVENTS = `(SELECT count(*) FROM e)::int AS read, l.txid::text AS l_txid, l.global_position::text AS l_position,
       (SELECT json_agg(json_build_array(m.stream_id, m.stream_version, m.event_id::text, m.event_type, m.schema_version, m.content_type,
                                         encode(m.data, 'base64'), floor(extract(epoch FROM m.occurred_at) * 1000)::bigint)
                        ORDER BY m.txid, m.global_position) FROM m)`;

const LAST_EVENT = '(SELECT e.txid, e.global_position FROM e ORDER BY e.txid DESC, e.global_position DESC LIMIT 1)';

const plans = new WeakMap<ProjectionDefinition<never>, Map<string, BatchPlan<never>>>();

/**
 * The batch's statements for `table`, made once per definition and table. The read, in one
 * statement (after the checkpoint's lock when it reads the table, see below): reads the
 * checkpoint and the next events after it (gap-free), and returns
 * one row: the checkpoint, how many events it read and the last one's cursor, the projection's
 * own events as one JSON array (only the columns a rule can use), and, when every rule's key is
 * the subject, the rows those events touch (BatchFolder.preloadSql). One row parsed as JSON
 * costs the driver far less than a thousand rows of a dozen columns.
 */
function planOf<E>(definition: ProjectionDefinition<E>, table: string): BatchPlan<E> {
  const cache = plans.get(definition as ProjectionDefinition<never>) ?? new Map<string, BatchPlan<never>>();
  plans.set(definition as ProjectionDefinition<never>, cache);
  const cached = cache.get(table);
  if (cached !== undefined) return cached as BatchPlan<E>;
  const batch = definition.batch;
  const folder = batch !== undefined ? new BatchFolder(batch, table) : undefined;
  const ruleTypes = batch !== undefined ? Object.keys(batch.rules) : [];
  const preload = folder !== undefined && batch?.subjectKey === true && ruleTypes.length > 0 ? ruleTypes : undefined;
  const rows = folder !== undefined && preload !== undefined ? folder.preloadSql('SELECT DISTINCT m.stream_id FROM m WHERE m.event_type = ANY($5::text[])') : 'NULL::json';
  // With the touched rows in it, the statement opens the projection table (and takes its lock) before
  // it would wait for the checkpoint row: a rebuild's swap, which holds the checkpoint and drops the
  // table, would deadlock with it. Then the checkpoint is locked by a statement of its own first.
  const text = `WITH c AS (SELECT txid, position, fingerprint, applied FROM eventsmith_projections WHERE name = $1${preload === undefined ? ' FOR UPDATE' : ''}),
e AS MATERIALIZED (
  SELECT ${EVENT_FIELDS}
    FROM c CROSS JOIN LATERAL (
      SELECT * FROM eventsmith_events e
       WHERE ${gapFreeAfterCursor('e', 'global_position', 'c.txid', 'c.position')}
       ORDER BY e.txid, e.global_position
       LIMIT $2
    ) AS e
),
m AS (SELECT * FROM e WHERE e.stream_type = ANY($3::text[]) AND e.event_type = ANY($4::text[]))
SELECT c.txid::text AS c_txid, c.position::text AS c_position, c.fingerprint AS c_fingerprint, c.applied::text AS c_applied,
       ${BATCH_EVENTS} AS events,
       ${rows} AS rows
  FROM c LEFT JOIN LATERAL ${LAST_EVENT} AS l ON true`;
  const ahead = `WITH e AS MATERIALIZED (
  SELECT ${EVENT_FIELDS}
    FROM eventsmith_events e
   WHERE ${gapFreeAfter('e', 'global_position', 1)}
   ORDER BY e.txid, e.global_position
   LIMIT $3
),
m AS (SELECT * FROM e WHERE e.stream_type = ANY($4::text[]) AND e.event_type = ANY($5::text[]))
SELECT ${BATCH_EVENTS} AS events
  FROM (SELECT) AS one LEFT JOIN LATERAL ${LAST_EVENT} AS l ON true`;
  const plan: BatchPlan<E> = { table, folder, read: { name: prepared(text, []).name, text }, ahead: { name: prepared(ahead, []).name, text: ahead }, preload };
  cache.set(table, plan as BatchPlan<never>);
  return plan;
}

/**
 * An event of the batch's JSON array: [stream_id, stream_version, event_id, event_type,
 * schema_version, content_type, data (base64), occurred_at (ms)]. Nothing a rule cannot read:
 * a parked event's position and stream type are joined in by its id when it is recorded.
 */
type BatchEventItem = readonly [string, number, string, string, number, string, string, number];

function jsonArray(v: unknown, column: string): readonly unknown[] {
  const parsed = asJson(v, column);
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed)) throw new TypeError(`eventsmith: column ${column}: expected a JSON array`);
  return parsed;
}

/**
 * One batch inside the caller's transaction `tx`: locks the checkpoint row, reads the next events
 * after it, applies those the rules handle, and moves the checkpoint. Commit `tx` to make both
 * durable; roll it back and neither happened.
 */
export async function applyProjectionBatch<E>(tx: Queryable, definition: ProjectionDefinition<E>, options: BatchOptions = {}): Promise<BatchResult> {
  const name = options.checkpoint ?? definition.name;
  const table = options.table ?? definition.table;
  const limit = options.limit ?? 500;
  const plan = planOf(definition, table);
  const params: unknown[] = [name, limit, definition.streamTypes, definition.eventTypes];
  if (plan.preload !== undefined) params.push(plan.preload);
  if (plan.preload !== undefined) await tx.query({ ...LOCK_CHECKPOINT, values: [name] });
  const head = firstRow(await tx.query({ ...plan.read, values: params }));
  if (head === undefined) throw new Error(`eventsmith: projection ${name} has no checkpoint; call ensureProjection first`);
  const checkpoint = toCheckpoint({ txid: head.c_txid, position: head.c_position, fingerprint: head.c_fingerprint, applied: head.c_applied });
  if ((options.checkFingerprint ?? true) && checkpoint.fingerprint !== definition.fingerprint) {
    throw new ProjectionRebuildRequiredError(definition.name, checkpoint.fingerprint, definition.fingerprint);
  }
  const read = asInt(head.read, 'read');
  if (read === 0) return { read: 0, applied: 0, parked: 0, cursor: checkpoint };
  const cursor: TxCursor = { txid: asBigInt(head.l_txid, 'txid'), position: asBigInt(head.l_position, 'global_position') };
  const events = decodeItems(definition, jsonArray(head.events, 'events') as readonly BatchEventItem[]);
  // The touched rows as the batch found them: valid until the first write to the table.
  const preloaded = plan.preload !== undefined ? { rows: jsonArray(head.rows, 'rows') as readonly LoadedRow[] } : undefined;
  return applyEvents(tx, definition, plan, name, { read, cursor, events }, preloaded);
}

/** A batch's events as the rules receive them, with the array item each came from. */
interface DecodedEvent<E> {
  readonly type: string;
  readonly event: ProjectionEvent<E>;
  readonly item: BatchEventItem;
}

/** What a batch read: how many events (of any type), the last one's cursor, and the projection's own, decoded. */
interface ReadBatch<E> {
  readonly read: number;
  readonly cursor: TxCursor;
  readonly events: readonly DecodedEvent<E>[];
}

function decodeItems<E>(definition: ProjectionDefinition<E>, items: readonly BatchEventItem[]): DecodedEvent<E>[] {
  return items.map((item) => {
    const type = item[3];
    const event: ProjectionEvent<E> = {
      eventId: item[2],
      subject: item[0],
      time: new Date(item[7]),
      version: item[1],
      event: decodeEventData(definition.decoding, item[2], type, item[4], item[5], Buffer.from(item[6], 'base64')) as E,
    };
    return { type, event, item };
  });
}

/**
 * Applies the events of `batch` in `tx`, whose checkpoint `name` is locked and stands where the
 * batch was read after, and moves it to the batch's cursor. `preloaded`: the rows the events
 * touch, read in this transaction after the lock (else the fold reads them).
 */
async function applyEvents<E>(
  tx: Queryable,
  definition: ProjectionDefinition<E>,
  plan: BatchPlan<E>,
  name: string,
  batch: ReadBatch<E>,
  preloadedRows: Preloaded | undefined,
): Promise<BatchResult> {
  const { read, cursor } = batch;
  let preloaded = preloadedRows;
  const table = plan.table;
  const folder = plan.folder;
  const parked: Parked[] = [];
  let run: DecodedEvent<E>[] = [];
  // Folds the run of rule events so far; its writes go out with the next statement (`first` numbers their parameters).
  const fold = async (first: number): Promise<{ readonly ctes: string[]; readonly params: unknown[] }> => {
    if (folder === undefined || run.length === 0) return { ctes: [], params: [] };
    const result = await folder.fold(tx, run, preloaded);
    preloaded = undefined;
    for (const p of result.parked) {
      const r = run[p.index];
      if (r !== undefined) parked.push(parkedOf(r.item, p.reason));
    }
    run = [];
    return folder.writes(result, first);
  };
  for (const decoded of batch.events) {
    if (folder?.handles(decoded.type) === true) {
      run.push(decoded);
      continue;
    }
    // A custom rule reads the table: the rows folded so far are written first.
    const before = await fold(1);
    if (before.ctes.length > 0) await tx.query(prepared(`WITH ${before.ctes.join(',\n')}\nSELECT 1`, before.params));
    preloaded = undefined;
    const reason = await applyOne(tx, definition, table, decoded.event);
    if (reason !== undefined) parked.push(parkedOf(decoded.item, reason));
  }
  // The last run's writes, the parked events and the checkpoint: one statement.
  const writes = await fold(5);
  const parking = parked.length > 0 ? [parkCte(5 + writes.params.length)] : [];
  const applied = batch.events.length - parked.length;
  await tx.query(
    prepared(
      `${writes.ctes.length + parking.length > 0 ? `WITH ${[...writes.ctes, ...parking].join(',\n')}\n` : ''}UPDATE eventsmith_projections SET txid = $2::xid8, position = $3::bigint, applied = applied + $4, updated_at = now() WHERE name = $1`,
      [name, ...cursorParams(cursor), applied, ...writes.params, ...(parked.length > 0 ? parkParams(parked) : [])],
    ),
  );
  return { read, applied, parked: parked.length, cursor };
}

/** Events the runner read ahead, after `after`, while it applied the batch that ends there. */
interface AheadBatch<E> extends ReadBatch<E> {
  readonly after: TxCursor;
  /** When every rule's key is the subject: the keys the rule events touch, read with the lock. */
  readonly keys: readonly string[] | undefined;
}

/**
 * The next batch of the live projection after `after`, read without a lock and outside the
 * batch's transaction (the runner's second connection, while it applies the batch ending at
 * `after`). Gap-free like every read: events below the read's snapshot xmin are final, so
 * applying them later is applying the same events.
 */
async function readAhead<E>(db: Queryable, definition: ProjectionDefinition<E>, after: TxCursor, limit: number): Promise<AheadBatch<E>> {
  const plan = planOf(definition, definition.table);
  const head = firstRow(await db.query({ ...plan.ahead, values: [...cursorParams(after), limit, definition.streamTypes, definition.eventTypes] }));
  const read = head === undefined ? 0 : asInt(head.read, 'read');
  if (head === undefined || read === 0) return { after, read: 0, cursor: after, events: [], keys: undefined };
  const cursor: TxCursor = { txid: asBigInt(head.l_txid, 'txid'), position: asBigInt(head.l_position, 'global_position') };
  const events = decodeItems(definition, jsonArray(head.events, 'events') as readonly BatchEventItem[]);
  const folder = plan.folder;
  const keys = plan.preload !== undefined && folder !== undefined ? [...new Set(events.filter((e) => folder.handles(e.type)).map((e) => e.event.subject))] : undefined;
  return { after, read, cursor, events, keys };
}

/** A string as an SQL literal, whatever standard_conforming_strings says (as pg's escapeLiteral). */
function sqlLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/**
 * BEGIN, the checkpoint's lock and (when `keys`) the rows of those keys, in one round trip: a
 * simple query (no parameters, so its values are literals) of three statements. PostgreSQL
 * analyses each statement of a simple query when it runs it, after the one before has finished:
 * the projection table is opened only once the checkpoint is locked, in the order that keeps a
 * rebuild's swap (which holds the checkpoint, then drops the table) from deadlocking with it.
 */
function beginLockLoad(name: string, folder: BatchFolder<unknown> | undefined, keys: readonly string[] | undefined, begin: readonly string[]): string {
  const lock = `${begin.join('; ')}; SELECT ${CHECKPOINT_COLUMNS} FROM eventsmith_projections WHERE name = ${sqlLiteral(name)} FOR UPDATE`;
  return folder !== undefined && keys !== undefined && keys.length > 0 ? `${lock}; ${folder.keysSql(sqlLiteral(arrayLiteral(keys)))}` : lock;
}

/** pg returns a simple query of several statements as an array of results, one statement's as one. */
function resultsOf(result: QueryResultLike | readonly QueryResultLike[]): readonly QueryResultLike[] {
  return Array.isArray(result) ? (result as readonly QueryResultLike[]) : [result as QueryResultLike];
}

/**
 * The live projection's next batch in `tx` from events read ahead: locks the checkpoint and, if
 * it still stands where they were read after (nothing else applied since), applies them; if it
 * moved (another applier, a rebuild's swap), they are discarded and an ordinary batch reads from
 * where it stands. Either way each event is applied once. Only the checkpoint's row is locked
 * before the table is read, as in applyProjectionBatch (a rebuild's swap holds it, then drops the table).
 */
async function applyReadAhead<E>(tx: Queryable, definition: ProjectionDefinition<E>, ahead: AheadBatch<E>, limit: number, begin: readonly string[]): Promise<BatchResult> {
  const plan = planOf(definition, definition.table);
  const results = resultsOf(await tx.query(beginLockLoad(definition.name, plan.folder as BatchFolder<unknown> | undefined, ahead.keys, begin)));
  // The begin's statements' results, then the lock's, then the rows'.
  const lockAt = begin.length;
  const lockResult = results[lockAt];
  const row = lockResult === undefined ? undefined : firstRow(lockResult);
  if (row === undefined) throw new Error(`eventsmith: projection ${definition.name} has no checkpoint; call ensureProjection first`);
  const checkpoint = toCheckpoint(row);
  if (checkpoint.fingerprint !== definition.fingerprint) throw new ProjectionRebuildRequiredError(definition.name, checkpoint.fingerprint, definition.fingerprint);
  if (checkpoint.txid !== ahead.after.txid || checkpoint.position !== ahead.after.position) {
    return applyProjectionBatch(tx, definition, { limit });
  }
  const loaded = results[lockAt + 1];
  const preloaded = loaded !== undefined && ahead.keys !== undefined ? { rows: jsonArray(firstRow(loaded)?.rows, 'rows') as readonly LoadedRow[], keys: ahead.keys } : undefined;
  return applyEvents(tx, definition, plan, definition.name, ahead, preloaded);
}

const NOT_NULL_VIOLATION = '23502';

/** One event through `apply`, under a savepoint: a constraint it can never satisfy parks it (returns why) instead of failing the batch. */
async function applyOne<E>(tx: Queryable, definition: ProjectionDefinition<E>, table: string, event: ProjectionEvent<E>): Promise<string | undefined> {
  await tx.query('SAVEPOINT eventsmith_projection_event');
  try {
    await definition.apply(tx, table, event);
  } catch (err) {
    const { code } = pgErrorInfo(err);
    if (code !== UNIQUE_VIOLATION && code !== NOT_NULL_VIOLATION) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT eventsmith_projection_event');
    return err instanceof Error ? err.message : String(err);
  }
  await tx.query('RELEASE SAVEPOINT eventsmith_projection_event');
  return undefined;
}

type Parked = { readonly eventId: string; readonly reason: string };

function parkedOf(item: BatchEventItem, reason: string): Parked {
  return { eventId: item[2], reason };
}

/** The CTE recording parked events; parkParams are its parameters from `$<first>` (the checkpoint name is $1). */
function parkCte(first: number): string {
  const p = (i: number): string => `$${first + i}`;
  return `parked AS (
  INSERT INTO eventsmith_projection_parked (projection, global_position, event_id, event_type, stream_type, stream_id, reason)
  SELECT $1, e.global_position, e.event_id, e.event_type, e.stream_type, e.stream_id, p.reason
    FROM unnest(${p(0)}::uuid[], ${p(1)}::text[]) AS p(event_id, reason)
    JOIN eventsmith_events e ON e.event_id = p.event_id
  ON CONFLICT (projection, global_position) DO NOTHING)`;
}

function parkParams(parked: readonly Parked[]): unknown[] {
  return [parked.map((p) => p.eventId), parked.map((p) => p.reason)];
}

/** How many events of the projection (or of a rebuild's checkpoint name) are parked. */
export async function projectionParked(db: Queryable, name: string): Promise<number> {
  const row = firstRow(await db.query('SELECT count(*)::int AS n FROM eventsmith_projection_parked WHERE projection = $1', [name]));
  return Number(row?.n ?? 0);
}

/** One batch in a transaction of its own. */
export async function projectBatch<E>(pool: ConnectionPool, definition: ProjectionDefinition<E>, options: BatchOptions = {}): Promise<BatchResult> {
  return inTransaction(pool, (tx) => applyProjectionBatch(tx, definition, options));
}

export interface ProjectionLag {
  /** Events of the projection's types not applied yet (committed ones below the read horizon and above it). */
  readonly events: number;
  /** Age of the oldest of them, in seconds (0 when none). */
  readonly seconds: number;
}

export async function projectionLag<E>(db: Queryable, definition: ProjectionDefinition<E>): Promise<ProjectionLag> {
  const row = firstRow(
    await db.query(
      `SELECT count(*)::int AS events, coalesce(extract(epoch FROM now() - min(e.recorded_at)), 0)::float8 AS seconds
         FROM eventsmith_projections p
         JOIN eventsmith_events e ON (e.txid, e.global_position) > (p.txid, p.position)
        WHERE p.name = $1 AND e.stream_type = ANY($2::text[]) AND e.event_type = ANY($3::text[])`,
      [definition.name, definition.streamTypes, definition.eventTypes],
    ),
  );
  return { events: Number(row?.events ?? 0), seconds: Number(row?.seconds ?? 0) };
}

// ---------------------------------------------------------------------------------------------
// The runner

export interface ProjectionRunnerOptions {
  /** Events per batch (default 500). */
  readonly batchSize?: number;
  /** Wait after an empty batch, and between attempts to become the active runner (default 200 ms). */
  readonly idleMillis?: number;
  /** Wait after a failed batch (default 1000 ms). */
  readonly retryMillis?: number;
  readonly logger?: Logger;
  /** Called after every committed batch that read something (tests, metrics). */
  readonly onBatch?: (result: BatchResult) => void;
  /**
   * While behind (a full batch read), read the next batch's events on a second connection of the
   * pool while this one is applied (default true): its read and decoding overlap this batch's
   * writes and commit. Applied only if the checkpoint still stands where they were read after.
   * Off with a pool of one connection.
   */
  readonly readAhead?: boolean;
  /**
   * Wait for each batch's commit to be flushed to disk (default false: PostgreSQL's
   * `synchronous_commit` off for the runner's transactions). A commit lost in a database crash
   * loses the batch's rows and its checkpoint together (one transaction, atomic in the WAL), and
   * the runner applies the batch again from the event store: nothing missing, nothing applied
   * twice. Reads may then briefly see the table as it was a batch earlier. True keeps the
   * server's setting.
   */
  readonly synchronousCommit?: boolean;
}

export interface ProjectionRunnerStatus {
  /** Holds the projection's lock and applies; false while standing by. */
  readonly active: boolean;
  readonly batches: number;
  readonly applied: number;
  /** Events this runner parked (projectionParked counts all of the projection's). */
  readonly parked: number;
  /** Set while the stored rules differ from this code's (nothing is applied). */
  readonly rebuildRequired: boolean;
  readonly lastError?: string;
}

export interface ProjectionRunner {
  status(): ProjectionRunnerStatus;
  lag(): Promise<ProjectionLag>;
  /** Stops after the current batch and releases the lock. */
  stop(): Promise<void>;
}

/** Two int4 advisory-lock keys: a namespace, and the projection in its schema (the tables are per schema). */
const LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext('eventsmith_projection'), hashtext(current_schema() || '.' || $1)) AS locked";
const UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext('eventsmith_projection'), hashtext(current_schema() || '.' || $1))";

function sleep(ms: number, signal: { stopped: boolean; wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/**
 * Runs the projection in the background: stands by until it holds the projection's advisory lock,
 * then applies batch after batch on that same connection. Call ensureProjection first.
 */
export function startProjectionRunner<E>(pool: ConnectionPool, definition: ProjectionDefinition<E>, options: ProjectionRunnerOptions = {}): ProjectionRunner {
  const batchSize = options.batchSize ?? 500;
  const idleMillis = options.idleMillis ?? 200;
  const retryMillis = options.retryMillis ?? 1000;
  const log = withFields(options.logger ?? stderrLogger(), { component: 'projection', projection: definition.name });
  const signal: { stopped: boolean; wake?: () => void } = { stopped: false };
  let client: PooledConnection | undefined;
  let active = false;
  let batches = 0;
  let applied = 0;
  let parked = 0;
  let rebuildRequired = false;
  let lastError: string | undefined;

  // The read ahead takes a second connection while the runner holds one: with a pool of one
  // (pg's Pool exposes its `max`), it would wait for the runner's forever.
  const poolMax = (pool as { readonly options?: { readonly max?: unknown } }).options?.max;
  const readAheadOn = (options.readAhead ?? true) && !(typeof poolMax === 'number' && poolMax < 2);
  // Sent as one simple query: BEGIN and the setting in one round trip.
  const begin = options.synchronousCommit === true ? ['BEGIN'] : ['BEGIN', 'SET LOCAL synchronous_commit TO off'];
  // The read ahead's connection, taken while behind and released when caught up.
  let reader: PooledConnection | undefined;
  let ahead: Promise<AheadBatch<E>> | undefined;

  // Connections that have this runner's 'error' listener: the pool hands the same ones out again.
  const listened = new WeakSet<PooledConnection>();
  const connect = async (): Promise<PooledConnection> => {
    const c = await pool.connect();
    if (!listened.has(c)) {
      listened.add(c);
      // A checked-out connection that dies emits 'error'; without a listener that would crash the process.
      const emitter = c as unknown as { on?: (event: string, listener: (err: unknown) => void) => void };
      emitter.on?.('error', (err) => log.warn({ err }, 'projection connection failed'));
    }
    return c;
  };

  /** Starts reading the batch after `after` (the one being applied ends there). */
  const startReadAhead = (after: TxCursor): void => {
    const next = (async () => {
      reader ??= await connect();
      return readAhead(reader, definition, after, batchSize);
    })();
    // Awaited by the next step, or settled before the reader is released; never unhandled.
    next.catch(() => undefined);
    ahead = next;
  };

  /** Waits for a read ahead in flight and forgets it; releases the reader (broken: discard it). */
  const dropReader = async (broken: boolean): Promise<void> => {
    const pending = ahead;
    ahead = undefined;
    if (pending !== undefined) await pending.catch(() => undefined);
    if (reader !== undefined) reader.release(broken);
    reader = undefined;
  };

  const drop = async (broken: boolean): Promise<void> => {
    await dropReader(broken);
    if (client !== undefined) client.release(broken);
    client = undefined;
    active = false;
  };

  const step = async (): Promise<number> => {
    client ??= await connect();
    if (!active) {
      const row = firstRow(await client.query(LOCK_SQL, [definition.name]));
      if (row?.locked !== true) return -1;
      active = true;
      log.info({}, 'projection runner active');
    }
    const pending = ahead;
    ahead = undefined;
    const next = pending !== undefined ? await pending : undefined;
    const fromAhead = next !== undefined && next.read > 0;
    // A batch read ahead begins its transaction in its first statement (applyReadAhead).
    if (!fromAhead) await client.query(begin.join('; '));
    try {
      let result: BatchResult;
      if (fromAhead) {
        // The batch after this one is read while this one is applied and committed.
        if (next.read === batchSize) startReadAhead(next.cursor);
        result = await applyReadAhead(client, definition, next, batchSize, begin);
      } else {
        result = await applyProjectionBatch(client, definition, { limit: batchSize });
        if (readAheadOn && result.read === batchSize) startReadAhead(result.cursor);
      }
      await client.query('COMMIT');
      if (result.read > 0) {
        batches++;
        applied += result.applied;
        parked += result.parked;
        options.onBatch?.(result);
      }
      if (result.read < batchSize && ahead === undefined && reader !== undefined) await dropReader(false);
      rebuildRequired = false;
      lastError = undefined;
      return result.read;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };

  const loop = (async () => {
    while (!signal.stopped) {
      let wait = 0;
      try {
        const read = await step();
        wait = read === -1 || read < batchSize ? idleMillis : 0;
      } catch (err) {
        lastError = errorMessage(err);
        // What was read ahead was read after a batch that did not commit: discarded (and its
        // connection with it, unless the rules were refused: that failure is not the connection's).
        await dropReader(!(err instanceof ProjectionRebuildRequiredError));
        if (err instanceof ProjectionRebuildRequiredError) {
          if (!rebuildRequired) log.error({ err }, 'rebuild required: not applying');
          rebuildRequired = true;
        } else {
          log.error({ err }, 'projection batch failed; retrying');
          // The connection may be gone (and with it the lock): start over on a fresh one.
          await drop(true);
        }
        wait = retryMillis;
      }
      if (wait > 0 && !signal.stopped) await sleep(wait, signal);
    }
    await dropReader(false);
    if (client !== undefined) {
      if (active) await client.query(UNLOCK_SQL, [definition.name]).catch(() => undefined);
      await drop(false);
    }
  })();

  return {
    status: () => ({ active, batches, applied, parked, rebuildRequired, ...(lastError !== undefined ? { lastError } : {}) }),
    lag: () => projectionLag(pool, definition),
    stop: async () => {
      signal.stopped = true;
      signal.wake?.();
      await loop;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rebuild

export interface RebuildOptions {
  /** Events per batch (default 2000). */
  readonly batchSize?: number;
  /** Called after every batch of the replay. */
  readonly onProgress?: (progress: { readonly read: number; readonly applied: number }) => void;
}

export interface RebuildResult {
  readonly read: number;
  readonly applied: number;
  readonly millis: number;
}

/** The shadow table of a rebuild: the live name and a suffix (a table name is at most 48 characters, so this fits in 63). */
export function shadowTableName(table: string): string {
  return `${table}__rebuild`;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Rebuilds the projection from the whole event store into a shadow table while the live table
 * keeps serving reads (and, with unchanged rules, the runner keeps it current), then swaps them
 * in one transaction. The replay checkpoints as it goes: an interrupted rebuild resumes. The
 * swapped-in table carries this definition's fingerprint.
 */
export async function rebuildProjection<E>(pool: ConnectionPool, definition: ProjectionDefinition<E>, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 2000;
  const shadow = shadowTableName(definition.table);
  const checkpoint = `${definition.name}#rebuild`;
  await ensureProjection(pool, definition);
  await inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventsmith_projection_ddl:${definition.name}`]);
    const existing = await loadProjectionCheckpoint(tx, checkpoint);
    const exists = firstRow(await tx.query('SELECT to_regclass($1) IS NOT NULL AS present', [shadow]))?.present === true;
    if (existing !== undefined && existing.fingerprint === definition.fingerprint && exists) return; // resume
    await tx.query(`DROP TABLE IF EXISTS ${quoteIdent(shadow)}`);
    for (const statement of definition.ddl(shadow)) await tx.query(statement);
    await tx.query(
      `INSERT INTO eventsmith_projections (name, txid, position, fingerprint) VALUES ($1, '0'::xid8, 0, $2)
       ON CONFLICT (name) DO UPDATE SET txid = '0'::xid8, position = 0, fingerprint = excluded.fingerprint, applied = 0, updated_at = now()`,
      [checkpoint, definition.fingerprint],
    );
    await tx.query('DELETE FROM eventsmith_projection_parked WHERE projection = $1', [checkpoint]);
  });
  let read = 0;
  let applied = 0;
  const shadowBatch = { checkpoint, table: shadow, limit: batchSize, checkFingerprint: false } as const;
  for (;;) {
    const r = await projectBatch(pool, definition, shadowBatch);
    read += r.read;
    applied += r.applied;
    options.onProgress?.({ read, applied });
    if (r.read < batchSize) break;
  }
  // Catch up and swap with the live checkpoint locked: the live runner waits, readers keep reading
  // the live table until the DROP, and then wait for the commit, after which they see the new one.
  await inTransaction(pool, async (tx) => {
    await tx.query('SELECT 1 FROM eventsmith_projections WHERE name = $1 FOR UPDATE', [definition.name]);
    for (;;) {
      const r = await applyProjectionBatch(tx, definition, shadowBatch);
      read += r.read;
      applied += r.applied;
      if (r.read === 0) break;
    }
    const done = await loadProjectionCheckpoint(tx, checkpoint);
    if (done === undefined) throw new Error(`eventsmith: the rebuild checkpoint of ${definition.name} vanished`);
    await tx.query(`DROP TABLE IF EXISTS ${quoteIdent(definition.table)}`);
    await tx.query(`ALTER TABLE ${quoteIdent(shadow)} RENAME TO ${quoteIdent(definition.table)}`);
    const from = definition.indexNames(shadow);
    const to = definition.indexNames(definition.table);
    for (const [i, name] of from.entries()) {
      const target = to[i];
      if (target !== undefined) await tx.query(`ALTER INDEX ${quoteIdent(name)} RENAME TO ${quoteIdent(target)}`);
    }
    await tx.query(
      `UPDATE eventsmith_projections SET txid = $2::xid8, position = $3::bigint, fingerprint = $4, applied = $5::bigint, updated_at = now() WHERE name = $1`,
      [definition.name, ...cursorParams(done), definition.fingerprint, done.applied.toString()],
    );
    await tx.query('DELETE FROM eventsmith_projections WHERE name = $1', [checkpoint]);
    // The events parked are those of the replay now: the live table's own went with it.
    await tx.query('DELETE FROM eventsmith_projection_parked WHERE projection = $1', [definition.name]);
    await tx.query('UPDATE eventsmith_projection_parked SET projection = $1 WHERE projection = $2', [definition.name, checkpoint]);
  });
  return { read, applied, millis: Date.now() - started };
}

export { TX_CURSOR_START as PROJECTION_START };
