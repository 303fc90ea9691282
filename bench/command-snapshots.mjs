// Long-lived aggregates driven only by commands (the consumer's batched command path:
// commandHandler in a TransactionScope, loadMany/appendMany in the transaction), on a throwaway
// PostgreSQL: what each command transaction's load replays and what it costs, for two builds of
// the runtime side by side in one process (rounds alternated): this tree's dist/ and another
// tree's (--baseline DIR, e.g. a checkout of main built with `npm run build`).
//
// The aggregate is the example's Inventory (state: available, and a map of open reservations,
// one entry per order holding stock), `snapshotEvery` 20 as in the example (--every N), 12 products: each transaction carries
// --batch ReserveStock commands (default 24) for random products, as the example's inventory
// consumer gets them. Per round and build: --transactions transactions (default 100) on fresh
// streams. Printed: per build the median time per transaction (from BEGIN to COMMIT returning,
// the same as the runner's), the events replayed per transaction's load (applied on top of the
// snapshot it started from), and the snapshots written.
//
// Usage: node bench/command-snapshots.mjs --baseline /tmp/main [--rounds 5] [--transactions 100] [--batch 24] [--every 20]
// DATABASE_URL, if set, is used instead of a throwaway server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { startPostgres } from '../generator/dev/postgres.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const baseline = option('--baseline');
const rounds = Number(option('--rounds', '5'));
const transactions = Number(option('--transactions', '100'));
const batch = Number(option('--batch', '24'));
const PRODUCTS = 12;
const EVERY = Number(option('--every', '20'));

const load = async (dir) => import(pathToFileURL(path.join(dir, 'dist/generator/runtime/index.js')).href);
const builds = [{ name: 'this tree', runtime: await load(root) }];
if (baseline !== undefined) builds.push({ name: `baseline (${baseline})`, runtime: await load(path.resolve(baseline)) });

const NS = 'com.example.bench';
const TYPES = { reserved: `${NS}.inventory.stockreserved`, reserve: `${NS}.inventory.command.reserve-stock` };

/** The example's Inventory, on one runtime build. */
function inventory(runtime, pool, counters) {
  const { createCodec, createRepository } = runtime;
  const reserved = createCodec({ type: 'record', name: 'StockReserved', namespace: NS, fields: [{ name: 'orderId', type: 'string' }, { name: 'quantity', type: 'int' }] });
  const stateCodec = createCodec({
    type: 'record',
    name: 'InventoryState',
    namespace: NS,
    fields: [
      { name: 'available', type: 'long' },
      { name: 'reservations', type: { type: 'map', values: 'int' } },
    ],
  });
  const repo = createRepository(pool, {
    streamType: 'Inventory',
    topic: 'inventory',
    source: '/bench',
    encoding: 'avro',
    streamId: (id) => id,
    codecs: { [TYPES.reserved]: { 1: reserved } },
    upcast: (e) => e,
    initialState: { available: 1_000_000n, reservations: {} },
    // As the example's reducer: a copy of the map per event.
    evolve: (s, e) => ({ available: s.available - BigInt(e.data.quantity), reservations: { ...s.reservations, [e.data.orderId]: e.data.quantity } }),
    snapshotEvery: EVERY,
    stateCodec,
  }, { onSnapshotError: (err) => console.error('snapshot failed', err) });
  // Counts what the transactions' loads replay.
  const loadMany = repo.loadMany.bind(repo);
  return {
    ...repo,
    loadMany: async (ids, options) => {
      const loaded = await loadMany(ids, options);
      for (const r of loaded) if (r.status === 'fulfilled') counters.replayed += r.value.eventsApplied;
      return loaded;
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cluster = process.env.DATABASE_URL ? undefined : await startPostgres();
const url = process.env.DATABASE_URL ?? cluster.url;
console.error(`PostgreSQL at ${url.replace(/\/\/[^@]*@/, "//")}`);
const results = builds.map(() => ({ perTx: [], replayed: [], snapshots: [] }));
try {
  for (let round = 0; round < rounds; round++) {
    // Alternate which build goes first.
    const order = round % 2 === 0 ? builds.map((_, k) => k) : builds.map((_, k) => builds.length - 1 - k);
    for (const k of order) {
      const { runtime } = builds[k];
      const schema = `bench_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 4 });
      try {
        await runtime.migrate(pool);
        const counters = { replayed: 0 };
        const repo = inventory(runtime, pool, counters);
        const handler = runtime.commandHandler(repo, (_state, command) => [{ type: TYPES.reserved, data: { orderId: command.orderId, quantity: command.quantity } }]);
        const products = Array.from({ length: PRODUCTS }, () => randomUUID());
        const times = [];
        let seed = 7 + round;
        const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let t = 0; t < transactions; t++) {
          const commands = Array.from({ length: batch }, () => {
            const product = products[Math.floor(random() * PRODUCTS)];
            return runtime.makeEnvelope({ type: TYPES.reserve, dataversion: 1, source: '/bench', subject: product, data: { orderId: randomUUID(), quantity: 1 + Math.floor(random() * 3) } });
          });
          const client = await pool.connect();
          try {
            const scope = runtime.transactionScope();
            const started = performance.now();
            await client.query('BEGIN');
            for (const [i, c] of commands.entries()) {
              await handler(c, { tx: client, groupId: 'bench', topic: 'inventory.commands', partition: 0, offset: String(i), attempt: 1, writerVersion: 1, transaction: scope });
            }
            await scope.commit();
            await client.query('COMMIT');
            times.push(performance.now() - started);
            // The runner's after-commit step (absent in a build without it).
            scope.committed?.();
          } finally {
            client.release();
          }
        }
        await repo.settled();
        const snaps = await pool.query('SELECT count(*)::int AS n FROM eventsmith_snapshots');
        results[k].perTx.push(median(times));
        results[k].replayed.push(counters.replayed / transactions);
        results[k].snapshots.push(snaps.rows[0].n);
        console.log(`round ${round + 1} ${builds[k].name}: median ${median(times).toFixed(2)} ms/transaction, ${(counters.replayed / transactions).toFixed(1)} events replayed/transaction, ${snaps.rows[0].n} snapshot rows`);
      } finally {
        await pool.end();
      }
    }
  }
} finally {
  await cluster?.stop();
}
console.log(`\n${transactions} transactions of ${batch} ReserveStock over ${PRODUCTS} products (${(transactions * batch) / PRODUCTS} events per stream at the end), snapshotEvery ${EVERY}, ${rounds} rounds:`);
for (const [k, b] of builds.entries()) {
  const r = results[k];
  console.log(`  ${b.name}: median ms/transaction ${median(r.perTx).toFixed(2)} (rounds ${Math.min(...r.perTx).toFixed(2)}-${Math.max(...r.perTx).toFixed(2)}), events replayed/transaction ${median(r.replayed).toFixed(1)}`);
}
if (builds.length === 2) {
  console.log(`  ratio (this tree / baseline), ms/transaction: ${(median(results[0].perTx) / median(results[1].perTx)).toFixed(3)}; events replayed: ${(median(results[0].replayed) / median(results[1].replayed)).toFixed(3)}`);
}
