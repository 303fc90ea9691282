// The generated OrderSummary projection on real PostgreSQL: its rules against a reference fold,
// the runner under concurrent writers, crashes (SIGKILLed child processes) mid-batch, takeover
// by a second instance, and a rebuild under continuous writes.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../generated-example/src/generated/orders/types.js';
import {
  type ConnectionPool,
  type EventInput,
  type Repository,
  ensureProjection,
  migrate,
  decodeStoredEvent,
  projectBatch,
  projectionLag,
  readAll,
  rebuildProjection,
  silentLogger,
  startProjectionRunner,
} from '../../generator/runtime/index.js';
import { useTestDatabase } from '../postgres/db.js';
import { root } from '../emit/evolution-support.js';
import { type ProjectionModules, generateProjectionCode, loadProjection, randomHistory, referenceFold, rng, tableRows } from './support.js';

type Orders = Repository<string, unknown, EventInput<OrderEvent>>;

const db = useTestDatabase();
let code: { dir: string; remove: () => void };
let dist: { dir: string; remove: () => void };
let p: ProjectionModules;
let orderRepository: (pool: ConnectionPool) => Orders;

beforeAll(async () => {
  code = await generateProjectionCode('projection-src', 'source');
  dist = await generateProjectionCode('projection-dist', 'dist');
  p = await loadProjection(code.dir);
  const repo = (await import(pathToFileURL(path.join(code.dir, 'orders/repository.js')).href)) as Record<string, unknown>;
  orderRepository = repo['orderRepository'] as (pool: ConnectionPool) => Orders;
});

afterAll(() => {
  code.remove();
  dist.remove();
});

async function fresh(): Promise<{ pool: ConnectionPool & { end(): Promise<void> }; schema: string; orders: Orders }> {
  const iso = await db.isolated({ max: 12 });
  await migrate(iso.pool);
  await ensureProjection(iso.pool, p.definition);
  return { pool: iso.pool, schema: iso.schema, orders: orderRepository(iso.pool) };
}

async function appendHistories(orders: Orders, seed: number, count: number): Promise<void> {
  const random = rng(seed);
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    let version = 0;
    for (const e of randomHistory(random)) {
      await orders.append(id, [e], version);
      version++;
    }
  }
}

async function drain(pool: ConnectionPool, batch = 50): Promise<void> {
  for (;;) if ((await projectBatch(pool, p.definition, { limit: batch })).read === 0) return;
}

async function expectTableEqualsFold(pool: ConnectionPool, table?: string): Promise<void> {
  const expected = await referenceFold(pool, p.decoding);
  const actual = await tableRows(pool, p, table);
  expect(actual.size).toBe(expected.size);
  for (const [id, row] of expected) expect(actual.get(id), id).toEqual(row);
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('projection rules', () => {
  it('make the table equal a reference fold of a seeded random history', async () => {
    const { pool, orders } = await fresh();
    await appendHistories(orders, 42, 120);
    await drain(pool, 37);
    await expectTableEqualsFold(pool);
    const lag = await projectionLag(pool, p.definition);
    expect(lag).toEqual({ events: 0, seconds: 0 });
  });

  it('are typed queries: by key and filtered by an indexed column', async () => {
    const { pool, orders } = await fresh();
    const id = randomUUID();
    await orders.append(id, [randomHistory(rng(1))[0] ?? (undefined as never)], 0);
    await drain(pool);
    const row = await p.get(pool, id);
    expect(row?.orderId).toBe(id);
    expect((await p.list(pool, { status: row?.status ?? '' })).map((r) => r.orderId)).toContain(id);
    expect(await p.get(pool, randomUUID())).toBeUndefined();
  });
});

describe('Kafka mode handlers (the generated orderSummaryKafkaHandlers)', () => {
  /** The runner's TransactionScope, as a consumer transaction gives it to its handlers. */
  class Scope {
    private readonly states = new Map<object, unknown>();
    readonly deferred: Array<() => Promise<void>> = [];
    state<T>(owner: object, create: () => T): T {
      if (!this.states.has(owner)) this.states.set(owner, create());
      return this.states.get(owner) as T;
    }
    beforeCommit(work: () => Promise<void>): void {
      this.deferred.push(work);
    }
  }

  it('apply the events of a consumer transaction together before its commit: two statements per transaction, whatever its size, and the table equals the reference fold', async () => {
    const { pool, orders } = await fresh();
    await appendHistories(orders, 7, 60);
    const m = (await import(pathToFileURL(path.join(code.dir, 'orders/projections.js')).href)) as Record<string, unknown>;
    type Handler = (e: Record<string, unknown>, context: Record<string, unknown>) => Promise<void>;
    const handlers = (m['orderSummaryKafkaHandlers'] as () => { Order: Record<string, Handler> })().Order;
    const names: Record<string, string> = { placed: 'OrderPlaced', confirmed: 'OrderConfirmed', cancelled: 'OrderCancelled' };
    // The events as the consumer delivers them: decoded and upcast, with the stream version extension.
    const delivered = (await readAll(pool, 0n, 100_000)).map((r) => {
      const { type, data } = decodeStoredEvent(p.decoding, r);
      return { id: r.eventId, type, subject: r.streamId, time: r.occurredAt.toISOString(), streamversion: r.streamVersion, data };
    });
    expect(delivered.length).toBeGreaterThan(100);
    const client = await pool.connect();
    const perTransaction: number[] = [];
    try {
      for (const size of [1, 9, 40, 1000]) {
        await client.query(`TRUNCATE ${p.definition.table}`);
        for (let i = 0; i < delivered.length; i += size) {
          let statements = 0;
          const tx = { query: (...args: Parameters<typeof client.query>) => (statements++, client.query(...args)) };
          const scope = new Scope();
          await client.query('BEGIN');
          for (const e of delivered.slice(i, i + size)) {
            const handler = handlers[names[e.type.split('.').pop() ?? ''] ?? ''];
            if (handler === undefined) throw new Error(`no handler for ${e.type}`);
            await handler(e, { tx, transaction: scope, attempt: 1 });
          }
          expect(statements).toBe(0); // nothing until the transaction's end
          for (const work of scope.deferred) await work();
          await client.query('COMMIT');
          perTransaction.push(statements);
        }
        await expectTableEqualsFold(pool);
      }
    } finally {
      client.release();
    }
    expect(Math.max(...perTransaction)).toBeLessThanOrEqual(2);
    // Outside the runner (no scope), each event is applied at once.
    await pool.query(`TRUNCATE ${p.definition.table}`);
    let statements = 0;
    const tx = { query: (...args: Parameters<typeof pool.query>) => (statements++, pool.query(...args)) };
    for (const e of delivered) await handlers[names[e.type.split('.').pop() ?? ''] ?? '']?.(e, { tx, attempt: 1 });
    expect(statements).toBe(delivered.length);
    await expectTableEqualsFold(pool);
  });
});

describe('the runner', () => {
  it('keeps up with 4 concurrent writers: the table equals the replay, and no checkpoint passes an event that commits later', async () => {
    const { pool, orders } = await fresh();
    const checkpoints: { txid: bigint; position: bigint; below: number }[] = [];
    const counts: Promise<void>[] = [];
    const countBelow = async (c: { txid: bigint; position: bigint }): Promise<number> => {
      const r = await pool.query('SELECT count(*)::int AS n FROM eventsmith_events WHERE (txid, global_position) <= ($1::xid8, $2::bigint)', [
        c.txid.toString(),
        c.position.toString(),
      ]);
      return (r.rows[0] as { n: number }).n;
    };
    const runner = startProjectionRunner(pool, p.definition, {
      batchSize: 25,
      idleMillis: 5,
      logger: silentLogger,
      onBatch: (b) => {
        counts.push(countBelow(b.cursor).then((below) => void checkpoints.push({ ...b.cursor, below })));
      },
    });
    await Promise.all([0, 1, 2, 3].map((w) => appendHistories(orders, 100 + w, 60)));
    await until('the runner to catch up', async () => (await projectionLag(pool, p.definition)).events === 0);
    await runner.stop();
    await Promise.all(counts);
    expect(checkpoints.length).toBeGreaterThan(3);
    // Events below a checkpoint were all there when it was written: none committed later below it.
    for (const c of checkpoints) expect(await countBelow(c)).toBe(c.below);
    await expectTableEqualsFold(pool);
  });

  it('reads ahead while behind, and discards what it read when another applier moved the checkpoint: every event applied once', async () => {
    const { pool, orders } = await fresh();
    await appendHistories(orders, 41, 40);
    // Reads ahead, and those found stale: the checkpoint locked to apply them was not where the
    // runner's previous batch left it (another applier moved it in between).
    let aheadReads = 0;
    let stale = 0;
    let last: { txid: bigint; position: bigint } | undefined;
    const wrappers = new Map<unknown, unknown>();
    const counting = {
      query: pool.query.bind(pool),
      connect: async () => {
        const c = (await pool.connect()) as unknown as { query: (...args: unknown[]) => Promise<unknown>; release: (e?: unknown) => void; on: (...args: unknown[]) => unknown };
        const known = wrappers.get(c);
        if (known !== undefined) return known;
        const wrapper = {
          query: (...args: unknown[]): Promise<unknown> => {
            const a = args[0];
            const text = typeof a === 'string' ? a : typeof a === 'object' && a !== null && 'text' in a ? String(a.text) : '';
            if (text.startsWith('WITH e AS MATERIALIZED')) aheadReads++;
            const result = c.query(...args);
            if (!text.startsWith('BEGIN;') || !text.includes('FOR UPDATE')) return result;
            // The checkpoint locked for events read ahead, after the runner's last batch: moved since?
            return result.then((r) => {
              const row = (r as { rows: { txid?: string; position: string }[] }[]).find((x) => x.rows[0]?.txid !== undefined)?.rows[0] as { txid: string; position: string } | undefined;
              if (row !== undefined && (BigInt(row.txid) !== last?.txid || BigInt(row.position) !== last.position)) stale++;
              return r;
            });
          },
          release: (e?: unknown) => c.release(e),
          on: (...args: unknown[]) => c.on(...args),
        };
        wrappers.set(c, wrapper);
        return wrapper;
      },
    } as unknown as ConnectionPool;
    const runner = startProjectionRunner(counting, p.definition, { batchSize: 10, idleMillis: 5, logger: silentLogger, onBatch: (b) => (last = b.cursor) });
    // Another applier, outside the runner's lock, racing it batch for batch, while writers append.
    let racing = true;
    const writers = [0, 1].map(async (w) => {
      let seed = 5000 + w * 100_000;
      while (racing) await appendHistories(orders, seed++, 1);
    });
    const racer = (async () => {
      while (racing) await projectBatch(pool, p.definition, { limit: 7 });
    })();
    await until('read-aheads applied and read-aheads found stale', () => aheadReads > 5 && stale > 0);
    racing = false;
    await Promise.all([...writers, racer]);
    await until('the runner to catch up', async () => (await projectionLag(pool, p.definition)).events === 0);
    await runner.stop();
    await expectTableEqualsFold(pool);
  });

  it('does not read ahead from a pool of one connection (the runner holds it): it applies everything', async () => {
    const iso = await db.isolated({ max: 1 });
    await migrate(iso.pool);
    await ensureProjection(iso.pool, p.definition);
    await appendHistories(orderRepository(iso.pool), 61, 20);
    const total = ((await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_events')).rows[0] as { n: number }).n;
    let read = 0;
    const runner = startProjectionRunner(iso.pool, p.definition, { batchSize: 10, idleMillis: 5, logger: silentLogger, onBatch: (b) => (read += b.read) });
    // Nothing else can query while the runner holds the only connection.
    await until('the runner to read every event', () => read === total, 20_000);
    await runner.stop();
    await expectTableEqualsFold(iso.pool);
  });

  it('commits its batches without waiting for the WAL flush unless synchronousCommit, whether read ahead or not', async () => {
    for (const synchronousCommit of [undefined, true]) {
      const { pool, orders } = await fresh();
      await appendHistories(orders, 71, 30);
      // What the server's synchronous_commit is in each batch transaction, asked on its connection just before COMMIT.
      const settings: string[] = [];
      const watching = {
        query: pool.query.bind(pool),
        connect: async () => {
          const c = (await pool.connect()) as unknown as { query: (...args: unknown[]) => Promise<unknown>; release: (e?: unknown) => void; on: (...args: unknown[]) => unknown };
          // The test cluster runs with synchronous_commit off: each session starts from on here.
          await c.query('SET synchronous_commit TO on');
          return {
            query: async (...args: unknown[]): Promise<unknown> => {
              if (args[0] === 'COMMIT') settings.push(((await c.query('SHOW synchronous_commit')) as { rows: { synchronous_commit: string }[] }).rows[0]?.synchronous_commit ?? '?');
              return c.query(...args);
            },
            release: (e?: unknown) => c.release(e),
            on: (...args: unknown[]) => c.on(...args),
          };
        },
      } as unknown as ConnectionPool;
      const runner = startProjectionRunner(watching, p.definition, { batchSize: 10, idleMillis: 5, logger: silentLogger, ...(synchronousCommit ? { synchronousCommit } : {}) });
      await until('the runner to catch up', async () => (await projectionLag(pool, p.definition)).events === 0);
      await runner.stop();
      await expectTableEqualsFold(pool);
      // Batches begun by BEGIN alone and by a read ahead's BEGIN + lock both (30 histories, batches of 10).
      expect(settings.length).toBeGreaterThan(2);
      expect(new Set(settings)).toEqual(new Set([synchronousCommit ? 'on' : 'off']));
    }
  });

  function child(schema: string, hangAfter: number, batch = 10): { proc: ChildProcess; lines: string[] } {
    const proc = spawn(process.execPath, [path.join(root, 'test/support/projection-child.mjs'), dist.dir, db.url, schema, String(hangAfter), String(batch)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffer = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      lines.push(...parts);
    });
    return { proc, lines };
  }

  async function kill(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  it.each([1, 7, 10, 23])('loses and repeats nothing when SIGKILLed after applying %i events (mid-batch)', async (hangAfter) => {
    const { pool, schema, orders } = await fresh();
    await appendHistories(orders, 7 + hangAfter, 25);
    const c = child(schema, hangAfter);
    try {
      await until('the child to hang mid-batch', () => c.lines.includes('HANG'));
    } finally {
      await kill(c.proc);
    }
    // The killed batch rolled back with its checkpoint; a new runner applies every event once.
    await drain(pool);
    await expectTableEqualsFold(pool);
  });

  it('runs on one instance at a time; when that one is killed, the other takes over', { timeout: 120_000 }, async () => {
    const { pool, schema, orders } = await fresh();
    await appendHistories(orders, 5, 10);
    const a = child(schema, 0, 5);
    const b = child(schema, 0, 5);
    try {
      await until('one child to become active', () => a.lines.includes('ACTIVE') || b.lines.includes('ACTIVE'));
      const [active, standby] = a.lines.includes('ACTIVE') ? [a, b] : [b, a];
      await until('the active child to apply everything', async () => (await projectionLag(pool, p.definition)).events === 0);
      expect(standby.lines).not.toContain('ACTIVE');
      expect(standby.lines.filter((l) => l.startsWith('APPLIED'))).toEqual([]);
      await kill(active.proc);
      await appendHistories(orders, 6, 10);
      await until('the standby to take over', () => standby.lines.includes('ACTIVE'));
      await until('the standby to catch up', async () => (await projectionLag(pool, p.definition)).events === 0);
      expect(standby.lines.some((l) => l.startsWith('APPLIED'))).toBe(true);
    } finally {
      await kill(a.proc);
      await kill(b.proc);
    }
    await expectTableEqualsFold(pool);
  });

  it('refuses to apply rules other than those the table was built with, until a rebuild', async () => {
    const { pool, orders } = await fresh();
    await appendHistories(orders, 9, 5);
    const changed = { ...p.definition, fingerprint: 'changed-rules' };
    expect(await ensureProjection(pool, changed)).toEqual({ rebuildRequired: true });
    await expect(projectBatch(pool, changed)).rejects.toThrow(/rebuild required/);
    await rebuildProjection(pool, changed);
    expect(await ensureProjection(pool, changed)).toEqual({ rebuildRequired: false });
    await expectTableEqualsFold(pool);
  });
});

describe('rebuild', () => {
  it('swaps in a replayed table under continuous writes; reads never see an empty or partial table', async () => {
    const { pool, orders } = await fresh();
    await appendHistories(orders, 11, 150);
    await drain(pool);
    const runner = startProjectionRunner(pool, p.definition, { batchSize: 50, idleMillis: 5, logger: silentLogger });
    let writing = true;
    const writers = [0, 1].map(async (w) => {
      let seed = 1000 + w * 100_000;
      while (writing) await appendHistories(orders, seed++, 1);
    });
    // Orders are never deleted by these rules, so the row count never goes down unless a read saw a partial table.
    let reading = true;
    let reads = 0;
    let lowest = Number.POSITIVE_INFINITY;
    let previous = 0;
    let shrank = 0;
    const reader = (async () => {
      while (reading) {
        const n = (await pool.query('SELECT count(*)::int AS n FROM order_summaries')).rows[0] as { n: number };
        lowest = Math.min(lowest, n.n);
        if (n.n < previous) shrank++;
        previous = n.n;
        reads++;
      }
    })();
    const result = await rebuildProjection(pool, p.definition, { batchSize: 100 });
    writing = false;
    await Promise.all(writers);
    await until('the runner to catch up', async () => (await projectionLag(pool, p.definition)).events === 0);
    reading = false;
    await reader;
    await runner.stop();
    expect(result.read).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(10);
    expect(lowest).toBeGreaterThan(0);
    expect(shrank).toBe(0);
    await expectTableEqualsFold(pool);
    // The shadow is gone and its checkpoint with it; the live one carries the fingerprint.
    expect((await pool.query("SELECT to_regclass('order_summaries__rebuild') IS NULL AS gone")).rows[0]).toEqual({ gone: true });
    expect((await pool.query('SELECT name, fingerprint FROM eventsmith_projections ORDER BY name')).rows).toEqual([
      { name: 'OrderSummary', fingerprint: p.definition.fingerprint },
    ]);
  });
});
