import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AggregateDefinition,
  ConcurrencyError,
  DuplicateEventError,
  EventDecodeError,
  type NewEvent,
  appendToStream,
  appendToStreams,
  loadAggregate,
  loadAggregates,
  loadSnapshot,
  migrate,
  readAll,
  readStream,
  saveAggregateSnapshot,
  saveSnapshot,
  streamVersion,
} from '../../generator/runtime/postgres/index.js';
import { type Isolated, useTestDatabase } from './db.js';

const db = useTestDatabase();

// A trivial aggregate with JSON-encoded events: a counter and a list.
type CounterEvent = { type: 'Incremented'; by: number } | { type: 'Added'; item: string } | { type: 'Cleared' };
interface CounterState {
  readonly count: number;
  readonly items: readonly string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function parseObject(bytes: Uint8Array): Record<string, unknown> {
  const v: unknown = JSON.parse(decoder.decode(bytes));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('not a JSON object');
  return v as Record<string, unknown>;
}

function evolve(state: CounterState, e: CounterEvent): CounterState {
  switch (e.type) {
    case 'Incremented':
      return { ...state, count: state.count + e.by };
    case 'Added':
      return { ...state, items: [...state.items, e.item] };
    case 'Cleared':
      return { count: 0, items: [] };
  }
}

const initialState = (): CounterState => ({ count: 0, items: [] });

function counter(fingerprint = 'counter-v1'): AggregateDefinition<CounterState, CounterEvent> {
  return {
    streamType: 'Counter',
    initialState,
    evolve,
    decoders: {
      Incremented: (r) => {
        const o = parseObject(r.data);
        if (typeof o.by !== 'number') throw new TypeError('by: expected a number');
        return { type: 'Incremented', by: o.by };
      },
      Added: (r) => {
        const o = parseObject(r.data);
        if (typeof o.item !== 'string') throw new TypeError('item: expected a string');
        return { type: 'Added', item: o.item };
      },
      Cleared: () => ({ type: 'Cleared' }),
    },
    snapshot: {
      fingerprint,
      contentType: 'application/json',
      encode: (s) => json(s),
      decode: (bytes) => {
        const o = parseObject(bytes);
        if (typeof o.count !== 'number' || !Array.isArray(o.items)) throw new TypeError('bad snapshot');
        return { count: o.count, items: o.items.map(String) };
      },
    },
  };
}

function toNewEvent(e: CounterEvent, withOutbox = true): NewEvent {
  const { type, ...data } = e;
  const bytes = json(data);
  return {
    eventId: randomUUID(),
    eventType: type,
    schemaVersion: 1,
    data: bytes,
    contentType: 'application/json',
    metadata: { correlationId: 'c-1' },
    ...(withOutbox ? { outbox: { topic: 'counters', payload: bytes, headers: { ce_type: type } } } : {}),
  };
}

async function count(pool: pg.Pool, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const r = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params);
  return Number(r.rows[0]?.n);
}

async function versionsOf(pool: pg.Pool, streamId: string): Promise<number[]> {
  const r = await pool.query<{ v: number }>(
    `SELECT stream_version AS v FROM eventsmith_events WHERE stream_type = 'Counter' AND stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );
  return r.rows.map((x) => x.v);
}

/** Fails instead of hanging if `promise` waits on a lock. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms (blocked on a lock?)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Deterministic PRNG (mulberry32) so that a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let shared: Isolated;
beforeAll(async () => {
  shared = await db.isolated({ max: 60 });
  await migrate(shared.pool);
});

describe('appendToStream and reads', () => {
  it('stores events with their outbox rows and reads them back', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const occurredAt = new Date('2024-02-29T12:34:56.789Z');
    const events = [toNewEvent({ type: 'Incremented', by: 2 }), { ...toNewEvent({ type: 'Added', item: 'ünï©ødé' }), occurredAt }];
    const r1 = await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events });
    expect(r1.streamVersion).toBe(2);
    expect(r1.globalPositions).toHaveLength(2);
    expect(r1.globalPositions[1]! - r1.globalPositions[0]!).toBe(1n);
    const r2 = await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 2, events: [toNewEvent({ type: 'Cleared' }, false)] });
    expect(r2.streamVersion).toBe(3);
    expect(await streamVersion(pool, 'Counter', id)).toBe(3);

    const read = await readStream(pool, 'Counter', id);
    expect(read.map((e) => [e.streamVersion, e.eventType, e.eventId])).toEqual([
      [1, 'Incremented', events[0]!.eventId],
      [2, 'Added', events[1]!.eventId],
      [3, 'Cleared', expect.any(String)],
    ]);
    expect(Buffer.from(read[1]!.data).toString()).toBe('{"item":"ünï©ødé"}');
    expect(read[1]!.occurredAt.toISOString()).toBe(occurredAt.toISOString());
    expect(read[0]!.metadata).toEqual({ correlationId: 'c-1' });
    expect(read[0]!.globalPosition).toBe(r1.globalPositions[0]);
    expect((await readStream(pool, 'Counter', id, { fromVersion: 2, limit: 1 })).map((e) => e.streamVersion)).toEqual([2]);

    const all = await readAll(pool, r1.globalPositions[0]! - 1n, 10);
    expect(all.slice(0, 3).map((e) => e.streamVersion)).toEqual([1, 2, 3]);

    const outbox = await pool.query(
      `SELECT id::text, aggregatetype, aggregateid, type, topic, headers, content_type, convert_from(payload, 'UTF8') AS payload
         FROM eventsmith_outbox WHERE aggregateid = $1 ORDER BY position`,
      [id],
    );
    expect(outbox.rows).toEqual([
      { id: events[0]!.eventId, aggregatetype: 'Counter', aggregateid: id, type: 'Incremented', topic: 'counters', headers: { ce_type: 'Incremented' }, content_type: 'application/json', payload: '{"by":2}' },
      { id: events[1]!.eventId, aggregatetype: 'Counter', aggregateid: id, type: 'Added', topic: 'counters', headers: { ce_type: 'Added' }, content_type: 'application/json', payload: '{"item":"ünï©ødé"}' },
    ]);
  });

  it("gives binary-mode CloudEvents outbox headers the event's stream version (ce_streamversion), unless set; other headers stay as given", async () => {
    const { pool } = shared;
    const id = randomUUID();
    const cloudEvent = (e: NewEvent, headers: Readonly<Record<string, string>>): NewEvent => ({ ...e, outbox: { topic: 'counters', payload: null, headers } });
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Incremented', by: 1 }, false)] });
    await appendToStream(pool, {
      streamType: 'Counter',
      streamId: id,
      expectedVersion: 1,
      events: [
        cloudEvent(toNewEvent({ type: 'Incremented', by: 2 }, false), { ce_specversion: '1.0', ce_type: 'Incremented' }),
        cloudEvent(toNewEvent({ type: 'Incremented', by: 3 }, false), { ce_specversion: '1.0', ce_streamversion: '99' }),
        cloudEvent(toNewEvent({ type: 'Incremented', by: 4 }, false), { ce_type: 'Incremented' }),
        cloudEvent(toNewEvent({ type: 'Incremented', by: 5 }, false), { ce_specversion: '1.0' }),
      ],
    });
    const rows = await pool.query('SELECT headers FROM eventsmith_outbox WHERE aggregateid = $1 ORDER BY position', [id]);
    expect(rows.rows.map((r: { headers: unknown }) => r.headers)).toEqual([
      { ce_specversion: '1.0', ce_type: 'Incremented', ce_streamversion: '2' },
      { ce_specversion: '1.0', ce_streamversion: '99' },
      { ce_type: 'Incremented' },
      { ce_specversion: '1.0', ce_streamversion: '5' },
    ]);
  });

  it('readAll pages in numeric position order (past 9 → 10, where text order would differ)', async () => {
    const fresh = await db.isolated();
    await migrate(fresh.pool);
    await appendToStream(fresh.pool, { streamType: 'Counter', streamId: 'x', expectedVersion: 0, events: Array.from({ length: 23 }, (_, i) => toNewEvent({ type: 'Incremented', by: i }, false)) });
    const seen: bigint[] = [];
    for (let after = 0n; ; ) {
      const page = await readAll(fresh.pool, after, 5);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.globalPosition));
      after = page[page.length - 1]!.globalPosition;
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => BigInt(i + 1)));
    const stream = await readStream(fresh.pool, 'Counter', 'x', { fromVersion: 8, limit: 4 });
    expect(stream.map((e) => e.streamVersion)).toEqual([8, 9, 10, 11]);
  });

  it('reports a wrong expected version with the version found, writing nothing', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' })] });
    for (const expected of [0, 2, 7]) {
      const err = await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: expected, events: [toNewEvent({ type: 'Cleared' })] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ streamType: 'Counter', streamId: id, expected, actual: 1, conflict: 'version-mismatch' });
    }
    const missing = await appendToStream(pool, { streamType: 'Counter', streamId: randomUUID(), expectedVersion: 3, events: [toNewEvent({ type: 'Cleared' })] }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ expected: 3, actual: 0 });
    expect((missing as Error).message).toMatch(/^concurrency conflict on Counter ".+": expected version 3, found 0$/);
    expect(await versionsOf(pool, id)).toEqual([1]);
    expect(await count(pool, 'eventsmith_outbox', 'aggregateid = $1', [id])).toBe(1);
  });

  it('rejects a duplicate event id without writing anything', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const e = toNewEvent({ type: 'Cleared' });
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [e] });
    const err = await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 1, events: [toNewEvent({ type: 'Cleared' }), e] }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DuplicateEventError);
    expect(await versionsOf(pool, id)).toEqual([1]);
    expect(await streamVersion(pool, 'Counter', id)).toBe(1);
  });
});

describe('optimistic concurrency', () => {
  it('50 concurrent appends to a new stream: one wins, 49 get ConcurrencyError, no gap or duplicate', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        appendToStream(pool, {
          streamType: 'Counter',
          streamId: id,
          expectedVersion: 0,
          events: [toNewEvent({ type: 'Added', item: `w${i}` }), toNewEvent({ type: 'Incremented', by: i })],
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const e of lost) {
      expect(e).toBeInstanceOf(ConcurrencyError);
      expect(e).toMatchObject({ expected: 0, actual: 2, conflict: 'version-mismatch' });
    }
    expect(await versionsOf(pool, id)).toEqual([1, 2]);
    expect(await count(pool, 'eventsmith_outbox', 'aggregateid = $1', [id])).toBe(2);
  });

  it('50 concurrent appends at the same version inside caller transactions: one commits, the others can still roll back cleanly', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [1, 2, 3].map((by) => toNewEvent({ type: 'Incremented', by })) });
    await pool.query('CREATE TABLE IF NOT EXISTS audit (stream_id text, note text)');

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const tx = await pool.connect();
        try {
          await tx.query('BEGIN');
          await tx.query('INSERT INTO audit VALUES ($1, $2)', [id, `writer ${i}`]);
          try {
            await appendToStream(tx, { streamType: 'Counter', streamId: id, expectedVersion: 3, events: [toNewEvent({ type: 'Added', item: `w${i}` }), toNewEvent({ type: 'Cleared' })] });
          } catch (err) {
            // The transaction is not aborted by the conflict: it can still run statements.
            await tx.query('SELECT 1');
            await tx.query('ROLLBACK');
            return err;
          }
          await tx.query('COMMIT');
          return 'committed';
        } finally {
          tx.release();
        }
      }),
    );
    expect(outcomes.filter((o) => o === 'committed')).toHaveLength(1);
    const conflicts = outcomes.filter((o) => o !== 'committed');
    expect(conflicts).toHaveLength(49);
    for (const c of conflicts) expect(c).toMatchObject({ name: 'ConcurrencyError', expected: 3, actual: 5 });
    expect(await versionsOf(pool, id)).toEqual([1, 2, 3, 4, 5]);
    expect(await count(pool, 'audit', 'stream_id = $1', [id])).toBe(1);
    expect(await count(pool, 'eventsmith_outbox', 'aggregateid = $1', [id])).toBe(5);
  });

  it('sequential writers racing on a hot stream never leave a gap or a duplicate', async () => {
    const { pool } = shared;
    const id = randomUUID();
    // 20 writers, each appending 5 times with reload-and-retry on conflict.
    await Promise.all(
      Array.from({ length: 20 }, async (_, w) => {
        for (let n = 0; n < 5; n++) {
          for (;;) {
            const v = await streamVersion(pool, 'Counter', id);
            try {
              await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: v, events: [toNewEvent({ type: 'Added', item: `${w}.${n}` })] });
              break;
            } catch (err) {
              if (!(err instanceof ConcurrencyError)) throw err;
            }
          }
        }
      }),
    );
    expect(await versionsOf(pool, id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const loaded = await loadAggregate(pool, counter(), id);
    expect(new Set(loaded.state.items).size).toBe(100);
  });
});

describe('several streams in one statement (appendToStreams, loadAggregates)', () => {
  it('appends to several streams, chained appends to one: positions, versions and ce_streamversion as one append each; a stream that moved is refused alone', async () => {
    const { pool } = shared;
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await appendToStream(pool, { streamType: 'Counter', streamId: b, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' })] });
    await appendToStream(pool, { streamType: 'Counter', streamId: c, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' }), toNewEvent({ type: 'Cleared' })] });
    const spec = (e: CounterEvent): NewEvent => {
      const n = toNewEvent(e);
      return { ...n, outbox: { topic: 'counters', payload: n.data, headers: { ce_specversion: '1.0', ce_type: e.type } } };
    };
    const results = await appendToStreams(pool, [
      { streamType: 'Counter', streamId: a, expectedVersion: 0, events: [spec({ type: 'Incremented', by: 1 }), spec({ type: 'Added', item: 'x' })] },
      { streamType: 'Counter', streamId: b, expectedVersion: 1, events: [spec({ type: 'Incremented', by: 2 })] },
      { streamType: 'Counter', streamId: c, expectedVersion: 1, events: [spec({ type: 'Incremented', by: 9 })] },
      { streamType: 'Counter', streamId: a, expectedVersion: 2, events: [spec({ type: 'Incremented', by: 3 })] },
    ]);
    expect(results.map((r) => (r instanceof ConcurrencyError ? [r.conflict, r.expected, r.actual] : r.streamVersion))).toEqual([2, 2, ['version-mismatch', 1, 2], 3]);
    const positions = results.flatMap((r) => (r instanceof ConcurrencyError ? [] : r.globalPositions));
    expect(positions).toHaveLength(4);
    expect([...positions].sort((x, y) => (x < y ? -1 : 1))).toEqual(positions);
    expect(await versionsOf(pool, a)).toEqual([1, 2, 3]);
    expect(await versionsOf(pool, c)).toEqual([1, 2]);
    expect((await loadAggregate(pool, counter(), a)).state).toEqual({ count: 4, items: ['x'] });
    const outbox = await pool.query<{ aggregateid: string; v: string }>(
      `SELECT aggregateid, headers->>'ce_streamversion' AS v FROM eventsmith_outbox WHERE aggregateid = ANY($1::text[]) ORDER BY position`,
      [[a, b, c]],
    );
    // In the order of the appends; c's rows are its earlier appends' (no streamversion header asked for there).
    expect(outbox.rows.filter((r) => r.aggregateid !== c || r.v !== null).map((r) => [r.aggregateid, r.v])).toEqual([
      [b, null],
      [a, '1'],
      [a, '2'],
      [b, '2'],
      [a, '3'],
    ]);
    // Appends to one stream must follow each other; every append needs events.
    await expect(appendToStreams(pool, [
      { streamType: 'Counter', streamId: a, expectedVersion: 3, events: [spec({ type: 'Cleared' })] },
      { streamType: 'Counter', streamId: a, expectedVersion: 3, events: [spec({ type: 'Cleared' })] },
    ])).rejects.toThrow(/must follow each other/);
    await expect(appendToStreams(pool, [{ streamType: 'Counter', streamId: a, expectedVersion: 3, events: [] }])).rejects.toThrow(/no events/);
  });

  it('a transaction older than a stream\'s last append is refused on that stream (transaction-order), the others written; a duplicate event id writes nothing', async () => {
    const { pool } = shared;
    const [a, b] = [randomUUID(), randomUUID()];
    const older = await shared.connect();
    const newer = await shared.connect();
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()');
    await newer.query('BEGIN');
    await appendToStream(newer, { streamType: 'Counter', streamId: a, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' })] });
    await newer.query('COMMIT');
    const results = await appendToStreams(older, [
      { streamType: 'Counter', streamId: a, expectedVersion: 1, events: [toNewEvent({ type: 'Cleared' })] },
      { streamType: 'Counter', streamId: b, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' })] },
    ]);
    expect(results[0]).toMatchObject({ expected: 1, actual: 1, conflict: 'transaction-order' });
    expect(results[1]).toMatchObject({ streamVersion: 1 });
    await older.query('COMMIT');
    expect(await versionsOf(pool, a)).toEqual([1]);
    expect(await versionsOf(pool, b)).toEqual([1]);

    const dup = toNewEvent({ type: 'Cleared' });
    const err = await appendToStreams(pool, [
      { streamType: 'Counter', streamId: a, expectedVersion: 1, events: [dup] },
      { streamType: 'Counter', streamId: b, expectedVersion: 1, events: [{ ...toNewEvent({ type: 'Cleared' }), eventId: dup.eventId }] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateEventError);
    expect(await versionsOf(pool, a)).toEqual([1]);
    expect(await versionsOf(pool, b)).toEqual([1]);
  });

  it('loadAggregates equals loadAggregate per stream: snapshots used or ignored, streams longer than a page, empty streams, undecodable ones failing alone', async () => {
    const { pool } = shared;
    const def = counter();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const [withSnapshot, otherSchema, long, empty, bad] = ids as [string, string, string, string, string];
    for (const id of [withSnapshot, otherSchema, long]) {
      const events = Array.from({ length: id === long ? 23 : 6 }, (_, i) => toNewEvent(i % 2 === 0 ? { type: 'Incremented', by: i } : { type: 'Added', item: `i${i}` }));
      await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events });
    }
    await saveAggregateSnapshot(pool, def, withSnapshot, await loadAggregate(pool, def, withSnapshot, { useSnapshot: false }).then((l) => ({ ...l, version: 4, state: { count: 100, items: ['snap'] } })));
    await saveAggregateSnapshot(pool, counter('counter-v0'), otherSchema, { version: 3, state: { count: 100, items: [] } });
    await appendToStream(pool, { streamType: 'Counter', streamId: bad, expectedVersion: 0, events: [{ ...toNewEvent({ type: 'Incremented', by: 1 }), data: json({ by: 'x' }) }] });
    for (const pageSize of [4, 1000]) {
      const many = await loadAggregates(pool, def, ids, { pageSize });
      for (const [k, id] of ids.entries()) {
        const one = await loadAggregate(pool, def, id, { pageSize }).then(
          (value) => ({ status: 'fulfilled', value }),
          (reason: unknown) => ({ status: 'rejected', reason }),
        );
        expect(many[k], `${k} ${pageSize}`).toEqual(one);
      }
      expect(many.map((r) => (r.status === 'fulfilled' ? [r.value.version, r.value.snapshotVersion, r.value.snapshotIgnored] : r.reason instanceof EventDecodeError))).toEqual([
        [6, 4, undefined],
        [6, 0, 'schema-mismatch'],
        [23, 0, undefined],
        [0, 0, undefined],
        true,
      ]);
    }
  });
});

describe('transactions', () => {
  it('a failed caller transaction leaves neither events nor outbox rows nor a stream head', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await pool.query('CREATE TABLE IF NOT EXISTS orders_table (id text primary key)');
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query('INSERT INTO orders_table VALUES ($1)', [id]);
      await appendToStream(tx, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Added', item: 'x' }), toNewEvent({ type: 'Cleared' })] });
      // Visible inside the transaction...
      expect(await tx.query('SELECT 1 FROM eventsmith_outbox WHERE aggregateid = $1', [id]).then((r) => r.rowCount)).toBe(2);
      throw new Error('business rule failed after append');
    } catch (err) {
      expect((err as Error).message).toBe('business rule failed after append');
      await tx.query('ROLLBACK');
    } finally {
      tx.release();
    }
    // ...and gone after the rollback.
    expect(await count(pool, 'eventsmith_events', 'stream_id = $1', [id])).toBe(0);
    expect(await count(pool, 'eventsmith_outbox', 'aggregateid = $1', [id])).toBe(0);
    expect(await count(pool, 'eventsmith_streams', 'stream_id = $1', [id])).toBe(0);
    expect(await count(pool, 'orders_table', 'id = $1', [id])).toBe(0);
    // The stream is still new.
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Cleared' })] });
    expect(await versionsOf(pool, id)).toEqual([1]);
  });

  it('a committed caller transaction holds business rows, events and outbox rows together', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query('INSERT INTO orders_table VALUES ($1)', [id]);
      await appendToStream(tx, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Added', item: 'x' })] });
      await appendToStream(tx, { streamType: 'Counter', streamId: id, expectedVersion: 1, events: [toNewEvent({ type: 'Added', item: 'y' })] });
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
    expect(await versionsOf(pool, id)).toEqual([1, 2]);
    expect(await count(pool, 'eventsmith_outbox', 'aggregateid = $1', [id])).toBe(2);
    expect(await count(pool, 'orders_table', 'id = $1', [id])).toBe(1);
  });
});

describe('snapshots', () => {
  it('loading with snapshots equals full replay, for random event sequences', async () => {
    const { pool } = shared;
    const def = counter();
    let snapshotsUsed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const random = rng(seed);
      const id = `seed-${seed}-${randomUUID()}`;
      const length = Math.floor(random() * 150);
      let expected = initialState();
      let version = 0;
      while (version < length) {
        const batch: CounterEvent[] = [];
        const size = Math.min(length - version, 1 + Math.floor(random() * 7));
        for (let i = 0; i < size; i++) {
          const pick = random();
          batch.push(pick < 0.5 ? { type: 'Incremented', by: Math.floor(random() * 100) - 50 } : pick < 0.9 ? { type: 'Added', item: `i${Math.floor(random() * 1e6)}` } : { type: 'Cleared' });
        }
        await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: version, events: batch.map((e) => toNewEvent(e, false)) });
        expected = batch.reduce(evolve, expected);
        version += size;
        if (random() < 0.3) {
          const loaded = await loadAggregate(pool, def, id, { pageSize: 1 + Math.floor(random() * 20) });
          expect(loaded.version).toBe(version);
          await saveAggregateSnapshot(pool, def, id, loaded);
        }
      }
      const withSnapshot = await loadAggregate(pool, def, id, { pageSize: 1 + Math.floor(random() * 50) });
      const replay = await loadAggregate(pool, def, id, { useSnapshot: false });
      expect(replay.snapshotVersion).toBe(0);
      expect(replay.eventsApplied).toBe(length);
      expect({ seed, state: withSnapshot.state, version: withSnapshot.version }).toEqual({ seed, state: replay.state, version: replay.version });
      expect(replay.state).toEqual(expected);
      expect(withSnapshot.eventsApplied).toBe(length - withSnapshot.snapshotVersion);
      if (withSnapshot.snapshotVersion > 0) snapshotsUsed++;
    }
    expect(snapshotsUsed).toBeGreaterThan(10);
  });

  it('keeps the newest snapshot, replaces one of another schema, ignores unusable ones on load', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [5, 6, 7].map((by) => toNewEvent({ type: 'Incremented', by })) });
    const base = { streamType: 'Counter', streamId: id, contentType: 'application/json' };
    expect(await saveSnapshot(pool, { ...base, streamVersion: 2, schemaFingerprint: 'counter-v1', state: json({ count: 11, items: [] }) })).toBe(true);
    expect(await saveSnapshot(pool, { ...base, streamVersion: 1, schemaFingerprint: 'counter-v1', state: json({ count: 5, items: [] }) })).toBe(false);
    expect(await saveSnapshot(pool, { ...base, streamVersion: 2, schemaFingerprint: 'counter-v1', state: json({ count: 11, items: [] }) })).toBe(false);
    expect((await loadSnapshot(pool, 'Counter', id))?.streamVersion).toBe(2);
    expect(await loadAggregate(pool, counter(), id)).toEqual({ state: { count: 18, items: [] }, version: 3, snapshotVersion: 2, eventsApplied: 1 });

    // New state schema: the old snapshot is ignored, and the new one replaces it at the same version.
    const v2 = counter('counter-v2');
    expect(await loadAggregate(pool, v2, id)).toMatchObject({ version: 3, snapshotVersion: 0, snapshotIgnored: 'schema-mismatch' });
    expect(await saveSnapshot(pool, { ...base, streamVersion: 2, schemaFingerprint: 'counter-v2', state: json({ count: 11, items: [] }) })).toBe(true);
    expect(await loadAggregate(pool, v2, id)).toMatchObject({ state: { count: 18 }, snapshotVersion: 2 });

    // A corrupt snapshot is a cache miss, not an error.
    await pool.query(`UPDATE eventsmith_snapshots SET state = '\\xdeadbeef' WHERE stream_id = $1`, [id]);
    expect(await loadAggregate(pool, v2, id)).toEqual({ state: { count: 18, items: [] }, version: 3, snapshotVersion: 0, eventsApplied: 3, snapshotIgnored: 'undecodable' });
  });

  it('saving a snapshot does not wait for a writer in the middle of a transaction, nor the reverse', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const def = counter();
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Incremented', by: 1 })] });
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      await appendToStream(writer, { streamType: 'Counter', streamId: id, expectedVersion: 1, events: [toNewEvent({ type: 'Incremented', by: 1 })] });
      // The writer holds the stream head's row lock until it commits.
      const loaded = await loadAggregate(pool, def, id);
      expect(loaded.version).toBe(1);
      expect(await within(2000, saveAggregateSnapshot(pool, def, id, loaded))).toBe(true);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }

    const snapshotter = await pool.connect();
    try {
      await snapshotter.query('BEGIN');
      expect(await saveAggregateSnapshot(snapshotter, def, id, await loadAggregate(pool, def, id))).toBe(true);
      // The snapshot row is locked now; an append must not care.
      await within(2000, appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 2, events: [toNewEvent({ type: 'Incremented', by: 1 })] }));
      await snapshotter.query('COMMIT');
    } finally {
      snapshotter.release();
    }
    expect(await loadAggregate(pool, def, id)).toMatchObject({ state: { count: 3 }, version: 3, snapshotVersion: 2 });
  });

  it('appendToStream stores the snapshot it is given with the events, as saveSnapshot would, and never waits for its row', async () => {
    const { pool } = shared;
    const id = randomUUID();
    const snapshotOf = (state: CounterState, fingerprint = 'counter-v1') => ({ schemaFingerprint: fingerprint, contentType: 'application/json', state: json(state) });
    const append = (expectedVersion: number, by: number[], state: CounterState, fingerprint?: string) =>
      appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion, events: by.map((n) => toNewEvent({ type: 'Incremented', by: n })) }, snapshotOf(state, fingerprint));

    // A new stream, then an existing one: written with the events, at the version they leave.
    expect(await append(0, [1, 2], { count: 3, items: [] })).toMatchObject({ streamVersion: 2, snapshotSettled: true });
    expect(await loadAggregate(pool, counter(), id)).toMatchObject({ state: { count: 3 }, version: 2, snapshotVersion: 2, eventsApplied: 0 });
    expect(await append(2, [4], { count: 7, items: [] })).toMatchObject({ streamVersion: 3, snapshotSettled: true });
    expect(await loadSnapshot(pool, 'Counter', id)).toMatchObject({ streamVersion: 3, schemaFingerprint: 'counter-v1' });

    // Refused: neither the events nor the snapshot.
    await expect(append(2, [100], { count: 103, items: [] })).rejects.toBeInstanceOf(ConcurrencyError);
    const kept = await loadSnapshot(pool, 'Counter', id);
    expect({ version: kept?.streamVersion, state: parseObject(kept?.state ?? json(null)) }).toEqual({ version: 3, state: { count: 7, items: [] } });

    // Another session holds the snapshot row: the append does not wait and leaves the snapshot to the caller.
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM eventsmith_snapshots WHERE stream_id = $1 FOR UPDATE`, [id]);
      expect(await within(2000, append(3, [1], { count: 8, items: [] }))).toMatchObject({ streamVersion: 4, snapshotSettled: false });
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    expect((await loadSnapshot(pool, 'Counter', id))?.streamVersion).toBe(3);
    expect(await loadAggregate(pool, counter(), id)).toMatchObject({ state: { count: 8 }, version: 4, snapshotVersion: 3 });
  });
});

describe('bad data', () => {
  it('an unknown event type is an EventDecodeError naming stream and version, before the reducer runs', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await appendToStream(pool, {
      streamType: 'Counter',
      streamId: id,
      expectedVersion: 0,
      events: [toNewEvent({ type: 'Incremented', by: 1 }), toNewEvent({ type: 'Added', item: 'a' }), { ...toNewEvent({ type: 'Cleared' }), eventType: 'Exploded' }],
    });
    let evolved = 0;
    const def = counter();
    const err = await loadAggregate(pool, { ...def, evolve: (s, e) => (evolved++, def.evolve(s, e)) }, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err).toMatchObject({ streamType: 'Counter', streamId: id, streamVersion: 3, eventType: 'Exploded', schemaVersion: 1, failure: 'unknown-event-type' });
    expect((err as Error).message).toBe(`cannot load Counter "${id}" version 3: unknown event type "Exploded" (schema version 1)`);
    expect(evolved).toBe(2);
  });

  it('undecodable bytes are an EventDecodeError naming stream and version, with the cause', async () => {
    const { pool } = shared;
    const id = randomUUID();
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 0, events: [toNewEvent({ type: 'Incremented', by: 1 })] });
    await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: 1, events: [{ ...toNewEvent({ type: 'Added', item: 'x' }), data: Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]) }] });
    const err = await loadAggregate(pool, counter(), id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventDecodeError);
    expect(err).toMatchObject({ streamType: 'Counter', streamId: id, streamVersion: 2, eventType: 'Added', failure: 'undecodable' });
    expect((err as EventDecodeError).cause).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot load Counter "${id}" version 2: event "Added" v1 is undecodable: `));

    // Valid JSON of the wrong shape is just as undecodable.
    const id2 = randomUUID();
    await appendToStream(pool, { streamType: 'Counter', streamId: id2, expectedVersion: 0, events: [{ ...toNewEvent({ type: 'Added', item: 'x' }), data: json({ item: 42 }) }] });
    await expect(loadAggregate(pool, counter(), id2)).rejects.toThrow(/version 1: event "Added" v1 is undecodable: item: expected a string/);
  });
});
