// Sagas on the built runtime (dist/) against a throwaway single-node KRaft broker
// (generator/dev/kafka.mjs) and a throwaway PostgreSQL (generator/dev/postgres.mjs, durable by
// default), with the three-step PlaceOrder domain of the saga tests (test/saga/domain.ts,
// transpiled on the fly, importing the built runtime): the full pipeline of a service that runs
// it, in one process — the outbox relay (LISTEN/NOTIFY), one consumer group running the command
// handlers of every aggregate (commandHandler + repositories), the orchestrator (a consumer group
// whose handlers are engine.handler()) and the timeout poller; runtime defaults throughout.
//
//   OrderPlaced appended → relay → Kafka → orchestrator (saga row + ReserveStock in the outbox)
//   → relay → Kafka → command consumer (Inventory: load, decide, append StockReserved) → relay
//   → Kafka → orchestrator (CapturePayment) … ShipmentArranged → orchestrator (completed,
//   ConfirmOrder) → relay → Kafka → command consumer (Order: OrderConfirmed). 8 broker hops.
//
// 1. Latency: one saga at a time. Baseline: a raw KafkaJS produce → consume round trip on the
//    same broker and process (idempotent producer, acks -1, a consumer with the runner's
//    maxWaitTimeInMs), taken side by side: a few round trips (and SELECT 1s) before each saga.
//    A step is timed from the orchestrator's commit that sent its command to the commit that
//    recorded its answer: two broker hops, each through the relay and a consumer transaction.
//    Hooks of the relay (afterPublish, a timed publisher) and of the consumers (afterCommit,
//    wrapped handlers) split each step into its parts.
// 2. Throughput: N sagas at once (all happy path), placed by 16 writers while the pipeline runs;
//    the clock runs from the first append until every ConfirmOrder is applied. CPU time per saga
//    of this process, of PostgreSQL and of the broker's JVM (from /proc), the machine's idle
//    time, SQL statements per saga, and how much the relay and the consumers batched and how
//    busy they were. Baseline, side by side: N chains of 8 hops through raw KafkaJS. Last, the
//    largest N again with the consumers taking all 12 partitions of their group at once.
//
// Usage: npm run bench:saga [-- --sagas 500,2000] [-- --sequential 50] [-- --fast]
//   --compare-concurrency N: the partitions at once of the last run (default 12; 0 skips it)
//   knobs (defaults: the runtime's): --relay-batch N, --idle-poll-ms N, --no-listen,
//   --max-wait-ms N (consumers' maxWaitTimeInMs), --consumer-batch N (maxBatchSize),
//   --concurrency N (partitionsConsumedConcurrently)
// KAFKA_BROKERS and DATABASE_URL, if set, are used instead of throwaway servers (no CPU figures
// for a server not started here).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import ts from 'typescript';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { BENCH_BROKER } from './timing.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runtimeUrl = pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href;
const runtime = await import(runtimeUrl);
const { KafkaConsumerRunner, KafkaPublisher, OutboxRelay, SagaEngine, SagaTimeoutPoller, ensureTopics, migrate } = runtime;

// ---- options ------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const numberOption = (name) => (option(name) === undefined ? undefined : Number(option(name)));
const LOADS = option('--sagas', '500,2000').split(',').map(Number);
const SEQUENTIAL = Number(option('--sequential', '50'));
const RAW_PER_SAGA = 4;
/** The last load again with the consumers taking this many partitions at once (0: skip). */
const COMPARE_CONCURRENCY = Number(option('--compare-concurrency', '12'));
const WRITERS = 16;
const durable = !flag('--fast');
const knobs = {
  relayBatch: numberOption('--relay-batch'),
  idlePollMs: numberOption('--idle-poll-ms'),
  listen: !flag('--no-listen'),
  maxWaitMs: numberOption('--max-wait-ms'),
  consumerBatch: numberOption('--consumer-batch'),
  concurrency: numberOption('--concurrency'),
};
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const relaySettings = defined({ batchSize: knobs.relayBatch, idlePollMs: knobs.idlePollMs });
const consumerSettings = defined({
  maxBatchSize: knobs.consumerBatch,
  partitionsConsumedConcurrently: knobs.concurrency,
  consumer: knobs.maxWaitMs !== undefined ? { maxWaitTimeInMs: knobs.maxWaitMs } : undefined,
});
// Step deadlines far beyond any run, so that the timeouts are stored and polled as in production but never fire.
const TIMINGS = { stepTimeoutMs: 600_000 };

// ---- the domain of the saga tests, transpiled onto the built runtime -------------------------

const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-bench-saga-'));
async function loadDomain() {
  const source = readFileSync(path.join(root, 'test/saga/domain.ts'), 'utf8');
  const rewritten = source.replaceAll("'../../generator/runtime/index.js'", JSON.stringify(runtimeUrl));
  if (rewritten === source) throw new Error('bench: test/saga/domain.ts no longer imports ../../generator/runtime/index.js');
  const js = ts.transpileModule(rewritten, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: 'domain.ts' }).outputText;
  const file = path.join(work, 'domain.mjs');
  writeFileSync(file, js);
  return import(pathToFileURL(file).href);
}
const domain = await loadDomain();
const { T } = domain;

// ---- measuring ----------------------------------------------------------------------------

/** Every statement any pg client of this process sends (the pool's, the relay's listener). */
let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  queries++;
  return query.apply(this, args);
};

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sorted = (values) => [...values].sort((a, b) => a - b);
/** Nearest-rank percentile. */
const pct = (values, p) => {
  const s = sorted(values);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function until(what, condition, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    await sleep(2);
  }
}

/** CPU ms of a process (and of its reaped children) from /proc; undefined if unreadable. */
const CLK_TCK = 100;
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), self: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK, children: ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** CPU ms so far of this process, of the PostgreSQL server (postmaster and backends) and of the broker's JVM. */
function cpuSnapshot(cluster, broker) {
  const node = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  let postgres;
  const pidFile = cluster.baseDir ? path.join(cluster.baseDir, 'data', 'postmaster.pid') : undefined;
  if (pidFile && existsSync(pidFile)) {
    const master = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const m = procStat(master);
    if (m) {
      postgres = m.self + m.children;
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const s = procStat(entry);
        if (s?.ppid === master) postgres += s.self;
      }
    }
  }
  const k = broker.pid ? procStat(broker.pid) : undefined;
  return { node, postgres, kafka: k ? k.self + k.children : undefined };
}

/** Machine-wide CPU jiffies, all and idle (iowait counted as idle), from /proc/stat. */
function machineCpu() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { all: f.reduce((a, b) => a + b, 0), idle: (f[3] ?? 0) + (f[4] ?? 0) };
  } catch {
    return undefined;
  }
}

const cpuDelta = (a, b) => ({
  node: b.node - a.node,
  postgres: a.postgres !== undefined && b.postgres !== undefined ? b.postgres - a.postgres : undefined,
  kafka: a.kafka !== undefined && b.kafka !== undefined ? b.kafka - a.kafka : undefined,
});

// ---- topics -------------------------------------------------------------------------------

/** One topic at a time, each retried (see test/saga/world.ts: the broker's metadata lags a burst of creations). */
async function createTopics(kafka, names, numPartitions = 3) {
  for (const topic of names) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafka, [{ topic, numPartitions }]);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(100 * attempt);
      }
    }
  }
}

// ---- the pipeline -------------------------------------------------------------------------

/** A publisher that notes when each batch went to the broker (the relay sends one batch at a time). */
class TimedPublisher extends KafkaPublisher {
  lastSend = 0;
  async send(messages) {
    this.lastSend = now();
    return super.send(messages);
  }
}

/**
 * Timestamps of one saga at a time (latency part): by CloudEvents type, when the relay sent and
 * the broker acknowledged its outbox row, when a consumer's handler got it; by topic, when the
 * consumer transaction that applied it committed.
 */
class Trace {
  sent = new Map();
  acked = new Map();
  handled = new Map();
  committed = new Map();
  reset() {
    for (const m of [this.sent, this.acked, this.handled, this.committed]) m.clear();
  }
}

async function startPipeline(kafka, pool, url, topics, consumerSettings) {
  const errors = [];
  const onError = (what) => (err) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const publisher = new TimedPublisher({ kafka });
  await publisher.connect();
  const repos = domain.shopRepositories(pool, topics);
  const engine = new SagaEngine(domain.placeOrderSaga(topics, TIMINGS));
  const counts = { confirmed: 0, completed: 0 };
  let trace;
  const completedAt = new Map();

  const commandHandlers = domain.commandHandlers(repos);
  const services = new KafkaConsumerRunner({
    kafka,
    pool,
    publisher,
    groupId: `services-${topics.orders}`,
    topics: domain.commandTopicsOf(topics),
    handlers: Object.fromEntries(
      Object.entries(commandHandlers).map(([type, handle]) => [
        type,
        async (command, context) => {
          if (trace) trace.handled.set(type, now());
          await handle(command, context);
        },
      ]),
    ),
    decoding: domain.decoding,
    afterCommit: ({ topic, applied }) => {
      if (trace) trace.committed.set(topic, now());
      if (topic === topics.ordersCommands) counts.confirmed += applied;
    },
    onError: onError('services'),
    ...consumerSettings,
  });

  const sagaHandler = engine.handler();
  const orchestrator = new KafkaConsumerRunner({
    kafka,
    pool,
    publisher,
    groupId: `orchestrator-${topics.orders}`,
    topics: domain.eventTopicsOf(topics),
    handlers: Object.fromEntries(
      [...engine.eventTypes].map((type) => [
        type,
        async (event, context) => {
          if (trace) trace.handled.set(type, now());
          await sagaHandler(event, context);
          if (type === T.shipmentArranged) completedAt.set(event.correlationid, now());
        },
      ]),
    ),
    decoding: domain.decoding,
    afterCommit: ({ topic, applied }) => {
      if (trace) trace.committed.set(topic, now());
      if (topic === topics.shipping) counts.completed += applied;
    },
    onError: onError('orchestrator'),
    ...consumerSettings,
  });

  const relay = new OutboxRelay({
    pool,
    publisher,
    ...relaySettings,
    ...(knobs.listen
      ? {
          listen: async () => {
            const client = new pg.Client({ connectionString: url });
            await client.connect();
            return client;
          },
        }
      : {}),
    afterPublish: (records) => {
      if (!trace) return;
      const t = now();
      for (const r of records) {
        trace.sent.set(r.type, publisher.lastSend);
        trace.acked.set(r.type, t);
      }
    },
    onError: onError('relay'),
  });
  const poller = new SagaTimeoutPoller({ pool, engines: [engine], onError: onError('poller') });

  // Time spent inside the relay's steps and the consumers' transactions (runOnce, applyChunk: the
  // runtime's own methods, wrapped on these instances only), to tell a busy stage from a waiting one.
  const busy = { relay: 0, relaySteps: 0, services: 0, orchestrator: 0 };
  const timed = (object, method, key, count) => {
    const original = object[method].bind(object);
    object[method] = async (...args) => {
      const t = now();
      try {
        return await original(...args);
      } finally {
        busy[key] += now() - t;
        if (count) busy[count]++;
      }
    };
  };
  timed(relay, 'runOnce', 'relay', 'relaySteps');
  timed(services, 'applyChunk', 'services');
  timed(orchestrator, 'applyChunk', 'orchestrator');

  await services.start();
  await orchestrator.start();
  relay.start();
  poller.start();
  return {
    repos,
    engine,
    counts,
    busy,
    completedAt,
    errors,
    services,
    orchestrator,
    relay,
    poller,
    publisher,
    setTrace: (t) => void (trace = t),
    async stop() {
      await poller.stop();
      await relay.stop();
      await orchestrator.stop();
      await services.stop();
      await publisher.disconnect();
    },
  };
}

const throwErrors = (p) => {
  if (p.errors.length > 0) throw new Error(`bench: pipeline errors: ${p.errors.slice(0, 5).join(' | ')}`);
};

/** Every saga completed, each command sent once, each aggregate with exactly its events. */
async function verify(pool, p, ids) {
  const statuses = (await pool.query('SELECT status, count(*)::int AS n FROM eventsmith_saga_state WHERE saga_id = ANY($1::text[]) GROUP BY 1', [ids])).rows;
  const commands = (await pool.query(`SELECT count(*)::int AS n FROM eventsmith_outbox WHERE type LIKE '%.command.%' AND headers->>'correlationid' = ANY($1::text[])`, [ids])).rows[0].n;
  const events = (await pool.query('SELECT count(*)::int AS n FROM eventsmith_events WHERE stream_id = ANY($1::text[])', [ids])).rows[0].n;
  const completed = statuses.find((s) => s.status === 'completed')?.n ?? 0;
  if (completed !== ids.length || commands !== 4 * ids.length || events !== 5 * ids.length) {
    throw new Error(`bench: ${ids.length} sagas: ${JSON.stringify(statuses)}, ${commands} command rows (expected ${4 * ids.length}), ${events} events (expected ${5 * ids.length})`);
  }
  throwErrors(p);
}

// ---- 1. throughput ------------------------------------------------------------------------

async function throughput(p, pool, n, cluster, broker) {
  const ids = Array.from({ length: n }, () => randomUUID());
  const placedAt = new Map();
  const before = { ...p.counts };
  const metricsBefore = { relay: p.relay.metrics(), services: p.services.metrics(), orchestrator: p.orchestrator.metrics(), engine: p.engine.metrics() };
  const busyBefore = { ...p.busy };
  const queriesBefore = queries;
  const cpu0 = cpuSnapshot(cluster, broker);
  const machine0 = machineCpu();
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = next++; i < n; i = next++) {
        await domain.placeOrder(p.repos, ids[i], 'ok');
        placedAt.set(ids[i], now());
      }
    }),
  );
  const placedMs = now() - t0;
  const placingQueries = queries - queriesBefore;
  await until(`${n} sagas completed`, () => p.counts.completed - before.completed >= n || p.errors.length > 0, 150_000);
  const completedMs = now() - t0;
  await until(`${n} ConfirmOrder applied`, () => p.counts.confirmed - before.confirmed >= n || p.errors.length > 0, 60_000);
  const settledMs = now() - t0;
  const statements = queries - queriesBefore;
  const cpu = cpuDelta(cpu0, cpuSnapshot(cluster, broker));
  const machine1 = machineCpu();
  const idle = machine0 && machine1 ? (machine1.idle - machine0.idle) / (machine1.all - machine0.all) : undefined;
  await verify(pool, p, ids);
  const latencies = ids.map((id) => p.completedAt.get(id) - placedAt.get(id));
  const m = { relay: p.relay.metrics(), services: p.services.metrics(), orchestrator: p.orchestrator.metrics(), engine: p.engine.metrics() };
  const engine = m.engine;
  if (engine.resends !== metricsBefore.engine.resends || engine.stepsTimedOut !== metricsBefore.engine.stepsTimedOut) throw new Error('bench: a deadline fired');
  const busy = Object.fromEntries(Object.keys(busyBefore).map((k) => [k, p.busy[k] - busyBefore[k]]));
  return {
    n,
    busy,
    idle,
    statements,
    placingQueries,
    placedMs,
    completedMs,
    settledMs,
    perSec: (n / settledMs) * 1000,
    latency: { p50: pct(latencies, 50), p95: pct(latencies, 95) },
    cpu,
    relayBatches: m.relay.batches - metricsBefore.relay.batches,
    relayRows: m.relay.published - metricsBefore.relay.published,
    servicesTx: m.services.transactions - metricsBefore.services.transactions,
    servicesApplied: m.services.applied - metricsBefore.services.applied,
    orchestratorTx: m.orchestrator.transactions - metricsBefore.orchestrator.transactions,
    orchestratorApplied: m.orchestrator.applied - metricsBefore.orchestrator.applied,
    conflicts: engine.conflicts - metricsBefore.engine.conflicts,
  };
}

// ---- 2. latency ---------------------------------------------------------------------------

/** The raw KafkaJS round trip: one message produced (as the relay's publisher does: idempotent, acks -1) and consumed. */
async function rawRoundTrip(kafka, topic) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: knobs.maxWaitMs ?? 100, allowAutoTopicCreation: false });
  let waiting;
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const w = waiting;
      if (w && message.key.toString() === w.key) {
        waiting = undefined;
        w.resolve(now());
      }
    },
  });
  // A payload and headers of a command's size.
  const value = Buffer.alloc(60, 7);
  const headers = { ce_specversion: '1.0', ce_id: randomUUID(), ce_source: domain.SOURCE, ce_type: T.reserveStock, ce_subject: randomUUID(), ce_correlationid: randomUUID() };
  const once = async (timeoutMs) => {
    const key = randomUUID();
    const received = new Promise((resolve) => (waiting = { key, resolve }));
    const t0 = now();
    await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
    const t1 = await Promise.race([received, sleep(timeoutMs).then(() => undefined)]);
    waiting = undefined;
    return t1 === undefined ? undefined : t1 - t0;
  };
  // Until the group has its partitions and reads from their ends.
  const deadline = Date.now() + 60_000;
  while ((await once(1000)) === undefined) if (Date.now() > deadline) throw new Error('bench: the raw consumer never received');
  for (let i = 0; i < 20; i++) await once(5000);
  return {
    async sample() {
      const ms = await once(10_000);
      if (ms === undefined) throw new Error('bench: a raw round trip got lost');
      return ms;
    },
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function latency(p, kafka, pool, rawTopic, topics) {
  const raw = await rawRoundTrip(kafka, rawTopic);
  const trace = new Trace();
  const rtt = [];
  const steps = [];
  const perStep = [];
  const endToEnd = [];
  const parts = { relayWake: [], relayProduce: [], toServices: [], decide: [], relayWake2: [], relayProduce2: [], toOrchestrator: [], transition: [] };
  const stepsOf = [
    { command: T.reserveStock, commandTopic: topics.inventoryCommands, answer: T.stockReserved, from: topics.orders, to: topics.inventory },
    { command: T.capturePayment, commandTopic: topics.paymentsCommands, answer: T.paymentCaptured, from: topics.inventory, to: topics.payments },
    { command: T.arrangeShipment, commandTopic: topics.shippingCommands, answer: T.shipmentArranged, from: topics.payments, to: topics.shipping },
  ];
  const ids = [];
  const untraced = [];
  const statements = [];
  const select1 = [];
  try {
    for (let i = 0; i < SEQUENTIAL; i++) {
      for (let r = 0; r < RAW_PER_SAGA; r++) {
        rtt.push(await raw.sample());
        const t = now();
        await pool.query('SELECT 1');
        select1.push(now() - t);
      }
      const id = randomUUID();
      ids.push(id);
      trace.reset();
      p.setTrace(trace);
      const confirmed = p.counts.confirmed;
      const q0 = queries;
      const t0 = now();
      await domain.placeOrder(p.repos, id, 'ok');
      await until(`saga ${id}`, () => p.counts.confirmed > confirmed || p.errors.length > 0, 30_000);
      const tEnd = now();
      statements.push(queries - q0);
      // Its last event (OrderConfirmed, which no saga reads) out of the way before the next saga.
      await until(`OrderConfirmed of ${id}`, () => trace.acked.has(T.orderConfirmed) || p.errors.length > 0, 30_000);
      await sleep(20);
      p.setTrace(undefined);
      throwErrors(p);
      const c = trace.committed;
      const completed = c.get(topics.shipping);
      const missing = [
        ...[topics.orders, topics.inventory, topics.payments, topics.shipping, ...stepsOf.map((s) => s.commandTopic)].filter((t) => !c.has(t)),
        ...stepsOf.flatMap((s) => [s.command, s.answer]).filter((t) => !trace.sent.has(t) || !trace.acked.has(t) || !trace.handled.has(t)),
      ];
      if (missing.length > 0) {
        // Not seen in practice since the wait for OrderConfirmed above; counted rather than fatal.
        untraced.push(`${id}: ${missing.join(', ')}`);
        continue;
      }
      endToEnd.push(tEnd - t0);
      perStep.push((completed - t0) / stepsOf.length);
      for (const s of stepsOf) {
        const begin = c.get(s.from);
        const end = c.get(s.to);
        steps.push(end - begin);
        parts.relayWake.push(trace.sent.get(s.command) - begin);
        parts.relayProduce.push(trace.acked.get(s.command) - trace.sent.get(s.command));
        parts.toServices.push(trace.handled.get(s.command) - trace.acked.get(s.command));
        parts.decide.push(c.get(s.commandTopic) - trace.handled.get(s.command));
        parts.relayWake2.push(trace.sent.get(s.answer) - c.get(s.commandTopic));
        parts.relayProduce2.push(trace.acked.get(s.answer) - trace.sent.get(s.answer));
        parts.toOrchestrator.push(trace.handled.get(s.answer) - trace.acked.get(s.answer));
        parts.transition.push(end - trace.handled.get(s.answer));
      }
    }
  } finally {
    p.setTrace(undefined);
    await raw.stop();
  }
  await verify(pool, p, ids);
  return { rtt, steps, perStep, endToEnd, parts, untraced, statements, select1 };
}

// ---- the throughput baseline: the same hops over raw KafkaJS -----------------------------

const HOPS = 8; // a saga's broker hops: OrderPlaced, 3 × (command, event), ConfirmOrder

/**
 * Chains of HOPS produce → consume hops through one topic with raw KafkaJS and nothing else: a
 * consumer (the runner's maxWaitTimeInMs and partition concurrency) that sends, per batch, the
 * next hop of each message in one send (idempotent, acks -1); the first hops go out in sends of
 * 500. What the broker and KafkaJS alone allow for the saga's message flow, in this process.
 */
async function rawChains(kafka, topic) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-chain-${randomUUID()}`, maxWaitTimeInMs: knobs.maxWaitMs ?? 100, allowAutoTopicCreation: false });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  const headers = { ce_specversion: '1.0', ce_id: randomUUID(), ce_source: domain.SOURCE, ce_type: T.reserveStock, ce_subject: randomUUID(), ce_correlationid: randomUUID() };
  let done = 0;
  await consumer.run({
    partitionsConsumedConcurrently: knobs.concurrency ?? 4,
    eachBatch: async ({ batch }) => {
      const next = [];
      for (const m of batch.messages) {
        if (m.value[0] >= HOPS) done++;
        else {
          const value = Buffer.from(m.value);
          value[0]++;
          next.push({ key: m.key, value, headers });
        }
      }
      if (next.length > 0) await producer.send({ topic, acks: -1, messages: next });
    },
  });
  const start = (keys) => {
    const value = Buffer.alloc(60, 7);
    value[0] = 1;
    return producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value, headers })) });
  };
  const run = async (n) => {
    const from = done;
    const t0 = now();
    // All first hops in sends of 500: the chains' rate is that of the hops, not of single sends
    // (the idempotent producer has one request in flight).
    for (let i = 0; i < n; i += 500) await start(Array.from({ length: Math.min(500, n - i) }, () => randomUUID()));
    await until(`${n} raw chains`, () => done - from >= n, 120_000);
    return { n, ms: now() - t0, perSec: (n / (now() - t0)) * 1000 };
  };
  // Until the group reads from the ends of its partitions, then a warm-up.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const from = done;
    await start([randomUUID()]);
    const t = Date.now();
    while (done === from && Date.now() - t < 2000) await sleep(5);
    if (done > from) break;
    if (Date.now() > deadline) throw new Error('bench: the raw chain consumer never received');
  }
  await run(100);
  return {
    run,
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

// ---- main ---------------------------------------------------------------------------------

const started = now();
const loadBefore = load();
const [broker, cluster] = await Promise.all([startKafka(BENCH_BROKER), startPostgres({ durable, tmpDir: os.tmpdir() })]);
const kafka = new Kafka({ clientId: 'eventsmith-bench-saga', brokers: broker.brokers, logLevel: logLevel.NOTHING });
const pool = new pg.Pool({ connectionString: cluster.url, max: 30 });
let pipeline;
/** New topics, the pipeline on them with `settings` for its consumers, warmed up (the groups have joined, the code is hot). */
async function freshPipeline(settings, extraTopics = []) {
  const topics = domain.shopTopics(`bench-saga-${randomUUID().slice(0, 8)}`);
  const names = [...domain.eventTopicsOf(topics), ...domain.commandTopicsOf(topics)];
  await createTopics(kafka, [...names, ...names.map((t) => `${t}.dlq`), ...extraTopics]);
  pipeline = await startPipeline(kafka, pool, cluster.url, topics, settings);
  const warm = Array.from({ length: 50 }, () => randomUUID());
  await Promise.all(warm.map((id) => domain.placeOrder(pipeline.repos, id, 'ok')));
  await until('the warm-up sagas', () => pipeline.counts.confirmed >= warm.length || pipeline.errors.length > 0, 120_000);
  await verify(pool, pipeline, warm);
  return { pipeline, topics };
}

try {
  await migrate(pool);
  const settings = (await pool.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version') ORDER BY name`)).rows;
  const rawTopic = `bench-saga-raw-${randomUUID().slice(0, 8)}`;
  const chainTopic = `bench-saga-chain-${randomUUID().slice(0, 8)}`;
  const { topics } = await freshPipeline(consumerSettings, [rawTopic, chainTopic]);
  const setupMs = now() - started;

  const lat = await latency(pipeline, kafka, pool, rawTopic, topics);
  const runs = [];
  const chains = await rawChains(kafka, chainTopic);
  const raw = new Map();
  try {
    for (const n of LOADS) {
      // Side by side: the raw chains of this load just before the sagas.
      raw.set(n, await chains.run(n));
      runs.push({ label: `${consumerSettings.partitionsConsumedConcurrently ?? 4} (default)`, ...(await throughput(pipeline, pool, n, cluster, broker)) });
    }
  } finally {
    await chains.stop();
  }

  // The knob that moves throughput: partitions consumed at once (each partition batch is one
  // transaction whose handlers run one after another), here all 12 of each group.
  if (COMPARE_CONCURRENCY > 0) {
    await pipeline.stop();
    pipeline = undefined;
    const n = LOADS[LOADS.length - 1];
    await freshPipeline({ ...consumerSettings, partitionsConsumedConcurrently: COMPARE_CONCURRENCY });
    runs.push({ label: `${COMPARE_CONCURRENCY}`, ...(await throughput(pipeline, pool, n, cluster, broker)) });
  }

  // ---- report ----
  console.log(
    `node ${process.version}; ${new Date().toISOString()}; ${os.cpus().length} CPUs; Kafka ${broker.external ? '(KAFKA_BROKERS)' : broker.version}; ` +
      `PostgreSQL ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}${cluster.external ? ' (DATABASE_URL)' : ''}`,
  );
  console.log(`load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}; servers and pipeline started in ${fmt(setupMs / 1000, 1)} s`);
  console.log(
    `knobs: relay ${JSON.stringify({ batchSize: 1000, idlePollMs: 1000, ...relaySettings, listen: knobs.listen })}; consumers ${JSON.stringify({ maxWaitTimeInMs: 100, maxBatchSize: 500, partitionsConsumedConcurrently: 4, ...defined({ maxWaitTimeInMs: knobs.maxWaitMs, maxBatchSize: knobs.consumerBatch, partitionsConsumedConcurrently: knobs.concurrency }) })}`,
  );

  const rttP50 = pct(lat.rtt, 50);
  const rttP95 = pct(lat.rtt, 95);
  console.log('');
  console.log(`Latency: ${SEQUENTIAL} sagas one at a time, ${RAW_PER_SAGA} raw round trips before each`);
  console.log('| path | samples | p50 ms | p95 ms | mean ms | p50 × raw round trip | p95 × raw round trip |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const row = (name, values) =>
    console.log(`| ${name} | ${values.length} | ${pct(values, 50).toFixed(2)} | ${pct(values, 95).toFixed(2)} | ${mean(values).toFixed(2)} | ${(pct(values, 50) / rttP50).toFixed(1)} | ${(pct(values, 95) / rttP95).toFixed(1)} |`);
  row('baseline: raw KafkaJS produce → consume round trip', lat.rtt);
  row('saga step: orchestrator commit → orchestrator commit (2 broker hops)', lat.steps);
  row('saga step, total / steps: append OrderPlaced → completed, ÷ 3', lat.perStep);
  row('whole saga: append OrderPlaced → ConfirmOrder applied (8 broker hops)', lat.endToEnd);
  if (lat.untraced.length > 0) console.log(`sagas left out of the step figures (a hook saw no part of them): ${lat.untraced.join('; ')}`);
  console.log(
    `added latency per step over its 2 raw round trips: p50 ${(pct(lat.steps, 50) - 2 * rttP50).toFixed(2)} ms, p95 ${(pct(lat.steps, 95) - 2 * rttP95).toFixed(2)} ms; ` +
      `per broker hop: ${(pct(lat.steps, 50) / 2 / rttP50).toFixed(1)} × the raw round trip (p50)`,
  );
  console.log(
    `SQL statements per saga (median, all clients, placing included): ${pct(lat.statements, 50)}; ` +
      `SELECT 1 round trip on the pool, side by side: p50 ${pct(lat.select1, 50).toFixed(2)} ms, p95 ${pct(lat.select1, 95).toFixed(2)} ms`,
  );
  console.log('');
  console.log('Where a step goes (medians of each part over all steps; the parts add up to the step):');
  console.log('| part | p50 ms | p95 ms | share of the summed medians |');
  console.log('|---|---:|---:|---:|');
  const partNames = {
    relayWake: 'orchestrator COMMIT → relay has read the command (NOTIFY wake-up, relay BEGIN, lock, cursor, readOutbox)',
    relayProduce: 'relay send → broker ack (command)',
    toServices: 'broker ack → command handler called (fetch, decode, BEGIN, claim)',
    decide: 'command handler: load aggregate, decide, append, COMMIT',
    relayWake2: 'command COMMIT → relay has read the event',
    relayProduce2: 'relay send → broker ack (event)',
    toOrchestrator: 'broker ack → saga handler called',
    transition: 'saga handler: load saga, decide, write transition + outbox, COMMIT',
  };
  const medianSum = Object.values(lat.parts).reduce((n, v) => n + pct(v, 50), 0);
  for (const [key, name] of Object.entries(partNames)) {
    const v = lat.parts[key];
    console.log(`| ${name} | ${pct(v, 50).toFixed(2)} | ${pct(v, 95).toFixed(2)} | ${((pct(v, 50) / medianSum) * 100).toFixed(0)}% |`);
  }

  console.log('');
  console.log(`Throughput: N sagas at once (all happy path), placed by ${WRITERS} writers while the pipeline runs; clock from the first append to the last ConfirmOrder applied`);
  console.log(
    '| sagas | partitions consumed at once | placed in ms | all completed ms | all ConfirmOrder applied ms | sagas/s | steps/s | saga latency p50 / p95 ms | CPU ms per saga: node / postgres / kafka | their CPU (of all cores) | machine idle | relay rows per batch | commands per consumer tx | events per orchestrator tx |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cores = os.cpus().length;
  const rawRows = [...raw.values()];
  for (const r of runs) {
    const perSaga = (v) => (v === undefined ? '–' : (v / r.n).toFixed(2));
    const busy = r.cpu.node + (r.cpu.postgres ?? 0) + (r.cpu.kafka ?? 0);
    console.log(
      `| ${fmt(r.n)} | ${r.label} | ${fmt(r.placedMs)} | ${fmt(r.completedMs)} | ${fmt(r.settledMs)} | ${fmt(r.perSec)} | ${fmt(r.perSec * 3)} | ${fmt(r.latency.p50)} / ${fmt(r.latency.p95)} | ` +
        `${perSaga(r.cpu.node)} / ${perSaga(r.cpu.postgres)} / ${perSaga(r.cpu.kafka)} | ${((busy / r.settledMs / cores) * 100).toFixed(0)}% | ${r.idle === undefined ? '–' : `${(r.idle * 100).toFixed(0)}%`} | ` +
        `${(r.relayRows / r.relayBatches).toFixed(1)} | ${(r.servicesApplied / r.servicesTx).toFixed(1)} | ${(r.orchestratorApplied / r.orchestratorTx).toFixed(1)} |`,
    );
  }
  for (const r of runs) {
    const share = (ms) => `${((ms / r.settledMs) * 100).toFixed(0)}%`;
    console.log(
      `N=${r.n}, ${r.label} at once: ${(r.statements / r.n).toFixed(1)} SQL statements per saga; relay ${r.relayBatches} batches in ${r.busy.relaySteps} steps, busy ${share(r.busy.relay)} of the time (${(r.busy.relay / r.busy.relaySteps).toFixed(1)} ms a step); ` +
        `command consumer ${r.servicesTx} transactions, in one ${share(r.busy.services)} of the time; orchestrator ${r.orchestratorTx} transactions, in one ${share(r.busy.orchestrator)} of the time; saga write conflicts ${r.conflicts}`,
    );
  }
  console.log(`saga latency: from the append of OrderPlaced to the orchestrator's completing transition`);
  console.log('');
  console.log(`Throughput baseline: N chains of ${HOPS} raw KafkaJS produce → consume hops (a saga's broker hops), side by side with the sagas of the default rows`);
  console.log('| at once | raw chains/s | ms | sagas/s (default consumers) | sagas/s ÷ raw chains/s |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const c of rawRows) {
    const r = runs.find((x) => x.n === c.n);
    console.log(`| ${fmt(c.n)} | ${fmt(c.perSec)} | ${fmt(c.ms)} | ${fmt(r.perSec)} | ${(r.perSec / c.perSec).toFixed(3)} |`);
  }
  console.log('');
  console.log(`total ${fmt((now() - started) / 1000, 1)} s`);
} finally {
  await pipeline?.stop().catch((e) => process.stderr.write(`stopping the pipeline: ${e}\n`));
  await pool.end();
  await Promise.all([broker.stop(), cluster.stop()]);
  rmSync(work, { recursive: true, force: true });
}
