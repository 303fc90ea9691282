// What tracing costs the outbox relay and the consumer runner (built: dist/), on a throwaway
// PostgreSQL and Kafka (generator/dev/), in several modes in the same run:
//
//   off    @opentelemetry/api not installed (a loader hook hides it: bench/hide-otel-api.mjs),
//          so the runtime's telemetry helpers return at once;
//   noop   the API installed, no SDK registered: the API's no-op tracer and meter answer;
//   sdk    the SDK registered as a service would: NodeTracerProvider with a BatchSpanProcessor
//          (exporter: counts and drops the spans, so no network is timed), and a MeterProvider
//          whose reader collects every second (the relay's and consumer's gauges query
//          PostgreSQL then);
//   context (with --modes off,noop,context,sdk) only the SDK's AsyncLocalStorage context manager,
//          no providers, a context entered once (see register): what Node's async context
//          tracking costs by itself, which every instrumented service pays whatever the
//          libraries it traces;
//   traces, metrics (diagnostic) the sdk mode's tracer provider alone, its meter provider alone.
//
// Each measurement is a child process of its own (a registered SDK cannot be unregistered), on a
// schema and topic of its own: it appends N events through a repository (so in `sdk` mode each
// outbox row carries the traceparent of its append's span, as in production), then times
//   relay     OutboxRelay draining the N rows into Kafka (rows/s);
//   consumer  KafkaConsumerRunner applying them, one projection row per event in the claim's
//             transaction, from its first committed transaction until all are applied
//             (events/s); `--passes` times (default 3), each by a new consumer group over the
//             same topic in the same process, so later passes run warm; the median pass counts.
// and the CPU time of the worker process per row / event (process.cpuUsage): the tracing work is
// done there, and CPU time is far less disturbed than wall time by other load on the machine
// (the broker's and PostgreSQL's CPU are not counted).
// Before each timed phase the worker collects garbage and, with the SDK, exports the spans
// recorded so far (the appends'), so that a phase pays for its own work only.
// Rounds rotate the order of the modes (interleaved, so a change of load on the machine spreads
// over all of them); ratios are medians of each round's ratio to `off`, printed with their
// interquartile range and range, and the CPU over `off` as the median of per-round differences.
// Last, per mode, the instrumentation alone in a loop without I/O, and the SDK's own floor: what
// one span costs it with no eventsmith code (runMicro).
//
// Usage: npm run bench:telemetry [-- --runs 3] [-- --events 10000] [-- --passes 3] [-- --modes off,noop,context,sdk]
// KAFKA_BROKERS and DATABASE_URL, if set, are used instead of throwaway servers.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { BENCH_BROKER, median, runsFromArgv } from './timing.mjs';

v8.setFlagsFromString('--expose-gc');
/** A full collection before each timed phase: the garbage of the untimed appends (or of the pass before) is not charged to it. */
const gc = vm.runInNewContext('gc');

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODES = (process.argv.includes('--modes') ? process.argv[process.argv.indexOf('--modes') + 1] : 'off,noop,sdk').split(',');
if (MODES[0] !== 'off') throw new Error('bench: --modes must start with off (the baseline)');

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** CPU time of this process (user + system), µs: the tracing work is here, not in the broker or the database. */
function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// ---- the parent: servers, rounds, figures ----------------------------------------------------

async function parent() {
  const runs = runsFromArgv(process.argv, 3);
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const events = Number(argValue('--events', '10000'));
  const { startKafka } = await import('../generator/dev/kafka.mjs');
  const { startPostgres } = await import('../generator/dev/postgres.mjs');
  const [pgCluster, broker] = await Promise.all([startPostgres(), startKafka(BENCH_BROKER)]);
  const results = Object.fromEntries(MODES.map((m) => [m, []]));
  try {
    for (let round = 0; round < runs; round++) {
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
      for (const mode of order) {
        const load = os.loadavg()[0];
        const r = await worker(mode, events, pgCluster.url, broker.brokers.join(','), ['--passes', argValue('--passes', '3')]);
        results[mode].push(r);
        process.stderr.write(
          `round ${round + 1} ${mode} (load ${load.toFixed(1)}): relay ${Math.round(r.relay)} rows/s ${r.relayCpu.toFixed(1)} µs CPU/row, consumer ${Math.round(r.consumer)} events/s ${r.consumerCpu.toFixed(1)} µs CPU/event, ${r.spans} spans\n`,
        );
      }
    }
  } finally {
    await broker.stop();
    await pgCluster.stop();
  }
  const micro = [];
  for (const mode of MODES) micro.push(await worker(mode, events, '', '', ['--micro']));
  // Each round's ratio to that round's `off`: the median, and the range, so the noise shows.
  const ratios = (mode, part) => results[mode].map((r, i) => r[part] / results.off[i][part]);
  const pct = (r) => `${r >= 1 ? '+' : '−'}${Math.abs((r - 1) * 100).toFixed(1)}%`;
  // The middle half of the per-round ratios: one disturbed round moves the range, not this.
  const quartiles = (values) => {
    const s = [...values].sort((a, b) => a - b);
    return [s[Math.floor((s.length - 1) / 4)], s[Math.ceil(((s.length - 1) * 3) / 4)]];
  };
  const rows = MODES.map((mode) => {
    const rs = results[mode];
    const cell = (part, digits) => {
      const value = median(rs.map((r) => r[part])).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
      if (mode === 'off') return value;
      const each = ratios(mode, part);
      const [q1, q3] = quartiles(each);
      return `${value} (${pct(median(each))}; IQR ${pct(q1)}…${pct(q3)}; range ${pct(Math.min(...each))}…${pct(Math.max(...each))})`;
    };
    return `| ${mode} | ${cell('relay', 0)} | ${cell('relayCpu', 1)} | ${cell('consumer', 0)} | ${cell('consumerCpu', 1)} | ${median(rs.map((r) => r.spans)).toLocaleString('en-US')} |`;
  });
  const deltas = MODES.filter((m) => m !== 'off').map((mode) => {
    const d = (part) => median(results[mode].map((r, i) => r[part] - results.off[i][part])).toFixed(1);
    return `${mode}: relay ${d('relayCpu')} µs CPU/row, consumer ${d('consumerCpu')} µs CPU/event`;
  });
  process.stdout.write(
    `telemetry: ${events.toLocaleString('en-US')} events, ${runs} rounds, ${argValue('--passes', '3')} consumer passes; load average before ${loadBefore}, after ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n` +
      `medians; change against off: the median of the per-round ratios, then their interquartile range and range\n` +
      `| tracing | relay rows/s | relay µs CPU/row | consumer events/s | consumer µs CPU/event | spans exported |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n` +
      `CPU over off (median of the per-round differences): ${deltas.join('; ')}\n` +
      `\nthe instrumentation alone, µs CPU (no I/O; includes the loop's own await)\n` +
      `| tracing | per message: a span each (before) | per message: batch span of 500 (now) | per relay batch of 1,000 rows | SDK floor: bare span | SDK floor: span with process attributes and parent | histogram record | context.with (awaited) |\n|---|---|---|---|---|---|---|---|\n` +
      micro
        .map(
          (m) =>
            `| ${m.mode} | ${m.spanPerMessage.toFixed(2)} | ${m.batchPerMessage.toFixed(2)} | ${m.relayBatch.toFixed(1)} | ${m.bareSpan?.toFixed(2) ?? '—'} | ${m.attributedSpan?.toFixed(2) ?? '—'} | ${m.histogramRecord.toFixed(2)} | ${m.contextWith?.toFixed(2) ?? '—'} |`,
        )
        .join('\n') +
      '\n',
  );
}

function worker(mode, events, databaseUrl, brokers, extra = []) {
  const args = [...(mode === 'off' ? ['--import', pathToFileURL(path.join(root, 'bench', 'hide-otel-api.mjs')).href] : []), fileURLToPath(import.meta.url), '--worker', mode, '--events', String(events), ...extra];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench: ${mode} worker exited ${code}: ${out}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

// ---- a worker: one mode, one schema, one topic ------------------------------------------------

/** Registers the SDK (sdk mode); returns the count of spans it exported. */
async function registerSdk({ traces = true, metrics: withMetrics = true } = {}) {
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
  const { metrics } = await import('@opentelemetry/api');
  let spans = 0;
  const spanExporter = { export: (batch, done) => ((spans += batch.length), done({ code: 0 })), shutdown: async () => {}, forceFlush: async () => {} };
  const tracer = traces ? new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter, { maxQueueSize: 65_536, maxExportBatchSize: 2_048 })] }) : undefined;
  tracer?.register();
  const metricExporter = { export: (_m, done) => done({ code: 0 }), forceFlush: async () => {}, shutdown: async () => {}, selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE };
  const meter = withMetrics ? new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1_000 })] }) : undefined;
  if (meter) metrics.setGlobalMeterProvider(meter);
  return {
    count: async () => {
      await tracer?.forceFlush();
      return spans;
    },
    /** Exports the spans recorded so far (the appends' before the relay is timed): each phase pays for its own. */
    flush: () => tracer?.forceFlush(),
    shutdown: () => Promise.all([tracer?.shutdown(), meter?.shutdown()]),
  };
}

/**
 * What each mode registers before the runtime's components exist; the SDK handle in `sdk` mode.
 * Modes with a context manager then enter a context once, as any instrumented request would:
 * Node 20's AsyncLocalStorage turns its async hooks on (for every promise of the process, from
 * then on) only at the first context entered, which would otherwise happen at a moment that
 * depends on the mode (the consumer's first handler, the span processor's first export).
 */
async function register(mode) {
  const sdk = mode === 'sdk' ? await registerSdk() : mode === 'traces' ? await registerSdk({ metrics: false }) : mode === 'metrics' ? await registerSdk({ traces: false }) : undefined;
  if (mode === 'context') {
    // Only what any instrumented Node service has: the AsyncLocalStorage context manager, no
    // tracer or meter provider (the runtime's spans are no-ops).
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { context } = await import('@opentelemetry/api');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  if (mode === 'context' || mode === 'sdk' || mode === 'traces') {
    const { context } = await import('@opentelemetry/api');
    context.with(context.active(), () => undefined);
  }
  return sdk;
}

async function runWorker(mode) {
  const events = Number(argValue('--events', '10000'));
  const sdk = await register(mode);
  const { default: pg } = await import('pg');
  const { default: kafkajs } = await import('kafkajs');
  const runtime = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);
  const otel = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/telemetry/otel.js')).href);
  if ((otel.otel === undefined) !== (mode === 'off')) throw new Error(`bench: mode ${mode} but the API is ${otel.otel ? 'loaded' : 'hidden'}`);
  const { KafkaConsumerRunner, KafkaPublisher, OutboxRelay, createCodec, createRepository, ensureTopics, migrate, silentLogger } = runtime;

  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${schema}`, max: 10 });
  await migrate(pool);
  await pool.query('CREATE TABLE projection (aggregate_id text NOT NULL, seq integer NOT NULL, event_id text NOT NULL)');
  const kafka = new kafkajs.Kafka({ clientId: `bench-telemetry-${mode}`, brokers: process.env.KAFKA_BROKERS.split(','), logLevel: kafkajs.logLevel.NOTHING });
  const topic = `bench-telemetry-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);

  const TYPE = 'com.example.counters.counter.incremented';
  const codec = createCodec({ type: 'record', name: 'Incremented', namespace: 'com.example.counters', fields: [{ name: 'seq', type: 'int' }, { name: 'note', type: 'string' }] });
  const repository = createRepository(pool, {
    streamType: 'Counter',
    topic,
    source: 'urn:example:bench',
    encoding: 'avro',
    streamId: (id) => id,
    codecs: { [TYPE]: { 1: codec } },
    upcast: (e) => ({ type: e.type, data: e.data }),
    initialState: 0,
    evolve: (n) => n + 1,
  });
  // N events over N/20 aggregates, 10 per append, 8 writers (untimed).
  const aggregates = Array.from({ length: Math.max(1, Math.round(events / 20)) }, () => randomUUID());
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < aggregates.length; i = next++) {
      for (let version = 0; version < 20; version += 10) {
        const batch = Array.from({ length: 10 }, (_, k) => ({ type: TYPE, data: { seq: version + k + 1, note: `note ${version + k + 1}` } }));
        await repository.append(aggregates[i], batch, version);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  const total = aggregates.length * 20;

  const until = async (condition, what) => {
    const deadline = Date.now() + 300_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  };

  // Relay: start to last row acknowledged and committed.
  const publisher = new KafkaPublisher({ kafka, logger: silentLogger });
  await publisher.connect();
  const relay = new OutboxRelay({ pool, publisher, batchSize: 1_000, logger: silentLogger });
  await sdk?.flush();
  gc();
  const r0 = performance.now();
  const rc0 = cpuMicros();
  relay.start();
  await until(() => relay.metrics().published >= total, 'the relay');
  const relayMs = performance.now() - r0;
  const relayCpu = (cpuMicros() - rc0) / total;
  await relay.stop();

  // Consumer: from its first committed transaction (the group has joined) until all are applied;
  // `--passes` times over the same topic, each by a new group (so each applies every event), in
  // the same process: later passes run warm, and the median pass is the figure.
  const passes = [];
  for (let pass = 0; pass < Number(argValue('--passes', '3')); pass++) {
    await pool.query('TRUNCATE projection');
    let first;
    const runner = new KafkaConsumerRunner({
      kafka,
      pool,
      groupId: `bench-${randomUUID()}`,
      topics: [topic],
      decoding: { codec: (type, version) => (type === TYPE && version === 1 ? codec : undefined), upcast: (_t, _v, data) => data, latestVersion: () => 1 },
      createDeadLetterTopics: false,
      publisher,
      logger: silentLogger,
      handlers: {
        [TYPE]: async (event, { tx }) => {
          await tx.query('INSERT INTO projection (aggregate_id, seq, event_id) VALUES ($1, $2, $3)', [event.subject, event.data.seq, event.id]);
        },
      },
      afterCommit: ({ applied }) => {
        first ??= { at: performance.now(), cpu: cpuMicros(), applied };
      },
    });
    await sdk?.flush();
    gc();
    await runner.start();
    await until(() => runner.metrics().applied >= total, 'the consumer');
    const consumerMs = performance.now() - first.at;
    const consumerCpu = (cpuMicros() - first.cpu) / (total - first.applied);
    passes.push({ consumer: ((total - first.applied) / consumerMs) * 1000, consumerCpu });
    await runner.stop();
  }
  await publisher.disconnect();
  const spans = sdk ? await sdk.count() : 0;
  await sdk?.shutdown();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
  process.stdout.write(
    `${JSON.stringify({ mode, relay: (total / relayMs) * 1000, relayCpu, consumer: median(passes.map((p) => p.consumer)), consumerCpu: median(passes.map((p) => p.consumerCpu)), spans })}\n`,
  );
}

// ---- the instrumentation alone ------------------------------------------------------------------

/**
 * The runtime's per-message instrumentation in a loop without I/O, apart from what the SDK does to
 * the rest of the process:
 *   spanPerMessage  a process span per message (the shape before batch spans: parent read from
 *                   the message, the process attributes, the handler run in the span, a duration
 *                   record per message), kept here as the reference;
 *   batchPerMessage what the consumer does now, per message of a transaction of 500: the
 *                   message's creation context parsed once, the handler run in it; plus, shared by
 *                   the 500, one process span linked to them and one duration record;
 *   relayBatch      the relay's send span of a batch of 1,000 rows, linked to their contexts;
 * and the SDK's own floor, with no eventsmith code: a bare span started and ended through the
 * BatchSpanProcessor, one with the process span's attributes and a remote parent, one duration
 * record with the process attributes, and one awaited context.with (AsyncLocalStorage.run).
 */
async function runMicro(mode) {
  const sdk = await register(mode);
  const dist = (rel) => import(pathToFileURL(path.join(root, 'dist/generator/runtime/telemetry', rel)).href);
  const { contextFromHeaders, contextOfSpanContext, otel, spanContextOfEvent, startSpan, traceHeadersOfEvent, withContext, withSpan } = await dist('otel.js');
  const { messagingAttributes } = await dist('conventions.js');
  const { DURATION_BUCKETS, Instruments } = await dist('metrics.js');
  const duration = new Instruments().histogram('messaging.process.duration', 'bench', 's', DURATION_BUCKETS);
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const event = { id: randomUUID(), type: 'com.example.counters.counter.incremented', partitionkey: 'k', traceparent };
  const where = { 'messaging.system': 'kafka', 'messaging.destination.name': 'topic', 'messaging.consumer.group.name': 'g', 'messaging.operation.name': 'process' };
  const handler = async () => {};
  const spanPerMessage = async (offset) => {
    const span = startSpan('process topic', {
      kind: 'consumer',
      parent: contextFromHeaders(traceHeadersOfEvent(event)),
      attributes: messagingAttributes('process', 'topic', { key: 'k', partition: 0, offset: String(offset), group: 'g', messageId: event.id, eventType: event.type }),
    });
    const started = performance.now();
    await withSpan(span, handler);
    duration.record((performance.now() - started) / 1000, where);
    span?.end();
  };
  const BATCH = 500;
  const events = Array.from({ length: BATCH }, () => ({ ...event, id: randomUUID() }));
  const batchPerMessage = async () => {
    const started = performance.now();
    const parents = events.map((e) => spanContextOfEvent(e));
    const span = startSpan('process topic', { kind: 'consumer', attributes: messagingAttributes('process', 'topic', { partition: 0, group: 'g', count: BATCH }), links: parents });
    for (let k = 0; k < BATCH; k++) await withContext(contextOfSpanContext(parents[k]), handler);
    duration.record((performance.now() - started) / 1000, where);
    span?.end();
  };
  const rows = Array.from({ length: 1_000 }, () => ({ ce_traceparent: traceparent }));
  const relayBatch = () => {
    const span = startSpan('send topic', { kind: 'client', attributes: messagingAttributes('send', 'topic', { count: rows.length }), links: () => rows.map((r) => ({ traceparent: r.ce_traceparent })) });
    span?.end();
  };
  const tracer = otel?.trace.getTracer('bench-floor');
  const bareSpan = () => tracer?.startSpan('process topic').end();
  const parent = contextFromHeaders({ traceparent });
  const attributedSpan = (offset) =>
    tracer
      ?.startSpan('process topic', { kind: otel.SpanKind.CONSUMER, attributes: messagingAttributes('process', 'topic', { key: 'k', partition: 0, offset: String(offset), group: 'g', messageId: event.id, eventType: event.type }) }, parent)
      .end();
  const time = async (n, work, per = 1) => {
    for (let i = 0; i < n / 10; i++) await work(i);
    const c0 = cpuMicros();
    for (let i = 0; i < n; i++) await work(i);
    return (cpuMicros() - c0) / n / per;
  };
  const record = () => duration.record(0.001, where);
  const active = otel?.context.active();
  const runIn = otel ? () => otel.context.with(active, handler) : undefined;
  const figures = {
    mode,
    spanPerMessage: await time(200_000, spanPerMessage),
    batchPerMessage: await time(400, batchPerMessage, BATCH),
    relayBatch: await time(2_000, relayBatch),
    bareSpan: tracer ? await time(200_000, bareSpan) : undefined,
    attributedSpan: tracer ? await time(200_000, attributedSpan) : undefined,
    histogramRecord: await time(200_000, record),
    contextWith: runIn ? await time(200_000, runIn) : undefined,
  };
  await sdk?.shutdown();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

if (process.argv.includes('--micro')) await runMicro(argValue('--worker'));
else if (process.argv.includes('--worker')) await runWorker(argValue('--worker'));
else await parent();
