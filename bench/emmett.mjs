// The event store beside Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql, a
// dev dependency of this script only) on one throwaway PostgreSQL 15 with production durability,
// the same Order events and the same reducer, in interleaved rounds (the side that goes first
// alternates), so that both see the same machine load. eventsmith also writes each event's outbox
// row in the same statement and, as the example configures it, stores a snapshot every 50 events
// (in the statement of the append that reaches it, since a4d5661); Emmett writes neither. A third
// side is eventsmith without snapshots (still with its outbox rows), the like-for-like comparison.
//
// Measured per round: appends per second (single events, batches of 10, 4 concurrent writers
// of single events) and the full replay of one 10,000-event stream, with the raw fetch of the
// same rows (pg, no conversion) as the baseline of the decode + upcast + evolve cost.
//
// `--baseline DIR` adds a fourth side: eventsmith (with snapshots) on the runtime of another build
// (DIR is its dist/ folder, e.g. a copy of main's before a change), to compare two runtimes in the
// same rounds.
//
// Usage: npm run bench:emmett [-- --rounds 9] [--baseline /tmp/main/dist]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { batchOf, dist, generateExample, median, now, writeExample } from './store-example.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = argValue('--rounds', 9);
const baselineAt = process.argv.indexOf('--baseline');
const baselineDist = baselineAt > 0 ? path.resolve(process.argv[baselineAt + 1] ?? '') : undefined;
const REPLAY_LENGTH = 10_000;
const runtime = await import(dist('runtime/index.js'));
const { STREAM_EVENT_COLUMNS } = await import(dist('runtime/postgres/event-store.js'));

// ---- the two stores behind one interface ----------------------------------------------------

function eventsmithSide(orders, name = 'eventsmith') {
  return {
    name,
    newStream: () => randomUUID(),
    async append(id, events, version) {
      return (await orders.append(id, events, version)).version;
    },
    settled: () => orders.settled(),
    async replay(id) {
      const loaded = await orders.load(id, { useSnapshot: false });
      return { version: loaded.version, state: loaded.state };
    },
  };
}

function emmettSide(store, evolve, initialState) {
  return {
    name: 'Emmett',
    newStream: () => `order-${randomUUID()}`,
    async append(id, events, version) {
      const result = await store.appendToStream(id, events, { expectedStreamVersion: BigInt(version) });
      return Number(result.nextExpectedStreamVersion);
    },
    settled: async () => undefined,
    async replay(id) {
      const result = await store.aggregateStream(id, { evolve, initialState: () => initialState });
      return { version: Number(result.currentStreamVersion), state: result.state };
    },
  };
}

/** `writers` concurrent writers, each on a stream of its own, each making `appends` appends of `size` events. */
async function appendRate(side, writers, appends, size) {
  const t0 = now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const id = side.newStream();
      let version = 0;
      for (let i = 0; i < appends; i++) version = await side.append(id, batchOf(size, version), version);
    }),
  );
  await side.settled();
  return ((writers * appends) / (now() - t0)) * 1000;
}

async function buildStream(side, length) {
  const id = side.newStream();
  let version = 0;
  while (version < length) version = await side.append(id, batchOf(Math.min(500, length - version), version), version);
  await side.settled();
  return id;
}

/** The rows a replay reads, fetched as eventsmith's loader pages them (its columns), without any conversion. */
async function rawFetch(pool, streamId, length) {
  let rows = 0;
  for (let from = 1; from <= length; from += 1000) {
    const result = await pool.query({
      name: 'bench_raw_fetch',
      text: `SELECT ${STREAM_EVENT_COLUMNS} FROM eventsmith_events e
              WHERE e.stream_type = $1 AND e.stream_id = $2 AND e.stream_version >= $3 ORDER BY e.stream_version LIMIT $4`,
      values: ['Order', streamId, from, 1000],
    });
    rows += result.rows.length;
  }
  if (rows !== length) throw new Error(`bench: raw fetch read ${rows} rows, not ${length}`);
}

// ---- main ---------------------------------------------------------------------------------

const work = mkdtempSync(path.join(os.tmpdir(), 'eventsmith-bench-emmett-'));
const cluster = await startPostgres({ durable: true, tmpDir: os.tmpdir() });
const pool = new pg.Pool({ connectionString: cluster.url, max: 12 });
const emmett = getPostgreSQLEventStore(cluster.url);
try {
  const { orderRepository } = await generateExample(work);
  const { orderRepository: orderRepositoryWithoutSnapshots } = await generateExample(path.join(work, 'no-snapshots'), { snapshots: false });
  const { evolveOrder, initialOrderState } = await import(pathToFileURL(path.join(work, 'orders/reducers.js')).href);
  await runtime.migrate(pool);
  // [0] eventsmith as the example configures it, [1] Emmett, [2] eventsmith without snapshots.
  const sides = [eventsmithSide(orderRepository(pool)), emmettSide(emmett, evolveOrder, initialOrderState), eventsmithSide(orderRepositoryWithoutSnapshots(pool), 'eventsmith, no snapshots')];
  if (baselineDist !== undefined) {
    // [3]: the same generated code on the baseline's runtime.
    const dir = path.join(work, 'baseline');
    await writeExample(dir, { runtimeModule: pathToFileURL(path.join(baselineDist, 'generator/runtime/index.js')).href });
    const { orderRepository: baselineRepository } = await import(pathToFileURL(path.join(dir, 'orders/repository.js')).href);
    sides.push(eventsmithSide(baselineRepository(pool), 'eventsmith on the baseline runtime'));
  }
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();

  for (const side of sides) await appendRate(side, 1, 50, 1); // warm-up, and Emmett's schema
  const scenarios = [
    { label: 'single events, 1 writer', writers: 1, appends: 200, size: 1 },
    { label: 'batches of 10, 1 writer', writers: 1, appends: 60, size: 10 },
    { label: 'single events, 4 concurrent writers', writers: 4, appends: 100, size: 1 },
  ];
  // The replay reads the whole stream (no snapshot), so the first two sides suffice for it.
  const streams = [];
  for (const side of sides.slice(0, 2)) streams.push(await buildStream(side, REPLAY_LENGTH));

  const samples = { rates: scenarios.map(() => sides.map(() => [])), replay: [[], []], raw: [] };
  for (let round = 0; round < rounds; round++) {
    // Each side goes first, second and last in turn.
    const order = sides.map((_, k) => (k + round) % sides.length);
    for (const [s, sc] of scenarios.entries()) {
      for (const i of order) samples.rates[s][i].push(await appendRate(sides[i], sc.writers, sc.appends, sc.size));
    }
    for (const i of order.filter((i) => i < 2)) {
      const t0 = now();
      const { version, state } = await sides[i].replay(streams[i]);
      samples.replay[i].push(now() - t0);
      if (version !== REPLAY_LENGTH || state.revision !== REPLAY_LENGTH) throw new Error(`bench: ${sides[i].name} replayed ${version} events, revision ${state.revision}`);
    }
    const t0 = now();
    await rawFetch(pool, streams[0], REPLAY_LENGTH);
    samples.raw.push(now() - t0);
  }

  const settings = (await pool.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version') ORDER BY name`)).rows;
  console.log(`node ${process.version}; ${new Date().toISOString()}; ${rounds} interleaved rounds; server: ${settings.map((r) => `${r.name}=${r.setting}`).join(', ')}`);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after`);
  console.log('');
  console.log('| appends/s (median of rounds) | eventsmith | Emmett | eventsmith / Emmett (median of per-round ratios) | ratio range | eventsmith, no snapshots | no snapshots / Emmett | ratio range |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [s, sc] of scenarios.entries()) {
    const [es, em, bare] = samples.rates[s];
    const ratios = median(es.map((r, k) => r / em[k]));
    const bareRatios = median(bare.map((r, k) => r / em[k]));
    console.log(
      `| ${sc.label} (${sc.writers * sc.appends} appends per side per round) | ${median(es).median.toFixed(0)} | ${median(em).median.toFixed(0)} | ${ratios.median.toFixed(2)}× | ${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)} ` +
        `| ${median(bare).median.toFixed(0)} | ${bareRatios.median.toFixed(2)}× | ${bareRatios.min.toFixed(2)}–${bareRatios.max.toFixed(2)} |`,
    );
  }
  if (baselineDist !== undefined) {
    console.log('');
    console.log(`Baseline runtime: ${baselineDist}`);
    console.log('');
    console.log('| appends/s (median of rounds) | eventsmith | baseline | eventsmith / baseline (median of per-round ratios) | ratio range | baseline / Emmett | ratio range |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [s, sc] of scenarios.entries()) {
      const [es, em, , base] = samples.rates[s];
      const ratios = median(es.map((r, k) => r / base[k]));
      const baseRatios = median(base.map((r, k) => r / em[k]));
      console.log(
        `| ${sc.label} | ${median(es).median.toFixed(0)} | ${median(base).median.toFixed(0)} | ${ratios.median.toFixed(2)}× | ${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)} ` +
          `| ${baseRatios.median.toFixed(2)}× | ${baseRatios.min.toFixed(2)}–${baseRatios.max.toFixed(2)} |`,
      );
    }
  }
  const [esReplay, emReplay] = samples.replay;
  const replayRatio = median(esReplay.map((t, k) => t / emReplay[k]));
  const overRaw = median(esReplay.map((t, k) => t / samples.raw[k]));
  console.log('');
  console.log(`| full replay of ${REPLAY_LENGTH.toLocaleString('en-US')} events | ms (median) | range |`);
  console.log('|---|---:|---:|');
  console.log(`| eventsmith \`load\` (fetch, Avro decode, upcast, evolve) | ${median(esReplay).median.toFixed(1)} | ${median(esReplay).min.toFixed(1)}–${median(esReplay).max.toFixed(1)} |`);
  console.log(`| Emmett \`aggregateStream\` (fetch, JSON parse, evolve) | ${median(emReplay).median.toFixed(1)} | ${median(emReplay).min.toFixed(1)}–${median(emReplay).max.toFixed(1)} |`);
  console.log(`| raw fetch of the same rows (pg, the loader's columns and pages, no conversion) | ${median(samples.raw).median.toFixed(1)} | ${median(samples.raw).min.toFixed(1)}–${median(samples.raw).max.toFixed(1)} |`);
  console.log('');
  console.log(`eventsmith replay time / Emmett's: ${replayRatio.median.toFixed(2)} (range ${replayRatio.min.toFixed(2)}–${replayRatio.max.toFixed(2)})`);
  console.log(`eventsmith replay time / raw fetch: ${overRaw.median.toFixed(2)} (decode + upcast + evolve = ${(overRaw.median - 1).toFixed(2)}× the fetch)`);
} finally {
  await emmett.close();
  await pool.end();
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
