// The generated repository of the example (Order: `snapshotEvery: 50`) against a throwaway
// local PostgreSQL (generator/dev/postgres.mjs), durable by default (fsync, synchronous_commit and
// full_page_writes on, as a production server runs): appends per second, single events and
// batches of 10, one writer and several; then load times of one aggregate of 1,000, 5,000 and
// 10,000 events with its latest snapshot and by full replay. The generated code is transpiled
// (types erased) and imports the built runtime (dist/), as a user's service would.
//
// Usage: npm run bench:store [-- --runs 7] [-- --fast] [-- --statements]
//   --fast: fsync off, for comparison; --statements: what the server ran per append scenario.
// DATABASE_URL, if set, is used instead of a throwaway server (its settings are reported).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { runsFromArgv } from './timing.mjs';
import { batchOf, dist, generateExample, median, now } from './store-example.mjs';

const runs = runsFromArgv(process.argv);
const durable = !process.argv.includes('--fast');
const runtime = await import(dist('runtime/index.js'));

// ---- measuring ----------------------------------------------------------------------------

/** `writers` concurrent writers, each on its own aggregate, each making `appends` appends of `size` events. */
async function appendRate(repo, writers, appends, size) {
  const t0 = now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const id = randomUUID();
      let version = 0;
      for (let i = 0; i < appends; i++) version = (await repo.append(id, batchOf(size, version), version)).version;
    }),
  );
  await repo.settled(); // background snapshots count too
  const ms = now() - t0;
  const total = writers * appends;
  return { appendsPerSec: (total / ms) * 1000, eventsPerSec: ((total * size) / ms) * 1000, ms };
}

/** An aggregate of `length` events whose latest snapshot is `tail` events old (the mean tail for snapshotEvery 50 is 25). */
async function buildAggregate(repo, pool, length, tail) {
  const id = randomUUID();
  let version = 0;
  while (version < length - tail) version = (await repo.append(id, batchOf(Math.min(500, length - tail - version), version), version)).version;
  await repo.settled();
  await repo.snapshot(id);
  // The tail in a caller's transaction, which writes no snapshot.
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await repo.append(id, batchOf(tail, version), version, { client });
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return id;
}

async function loadTimes(repo, id, options) {
  await repo.load(id, options); // warm-up
  const samples = [];
  let loaded;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    loaded = await repo.load(id, options);
    samples.push(now() - t0);
  }
  return { ...median(samples), loaded };
}

// ---- main ---------------------------------------------------------------------------------

const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-bench-store-'));
// --statements: the server's own count of what the single appends ran (pg_stat_statements).
const statements = process.argv.includes('--statements');
const statementSettings = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' };
const cluster = await startPostgres({ durable, tmpDir: os.tmpdir(), ...(statements ? { settings: statementSettings } : {}) });
const pool = new pg.Pool({ connectionString: cluster.url, max: 12 });
try {
  const { orderRepository } = await generateExample(work);
  await runtime.migrate(pool);
  const snapshotErrors = [];
  const orders = orderRepository(pool, { onSnapshotError: (e) => snapshotErrors.push(e) });
  const settings = (await pool.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'server_version') ORDER BY name`)).rows;

  const rtt = [];
  for (let i = 0; i < 200; i++) {
    const t0 = now();
    await pool.query('SELECT 1');
    rtt.push(now() - t0);
  }
  const baseline = median(rtt);

  await appendRate(orders, 1, 50, 1); // warm-up
  const appendRows = [];
  for (const [writers, appends, size] of [
    [1, 1000, 1],
    [1, 300, 10],
    [4, 400, 1],
    [4, 120, 10],
  ]) {
    if (statements) await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()');
    appendRows.push({ writers, size, ...(await appendRate(orders, writers, appends, size)) });
    if (statements) {
      const top = await pool.query(
        `SELECT calls, mean_plan_time, mean_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query
           FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 6`,
      );
      console.log(`statements of ${writers} writer(s) × ${appends} appends of ${size}:`);
      for (const r of top.rows) console.log(`  ${String(r.calls).padStart(6)} calls, plan ${r.mean_plan_time.toFixed(3)} ms, execution ${r.mean_exec_time.toFixed(3)} ms: ${r.query}`);
    }
  }

  const loadRows = [];
  for (const length of [1000, 5000, 10000]) {
    const id = await buildAggregate(orders, pool, length, 25);
    const full = await loadTimes(orders, id, { useSnapshot: false });
    const snap = await loadTimes(orders, id, {});
    if (full.loaded.version !== length || snap.loaded.eventsApplied !== 25 || JSON.stringify(full.loaded.state) !== JSON.stringify(snap.loaded.state)) {
      throw new Error(`bench: unexpected load at ${length}: ${JSON.stringify({ full: full.loaded.version, applied: snap.loaded.eventsApplied })}`);
    }
    loadRows.push({ length, full, snap });
  }

  if (snapshotErrors.length > 0) throw snapshotErrors[0];
  console.log(`node ${process.version}; ${new Date().toISOString()}; runs per load: ${runs}; server: ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}${cluster.external ? ' (DATABASE_URL)' : ''}`);
  console.log(`baseline: SELECT 1 round trip, median ${baseline.median.toFixed(3)} ms (min ${baseline.min.toFixed(3)}, max ${baseline.max.toFixed(3)})`);
  console.log('');
  console.log('| appends (Order, snapshotEvery 50) | writers | events per append | appends/s | events/s | ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of appendRows) {
    console.log(`| ${r.size === 1 ? 'single events' : `batches of ${r.size}`}, ${r.writers === 1 ? 'sequential' : `${r.writers} concurrent writers`} | ${r.writers} | ${r.size} | ${r.appendsPerSec.toFixed(0)} | ${r.eventsPerSec.toFixed(0)} | ${r.ms.toFixed(0)} |`);
  }
  console.log('');
  console.log('| load of one Order | events | full replay ms (median, min–max) | with snapshot ms (25 events after it) | snapshot / full | full replay µs per event |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of loadRows) {
    console.log(
      `| ${r.length.toLocaleString('en-US')} events | ${r.length} | ${r.full.median.toFixed(1)} (${r.full.min.toFixed(1)}–${r.full.max.toFixed(1)}) | ${r.snap.median.toFixed(2)} (${r.snap.min.toFixed(2)}–${r.snap.max.toFixed(2)}) | ${(r.snap.median / r.full.median).toFixed(4)} | ${((r.full.median * 1000) / r.length).toFixed(1)} |`,
    );
  }
} finally {
  await pool.end();
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
