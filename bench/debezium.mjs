// The relay against Debezium (issue 16), same run, same PostgreSQL cluster and Kafka broker: two
// databases of one wal_level=logical cluster, the relay (OutboxRelay with LISTEN) watching one, a
// standalone Kafka Connect worker running the emitted orders/debezium/outbox-connector.json (its
// topic filter pointed at the bench topic) watching the other. Rounds alternate the sides; in a
// round the side's writers append ROUND_EVENTS events (appendToStream, 10 events per append, 200
// aggregates, 4 writers at once) while a plain KafkaJS consumer reads the topic.
//   throughput  events / (last event received − first append started), events/s
//   latency     per event: received − its append's COMMIT returned, ms (p50, p99 over the round)
// Medians over rounds are reported, and the ratio Debezium / relay. The consumer is plain KafkaJS
// on purpose: it is the same for both sides, so the figures are the transports'.
//
// Usage: npm run bench:debezium [-- --runs 3] [-- --fast]
//   --runs: rounds per side (default 3); --fast: PostgreSQL without fsync/synchronous_commit
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { startConnect } from '../generator/dev/debezium.mjs';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { BENCH_BROKER, median, runsFromArgv } from './timing.mjs';

const { Kafka, logLevel } = kafkajs;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { KafkaPublisher, OutboxRelay, appendToStream, ensureTopics, makeEnvelope, migrate, newEventFor } = await import(
  pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href
);

const runs = runsFromArgv(process.argv, 3);
const durable = !process.argv.includes('--fast');
const ROUND_EVENTS = 5_000;
const AGGREGATES = 200;
const PER_APPEND = 10;
const WRITERS = 4;
const PARTITIONS = 6;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const tag = randomUUID().slice(0, 8);
const [cluster, broker] = await Promise.all([startPostgres({ logical: true, durable, ignoreDatabaseUrl: true }), startKafka({ ...BENCH_BROKER, ignoreKafkaBrokers: true })]);
const kafka = new Kafka({ clientId: 'bench-debezium', brokers: broker.brokers, logLevel: logLevel.NOTHING });
const sides = {};
for (const name of ['relay', 'cdc']) {
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = cluster.url.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: WRITERS + 4 });
  await migrate(pool);
  const topic = `bench-${name}-${tag}`;
  await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
  sides[name] = { name, url, pool, topic, version: new Map(), rounds: [] };
}

const publisher = new KafkaPublisher({ kafka });
await publisher.connect();
const relay = new OutboxRelay({
  pool: sides.relay.pool,
  publisher,
  listen: async () => {
    const c = new pg.Client({ connectionString: sides.relay.url });
    await c.connect();
    return c;
  },
});
relay.start();
const connector = JSON.parse(readFileSync(path.join(root, 'generated-example/src/generated/orders/debezium/outbox-connector.json'), 'utf8'));
const worker = await startConnect({
  brokers: broker.brokers,
  databaseUrl: sides.cdc.url,
  connectors: [connector],
  connectorOverrides: { 'predicates.ownTopics.pattern': sides.cdc.topic.replaceAll('.', '\\.') },
});
console.log(`servers up (PostgreSQL ${durable ? 'durable' : 'fast'}, Connect ${(worker.startMillis / 1000).toFixed(1)} s); load average ${load()}`);

/** A consumer per side that records when each event id arrives. */
async function receiver(side) {
  const received = new Map();
  const consumer = kafka.consumer({ groupId: `bench-${side.name}-${tag}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [side.topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const id = m.headers?.ce_id?.toString();
        if (id !== undefined && !received.has(id)) received.set(id, now);
      }
    },
  });
  side.received = received;
  side.consumer = consumer;
}
await Promise.all([receiver(sides.relay), receiver(sides.cdc)]);

const data = new Uint8Array(64).fill(7);
async function round(side) {
  const committed = new Map();
  const aggregates = Array.from({ length: AGGREGATES }, (_, i) => `agg-${i}`);
  let next = 0;
  const appends = ROUND_EVENTS / PER_APPEND;
  const t0 = performance.now();
  const writer = async () => {
    for (let i = next++; i < appends; i = next++) {
      const id = aggregates[i % AGGREGATES];
      const events = Array.from({ length: PER_APPEND }, () => {
        const envelope = makeEnvelope({ type: 'com.example.bench.thing.happened', dataversion: 1, source: 'urn:bench', subject: id, data: { n: i } });
        return newEventFor(envelope, data, { topic: side.topic });
      });
      const expectedVersion = side.version.get(id) ?? 0;
      side.version.set(id, expectedVersion + PER_APPEND);
      await appendToStream(side.pool, { streamType: 'Thing', streamId: id, expectedVersion, events });
      const at = performance.now();
      for (const e of events) committed.set(e.eventId, at);
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const deadline = Date.now() + 300_000;
  while ([...committed.keys()].some((id) => !side.received.has(id))) {
    if (Date.now() > deadline) throw new Error(`${side.name}: events missing after 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const latencies = [...committed].map(([id, at]) => side.received.get(id) - at).sort((a, b) => a - b);
  const last = Math.max(...[...committed.keys()].map((id) => side.received.get(id)));
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { throughput: ROUND_EVENTS / ((last - t0) / 1000), p50: pct(0.5), p99: pct(0.99) };
}
const fmt = (r) => `${Math.round(r.throughput).toLocaleString('en-US').padStart(6)} ev/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms`;
try {
  // A warm-up round each (JIT, connections, Debezium's first batch), not counted.
  await round(sides.relay);
  await round(sides.cdc);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [sides.relay, sides.cdc] : [sides.cdc, sides.relay];
    for (const side of order) {
      const r = await round(side);
      side.rounds.push(r);
      console.log(`round ${i + 1} ${side.name.padEnd(5)} ${fmt(r)}  (load ${load()})`);
    }
  }
  const summary = (side) => ({
    throughput: median(side.rounds.map((r) => r.throughput)),
    p50: median(side.rounds.map((r) => r.p50)),
    p99: median(side.rounds.map((r) => r.p99)),
  });
  const a = summary(sides.relay);
  const b = summary(sides.cdc);
  console.log(`\nmedians over ${runs} rounds of ${ROUND_EVENTS.toLocaleString('en-US')} events:`);
  console.log(`relay     ${fmt(a)}`);
  console.log(`debezium  ${fmt(b)}`);
  console.log(`debezium / relay: throughput ×${(b.throughput / a.throughput).toFixed(2)}, p50 ×${(b.p50 / a.p50).toFixed(1)}, p99 ×${(b.p99 / a.p99).toFixed(1)}`);
  console.log(`load average ${load()} (${os.cpus().length} cores)`);
} finally {
  await relay.stop();
  await Promise.all([sides.relay.consumer?.disconnect(), sides.cdc.consumer?.disconnect()]);
  await publisher.disconnect();
  await worker.stop();
  await Promise.all([sides.relay.pool.end(), sides.cdc.pool.end()]);
  await broker.stop();
  await cluster.stop();
}
