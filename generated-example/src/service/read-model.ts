// The read model `order_summaries`: one row per order, for listing and querying orders without
// loading aggregates. It is the spec's OrderSummary projection (events/orders.yaml): the table,
// the rules, the row type and the queries are generated (../generated/orders/projections.ts).
// This service runs it from Kafka, in the idempotent consumer's transaction; the replay runs the
// same generated rules over the event store (the runtime's gap-free projection reader) into a
// second table. Equal rows from both prove that the live path lost, reordered and duplicated nothing.
import { type ConnectionPool, type PooledConnection, type Queryable, applyProjectionBatch } from 'eventsmith/runtime';
import { type OrderSummaryRow, getOrderSummary, orderSummaryKafkaHandlers, orderSummaryProjection } from '../generated/orders/projections.js';

export const LIVE_TABLE = orderSummaryProjection.table;
export const REBUILD_TABLE = `${LIVE_TABLE}_replay`;
const REPLAY_CHECKPOINT = `${orderSummaryProjection.name}#replay`;

export type SummaryTable = typeof LIVE_TABLE | typeof REBUILD_TABLE;
export type OrderSummary = OrderSummaryRow;

const STATUSES = ['placed', 'confirmed', 'cancelled'] as const;
export type OrderStatus = (typeof STATUSES)[number];

async function inTransactionOf<T>(pool: ConnectionPool, work: (tx: PooledConnection) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/** Creates the live table if it is not there (idempotent, safe at every start). */
export async function createReadModel(db: Queryable): Promise<void> {
  for (const statement of orderSummaryProjection.ddl(LIVE_TABLE)) await db.query(statement);
}

/** The consumer handlers of the live read model: the generated rules, from Kafka. */
export const liveReadModelHandlers = orderSummaryKafkaHandlers(LIVE_TABLE);

export async function loadSummary(db: Queryable, orderId: string, options: { table?: SummaryTable } = {}): Promise<OrderSummary | undefined> {
  return getOrderSummary(db, orderId, options.table ?? LIVE_TABLE);
}

export interface RebuildResult {
  readonly table: SummaryTable;
  /** Events read from the store (all aggregates), and those of Orders the rules applied. */
  readonly eventsRead: number;
  readonly orderEvents: number;
  readonly orders: number;
  readonly millis: number;
}

/**
 * Replays every event of the event store into a fresh `order_summaries_replay` with the generated
 * rules, through the runtime's projection reader (gap-free: it reads in transaction order below the
 * oldest running transaction), batch by batch with a checkpoint of its own.
 */
export async function rebuildReadModel(pool: ConnectionPool, options: { pageSize?: number } = {}): Promise<RebuildResult> {
  const started = Date.now();
  await inTransactionOf(pool, async (tx) => {
    await tx.query(`DROP TABLE IF EXISTS "${REBUILD_TABLE}"`);
    for (const statement of orderSummaryProjection.ddl(REBUILD_TABLE)) await tx.query(statement);
    await tx.query(
      `INSERT INTO eventsmith_projections (name, txid, position, fingerprint) VALUES ($1, '0'::xid8, 0, $2)
       ON CONFLICT (name) DO UPDATE SET txid = '0'::xid8, position = 0, applied = 0, fingerprint = excluded.fingerprint`,
      [REPLAY_CHECKPOINT, orderSummaryProjection.fingerprint],
    );
  });
  let eventsRead = 0;
  let orderEvents = 0;
  for (;;) {
    const batch = await inTransactionOf(pool, (tx) =>
      applyProjectionBatch(tx, orderSummaryProjection, { checkpoint: REPLAY_CHECKPOINT, table: REBUILD_TABLE, limit: options.pageSize ?? 2000, checkFingerprint: false }),
    );
    eventsRead += batch.read;
    orderEvents += batch.applied;
    if (batch.read === 0) break;
  }
  const orders = ((await pool.query(`SELECT count(*)::int AS n FROM "${REBUILD_TABLE}"`)).rows[0] as { n: number } | undefined)?.n ?? 0;
  return { table: REBUILD_TABLE, eventsRead, orderEvents, orders, millis: Date.now() - started };
}

export interface SummaryDifference {
  readonly orderId: string;
  /** only-live: the live model has an order the event store does not explain; only-rebuilt: it lacks one. */
  readonly kind: 'only-live' | 'only-rebuilt' | 'different';
  /** Columns that differ (for `different`). */
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

/** Every column of the projection's table: what the replay must reproduce exactly. */
const COMPARED = [
  'customer_id',
  'status',
  'total_amount',
  'currency',
  'cancellation_reason',
  'placed_at',
  'finished_at',
  'events_applied',
  'last_event_id',
] as const;

/** Compares the live read model with the replayed one, column by column. */
export async function compareReadModels(db: Queryable, options: { limit?: number } = {}): Promise<Comparison> {
  const limit = options.limit ?? 10;
  const count = async (table: SummaryTable): Promise<number> => ((await db.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0] as { n: number } | undefined)?.n ?? 0;
  const differs = COMPARED.map((c) => `l.${c} IS DISTINCT FROM r.${c}`).join(' OR ');
  const diff = await db.query(
    `SELECT coalesce(l.order_id, r.order_id)::text AS order_id, l.order_id IS NULL AS only_rebuilt, r.order_id IS NULL AS only_live,
            ARRAY[${COMPARED.map((c) => `CASE WHEN l.${c} IS DISTINCT FROM r.${c} THEN '${c}' END`).join(', ')}] AS columns
       FROM "${LIVE_TABLE}" l FULL OUTER JOIN "${REBUILD_TABLE}" r ON r.order_id = l.order_id
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
  /**
   * Orders whose row counts more applied events than their stream holds: an event applied twice
   * (the rules increment events_applied once per event). Must be 0.
   */
  readonly duplicatesApplied: number;
  readonly eventsApplied: number;
}

function isStatus(s: string): s is OrderStatus {
  return STATUSES.some((x) => x === s);
}

/** The read model's orders by status, and all its rows (a status outside the known ones included). */
export async function readModelStatuses(db: Queryable): Promise<{ readonly orders: number; readonly byStatus: Readonly<Record<OrderStatus, number>> }> {
  const byStatus: Record<OrderStatus, number> = { placed: 0, confirmed: 0, cancelled: 0 };
  let orders = 0;
  for (const r of (await db.query(`SELECT status, count(*)::int AS n FROM "${LIVE_TABLE}" GROUP BY status`)).rows as Array<{ status: string; n: number }>) {
    if (isStatus(r.status)) byStatus[r.status] = r.n;
    orders += r.n;
  }
  return { orders, byStatus };
}

export async function readModelStats(db: Queryable): Promise<ReadModelStats> {
  const { orders, byStatus } = await readModelStatuses(db);
  const applied = (
    await db.query(
      `SELECT coalesce(sum(l.events_applied), 0)::int AS total,
              count(*) FILTER (WHERE l.events_applied > coalesce(s.version, 0))::int AS over
         FROM "${LIVE_TABLE}" l LEFT JOIN eventsmith_streams s ON s.stream_type = 'Order' AND s.stream_id = l.order_id::text`,
    )
  ).rows[0] as { total: number; over: number } | undefined;
  return { orders, byStatus, duplicatesApplied: applied?.over ?? 0, eventsApplied: applied?.total ?? 0 };
}
