// The Kafka runtime (built: dist/) against a throwaway single-node Kafka broker
// (generator/dev/kafka.mjs) and a throwaway PostgreSQL (generator/dev/postgres.mjs, durable by
// default), every figure next to a baseline run in the same process, on the same servers:
//
// 1. Producer: KafkaPublisher.publish of CloudEvents (binary mode, Avro data encoded beforehand)
//    versus KafkaJS's own producer.send of the very same keys, values and headers (computed
//    before the clock starts), with the same settings (idempotent, one request in flight, the
//    Java client's partitioning, acks -1) and the same batches: `size` publish() calls at once
//    versus one send() of `size` messages. A third side is KafkaJS with the runtime's (cheaper,
//    same-result) partitioner, which isolates the publisher's own work. Messages/s and CPU µs per
//    message (process.cpuUsage of this process; the broker's JVM is not counted). Rounds of short
//    passes rotate the order of the sides; ratios are medians of each round's ratio. Last, the
//    publisher's own CPU per message over a KafkaJS stand-in that sends nothing.
// 2. Relay: OutboxRelay draining an outbox pre-filled through appendToStream (many aggregates,
//    appends of 10 events) into Kafka, beside two baselines over the same rows and batches:
//    reading them (readOutbox) without publishing, and KafkaJS sending the same messages; and
//    the relay once more with markPublished off, to show what setting published_at costs. Before
//    each round the rows are made unpublished again and the table rewritten (VACUUM FULL), so
//    that every round marks fresh rows in full pages, as the first one does.
// 3. Consumer: KafkaConsumerRunner (one statement claims a batch's ids, the handler writes a
//    projection row per event in the same transaction, offsets committed after COMMIT) versus
//    the naive consumer written below with plain pg + kafkajs: per message BEGIN; SELECT the id
//    in eventsmith_processed_events; INSERT it; the projection row; COMMIT; commit the offset.
//    Both decode with the runtime's decodeMessage, use the same pool, partitions and partition
//    concurrency, and read the same topic; the clock runs from the moment the warm-up events are
//    applied (the group has joined, the code is hot) until all are.
//
// Usage: npm run bench:kafka [-- --runs 3] [-- --fast] [-- --only producer,relay,consumer]
//   --runs: rounds of the relay and runs of the runtime consumer (default 3)
//   --fast: PostgreSQL without fsync and synchronous_commit (for comparison)
// KAFKA_BROKERS and DATABASE_URL, if set, are used instead of throwaway servers.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { BENCH_BROKER, median, runsFromArgv } from './timing.mjs';
import { TYPE, decoding, incremented } from './counter-event.mjs';

const { Kafka, Partitioners, logLevel } = kafkajs;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => import(pathToFileURL(path.join(root, 'dist/generator/runtime', rel)).href);
const runtime = await dist('index.js');
// Not exported by the runtime: the bench gives the baseline the runtime's partitioner, to show the publisher's own cost.
const { javaCompatiblePartitioner } = await dist('kafka/partitioner.js');
const { KafkaConsumerRunner, KafkaPublisher, OUTBOX_START, OutboxRelay, appendToStream, decodeMessage, encodeBinary, ensureTopics, migrate, newEventFor, outboxLag, outboxRecordToMessage, readOutbox } =
  runtime;

v8.setFlagsFromString('--expose-gc');
/** A full collection before each timed pass, so that one side does not pay for the other's garbage. */
const gc = vm.runInNewContext('gc');

const runs = runsFromArgv(process.argv, 3);
const durable = !process.argv.includes('--fast');
const onlyAt = process.argv.indexOf('--only');
const parts = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : ['producer', 'relay', 'consumer'];

const PARTITIONS = 6;
/** Per batch size: `rounds` rounds of one pass of `chunk` messages per side, back to back. */
const PRODUCER_CASES = [
  { size: 1, chunk: 300, rounds: 14 },
  { size: 100, chunk: 5_000, rounds: 14 },
  { size: 1_000, chunk: 10_000, rounds: 14 },
];
const RELAY_ROWS = 50_000;
const RELAY_AGGREGATES = 1_000;
const RELAY_BATCH = 1_000; // OutboxRelay's default batchSize
const CONSUMER_WARMUP = 1_000;
const CONSUMER_EVENTS = 10_000;
const CONSUMER_CONCURRENCY = 4; // KafkaConsumerRunner's default partitionsConsumedConcurrently
const POOL_SIZE = 10;

// ---- the event ----------------------------------------------------------------------------

// TYPE, decoding and incremented(): bench/counter-event.mjs.

/** `count` events round-robin over `aggregates` new aggregates. */
function eventsFor(count, aggregates) {
  const ids = Array.from({ length: aggregates }, () => randomUUID());
  return Array.from({ length: count }, (_, i) => incremented(ids[i % aggregates], Math.floor(i / aggregates) + 1));
}

// ---- measuring ----------------------------------------------------------------------------

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Runs `work`, which handles `count` items: items per second, CPU µs per item, ms. */
async function measure(count, work) {
  gc();
  const c0 = cpuMicros();
  const t0 = now();
  await work();
  const ms = now() - t0;
  return { perSec: (count / ms) * 1000, cpu: (cpuMicros() - c0) / count, ms };
}

/** Over the samples of measure() (of the same number of items each): the overall rate, the median and lowest CPU per item. */
function total(samples) {
  const ms = samples.reduce((n, s) => n + s.ms, 0);
  const items = samples.reduce((n, s) => n + (s.perSec * s.ms) / 1000, 0);
  return { perSec: (items / ms) * 1000, cpu: median(samples.map((s) => s.cpu)), lowestCpu: Math.min(...samples.map((s) => s.cpu)), ms };
}

/** Medians of samples taken by measure(). */
const summary = (samples) => ({ perSec: median(samples.map((s) => s.perSec)), cpu: median(samples.map((s) => s.cpu)), ms: median(samples.map((s) => s.ms)), samples });

async function until(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(1);
  }
}

async function messagesIn(admin, topic) {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

/**
 * KafkaJS as a user without the runtime sets it up for the same guarantees; `partitioner`
 * defaults to KafkaJS's Java-compatible one, as the runtime's settings require.
 */
function rawProducer(kafka, partitioner = Partitioners.DefaultPartitioner) {
  return kafka.producer({
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: partitioner,
  });
}

async function newTopic(kafka, name) {
  const topic = `bench-${name}-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
  return topic;
}

// ---- 1. producer --------------------------------------------------------------------------

const SIDES = ['raw', 'rawSamePartitioner', 'runtime'];

/**
 * The publisher's own CPU per message, without the broker and without KafkaJS: a publisher over
 * a KafkaJS stand-in whose sendBatch does nothing, so that only the binding, the queue and the
 * promises are left; and the CPU per message of each partitioner. Lowest of 5 passes: this is
 * CPU work alone, and load from elsewhere only ever adds to it.
 */
async function ownWork() {
  const idle = { producer: () => ({ connect: async () => {}, disconnect: async () => {}, sendBatch: async () => [] }) };
  const publisher = new KafkaPublisher({ kafka: idle });
  const events = eventsFor(20_000, 500);
  const lowest = async (work) => {
    let best = Infinity;
    for (let r = 0; r < 5; r++) best = Math.min(best, (await measure(events.length, work)).cpu);
    return best;
  };
  const publish = [];
  for (const { size } of PRODUCER_CASES) {
    publish.push({
      size,
      cpu: await lowest(async () => {
        for (let i = 0; i < events.length; i += size) await Promise.all(events.slice(i, i + size).map((e) => publisher.publish(e.event, e.data, { topic: 'idle' })));
      }),
    });
  }
  await publisher.disconnect();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1 }));
  const partitionerCpu = (create) => {
    const partition = create();
    return lowest(async () => {
      for (const e of events) partition({ topic: 'idle', partitionMetadata, message: { key: e.event.partitionkey, value: null } });
    });
  };
  return { publish, kafkajsPartitioner: await partitionerCpu(Partitioners.DefaultPartitioner), ourPartitioner: await partitionerCpu(javaCompatiblePartitioner) };
}

async function producerBench(kafka, admin) {
  const topic = await newTopic(kafka, 'producer');
  const publisher = new KafkaPublisher({ kafka });
  // The same KafkaJS with the runtime's partitioner (same partitions, cheaper hashing): what is
  // left between it and the publisher is the publisher's own work (binding, queue, promises).
  const producers = { raw: rawProducer(kafka), rawSamePartitioner: rawProducer(kafka, javaCompatiblePartitioner) };
  await Promise.all([publisher.connect(), producers.raw.connect(), producers.rawSamePartitioner.connect()]);
  const publish = async (events, size) => {
    for (let i = 0; i < events.length; i += size) {
      await Promise.all(events.slice(i, i + size).map((e) => publisher.publish(e.event, e.data, { topic })));
    }
  };
  const send = async (producer, messages, size) => {
    for (let i = 0; i < messages.length; i += size) await producer.send({ topic, acks: -1, timeout: 30_000, messages: messages.slice(i, i + size) });
  };
  const pass = (side, events, messages, size) => (side === 'runtime' ? publish(events, size) : send(producers[side], messages, size));
  let sent = 0;
  try {
    // Warm-up: connections, metadata, JIT of every path.
    const warm = eventsFor(3_000, 500);
    const warmMessages = warm.map((e) => encodeBinary(e.event, e.data));
    for (const side of SIDES) await pass(side, warm, warmMessages, 100);
    sent += SIDES.length * warm.length;
    const cases = [];
    for (const { size, chunk, rounds } of PRODUCER_CASES) {
      // Short passes, side by side, the order rotating: load from elsewhere on the machine comes
      // and goes in bursts, and then falls on all sides of a round alike.
      const samples = { raw: [], rawSamePartitioner: [], runtime: [] };
      for (let r = 0; r < rounds; r++) {
        const events = eventsFor(chunk, 500);
        // The baselines' keys, values and headers: exactly what the binding makes of each event.
        const messages = events.map((e) => encodeBinary(e.event, e.data));
        for (let k = 0; k < SIDES.length; k++) {
          const side = SIDES[(r + k) % SIDES.length];
          samples[side].push(await measure(chunk, () => pass(side, events, messages, size)));
          sent += chunk;
        }
      }
      const ratios = (base) => samples.runtime.map((x, r) => ({ speed: x.perSec / samples[base][r].perSec, cpu: x.cpu / samples[base][r].cpu }));
      const vs = (base) => {
        const list = ratios(base);
        return { speed: median(list.map((x) => x.speed)), cpu: median(list.map((x) => x.cpu)), list };
      };
      cases.push({
        size,
        count: chunk * rounds,
        raw: total(samples.raw),
        rawSamePartitioner: total(samples.rawSamePartitioner),
        runtime: total(samples.runtime),
        vsRaw: vs('raw'),
        vsSamePartitioner: vs('rawSamePartitioner'),
      });
    }
    const inTopic = await messagesIn(admin, topic);
    if (inTopic !== sent) throw new Error(`bench: ${inTopic} messages in ${topic}, expected ${sent}`);
    return { cases, requests: publisher.stats().requests, acknowledged: publisher.stats().acknowledged, ownWork: await ownWork() };
  } finally {
    await Promise.all([publisher.disconnect(), producers.raw.disconnect(), producers.rawSamePartitioner.disconnect()]);
  }
}

// ---- 2. relay -----------------------------------------------------------------------------

/** `rows` outbox rows over `aggregates` aggregates, appended 10 events at a time by 8 writers; returns the events. */
async function prefillOutbox(pool, topic, rows, aggregates) {
  const perAggregate = Math.ceil(rows / aggregates);
  const ids = Array.from({ length: aggregates }, () => randomUUID());
  const appended = [];
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      for (let version = 0; version < perAggregate; version += 10) {
        const events = [];
        for (let seq = version + 1; seq <= Math.min(perAggregate, version + 10); seq++) {
          const e = incremented(ids[i], seq);
          appended.push(e);
          events.push(newEventFor(e.event, e.data, { topic }));
        }
        await appendToStream(pool, { streamType: 'Counter', streamId: ids[i], expectedVersion: version, events });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  return appended;
}

/** The first `count` outbox rows as the relay sends them (its reader, outboxRecordToMessage). */
async function outboxMessages(pool, count) {
  const messages = [];
  let cursor = OUTBOX_START;
  while (messages.length < count) {
    const batch = await readOutbox(pool, cursor, Math.min(RELAY_BATCH, count - messages.length));
    if (batch.records.length === 0) throw new Error('bench: the outbox ran dry');
    for (const record of batch.records) messages.push(outboxRecordToMessage(record));
    cursor = batch.cursor;
  }
  return messages;
}

async function relayBench(kafka, admin, pool) {
  const topic = await newTopic(kafka, 'relay');
  const rawTopic = await newTopic(kafka, 'relay-raw');
  const t0 = now();
  const rows = (await prefillOutbox(pool, topic, RELAY_ROWS, RELAY_AGGREGATES)).length;
  const prefillMs = now() - t0;
  const raw = rawProducer(kafka);
  await raw.connect();
  const samples = { read: [], send: [], relayNoMark: [], relay: [] };
  let metrics;
  try {
    await raw.send({ topic: rawTopic, acks: -1, messages: await outboxMessages(pool, RELAY_BATCH) }); // warm-up
    for (let r = 0; r < runs; r++) {
      await pool.query('UPDATE eventsmith_outbox SET published_at = NULL WHERE published_at IS NOT NULL');
      await pool.query('VACUUM FULL ANALYZE eventsmith_outbox');

      // Baseline: the same reads, in the same batches, each in a transaction; nothing published or written.
      samples.read.push(
        await measure(rows, async () => {
          let cursor = OUTBOX_START;
          for (let n = 0; n < rows; ) {
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              const batch = await readOutbox(client, cursor, RELAY_BATCH);
              await client.query('COMMIT');
              if (batch.records.length === 0) throw new Error('bench: the outbox ran dry');
              cursor = batch.cursor;
              n += batch.records.length;
            } finally {
              client.release();
            }
          }
        }),
      );

      // Baseline: KafkaJS sending the same messages in the same batches; nothing read or written.
      // The messages are the relay's own (the outbox's rows, as the relay turns them into
      // messages), built before the clock and dropped after this pass, so that the relay passes'
      // collections do not also mark 50,000 messages only the baseline uses.
      let messages = await outboxMessages(pool, rows);
      samples.send.push(
        await measure(rows, async () => {
          for (let i = 0; i < rows; i += RELAY_BATCH) await raw.send({ topic: rawTopic, acks: -1, timeout: 30_000, messages: messages.slice(i, i + RELAY_BATCH) });
        }),
      );
      messages = undefined;

      // The relay under a new name each time (its cursor starts at the beginning of the outbox):
      // first without setting published_at, which leaves the table as it is, then as configured
      // by default.
      for (const markPublished of [false, true]) {
        const name = `bench-${r}-${markPublished ? 'marking' : 'not-marking'}`;
        const publisher = new KafkaPublisher({ kafka });
        await publisher.connect();
        const errors = [];
        const relay = new OutboxRelay({ pool, publisher, name, batchSize: RELAY_BATCH, markPublished, onError: (e) => errors.push(e) });
        try {
          samples[markPublished ? 'relay' : 'relayNoMark'].push(
            await measure(rows, async () => {
              relay.start();
              await until('the relay to drain the outbox', () => relay.metrics().published >= rows || errors.length > 0, 120_000);
            }),
          );
        } finally {
          await relay.stop();
          await publisher.disconnect();
        }
        if (errors.length > 0) throw errors[0];
        if (markPublished) metrics = relay.metrics();
        const lag = await outboxLag(pool, name);
        const unmarked = Number((await pool.query('SELECT count(*) AS n FROM eventsmith_outbox WHERE published_at IS NULL')).rows[0].n);
        if (lag.rows !== 0 || unmarked !== (markPublished ? 0 : rows)) throw new Error(`bench: relay ${name} left ${lag.rows} rows behind its cursor, ${unmarked} unmarked`);
      }
    }
  } finally {
    await raw.disconnect();
  }
  const inTopic = await messagesIn(admin, topic);
  if (inTopic !== 2 * rows * runs) throw new Error(`bench: ${inTopic} messages in ${topic}, expected ${2 * rows * runs}`);
  return { rows, prefillMs, read: summary(samples.read), send: summary(samples.send), relayNoMark: summary(samples.relayNoMark), relay: summary(samples.relay), metrics };
}

// ---- 3. consumer --------------------------------------------------------------------------

async function createProjection(pool, table) {
  await pool.query(`CREATE TABLE ${table} (aggregate_id text NOT NULL, seq integer NOT NULL, event_id text NOT NULL)`);
}

/** The runtime's idempotent consumer in a new group: the rate of the events after the warm-up. */
async function runtimeConsumer(kafka, pool, topic, total, table) {
  await createProjection(pool, table);
  const runner = new KafkaConsumerRunner({
    kafka,
    pool,
    groupId: `bench-runtime-${randomUUID()}`,
    topics: [topic],
    decoding,
    createDeadLetterTopics: false, // nothing is dead-lettered here
    handlers: {
      [TYPE]: async (event, { tx }) => {
        await tx.query(`INSERT INTO ${table} (aggregate_id, seq, event_id) VALUES ($1, $2, $3)`, [event.subject, event.data.seq, event.id]);
      },
    },
    onError: (err, what) => process.stderr.write(`runtime consumer: ${what}: ${err}\n`),
  });
  await runner.start();
  try {
    await until('the runtime consumer to warm up', () => runner.metrics().applied >= CONSUMER_WARMUP, 120_000);
    const from = runner.metrics().applied;
    const result = await measure(total - from, () => until('the runtime consumer', () => runner.metrics().applied >= total, 120_000));
    return { ...result, transactions: runner.metrics().transactions };
  } finally {
    await runner.stop();
  }
}

/** The naive consumer: per message one transaction with a SELECT, and one offset commit. */
async function naiveConsumer(kafka, pool, topic, total, table) {
  await createProjection(pool, table);
  const groupId = `bench-naive-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  const handles = (type) => type === TYPE;
  let applied = 0;
  let failure;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: CONSUMER_CONCURRENCY,
    eachMessage: async ({ topic: from, partition, message }) => {
      const outcome = decodeMessage(message, decoding, { handles });
      if (outcome.kind !== 'event') throw new Error(`bench: unexpected ${outcome.kind}`);
      const { event } = outcome;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const seen = await client.query('SELECT 1 FROM eventsmith_processed_events WHERE consumer_group = $1 AND event_id = $2', [groupId, event.id]);
        if (seen.rows.length === 0) {
          await client.query('INSERT INTO eventsmith_processed_events (consumer_group, event_id) VALUES ($1, $2)', [groupId, event.id]);
          await client.query(`INSERT INTO ${table} (aggregate_id, seq, event_id) VALUES ($1, $2, $3)`, [event.subject, event.data.seq, event.id]);
        }
        await client.query('COMMIT');
      } catch (err) {
        failure = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      applied++;
      await consumer.commitOffsets([{ topic: from, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  try {
    await until('the naive consumer to warm up', () => applied >= CONSUMER_WARMUP || failure !== undefined, 120_000);
    const from = applied;
    const result = await measure(total - from, () => until('the naive consumer', () => applied >= total || failure !== undefined, 300_000));
    if (failure) throw failure;
    return result;
  } finally {
    await consumer.disconnect();
  }
}

async function consumerBench(kafka, pool) {
  const topic = await newTopic(kafka, 'consumer');
  const total = CONSUMER_WARMUP + CONSUMER_EVENTS;
  const producer = rawProducer(kafka);
  await producer.connect();
  try {
    const messages = eventsFor(total, 500).map((e) => encodeBinary(e.event, e.data));
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
  } finally {
    await producer.disconnect();
  }
  // The naive consumer once (it runs for many seconds); the runtime's in `runs` new groups.
  const tables = ['bench_naive'];
  const naive = await naiveConsumer(kafka, pool, topic, total, 'bench_naive');
  const samples = [];
  for (let r = 0; r < runs; r++) {
    tables.push(`bench_runtime_${r}`);
    samples.push(await runtimeConsumer(kafka, pool, topic, total, `bench_runtime_${r}`));
  }
  for (const table of tables) {
    const { n, d } = (await pool.query(`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM ${table}`)).rows[0];
    if (n !== total || d !== total) throw new Error(`bench: ${table} has ${n} rows (${d} distinct), expected ${total}`);
  }
  return { naive, runtime: { ...summary(samples), transactions: median(samples.map((s) => s.transactions)) } };
}

// ---- main ---------------------------------------------------------------------------------

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (ratio) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
const range = (s, key, digits = 0) => `${fmt(Math.min(...s.samples.map((x) => x[key])), digits)}–${fmt(Math.max(...s.samples.map((x) => x[key])), digits)}`;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

function printProducer(p) {
  console.log('');
  console.log('Producer: KafkaPublisher.publish (binary mode, Avro data) vs KafkaJS producer.send of the same messages; idempotent, acks -1, one request in flight');
  console.log(
    '| messages at once | messages per side | raw KafkaJS msg/s | publisher msg/s | publisher throughput vs raw | raw CPU µs/msg | publisher CPU µs/msg | publisher CPU vs raw | raw + same partitioner CPU µs/msg | publisher CPU vs that |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of p.cases) {
    console.log(
      `| ${fmt(c.size)} | ${fmt(c.count)} | ${fmt(c.raw.perSec)} | ${fmt(c.runtime.perSec)} | ${pct(c.vsRaw.speed)} | ${c.raw.cpu.toFixed(1)} | ${c.runtime.cpu.toFixed(1)} | ${pct(c.vsRaw.cpu)} | ${c.rawSamePartitioner.cpu.toFixed(1)} | ${pct(c.vsSamePartitioner.cpu)} |`,
    );
  }
  const iqr = (list, key) => {
    const s = list.map((x) => x[key]).sort((a, b) => a - b);
    return `${pct(s[Math.floor(s.length / 4)])} … ${pct(s[Math.floor((s.length * 3) / 4)])}`;
  };
  for (const c of p.cases) {
    console.log(
      `batch ${c.size}, interquartile ranges over ${c.vsRaw.list.length} rounds: vs raw throughput ${iqr(c.vsRaw.list, 'speed')}, CPU ${iqr(c.vsRaw.list, 'cpu')}; ` +
        `vs raw + same partitioner throughput ${pct(c.vsSamePartitioner.speed)} (${iqr(c.vsSamePartitioner.list, 'speed')}), CPU ${iqr(c.vsSamePartitioner.list, 'cpu')}; ` +
        `lowest CPU µs/msg of a pass: raw ${c.raw.lowestCpu.toFixed(1)}, raw + same partitioner ${c.rawSamePartitioner.lowestCpu.toFixed(1)}, publisher ${c.runtime.lowestCpu.toFixed(1)}`,
    );
  }
  console.log(`KafkaPublisher: ${fmt(p.requests)} produce requests for ${fmt(p.acknowledged)} messages`);
  console.log(
    `CPU per message without a broker (lowest of 5 × 20,000): KafkaPublisher over a KafkaJS stand-in that sends nothing: ${p.ownWork.publish.map((w) => `batch ${w.size}: ${w.cpu.toFixed(2)} µs`).join(', ')}; ` +
      `KafkaJS's DefaultPartitioner ${p.ownWork.kafkajsPartitioner.toFixed(2)} µs, the runtime's ${p.ownWork.ourPartitioner.toFixed(2)} µs`,
  );
}

function printRelay(r) {
  console.log('');
  console.log(`Relay: ${fmt(r.rows)} outbox rows of ${fmt(RELAY_AGGREGATES)} aggregates (appended in ${fmt(r.prefillMs / 1000, 1)} s), batches of ${fmt(RELAY_BATCH)}`);
  console.log('| pass over the same rows | rows/s (median) | range | ms | CPU µs/row | time / relay time |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, s] of [
    ['baseline: readOutbox only (no publish, no writes)', r.read],
    ['baseline: KafkaJS send of the same messages', r.send],
    ['OutboxRelay with markPublished: false (read, publish, move the cursor)', r.relayNoMark],
    ['OutboxRelay as configured by default (… and set published_at)', r.relay],
  ]) {
    console.log(`| ${name} | ${fmt(s.perSec)} | ${range(s, 'perSec')} | ${fmt(s.ms)} | ${s.cpu.toFixed(1)} | ${(s.ms / r.relay.ms).toFixed(2)} |`);
  }
  console.log(`relay metrics (last round): ${JSON.stringify(r.metrics)}`);
}

function printConsumer(c) {
  console.log('');
  console.log(
    `Consumer: ${fmt(CONSUMER_EVENTS)} events timed after ${fmt(CONSUMER_WARMUP)} of warm-up; ${PARTITIONS} partitions, ${CONSUMER_CONCURRENCY} consumed at once, pool of ${POOL_SIZE}; handler: one INSERT into a projection`,
  );
  console.log('| consumer | events/s | range | ms | CPU µs/event | × naive |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| naive: per message BEGIN, SELECT, INSERT, projection row, COMMIT, offset commit | ${fmt(c.naive.perSec)} | (1 run) | ${fmt(c.naive.ms)} | ${c.naive.cpu.toFixed(1)} | 1.0 |`);
  console.log(
    `| KafkaConsumerRunner: one claim per batch, projection rows, one COMMIT per batch | ${fmt(c.runtime.perSec)} | ${range(c.runtime, 'perSec')} | ${fmt(c.runtime.ms)} | ${c.runtime.cpu.toFixed(1)} | ${(c.runtime.perSec / c.naive.perSec).toFixed(1)} |`,
  );
  console.log(`KafkaConsumerRunner: ${fmt(c.runtime.transactions)} transactions for ${fmt(CONSUMER_WARMUP + CONSUMER_EVENTS)} events (median of runs)`);
}

const started = now();
const loadBefore = load();
const [broker, cluster] = await Promise.all([startKafka(BENCH_BROKER), startPostgres({ durable, tmpDir: os.tmpdir() })]);
const kafka = new Kafka({ clientId: 'eventsmith-bench', brokers: broker.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const pool = new pg.Pool({ connectionString: cluster.url, max: POOL_SIZE });
try {
  await admin.connect();
  await migrate(pool);
  const settings = (await pool.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version') ORDER BY name`)).rows;
  const setupMs = now() - started;
  const producer = parts.includes('producer') ? await producerBench(kafka, admin) : undefined;
  const relay = parts.includes('relay') ? await relayBench(kafka, admin, pool) : undefined;
  const consumer = parts.includes('consumer') ? await consumerBench(kafka, pool) : undefined;

  console.log(
    `node ${process.version}; ${new Date().toISOString()}; ${os.cpus().length} CPUs; Kafka ${broker.external ? '(KAFKA_BROKERS)' : broker.version}; ` +
      `PostgreSQL ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}${cluster.external ? ' (DATABASE_URL)' : ''}; rounds: ${runs}`,
  );
  console.log(`load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}; servers started in ${fmt(setupMs / 1000, 1)} s`);
  if (producer) printProducer(producer);
  if (relay) printRelay(relay);
  if (consumer) printConsumer(consumer);
  console.log('');
  console.log(`total ${fmt((now() - started) / 1000, 1)} s`);
} finally {
  await admin.disconnect().catch(() => undefined);
  await pool.end();
  await Promise.all([broker.stop(), cluster.stop()]);
}
