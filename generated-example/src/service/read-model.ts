// The read model `order_summaries`: one row per order, for listing and querying orders without
// loading aggregates. One pure function (projectSummary) folds Order events into a row; the live
// projection applies it to events from Kafka (in the consumer's transaction, which also marks the
// event processed), and a rebuild applies it to every event of the event store into a fresh table.
// Equal rows from both prove that the live path lost, reordered and duplicated nothing.
import { type ConnectionPool, type Queryable, readAll } from 'eventsmith/runtime';
import { eventDecoding } from '../generated/orders/kafka.js';
import { OrderEventTypes, type OrderEvent } from '../generated/orders/types.js';

export const LIVE_TABLE = 'order_summaries';
export const REBUILD_TABLE = 'order_summaries_rebuild';
/** One row per event the live projection applied: a duplicate application would show here. */
export const APPLIED_TABLE = 'order_summary_applied';

export type SummaryTable = typeof LIVE_TABLE | typeof REBUILD_TABLE;

export type OrderStatus = 'placed' | 'confirmed' | 'cancelled';

export interface OrderSummary {
  readonly orderId: string;
  readonly customerId: string | null;
  readonly status: OrderStatus;
  /** Order lines, and units over all lines. */
  readonly lines: number;
  readonly units: number;
  readonly totalAmount: string | null;
  readonly currency: string | null;
  readonly cancellationReason: string | null;
  readonly placedAt: Date | null;
  /** When it was confirmed or cancelled. */
  readonly finishedAt: Date | null;
  /** The Order's version this row reflects: its number of events. */
  readonly eventsApplied: number;
  readonly lastEventId: string;
}

/** An Order event with what the projection needs of its envelope (or of its event-store row). */
export interface ProjectedEvent {
  readonly id: string;
  readonly orderId: string;
  readonly time: Date;
  readonly event: OrderEvent;
}

/** The next row after `e`; the one function both the live projection and the rebuild use. */
export function projectSummary(prev: OrderSummary | undefined, e: ProjectedEvent): OrderSummary {
  const base: OrderSummary = prev ?? {
    orderId: e.orderId,
    customerId: null,
    status: 'placed',
    lines: 0,
    units: 0,
    totalAmount: null,
    currency: null,
    cancellationReason: null,
    placedAt: null,
    finishedAt: null,
    eventsApplied: 0,
    lastEventId: e.id,
  };
  const applied = { eventsApplied: base.eventsApplied + 1, lastEventId: e.id };
  switch (e.event.type) {
    case 'com.example.orders.order.placed': {
      const d = e.event.data;
      return {
        ...base,
        ...applied,
        customerId: d.customerId,
        status: 'placed',
        lines: d.items.length,
        units: d.items.reduce((n, i) => n + i.quantity, 0),
        totalAmount: d.total.amount,
        currency: d.total.currency,
        placedAt: e.time,
      };
    }
    case 'com.example.orders.order.confirmed':
      return { ...base, ...applied, status: 'confirmed', finishedAt: e.event.data.confirmedAt };
    case 'com.example.orders.order.cancelled':
      return { ...base, ...applied, status: 'cancelled', cancellationReason: e.event.data.reason, finishedAt: e.event.data.cancelledAt };
  }
}

const COLUMNS = `order_id uuid PRIMARY KEY,
  customer_id text,
  status text NOT NULL,
  lines integer NOT NULL,
  units integer NOT NULL,
  total_amount numeric(12,2),
  currency text,
  cancellation_reason text,
  placed_at timestamptz,
  finished_at timestamptz,
  events_applied integer NOT NULL,
  last_event_id uuid NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()`;

/** The compared columns (not updated_at): what a rebuild must reproduce exactly. */
const COMPARED = [
  'customer_id',
  'status',
  'lines',
  'units',
  'total_amount',
  'currency',
  'cancellation_reason',
  'placed_at',
  'finished_at',
  'events_applied',
  'last_event_id',
] as const;

/** Creates the live read model's tables if they are not there (idempotent, safe at every start). */
export async function createReadModel(db: Queryable): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${LIVE_TABLE} (\n  ${COLUMNS}\n)`);
  await db.query(`CREATE INDEX IF NOT EXISTS ${LIVE_TABLE}_status_idx ON ${LIVE_TABLE} (status)`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${APPLIED_TABLE} (
  event_id uuid NOT NULL,
  order_id uuid NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`);
  await db.query(`CREATE INDEX IF NOT EXISTS ${APPLIED_TABLE}_event_idx ON ${APPLIED_TABLE} (event_id)`);
}

const SELECT_ROW = `SELECT order_id::text, customer_id, status, lines, units, total_amount::text, currency,
       cancellation_reason, placed_at, finished_at, events_applied, last_event_id::text`;

interface Row {
  order_id: string;
  customer_id: string | null;
  status: string;
  lines: number;
  units: number;
  total_amount: string | null;
  currency: string | null;
  cancellation_reason: string | null;
  placed_at: Date | null;
  finished_at: Date | null;
  events_applied: number;
  last_event_id: string;
}

function isStatus(s: string): s is OrderStatus {
  return s === 'placed' || s === 'confirmed' || s === 'cancelled';
}

function fromRow(r: Row): OrderSummary {
  if (!isStatus(r.status)) throw new TypeError(`order ${r.order_id}: unknown status ${JSON.stringify(r.status)}`);
  return {
    orderId: r.order_id,
    customerId: r.customer_id,
    status: r.status,
    lines: r.lines,
    units: r.units,
    totalAmount: r.total_amount,
    currency: r.currency,
    cancellationReason: r.cancellation_reason,
    placedAt: r.placed_at,
    finishedAt: r.finished_at,
    eventsApplied: r.events_applied,
    lastEventId: r.last_event_id,
  };
}

export async function loadSummary(db: Queryable, orderId: string, options: { table?: SummaryTable; forUpdate?: boolean } = {}): Promise<OrderSummary | undefined> {
  const table = options.table ?? LIVE_TABLE;
  const result = await db.query(`${SELECT_ROW} FROM ${table} WHERE order_id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [orderId]);
  const row = result.rows[0] as Row | undefined;
  return row === undefined ? undefined : fromRow(row);
}

function params(s: OrderSummary): unknown[] {
  return [s.orderId, s.customerId, s.status, s.lines, s.units, s.totalAmount, s.currency, s.cancellationReason, s.placedAt, s.finishedAt, s.eventsApplied, s.lastEventId];
}

const INSERT_COLUMNS = 'order_id, customer_id, status, lines, units, total_amount, currency, cancellation_reason, placed_at, finished_at, events_applied, last_event_id';

/** The live projection's step: row for update, fold, upsert, and a line in the applied log. */
export async function applyToLiveModel(tx: Queryable, e: ProjectedEvent): Promise<OrderSummary> {
  const next = projectSummary(await loadSummary(tx, e.orderId, { forUpdate: true }), e);
  await tx.query(
    `INSERT INTO ${LIVE_TABLE} (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (order_id) DO UPDATE SET
       customer_id = excluded.customer_id, status = excluded.status, lines = excluded.lines, units = excluded.units,
       total_amount = excluded.total_amount, currency = excluded.currency, cancellation_reason = excluded.cancellation_reason,
       placed_at = excluded.placed_at, finished_at = excluded.finished_at, events_applied = excluded.events_applied,
       last_event_id = excluded.last_event_id, updated_at = now()`,
    params(next),
  );
  await tx.query(`INSERT INTO ${APPLIED_TABLE} (event_id, order_id) VALUES ($1, $2)`, [e.id, e.orderId]);
  return next;
}

const ORDER_TYPES: ReadonlySet<string> = new Set(Object.values(OrderEventTypes));
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface RebuildResult {
  readonly table: SummaryTable;
  /** Events read from the store (all aggregates), and those of Orders folded into rows. */
  readonly eventsRead: number;
  readonly orderEvents: number;
  readonly orders: number;
  /** Global position of the last event read. */
  readonly lastPosition: string;
  readonly millis: number;
}

/**
 * Replays every event of the event store (eventsmith_events, in global order) into a fresh
 * `order_summaries_rebuild`: each is decoded with the codec of the version it was stored in and
 * upcast to the latest, as consumers do (the generated `eventDecoding` table), then folded with
 * projectSummary. The new table replaces the old one in one transaction. Read the store while it
 * is quiescent (readAll's contract): a rebuild while writers run may miss their last events.
 */
export async function rebuildReadModel(pool: ConnectionPool, options: { pageSize?: number } = {}): Promise<RebuildResult> {
  const started = Date.now();
  const pageSize = options.pageSize ?? 2000;
  const rows = new Map<string, OrderSummary>();
  let after = 0n;
  let eventsRead = 0;
  let orderEvents = 0;
  for (;;) {
    const page = await readAll(pool, after, pageSize);
    for (const recorded of page) {
      eventsRead++;
      after = recorded.globalPosition;
      if (recorded.streamType !== 'Order' || !ORDER_TYPES.has(recorded.eventType)) continue;
      const codec = eventDecoding.codec(recorded.eventType, recorded.schemaVersion);
      if (codec === undefined) throw new Error(`event ${recorded.eventId}: no codec for ${recorded.eventType} v${recorded.schemaVersion}`);
      const raw = recorded.contentType.startsWith('application/avro') ? codec.fromBinary(recorded.data) : codec.fromJson(utf8.decode(recorded.data));
      // The generated codec of exactly this type decoded it and its upcaster brought it to the
      // latest version: it is that member of OrderEvent.
      const event = { type: recorded.eventType, data: eventDecoding.upcast(recorded.eventType, recorded.schemaVersion, raw) } as OrderEvent;
      const e: ProjectedEvent = { id: recorded.eventId, orderId: recorded.streamId, time: recorded.occurredAt, event };
      rows.set(e.orderId, projectSummary(rows.get(e.orderId), e));
      orderEvents++;
    }
    if (page.length < pageSize) break;
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`DROP TABLE IF EXISTS ${REBUILD_TABLE}`);
    await client.query(`CREATE TABLE ${REBUILD_TABLE} (\n  ${COLUMNS}\n)`);
    const all = [...rows.values()];
    for (let i = 0; i < all.length; i += 1000) {
      const chunk = all.slice(i, i + 1000);
      const columns = chunk.map(params);
      // One statement per chunk: unnest of one array per column.
      await client.query(
        `INSERT INTO ${REBUILD_TABLE} (${INSERT_COLUMNS})
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::numeric[], $7::text[], $8::text[],
                              $9::timestamptz[], $10::timestamptz[], $11::int[], $12::uuid[])`,
        Array.from({ length: 12 }, (_, c) => columns.map((p) => p[c])),
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return { table: REBUILD_TABLE, eventsRead, orderEvents, orders: rows.size, lastPosition: after.toString(), millis: Date.now() - started };
}

export interface SummaryDifference {
  readonly orderId: string;
  /** only-live: the live model has an order the event store does not explain; only-rebuilt: it lacks one. */
  readonly kind: 'only-live' | 'only-rebuilt' | 'different';
  /** Compared columns that differ (for `different`). */
  readonly columns: readonly string[];
  readonly live: OrderSummary | null;
  readonly rebuilt: OrderSummary | null;
}

export interface Comparison {
  readonly identical: boolean;
  readonly liveRows: number;
  readonly rebuiltRows: number;
  readonly differences: number;
  /** The first differences (at most `limit`). */
  readonly examples: readonly SummaryDifference[];
}

/** Compares the live read model with the rebuilt one, column by column (all but updated_at). */
export async function compareReadModels(db: Queryable, options: { limit?: number } = {}): Promise<Comparison> {
  const limit = options.limit ?? 10;
  const count = async (table: SummaryTable): Promise<number> => ((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0] as { n: number } | undefined)?.n ?? 0;
  const differs = COMPARED.map((c) => `l.${c} IS DISTINCT FROM r.${c}`).join(' OR ');
  const diff = await db.query(
    `SELECT coalesce(l.order_id, r.order_id)::text AS order_id, l.order_id IS NULL AS only_rebuilt, r.order_id IS NULL AS only_live,
            ARRAY[${COMPARED.map((c) => `CASE WHEN l.${c} IS DISTINCT FROM r.${c} THEN '${c}' END`).join(', ')}] AS columns
       FROM ${LIVE_TABLE} l FULL OUTER JOIN ${REBUILD_TABLE} r ON r.order_id = l.order_id
      WHERE l.order_id IS NULL OR r.order_id IS NULL OR ${differs}
      ORDER BY 1`,
  );
  const rows = diff.rows as Array<{ order_id: string; only_rebuilt: boolean; only_live: boolean; columns: (string | null)[] }>;
  const examples: SummaryDifference[] = [];
  for (const r of rows.slice(0, limit)) {
    examples.push({
      orderId: r.order_id,
      kind: r.only_live ? 'only-live' : r.only_rebuilt ? 'only-rebuilt' : 'different',
      columns: r.only_live || r.only_rebuilt ? [] : r.columns.filter((c): c is string => c !== null),
      live: (await loadSummary(db, r.order_id)) ?? null,
      rebuilt: (await loadSummary(db, r.order_id, { table: REBUILD_TABLE })) ?? null,
    });
  }
  return { identical: rows.length === 0, liveRows: await count(LIVE_TABLE), rebuiltRows: await count(REBUILD_TABLE), differences: rows.length, examples };
}

export interface ReadModelStats {
  readonly orders: number;
  readonly byStatus: Readonly<Record<OrderStatus, number>>;
  /** Events the live projection applied more than once: must be 0. */
  readonly duplicatesApplied: number;
  readonly eventsApplied: number;
}

export async function readModelStats(db: Queryable): Promise<ReadModelStats> {
  const byStatus: Record<OrderStatus, number> = { placed: 0, confirmed: 0, cancelled: 0 };
  let orders = 0;
  for (const r of (await db.query(`SELECT status, count(*)::int AS n FROM ${LIVE_TABLE} GROUP BY status`)).rows as Array<{ status: string; n: number }>) {
    if (isStatus(r.status)) byStatus[r.status] = r.n;
    orders += r.n;
  }
  const applied = (await db.query(`SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct_events FROM ${APPLIED_TABLE}`)).rows[0] as
    | { total: number; distinct_events: number }
    | undefined;
  return { orders, byStatus, duplicatesApplied: (applied?.total ?? 0) - (applied?.distinct_events ?? 0), eventsApplied: applied?.total ?? 0 };
}

/** An event from Kafka as the projection sees it. */
export function fromEnvelope(envelope: { readonly id: string; readonly subject: string; readonly time: string }, event: OrderEvent): ProjectedEvent {
  return { id: envelope.id, orderId: envelope.subject, time: new Date(envelope.time), event };
}
