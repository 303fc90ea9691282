// The generated repository of the example against the real server: optimistic concurrency,
// transactions, and the outbox rows it writes (CloudEvents headers, commit order, gap-free
// reading). The service is generated code plus the runtime only (service.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, OUTBOX_START, type OutboxCursor, migrate, readOutbox } from '../../generator/runtime/index.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { type OrderRepository, type OrdersService, cancelled, confirmed, generateService, placed, placedType } from './service.js';

const db = useTestDatabase();
let service: OrdersService;
let iso: Isolated;
let orders: OrderRepository;

beforeAll(async () => {
  service = await generateService('repository');
  iso = await db.isolated({ max: 60 });
  await migrate(iso.pool);
  orders = service.orderRepository(iso.pool);
}, 60_000);

afterAll(async () => {
  await orders.settled();
  service.remove();
});

async function count(table: string, where: string, params: unknown[]): Promise<number> {
  const r = await iso.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, params);
  return Number(r.rows[0]?.n);
}

async function versions(id: string): Promise<number[]> {
  const r = await iso.pool.query<{ v: number }>(`SELECT stream_version AS v FROM eventsmith_events WHERE stream_type = 'Order' AND stream_id = $1 ORDER BY stream_version`, [id]);
  return r.rows.map((x) => x.v);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A cursor past every row the gap-free reader can return now. */
async function caughtUp(): Promise<OutboxCursor> {
  let cursor = OUTBOX_START;
  for (;;) {
    const batch = await readOutbox(iso.pool, cursor, 500);
    if (batch.records.length === 0) return cursor;
    cursor = batch.cursor;
  }
}

/** The ids among `ids` of the rows the reader returns after `from`, in its order, until all arrived. */
async function drainIds(from: OutboxCursor, ids: readonly string[], by: 'aggregateId' | 'id', want: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor = from;
  const deadline = Date.now() + 15_000;
  while (seen.length < want && Date.now() < deadline) {
    const batch = await readOutbox(iso.pool, cursor, 7);
    seen.push(...batch.records.map((r) => r[by]).filter((x) => ids.includes(x)));
    cursor = batch.cursor;
    if (batch.records.length === 0) await sleep(5);
  }
  return seen;
}

describe('optimistic concurrency', () => {
  it('50 concurrent appends at the same expected version: exactly one succeeds, 49 get ConcurrencyError, no gap or duplicate', async () => {
    for (const start of [0, 3]) {
      const id = randomUUID();
      if (start > 0) await orders.append(id, [placed(), confirmed(), cancelled()], 0);
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => orders.append(id, [placed(`writer-${i}`), confirmed()], start)));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(won[0]?.version).toBe(start + 2);
      expect(lost).toHaveLength(49);
      for (const e of lost) {
        expect(e).toBeInstanceOf(ConcurrencyError);
        expect(e).toMatchObject({ streamType: 'Order', streamId: id, expected: start, actual: start + 2, conflict: 'version-mismatch' });
        expect((e as Error).message).toBe(`concurrency conflict on Order "${id}": expected version ${start}, found ${start + 2}`);
      }
      expect(await versions(id)).toEqual(Array.from({ length: start + 2 }, (_, i) => i + 1));
      expect(await count('eventsmith_outbox', 'aggregateid = $1', [id])).toBe(start + 2);
      // The winner's events are the ones stored and loaded.
      const loaded = await orders.load(id);
      expect(loaded.version).toBe(start + 2);
      expect(loaded.state.customerId).toMatch(/^writer-\d+$/);
    }
  });

  it('writers that reload and retry on conflict never lose an update', async () => {
    const id = randomUUID();
    await orders.append(id, [placed()], 0);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let n = 0; n < 5; n++) {
          for (;;) {
            const { version } = await orders.load(id);
            try {
              await orders.append(id, [confirmed()], version);
              break;
            } catch (err) {
              if (!(err instanceof ConcurrencyError)) throw err;
            }
          }
        }
      }),
    );
    const loaded = await orders.load(id);
    expect(loaded.version).toBe(51);
    expect(loaded.state.revision).toBe(51);
    expect(await versions(id)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });
});

describe('append refuses before writing anything', () => {
  it('data the latest version cannot encode, and a type that is not the aggregate\'s (types bypassed)', async () => {
    const id = randomUUID();
    // decimal(12,2): 13 digits do not fit; the codec says where.
    await expect(orders.append(id, [placed('c-1', '12345678901.00')], 0)).rejects.toThrow(/total\.amount/);
    const stray = JSON.parse('{"type":"com.example.orders.payment.captured","data":{}}') as Parameters<OrderRepository['append']>[1][number];
    await expect(orders.append(id, [placed(), stray], 0)).rejects.toThrow(new TypeError('eventsmith: com.example.orders.payment.captured is not an event of Order'));
    expect(await versions(id)).toEqual([]);
    expect(await count('eventsmith_outbox', 'aggregateid = $1', [id])).toBe(0);
  });
});

describe('transactions', () => {
  it('a failed caller transaction (a throw after the append) leaves neither events nor outbox rows', async () => {
    await iso.pool.query('CREATE TABLE IF NOT EXISTS order_summaries (id text PRIMARY KEY, customer text)');
    const id = randomUUID();
    const client = await iso.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO order_summaries VALUES ($1, $2)', [id, 'c-7']);
      const result = await orders.append(id, [placed(), confirmed()], 0, { client });
      expect(result.version).toBe(2);
      expect((await client.query('SELECT 1 FROM eventsmith_outbox WHERE aggregateid = $1', [id])).rowCount).toBe(2);
      throw new Error('business rule failed after the append');
    } catch (err) {
      expect((err as Error).message).toBe('business rule failed after the append');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await count('eventsmith_events', 'stream_id = $1', [id])).toBe(0);
    expect(await count('eventsmith_outbox', 'aggregateid = $1', [id])).toBe(0);
    expect(await count('eventsmith_streams', 'stream_id = $1', [id])).toBe(0);
    expect(await count('order_summaries', 'id = $1', [id])).toBe(0);
    expect(await orders.load(id)).toMatchObject({ version: 0, state: { status: 'draft', revision: 0 } });
    expect((await orders.append(id, [placed()], 0)).version).toBe(1);
  });

  it('a committed caller transaction holds the business row, the events and their outbox rows', async () => {
    const id = randomUUID();
    const client = await iso.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO order_summaries VALUES ($1, $2)', [id, 'c-8']);
      await orders.append(id, [placed('c-8')], 0, { client });
      // The same transaction reads its own append and continues from it.
      const inside = await orders.load(id, { client });
      expect(inside.version).toBe(1);
      await orders.append(id, [confirmed()], inside.version, { client });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await versions(id)).toEqual([1, 2]);
    expect(await count('eventsmith_outbox', 'aggregateid = $1', [id])).toBe(2);
    expect(await count('order_summaries', 'id = $1', [id])).toBe(1);
    expect((await orders.load(id)).state).toMatchObject({ status: 'confirmed', customerId: 'c-8', revision: 2 });
  });

  it('a conflict inside a caller transaction does not abort it', async () => {
    const id = randomUUID();
    await orders.append(id, [placed()], 0);
    const client = await iso.pool.connect();
    try {
      await client.query('BEGIN');
      const err = await orders.append(id, [confirmed()], 0, { client }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ expected: 0, actual: 1 });
      // Still usable: decide again on the current version, in the same transaction.
      await orders.append(id, [confirmed()], 1, { client });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await versions(id)).toEqual([1, 2]);
  });
});

describe('outbox rows', () => {
  it('carry the CloudEvents attributes as ce_* headers, the topic, the id as key and the encoded data as payload', async () => {
    const id = randomUUID();
    const causation = randomUUID();
    const { eventIds } = await orders.append(id, [placed('c-9', '12.50')], 0, { correlationId: 'corr-1', causationId: causation });
    const r = await iso.pool.query<{ id: string; aggregatetype: string; aggregateid: string; type: string; topic: string; payload: Buffer; headers: Record<string, string>; content_type: string }>(
      'SELECT id::text, aggregatetype, aggregateid, type, topic, payload, headers, content_type FROM eventsmith_outbox WHERE aggregateid = $1',
      [id],
    );
    const row = r.rows[0];
    expect(r.rows).toHaveLength(1);
    expect(row).toMatchObject({ id: eventIds[0], aggregatetype: 'Order', aggregateid: id, type: placedType, topic: 'orders', content_type: 'application/avro' });
    const event = await iso.pool.query<{ event_id: string; occurred_at: Date; data: Buffer; metadata: unknown; schema_version: number }>(
      'SELECT event_id::text, occurred_at, data, metadata, schema_version FROM eventsmith_events WHERE stream_id = $1',
      [id],
    );
    const stored = event.rows[0];
    expect(stored?.event_id).toBe(eventIds[0]);
    expect(stored?.schema_version).toBe(2);
    expect(stored?.metadata).toEqual({ source: 'urn:example:order-service', correlationid: 'corr-1', causationid: causation });
    // No content-type: the content_type column is that header (for the relay and Debezium alike).
    expect(row?.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: eventIds[0],
      ce_source: 'urn:example:order-service',
      ce_type: placedType,
      ce_time: stored?.occurred_at.toISOString(),
      ce_subject: id,
      ce_dataschema: `urn:eventsmith:schema:${placedType}:v2`,
      ce_dataversion: '2',
      ce_partitionkey: id,
      ce_streamversion: '1',
      ce_correlationid: 'corr-1',
      ce_causationid: causation,
    });
    // The payload is the stored data: the v2 Avro encoding, readable with the codec the headers name.
    expect(Buffer.compare(row?.payload ?? Buffer.alloc(0), stored?.data ?? Buffer.alloc(1))).toBe(0);
    expect(service.codec('orderPlacedV2Codec').fromBinary(row?.payload ?? new Uint8Array())).toEqual(placed('c-9', '12.50').data);
  });

  it('an envelope keeps its id, time, source and correlation', async () => {
    const id = randomUUID();
    const envelope = service.orderPlaced(id, { customerId: 'c-1', items: [], total: { amount: '1.00', currency: 'EUR' }, shippingAddress: null }, {
      time: '2024-02-29T23:59:59.123Z',
      source: '/replica/2',
      causedBy: { id: 'cmd-1', correlationid: 'corr-9' },
    });
    const { eventIds } = await orders.append(id, [envelope, confirmed()], 0);
    expect(eventIds[0]).toBe(envelope.id);
    const r = await iso.pool.query<{ headers: Record<string, string> }>('SELECT headers FROM eventsmith_outbox WHERE aggregateid = $1 ORDER BY position', [id]);
    expect(r.rows[0]?.headers).toMatchObject({ ce_id: envelope.id, ce_time: '2024-02-29T23:59:59.123Z', ce_source: '/replica/2', ce_correlationid: 'corr-9', ce_causationid: 'cmd-1' });
    expect(r.rows[1]?.headers).toMatchObject({ ce_source: 'urn:example:order-service' });
    expect(r.rows[1]?.headers).not.toHaveProperty('ce_correlationid');
    // An envelope of another aggregate, or with an id the store cannot keep, is refused before anything is written.
    await expect(orders.append(randomUUID(), [envelope], 0)).rejects.toThrow(/is about .*, not Order/);
    await expect(orders.append(id, [{ ...envelope, id: 'not-a-uuid' }], 2)).rejects.toThrow(/must be a UUID/);
    expect(await versions(id)).toEqual([1, 2]);
  });

  it('appear in commit order for one aggregate, whatever the interleaving of its writers', async () => {
    const id = randomUUID();
    const start = await caughtUp();
    await orders.append(id, [placed()], 0);
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let n = 0; n < 4; n++) {
          for (;;) {
            const client = await iso.pool.connect();
            try {
              await client.query('BEGIN');
              // Take a transaction id early sometimes, as a business write before the append would.
              if ((w + n) % 2 === 0) await client.query('SELECT pg_current_xact_id()');
              const { version } = await orders.load(id, { client });
              await sleep((w * 7 + n * 3) % 5);
              await orders.append(id, [confirmed(new Date(Date.UTC(2024, 0, 1, w, n)))], version, { client });
              await sleep((w + n) % 4);
              await client.query('COMMIT');
              break;
            } catch (err) {
              await client.query('ROLLBACK');
              if (!(err instanceof ConcurrencyError)) throw err;
            } finally {
              client.release();
            }
          }
        }
      }),
    );
    // Commit order = version order (appends of one stream commit in version order); the
    // reader delivers this aggregate's rows in exactly that order.
    const committed = await iso.pool.query<{ id: string }>(
      `SELECT o.id::text FROM eventsmith_events e JOIN eventsmith_outbox o ON o.id = e.event_id WHERE e.stream_id = $1 ORDER BY e.stream_version`,
      [id],
    );
    const delivered = await drainIds(start, committed.rows.map((r) => r.id), 'id', 25);
    expect(delivered).toEqual(committed.rows.map((r) => r.id));
    expect(delivered).toHaveLength(25);
  });

  it('out-of-order commits across transactions cannot make the gap-free reader skip a row', async () => {
    const a = await iso.connect();
    const b = await iso.connect();
    const before = await caughtUp();
    const idA = randomUUID();
    const idB = randomUUID();
    // A inserts first (lower position), B second; B commits first.
    await a.query('BEGIN');
    await orders.append(idA, [placed('A')], 0, { client: a });
    await b.query('BEGIN');
    await orders.append(idB, [placed('B')], 0, { client: b });
    await b.query('COMMIT');

    const positions = await iso.pool.query<{ aggregateid: string; position: string }>(
      'SELECT aggregateid, position::text FROM eventsmith_outbox WHERE aggregateid = ANY($1)',
      [[idA, idB]],
    );
    expect(positions.rows.map((r) => r.aggregateid)).toEqual([idB]); // only B is visible
    // A sequence-number poller would now move its cursor past A's (lower) position; the reader returns nothing yet.
    const early = await readOutbox(iso.pool, before, 100);
    expect(early.records).toEqual([]);
    expect(early.cursor).toEqual(before);

    await a.query('COMMIT');
    expect(await drainIds(early.cursor, [idA, idB], 'aggregateId', 2)).toEqual([idA, idB]);
  });
});

