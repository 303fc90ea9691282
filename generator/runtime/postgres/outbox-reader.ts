/**
 * Reading the outbox without skipping a row under concurrent commits, two ways:
 * - readOutbox and pollOutbox, gap-free (gap-free.ts): in (txid, position) order below the oldest
 *   running transaction, with a (txid, position) cursor; a long transaction holds back the rows
 *   of every transaction that started after it.
 * - readCommittedOutbox (the relay's): also the rows of transactions that committed above that
 *   horizon, with the cursor and the list of those transactions already published.
 * Delivery order is transaction-id order per read; appendToStream keeps that equal to commit and
 * version order for each stream (see ConcurrencyConflict).
 *
 * LISTEN/NOTIFY, if used, only wakes a relay early; this query decides what it may read.
 */
import {
  type ConnectionPool,
  type QueryResultLike,
  type Queryable,
  type Row,
  asBigInt,
  asBytes,
  asDate,
  asJson,
  asNullableString,
  asString,
  firstRow,
  inTransaction,
  rowsOf,
  sqlLiteral,
} from './db.js';
import { type TxCursor, TX_CURSOR_START, cursorParams, gapFreeAfter } from './gap-free.js';
import type { OutboxHeaders } from './outbox.js';

/** Where a reader has read up to: the (txid, position) of its last row. */
export type OutboxCursor = TxCursor;

export const OUTBOX_START: OutboxCursor = TX_CURSOR_START;

export interface OutboxRecord {
  readonly position: bigint;
  readonly txid: bigint;
  readonly id: string;
  readonly aggregateType: string;
  /** The Kafka key. */
  readonly aggregateId: string;
  readonly type: string;
  readonly topic: string;
  readonly payload: Uint8Array | null;
  readonly headers: OutboxHeaders;
  readonly contentType: string | null;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
}

/**
 * What the relay needs of an outbox row to publish it and move its progress: the columns of the
 * Kafka message and the row's place. readCommittedOutboxMessages reads only these.
 */
export type OutboxMessageRecord = Pick<OutboxRecord, 'txid' | 'position' | 'aggregateId' | 'topic' | 'payload' | 'headers' | 'contentType'>;

export interface OutboxBatch {
  readonly records: readonly OutboxRecord[];
  /** The cursor after this batch (unchanged if it is empty). */
  readonly cursor: OutboxCursor;
}

function toHeaders(v: unknown): OutboxHeaders {
  const json = asJson(v, 'headers');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return {};
  // The parsed object is this row's own: kept as it is when every value is a string (what
  // appends write), copied without the others only when some are not.
  const parsed = json as Record<string, unknown>;
  for (const k in parsed) {
    if (typeof parsed[k] !== 'string') {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') headers[name] = value;
      return headers;
    }
  }
  return parsed as Record<string, string>;
}

/**
 * A timestamp selected as epoch milliseconds (float8): a number to pass to Date, much cheaper
 * than the driver's parse of timestamptz text; a string if the application parses float8 itself.
 */
function epochMillis(v: unknown, column: string): Date {
  return asDate(typeof v === 'string' ? Number(v) : v, column);
}

function toRecord(r: Row): OutboxRecord {
  return {
    position: asBigInt(r.position, 'position'),
    txid: asBigInt(r.txid, 'txid'),
    id: asString(r.id, 'id'),
    aggregateType: asString(r.aggregatetype, 'aggregatetype'),
    aggregateId: asString(r.aggregateid, 'aggregateid'),
    type: asString(r.type, 'type'),
    topic: asString(r.topic, 'topic'),
    payload: r.payload === null ? null : asBytes(r.payload, 'payload'),
    headers: toHeaders(r.headers),
    contentType: asNullableString(r.content_type, 'content_type'),
    createdAt: epochMillis(r.created_ms, 'created_at'),
    publishedAt: r.published_ms === null || r.published_ms === undefined ? null : epochMillis(r.published_ms, 'published_at'),
  };
}

const READ_OUTBOX = `SELECT position::text AS position, txid::text AS txid, id::text AS id, aggregatetype, aggregateid, type, topic,
            payload, headers, content_type,
            floor(extract(epoch FROM created_at) * 1000)::float8 AS created_ms, floor(extract(epoch FROM published_at) * 1000)::float8 AS published_ms
       FROM eventsmith_outbox o
      WHERE ${gapFreeAfter('o', 'position', 1)}
      ORDER BY o.txid, o.position -- qualified: the bare names would sort the ::text outputs
      LIMIT $3`;

/**
 * The next rows after `after` that no running transaction can precede, in (txid, position)
 * order, at most `limit`. Served by the (txid, position) index.
 */
export async function readOutbox(db: Queryable, after: OutboxCursor, limit: number): Promise<OutboxBatch> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const result = await db.query({ name: 'eventsmith_read_outbox', text: READ_OUTBOX, values: [...cursorParams(after), limit] });
  const records = rowsOf(result).map(toRecord);
  const last = records[records.length - 1];
  return { records, cursor: last === undefined ? after : { txid: last.txid, position: last.position } };
}

/**
 * What a relay has published: every row up to `cursor` in (txid, position) order, and above it,
 * for each transaction in `ahead` (ascending txid), its rows up to `position`.
 */
export interface OutboxProgress {
  readonly cursor: OutboxCursor;
  readonly ahead: readonly OutboxCursor[];
}

export const OUTBOX_PROGRESS_START: OutboxProgress = Object.freeze({ cursor: OUTBOX_START, ahead: Object.freeze([]) });

/**
 * How many transactions `ahead` may list before readCommittedOutbox falls back to the gap-free
 * rule (nothing above the oldest running transaction): a transaction left open for hours would
 * otherwise grow the list with every commit after it.
 */
export const MAX_PUBLISHED_AHEAD = 1000;

export interface CommittedOutboxBatch<R extends OutboxMessageRecord = OutboxRecord> {
  readonly records: readonly R[];
  /** The progress once these records are published (the same object if there are none). */
  readonly progress: OutboxProgress;
  /** The read's snapshot: pg_snapshot_xmin and pg_snapshot_xmax. */
  readonly xmin: bigint;
  readonly xmax: bigint;
  /** The oldest transaction running at the read, but the reader's own: every one below it had ended. */
  readonly horizon: bigint;
  /** Rows above the oldest running transaction were left out because `ahead` is full. */
  readonly capped: boolean;
}

/** What a committed read returns per row: every column (OutboxRecord), or the message's (OutboxMessageRecord). */
type ReadShape = 'records' | 'messages';

/**
 * The read of readCommittedOutbox after the progress in $1 (cursor txid), $2 (cursor position),
 * $3 and $4 (the transactions published ahead and their last positions), at most `limit` rows
 * (a placeholder), above the horizon unless `capped` (a boolean placeholder) is false: the body
 * of a WITH, after the common table expressions of a statement that begins it (`ctes`).
 *
 * Shape 'messages' returns the rows as JSON arrays (txid, position, aggregateid, topic, payload in
 * hex, headers, content_type), aggregated into one value per `chunkBytes` (a placeholder) of
 * payload and headers: a few values to parse instead of 1,000 rows of columns, each of which the
 * driver decodes and converts on its own (the relay's thread is the one that encodes the sends).
 */
function readCommittedSql(ctes: string, limit: string, uncapped: string, shape: ReadShape, chunkBytes = ''): string {
  const snapshot = `WITH ${ctes}snap AS MATERIALIZED (
         SELECT pg_snapshot_xmin(s) AS xmin, pg_snapshot_xmax(s) AS xmax,
                -- Every transaction below this one has ended. Our own (the relay's step once it has
                -- written) writes no outbox rows, so it does not count.
                COALESCE((SELECT x FROM pg_snapshot_xip(s) x WHERE x IS DISTINCT FROM pg_current_xact_id_if_assigned() ORDER BY x LIMIT 1),
                         pg_snapshot_xmax(s)) AS horizon
           FROM pg_current_snapshot() s)`;
  const after = `WHERE (o.txid, o.position) > ($1::xid8, $2::bigint)
               AND o.position > COALESCE(($4::bigint[])[array_position($3::xid8[], o.txid)], 0)
               AND (${uncapped}::boolean OR o.txid < snap.horizon)
             ORDER BY o.txid, o.position
             LIMIT ${limit}`;
  if (shape === 'messages') {
    return `${snapshot}
     SELECT snap.xmin::text AS snap_xmin, snap.xmax::text AS snap_xmax, snap.horizon::text AS horizon, c.messages
       FROM snap LEFT JOIN LATERAL (
            SELECT r.upto / ${chunkBytes}::bigint AS chunk,
                   json_agg(json_build_array(r.txid::text, r.position::text, r.aggregateid, r.topic, encode(r.payload, 'hex'), r.headers, r.content_type)
                            ORDER BY r.txid, r.position) AS messages
              FROM (SELECT o.*, sum(COALESCE(octet_length(o.payload), 0) + pg_column_size(o.headers)) OVER (ORDER BY o.txid, o.position) AS upto
                      FROM (SELECT o.txid, o.position, o.aggregateid, o.topic, o.payload, o.headers, o.content_type
                              FROM eventsmith_outbox o
                             ${after}) o) r
             GROUP BY 1) c ON true
      ORDER BY c.chunk`;
  }
  return `${snapshot}
     SELECT snap.xmin::text AS snap_xmin, snap.xmax::text AS snap_xmax, snap.horizon::text AS horizon,
            r.position::text AS position, r.txid::text AS txid, r.id, r.aggregatetype, r.aggregateid, r.type, r.topic,
            r.payload, r.headers, r.content_type, r.created_ms, r.published_ms
       FROM snap LEFT JOIN LATERAL (
            SELECT o.txid, o.position, o.id::text AS id, o.aggregatetype, o.aggregateid, o.type, o.topic,
                   o.payload, o.headers, o.content_type,
                   floor(extract(epoch FROM o.created_at) * 1000)::float8 AS created_ms, floor(extract(epoch FROM o.published_at) * 1000)::float8 AS published_ms
              FROM eventsmith_outbox o
             ${after}) r ON true
      ORDER BY r.txid, r.position -- qualified: the bare names would sort the ::text outputs`;
}

const READ_COMMITTED_OUTBOX = readCommittedSql('', '$5', '$6', 'records');
const READ_COMMITTED_OUTBOX_MESSAGES = readCommittedSql('', '$5', '$6', 'messages', '$7');

/**
 * Payload and header bytes per JSON value of a 'messages' read: far below PostgreSQL's 1 GB limit
 * of one value, also for a batch of large events (a row larger than this is a value of its own).
 */
export const MESSAGE_CHUNK_BYTES = 16 * 1024 * 1024;

/** The parameters $1–$4 of readCommittedSql: the progress to read after. */
function progressParams(progress: OutboxProgress): [string, string, string[], string[]] {
  return [...cursorParams(progress.cursor), progress.ahead.map((a) => a.txid.toString()), progress.ahead.map((a) => a.position.toString())];
}

function compareCursors(a: OutboxCursor, b: OutboxCursor): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.position === b.position ? 0 : a.position < b.position ? -1 : 1;
}

/** Whether two progresses are the same (a read ahead is still the next batch). */
export function sameOutboxProgress(a: OutboxProgress, b: OutboxProgress): boolean {
  return (
    compareCursors(a.cursor, b.cursor) === 0 && a.ahead.length === b.ahead.length && a.ahead.every((x, i) => {
      const y = b.ahead[i];
      return y !== undefined && compareCursors(x, y) === 0;
    })
  );
}

/**
 * The next committed rows the relay has not published, in (txid, position) order, at most
 * `limit`: unlike readOutbox, also the rows of transactions that committed while an older one
 * still runs.
 *
 * Why it skips nothing: the statement's snapshot shows every committed transaction's rows, all
 * of them (a transaction's rows become visible together), and none of a running one's. Below
 * `horizon` (the oldest transaction still running, in the same snapshot) every transaction has
 * ended, so no row can appear there later: the cursor may move up to it, but not past the last
 * row read when `limit` cut the read short. Above the cursor, what was published is listed per
 * transaction (its last position: a transaction larger than `limit` is read in parts), and the
 * running transactions' rows, read when they commit, sort among them by txid. The list keeps
 * only transactions above the cursor: the ones that committed while an older one ran.
 *
 * Order per aggregate is kept: appendToStream makes the writers of one stream take its row lock
 * in turn, and refuses a writer whose txid is below the stream's last (ConcurrencyConflict
 * 'transaction-order'), so a stream's later transaction both has the higher txid and commits
 * after the earlier one is visible, and its rows are read later or in the same batch after it.
 * Rows of one key written by transactions that no lock orders go out in commit order rather
 * than txid order.
 */
export async function readCommittedOutbox(db: Queryable, after: OutboxProgress, limit: number, maxAhead = MAX_PUBLISHED_AHEAD): Promise<CommittedOutboxBatch> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const capped = after.ahead.length >= maxAhead;
  const result = await db.query({ name: 'eventsmith_read_committed_outbox', text: READ_COMMITTED_OUTBOX, values: [...progressParams(after), limit, !capped] });
  return committedBatchOf(rowsOf(result), 'records', after, limit, capped);
}

/**
 * readCommittedOutbox, returning of each row only what its Kafka message needs (the relay's read
 * when nothing asks for whole records): the same rows, progress and snapshot, at about half the
 * CPU of this process per row. `chunkBytes`: MESSAGE_CHUNK_BYTES (tests set it lower).
 */
export async function readCommittedOutboxMessages(
  db: Queryable,
  after: OutboxProgress,
  limit: number,
  maxAhead = MAX_PUBLISHED_AHEAD,
  chunkBytes = MESSAGE_CHUNK_BYTES,
): Promise<CommittedOutboxBatch<OutboxMessageRecord>> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`eventsmith: limit must be a positive integer, got ${limit}`);
  const capped = after.ahead.length >= maxAhead;
  const values = [...progressParams(after), limit, !capped, chunkBytes];
  const result = await db.query({ name: 'eventsmith_read_committed_outbox_messages', text: READ_COMMITTED_OUTBOX_MESSAGES, values });
  return committedBatchOf(rowsOf(result), 'messages', after, limit, capped);
}

/** A row of a 'messages' read: [txid, position, aggregateid, topic, payload (hex), headers, content_type]. */
function toMessageRecord(v: unknown): OutboxMessageRecord {
  if (!Array.isArray(v) || v.length !== 7) throw new TypeError('eventsmith: an outbox message row is not the array the read builds');
  const payload: unknown = v[4];
  return {
    txid: asBigInt(v[0], 'txid'),
    position: asBigInt(v[1], 'position'),
    aggregateId: asString(v[2], 'aggregateid'),
    topic: asString(v[3], 'topic'),
    payload: payload === null ? null : Buffer.from(asString(payload, 'payload'), 'hex'),
    headers: toHeaders(v[5]),
    contentType: asNullableString(v[6], 'content_type'),
  };
}

/** The records of a read's rows: one per row ('records'), or the JSON arrays of its chunks ('messages'). */
function recordsOf(rows: readonly Row[], shape: 'records'): OutboxRecord[];
function recordsOf(rows: readonly Row[], shape: ReadShape): OutboxMessageRecord[];
function recordsOf(rows: readonly Row[], shape: ReadShape): OutboxMessageRecord[] {
  if (shape === 'records') return rows[0]?.position === null || rows[0]?.position === undefined ? [] : rows.map(toRecord);
  const records: OutboxMessageRecord[] = [];
  for (const row of rows) {
    if (row.messages === null || row.messages === undefined) continue; // no rows: the snapshot alone
    const chunk = asJson(row.messages, 'messages');
    if (!Array.isArray(chunk)) throw new TypeError('eventsmith: column messages: expected a JSON array');
    for (const m of chunk) records.push(toMessageRecord(m));
  }
  return records;
}

/** The batch readCommittedSql's rows make, read after `after` with `limit`. */
function committedBatchOf(rows: readonly Row[], shape: 'records', after: OutboxProgress, limit: number, capped: boolean): CommittedOutboxBatch;
function committedBatchOf(rows: readonly Row[], shape: ReadShape, after: OutboxProgress, limit: number, capped: boolean): CommittedOutboxBatch<OutboxMessageRecord>;
function committedBatchOf(rows: readonly Row[], shape: ReadShape, after: OutboxProgress, limit: number, capped: boolean): CommittedOutboxBatch<OutboxMessageRecord> {
  const first = rows[0];
  const xmin = asBigInt(first?.snap_xmin, 'xmin');
  const xmax = asBigInt(first?.snap_xmax, 'xmax');
  const horizon = asBigInt(first?.horizon, 'horizon');
  const records = recordsOf(rows, shape);
  if (records.length === 0) return { records, progress: after, xmin, xmax, horizon, capped };
  // Everything below the horizon was read, unless the limit cut the read before it.
  const last = records[records.length - 1]!;
  const bound: OutboxCursor = { txid: horizon, position: 0n };
  const reached = records.length >= limit && compareCursors(last, bound) < 0 ? { txid: last.txid, position: last.position } : bound;
  const cursor = compareCursors(reached, after.cursor) > 0 ? reached : after.cursor;
  const published = new Map<bigint, bigint>();
  for (const a of after.ahead) published.set(a.txid, a.position);
  for (const r of records) published.set(r.txid, r.position); // ascending within a transaction
  const ahead = [...published]
    .map(([txid, position]) => ({ txid, position }))
    .filter((a) => compareCursors(a, cursor) > 0)
    .sort(compareCursors);
  return { records, progress: { cursor, ahead }, xmin, xmax, horizon, capped };
}

/** The SELECT of a relay's persisted progress, its name in `relay` (a placeholder or a literal). */
function loadProgressSql(relay: string): string {
  return `SELECT txid::text AS txid, position::text AS position, ahead_txids::text[] AS ahead_txids, ahead_positions::text[] AS ahead_positions FROM eventsmith_outbox_cursors WHERE relay = ${relay}`;
}

/** The persisted progress of a relay (OUTBOX_PROGRESS_START if it never ran). */
export async function loadOutboxProgress(db: Queryable, relay: string): Promise<OutboxProgress> {
  return progressOf(await db.query(loadProgressSql('$1'), [relay]));
}

/** loadOutboxProgress as a statement without parameters, to send with others (queryResults), and its result's progress. */
export function outboxProgressStatement(relay: string): string {
  return loadProgressSql(sqlLiteral(relay));
}

/** The progress in the result of loadOutboxProgress's statement. */
export function progressOf(result: QueryResultLike): OutboxProgress {
  const row = firstRow(result);
  if (row === undefined) return OUTBOX_PROGRESS_START;
  const txids = Array.isArray(row.ahead_txids) ? (row.ahead_txids as unknown[]) : [];
  const positions = Array.isArray(row.ahead_positions) ? (row.ahead_positions as unknown[]) : [];
  return {
    cursor: { txid: asBigInt(row.txid, 'txid'), position: asBigInt(row.position, 'position') },
    ahead: txids.map((t, i) => ({ txid: asBigInt(t, 'ahead_txids'), position: asBigInt(positions[i], 'ahead_positions') })),
  };
}

/** The UPDATE that persists a relay's progress: $1–$4 as progressParams gives them, the relay's name in `relay`. */
function saveProgressSql(relay: string): string {
  return `UPDATE eventsmith_outbox_cursors SET txid = $1::xid8, position = $2::bigint, ahead_txids = $3::xid8[], ahead_positions = $4::bigint[], updated_at = now()
            WHERE relay = ${relay}`;
}

/** Persists a relay's progress (the caller holds the relay's lock). */
export async function saveOutboxProgress(db: Queryable, relay: string, progress: OutboxProgress): Promise<void> {
  await db.query({ name: 'eventsmith_save_outbox_progress', text: saveProgressSql('$5'), values: [...progressParams(progress), relay] });
}

/** How markOutboxBatchPublished marks a batch: one range of (txid, position), or a range of positions per transaction. */
type BatchMark =
  | { readonly kind: 'range'; readonly values: [string, string, string, string] }
  | { readonly kind: 'transactions'; readonly values: [string[], string[], string[]] };

/** The mark's UPDATE, its parameters numbered from `$<first>`. */
function markSql(kind: BatchMark['kind'], first: number): string {
  const [a, b, c, d] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
  return kind === 'range'
    ? `UPDATE eventsmith_outbox o SET published_at = now()
            WHERE (o.txid, o.position) > (${a}::xid8, ${b}::bigint) AND (o.txid, o.position) <= (${c}::xid8, ${d}::bigint) AND o.published_at IS NULL`
    : `UPDATE eventsmith_outbox o SET published_at = now()
             FROM unnest(${a}::xid8[], ${b}::bigint[], ${c}::bigint[]) AS b(txid, first_position, last_position)
            WHERE o.txid = b.txid AND o.position BETWEEN b.first_position AND b.last_position AND o.published_at IS NULL`;
}

/**
 * Sets published_at on the rows of `batch`, read by readCommittedOutbox after `after`. When the
 * batch ends below its read's horizon, every row between `after`'s cursor and its last row
 * belonged to a transaction that had ended at the read: they are the batch's rows and rows
 * published before (marked already), and one range scan of the (txid, position) index finds
 * them (markOutboxRangePublished). Otherwise that range may also hold rows of transactions that
 * were running at the read and have committed since, so the rows are marked per transaction,
 * over the range of positions read of each (a committed transaction's rows between two of them
 * are all in the batch).
 */
export async function markOutboxBatchPublished(db: Queryable, after: OutboxProgress, batch: CommittedOutboxBatch<OutboxMessageRecord>): Promise<void> {
  const mark = batchMark(after, batch);
  if (mark === undefined) return;
  await db.query({ name: `eventsmith_mark_batch_${mark.kind}`, text: markSql(mark.kind, 1), values: mark.values });
}

function batchMark(after: OutboxProgress, batch: CommittedOutboxBatch<OutboxMessageRecord>): BatchMark | undefined {
  const last = batch.records[batch.records.length - 1];
  if (last === undefined) return undefined;
  if (last.txid < batch.horizon) return { kind: 'range', values: [...cursorParams(after.cursor), ...cursorParams(last)] };
  const txids: string[] = [];
  const from: string[] = [];
  const to: string[] = [];
  let current: bigint | undefined;
  for (const r of batch.records) {
    if (r.txid !== current) {
      current = r.txid;
      txids.push(r.txid.toString());
      from.push(r.position.toString());
      to.push(r.position.toString());
    } else to[to.length - 1] = r.position.toString();
  }
  return { kind: 'transactions', values: [txids, from, to] };
}

export interface AdvanceOutboxOptions {
  /** Set published_at on the batch's rows (markOutboxBatchPublished). */
  readonly mark: boolean;
  /** Also read the batch after it (readCommittedOutbox after its progress), at most this many rows. */
  readonly readNext?: number;
  /** Read it as readCommittedOutboxMessages does (only what the messages need). */
  readonly readMessages?: boolean;
  readonly maxAhead?: number;
  /** Of a read of messages: MESSAGE_CHUNK_BYTES. */
  readonly chunkBytes?: number;
}

/**
 * A relay step's database work once `batch` (read by readCommittedOutbox after `after`) is in
 * the broker's hands, in one statement: saveOutboxProgress of the batch's progress,
 * markOutboxBatchPublished (if `mark`), and readCommittedOutbox after that progress (if
 * `readNext`; readCommittedOutboxMessages if `readMessages`), whose batch it returns. One round
 * trip, so that PostgreSQL does all of it while the caller's thread is busy encoding the send (a
 * statement whose response waits for a busy thread cannot be followed by the next one). The
 * caller holds the relay's lock and commits only once the broker has acknowledged the batch.
 *
 * The three parts share one snapshot and do not see each other's writes: the read takes the
 * progress as a parameter, not from the cursor row, and the rows it returns lie after the
 * batch's, which the mark does not touch. Its snapshot is later than the batch's read, which
 * is all readCommittedOutbox needs of a read after a progress it gave.
 */
export async function advanceOutbox(
  db: Queryable,
  relay: string,
  after: OutboxProgress,
  batch: CommittedOutboxBatch<OutboxMessageRecord>,
  options: AdvanceOutboxOptions & { readonly readMessages: true },
): Promise<CommittedOutboxBatch<OutboxMessageRecord> | undefined>;
export async function advanceOutbox(
  db: Queryable,
  relay: string,
  after: OutboxProgress,
  batch: CommittedOutboxBatch<OutboxMessageRecord>,
  options: AdvanceOutboxOptions & { readonly readMessages?: false },
): Promise<CommittedOutboxBatch | undefined>;
export async function advanceOutbox(
  db: Queryable,
  relay: string,
  after: OutboxProgress,
  batch: CommittedOutboxBatch<OutboxMessageRecord>,
  options: AdvanceOutboxOptions,
): Promise<CommittedOutboxBatch<OutboxMessageRecord> | undefined> {
  const readNext = options.readNext;
  if (readNext !== undefined && (!Number.isSafeInteger(readNext) || readNext < 1)) throw new RangeError(`eventsmith: readNext must be a positive integer, got ${readNext}`);
  const shape: ReadShape = options.readMessages === true ? 'messages' : 'records';
  const mark = options.mark ? batchMark(after, batch) : undefined;
  const capped = batch.progress.ahead.length >= (options.maxAhead ?? MAX_PUBLISHED_AHEAD);
  // $1–$4 the new progress (saved, and read after), $5 the relay, then the read's limit and rule
  // ($6, $7) and a read of messages' chunk size ($8), then the mark's.
  const values: unknown[] = [...progressParams(batch.progress), relay];
  if (readNext !== undefined) values.push(readNext, !capped);
  if (readNext !== undefined && shape === 'messages') values.push(options.chunkBytes ?? MESSAGE_CHUNK_BYTES);
  const ctes = [`saved AS (${saveProgressSql('$5')})`];
  if (mark !== undefined) {
    ctes.push(`marked AS (${markSql(mark.kind, values.length + 1)})`);
    values.push(...mark.values);
  }
  const text = readNext === undefined ? `WITH ${ctes.join(', ')} SELECT NULL` : readCommittedSql(`${ctes.join(', ')}, `, '$6', '$7', shape, '$8');
  const name = `eventsmith_advance_outbox_${mark?.kind ?? 'unmarked'}${readNext === undefined ? '' : shape === 'messages' ? '_read_messages' : '_read'}`;
  const result = await db.query({ name, text, values });
  return readNext === undefined ? undefined : committedBatchOf(rowsOf(result), shape, batch.progress, readNext, capped);
}

/** The persisted cursor of a relay (OUTBOX_START if it never ran). */
export async function loadOutboxCursor(db: Queryable, relay: string): Promise<OutboxCursor> {
  const row = firstRow(await db.query('SELECT txid::text AS txid, position::text AS position FROM eventsmith_outbox_cursors WHERE relay = $1', [relay]));
  return row === undefined ? OUTBOX_START : { txid: asBigInt(row.txid, 'txid'), position: asBigInt(row.position, 'position') };
}

/** Persists a relay's cursor; never moves it backwards. */
export async function saveOutboxCursor(db: Queryable, relay: string, cursor: OutboxCursor): Promise<void> {
  await db.query(
    `INSERT INTO eventsmith_outbox_cursors AS c (relay, txid, position) VALUES ($1, $2::xid8, $3::bigint)
     ON CONFLICT (relay) DO UPDATE SET txid = excluded.txid, position = excluded.position, updated_at = now()
      WHERE (c.txid, c.position) < (excluded.txid, excluded.position)`,
    [relay, cursor.txid.toString(), cursor.position.toString()],
  );
}

/**
 * Sets published_at on the rows after `after` up to and including `upTo`, in (txid, position)
 * order: the rows of one gap-free batch (readOutbox's `after` and its `cursor`). Every row in that
 * range belongs to a transaction that had ended when the batch was read (its txid is below that
 * read's pg_snapshot_xmin), so the range holds exactly the batch's rows, and a range scan of the
 * (txid, position) index finds them: no lookup of each id in the primary key.
 */
export async function markOutboxRangePublished(db: Queryable, after: OutboxCursor, upTo: OutboxCursor): Promise<void> {
  await db.query({ name: 'eventsmith_mark_batch_range', text: markSql('range', 1), values: [...cursorParams(after), ...cursorParams(upTo)] });
}

/** Sets published_at (for monitoring and cleanup; the cursor, not this, drives reading). */
export async function markOutboxPublished(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query({ name: 'eventsmith_mark_published', text: 'UPDATE eventsmith_outbox SET published_at = now() WHERE id = ANY($1::uuid[]) AND published_at IS NULL', values: [ids] });
}

export interface PollOutboxOptions {
  /** Name of the relay: its cursor's key. Relays of one name take turns. */
  readonly relay: string;
  /** Rows per batch (default 100). */
  readonly limit?: number;
}

/**
 * One polling step of a relay: reads the next batch after the relay's persisted cursor, hands
 * it to `publish`, and advances the cursor when `publish` resolves — at least once: a crash
 * after publishing and before the commit publishes the batch again.
 *
 * The cursor row is locked for the step, so concurrent relays of one name never publish the
 * same batch twice at once. Returns the number of records handed to `publish`.
 */
export async function pollOutbox(
  pool: ConnectionPool,
  options: PollOutboxOptions,
  publish: (records: readonly OutboxRecord[]) => Promise<void>,
): Promise<number> {
  const limit = options.limit ?? 100;
  return inTransaction(pool, async (tx) => {
    await tx.query(
      `INSERT INTO eventsmith_outbox_cursors (relay, txid, position) VALUES ($1, '0'::xid8, 0)
       ON CONFLICT (relay) DO NOTHING`,
      [options.relay],
    );
    const row = firstRow(
      await tx.query('SELECT txid::text AS txid, position::text AS position FROM eventsmith_outbox_cursors WHERE relay = $1 FOR UPDATE', [options.relay]),
    );
    const cursor: OutboxCursor = row === undefined ? OUTBOX_START : { txid: asBigInt(row.txid, 'txid'), position: asBigInt(row.position, 'position') };
    const batch = await readOutbox(tx, cursor, limit);
    if (batch.records.length === 0) return 0;
    await publish(batch.records);
    await tx.query(
      'UPDATE eventsmith_outbox_cursors SET txid = $2::xid8, position = $3::bigint, updated_at = now() WHERE relay = $1',
      [options.relay, batch.cursor.txid.toString(), batch.cursor.position.toString()],
    );
    await markOutboxPublished(
      tx,
      batch.records.map((r) => r.id),
    );
    return batch.records.length;
  });
}
