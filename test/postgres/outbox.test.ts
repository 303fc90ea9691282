import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  OUTBOX_START,
  type OutboxCursor,
  type OutboxRecord,
  type Queryable,
  appendToStream,
  insertOutbox,
  loadOutboxCursor,
  markProcessed,
  migrate,
  pollOutbox,
  readOutbox,
  saveOutboxCursor,
} from '../../generator/runtime/postgres/index.js';
import { type Isolated, useTestDatabase } from './db.js';
import { event, labelOf } from './labelled.js';

const db = useTestDatabase();

/** The poller that DESIGN.md warns about: by sequence number alone. */
async function naivePoll(q: Queryable, afterPosition: bigint): Promise<{ labels: string[]; cursor: bigint }> {
  const r = await q.query(`SELECT position::text AS position, headers->>'ce_subject' AS label FROM eventsmith_outbox WHERE position > $1 ORDER BY position`, [afterPosition.toString()]);
  const rows = r.rows as { position: string; label: string }[];
  const last = rows[rows.length - 1];
  return { labels: rows.map((x) => x.label), cursor: last === undefined ? afterPosition : BigInt(last.position) };
}

async function poll(q: Queryable, cursor: OutboxCursor): Promise<{ labels: string[]; cursor: OutboxCursor }> {
  const batch = await readOutbox(q, cursor, 100);
  return { labels: batch.records.map(labelOf), cursor: batch.cursor };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads until `count` rows arrived. On a shared server (DATABASE_URL, or the globalSetup
 * cluster) other test files' open transactions hold pg_snapshot_xmin back for a while: rows
 * arrive late, never out of order, never twice.
 */
async function drain(q: Queryable, cursor: OutboxCursor, count: number, batchSize = 100): Promise<{ labels: string[]; cursor: OutboxCursor }> {
  const labels: string[] = [];
  const deadline = Date.now() + 15_000;
  while (labels.length < count && Date.now() < deadline) {
    const batch = await readOutbox(q, cursor, batchSize);
    labels.push(...batch.records.map(labelOf));
    cursor = batch.cursor;
    if (batch.records.length === 0) await sleep(5);
  }
  return { labels, cursor };
}

let iso: Isolated;
beforeAll(async () => {
  iso = await db.isolated({ max: 30 });
  await migrate(iso.pool);
});

async function begin(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
}

describe('gap-free outbox polling', () => {
  it('out-of-order commits: a sequence-number poller skips a row, the txid/xmin reader does not', async () => {
    const a = await iso.connect();
    const b = await iso.connect();
    const reader = iso.pool;
    await iso.pool.query('TRUNCATE eventsmith_outbox');

    // A inserts first (lower position), B second; B commits first.
    await begin(a);
    await appendToStream(a, { streamType: 'Doc', streamId: 'a', expectedVersion: 0, events: [event('A')] });
    await begin(b);
    await appendToStream(b, { streamType: 'Doc', streamId: 'b', expectedVersion: 0, events: [event('B')] });
    const positions = await iso.pool.query(`SELECT position::text AS p FROM eventsmith_outbox`);
    expect(positions.rowCount).toBe(0); // nothing committed yet
    await b.query('COMMIT');

    // Between B's commit and A's commit.
    const naive1 = await naivePoll(reader, 0n);
    const safe1 = await poll(reader, OUTBOX_START);
    expect(naive1.labels).toEqual(['B']); // the naive cursor jumps past A's position
    expect(safe1.labels).toEqual([]); // A is in flight: nothing at or above its txid is readable
    expect(safe1.cursor).toEqual(OUTBOX_START);

    await a.query('COMMIT');

    const naive2 = await naivePoll(reader, naive1.cursor);
    const safe2 = await drain(reader, safe1.cursor, 2);
    expect([...naive1.labels, ...naive2.labels]).toEqual(['B']); // A is lost forever
    expect([...safe1.labels, ...safe2.labels]).toEqual(['A', 'B']);
    const r = await readOutbox(reader, OUTBOX_START, 10); // both below the horizon now (drain saw them)
    expect(r.records[0]!.position).toBeLessThan(r.records[1]!.position);
    expect(r.records[0]!.txid).toBeLessThan(r.records[1]!.txid);
    expect((await poll(reader, safe2.cursor)).labels).toEqual([]);
  });

  it('pages in numeric (txid, position) order (past 9 → 10, where text order would differ)', async () => {
    const fresh = await db.isolated();
    await migrate(fresh.pool);
    const tx = await fresh.connect();
    await begin(tx);
    await appendToStream(tx, { streamType: 'Doc', streamId: 'n', expectedVersion: 0, events: Array.from({ length: 23 }, (_, i) => event(`n${i + 1}`)) });
    await tx.query('COMMIT');
    for (let i = 0; i < 3; i++) await appendToStream(fresh.pool, { streamType: 'Doc', streamId: `m${i}`, expectedVersion: 0, events: [event(`m${i}`)] });
    const { labels: seen, cursor } = await drain(fresh.pool, OUTBOX_START, 26, 4);
    expect((await poll(fresh.pool, cursor)).labels).toEqual([]);
    expect(seen).toEqual([...Array.from({ length: 23 }, (_, i) => `n${i + 1}`), 'm0', 'm1', 'm2']);
  });

  it('a transaction that got its id first but inserts and commits last holds back younger rows until it commits', async () => {
    const older = await iso.connect();
    const younger = await iso.connect();
    await iso.pool.query('TRUNCATE eventsmith_outbox');

    await begin(older);
    await older.query('SELECT pg_current_xact_id()'); // takes a transaction id now
    await begin(younger);
    await appendToStream(younger, { streamType: 'Doc', streamId: 'y', expectedVersion: 0, events: [event('Y')] });
    await younger.query('COMMIT');
    await appendToStream(older, { streamType: 'Doc', streamId: 'o', expectedVersion: 0, events: [event('O')] });

    const first = await poll(iso.pool, OUTBOX_START);
    expect(first.labels).toEqual([]); // Y committed, but the older transaction may still write below it
    await older.query('COMMIT');
    const second = await drain(iso.pool, first.cursor, 2);
    expect(second.labels).toEqual(['O', 'Y']); // transaction-id order, though O has the higher position
  });

  it('delivers every row exactly once under concurrent writers with random commit order, in version order per stream', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const streams = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const perStream = 15;

    const writers = streams.map(async (streamId) => {
      let version = 0;
      while (version < perStream) {
        const tx = await iso.pool.connect();
        try {
          await tx.query('BEGIN');
          // Take a transaction id early sometimes, as a business write before the append would.
          if (Math.random() < 0.5) await tx.query('SELECT pg_current_xact_id()');
          await sleep(Math.random() * 8);
          await appendToStream(tx, { streamType: 'Doc', streamId, expectedVersion: version, events: [event(`${streamId}:${version + 1}`)] });
          await sleep(Math.random() * 8);
          await tx.query('COMMIT');
          version++;
        } catch (err) {
          await tx.query('ROLLBACK');
          if (!(err instanceof ConcurrencyError)) throw err;
        } finally {
          tx.release();
        }
      }
    });

    // Reads in small batches while the writers run, until all rows arrived (or a timeout).
    const reader = drain(iso.pool, OUTBOX_START, streams.length * perStream, 7);
    await Promise.all(writers);
    const { labels: delivered, cursor } = await reader;
    expect((await poll(iso.pool, cursor)).labels).toEqual([]);

    expect(delivered).toHaveLength(streams.length * perStream);
    expect(new Set(delivered).size).toBe(delivered.length);
    for (const s of streams) {
      const versions = delivered.filter((l) => l.startsWith(`${s}:`)).map((l) => Number(l.split(':')[1]));
      expect(versions).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
    }
  });
});

describe('outbox order for one aggregate', () => {
  it('refuses an append by a transaction older than the stream’s last append, so txid order stays commit order', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const t2 = await iso.connect();
    const t1 = await iso.connect();
    const id = randomUUID();

    await begin(t2);
    await t2.query('SELECT pg_current_xact_id()'); // T2 is older
    await begin(t1);
    await appendToStream(t1, { streamType: 'Doc', streamId: id, expectedVersion: 0, events: [event('v1')] });
    await t1.query('COMMIT');

    // T2 (loading after T1's commit) sees version 1 and appends v2: accepted, its outbox row
    // would be delivered before v1 (smaller txid). So it is a conflict, and T2 stays usable.
    const err = await appendToStream(t2, { streamType: 'Doc', streamId: id, expectedVersion: 1, events: [event('v2')] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ expected: 1, actual: 1, conflict: 'transaction-order' });
    expect((err as Error).message).toMatch(/retry in a new transaction/);
    await t2.query('ROLLBACK');

    await begin(t2);
    await appendToStream(t2, { streamType: 'Doc', streamId: id, expectedVersion: 1, events: [event('v2')] });
    await t2.query('COMMIT');
    expect((await drain(iso.pool, OUTBOX_START, 2)).labels).toEqual(['v1', 'v2']);
  });

  it('lets one transaction append to a stream more than once', async () => {
    const tx = await iso.connect();
    const id = randomUUID();
    await begin(tx);
    await appendToStream(tx, { streamType: 'Doc', streamId: id, expectedVersion: 0, events: [event('x1')] });
    await appendToStream(tx, { streamType: 'Doc', streamId: id, expectedVersion: 1, events: [event('x2'), event('x3')] });
    await tx.query('COMMIT');
    const rows = await iso.pool.query(`SELECT headers->>'ce_subject' AS l FROM eventsmith_outbox WHERE aggregateid = $1 ORDER BY txid, position`, [id]);
    expect(rows.rows.map((r: { l: string }) => r.l)).toEqual(['x1', 'x2', 'x3']);
  });
});

describe('relay building blocks', () => {
  it('pollOutbox publishes each batch once, persists the cursor, and retries a batch whose publish failed', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const relay = `relay-${randomUUID()}`;
    for (let i = 1; i <= 5; i++) await appendToStream(iso.pool, { streamType: 'Doc', streamId: 'p', expectedVersion: i - 1, events: [event(`p${i}`)] });
    const published: string[] = [];
    const publish = async (rs: readonly OutboxRecord[]): Promise<void> => void published.push(...rs.map(labelOf));
    // Until rows are visible (see drain), polls return 0.
    const pollUntilSome = async (handler: (rs: readonly OutboxRecord[]) => Promise<void>): Promise<number> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const n = await pollOutbox(iso.pool, { relay, limit: 3 }, handler);
        if (n > 0 || Date.now() > deadline) return n;
        await sleep(5);
      }
    };
    expect(await pollUntilSome(publish)).toBeGreaterThan(0);
    const afterFirst = published.length;
    let failedBatch: string[] = [];
    await expect(
      pollUntilSome(async (rs) => {
        failedBatch = rs.map(labelOf);
        throw new Error('kafka down');
      }),
    ).rejects.toThrow('kafka down');
    expect(failedBatch[0]).toBe(`p${afterFirst + 1}`); // the cursor did not move past a failed batch
    while (published.length < 5 && (await pollUntilSome(publish)) > 0);
    expect(await pollOutbox(iso.pool, { relay, limit: 3 }, publish)).toBe(0);
    expect(published).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    const unpublished = await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_outbox WHERE published_at IS NULL');
    expect(unpublished.rows[0]).toEqual({ n: 0 });

    // Two relays of one name take turns: nothing is published twice.
    for (let i = 6; i <= 25; i++) await appendToStream(iso.pool, { streamType: 'Doc', streamId: 'p', expectedVersion: i - 1, events: [event(`p${i}`)] });
    const twice: string[] = [];
    const deadline = Date.now() + 15_000;
    await Promise.all(
      [0, 1].map(async () => {
        while (twice.length < 20 && Date.now() < deadline) {
          if ((await pollOutbox(iso.pool, { relay, limit: 4 }, async (rs) => void twice.push(...rs.map(labelOf)))) === 0) await sleep(5);
        }
      }),
    );
    expect(twice).toEqual(Array.from({ length: 20 }, (_, i) => `p${i + 6}`));
  });

  it('saveOutboxCursor never moves a cursor backwards', async () => {
    const relay = `relay-${randomUUID()}`;
    expect(await loadOutboxCursor(iso.pool, relay)).toEqual(OUTBOX_START);
    await saveOutboxCursor(iso.pool, relay, { txid: 900n, position: 5n });
    await saveOutboxCursor(iso.pool, relay, { txid: 800n, position: 50n });
    expect(await loadOutboxCursor(iso.pool, relay)).toEqual({ txid: 900n, position: 5n });
    await saveOutboxCursor(iso.pool, relay, { txid: 900n, position: 6n });
    expect(await loadOutboxCursor(iso.pool, relay)).toEqual({ txid: 900n, position: 6n });
  });

  it('insertOutbox writes standalone messages (tombstones included) in order', async () => {
    await iso.pool.query('TRUNCATE eventsmith_outbox');
    const ids = [randomUUID(), randomUUID()];
    const positions = await insertOutbox(iso.pool, [
      { id: ids[0]!, aggregateType: 'Saga', aggregateId: 'k1', type: 'com.example.cmd', topic: 'commands', payload: Uint8Array.of(1, 2, 3), headers: { ce_subject: 'first' }, contentType: 'application/avro' },
      { id: ids[1]!, aggregateType: 'Saga', aggregateId: 'k1', type: 'com.example.cmd', topic: 'commands', payload: null },
    ]);
    expect(positions).toHaveLength(2);
    await drain(iso.pool, OUTBOX_START, 2);
    const batch = await readOutbox(iso.pool, OUTBOX_START, 10);
    expect(batch.records.map((r) => [r.id, r.aggregateId, r.payload === null ? null : [...r.payload], r.contentType, r.headers])).toEqual([
      [ids[0], 'k1', [1, 2, 3], 'application/avro', { ce_subject: 'first' }],
      [ids[1], 'k1', null, null, {}],
    ]);
  });

  it('outbox inserts notify only while a relay’s wake_until lies ahead (concurrent appends need not queue on NOTIFY)', async () => {
    const listener = await iso.connect();
    const heard: string[] = [];
    listener.on('notification', (m) => {
      // Other test files notify on the same channel with their own schema.
      if (m.payload === iso.schema || m.payload?.startsWith('marker ') === true) heard.push(m.payload === iso.schema ? 'insert' : m.payload);
    });
    await listener.query('LISTEN eventsmith_outbox');
    // Notifications arrive in commit order: once a marker sent after an append is heard, the
    // append's own notification, had there been one, was heard before it.
    const markerHeard = async (marker: string): Promise<void> => {
      await iso.pool.query(`SELECT pg_notify('eventsmith_outbox', $1)`, [`marker ${marker}`]);
      const deadline = Date.now() + 10_000;
      while (!heard.includes(`marker ${marker}`) && Date.now() < deadline) await sleep(5);
    };
    const setWakeUntil = (sql: string): Promise<unknown> =>
      iso.pool.query(`INSERT INTO eventsmith_outbox_cursors (relay, txid, position, wake_until) VALUES ('waiting', '0'::xid8, 0, ${sql})
                      ON CONFLICT (relay) DO UPDATE SET wake_until = excluded.wake_until`);
    try {
      await setWakeUntil('NULL');
      await appendToStream(iso.pool, { streamType: 'Wake', streamId: 'w1', expectedVersion: 0, events: [event('nobody waits')] });
      await markerHeard('1');
      await setWakeUntil(`now() + interval '1 minute'`);
      await appendToStream(iso.pool, { streamType: 'Wake', streamId: 'w1', expectedVersion: 1, events: [event('a relay waits')] });
      await markerHeard('2');
      await setWakeUntil(`now() - interval '1 second'`); // a relay that died while waiting
      await insertOutbox(iso.pool, [{ id: randomUUID(), aggregateType: 'Wake', aggregateId: 'w1', type: 'x', topic: 'labels', payload: null }]);
      await markerHeard('3');
      expect(heard).toEqual(['marker 1', 'insert', 'marker 2', 'marker 3']);
    } finally {
      await iso.pool.query(`DELETE FROM eventsmith_outbox_cursors WHERE relay = 'waiting'`);
    }
  });

  it('markProcessed is true the first time per consumer group only', async () => {
    const id = 'not-necessarily-a-uuid';
    expect(await markProcessed(iso.pool, 'g1', id)).toBe(true);
    expect(await markProcessed(iso.pool, 'g1', id)).toBe(false);
    expect(await markProcessed(iso.pool, 'g2', id)).toBe(true);
  });
});
