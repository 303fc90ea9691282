/**
 * The saga rows in eventsmith_saga_state and the outbox rows of the commands a transition sends.
 *
 * A transition is ONE statement: the row's insert (start) or its update from the version the
 * decision was made on, and the outbox rows, which are inserted only if that row was written.
 * It is therefore atomic even outside a transaction, and inside the consumer runner's
 * transaction it commits with the message's processed mark. A concurrent writer of the same row
 * makes the update wait for its commit and then match no row (READ COMMITTED re-checks the
 * version against the committed row): nothing is written, nothing aborts, and the engine
 * reloads and decides again in the same transaction.
 *
 * Layout of the `state` column: `{ "context": <definition.encodeContext(ctx)>, "saga": SagaBook }`.
 */
import { type CloudEventAttributes, attributesOf } from '../kafka/binding.js';
import { dataschemaFor } from '../cloudevents.js';
import { type Queryable, type Row, asDate, asInt, asJson, asNullableDate, asNullableString, asString, firstRow, rowsOf } from '../postgres/db.js';
import { type OutboxColumns, type OutboxMessage, emptyOutboxColumns, outboxInsertSql, outboxParams, pushOutboxRow } from '../postgres/outbox.js';
import { SagaStateError } from './errors.js';
import type { TraceHeaders } from '../telemetry/trace-context.js';
import type { NextState, Outgoing } from './machine.js';
import type { ParkReason, ParkedSaga, SagaBook, SagaCommand, SagaFailure, SagaHistoryEntry, SagaStatus } from './types.js';

/** A row as read, context still JSON. */
export interface StoredSaga {
  readonly sagaType: string;
  readonly sagaId: string;
  readonly status: SagaStatus;
  readonly step: string | null;
  readonly version: number;
  readonly attempt: number;
  readonly timeoutAt: Date | null;
  readonly contextJson: unknown;
  readonly book: SagaBook;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'completed', 'compensated', 'parked'];

const COLUMNS = `saga_type, saga_id, status, step, state, version, attempt, timeout_at, created_at, updated_at`;

function isObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toBook(sagaType: string, sagaId: string, saga: unknown): SagaBook {
  // Written only by this module; checked enough to fail with a clear error on foreign rows.
  if (!isObject(saga) || !isObject(saga.start) || !Array.isArray(saga.completed) || !Array.isArray(saga.toCompensate) || !Array.isArray(saga.history)) {
    throw new SagaStateError(sagaType, sagaId, 'the state column holds no saga bookkeeping (was the row written by this engine?)');
  }
  return saga as unknown as SagaBook;
}

export function toStoredSaga(r: Row): StoredSaga {
  const sagaType = asString(r.saga_type, 'saga_type');
  const sagaId = asString(r.saga_id, 'saga_id');
  const status = asString(r.status, 'status');
  if (!(STATUSES as readonly string[]).includes(status)) throw new SagaStateError(sagaType, sagaId, `unknown status ${JSON.stringify(status)}`);
  const state = asJson(r.state, 'state');
  if (!isObject(state)) throw new SagaStateError(sagaType, sagaId, 'the state column is not an object');
  return {
    sagaType,
    sagaId,
    status: status as SagaStatus,
    step: asNullableString(r.step, 'step'),
    version: asInt(r.version, 'version'),
    attempt: asInt(r.attempt, 'attempt'),
    timeoutAt: asNullableDate(r.timeout_at, 'timeout_at'),
    contextJson: state.context ?? null,
    book: toBook(sagaType, sagaId, state.saga),
    createdAt: asDate(r.created_at, 'created_at'),
    updatedAt: asDate(r.updated_at, 'updated_at'),
  };
}

export async function loadSaga(db: Queryable, sagaType: string, sagaId: string, forUpdate = false): Promise<StoredSaga | undefined> {
  const row = firstRow(
    await db.query(`SELECT ${COLUMNS} FROM eventsmith_saga_state WHERE saga_type = $1 AND saga_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [sagaType, sagaId]),
  );
  return row === undefined ? undefined : toStoredSaga(row);
}

/** The rows of these sagas of one type that exist, by saga id: one statement for a consumer transaction's sagas. */
export async function loadSagas(db: Queryable, sagaType: string, sagaIds: readonly string[]): Promise<Map<string, StoredSaga>> {
  const found = new Map<string, StoredSaga>();
  if (sagaIds.length === 0) return found;
  const result = await db.query(`SELECT ${COLUMNS} FROM eventsmith_saga_state WHERE saga_type = $1 AND saga_id = ANY($2::text[])`, [sagaType, sagaIds]);
  for (const row of rowsOf(result)) {
    const saga = toStoredSaga(row);
    found.set(saga.sagaId, saga);
  }
  return found;
}

/**
 * Rows of these saga types whose timeout_at has passed, oldest deadline first, locked for this
 * transaction; rows another transaction holds are skipped, not waited for.
 */
export async function lockDueSagas(db: Queryable, sagaTypes: readonly string[], now: Date, limit: number): Promise<StoredSaga[]> {
  const result = await db.query(
    `SELECT ${COLUMNS} FROM eventsmith_saga_state
      WHERE timeout_at <= $2::timestamptz AND saga_type = ANY($1::text[])
      ORDER BY timeout_at
      LIMIT $3
        FOR UPDATE SKIP LOCKED`,
    [sagaTypes, now.toISOString(), limit],
  );
  return rowsOf(result).map(toStoredSaga);
}

/** The earliest stored deadline of these saga types (null if none). */
export async function nextDeadline(db: Queryable, sagaTypes: readonly string[]): Promise<Date | null> {
  const row = firstRow(
    await db.query('SELECT min(timeout_at) AS next FROM eventsmith_saga_state WHERE timeout_at IS NOT NULL AND saga_type = ANY($1::text[])', [sagaTypes]),
  );
  return asNullableDate(row?.next, 'next');
}

/** Moves a deadline (the poller, after a transition failed for one saga). Leaves the version alone. */
export async function postponeTimeout(db: Queryable, sagaType: string, sagaId: string, until: Date): Promise<void> {
  await db.query('UPDATE eventsmith_saga_state SET timeout_at = $3::timestamptz WHERE saga_type = $1 AND saga_id = $2 AND timeout_at IS NOT NULL', [
    sagaType,
    sagaId,
    until.toISOString(),
  ]);
}

// ---- writing -------------------------------------------------------------------------------

export interface CommandEnvelope {
  readonly sagaId: string;
  readonly source: (c: Outgoing) => string;
  readonly now: Date;
  /** The transition's trace context, sent with each command (the distributed-tracing extension). */
  readonly trace?: TraceHeaders;
}

/** The outbox row of one command: a binary-mode CloudEvent, like events' rows. */
export function commandOutboxMessage(
  command: SagaCommand,
  ids: { readonly id: string; readonly outboxId: string; readonly correlationId: string; readonly causationId: string },
  source: string,
  time: string,
  trace?: TraceHeaders,
): OutboxMessage {
  const attributes: CloudEventAttributes = {
    specversion: '1.0',
    id: ids.id,
    source,
    type: command.type,
    time,
    subject: command.key,
    dataschema: command.dataschema ?? dataschemaFor(command.type, command.dataversion),
    datacontenttype: command.datacontenttype,
    dataversion: command.dataversion,
    partitionkey: command.key,
    correlationid: ids.correlationId,
    causationid: ids.causationId,
    ...trace,
  };
  // Attribute names as keys: the relay sends each as a `ce_<name>` header, datacontenttype as content-type.
  const headers: Record<string, string> = {};
  for (const [name, text] of attributesOf(attributes)) if (name !== 'datacontenttype') headers[name] = text;
  return {
    id: ids.outboxId,
    aggregateType: command.aggregateType,
    aggregateId: command.key,
    type: command.type,
    payload: command.payload,
    topic: command.topic,
    headers,
    contentType: command.datacontenttype,
  };
}

/** Adds the outbox rows of a transition's commands to `cols`. */
function pushCommands(cols: OutboxColumns, commands: readonly Outgoing[], env: CommandEnvelope): void {
  const time = env.now.toISOString();
  for (const c of commands) {
    const m = commandOutboxMessage(c.command, { id: c.id, outboxId: c.outboxId, correlationId: env.sagaId, causationId: c.causationId }, env.source(c), time, env.trace);
    pushOutboxRow(cols, { ...m, headers: m.headers, contentType: m.contentType ?? null });
  }
}

/** The outbox columns of a transition's commands. */
function outboxColumns(commands: readonly Outgoing[], env: CommandEnvelope): OutboxColumns {
  const cols = emptyOutboxColumns();
  pushCommands(cols, commands, env);
  return cols;
}

function stateJson(contextJson: unknown, book: SagaBook): string {
  return JSON.stringify({ context: contextJson, saga: book });
}

const INSERT_SAGA = `WITH saga AS (
  INSERT INTO eventsmith_saga_state (saga_type, saga_id, status, step, state, version, attempt, timeout_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, 1, $6, $7::timestamptz)
  ON CONFLICT (saga_type, saga_id) DO NOTHING
  RETURNING version
), ob AS (
  ${outboxInsertSql(8)}
   WHERE EXISTS (SELECT FROM saga)
   ORDER BY o.ord
  RETURNING 1
)
SELECT (SELECT version FROM saga) AS version`;

const UPDATE_SAGA = `WITH saga AS (
  UPDATE eventsmith_saga_state
     SET status = $4, step = $5, state = $6::jsonb, attempt = $7, timeout_at = $8::timestamptz,
         version = version + 1, updated_at = now()
   WHERE saga_type = $1 AND saga_id = $2 AND version = $3
  RETURNING version
), ob AS (
  ${outboxInsertSql(9)}
   WHERE EXISTS (SELECT FROM saga)
   ORDER BY o.ord
  RETURNING 1
)
SELECT (SELECT version FROM saga) AS version`;

function writtenVersion(row: Row | undefined): number | undefined {
  return row === undefined || row.version === null || row.version === undefined ? undefined : asInt(row.version, 'version');
}

/** What a transition writes, in the order INSERT_SAGA and UPDATE_SAGA take it after their keys. */
function transitionParams(next: NextState<unknown> & { readonly contextJson: unknown }, commands: readonly Outgoing[], env: CommandEnvelope): unknown[] {
  return [
    next.status,
    next.step,
    stateJson(next.contextJson, next.book),
    next.attempt,
    next.timeoutAt?.toISOString() ?? null,
    ...outboxParams(outboxColumns(commands, env)),
  ];
}

/** Inserts a new saga and its first commands; undefined if the saga exists already (nothing written). */
export async function insertSaga(
  db: Queryable,
  sagaType: string,
  sagaId: string,
  next: NextState<unknown> & { readonly contextJson: unknown },
  commands: readonly Outgoing[],
  env: CommandEnvelope,
): Promise<number | undefined> {
  const row = firstRow(await db.query(INSERT_SAGA, [sagaType, sagaId, ...transitionParams(next, commands, env)]));
  return writtenVersion(row);
}

/** Writes a transition from `expectedVersion`; undefined if the row is at another version (nothing written). */
export async function updateSaga(
  db: Queryable,
  sagaType: string,
  sagaId: string,
  expectedVersion: number,
  next: NextState<unknown> & { readonly contextJson: unknown },
  commands: readonly Outgoing[],
  env: CommandEnvelope,
): Promise<number | undefined> {
  const row = firstRow(await db.query(UPDATE_SAGA, [sagaType, sagaId, expectedVersion, ...transitionParams(next, commands, env)]));
  return writtenVersion(row);
}

/**
 * What one saga's transitions in a transaction leave behind: its row at the last one, and the
 * commands of all of them in order. `expectedVersion` undefined: the saga starts here (inserted).
 */
export interface SagaWrite {
  readonly sagaId: string;
  readonly expectedVersion: number | undefined;
  /** The row's version after the last transition. */
  readonly version: number;
  readonly next: NextState<unknown> & { readonly contextJson: unknown };
  /** Each transition's commands with its envelope; `ord` orders the outbox rows across sagas. */
  readonly sends: ReadonlyArray<{ readonly ord: number; readonly commands: readonly Outgoing[]; readonly env: CommandEnvelope }>;
}

/**
 * Several sagas' transitions in ONE statement, each like insertSaga/updateSaga: a saga's row is
 * inserted (if absent) or updated from its expected version, and its outbox rows are inserted
 * only if that row was written, in the order given. Returns the ids of the sagas written; the
 * others found their row there already or at another version (nothing of theirs written).
 */
export async function writeSagas(db: Queryable, sagaType: string, writes: readonly SagaWrite[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  const ids: string[] = [];
  const expected: Array<number | null> = [];
  const versions: number[] = [];
  const statuses: string[] = [];
  const steps: Array<string | null> = [];
  const states: string[] = [];
  const attempts: number[] = [];
  const timeouts: Array<string | null> = [];
  const cols = emptyOutboxColumns();
  const owners: string[] = [];
  for (const w of writes) {
    ids.push(w.sagaId);
    expected.push(w.expectedVersion ?? null);
    versions.push(w.version);
    statuses.push(w.next.status);
    steps.push(w.next.step);
    states.push(stateJson(w.next.contextJson, w.next.book));
    attempts.push(w.next.attempt);
    timeouts.push(w.next.timeoutAt?.toISOString() ?? null);
  }
  // In the order of the messages that caused them, across sagas: what one transaction per message wrote.
  const sends = writes.flatMap((w) => w.sends.map((send) => ({ send, sagaId: w.sagaId }))).sort((a, b) => a.send.ord - b.send.ord);
  for (const { send, sagaId } of sends) {
    pushCommands(cols, send.commands, send.env);
    while (owners.length < cols.id.length) owners.push(sagaId);
  }
  // The states as ONE JSON array (each is JSON text already), not a jsonb[]: pg would write a
  // text array by backslash-escaping every quote of every state, as it did the outbox headers.
  const stateArray = `[${states.join(',')}]`;
  const result = await db.query(WRITE_SAGAS, [sagaType, ids, expected, versions, statuses, steps, stateArray, attempts, timeouts, ...outboxParams(cols), owners]);
  return new Set(rowsOf(result).map((r) => asString(r.saga_id, 'saga_id')));
}

// Rows in saga id order (the order the updates lock them in), outbox rows in the order given;
// $18 names the saga of each outbox row.
const WRITE_SAGAS = `WITH s AS (
  SELECT * FROM ROWS FROM (unnest($2::text[]), unnest($3::int[]), unnest($4::int[]), unnest($5::text[]), unnest($6::text[]),
                           jsonb_array_elements($7::jsonb), unnest($8::int[]), unnest($9::timestamptz[]))
      AS s(saga_id, expected, version, status, step, state, attempt, timeout_at)
   ORDER BY saga_id
), ins AS (
  INSERT INTO eventsmith_saga_state (saga_type, saga_id, status, step, state, version, attempt, timeout_at)
  SELECT $1, s.saga_id, s.status, s.step, s.state, s.version, s.attempt, s.timeout_at FROM s WHERE s.expected IS NULL ORDER BY s.saga_id
  ON CONFLICT (saga_type, saga_id) DO NOTHING
  RETURNING saga_id
), upd AS (
  UPDATE eventsmith_saga_state t
     SET status = s.status, step = s.step, state = s.state, attempt = s.attempt, timeout_at = s.timeout_at,
         version = s.version, updated_at = now()
    FROM s
   WHERE s.expected IS NOT NULL AND t.saga_type = $1 AND t.saga_id = s.saga_id AND t.version = s.expected
  RETURNING t.saga_id
), w AS (
  SELECT saga_id FROM ins UNION ALL SELECT saga_id FROM upd
), ob AS (
  ${outboxInsertSql(10)}
   WHERE ($18::text[])[o.ord::int] IN (SELECT saga_id FROM w)
   ORDER BY o.ord
  RETURNING 1
)
SELECT saga_id FROM w`;

// ---- queries for operators ------------------------------------------------------------------

export interface ListParkedOptions {
  /** Only this saga type (default all). */
  readonly sagaType?: string;
  /** At most this many, oldest parked first (default 100). */
  readonly limit?: number;
}

/** Sagas parked as needing a person, oldest first. */
export async function listParkedSagas(db: Queryable, options: ListParkedOptions = {}): Promise<ParkedSaga[]> {
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const result = await db.query(
    `SELECT ${COLUMNS} FROM eventsmith_saga_state
      WHERE status = 'parked' AND ($1::text IS NULL OR saga_type = $1)
      ORDER BY updated_at, saga_type, saga_id
      LIMIT $2`,
    [options.sagaType ?? null, limit],
  );
  return rowsOf(result).map((r) => {
    const s = toStoredSaga(r);
    const parked: { readonly reason: ParkReason; readonly at: string } | null = s.book.parked;
    const failure: SagaFailure | null = s.book.failure;
    const history: readonly SagaHistoryEntry[] = s.book.history;
    return {
      sagaType: s.sagaType,
      sagaId: s.sagaId,
      step: s.step,
      attempts: s.attempt,
      reason: parked?.reason ?? null,
      parkedAt: parked === null ? s.updatedAt : new Date(parked.at),
      failure,
      version: s.version,
      context: s.contextJson,
      history,
    };
  });
}

export type SagaCounts = { readonly [S in SagaStatus]: number };

/** How many sagas (of one type, or all) are in each status: the database's view, across every process. */
export async function countSagas(db: Queryable, sagaType?: string): Promise<SagaCounts> {
  const result = await db.query(
    `SELECT status, count(*)::int AS n FROM eventsmith_saga_state WHERE ($1::text IS NULL OR saga_type = $1) GROUP BY status`,
    [sagaType ?? null],
  );
  const counts: { [S in SagaStatus]: number } = { running: 0, compensating: 0, completed: 0, compensated: 0, parked: 0 };
  for (const r of rowsOf(result)) {
    const status = asString(r.status, 'status');
    if ((STATUSES as readonly string[]).includes(status)) counts[status as SagaStatus] = asInt(r.n, 'n');
  }
  return counts;
}
