// Partition batches KafkaJS hands over together, applied in ONE consumer transaction with one
// offset commit (KafkaConsumerOptions.coalescePartitions), against a real broker and PostgreSQL:
// the count of transactions, a failing handler in one partition, a crash between COMMIT and the
// offset commit, and a rebalance while a coalesced transaction runs.
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, encodeBinary, silentLogger } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { appliedCount, childEnv, createTopic, freshProjectionSchema, kafkaClient, projectionConsumer, projectionHandlers, projectionProblem, readTopic, startChild } from './helpers.js';
import { type Encoded, INCREMENTED, POISONED, incremented, poisoned, waitFor } from './support.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
  producer = kafka.producer();
  await producer.connect();
}, 600_000);

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
}, 60_000);

const freshSchema = (): Promise<Isolated> => freshProjectionSchema(db);
const newTopic = (partitions: number): Promise<string> => createTopic(kafka, partitions);

/** Aggregate i's events seq 1..n, all on partition i (sent there explicitly, so every partition has some). */
function perPartition(partitions: number, n: number): Array<{ readonly id: string; readonly events: Encoded[] }> {
  return Array.from({ length: partitions }, () => {
    const id = randomUUID();
    return { id, events: Array.from({ length: n }, (_, i) => incremented(id, i + 1)) };
  });
}

async function sendTo(topic: string, partition: number, events: readonly Encoded[]): Promise<void> {
  await producer.send({ topic, messages: events.map((e) => ({ partition, ...encodeBinary(e.event, e.data) })) });
}

async function committedOffsets(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) ?? 0;
  } finally {
    await admin.disconnect();
  }
}

async function drained(consumer: { lag(): Promise<{ readonly total: number }> }): Promise<void> {
  await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
}

describe('coalesced partition batches', () => {
  it('the batches of one fetch, one per partition, are applied in one transaction and committed in one request; per partition without coalescing', async () => {
    const partitions = 4;
    for (const coalescePartitions of [true, false]) {
      const iso = await freshSchema();
      const topic = await newTopic(partitions);
      const aggregates = perPartition(partitions, 15);
      for (const [p, { events }] of aggregates.entries()) await sendTo(topic, p, events);
      // Everything is on the broker before the group joins: its first fetch returns all four partitions.
      const consumer = projectionConsumer(kafka, iso.pool, topic, { partitionsConsumedConcurrently: partitions, coalescePartitions });
      await consumer.start();
      try {
        await waitFor('60 applied', async () => (await appliedCount(iso.pool)) >= 60, 60_000);
        await drained(consumer);
        expect(await projectionProblem(iso.pool, partitions, 15)).toBeUndefined();
        expect(consumer.metrics()).toMatchObject({ applied: 60, duplicates: 0, transactions: coalescePartitions ? 1 : partitions, offsetCommits: coalescePartitions ? 1 : partitions });
        expect(await committedOffsets(`projection-${topic}`, topic)).toBe(60);
      } finally {
        await consumer.stop();
      }
    }
  }, 120_000);

  it('a handler that throws in one partition: the other partitions are applied, it alone is retried with backoff, then dead-lettered', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(3);
    const aggregates = perPartition(3, 10);
    const bad = poisoned(aggregates[1]?.id ?? '', 0);
    for (const [p, { events }] of aggregates.entries()) await sendTo(topic, p, p === 1 ? [...events.slice(0, 4), bad, ...events.slice(4)] : events);
    const attemptsSeen: number[] = [];
    const consumer = projectionConsumer(kafka, iso.pool, topic, {
      partitionsConsumedConcurrently: 3,
      attempts: 3,
      retry: { initialMs: 50, maxMs: 200 },
      logger: silentLogger,
      handlers: {
        ...projectionHandlers,
        [POISONED]: (_event, { attempt }) => {
          attemptsSeen.push(attempt);
          throw new Error('poisoned: this handler always fails');
        },
      } satisfies typeof projectionHandlers & { [POISONED]: unknown },
    });
    await consumer.start();
    try {
      await waitFor('30 good events applied', async () => (await appliedCount(iso.pool)) >= 30, 60_000);
      const dlq = await readTopic(kafka, `${topic}.dlq`, 1);
      expect(dlq).toHaveLength(1);
      const header = (name: string) => dlq[0]?.headers?.[name]?.toString();
      expect(header(DEAD_LETTER_HEADERS.reason)).toBe('handler-failed');
      expect(header(DEAD_LETTER_HEADERS.partition)).toBe('1');
      expect(header(DEAD_LETTER_HEADERS.offset)).toBe('4');
      expect(header(DEAD_LETTER_HEADERS.attempts)).toBe('3');
      // Tried once in the coalesced transaction, then twice alone; never again for the others' sake.
      expect(attemptsSeen).toEqual([1, 2, 3]);
      await drained(consumer);
      expect(await projectionProblem(iso.pool, 3, 10)).toBeUndefined();
      expect(consumer.metrics()).toMatchObject({ applied: 30, duplicates: 0, deadLettered: 1, handlerFailures: 3 });
      expect(await committedOffsets(`projection-${topic}`, topic)).toBe(31);
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  it('a consumer killed after a coalesced transaction committed, before its offsets: the next one skips every event of it, nothing applied twice', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(3);
    const aggregates = perPartition(3, 20);
    for (const [p, { events }] of aggregates.entries()) await sendTo(topic, p, events);
    const group = `projection-${topic}`;
    // Dies in afterCommit of the first partition of its first transaction (all three partitions' events).
    const child = startChild(childEnv(iso, db.url, broker.brokers, { ROLE: 'consumer', TOPIC: topic, GROUP: group, BATCH_SIZE: '500', CONCURRENCY: '3', KILL_AFTER_COMMIT: '1' }));
    expect((await child.exited).signal, child.output()).toBe('SIGKILL');
    const applied = await appliedCount(iso.pool);
    expect(applied).toBeGreaterThan(20); // more than one partition's events in that transaction
    expect(await committedOffsets(group, topic)).toBe(0);

    const consumer = projectionConsumer(kafka, iso.pool, topic, { partitionsConsumedConcurrently: 3 });
    await consumer.start();
    try {
      await waitFor('60 applied', async () => (await appliedCount(iso.pool)) >= 60, 60_000);
      await drained(consumer);
      expect(await projectionProblem(iso.pool, 3, 20)).toBeUndefined();
      expect(consumer.metrics()).toMatchObject({ applied: 60 - applied, duplicates: applied });
      const processed = await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_processed_events WHERE consumer_group = $1', [group]);
      expect((processed.rows[0] as { n: number }).n).toBe(60);
    } finally {
      await consumer.stop();
    }
  }, 120_000);

  it('a rebalance while a coalesced transaction runs: every event applied once across both members, offsets where the database is', async () => {
    const iso = await freshSchema();
    const topic = await newTopic(4);
    const aggregates = perPartition(4, 25);
    for (const [p, { events }] of aggregates.entries()) await sendTo(topic, p, events);
    const group = `projection-${topic}`;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const apply = projectionHandlers[INCREMENTED] as NonNullable<(typeof projectionHandlers)[typeof INCREMENTED]>;
    const settings = { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 20_000 };
    // The first member holds its first (coalesced) transaction open until the second has asked to join.
    const first = projectionConsumer(kafka, iso.pool, topic, {
      groupId: group,
      partitionsConsumedConcurrently: 4,
      maxBatchSize: 40,
      consumer: settings,
      handlers: {
        [INCREMENTED]: async (event, context) => {
          if (!gated) {
            gated = true;
            await held;
          }
          await apply(event, context);
        },
      },
    });
    const second = projectionConsumer(kafka, iso.pool, topic, { groupId: group, partitionsConsumedConcurrently: 4, maxBatchSize: 40, consumer: settings });
    await first.start();
    try {
      await waitFor('the first transaction to start', () => gated, 60_000);
      const joining = second.start();
      // Long enough for the second member's JoinGroup to reach the coordinator (any interleaving must hold).
      await new Promise((r) => setTimeout(r, 1_000));
      release();
      await joining;
      await waitFor('100 applied', async () => (await appliedCount(iso.pool)) >= 100, 60_000);
      await drained(first);
      expect(await projectionProblem(iso.pool, 4, 25)).toBeUndefined();
      const a = first.metrics();
      const b = second.metrics();
      expect(a.applied + b.applied).toBe(100);
      expect(await committedOffsets(group, topic)).toBe(100);
    } finally {
      release();
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 120_000);
});
