/**
 * Gap-free polling of the outbox: reads in (txid, position) order below the oldest running
 * transaction (gap-free.ts says why that never skips a row under concurrent commits).
 * Delivery order is transaction-id order; appendToStream keeps that equal to commit and version
 * order for each stream (see ConcurrencyConflict).
 *
 * LISTEN/NOTIFY, if used, only wakes a relay early; this query decides what it may read.
 */
import {
  type ConnectionPool,
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
  await db.query({
    name: 'eventsmith_mark_range_published',
    text: `UPDATE eventsmith_outbox o SET published_at = now()
            WHERE (o.txid, o.position) > ($1::xid8, $2::bigint) AND (o.txid, o.position) <= ($3::xid8, $4::bigint) AND o.published_at IS NULL`,
    values: [...cursorParams(after), ...cursorParams(upTo)],
  });
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
