// Database-side views of a saga run, shared by the engine and end-to-end tests: what commands the
// outbox holds per saga, what each aggregate's stream recorded, and one comparable summary.
import { type Queryable, type SagaInstance, type SagaRuntime, migrate } from '../../generator/runtime/index.js';
import type { Isolated, TestDatabase } from '../postgres/db.js';
import type { PlaceOrderContext } from './domain.js';

export async function sagaSchema(db: TestDatabase, max = 10): Promise<Isolated> {
  const iso = await db.isolated({ max });
  await migrate(iso.pool);
  return iso;
}

export interface CommandRows {
  readonly type: string;
  /** Outbox rows (a resend is one more row). */
  readonly rows: number;
  /** Distinct CloudEvents ids (a resend keeps the id; a retry after a failure has a new one). */
  readonly ids: number;
}

/** Per saga id (correlationid), the commands in the outbox, in order of first send. */
export async function commandsBySaga(db: Queryable, sagaIds?: readonly string[]): Promise<Map<string, CommandRows[]>> {
  const r = await db.query(
    `SELECT headers->>'correlationid' AS saga, type, count(*)::int AS rows, count(DISTINCT headers->>'id')::int AS ids
       FROM eventsmith_outbox
      WHERE type LIKE '%.command.%' AND ($1::text[] IS NULL OR headers->>'correlationid' = ANY($1::text[]))
      GROUP BY 1, 2
      ORDER BY 1, min(position)`,
    [sagaIds ?? null],
  );
  const out = new Map<string, CommandRows[]>();
  for (const row of r.rows as Array<{ saga: string; type: string; rows: number; ids: number }>) {
    const list = out.get(row.saga) ?? [];
    list.push({ type: row.type, rows: row.rows, ids: row.ids });
    out.set(row.saga, list);
  }
  return out;
}

/** Event types of every stream of one aggregate id, by stream type. */
export async function streamsOf(db: Queryable, id: string): Promise<Record<string, string[]>> {
  const r = await db.query('SELECT stream_type, array_agg(event_type ORDER BY stream_version) AS types FROM eventsmith_events WHERE stream_id = $1 GROUP BY 1 ORDER BY 1', [id]);
  return Object.fromEntries((r.rows as Array<{ stream_type: string; types: string[] }>).map((x) => [x.stream_type, x.types]));
}

/** What a finished saga amounts to, without ids and times: equal for equal runs. */
export interface SagaSummary {
  readonly status: string;
  readonly step: string | null;
  readonly context: Omit<PlaceOrderContext, 'orderId' | 'amount' | 'paymentId' | 'shipmentId'> & { paymentId: boolean; shipmentId: boolean; amount: string };
  readonly failure: string | null;
  readonly completed: readonly string[];
  readonly commands: readonly CommandRows[];
  readonly streams: Record<string, string[]>;
}

export async function summarize(db: Queryable, engine: { get(db: Queryable, id: string): Promise<SagaInstance<PlaceOrderContext> | undefined> }, id: string): Promise<SagaSummary> {
  const saga = await engine.get(db, id);
  if (saga === undefined) throw new Error(`no saga ${id}`);
  const { orderId: _id, amount, paymentId, shipmentId, ...context } = saga.context;
  return {
    status: saga.status,
    step: saga.step,
    context: { ...context, amount: amount.toString(), paymentId: paymentId !== null, shipmentId: shipmentId !== null },
    failure: saga.book.failure ? `${saga.book.failure.step} ${saga.book.failure.reason}` : null,
    completed: saga.book.completed,
    commands: (await commandsBySaga(db, [id])).get(id) ?? [],
    streams: await streamsOf(db, id),
  };
}

/** Sagas not yet in a final status (of this engine's type). */
export async function unfinished(db: Queryable, engine: SagaRuntime): Promise<number> {
  const r = await db.query(`SELECT count(*)::int AS n FROM eventsmith_saga_state WHERE saga_type = $1 AND status NOT IN ('completed', 'compensated')`, [engine.sagaType]);
  return (r.rows[0] as { n: number }).n;
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, describe?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** streamsOf for many ids in one query. */
export async function streamsByAggregate(db: Queryable, ids: readonly string[]): Promise<Map<string, Record<string, string[]>>> {
  const r = await db.query(
    'SELECT stream_id, stream_type, array_agg(event_type ORDER BY stream_version) AS types FROM eventsmith_events WHERE stream_id = ANY($1::text[]) GROUP BY 1, 2 ORDER BY 1, 2',
    [ids],
  );
  const out = new Map<string, Record<string, string[]>>();
  for (const row of r.rows as Array<{ stream_id: string; stream_type: string; types: string[] }>) {
    const streams = out.get(row.stream_id) ?? {};
    streams[row.stream_type] = row.types;
    out.set(row.stream_id, streams);
  }
  return out;
}

/** How many of `ids` are final with their last command applied (the Order stream has its second event). */
export async function settledCount(db: Queryable, ids: readonly string[]): Promise<number> {
  const r = await db.query(
    `SELECT count(*)::int AS n FROM eventsmith_saga_state s
      WHERE s.saga_id = ANY($1::text[]) AND s.status IN ('completed', 'compensated')
        AND (SELECT count(*) FROM eventsmith_events e WHERE e.stream_type = 'Order' AND e.stream_id = s.saga_id) >= 2`,
    [ids],
  );
  return (r.rows[0] as { n: number }).n;
}

/** Status and step of each saga, for failure messages. */
export async function describeSagas(db: Queryable, ids: readonly string[]): Promise<string> {
  const r = await db.query('SELECT status, step, count(*)::int AS n FROM eventsmith_saga_state WHERE saga_id = ANY($1::text[]) GROUP BY 1, 2', [ids]);
  return JSON.stringify(r.rows);
}
