// The command consumer's batched path on a real PostgreSQL: the commands of one consumer
// transaction (commandHandler with a TransactionScope) loaded in one statement, decided in
// memory, appended in one; against the same commands executed one by one.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  type Decide,
  type HandlerContext,
  type Queryable,
  type Repository,
  DeferredEventError,
  commandHandler,
  createCodec,
  createRepository,
  executeCommand,
  makeEnvelope,
  transactionScope,
} from '../../generator/runtime/index.js';
import { useTestDatabase } from '../postgres/db.js';
import {
  type InventoryEvent,
  type InventoryState,
  type ReserveStock,
  SOURCE,
  T,
  codecs,
  commandHandlers,
  evolveInventory,
  inventoryStateCodec,
  shopDeciders,
  shopRepositories,
  shopTopics,
} from './domain.js';
import { sagaSchema } from './helpers.js';

const db = useTestDatabase();
const topics = shopTopics('batch');

type Command = CloudEvent<string, unknown>;

const reserve = (agg: string, quantity: number, scenario = 'ok', correlationid?: string): Command =>
  makeEnvelope({ type: T.reserveStock, dataversion: 1, source: SOURCE, subject: agg, data: { sku: 's', quantity, scenario } }, correlationid ? { correlationid } : {});
const release = (agg: string, scenario = 'ok'): Command => makeEnvelope({ type: T.releaseStock, dataversion: 1, source: SOURCE, subject: agg, data: { scenario } });
const capture = (agg: string, amount: bigint): Command => makeEnvelope({ type: T.capturePayment, dataversion: 1, source: SOURCE, subject: agg, data: { amount, scenario: 'ok' } });

/** A Queryable over `client` that records the statements sent through it (name or first words, and values). */
function counting(client: Queryable): { tx: Queryable; statements: Array<{ what: string; values: unknown[] }> } {
  const statements: Array<{ what: string; values: unknown[] }> = [];
  const tx = {
    query: (sql: string | { readonly text: string; readonly name?: string; readonly values?: unknown[] }, params?: unknown[]) => {
      const what = typeof sql === 'string' ? sql.trim().split(/\s+/).slice(0, 3).join(' ') : (sql.name ?? sql.text.trim().split(/\s+/).slice(0, 3).join(' '));
      statements.push({ what, values: (typeof sql === 'string' ? params : sql.values) ?? [] });
      return client.query(sql as string, params);
    },
  } as unknown as Queryable;
  return { tx, statements };
}

type Handlers = Record<string, (command: Command, context: HandlerContext) => Promise<void>>;

/** The commands in ONE transaction, as the consumer runner runs them (handlers, then the scope's deferred work, then COMMIT). */
async function inOneTransaction(
  iso: { connect(): Promise<{ query(sql: string): Promise<unknown> } & Queryable> },
  handlers: Handlers,
  commands: readonly Command[],
  hooks: { beforeQuery?: (what: string) => Promise<void> } = {},
): Promise<Array<{ what: string; values: unknown[] }>> {
  const client = await iso.connect();
  const { tx: counted, statements } = counting(client);
  const tx: Queryable = {
    query: (async (sql: never, params?: never) => {
      const what = typeof sql === 'string' ? sql : (sql as { name?: string; text: string }).name ?? (sql as { text: string }).text;
      await hooks.beforeQuery?.(what);
      return counted.query(sql, params);
    }) as Queryable['query'],
  };
  await client.query('BEGIN');
  const scope = transactionScope();
  try {
    for (const [k, c] of commands.entries()) {
      await handlers[c.type]?.(c, { tx, groupId: 'services', topic: 't', partition: 0, offset: String(k), attempt: 1, writerVersion: 1, transaction: scope });
    }
    await scope.commit();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  scope.committed();
  return statements;
}

/** Each command in a transaction of its own, without a scope (executeCommand, as before batching). */
async function oneByOne(iso: { connect(): Promise<{ query(sql: string): Promise<unknown> } & Queryable> }, handlers: Handlers, commands: readonly Command[]): Promise<void> {
  const client = await iso.connect();
  for (const [k, c] of commands.entries()) {
    await client.query('BEGIN');
    await handlers[c.type]?.(c, { tx: client, groupId: 'services', topic: 't', partition: 0, offset: String(k), attempt: 1, writerVersion: 1 });
    await client.query('COMMIT');
  }
}

/**
 * What a run left: every event and every outbox row, per aggregate in write order (the commands of
 * one aggregate type are written together, each type's before COMMIT), without what differs per
 * run (ids, times).
 */
async function stored(db: Queryable): Promise<{ events: readonly unknown[]; outbox: readonly unknown[]; heads: readonly unknown[] }> {
  const events = await db.query(
    `SELECT stream_type, stream_id, stream_version, event_type, schema_version, content_type, encode(data, 'hex') AS data, metadata
       FROM eventsmith_events ORDER BY stream_type, stream_id, global_position`,
  );
  const outbox = await db.query(
    `SELECT aggregatetype, aggregateid, type, encode(payload, 'hex') AS payload, topic, headers, content_type FROM eventsmith_outbox ORDER BY aggregatetype, aggregateid, position`,
  );
  const heads = await db.query(`SELECT stream_type, stream_id, version FROM eventsmith_streams ORDER BY stream_type, stream_id`);
  return {
    events: events.rows,
    outbox: outbox.rows.map((r) => {
      const { ce_id: _id, ce_time: _time, ...headers } = (r as { headers: Record<string, string> }).headers;
      return { ...(r as object), headers };
    }),
    heads: heads.rows,
  };
}

/** Inventory with snapshots every 3 events (the shop's has none), its definition. */
function snapshottedDefinition(stateFields = ['reserved', 'reservations', 'releases', 'failedReleases']) {
  return {
    streamType: 'Inventory',
    topic: topics.inventory,
    source: SOURCE,
    encoding: 'avro' as const,
    streamId: (id: string) => id,
    codecs: {
      [T.stockReserved]: { 1: codecs[T.stockReserved] },
      [T.stockReservationFailed]: { 1: codecs[T.stockReservationFailed] },
      [T.stockReleased]: { 1: codecs[T.stockReleased] },
      [T.stockReleaseFailed]: { 1: codecs[T.stockReleaseFailed] },
    },
    upcast: (e: unknown) => e as InventoryEvent,
    initialState: { reserved: 0, reservations: 0, releases: 0, failedReleases: 0 },
    evolve: evolveInventory,
    snapshotEvery: 3,
    stateCodec: inventoryStateCodec(stateFields),
  };
}

/** Inventory with snapshots every 3 events (the shop's has none). */
function snapshottedInventory(pool: Parameters<typeof createRepository>[0], stateFields?: string[]): Repository<string, InventoryState, InventoryEvent> {
  return createRepository(pool, snapshottedDefinition(stateFields));
}

type SnapshotRow = { stream_id: string; stream_version: number; state: string };

/** The stored snapshots, by version then stream. */
async function snapshotRows(pool: Queryable): Promise<SnapshotRow[]> {
  const r = await pool.query(`SELECT stream_id, stream_version, encode(state, 'hex') AS state FROM eventsmith_snapshots ORDER BY stream_version, stream_id`);
  return r.rows as SnapshotRow[];
}

/** The snapshot row a whole replay of the stream gives (read without writing one: through `client`). */
async function replayed(pool: Queryable, repo: Repository<string, InventoryState, InventoryEvent>, id: string): Promise<SnapshotRow> {
  const loaded = await repo.load(id, { client: pool, useSnapshot: false });
  return { stream_id: id, stream_version: loaded.version, state: Buffer.from(inventoryStateCodec().toBinary(loaded.state)).toString('hex') };
}

describe('commands batched over a consumer transaction', () => {
  it('several aggregates, some addressed again, commands that decide nothing or a failure: the same events, versions, outbox rows and headers as one by one', async () => {
    const [a, b, c, p] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const commands: Command[] = [
      reserve(a, 1, 'ok', 'saga-a'),
      reserve(b, 2),
      capture(p, 5n),
      reserve(a, 3, 'silent-stock'),
      release(a),
      reserve(c, 1, 'fail-stock', 'saga-c'),
      reserve(b, 4),
      reserve(a, 5),
      capture(p, 7n),
      release(b, 'release-fails'),
      reserve(c, 2),
    ];
    const batched = await sagaSchema(db);
    const single = await sagaSchema(db);
    const statements = await inOneTransaction(batched, commandHandlers(shopRepositories(batched.pool, topics)), commands);
    await oneByOne(single, commandHandlers(shopRepositories(single.pool, topics)), commands);
    const got = await stored(batched.pool);
    expect(got).toEqual(await stored(single.pool));
    expect(got.events).toHaveLength(10);
    // Within one aggregate type, in the order of the commands, as one by one.
    const order = async (pool: Queryable) => (await pool.query(`SELECT metadata->>'causationid' AS cause FROM eventsmith_outbox o JOIN eventsmith_events e ON e.event_id = o.id WHERE o.aggregatetype = 'Inventory' ORDER BY o.position`)).rows;
    expect(await order(batched.pool)).toEqual(await order(single.pool));
    expect(got.heads).toEqual(
      [
        { stream_type: 'Inventory', stream_id: a, version: 3 },
        { stream_type: 'Inventory', stream_id: b, version: 3 },
        { stream_type: 'Inventory', stream_id: c, version: 2 },
        { stream_type: 'Payment', stream_id: p, version: 2 },
      ].sort((x, y) => (x.stream_type + x.stream_id < y.stream_type + y.stream_id ? -1 : 1)),
    );
    // Inventory and Payment: one load and one append each.
    expect(statements.map((s) => s.what)).toEqual(['eventsmith_load_aggregates', 'eventsmith_append_streams', 'eventsmith_load_aggregates', 'eventsmith_append_streams']);
    // The stream-version header of each event, the causation of each command.
    const outbox = got.outbox as Array<{ aggregateid: string; headers: Record<string, string> }>;
    expect(outbox.filter((r) => r.aggregateid === a).map((r) => r.headers.ce_streamversion)).toEqual(['1', '2', '3']);
    expect(outbox.filter((r) => r.aggregateid === a).map((r) => r.headers.ce_causationid)).toEqual([commands[0]?.id, commands[4]?.id, commands[7]?.id]);
    expect(outbox.filter((r) => r.aggregateid === a).map((r) => r.headers.ce_correlationid)).toEqual(['saga-a', commands[4]?.id, commands[7]?.id]);
  });

  it('statements per transaction do not grow with the number of aggregates', async () => {
    const iso = await sagaSchema(db);
    const handlers = commandHandlers(shopRepositories(iso.pool, topics));
    const counts: number[] = [];
    for (const n of [1, 4, 16, 48]) {
      const ids = Array.from({ length: n }, () => randomUUID());
      // Each aggregate twice: new streams, then streams with events.
      counts.push((await inOneTransaction(iso, handlers, ids.flatMap((id) => [reserve(id, 1), reserve(id, 2)]))).length);
      counts.push((await inOneTransaction(iso, handlers, ids.flatMap((id) => [release(id), reserve(id, 3)]))).length);
      const versions = await iso.pool.query(`SELECT version FROM eventsmith_streams WHERE stream_id = ANY($1::text[])`, [ids]);
      expect(versions.rows.map((r) => (r as { version: number }).version)).toEqual(ids.map(() => 4));
    }
    expect(counts).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('another writer appends to one aggregate between the load and the append: only that one is loaded and decided again, nothing is written twice', async () => {
    const iso = await sagaSchema(db);
    const repos = shopRepositories(iso.pool, topics);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const decided: Array<{ agg: string; quantity: number; version: number; conflicts: number }> = [];
    const decide: Decide<InventoryState, ReserveStock, InventoryEvent> = (s, cmd, meta) => {
      decided.push({ agg: meta.aggregateId, quantity: cmd.quantity, version: meta.version, conflicts: meta.conflicts });
      return shopDeciders().reserveStock(s, cmd, meta);
    };
    const executed: Array<{ id: string; version: number; conflicts: number; offset: string }> = [];
    const handlers: Handlers = {
      [T.reserveStock]: commandHandler(repos.inventory, decide, {
        onExecuted: (result, command, context) => void executed.push({ id: command.id, version: result.version, conflicts: result.conflicts, offset: context.offset }),
      }) as Handlers[string],
    };
    await repos.inventory.append(b, [{ type: T.stockReserved, data: { quantity: 100 } }], 0);
    let raced = false;
    const commands = [reserve(a, 1), reserve(b, 2), reserve(c, 3), reserve(b, 4)];
    const statements = await inOneTransaction(iso, handlers, commands, {
      beforeQuery: async (what) => {
        if (raced || !what.includes('append_streams')) return;
        raced = true;
        await repos.inventory.append(b, [{ type: T.stockReserved, data: { quantity: 10 } }], 1);
      },
    });
    // Load all, append all (b refused), b's version, load b, append b.
    expect(statements.map((s) => s.what)).toEqual([
      'eventsmith_load_aggregates',
      'eventsmith_append_streams',
      'eventsmith_stream_versions',
      'eventsmith_load_aggregates',
      'eventsmith_append_streams',
    ]);
    expect(statements[3]?.values[1]).toEqual([b]);
    expect(statements[4]?.values[1]).toEqual([b]);
    expect(decided).toEqual([
      { agg: a, quantity: 1, version: 0, conflicts: 0 },
      { agg: b, quantity: 2, version: 1, conflicts: 0 },
      { agg: b, quantity: 4, version: 2, conflicts: 0 },
      { agg: c, quantity: 3, version: 0, conflicts: 0 },
      { agg: b, quantity: 2, version: 2, conflicts: 1 },
      { agg: b, quantity: 4, version: 3, conflicts: 1 },
    ]);
    // onExecuted once per command, in their order, in their own context.
    expect(executed).toEqual([
      { id: commands[0]?.id, version: 1, conflicts: 0, offset: '0' },
      { id: commands[1]?.id, version: 3, conflicts: 1, offset: '1' },
      { id: commands[2]?.id, version: 1, conflicts: 0, offset: '2' },
      { id: commands[3]?.id, version: 4, conflicts: 1, offset: '3' },
    ]);
    const events = await iso.pool.query(`SELECT stream_id, stream_version, metadata->>'causationid' AS cause FROM eventsmith_events ORDER BY stream_id, stream_version`);
    const of = (id: string) => events.rows.filter((r) => (r as { stream_id: string }).stream_id === id).map((r) => (r as { cause: string | null }).cause);
    expect(of(a)).toEqual([commands[0]?.id]);
    expect(of(b)).toEqual([null, null, commands[1]?.id, commands[3]?.id]);
    expect(of(c)).toEqual([commands[2]?.id]);
    expect((await repos.inventory.load(b)).state).toMatchObject({ reserved: 116, reservations: 4 });
    const outbox = await iso.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM eventsmith_outbox`);
    expect(outbox.rows[0]).toEqual({ n: 6, ids: 6 });
  });

  it('a decider that throws is charged to its command (DeferredEventError); the transaction is left to the runner', async () => {
    const iso = await sagaSchema(db);
    const repos = shopRepositories(iso.pool, topics);
    const decide: Decide<InventoryState, ReserveStock, InventoryEvent> = (s, cmd, meta) => {
      if (cmd.scenario === 'boom') throw new Error('decider bug');
      return shopDeciders().reserveStock(s, cmd, meta);
    };
    const handlers: Handlers = { [T.reserveStock]: commandHandler(repos.inventory, decide) as Handlers[string] };
    const [a, b] = [randomUUID(), randomUUID()];
    const bad = reserve(b, 1, 'boom');
    const failed = await inOneTransaction(iso, handlers, [reserve(a, 1), reserve(b, 2), bad, reserve(a, 3)]).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(DeferredEventError);
    expect((failed as DeferredEventError).eventId).toBe(bad.id);
    expect(((failed as DeferredEventError).cause as Error).message).toBe('decider bug');
    // A stored event that cannot be decoded is charged to the first command of its aggregate.
    await iso.pool.query(`INSERT INTO eventsmith_streams (stream_type, stream_id, version) VALUES ('Inventory', $1, 1)`, [a]);
    await iso.pool.query(
      `INSERT INTO eventsmith_events (stream_type, stream_id, stream_version, event_id, event_type, schema_version, content_type, data, metadata, occurred_at)
       VALUES ('Inventory', $1, 1, $2, $3, 1, 'application/avro', '\\xff'::bytea, '{}', now())`,
      [a, randomUUID(), T.stockReserved],
    );
    const first = reserve(a, 1);
    const undecodable = await inOneTransaction(iso, handlers, [reserve(b, 1), first, reserve(a, 2)]).catch((err: unknown) => err);
    expect((undecodable as DeferredEventError).eventId).toBe(first.id);
    expect(await iso.pool.query(`SELECT count(*)::int AS n FROM eventsmith_events WHERE stream_id = $1`, [b]).then((r) => r.rows[0])).toEqual({ n: 0 });
  });

  it('snapshots: the batched load starts from a snapshot of its schema, ignores one of another schema or that does not decode, and the same snapshots are written afterwards', async () => {
    const batched = await sagaSchema(db);
    const single = await sagaSchema(db);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const [, b, c] = ids as [string, string, string];
    const prepare = async (pool: typeof batched.pool) => {
      const repo = snapshottedInventory(pool);
      // 7 events each; through the pool the repository snapshots at 3 and 6.
      for (const id of ids) {
        for (let v = 0; v < 7; v++) {
          await repo.append(id, [{ type: T.stockReserved, data: { quantity: 1 } }], v);
          await repo.settled();
        }
      }
      // b's snapshot of another state schema, c's undecodable.
      await pool.query(`UPDATE eventsmith_snapshots SET schema_fingerprint = 'other' WHERE stream_id = $1`, [b]);
      await pool.query(`UPDATE eventsmith_snapshots SET state = '\\x01'::bytea WHERE stream_id = $1`, [c]);
      return repo;
    };
    const repoBatched = await prepare(batched.pool);
    const repoSingle = await prepare(single.pool);
    const loaded = await (async () => {
      const client = await batched.connect();
      return repoBatched.loadMany?.(ids, { client });
    })();
    const expected = await Promise.all(ids.map((id) => repoBatched.load(id, { client: batched.pool })));
    expect(loaded?.map((r) => (r.status === 'fulfilled' ? r.value : r.reason))).toEqual(expected);
    expect(expected.map((l) => [l.snapshotVersion, l.snapshotIgnored])).toEqual([[6, undefined], [0, 'schema-mismatch'], [0, 'undecodable']]);
    expect(expected.map((l) => l.state.reserved)).toEqual([7, 7, 7]);

    const commands = ids.flatMap((id) => [reserve(id, 2), release(id), reserve(id, 3)]);
    const handlersOf = (repo: typeof repoBatched): Handlers => {
      const d = shopDeciders();
      return { [T.reserveStock]: commandHandler(repo, d.reserveStock) as Handlers[string], [T.releaseStock]: commandHandler(repo, d.releaseStock) as Handlers[string] };
    };
    await inOneTransaction(batched, handlersOf(repoBatched), commands);
    await oneByOne(single, handlersOf(repoSingle), commands);
    expect(await stored(batched.pool)).toEqual(await stored(single.pool));
    // Loads through the pool write the snapshots that are due, at the same versions.
    for (const [repo, pool] of [[repoBatched, batched.pool], [repoSingle, single.pool]] as const) {
      for (const id of ids) await repo.load(id);
      await repo.settled();
      void pool;
    }
    const snapshots = async (pool: Queryable) =>
      (await pool.query(`SELECT stream_id, stream_version, schema_fingerprint, encode(state, 'hex') AS state FROM eventsmith_snapshots ORDER BY stream_id`)).rows;
    expect(await snapshots(batched.pool)).toEqual(await snapshots(single.pool));
    expect((await snapshots(batched.pool)).map((r) => (r as { stream_version: number }).stream_version)).toEqual([10, 10, 10]);
  });

  it('snapshots on the command path: once the transaction commits, each aggregate whose load applied snapshotEvery or more events past its snapshot (its appends counted) gets one equal to a replay, and loads start from it', async () => {
    const iso = await sagaSchema(db);
    const repo = snapshottedInventory(iso.pool);
    const d = shopDeciders();
    const handlers: Handlers = { [T.reserveStock]: commandHandler(repo, d.reserveStock) as Handlers[string], [T.releaseStock]: commandHandler(repo, d.releaseStock) as Handlers[string] };
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const run = async (commands: readonly Command[]) => {
      await inOneTransaction(iso, handlers, commands);
      await repo.settled();
    };
    // 2 events each: fewer than snapshotEvery (3).
    await run([reserve(a, 1), reserve(b, 2), reserve(a, 3), reserve(b, 4)]);
    expect(await snapshotRows(iso.pool)).toEqual([]);
    // a: 2 more, its last command appending (4 past no snapshot); b: one more, then a command that
    // decides nothing (3 past none); c: 1. The releases read the state the commands before them left.
    await run([reserve(a, 5), release(b), reserve(b, 1, 'silent-stock'), release(a), reserve(c, 1)]);
    expect(await snapshotRows(iso.pool)).toEqual([await replayed(iso.pool, repo, b), await replayed(iso.pool, repo, a)]);
    expect((await snapshotRows(iso.pool)).map((r) => [r.stream_id, r.stream_version])).toEqual([[b, 3], [a, 4]]);

    // The next transaction's batched load starts from them.
    const client = await iso.connect();
    const loaded = (await repo.loadMany?.([a, b, c], { client })) ?? [];
    expect(loaded.map((r) => (r.status === 'fulfilled' ? [r.value.snapshotVersion, r.value.eventsApplied] : r.reason))).toEqual([[4, 0], [3, 0], [0, 1]]);
    // Counted from the snapshot the load started from: a at 5 (1 past 4) gets none, at 7 (3 past 4) one.
    await run([reserve(a, 1)]);
    expect((await snapshotRows(iso.pool)).find((r) => r.stream_id === a)?.stream_version).toBe(4);
    await run([reserve(a, 1), release(a)]);
    expect((await snapshotRows(iso.pool)).find((r) => r.stream_id === a)).toEqual(await replayed(iso.pool, repo, a));
    expect((await repo.load(a, { client: iso.pool })).snapshotVersion).toBe(7);
  });

  it('snapshots on the command path: a transaction that rolls back writes none; a snapshot that fails is reported and the commands stand', async () => {
    const iso = await sagaSchema(db);
    const failures: Array<{ streamId: string; message: string }> = [];
    const repo = snapshottedInventory(iso.pool);
    const d = shopDeciders();
    let failAfter: string | undefined;
    const handlers: Handlers = {
      [T.reserveStock]: commandHandler(repo, d.reserveStock, {
        // Runs after the appends, in the transaction: a throw rolls it back with them.
        onExecuted: (_result, command) => {
          if (command.id === failAfter) throw new Error('after the append');
        },
      }) as Handlers[string],
    };
    const a = randomUUID();
    const commands = [reserve(a, 1), reserve(a, 2), reserve(a, 3)];
    failAfter = commands[2]?.id;
    await expect(inOneTransaction(iso, handlers, commands)).rejects.toBeInstanceOf(DeferredEventError);
    await repo.settled();
    expect(await snapshotRows(iso.pool)).toEqual([]);
    expect((await repo.load(a, { client: iso.pool })).version).toBe(0);
    failAfter = undefined;
    await inOneTransaction(iso, handlers, commands);
    await repo.settled();
    expect(await snapshotRows(iso.pool)).toEqual([await replayed(iso.pool, repo, a)]);

    // A state codec that cannot encode: the background snapshot fails, onSnapshotError hears of it.
    const base = inventoryStateCodec();
    const broken: typeof base = {
      ...base,
      toBinary: () => {
        throw new Error('cannot encode today');
      },
    };
    const failing = createRepository(iso.pool, {
      ...snapshottedDefinition(),
      stateCodec: broken,
    }, { onSnapshotError: (err, streamId) => void failures.push({ streamId, message: (err as Error).message }) });
    const b = randomUUID();
    await inOneTransaction(iso, { [T.reserveStock]: commandHandler(failing, d.reserveStock) as Handlers[string] }, [reserve(b, 1), reserve(b, 2), reserve(b, 3)]);
    await failing.settled();
    expect(failures).toEqual([{ streamId: b, message: 'cannot encode today' }]);
    expect((await failing.load(b, { client: iso.pool })).state).toMatchObject({ reserved: 6, reservations: 3 });
  });

  it('a repository without batch loads and appends (written by hand): each aggregate still loaded once per transaction, then an append per command', async () => {
    const iso = await sagaSchema(db);
    const { loadMany: _loadMany, appendMany: _appendMany, ...plain } = shopRepositories(iso.pool, topics).inventory;
    const handlers: Handlers = { [T.reserveStock]: commandHandler(plain, shopDeciders().reserveStock) as Handlers[string] };
    const [a, b] = [randomUUID(), randomUUID()];
    const statements = await inOneTransaction(iso, handlers, [reserve(a, 1), reserve(b, 2), reserve(a, 3)]);
    expect(statements.map((s) => s.what)).toEqual(['eventsmith_read_stream', 'eventsmith_append_new_stream', 'eventsmith_read_stream', 'eventsmith_append_new_stream', 'eventsmith_append_existing_stream']);
    expect((await plain.load(a)).state).toMatchObject({ reserved: 4, reservations: 2 });
  });

  it('executeCommand keeps working on its own, and a handler called without a scope executes at once', async () => {
    const iso = await sagaSchema(db);
    const repos = shopRepositories(iso.pool, topics);
    const a = randomUUID();
    const client = await iso.connect();
    await client.query('BEGIN');
    const cmd = reserve(a, 2) as CloudEvent<string, ReserveStock>;
    expect(await executeCommand(client, repos.inventory, a, cmd, shopDeciders().reserveStock)).toMatchObject({ version: 1, conflicts: 0 });
    await commandHandlers(repos)[T.reserveStock]?.(reserve(a, 3), { tx: client, groupId: 'g', topic: 't', partition: 0, offset: '1', attempt: 1, writerVersion: 1 });
    await client.query('COMMIT');
    expect((await repos.inventory.load(a)).state).toMatchObject({ reserved: 5, reservations: 2 });
  });
});
