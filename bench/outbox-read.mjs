// The two outbox readers over the same 50,000 committed rows, alternated: readOutbox (gap-free, the
// old relay's) and readCommittedOutbox (the relay's since it publishes above the xmin horizon),
// batches of 1,000, each pass inside one transaction as the relay reads. Usage:
//   npm run build && node bench/outbox-read.mjs [--rows 50000] [--rounds 5]
import pg from 'pg';
import { startPostgres } from '../generator/dev/postgres.mjs';
import { median } from './timing.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const ROWS = arg('--rows', 50_000);
const ROUNDS = arg('--rounds', 5);
const BATCH = 1000;
const { migrate, readOutbox, readCommittedOutbox, OUTBOX_START, OUTBOX_PROGRESS_START } = await import('../dist/generator/runtime/index.js');

const server = await startPostgres();
const pool = new pg.Pool({ connectionString: server.url, max: 4 });
try {
  await migrate(pool);
  await pool.query(`INSERT INTO eventsmith_outbox (id, aggregatetype, aggregateid, type, topic, payload, headers, content_type, txid)
    SELECT gen_random_uuid(), 'Counter', 'c' || (i % 500), 'com.example.counter.incremented', 'bench', decode(repeat('ab', 40), 'hex'),
           '{"ce_specversion":"1.0","ce_id":"x","ce_source":"/bench","ce_type":"com.example.counter.incremented"}'::jsonb, 'application/avro', pg_current_xact_id()
      FROM generate_series(1, $1) AS i`, [ROWS]);
  await pool.query('VACUUM ANALYZE eventsmith_outbox');
  const pass = async (committed) => {
    const client = await pool.connect();
    const t0 = process.hrtime.bigint();
    let read = 0;
    try {
      await client.query('BEGIN');
      if (committed) {
        for (let progress = OUTBOX_PROGRESS_START; ; ) {
          const b = await readCommittedOutbox(client, progress, BATCH);
          if (b.records.length === 0) break;
          read += b.records.length;
          progress = b.progress;
        }
      } else {
        for (let cursor = OUTBOX_START; ; ) {
          const b = await readOutbox(client, cursor, BATCH);
          if (b.records.length === 0) break;
          read += b.records.length;
          cursor = b.cursor;
        }
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    if (read !== ROWS) throw new Error(`read ${read} of ${ROWS}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const times = { gapFree: [], committed: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const committed of order) times[committed ? 'committed' : 'gapFree'].push(await pass(committed));
  }
  const g = median(times.gapFree);
  const c = median(times.committed);
  console.log(`rows ${ROWS}, batches of ${BATCH}, ${ROUNDS} rounds alternated`);
  console.log(`readOutbox (gap-free)        ${Math.round(g)} ms median, ${Math.round((ROWS / g) * 1000)} rows/s`);
  console.log(`readCommittedOutbox          ${Math.round(c)} ms median, ${Math.round((ROWS / c) * 1000)} rows/s, ${(c / g).toFixed(2)}x the time`);
} finally {
  await pool.end();
  await server.stop();
}
