// The example's generated OrderSummary projection against a throwaway local PostgreSQL
// (generator/dev/postgres.mjs; durable by default: fsync and synchronous_commit on):
//   1. runner throughput: startProjectionRunner (gap-free read, the generated rules, checkpoint in
//      the same transaction, the next batch read ahead, commits not waiting for their WAL flush)
//      until it has applied N stored events,
//      against a raw batched INSERT of N rows of the same table shape (unnest arrays, one
//      statement and transaction per batch), the projectBatch loop (no read ahead) and the runner
//      with synchronousCommit, same run: alternated raw, runner, loop, synchronous runner, raw, …,
//      each side's faster pass;
//   2. a zero-downtime rebuild (shadow table, catch-up, swap) of 100,000 events;
//   3. the runner's lag (events and seconds) while 4 writers append orders as fast as they can.
// The generated code is transpiled (types erased) and imports the built runtime (dist/).
//
// Usage: npm run bench:projection [-- --events 100000] [-- --fast] [-- --rounds 2] [-- --throughput-only]   (--fast: fsync off)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { dist, writeExample } from './store-example.mjs';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const total = arg('--events', 100_000);
const durable = !process.argv.includes('--fast');
const batch = 1000;
const rounds = arg('--rounds', 2);
// Section 1 only.
const throughputOnly = process.argv.includes('--throughput-only');

const runtime = await import(dist('runtime/index.js'));

async function generateExample(dir) {
  await writeExample(dir);
  return {
    repository: await import(pathToFileURL(path.join(dir, 'orders/repository.js')).href),
    projections: await import(pathToFileURL(path.join(dir, 'orders/projections.js')).href),
  };
}

const item = { productId: 'p-1', quantity: 2, unitPrice: { amount: '9.99', currency: 'EUR' } };
const placed = (n) => ({ type: 'com.example.orders.order.placed', data: { customerId: `c-${n}`, items: [item], total: { amount: `${n % 1000}.50`, currency: 'EUR' }, shippingAddress: null } });
const confirmed = (n) => ({ type: 'com.example.orders.order.confirmed', data: { confirmedAt: new Date(1_700_000_000_000 + n) } });

const rate = (n, ms) => Math.round((n * 1000) / ms);
const fmt = (n) => n.toLocaleString('en-US');

const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-bench-projection-'));
const cluster = await startPostgres({ durable, tmpDir: os.tmpdir() });
const pool = new pg.Pool({ connectionString: cluster.url, max: 12 });
try {
  const { repository, projections } = await generateExample(work);
  const def = projections.orderSummaryProjection;
  await runtime.migrate(pool);
  const orders = repository.orderRepository(pool);

  // Seed: 500 orders through the repository (placed + confirmed), then copied in SQL to `total`
  // events, each copy a new order of the same two events (stored bytes are those the repository wrote).
  for (let i = 0; i < 500; i++) await orders.append(randomUUID(), [placed(i), confirmed(i)], 0);
  const copies = Math.ceil(total / 1000) - 1;
  await pool.query(
    `INSERT INTO eventsmith_events (stream_type, stream_id, stream_version, event_id, event_type, schema_version, content_type, data, metadata, occurred_at)
     SELECT e.stream_type, md5(e.stream_id || ':' || g)::uuid::text, e.stream_version, gen_random_uuid(), e.event_type, e.schema_version, e.content_type, e.data, e.metadata, e.occurred_at
       FROM eventsmith_events e, generate_series(1, $1::int) g
      ORDER BY g, e.global_position`,
    [copies],
  );
  const stored = Number((await pool.query('SELECT count(*) AS n FROM eventsmith_events')).rows[0].n);
  await pool.query('VACUUM ANALYZE eventsmith_events');

  // 1. Runner throughput vs raw batched INSERT, alternated: raw, runner, loop, raw, … (the runner
  // from an empty table and checkpoint each time, the raw INSERT into a fresh table). On a shared
  // machine the load drifts between phases; each side's faster pass counts.
  const ids = Array.from({ length: stored }, () => randomUUID());
  let rawTables = 0;
  const rawPass = async () => {
    const table = `raw_summaries_${++rawTables}`;
    await pool.query(`CREATE TABLE ${table} (LIKE order_summaries INCLUDING ALL)`);
    const start = performance.now();
    for (let i = 0; i < stored; i += batch) {
      const chunk = ids.slice(i, i + batch);
      await pool.query(
        `INSERT INTO ${table} (order_id, customer_id, status, total_amount, currency, placed_at, events_applied, last_event_id)
         SELECT id, 'c-1', 'placed', 1.50, 'EUR', now(), 1, id FROM unnest($1::uuid[]) AS id`,
        [chunk],
      );
    }
    return performance.now() - start;
  };
  let applied = 0;
  let runnerApplied = 0;
  const reset = async () => {
    await pool.query('TRUNCATE order_summaries');
    await pool.query("UPDATE eventsmith_projections SET txid = '0'::xid8, position = 0, applied = 0 WHERE name = $1", [def.name]);
    await pool.query('CHECKPOINT');
    applied = 0;
  };
  // The runner users run (startProjectionRunner: its batches read ahead on a second connection),
  // timed until it has applied every stored event.
  const runnerPass = async (readAhead = true, synchronousCommit = false) => {
    await reset();
    let read = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const start = performance.now();
    const runner = runtime.startProjectionRunner(pool, def, {
      batchSize: batch,
      idleMillis: 5,
      readAhead,
      synchronousCommit,
      logger: runtime.silentLogger,
      onBatch: (b) => {
        read += b.read;
        applied += b.applied;
        if (read >= stored) done();
      },
    });
    await finished;
    const ms = performance.now() - start;
    await runner.stop();
    runnerApplied = applied;
    return ms;
  };
  // For comparison: one batch after the other, each read in its transaction (projectBatch).
  const batchPass = async () => {
    await reset();
    const start = performance.now();
    for (;;) {
      const r = await runtime.projectBatch(pool, def, { limit: batch });
      applied += r.applied;
      if (r.read === 0) break;
    }
    return performance.now() - start;
  };
  await runtime.ensureProjection(pool, def);
  const passes = { raw: [], runner: [], batches: [], synchronous: [] };
  for (let i = 0; i < rounds; i++) {
    await pool.query('CHECKPOINT');
    passes.raw.push(await rawPass());
    passes.runner.push(await runnerPass());
    passes.batches.push(await batchPass());
    passes.synchronous.push(await runnerPass(true, true));
  }
  const rawMs = Math.min(...passes.raw);
  const runnerMs = Math.min(...passes.runner);
  const batchesMs = Math.min(...passes.batches);
  const synchronousMs = Math.min(...passes.synchronous);
  let t0;

  let rebuilt = { read: 0 };
  let rebuildMs = 0;
  const samples = [];
  let written = 0;
  let loadMs = 1;
  if (!throughputOnly) {
    // 2. Rebuild of every stored event while the table keeps serving.
    t0 = performance.now();
    rebuilt = await runtime.rebuildProjection(pool, def, { batchSize: 2000 });
    rebuildMs = performance.now() - t0;

    // 3. Lag under load: 4 writers for 10 s, the runner live, lag sampled every 100 ms.
    const runner = runtime.startProjectionRunner(pool, def, { batchSize: 500, idleMillis: 20, logger: runtime.silentLogger });
    let writing = true;
    const writers = [0, 1, 2, 3].map(async (w) => {
      let n = 0;
      while (writing) {
        await orders.append(randomUUID(), [placed(w * 1e6 + n), confirmed(n)], 0);
        written += 2;
        n++;
      }
    });
    const loadStart = performance.now();
    while (performance.now() - loadStart < 10_000) {
      samples.push(await runtime.projectionLag(pool, def));
      await new Promise((r) => setTimeout(r, 100));
    }
    writing = false;
    await Promise.all(writers);
    loadMs = performance.now() - loadStart;
    while ((await runtime.projectionLag(pool, def)).events > 0) await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
  }
  const sorted = (k) => samples.map((s) => s[k]).sort((a, b) => a - b);
  const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
  const out = {
    settings: { durable, stored, batch },
    runner: { events: stored, applied: runnerApplied, ms: Math.round(runnerMs), eventsPerSecond: rate(stored, runnerMs), passes: passes.runner.map(Math.round) },
    rawInsert: { rows: stored, ms: Math.round(rawMs), rowsPerSecond: rate(stored, rawMs), passes: passes.raw.map(Math.round) },
    ratio: Number((rawMs / runnerMs).toFixed(2)),
    synchronousCommit: { ms: Math.round(synchronousMs), eventsPerSecond: rate(stored, synchronousMs), passes: passes.synchronous.map(Math.round), ratio: Number((rawMs / synchronousMs).toFixed(2)) },
    projectBatch: { ms: Math.round(batchesMs), eventsPerSecond: rate(stored, batchesMs), passes: passes.batches.map(Math.round), ratio: Number((rawMs / batchesMs).toFixed(2)) },
    rebuild: { events: rebuilt.read, ms: Math.round(rebuildMs), eventsPerSecond: rate(rebuilt.read, rebuildMs) },
    lag: {
      writtenPerSecond: rate(written, loadMs),
      events: { p50: pct(sorted('events'), 0.5), p95: pct(sorted('events'), 0.95), max: pct(sorted('events'), 1) },
      seconds: { p50: pct(sorted('seconds'), 0.5), p95: pct(sorted('seconds'), 0.95), max: pct(sorted('seconds'), 1) },
    },
  };
  console.log(`stored events: ${fmt(stored)} (${durable ? 'durable' : 'fsync off'})`);
  console.log(`runner:     ${fmt(out.runner.eventsPerSecond)} events/s (${fmt(out.runner.ms)} ms, batches of ${batch}; passes ${out.runner.passes.map(fmt).join(', ')} ms)`);
  console.log(
    `raw INSERT: ${fmt(out.rawInsert.rowsPerSecond)} rows/s (${fmt(out.rawInsert.ms)} ms; passes ${out.rawInsert.passes.map(fmt).join(', ')} ms); runner = ${Math.round(out.ratio * 100)}% of raw (faster pass each)`,
  );
  console.log(
    `runner with synchronousCommit (each batch's commit waits for its WAL flush, as the raw INSERT's): ${fmt(out.synchronousCommit.eventsPerSecond)} events/s (${fmt(out.synchronousCommit.ms)} ms; passes ${out.synchronousCommit.passes.map(fmt).join(', ')} ms) = ${Math.round(out.synchronousCommit.ratio * 100)}% of raw`,
  );
  console.log(
    `projectBatch loop (no read ahead): ${fmt(out.projectBatch.eventsPerSecond)} events/s (${fmt(out.projectBatch.ms)} ms; passes ${out.projectBatch.passes.map(fmt).join(', ')} ms) = ${Math.round(out.projectBatch.ratio * 100)}% of raw`,
  );
  console.log(`rebuild:    ${fmt(out.rebuild.events)} events in ${fmt(out.rebuild.ms)} ms (${fmt(out.rebuild.eventsPerSecond)} events/s)`);
  console.log(
    `lag under ${fmt(out.lag.writtenPerSecond)} events/s from 4 writers: p50 ${out.lag.events.p50} events / ${out.lag.seconds.p50.toFixed(3)} s, p95 ${out.lag.events.p95} / ${out.lag.seconds.p95.toFixed(3)} s, max ${out.lag.events.max} / ${out.lag.seconds.max.toFixed(3)} s`,
  );
  console.log(JSON.stringify(out));
} finally {
  await pool.end();
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
