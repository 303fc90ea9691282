// Shared by the Kafka runtime tests that use a real broker and database.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import {
  type ContentMode,
  type EventHandlers,
  KafkaConsumerRunner,
  type KafkaConsumerOptions,
  type Queryable,
  appendToStream,
  ensureTopics,
  migrate,
  newEventFor,
} from '../../generator/runtime/index.js';
import type { Isolated, TestDatabase } from '../postgres/db.js';
import { type CounterEvents, INCREMENTED, counterDecoding, incremented } from './support.js';

export function kafkaClient(brokers: readonly string[], clientId = 'eventsmith-kafka-test'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/** A topic of its own, `<prefix>-<uuid>`, with `partitions` partitions. */
export async function createTopic(kafka: Kafka, partitions: number, prefix = 't'): Promise<string> {
  const topic = `${prefix}-${randomUUID()}`;
  await ensureTopics(kafka, [{ topic, numPartitions: partitions }]);
  return topic;
}

/** A fresh schema (pool of 20), migrated, with the `applied` projection table. */
export async function freshProjectionSchema(db: TestDatabase): Promise<Isolated> {
  const iso = await db.isolated({ max: 20 });
  await migrate(iso.pool);
  await createProjection(iso.pool);
  return iso;
}

export async function createProjection(db: Queryable): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS applied (
    applied_order  bigserial PRIMARY KEY,
    aggregate_id   text NOT NULL,
    seq            integer NOT NULL,
    event_id       text NOT NULL,
    writer_version integer NOT NULL
  )`);
}

/** The projection handler: one row per applied event, in the order applied. */
export const projectionHandlers: EventHandlers<CounterEvents> = {
  [INCREMENTED]: async (event, { tx, writerVersion }) => {
    await tx.query('INSERT INTO applied (aggregate_id, seq, event_id, writer_version) VALUES ($1, $2, $3, $4)', [event.subject, event.data.seq, event.id, writerVersion]);
  },
};

export function projectionConsumer(
  kafka: Kafka,
  pool: pg.Pool,
  topic: string,
  overrides: Partial<KafkaConsumerOptions<CounterEvents>> = {},
): KafkaConsumerRunner<CounterEvents> {
  return new KafkaConsumerRunner<CounterEvents>({
    kafka,
    pool,
    groupId: `projection-${topic}`,
    topics: [topic],
    handlers: projectionHandlers,
    decoding: counterDecoding,
    ...overrides,
  });
}

export async function appliedCount(db: Queryable): Promise<number> {
  const r = await db.query('SELECT count(*)::int AS n FROM applied');
  return (r.rows[0] as { n: number }).n;
}

/**
 * Asserts what exactly-once in effect and per-aggregate order mean for the projection: every
 * (aggregate, seq) 1..perAggregate exactly once, and applied in seq order per aggregate.
 * Returns a description of the first problem, or undefined.
 */
export async function projectionProblem(db: Queryable, aggregates: number, perAggregate: number): Promise<string | undefined> {
  const dup = await db.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM applied');
  const { n, d } = dup.rows[0] as { n: number; d: number };
  if (n !== d) return `${n - d} events applied twice`;
  if (n !== aggregates * perAggregate) return `${n} events applied, expected ${aggregates * perAggregate}`;
  const rows = await db.query('SELECT aggregate_id, array_agg(seq ORDER BY applied_order) AS seqs FROM applied GROUP BY aggregate_id');
  if (rows.rows.length !== aggregates) return `${rows.rows.length} aggregates, expected ${aggregates}`;
  const expected = Array.from({ length: perAggregate }, (_, i) => i + 1).join(',');
  for (const r of rows.rows as Array<{ aggregate_id: string; seqs: number[] }>) {
    if (r.seqs.join(',') !== expected) return `${r.aggregate_id} applied in order ${r.seqs.join(',')}`;
  }
  return undefined;
}

/**
 * Appends `perAggregate` Incremented events (seq 1..n) to each of `aggregates` new streams, in
 * appends of up to `perAppend` events, `concurrency` streams at a time; mixes versions, content
 * types and content modes. Returns the aggregate ids.
 */
export async function appendCounters(
  pool: pg.Pool,
  topic: string,
  options: { aggregates: number; perAggregate: number; perAppend?: number; concurrency?: number; modes?: readonly ContentMode[] },
): Promise<string[]> {
  const ids = Array.from({ length: options.aggregates }, () => randomUUID());
  const perAppend = options.perAppend ?? 4;
  const modes = options.modes ?? ['binary', 'structured'];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i] as string;
      for (let seq = 1; seq <= options.perAggregate; seq += perAppend) {
        const events = [];
        for (let s = seq; s < seq + perAppend && s <= options.perAggregate; s++) {
          const { event, data } = incremented(id, s, { v1: s % 5 === 0, json: s % 3 === 0 });
          events.push(newEventFor(event, data, { topic, mode: modes[s % modes.length] ?? 'binary' }));
        }
        await appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: seq - 1, events });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return ids;
}

/** Appends Incremented events seq from+1..from+n to each stream (which is at version `from`), all streams at once. */
export async function appendRange(pool: pg.Pool, topic: string, ids: readonly string[], from: number, n: number): Promise<void> {
  await Promise.all(
    ids.map((id) => {
      const events = Array.from({ length: n }, (_, i) => {
        const { event, data } = incremented(id, from + i + 1, { v1: (from + i) % 4 === 0 });
        return newEventFor(event, data, { topic });
      });
      return appendToStream(pool, { streamType: 'Counter', streamId: id, expectedVersion: from, events });
    }),
  );
}

/** Every message of `topic` from the start (a throwaway consumer group), once `count` arrived. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000): Promise<Array<KafkaMessage & { partition: number }>> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const seen: Array<KafkaMessage & { partition: number }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ ...message, partition }) });
    const deadline = Date.now() + timeoutMs;
    while (seen.length < count) {
      if (Date.now() > deadline) throw new Error(`read ${seen.length} of ${count} messages of ${topic}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Anything beyond `count` that is already on its way.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

export interface Child {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  /** SIGTERM: a consumer leaves its group cleanly, then exits. */
  terminate(): void;
  output(): string;
}

/** Runs test/kafka/fixtures/child.mjs (the built runtime) with `env`. */
export function startChild(env: Record<string, string>): Child {
  const script = path.join(import.meta.dirname, 'fixtures', 'child.mjs');
  const proc = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { exited, kill: () => void proc.kill('SIGKILL'), terminate: () => void proc.kill('SIGTERM'), output: () => out };
}

export function childEnv(iso: Isolated, url: string, brokers: readonly string[], extra: Record<string, string>): Record<string, string> {
  return { DATABASE_URL: url, SCHEMA: iso.schema, KAFKA_BROKERS: brokers.join(','), ...extra };
}
