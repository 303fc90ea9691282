// Outbox pruning for the Debezium path against a real logical replication slot. Debezium confirms
// what it published by moving the slot's confirmed_flush_lsn; here the test moves it with
// pg_replication_slot_advance, so each case says exactly how far "Debezium" got. That Debezium
// itself moves it is test/kafka/debezium.test.ts.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OutboxPruner, insertOutbox, migrate } from '../../generator/runtime/postgres/index.js';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';

const SLOT = 'prune_test';
let cluster: PostgresCluster;
let pool: pg.Pool;

beforeAll(async () => {
  cluster = await startPostgres({ logical: true, ignoreDatabaseUrl: true });
  pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
  await migrate(pool);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await cluster?.stop();
});

beforeEach(async () => {
  await pool.query('TRUNCATE eventsmith_outbox');
  await pool.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [SLOT]);
  await pool.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [SLOT]);
});

async function write(label: string, count = 1): Promise<void> {
  await insertOutbox(
    pool,
    Array.from({ length: count }, () => ({ id: randomUUID(), aggregateType: 'Thing', aggregateId: label, type: 't', topic: 'things', payload: Buffer.from(label) })),
  );
}

async function remaining(): Promise<string[]> {
  const r = await pool.query<{ k: string }>('SELECT aggregateid AS k FROM eventsmith_outbox ORDER BY position');
  return r.rows.map((x) => x.k);
}

/**
 * What Debezium does once it has committed everything written so far. A slot moves only over
 * flushed WAL, and the test cluster commits asynchronously: a checkpoint flushes it all.
 */
async function slotConfirmsAll(): Promise<void> {
  await pool.query('CHECKPOINT');
  await pool.query('SELECT pg_replication_slot_advance($1, pg_current_wal_flush_lsn())', [SLOT]);
}

describe('OutboxPruner', () => {
  it('deletes only rows the slot has confirmed, one mark at a time', async () => {
    const pruner = new OutboxPruner(pool, { slotName: SLOT, batchSize: 7 });
    await write('a', 20);
    expect(await pruner.prune()).toBe(0); // takes the mark
    await write('b', 5);
    expect(await pruner.prune()).toBe(0); // slot has not moved
    expect(await remaining()).toHaveLength(25);
    await slotConfirmsAll();
    expect(await pruner.prune()).toBe(20); // the mark's rows, in batches of 7
    expect(await remaining()).toEqual(['b', 'b', 'b', 'b', 'b']);
    await slotConfirmsAll();
    expect(await pruner.prune()).toBe(5);
    expect(await remaining()).toEqual([]);
  });

  it('keeps rows of a transaction that commits after the mark, even when the slot is past it', async () => {
    const pruner = new OutboxPruner(pool, { slotName: SLOT });
    await write('early');
    const late = await pool.connect();
    try {
      await late.query('BEGIN');
      await late.query(`INSERT INTO eventsmith_outbox (id, aggregatetype, aggregateid, type, topic) VALUES ($1, 'Thing', 'late', 't', 'things')`, [randomUUID()]);
      await pruner.prune(); // mark: 'late' is invisible to its snapshot
      await late.query('COMMIT');
    } finally {
      late.release();
    }
    await slotConfirmsAll();
    expect(await pruner.prune()).toBe(1);
    expect(await remaining()).toEqual(['late']);
  });

  it('deletes nothing when the slot does not exist', async () => {
    const pruner = new OutboxPruner(pool, { slotName: 'no_such_slot' });
    await write('x', 3);
    await expect(pruner.prune()).rejects.toThrow(/replication slot 'no_such_slot' does not exist/);
    expect(await remaining()).toHaveLength(3);
  });
});
