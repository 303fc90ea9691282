// Snapshots of the generated Order repository (`snapshotEvery: 50` in the example) against the
// real server: loading with snapshots equals the full replay for random event sequences, when
// snapshots are written, that a changed state shape ignores old ones, and that neither snapshots
// nor writers wait for each other.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderEvent, OrderState } from '../../generated-example/src/generated/orders/types.js';
import { ConcurrencyError, type ConnectionPool, migrate } from '../../generator/runtime/index.js';
import type { NamedStatement } from '../../generator/runtime/postgres/db.js';
import { edit } from '../check/helpers.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { recordingLogger } from '../support/logging.js';
import { type OrderRepository, type OrdersService, cancelled, confirmed, generateService, orderSpec, placed, randomOrderEvent, rng, within } from './service.js';

const db = useTestDatabase();
const every = 50;
let service: OrdersService;
let iso: Isolated;
let orders: OrderRepository;
let evolveAll: (state: OrderState, events: Iterable<OrderEvent>) => OrderState;
let initial: OrderState;

beforeAll(async () => {
  service = await generateService('snapshots');
  iso = await db.isolated({ max: 20 });
  await migrate(iso.pool);
  orders = service.orderRepository(iso.pool);
  const reducers = await service.module('orders/reducers.js');
  // The generated fold and initial state: what a replay in memory gives.
  evolveAll = reducers['evolveOrderAll'] as typeof evolveAll;
  initial = reducers['initialOrderState'] as OrderState;
}, 60_000);

afterAll(async () => {
  await orders.settled();
  service.remove();
});

interface SnapshotRow {
  stream_version: number;
  schema_fingerprint: string;
  content_type: string;
}

async function snapshotRow(id: string): Promise<SnapshotRow | undefined> {
  const r = await iso.pool.query<SnapshotRow>(`SELECT stream_version, schema_fingerprint, content_type FROM eventsmith_snapshots WHERE stream_type = 'Order' AND stream_id = $1`, [id]);
  return r.rows[0];
}

describe('snapshots', () => {
  it('loading with snapshots equals the full replay, for random event sequences (seeded)', async () => {
    let usedSnapshots = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const random = rng(seed);
      const id = randomUUID();
      const length = Math.floor(random() * 240);
      const all: OrderEvent[] = [];
      let version = 0;
      while (version < length) {
        const batch = Array.from({ length: Math.min(length - version, 1 + Math.floor(random() * 9)) }, () => randomOrderEvent(random));
        if (random() < 0.25) {
          // In a caller's transaction: no snapshot at the append; a later load through the pool writes it.
          const client = await iso.pool.connect();
          try {
            await client.query('BEGIN');
            await orders.append(id, batch, version, { client });
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        } else {
          await orders.append(id, batch, version);
        }
        all.push(...batch);
        version += batch.length;
        if (random() < 0.2) expect((await orders.load(id, { pageSize: 1 + Math.floor(random() * 30) })).version).toBe(version);
      }
      await orders.settled();
      // The first load uses what the appends stored; if it still replayed N or more events
      // (the last crossing was in a caller's transaction), it stores a snapshot for the next.
      const first = await orders.load(id, { pageSize: 1 + Math.floor(random() * 60) });
      await orders.settled();
      const withSnapshot = await orders.load(id, { pageSize: 1 + Math.floor(random() * 60) });
      const replay = await orders.load(id, { useSnapshot: false });
      expect(replay).toMatchObject({ version: length, snapshotVersion: 0, eventsApplied: length });
      expect(replay.state).toEqual(evolveAll(initial, all));
      for (const loaded of [first, withSnapshot]) {
        expect({ seed, state: loaded.state, version: loaded.version }).toEqual({ seed, state: replay.state, version: replay.version });
        expect(loaded.eventsApplied).toBe(length - loaded.snapshotVersion);
      }
      expect(withSnapshot.eventsApplied, `seed ${seed}`).toBeLessThan(every);
      expect(withSnapshot.snapshotVersion > 0, `seed ${seed}`).toBe(length >= every);
      if (first.snapshotVersion > 0) usedSnapshots++;
    }
    // Most long sequences found a snapshot written after an append.
    expect(usedSnapshots).toBeGreaterThan(8);
  });

  it('are written after the append that crosses a multiple of snapshotEvery commits, encoded with the state codec', async () => {
    const id = randomUUID();
    await orders.append(id, [placed()], 0);
    for (let v = 1; v < every - 1; v++) await orders.append(id, [confirmed()], v);
    await orders.settled();
    expect(await snapshotRow(id)).toBeUndefined();
    await orders.append(id, [confirmed(), confirmed()], every - 1); // 49 → 51 crosses 50
    await orders.settled();
    const stateCodec = service.codec('orderStateCodec');
    expect(await snapshotRow(id)).toEqual({ stream_version: every + 1, schema_fingerprint: stateCodec.fingerprintHex, content_type: 'application/avro' });
    const stored = await iso.pool.query<{ state: Buffer }>(`SELECT state FROM eventsmith_snapshots WHERE stream_id = $1`, [id]);
    expect(stateCodec.fromBinary(stored.rows[0]?.state ?? new Uint8Array())).toEqual((await orders.load(id, { useSnapshot: false })).state);

    // Appends in a caller's transaction leave it to the next load through the pool.
    const client = await iso.pool.connect();
    try {
      await client.query('BEGIN');
      await orders.append(id, Array.from({ length: every }, () => confirmed()), every + 1, { client });
      expect((await orders.load(id, { client })).eventsApplied).toBe(every); // inside the transaction: never snapshots
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await orders.settled();
    expect((await snapshotRow(id))?.stream_version).toBe(every + 1);
    expect(await orders.load(id)).toMatchObject({ version: 2 * every + 1, snapshotVersion: every + 1, eventsApplied: every });
    await orders.settled();
    expect((await snapshotRow(id))?.stream_version).toBe(2 * every + 1);
    expect(await orders.load(id)).toMatchObject({ version: 2 * every + 1, snapshotVersion: 2 * every + 1, eventsApplied: 0 });
    expect(await orders.snapshot(id)).toBe(false); // nothing newer to store
  });

  it('of an earlier state shape are ignored, replayed past, and replaced', async () => {
    // The same spec with one more state field: a new service version whose snapshots differ.
    const next = await generateService('snapshots-next', edit(orderSpec(), ['      revision: { type: int, default: 0 }\n', '      revision: { type: int, default: 0 }\n      notes: { type: "string[]", default: [] }\n']));
    try {
      const nextOrders = next.orderRepository(iso.pool);
      const id = randomUUID();
      const events = [placed(), ...Array.from({ length: every + 4 }, () => confirmed())];
      await orders.append(id, events, 0);
      await orders.settled();
      const old = await snapshotRow(id);
      expect(old?.schema_fingerprint).toBe(service.codec('orderStateCodec').fingerprintHex);

      const loaded = await nextOrders.load(id);
      expect(loaded).toMatchObject({ version: every + 5, snapshotVersion: 0, eventsApplied: every + 5, snapshotIgnored: 'schema-mismatch' });
      expect(loaded.state).toEqual({ ...evolveAll(initial, events), notes: [] });
      await nextOrders.settled();
      // The new shape's snapshot replaced the old one; now the old code ignores it in turn.
      expect(await snapshotRow(id)).toMatchObject({ stream_version: every + 5, schema_fingerprint: next.codec('orderStateCodec').fingerprintHex });
      expect(await nextOrders.load(id)).toMatchObject({ snapshotVersion: every + 5, eventsApplied: 0 });
      expect(await orders.load(id)).toMatchObject({ version: every + 5, snapshotVersion: 0, snapshotIgnored: 'schema-mismatch' });
      expect(next.codec('orderStateCodec').fingerprintHex).not.toBe(service.codec('orderStateCodec').fingerprintHex);
    } finally {
      next.remove();
    }
  });

  it('never block writers, and writers never block them', async () => {
    const id = randomUUID();
    await orders.append(id, [placed(), ...Array.from({ length: every - 2 }, () => confirmed())], 0);

    // A writer in the middle of a transaction holds the stream head's row lock...
    const writer = await iso.pool.connect();
    try {
      await writer.query('BEGIN');
      await orders.append(id, [confirmed()], every - 1, { client: writer });
      // ...and a snapshot of the committed state is written without waiting for it.
      expect(await within(2000, orders.snapshot(id))).toBe(true);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    expect((await snapshotRow(id))?.stream_version).toBe(every - 1);

    // A session holding the snapshot row's lock does not hold up an append that crosses a multiple of N.
    const locker = await iso.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM eventsmith_snapshots WHERE stream_id = $1 FOR UPDATE`, [id]);
      expect(await within(2000, orders.append(id, Array.from({ length: every }, () => confirmed()), every))).toMatchObject({ version: 2 * every });
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    await orders.settled();
    expect((await snapshotRow(id))?.stream_version).toBe(2 * every);
  });

  it('a failing background snapshot is reported, not thrown at the writer', async () => {
    const errors: string[] = [];
    const broken = service.orderRepository(iso.pool, { onSnapshotError: (e, streamId) => errors.push(`${streamId}: ${(e as Error).message}`) });
    const id = randomUUID();
    await iso.pool.query('ALTER TABLE eventsmith_snapshots RENAME TO eventsmith_snapshots_away');
    try {
      expect((await broken.append(id, [placed(), ...Array.from({ length: every }, () => confirmed())], 0)).version).toBe(every + 1);
      await broken.settled();
    } finally {
      await iso.pool.query('ALTER TABLE eventsmith_snapshots_away RENAME TO eventsmith_snapshots');
    }
    expect(errors).toEqual([`${id}: relation "eventsmith_snapshots" does not exist`]);
    // The append's statement failed on the snapshot and went again without it: written once.
    expect(await orders.load(id, { useSnapshot: false })).toMatchObject({ version: every + 1, eventsApplied: every + 1 });
  });

  describe('after appends through the pool, from what the repository appended, in the append statement', () => {
    /** The Order repository over a pool that records the names of the statements it runs. */
    function recorded(): { readonly orders: OrderRepository; readonly statements: string[] } {
      const statements: string[] = [];
      const pool: ConnectionPool = {
        query: ((q: string | NamedStatement, values?: unknown[]) => {
          statements.push(typeof q === 'string' ? q : q.name);
          return typeof q === 'string' ? iso.pool.query(q, values) : iso.pool.query(q);
        }) as ConnectionPool['query'],
        connect: () => iso.pool.connect(),
      };
      return { orders: service.orderRepository(pool), statements };
    }
    const reads = (statements: readonly string[]): string[] => statements.filter((name) => name === 'eventsmith_read_stream' || name === 'eventsmith_load_snapshot');

    async function storedState(id: string): Promise<{ version: number; state: OrderState } | undefined> {
      const r = await iso.pool.query<{ stream_version: number; state: Buffer }>(`SELECT stream_version, state FROM eventsmith_snapshots WHERE stream_type = 'Order' AND stream_id = $1`, [id]);
      const row = r.rows[0];
      return row === undefined ? undefined : { version: row.stream_version, state: service.codec('orderStateCodec').fromBinary(row.state) as OrderState };
    }

    it('store the state a load gives, without reading the stream back or another statement', async () => {
      const { orders: writer, statements } = recorded();
      const id = randomUUID();
      const all: OrderEvent[] = [];
      const random = rng(7);
      for (let version = 0; version < 3 * every + 5; ) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 9) }, () => randomOrderEvent(random));
        await writer.append(id, batch, version);
        all.push(...batch);
        const crossed = Math.floor((version + batch.length) / every) > Math.floor(version / every);
        version += batch.length;
        await writer.settled();
        // Each append that crosses a multiple of N leaves the state at its own version.
        if (crossed) expect(await storedState(id)).toEqual({ version, state: evolveAll(initial, all) });
      }
      expect(reads(statements)).toEqual([]); // the repository created the stream: every snapshot came from its tail
      expect(statements.filter((name) => name === 'eventsmith_append_existing_stream_snapshot')).toHaveLength(3);
      expect(statements.filter((name) => name === 'eventsmith_save_snapshot')).toEqual([]);
      expect(await orders.load(id)).toEqual(await orders.load(id, { useSnapshot: false }).then((r) => ({ ...r, snapshotVersion: expect.any(Number), eventsApplied: expect.any(Number) })));
    });

    it('read the stream when another writer appended since (another process, a committed transaction)', async () => {
      const { orders: writer, statements } = recorded();
      const other = service.orderRepository(iso.pool);
      const id = randomUUID();
      const all: OrderEvent[] = [placed(), ...Array.from({ length: every - 10 }, () => confirmed())];
      await writer.append(id, all, 0);
      const theirs = [cancelled('by another process')];
      await other.append(id, theirs, every - 9);
      all.push(...theirs);
      const mine = Array.from({ length: 10 }, () => confirmed());
      await writer.append(id, mine, every - 8); // crosses 50 with an event the writer did not append
      all.push(...mine);
      await writer.settled();
      expect(await storedState(id)).toEqual({ version: every + 2, state: evolveAll(initial, all) });
      expect(reads(statements)).toEqual(['eventsmith_load_snapshot', 'eventsmith_read_stream']);

      // The load started a new tail at its version: the next crossing needs no read.
      statements.length = 0;
      const more = Array.from({ length: every }, () => confirmed());
      await writer.append(id, more, every + 2);
      all.push(...more);
      await writer.settled();
      expect(await storedState(id)).toEqual({ version: 2 * every + 2, state: evolveAll(initial, all) });
      expect(reads(statements)).toEqual([]);

      // A committed append in a caller's transaction breaks the chain as well.
      const client = await iso.pool.connect();
      const inTransaction = [cancelled('in a transaction')];
      try {
        await client.query('BEGIN');
        await writer.append(id, inTransaction, 2 * every + 2, { client });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      all.push(...inTransaction);
      statements.length = 0;
      const last = Array.from({ length: every }, () => confirmed());
      await writer.append(id, last, 2 * every + 3);
      all.push(...last);
      await writer.settled();
      expect(await storedState(id)).toEqual({ version: 3 * every + 3, state: evolveAll(initial, all) });
      expect(reads(statements)).toEqual(['eventsmith_load_snapshot', 'eventsmith_read_stream']);
    });

    it('leave out appends that were refused or rolled back', async () => {
      const { orders: writer, statements } = recorded();
      const id = randomUUID();
      const all: OrderEvent[] = [placed(), ...Array.from({ length: every - 6 }, () => confirmed())];
      await writer.append(id, all, 0);
      // Refused: the stream is not at version 3.
      await expect(writer.append(id, [cancelled('refused')], 3)).rejects.toBeInstanceOf(ConcurrencyError);
      // Rolled back: written in a caller's transaction that does not commit.
      const client = await iso.pool.connect();
      try {
        await client.query('BEGIN');
        await writer.append(id, [cancelled('rolled back')], every - 5, { client });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      const mine = Array.from({ length: 10 }, () => confirmed());
      await writer.append(id, mine, every - 5);
      all.push(...mine);
      await writer.settled();
      expect(await storedState(id)).toEqual({ version: every + 5, state: evolveAll(initial, all) });
      expect((await orders.load(id, { useSnapshot: false })).state).toEqual(evolveAll(initial, all));
      expect(reads(statements)).toEqual([]);
    });
  });

  it('written by the append statement do not wait for a session holding the snapshot row, and are stored after it', async () => {
    const id = randomUUID();
    const all: OrderEvent[] = [placed(), ...Array.from({ length: every - 1 }, () => confirmed())];
    await orders.append(id, all, 0); // crosses 50 in the statement that creates the stream
    await orders.settled();
    expect(await snapshotRow(id)).toMatchObject({ stream_version: every });

    const locker = await iso.pool.connect();
    const more = [cancelled('while locked'), ...Array.from({ length: every - 1 }, () => confirmed())];
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM eventsmith_snapshots WHERE stream_id = $1 FOR UPDATE`, [id]);
      expect(await within(2000, orders.append(id, more, every))).toMatchObject({ version: 2 * every });
      all.push(...more);
      expect((await snapshotRow(id))?.stream_version).toBe(every); // skipped, not waited for
      await locker.query('COMMIT');
    } finally {
      locker.release();
    }
    await orders.settled();
    const stored = await iso.pool.query<{ stream_version: number; state: Buffer }>(`SELECT stream_version, state FROM eventsmith_snapshots WHERE stream_id = $1`, [id]);
    expect(stored.rows[0]?.stream_version).toBe(2 * every);
    expect(service.codec('orderStateCodec').fromBinary(stored.rows[0]?.state ?? new Uint8Array())).toEqual(evolveAll(initial, all));
  });

  it('are not written by an append that is refused', async () => {
    const id = randomUUID();
    await orders.append(id, [placed(), ...Array.from({ length: every - 4 }, () => confirmed())], 0);
    const other = service.orderRepository(iso.pool);
    await other.append(id, [cancelled('first')], every - 3); // 47 → 48: no snapshot due
    // Refused: 47 → 52 would cross 50, with the snapshot in the statement.
    await expect(orders.append(id, Array.from({ length: 5 }, () => confirmed()), every - 3)).rejects.toBeInstanceOf(ConcurrencyError);
    await orders.settled();
    expect(await snapshotRow(id)).toBeUndefined();
    expect((await orders.load(id)).version).toBe(every - 2);
  });

  it('without onSnapshotError, a failing background snapshot is a warning of the logger', async () => {
    const log = recordingLogger();
    const logged = service.orderRepository(iso.pool, { logger: log });
    const id = randomUUID();
    await iso.pool.query('ALTER TABLE eventsmith_snapshots RENAME TO eventsmith_snapshots_away');
    try {
      await logged.append(id, [placed(), ...Array.from({ length: every }, () => confirmed())], 0);
      await logged.settled();
    } finally {
      await iso.pool.query('ALTER TABLE eventsmith_snapshots_away RENAME TO eventsmith_snapshots');
    }
    expect(log.lines).toEqual([
      {
        level: 'warn',
        fields: { component: 'repository', aggregate: 'Order', streamId: id, err: expect.objectContaining({ message: 'relation "eventsmith_snapshots" does not exist' }) },
        message: 'background snapshot failed; loads replay more events until the next one',
      },
    ]);
  });
});
