// The Kafka runtime against a real KRaft broker and a real PostgreSQL: producer (judged by the
// official CloudEvents SDK), outbox relay, consumer runner, end to end, and crashes of each.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEAD_LETTER_HEADERS,
  type CommandHandler,
  type Decide,
  DeferredEventError,
  KafkaConsumerRunner,
  KafkaPublisher,
  commandHandler,
  OutboxRelay,
  decodeCloudEvent,
  decodeMessage,
  encodeBinary,
  insertOutbox,
  makeEnvelope,
  outboxLag,
  silentLogger,
} from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import {
  type InventoryEvent,
  type InventoryState,
  type ReserveStock,
  SOURCE as SHOP,
  T,
  codecs as shopCodecs,
  decoding as shopDecoding,
  inventoryStateCodec,
  shopDeciders,
  shopRepositories,
  shopTopics,
} from '../saga/domain.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import {
  appendCounters,
  appliedCount,
  childEnv,
  createTopic,
  freshProjectionSchema,
  kafkaClient,
  projectionConsumer,
  projectionHandlers,
  projectionProblem,
  readTopic,
  startChild,
} from './helpers.js';
import { type IncrementedV2, POISONED, SOURCE, counterDecoding, incremented, ourAttributes, poisoned, sdkAttributes, sdkRead, waitFor } from './support.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;

beforeAll(async () => {
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
}, 600_000);

afterAll(async () => {
  await publisher?.disconnect();
  await broker?.stop();
}, 60_000);

const freshSchema = (): Promise<Isolated> => freshProjectionSchema(db);
const newTopic = (partitions = 3): Promise<string> => createTopic(kafka, partitions);

/** A ReserveStock of 1 for aggregate `agg`; the scenario 'boom' makes the tests' deciders throw. */
function reserveOne(agg: string, scenario = 'ok') {
  return makeEnvelope({ type: T.reserveStock, dataversion: 1, source: SHOP, subject: agg, data: { sku: 's', quantity: 1, scenario } });
}

async function sendCommands(topic: string, commands: ReadonlyArray<ReturnType<typeof reserveOne>>): Promise<void> {
  await publisher.send(commands.map((c) => ({ topic, ...encodeBinary(c, shopCodecs[T.reserveStock].toBinary(c.data)) })));
}

/** The shop's command consumer of `topic`: ReserveStock through `handler`, `attempts` tries before the dead letter. */
function commandConsumer(iso: Isolated, topic: string, handler: CommandHandler<ReserveStock>, attempts: number): KafkaConsumerRunner<Record<string, unknown>> {
  return new KafkaConsumerRunner<Record<string, unknown>>({
    kafka,
    pool: iso.pool,
    groupId: `commands-${topic}`,
    topics: [topic],
    handlers: { [T.reserveStock]: handler as never },
    decoding: shopDecoding,
    attempts,
    retry: { initialMs: 50, maxMs: 200 },
    logger: silentLogger,
  });
}

/** A LISTEN connection factory for a relay, on the test schema. */
function listenOn(iso: Isolated): () => Promise<pg.Client> {
  return () => iso.connect();
}

describe('producer', () => {
  it('publishes binary and structured CloudEvents that the official SDK reads back (through the broker)', async () => {
    const topic = await newTopic();
    const sent = [
      { ...incremented('agg-a', 1), mode: 'binary' as const },
      { ...incremented('agg-a', 2, { json: true }), mode: 'binary' as const },
      { ...incremented('agg-b', 1, { v1: true }), mode: 'structured' as const },
      { ...incremented('agg-b', 2, { json: true, by: 9007199254740993n }), mode: 'structured' as const },
    ];
    await Promise.all(sent.map((s) => publisher.publish(s.event, s.data, { topic, mode: s.mode })));
    const got = await readTopic(kafka, topic, sent.length);
    expect(got).toHaveLength(sent.length);
    for (const s of sent) {
      const m = got.find((g) => sdkRead(g).id === s.event.id);
      if (!m) throw new Error(`event ${s.event.id} not received`);
      const read = sdkRead(m);
      expect(sdkAttributes(read)).toEqual(ourAttributes(s.event));
      const ours = decodeCloudEvent(m);
      expect(ours.ok && Buffer.from(ours.event.data)).toEqual(Buffer.from(s.data));
      expect(ours.ok && ours.mode).toBe(s.mode);
    }
    // Same key, same partition.
    const partitionsOf = (key: string) => new Set(got.filter((g) => g.key?.toString() === key).map((g) => g.partition));
    expect(partitionsOf('agg-a').size).toBe(1);
    expect(partitionsOf('agg-b').size).toBe(1);
  }, 60_000);

  it('frames data in the Confluent wire format when given a schema id', async () => {
    const topic = await newTopic(1);
    const { event, data } = incremented('agg-c', 1);
    await publisher.publish(event, data, { topic, schemaId: 12345 });
    const [m] = await readTopic(kafka, topic, 1);
    expect([...(m?.value?.subarray(0, 5) ?? [])]).toEqual([0, 0, 0, 0x30, 0x39]);
    expect(m?.value?.subarray(5)).toEqual(Buffer.from(data));
  }, 60_000);
});

describe('end to end', () => {
  it('append → outbox → relay (LISTEN/NOTIFY) → Kafka → consumer → projection: 4,000 events of 200 aggregates, once each, in order per aggregate', async () => {
    const iso = await freshSchema();
    const topic = await newTopic();
    const relay = new OutboxRelay({ pool: iso.pool, publisher, batchSize: 500, listen: listenOn(iso), idlePollMs: 2_000 });
    const consumer = projectionConsumer(kafka, iso.pool, topic);
    const started = Date.now();
    relay.start();
    await consumer.start();
    try {
      await appendCounters(iso.pool, topic, { aggregates: 200, perAggregate: 20 });
      await waitFor('4,000 events in the projection', async () => (await appliedCount(iso.pool)) >= 4000, 120_000);
      const millis = Date.now() - started;
      expect(await projectionProblem(iso.pool, 200, 20)).toBeUndefined();
      // v1 events were upcast: every fifth seq was written in v1.
      const v1 = await iso.pool.query('SELECT count(*)::int AS n FROM applied WHERE writer_version = 1');
      expect((v1.rows[0] as { n: number }).n).toBe(200 * 4);
      expect(relay.metrics()).toMatchObject({ published: 4000, failures: 0 });
      expect(await relay.lag()).toEqual({ rows: 0, seconds: 0 });
      const unpublished = await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_outbox WHERE published_at IS NULL');
      expect((unpublished.rows[0] as { n: number }).n).toBe(0);
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 20_000);
      expect(consumer.metrics()).toMatchObject({ applied: 4000, deadLettered: 0, handlerFailures: 0 });
      console.log(`end to end: 4,000 events in ${millis} ms; relay ${JSON.stringify(relay.metrics())}; consumer ${JSON.stringify(consumer.metrics())}`);
    } finally {
      await relay.stop();
      await consumer.stop();
    }
  }, 180_000);

  it('several relays of one name at once publish every row once, in order per aggregate', async () => {
    const iso = await freshSchema();
    const topic = await newTopic();
    await appendCounters(iso.pool, topic, { aggregates: 50, perAggregate: 20 });
    const relays = Array.from({ length: 3 }, () => new OutboxRelay({ pool: iso.pool, publisher, batchSize: 50, idlePollMs: 50 }));
    for (const r of relays) r.start();
    await waitFor('all rows published', async () => (await outboxLag(iso.pool)).rows === 0, 60_000);
    await Promise.all(relays.map((r) => r.stop()));
    expect(relays.reduce((n, r) => n + r.metrics().published, 0)).toBe(1000);
    // They did contend: steps found the lock taken and stood by.
    expect(relays.reduce((n, r) => n + r.metrics().standby, 0)).toBeGreaterThan(0);
    const got = await readTopic(kafka, topic, 1000);
    expect(got).toHaveLength(1000);
    // Per aggregate, in the partition's order: seq 1..20, each once.
    const byKey = new Map<string, number[]>();
    for (const m of [...got].sort((x, y) => x.partition - y.partition || Number(BigInt(x.offset) - BigInt(y.offset)))) {
      const d = decodeMessage(m, counterDecoding, { handles: () => true });
      if (d.kind !== 'event') throw new Error(JSON.stringify(d));
      const list = byKey.get(d.event.subject) ?? [];
      list.push((d.event.data as IncrementedV2).seq);
      byKey.set(d.event.subject, list);
    }
    expect(byKey.size).toBe(50);
    for (const seqs of byKey.values()) expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const consumer = projectionConsumer(kafka, iso.pool, topic);
    await consumer.start();
    try {
      await waitFor('1,000 applied', async () => (await appliedCount(iso.pool)) >= 1000, 60_000);
      expect(await projectionProblem(iso.pool, 50, 20)).toBeUndefined();
    } finally {
      await consumer.stop();
    }
  }, 120_000);
});

describe('relay wake-ups', () => {
  it('LISTEN/NOTIFY wakes an idle relay at once; a row committed while an older transaction runs goes out at once, the older one\'s soon after it ends', async () => {
    const iso = await freshSchema();
    const topic = await newTopic();
    // Open before the relay waits, with a row inserted then: its commit notifies nobody.
    const older = await iso.connect();
    await older.query('BEGIN');
    await insertOutbox(older, [{ id: randomUUID(), aggregateType: 'Counter', aggregateId: 'older', type: 'x', topic, payload: Uint8Array.of(1) }]);
    const relay = new OutboxRelay({ pool: iso.pool, publisher, listen: listenOn(iso), idlePollMs: 60_000 });
    relay.start();
    const published = () => relay.metrics().published;
    try {
      await new Promise((r) => setTimeout(r, 500)); // first (empty) step done: the relay waits
      // idlePollMs is 60 s and each wait below gives up after 10 s: a row that arrives was woken
      // for, or chased after the older transaction, not polled for, without a clock in the assertion.
      await appendCounters(iso.pool, topic, { aggregates: 1, perAggregate: 1 });
      await waitFor('the younger row published while the older transaction runs', () => published() === 1, 10_000);
      await older.query('COMMIT'); // notifies nobody
      await waitFor('the older transaction\'s row published', () => published() === 2, 10_000);
      expect(await relay.lag()).toEqual({ rows: 0, seconds: 0 });
    } finally {
      await relay.stop();
    }
  }, 60_000);
});

describe('crashes', () => {
  it('a relay killed between publish and mark: on restart the batch is published again, and the consumer applies it once', async () => {
    const iso = await freshSchema();
    const topic = await newTopic();
    await appendCounters(iso.pool, topic, { aggregates: 30, perAggregate: 10 });
    const child = startChild(childEnv(iso, db.url, broker.brokers, { ROLE: 'relay', RELAY_NAME: 'main', BATCH_SIZE: '100', KILL_AFTER_PUBLISH: '2' }));
    const exit = await child.exited;
    expect(exit.signal, child.output()).toBe('SIGKILL');
    // Batch 1 committed; batch 2 reached the broker, but its cursor move died with the process.
    expect((await outboxLag(iso.pool, 'main')).rows).toBe(200);
    expect((await readTopic(kafka, topic, 200)).length).toBe(200);

    const relay = new OutboxRelay({ pool: iso.pool, publisher, name: 'main', batchSize: 100, idlePollMs: 100 });
    const consumer = projectionConsumer(kafka, iso.pool, topic);
    relay.start();
    await consumer.start();
    try {
      await waitFor('300 applied', async () => (await appliedCount(iso.pool)) >= 300, 60_000);
      await waitFor('redelivered batch seen', () => consumer.metrics().duplicates >= 100, 30_000);
      expect(await projectionProblem(iso.pool, 30, 10)).toBeUndefined();
      expect(relay.metrics().published).toBe(200);
      expect((await readTopic(kafka, topic, 400)).length).toBe(400); // batch 2 is on the topic twice
      expect(consumer.metrics()).toMatchObject({ applied: 300, duplicates: 100 });
    } finally {
      await relay.stop();
      await consumer.stop();
    }
  }, 120_000);

  it('a consumer killed mid-batch (after its transaction committed, then while applying): nothing lost, nothing applied twice', async () => {
    const iso = await freshSchema();
    const topic = await newTopic();
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const events = ids.flatMap((id) => Array.from({ length: 25 }, (_, i) => incremented(id, i + 1)));
    // Interleaved across aggregates, in seq order per aggregate, as a relay would send them.
    const ordered = [...events].sort((a, b) => (a.event.data as { seq: number }).seq - (b.event.data as { seq: number }).seq);
    await publisher.send(ordered.map((e) => ({ topic, ...encodeBinary(e.event, e.data) })));
    const group = `projection-${topic}`;
    const env = childEnv(iso, db.url, broker.brokers, { ROLE: 'consumer', TOPIC: topic, GROUP: group, BATCH_SIZE: '50' });

    // 1. Dies right after its 3rd transaction committed, before those offsets are committed.
    const first = startChild({ ...env, KILL_AFTER_COMMIT: '3' });
    expect((await first.exited).signal, first.output()).toBe('SIGKILL');
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) ?? 0;
    const afterFirst = await appliedCount(iso.pool);
    expect(afterFirst).toBeGreaterThanOrEqual(150);
    expect(await committed()).toBeLessThan(afterFirst); // the database is ahead of the offsets

    // 2. Slow, killed by us while it applies (mid-transaction).
    const second = startChild({ ...env, SLOW_MS: '2' });
    await waitFor('the second consumer to apply some', async () => (await appliedCount(iso.pool)) >= afterFirst + 120, 60_000);
    second.kill();
    await second.exited;
    await admin.disconnect();

    // 3. Finishes.
    const consumer = projectionConsumer(kafka, iso.pool, topic, { consumer: { sessionTimeout: 6000, heartbeatInterval: 500 } });
    await consumer.start();
    try {
      await waitFor('1,000 applied', async () => (await appliedCount(iso.pool)) >= 1000, 60_000);
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      expect(await projectionProblem(iso.pool, 40, 25)).toBeUndefined();
      const processed = await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_processed_events WHERE consumer_group = $1', [group]);
      expect((processed.rows[0] as { n: number }).n).toBe(1000);
    } finally {
      await consumer.stop();
    }
  }, 180_000);
});

describe('poison messages', () => {
  it('work a handler defers to the commit (TransactionScope) that fails is charged to the event it names: the events before it are applied, it alone retried, then dead-lettered', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(1);
    const a = randomUUID();
    const good = (from: number) => Array.from({ length: 10 }, (_, i) => incremented(a, from + i));
    const bad = poisoned(a, 0);
    await publisher.send([...good(1), bad, ...good(11)].map((e) => ({ topic, ...encodeBinary(e.event, e.data) })));
    const attemptsSeen: number[] = [];
    const consumer = projectionConsumer(kafka, iso.pool, topic, {
      attempts: 3,
      retry: { initialMs: 50, maxMs: 200 },
      logger: silentLogger,
      handlers: {
        ...projectionHandlers,
        [POISONED]: (event, { attempt, transaction }) => {
          attemptsSeen.push(attempt);
          transaction?.beforeCommit(async () => {
            throw new DeferredEventError(event.id, new Error('poisoned at commit'));
          });
        },
      } satisfies typeof projectionHandlers & { [POISONED]: unknown },
    });
    await consumer.start();
    try {
      await waitFor('20 good events applied', async () => (await appliedCount(iso.pool)) >= 20, 60_000);
      const dlq = await readTopic(kafka, `${topic}.dlq`, 1);
      const header = (name: string) => dlq[0]?.headers?.[name]?.toString();
      expect(header(DEAD_LETTER_HEADERS.reason)).toBe('handler-failed');
      expect(header(DEAD_LETTER_HEADERS.offset)).toBe('10');
      expect(header(DEAD_LETTER_HEADERS.error)).toContain('poisoned at commit');
      expect(attemptsSeen).toEqual([1, 2, 3]);
      expect(await projectionProblem(iso.pool, 1, 20)).toBeUndefined();
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      expect(consumer.metrics()).toMatchObject({ applied: 20, deadLettered: 1, handlerFailures: 3 });
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  it('a command whose decider throws, in a batched command transaction: the other commands are applied once, it alone is retried, then dead-lettered', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(1);
    const repos = shopRepositories(iso.pool, shopTopics(topic));
    const tries: number[] = [];
    const decide: Decide<InventoryState, ReserveStock, InventoryEvent> = (state, command, meta) => {
      if (command.scenario === 'boom') {
        tries.push(meta.version);
        throw new Error('decider bug');
      }
      return shopDeciders().reserveStock(state, command, meta);
    };
    const aggregates = [randomUUID(), randomUUID(), randomUUID()];
    // 21 commands for 3 aggregates, in one partition (the runner's transactions hold several of each); the 11th throws.
    const good = Array.from({ length: 20 }, (_, i) => reserveOne(aggregates[i % 3] as string));
    const bad = reserveOne(aggregates[1] as string, 'boom');
    const sent = [...good.slice(0, 10), bad, ...good.slice(10)];
    await sendCommands(topic, sent);
    const consumer = commandConsumer(iso, topic, commandHandler(repos.inventory, decide), 3);
    await consumer.start();
    try {
      const dlq = await readTopic(kafka, `${topic}.dlq`, 1);
      expect(dlq[0]?.headers?.[DEAD_LETTER_HEADERS.offset]?.toString()).toBe('10');
      expect(dlq[0]?.headers?.[DEAD_LETTER_HEADERS.error]?.toString()).toContain('decider bug');
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      const events = await iso.pool.query(`SELECT stream_id, stream_version, metadata->>'causationid' AS cause FROM eventsmith_events ORDER BY stream_id, stream_version`);
      // Each good command once, in order per aggregate; nothing of the bad one.
      expect(events.rows.map((r) => (r as { cause: string }).cause).sort()).toEqual(good.map((c) => c.id).sort());
      for (const agg of aggregates) {
        const causes = events.rows.filter((r) => (r as { stream_id: string }).stream_id === agg).map((r) => (r as { cause: string }).cause);
        expect(causes).toEqual(good.filter((c) => c.subject === agg).map((c) => c.id));
      }
      // Tried with the batch, then alone: 3 attempts in all (each decided on the 3 commands before it).
      expect(tries.length).toBeGreaterThanOrEqual(3);
      expect(new Set(tries)).toEqual(new Set([3]));
      expect(consumer.metrics()).toMatchObject({ applied: 20, deadLettered: 1, handlerFailures: 3 });
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  it('after-commit work of a command transaction (snapshots): run once each committed transaction, never for one rolled back; the snapshots equal a replay', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(1);
    const every = 3;
    const repos = shopRepositories(iso.pool, shopTopics(topic), { inventorySnapshotEvery: every });
    const decide: Decide<InventoryState, ReserveStock, InventoryEvent> = (state, command, meta) => {
      if (command.scenario === 'boom') throw new Error('decider bug');
      return shopDeciders().reserveStock(state, command, meta);
    };
    const inner = commandHandler(repos.inventory, decide);
    // Each command's own after-commit work, beside the handler's snapshots: what committed, and when.
    const ran: string[] = [];
    const seen: Array<Promise<boolean>> = [];
    const handler: typeof inner = async (command, context) => {
      context.transaction?.afterCommit?.(() => {
        ran.push(command.id);
        // Visible to another connection: the work runs after COMMIT.
        seen.push(iso.pool.query(`SELECT 1 FROM eventsmith_processed_events WHERE event_id = $1`, [command.id]).then((r) => r.rows.length === 1));
      });
      await inner(command, context);
    };
    const aggregates = [randomUUID(), randomUUID(), randomUUID()];
    // 30 commands for 3 aggregates in one partition; the 16th throws, failing the transaction it is in.
    const good = Array.from({ length: 30 }, (_, i) => reserveOne(aggregates[i % 3] as string));
    const bad = reserveOne(aggregates[1] as string, 'boom');
    const sent = [...good.slice(0, 15), bad, ...good.slice(15)];
    await sendCommands(topic, sent);
    const consumer = commandConsumer(iso, topic, handler, 2);
    await consumer.start();
    try {
      await readTopic(kafka, `${topic}.dlq`, 1);
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
    } finally {
      await consumer.stop();
    }
    await repos.inventory.settled();
    // Once per command of a committed transaction: the rolled-back tries of the batch holding the bad one ran none.
    expect([...ran].sort()).toEqual(good.map((c) => c.id).sort());
    expect(await Promise.all(seen)).toEqual(good.map(() => true));
    const codec = inventoryStateCodec();
    for (const agg of aggregates) {
      const head = await repos.inventory.load(agg, { client: iso.pool, useSnapshot: false });
      expect(head.version).toBe(10);
      const r = await iso.pool.query(`SELECT stream_version, state FROM eventsmith_snapshots WHERE stream_id = $1`, [agg]);
      const row = r.rows[0] as { stream_version: number; state: Buffer } | undefined;
      // A transaction that leaves `every` or more events past its snapshot writes one: at most every-1 are left over.
      expect(row).toBeDefined();
      expect(head.version - (row?.stream_version ?? 0)).toBeLessThan(every);
      // The state at that version, as a replay gives it (each command reserved 1).
      const v = row?.stream_version ?? 0;
      expect(codec.fromBinary(new Uint8Array(row?.state ?? []))).toEqual({ reserved: v, reservations: v, releases: 0, failedReleases: 0 });
      expect((await repos.inventory.load(agg, { client: iso.pool })).snapshotVersion).toBe(v);
    }
  }, 120_000);

  it('a deadlock met in a handler is the database\'s failure, not the event\'s: the transaction is retried without counting a try, nothing is dead-lettered, every event applied once', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(1);
    const a = randomUUID();
    const good = (from: number) => Array.from({ length: 10 }, (_, i) => incremented(a, from + i));
    const victim = poisoned(a, 0);
    await publisher.send([...good(1), victim, ...good(11)].map((e) => ({ topic, ...encodeBinary(e.event, e.data) })));
    // Two advisory locks of this test only (the database is shared with other tests' schemas).
    const [first, second] = [Math.floor(Math.random() * 1e9), Math.floor(Math.random() * 1e9) + 1e9];
    let calls = 0;
    const consumer = projectionConsumer(kafka, iso.pool, topic, {
      // One try: a failure counted against the event dead-letters it at once.
      attempts: 1,
      retry: { initialMs: 50, maxMs: 200 },
      logger: silentLogger,
      handlers: {
        ...projectionHandlers,
        [POISONED]: async (_event, { tx }) => {
          if (++calls > 1) return;
          // A real deadlock: this transaction holds `first` and waits for `second`, which another
          // transaction holds while it waits for `first`. With the shorter deadlock_timeout, this
          // side's backend runs the check and is the one aborted (40P01).
          const other = await iso.pool.connect();
          try {
            await other.query('BEGIN');
            await other.query('SELECT pg_advisory_xact_lock($1)', [second]);
            await tx.query(`SET LOCAL deadlock_timeout = '20ms'`);
            await tx.query('SELECT pg_advisory_xact_lock($1)', [first]);
            const waiting = other.query('SELECT pg_advisory_xact_lock($1)', [first]).then(() => other.query('COMMIT'));
            await waitFor('the other transaction waits', async () => {
              const r = await iso.pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`, [first]);
              return (r.rows[0] as { n: number }).n === 1;
            }, 10_000);
            try {
              await tx.query('SELECT pg_advisory_xact_lock($1)', [second]);
            } finally {
              await waiting.catch(() => undefined);
            }
          } finally {
            other.release();
          }
        },
      } satisfies typeof projectionHandlers & { [POISONED]: unknown },
    });
    await consumer.start();
    try {
      await waitFor('20 good events applied', async () => (await appliedCount(iso.pool)) >= 20, 60_000);
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      expect(calls).toBe(2);
      expect(await projectionProblem(iso.pool, 1, 20)).toBeUndefined();
      expect(consumer.metrics()).toMatchObject({ applied: 21, deadLettered: 0, handlerFailures: 0 });
      expect(consumer.metrics().databaseFailures).toBeGreaterThanOrEqual(1);
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  it('a handler that always throws: dead-lettered after the configured attempts, with headers saying why; later messages keep flowing', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(1);
    const a = randomUUID();
    const good = (from: number) => Array.from({ length: 10 }, (_, i) => incremented(a, from + i));
    const bad = poisoned(a, 0);
    const garbage = incremented(a, 999);
    const stranger = makeEnvelope({ type: 'com.example.other.thing', dataversion: 1, source: SOURCE, subject: a, data: {} });
    const records = [
      ...good(1).map((e) => encodeBinary(e.event, e.data)),
      encodeBinary(bad.event, bad.data),
      ...good(11).map((e) => encodeBinary(e.event, e.data)),
      encodeBinary(garbage.event, new Uint8Array([0xff, 0xff, 0xff])), // undecodable data
      encodeBinary(stranger, new Uint8Array([0])), // an event this consumer does not know
      { key: a, value: Buffer.from('{}'), headers: { 'content-type': 'application/json' } }, // not a CloudEvent
      ...good(21).map((e) => encodeBinary(e.event, e.data)),
    ];
    await publisher.send(records.map((r) => ({ topic, ...r })));

    let poisonCalls = 0;
    const attemptsSeen: number[] = [];
    // No logger given: the default writes retries and dead letters to stderr.
    const stderr = vi.spyOn(process.stderr, 'write');
    const consumer = projectionConsumer(kafka, iso.pool, topic, {
      attempts: 3,
      retry: { initialMs: 50, maxMs: 200 },
      handlers: {
        ...projectionHandlers,
        [POISONED]: (_event, { attempt }) => {
          poisonCalls++;
          attemptsSeen.push(attempt);
          throw new Error('poisoned: this handler always fails');
        },
      } satisfies typeof projectionHandlers & { [POISONED]: unknown },
    });
    await consumer.start();
    try {
      await waitFor('30 good events applied', async () => (await appliedCount(iso.pool)) >= 30, 60_000);
      const dlq = await readTopic(kafka, `${topic}.dlq`, 4);
      expect(dlq).toHaveLength(4);
      const header = (m: (typeof dlq)[number], name: string) => m.headers?.[name]?.toString();
      const byReason = Object.fromEntries(dlq.map((m) => [header(m, DEAD_LETTER_HEADERS.reason), m]));
      expect(Object.keys(byReason).sort()).toEqual(['handler-failed', 'undecodable', 'unknown-event']);
      const failed = dlq.find((m) => header(m, DEAD_LETTER_HEADERS.reason) === 'handler-failed');
      expect(failed && header(failed, DEAD_LETTER_HEADERS.error)).toContain('poisoned: this handler always fails');
      expect(failed && header(failed, DEAD_LETTER_HEADERS.attempts)).toBe('3');
      expect(failed && header(failed, DEAD_LETTER_HEADERS.topic)).toBe(topic);
      expect(failed && header(failed, DEAD_LETTER_HEADERS.partition)).toBe('0');
      expect(failed && header(failed, DEAD_LETTER_HEADERS.offset)).toBe('10');
      expect(failed && header(failed, DEAD_LETTER_HEADERS.group)).toBe(`projection-${topic}`);
      // The original message is kept, so it can be replayed once fixed.
      expect(failed && sdkRead(failed).id).toBe(bad.event.id);
      expect(dlq.filter((m) => header(m, DEAD_LETTER_HEADERS.reason) === 'undecodable').map((m) => header(m, DEAD_LETTER_HEADERS.attempts))).toEqual(['0', '0']);
      expect(poisonCalls).toBe(3);
      expect(attemptsSeen).toEqual([1, 2, 3]);
      expect(await projectionProblem(iso.pool, 1, 30)).toBeUndefined();
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      expect(consumer.metrics()).toMatchObject({ applied: 30, deadLettered: 4, handlerFailures: 3 });
      const lines = stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('eventsmith ') && l.includes(`groupId=projection-${topic}`));
      const retries = lines.filter((l) => l.startsWith('eventsmith warn consumer: handler failed; retrying in '));
      expect(retries).toHaveLength(2);
      expect(retries[0]).toMatch(new RegExp(`topic=${topic} partition=0 offset=10 type=${POISONED} id=${bad.event.id} .*attempt=1 attempts=3 err="Error: poisoned: this handler always fails"`));
      const dead = lines.filter((l) => l.startsWith('eventsmith error consumer: '));
      expect(dead).toHaveLength(4);
      expect(dead.filter((l) => l.startsWith('eventsmith error consumer: handler failed 3 times; event sent to the dead-letter topic ') && l.includes(`deadLetterTopic=${topic}.dlq`) && l.includes('reason=handler-failed'))).toHaveLength(1);
      expect(dead.filter((l) => l.startsWith('eventsmith error consumer: undecodable message sent to the dead-letter topic '))).toHaveLength(2);
      expect(dead.filter((l) => l.startsWith('eventsmith error consumer: unknown-event message sent to the dead-letter topic '))).toHaveLength(1);
    } finally {
      stderr.mockRestore();
      await consumer.stop();
    }
  }, 120_000);
});
