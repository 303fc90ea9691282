/**
 * Writing to the transactional outbox. appendToStream writes an event's outbox row itself; this
 * is for messages that are not events of a stream (saga commands, notifications), written in the
 * caller's transaction next to the state change that causes them.
 */
import { type Queryable, UNIQUE_VIOLATION, asBigInt, pgErrorInfo, rowsOf, toBuffer } from './db.js';
import { DuplicateEventError } from './errors.js';

export type OutboxHeaders = Readonly<Record<string, string>>;

/** One Kafka message, in Debezium's outbox column names plus ours. */
export interface OutboxMessage {
  /** Message id (uuid), the CloudEvents id; Debezium's `id`. */
  readonly id: string;
  /** Debezium's `aggregatetype`: the stream type. */
  readonly aggregateType: string;
  /** Debezium's `aggregateid`: the Kafka key (the aggregate id). */
  readonly aggregateId: string;
  /** Debezium's `type`: the CloudEvents type. */
  readonly type: string;
  readonly topic: string;
  /** The Kafka value; null is a tombstone. */
  readonly payload: Uint8Array | null;
  /** CloudEvents attributes and extensions (the relay maps them to `ce_*` headers). */
  readonly headers?: OutboxHeaders;
  readonly contentType?: string | null;
}

/**
 * Column arrays for one `INSERT ... SELECT FROM unnest(...)`: a single statement whatever the
 * number of rows, atomic even without an enclosing transaction.
 */
export interface OutboxColumns {
  readonly id: string[];
  readonly aggregateType: string[];
  readonly aggregateId: string[];
  readonly type: string[];
  readonly payload: (Buffer | null)[];
  readonly topic: string[];
  /** Sent as one JSON array (see outboxParams). */
  readonly headers: OutboxHeaders[];
  readonly contentType: (string | null)[];
}

export function emptyOutboxColumns(): OutboxColumns {
  return { id: [], aggregateType: [], aggregateId: [], type: [], payload: [], topic: [], headers: [], contentType: [] };
}

export function pushOutboxRow(
  cols: OutboxColumns,
  row: { id: string; aggregateType: string; aggregateId: string; type: string; payload: Uint8Array | null; topic: string; headers: OutboxHeaders | undefined; contentType: string | null },
): void {
  cols.id.push(row.id);
  cols.aggregateType.push(row.aggregateType);
  cols.aggregateId.push(row.aggregateId);
  cols.type.push(row.type);
  cols.payload.push(row.payload === null ? null : toBuffer(row.payload));
  cols.topic.push(row.topic);
  cols.headers.push(row.headers ?? {});
  cols.contentType.push(row.contentType);
}

/**
 * `INSERT ... SELECT` of the rows in parameters $first..$first+7 (see outboxParams), in
 * parameter order so that positions follow it; the caller appends WHERE/RETURNING.
 */
export function outboxInsertSql(first: number): string {
  const p = (i: number): string => `$${first + i}`;
  return `INSERT INTO eventsmith_outbox (id, aggregatetype, aggregateid, type, payload, topic, headers, content_type)
  SELECT o.id, o.aggregatetype, o.aggregateid, o.type, o.payload, o.topic, o.headers, o.content_type
    FROM ROWS FROM (unnest(${p(0)}::uuid[]), unnest(${p(1)}::text[]), unnest(${p(2)}::text[]), unnest(${p(3)}::text[]), unnest(${p(4)}::bytea[]),
                    unnest(${p(5)}::text[]), jsonb_array_elements(${p(6)}::jsonb), unnest(${p(7)}::text[]))
         WITH ORDINALITY AS o(id, aggregatetype, aggregateid, type, payload, topic, headers, content_type, ord)`;
}

/**
 * The headers go as ONE JSON array, not a jsonb[] of JSON texts: pg writes a text array by
 * backslash-escaping every quote of every element, which took a third of an append's client
 * time (a row's headers are a dozen quoted names and values); the server parses either once.
 */
export function outboxParams(cols: OutboxColumns): unknown[] {
  return [cols.id, cols.aggregateType, cols.aggregateId, cols.type, cols.payload, cols.topic, JSON.stringify(cols.headers), cols.contentType];
}

/**
 * Inserts outbox messages (in the caller's transaction, if any) and returns their positions.
 * Messages of one aggregate are delivered in transaction-id order, then in this order; unlike
 * appendToStream, nothing here orders two transactions writing for the same key.
 */
export async function insertOutbox(db: Queryable, messages: readonly OutboxMessage[]): Promise<bigint[]> {
  if (messages.length === 0) return [];
  const cols = emptyOutboxColumns();
  for (const m of messages) {
    pushOutboxRow(cols, {
      id: m.id,
      aggregateType: m.aggregateType,
      aggregateId: m.aggregateId,
      type: m.type,
      payload: m.payload,
      topic: m.topic,
      headers: m.headers,
      contentType: m.contentType ?? null,
    });
  }
  const sql = `${outboxInsertSql(1)}
   ORDER BY o.ord
  RETURNING position::text AS position`;
  try {
    const result = await db.query(sql, outboxParams(cols));
    return rowsOf(result)
      .map((r) => asBigInt(r.position, 'position'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch (err) {
    const { code, constraint } = pgErrorInfo(err);
    if (code === UNIQUE_VIOLATION && constraint === 'eventsmith_outbox_pkey') {
      throw new DuplicateEventError(messages[0]?.aggregateType ?? '', messages[0]?.aggregateId ?? '', cols.id);
    }
    throw err;
  }
}
