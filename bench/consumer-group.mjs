// Consumer groups of separate processes (test/kafka/fixtures/child.mjs: KafkaConsumerRunner of
// the built runtime, one projection row per event in the consumer's transaction) on a throwaway
// broker and PostgreSQL:
//
// 1. Throughput with 1, 2 and 4 processes in one group over a 12-partition topic, as a ratio to
//    1 process in the same round (the order of the sizes rotates from round to round). The clock
//    runs from the moment the group is Stable with all its members (so joining is not counted)
//    until the last event is applied; events/s = rows applied in that window / its length, both
//    read from the rows' clock_timestamp().
// 2. Rebalance pause: two processes consume steadily (SLOW_MS per event, so the stream outlasts
//    the join); a third joins. The pause is the longest gap between two consecutive applied rows
//    (group-wide) from the join until 5 s after the group is Stable again, beside the longest gap
//    in the 5 s before the join.
//
// Usage: npm run bench:group [-- --runs 3] [-- --events 12000] [-- --slow-ms 0]
//   --slow-ms: extra milliseconds each handler waits per event (I/O a real handler would do)
// KAFKA_BROKERS and DATABASE_URL, if set, are used instead of throwaway servers.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { startKafka } from '../generator/dev/kafka.mjs';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { incremented } from './counter-event.mjs';
import { BENCH_BROKER, median, runsFromArgv } from './timing.mjs';

const { Kafka, logLevel } = kafkajs;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { KafkaPublisher, encodeBinary, ensureTopics, migrate } = await import(pathToFileURL(path.join(root, 'dist/generator/runtime/index.js')).href);
const CHILD = path.join(root, 'test/kafka/fixtures/child.mjs');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = runsFromArgv(process.argv, 3);
const EVENTS = arg('--events', 12_000);
const SLOW_MS = arg('--slow-ms', 0);
const SIZES = [1, 2, 4];
const PARTITIONS = 12;
const AGGREGATES = 400;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const loadAtStart = load();
const [db, broker] = await Promise.all([startPostgres(), startKafka(BENCH_BROKER)]);
const schema = `bench_group_${randomUUID().slice(0, 8)}`;
const pool = new pg.Pool({ connectionString: db.url, options: `-c search_path=${schema}`, max: 4 });
const kafka = new Kafka({ clientId: 'bench-group', brokers: broker.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const children = new Set();
const stopMembers = async (members) => {
  for (const m of members) m.proc.kill('SIGKILL');
  await Promise.all(members.map((m) => m.exited));
  for (const m of members) children.delete(m);
};

try {
  await pool.query(`CREATE SCHEMA ${schema}`);
  await migrate(pool);
  await pool.query(`CREATE TABLE applied (
    applied_order bigserial PRIMARY KEY, aggregate_id text NOT NULL, seq integer NOT NULL, event_id text NOT NULL,
    writer_version integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await admin.connect();

  /** A fresh topic holding `count` events, interleaved across aggregates in seq order per aggregate. */
  const fill = async (count) => {
    const topic = `bench-group-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
    const ids = Array.from({ length: AGGREGATES }, () => randomUUID());
    const publisher = new KafkaPublisher({ kafka });
    try {
      for (let seq = 1; seq <= Math.ceil(count / AGGREGATES); seq++) {
        await publisher.send(
          ids.slice(0, Math.min(AGGREGATES, count - (seq - 1) * AGGREGATES)).map((id) => {
            const { event, data } = incremented(id, seq);
            return { topic, ...encodeBinary(event, data) };
          }),
        );
      }
    } finally {
      await publisher.disconnect();
    }
    return topic;
  };

  const startMember = (topic, group, slowMs) => {
    const proc = spawn(process.execPath, [CHILD], {
      env: { ...process.env, DATABASE_URL: db.url, SCHEMA: schema, KAFKA_BROKERS: broker.brokers.join(','), ROLE: 'consumer', TOPIC: topic, GROUP: group, BATCH_SIZE: '100', SLOW_MS: String(slowMs) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    const member = { proc, exited };
    children.add(member);
    return member;
  };
  const stableWith = async (group, n, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const g = (await admin.describeGroups([group])).groups[0];
      if (g?.state === 'Stable' && g.members.length === n) return new Date();
      if (Date.now() > deadline) throw new Error(`group ${group} not Stable with ${n} members after ${timeoutMs} ms (${g?.state}, ${g?.members.length})`);
      await sleep(50);
    }
  };
  const appliedSince = async (since) => {
    const r = await pool.query('SELECT count(*)::int AS n, EXTRACT(EPOCH FROM (max(at) - $1::timestamptz))::float8 AS seconds FROM applied WHERE at >= $1', [since]);
    return r.rows[0];
  };
  const count = async () => (await pool.query('SELECT count(*)::int AS n FROM applied')).rows[0].n;

  // ---- 1. throughput by group size ----
  const throughput = Object.fromEntries(SIZES.map((s) => [s, []]));
  const ratios = Object.fromEntries(SIZES.map((s) => [s, []]));
  for (let round = 0; round < runs; round++) {
    const order = SIZES.map((_, i) => SIZES[(i + round) % SIZES.length]);
    const perRound = {};
    for (const size of order) {
      await pool.query('TRUNCATE applied, eventsmith_processed_events');
      const topic = await fill(EVENTS);
      const group = `bench-${randomUUID()}`;
      const members = Array.from({ length: size }, () => startMember(topic, group, SLOW_MS));
      const stable = await stableWith(group, size);
      const deadline = Date.now() + 600_000;
      while ((await count()) < EVENTS) {
        if (Date.now() > deadline) throw new Error(`only ${await count()} of ${EVENTS} applied`);
        await sleep(100);
      }
      const { n, seconds } = await appliedSince(stable);
      await stopMembers(members);
      perRound[size] = n / seconds;
      throughput[size].push(perRound[size]);
      process.stderr.write(`round ${round + 1}: ${size} process${size === 1 ? '' : 'es'}: ${Math.round(perRound[size])} events/s (${n} events in ${seconds.toFixed(2)} s after the group was stable)\n`);
    }
    for (const size of SIZES) ratios[size].push(perRound[size] / perRound[1]);
  }

  // ---- 2. the pause a join causes ----
  const pauses = [];
  const baselines = [];
  for (let round = 0; round < runs; round++) {
    await pool.query('TRUNCATE applied, eventsmith_processed_events');
    const topic = await fill(EVENTS);
    const group = `bench-${randomUUID()}`;
    // Paced so that the stream outlasts the join and its rebalance.
    const members = [startMember(topic, group, Math.max(SLOW_MS, 1)), startMember(topic, group, Math.max(SLOW_MS, 1))];
    await stableWith(group, 2);
    await sleep(5_000);
    const joined = new Date();
    members.push(startMember(topic, group, Math.max(SLOW_MS, 1)));
    await stableWith(group, 3);
    await sleep(5_000);
    // The longest gap between consecutive applied rows in [from, to], its ends included.
    const gap = async (from, to) => {
      const r = await pool.query(
        `SELECT COALESCE(max(EXTRACT(EPOCH FROM (b - a))), 0)::float8 * 1000 AS ms, count(*)::int AS rows
           FROM (SELECT at AS b, lag(at) OVER (ORDER BY at) AS a FROM applied) g
          WHERE b >= $1::timestamptz AND a <= $2::timestamptz AND a IS NOT NULL`,
        [from, to],
      );
      return r.rows[0];
    };
    const { ms: pause } = await gap(joined, new Date());
    const { ms: baseline, rows: baselineRows } = await gap(new Date(joined.getTime() - 5_000), joined);
    if (baselineRows < 10) process.stderr.write(`round ${round + 1}: only ${baselineRows} rows applied in the 5 s before the join\n`);
    const applied = await count();
    await stopMembers(members);
    if (applied >= EVENTS) process.stderr.write(`round ${round + 1}: the stream ended before the join settled; the pause may be understated\n`);
    pauses.push(pause);
    baselines.push(baseline);
    process.stderr.write(`round ${round + 1}: a third process joins: longest gap ${pause.toFixed(0)} ms (before the join: ${baseline.toFixed(0)} ms)\n`);
  }
  const range = (xs) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
  console.log(`\nconsumer group: ${EVENTS} events, ${PARTITIONS} partitions, ${AGGREGATES} aggregates, handler extra wait ${SLOW_MS} ms/event, ${runs} rounds; load average at start ${loadAtStart}, at end ${load()}; ${os.cpus().length} cores\n`);
  console.log('| processes in the group | events/s (median) | range | × 1 process (median of same-round ratios) |');
  console.log('|---|---|---|---|');
  for (const size of SIZES) console.log(`| ${size} | ${Math.round(median(throughput[size]))} | ${range(throughput[size])} | ${median(ratios[size]).toFixed(2)} |`);
  console.log(`\nrebalance pause when a third process joins two: longest gap between applied events ${Math.round(median(pauses))} ms median (${range(pauses)}); longest gap in the 5 s before the join ${Math.round(median(baselines))} ms`);
} finally {
  await stopMembers([...children]).catch(() => {});
  await admin.disconnect().catch(() => {});
  await pool.end().catch(() => {});
  await Promise.all([broker.stop(), db.stop()]);
}
