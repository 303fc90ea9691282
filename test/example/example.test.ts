// The example service end to end, as `npm run example` runs it, with fewer orders: the service
// compiled against the built package, on the project's own PostgreSQL and Kafka, orders driven
// through its HTTP API until every one is final, then the summary's consistency checks (every
// order final and as designed, outbox drained, no consumer lag, no dead letters, no duplicate
// applied, read model equal to a rebuild from the event store). And the other way round: the
// rebuild command must notice a read model that drifted from the events.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type KafkaBroker, startKafka } from '../support/kafka.mjs';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';

const root = path.join(import.meta.dirname, '..', '..');
const tmp = path.join(root, 'test', 'tmp');
const ORDERS = 40;

/** What the test reads of scripts/run-example.mjs's --json file (generated-example/src/service/report.ts). */
interface RunSummary {
  readonly ok: boolean;
  readonly orders: Readonly<Record<'requested' | 'placed' | 'placedAsV1' | 'confirmed' | 'cancelled' | 'cancelledOutOfStock' | 'cancelledPaymentDeclined' | 'unfinished', number>>;
  readonly events: { readonly stored: number; readonly outboxRows: number; readonly published: number; readonly consumed: Readonly<Record<string, number>> };
  readonly consumerLag: Readonly<Record<string, number>>;
  readonly outboxLag: number;
  readonly deadLetters: number;
  readonly duplicatesApplied: number;
  readonly rebuild: { readonly identical: boolean; readonly rows: number; readonly differences: number };
  readonly sagas: { readonly mode: string; readonly byStatus: Readonly<Record<string, number>>; readonly commandsSent: number; readonly resends: number; readonly stepsTimedOut: number };
  readonly checks: ReadonlyArray<{ readonly name: string; readonly ok: boolean; readonly detail: string }>;
}

/** What run-example.mjs writes of the compensated order's trace (generated-example/src/service/telemetry.ts). */
interface ExampleTrace {
  readonly orderId: string;
  readonly spans: ReadonlyArray<{
    readonly traceId: string;
    readonly spanId: string;
    readonly parentSpanId: string | null;
    readonly name: string;
    readonly kind: string;
    readonly attributes: Readonly<Record<string, unknown>>;
    readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
  }>;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function node(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: root, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

let cluster: PostgresCluster;
let broker: KafkaBroker;
let databaseUrl = '';
let ownDatabase: string | undefined;
let env: NodeJS.ProcessEnv;
let jsonFile = '';

beforeAll(async () => {
  const compiling = node([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'generated-example'], process.env, 180_000);
  [cluster, broker] = await Promise.all([startPostgres(), startKafka()]);
  databaseUrl = cluster.url;
  if (cluster.external) {
    // A shared server: a database of our own, so the example's tables meet no earlier run's.
    ownDatabase = `example_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(ownDatabase)}`);
    } finally {
      await admin.end();
    }
    const url = new URL(cluster.url);
    url.pathname = `/${ownDatabase}`;
    databaseUrl = url.toString();
  }
  env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    // Consumer groups of their own on a shared broker.
    ORDER_SERVICE_GROUP_PREFIX: `example-test-${randomBytes(4).toString('hex')}`,
  };
  const compiled = await compiling;
  expect(compiled.code, `tsc -p generated-example:\n${compiled.stdout}${compiled.stderr}`).toBe(0);
  mkdirSync(tmp, { recursive: true });
  jsonFile = path.join(tmp, `example-summary-${randomBytes(4).toString('hex')}.json`);
}, 300_000);

afterAll(async () => {
  rmSync(jsonFile, { force: true });
  await broker?.stop();
  if (ownDatabase !== undefined) {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(ownDatabase)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await cluster?.stop();
});

it(`places ${ORDERS} orders, a quarter designed to fail, and ends consistent`, async () => {
  const run = await node(
    ['generated-example/scripts/run-example.mjs', '--orders', String(ORDERS), '--failure-rate', '0.25', '--no-compile', '--json', jsonFile],
    env,
    240_000,
  );
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/consistent: \d+ checks passed/);

  const summary = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { summary: RunSummary }).summary;
  expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
  expect(summary.checks.length).toBeGreaterThanOrEqual(10);
  expect(summary.orders).toEqual({
    requested: ORDERS,
    placed: ORDERS,
    placedAsV1: 4,
    confirmed: 30,
    cancelled: 10,
    cancelledOutOfStock: 5,
    cancelledPaymentDeclined: 5,
    unfinished: 0,
  });
  expect(summary.duplicatesApplied).toBe(0);
  expect(summary.deadLetters).toBe(0);
  expect(summary.outboxLag).toBe(0);
  expect(Object.values(summary.consumerLag).every((lag) => lag === 0)).toBe(true);
  // Every outbox row (the events, and the saga's commands) was published once; the read model saw
  // every Order event; the saga consumed each order's start event and each answer, the command
  // handlers each command: 30 × (reserve, capture, confirm) + 5 × (reserve, cancel) + 5 × (reserve,
  // capture, release, cancel).
  expect(summary.events.published).toBe(summary.events.outboxRows);
  expect(summary.events.outboxRows).toBe(summary.events.stored + summary.sagas.commandsSent);
  expect(summary.events.consumed).toEqual({ 'order-summaries': ORDERS * 2, 'place-order': 30 * 3 + 5 * 2 + 5 * 4, commands: 30 * 3 + 5 * 2 + 5 * 4 });
  expect(summary.sagas).toMatchObject({ mode: 'saga-engine', byStatus: { running: 0, compensating: 0, completed: 30, compensated: 10, parked: 0 }, resends: 0, stepsTimedOut: 0 });
  expect(summary.rebuild).toMatchObject({ identical: true, rows: ORDERS, differences: 0 });
  // Where the latency went per hop, read from the database's timestamps: every published row
  // (the relay hop) and every applied message of each group (its delivery), none left out.
  const { hops } = JSON.parse(readFileSync(jsonFile, 'utf8')) as { hops: Array<{ hop: string; consumer?: string; messages: number; p50: number; p95: number }> };
  expect(hops.find((h) => h.hop === 'relay')?.messages).toBe(summary.events.outboxRows);
  expect(Object.fromEntries(hops.filter((h) => h.hop === 'delivery').map((h) => [h.consumer, h.messages]))).toEqual(summary.events.consumed);
  expect(hops.every((h) => Number.isFinite(h.p50) && h.p95 >= h.p50)).toBe(true);
  expect(run.stdout).toMatch(/hops p50 +outbox row → relay \d+ ms \(p95 \d+\); relay → consumer: commands \d+ ms/);
  // CPU per order over the load, per process, from /proc: the service and the driver here (the
  // database and the broker are the test's, given through DATABASE_URL and KAFKA_BROKERS).
  // The service's main thread (its JavaScript) apart: the run and run-queue time from schedstat.
  const { cpu } = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    cpu: { seconds: Record<string, number>; mainThread: Record<string, { run: number; wait: number }>; wallSeconds: number } | null;
  };
  if (process.platform === 'linux') {
    expect(Object.keys(cpu?.seconds ?? {}).sort()).toEqual(['driver', 'service']);
    expect(cpu?.seconds.service).toBeGreaterThan(0);
    expect(cpu?.seconds.driver).toBeGreaterThan(0);
    expect(cpu?.wallSeconds).toBeGreaterThan(0);
    expect(Object.keys(cpu?.mainThread ?? {})).toEqual(['service']);
    expect(cpu?.mainThread.service?.run).toBeGreaterThan(0);
    expect(cpu?.mainThread.service?.wait).toBeGreaterThanOrEqual(0);
    expect(run.stdout).toMatch(
      /cpu per order service \d+\.\d ms \(main thread \d+\.\d ms, \d+\.\d ms waiting for a core\), driver \d+\.\d ms \(placing → all final, [\d.]+ s: [\d.]+ of \d+ cores busy\)/,
    );
  }

  // OpenTelemetry: the waterfall of one compensated order follows the summary; its spans (all in
  // one trace from the HTTP request to the last saga step, the relay's batches linked into it).
  const { trace, prometheusFamilies } = JSON.parse(readFileSync(jsonFile, 'utf8')) as { trace: ExampleTrace | null; prometheusFamilies: Array<{ name: string; type: string }> };
  expect(trace).not.toBeNull();
  const spans = trace?.spans ?? [];
  expect(run.stdout).toContain(`the trace of order ${trace?.orderId} (payment-declined, saga compensated): ${spans.length} spans`);
  const own = spans.filter((s) => s.parentSpanId !== null || s.links.length === 0);
  expect(new Set(own.map((s) => s.traceId)).size).toBe(1);
  expect(own.find((s) => s.parentSpanId === null)?.name).toBe('POST /orders');
  const transitions = own.filter((s) => s.name === 'saga PlaceOrder event' || s.name === 'saga PlaceOrder start').map((s) => s.attributes['eventsmith.saga.transition']);
  expect(transitions).toEqual(['started', 'step-succeeded', 'step-failed', 'compensation-succeeded']);
  // The order's cancellation was consumed: a process span links to its creation (alone, also its child; in a batch, linked only).
  const cancelled = own.find((s) => s.kind === 'producer' && s.attributes['cloudevents.event_type'] === 'com.example.orders.order.cancelled');
  expect(spans.some((s) => s.kind === 'consumer' && s.links.some((l) => l.spanId === cancelled?.spanId))).toBe(true);
  // Spans of other traces linked into this one: the relay's batch sends and batch process spans.
  expect(spans.filter((s) => s.links.length > 0 && s.parentSpanId === null).every((s) => s.name.startsWith('send') || s.name.startsWith('process'))).toBe(true);
  expect(run.stdout).toMatch(/relay +↳ send(?: orders)? .*linked batch/);
  // /metrics: the OpenTelemetry Prometheus exporter, with the runtime's metrics and the service's.
  const families = Object.fromEntries(prometheusFamilies.map((f) => [f.name, f.type]));
  expect(families).toMatchObject({
    messaging_client_sent_messages_total: 'counter',
    messaging_client_consumed_messages_total: 'counter',
    messaging_process_duration: 'histogram',
    eventsmith_consumer_lag: 'gauge',
    eventsmith_relay_lag_rows: 'gauge',
    eventsmith_relay_lag_seconds: 'gauge',
    eventsmith_outbox_rows: 'gauge',
    eventsmith_saga_instances: 'gauge',
    eventsmith_saga_transitions_total: 'counter',
    order_summaries_orders: 'gauge',
    eventsmith_dead_letter_messages: 'gauge',
  });
}, 300_000);

it('the rebuild command exits 1 and names the orders when the read model drifted from the events', async () => {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let changed: string;
  let removed: string;
  try {
    const ids = (await db.query<{ id: string }>(`SELECT order_id::text AS id FROM order_summaries WHERE status = 'confirmed' ORDER BY order_id LIMIT 2`)).rows.map((r) => r.id);
    expect(ids).toHaveLength(2);
    [changed, removed] = ids as [string, string];
    await db.query(`UPDATE order_summaries SET status = 'cancelled' WHERE order_id = $1`, [changed]);
    await db.query(`DELETE FROM order_summaries WHERE order_id = $1`, [removed]);
  } finally {
    await db.end();
  }
  const run = await node(['generated-example/dist/service/main.js', 'rebuild'], env, 120_000);
  expect(run.code, run.stderr).toBe(1);
  expect(run.stdout).toContain('differs in 2 orders');
  expect(run.stdout).toContain(`${changed}: different (status)`);
  expect(run.stdout).toContain(`${removed}: only-rebuilt`);
}, 180_000);
