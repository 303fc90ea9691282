// The project's own single-node KRaft broker (generator/dev/kafka.mjs) against KafkaJS: topics,
// an idempotent producer, a consumer group, headers, per-key order, and a broker restart.
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';

interface Received {
  readonly key: string;
  readonly seq: number;
  readonly run: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Record<string, string>;
}

const KEYS = Array.from({ length: 10 }, (_, i) => `aggregate-${i}`);
const PER_KEY = 10;

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value : [value]).map((v) => v.toString()).join(',');
  }
  return out;
}

function decode(partition: number, message: KafkaMessage): Received {
  const body = JSON.parse(message.value?.toString() ?? 'null') as { seq: number; run: string };
  return {
    key: message.key?.toString() ?? '',
    seq: body.seq,
    run: body.run,
    partition,
    offset: message.offset,
    headers: headerText(message.headers),
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function messagesFor(run: string, keys: readonly string[], perKey: number) {
  // Interleaved across keys, as an outbox would hand them over.
  const messages = [];
  for (let seq = 0; seq < perKey; seq++) {
    for (const key of keys) {
      messages.push({
        key,
        value: JSON.stringify({ seq, run }),
        headers: {
          ce_specversion: '1.0',
          ce_id: `${run}-${key}-${seq}`,
          ce_type: 'com.example.test.happened',
          'content-type': 'application/json',
        },
      });
    }
  }
  return messages;
}

/** Asserts that, for the given run, every key's sequence is complete, in order and on one partition. */
function expectPerKeyOrder(received: readonly Received[], run: string, keys: readonly string[], perKey: number): void {
  const ofRun = received.filter((r) => r.run === run);
  for (const key of keys) {
    const forKey = ofRun.filter((r) => r.key === key);
    // At-least-once: redelivery after a rebalance may repeat a prefix, never reorder.
    const seqs = forKey.map((r) => r.seq);
    const distinct = [...new Set(forKey.map((r) => `${r.partition}:${r.offset}`))];
    expect(distinct.length, `${key}: messages`).toBe(perKey);
    expect([...new Set(seqs)], `${key}: order`).toEqual(Array.from({ length: perKey }, (_, i) => i));
    expect(new Set(forKey.map((r) => r.partition)).size, `${key}: one partition`).toBe(1);
    for (const r of forKey) {
      expect(r.headers).toEqual({
        ce_specversion: '1.0',
        ce_id: `${run}-${key}-${r.seq}`,
        ce_type: 'com.example.test.happened',
        'content-type': 'application/json',
      });
    }
  }
}

describe('single-node KRaft broker (generator/dev/kafka.mjs)', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  const topic = `broker-test-${randomUUID()}`;
  const received: Received[] = [];

  beforeAll(async () => {
    // The first run on a machine downloads the broker's jars with mvn.
    broker = await startKafka();
    kafka = new Kafka({ clientId: 'eventsmith-broker-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  }, 600_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await broker?.stop();
  }, 60_000);

  it('ensureTopics: a burst of topics, then more at once, every partition with a leader when it returns', async () => {
    const names = (n: number) => Array.from({ length: n }, () => `burst-${randomUUID()}`);
    const first = names(8);
    const second = names(8);
    await ensureTopics(kafka, first.map((t) => ({ topic: t, numPartitions: 3 })));
    // Right after, while the broker's metadata catches up, and again (all exist: nothing to do).
    await Promise.all([ensureTopics(kafka, second.map((t) => ({ topic: t, numPartitions: 3 }))), ensureTopics(kafka, first.map((t) => ({ topic: t })))]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...first, ...second] });
      expect(meta.topics).toHaveLength(16);
      for (const t of meta.topics) {
        expect(t.partitions).toHaveLength(3);
        for (const p of t.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  it('reports where it runs', () => {
    expect(broker.brokers.length).toBeGreaterThan(0);
    if (!broker.external) {
      expect(broker.brokers).toEqual([`127.0.0.1:${broker.port}`]);
      expect(broker.pid).toBeGreaterThan(0);
    }
  });

  it('creates a topic, produces 100 keyed messages idempotently, consumes them in order per key with headers', async () => {
    // ensureTopics, not admin.createTopics: right after the burst above, KafkaJS's own wait for
    // leaders fails with UNKNOWN_TOPIC_OR_PARTITION on this broker (seen in the full suite).
    await ensureTopics(kafka, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(meta?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = await producer.send({ topic, messages: messagesFor('first', KEYS, PER_KEY) });
    expect(sent.reduce((n, r) => n + (r.errorCode === 0 ? 1 : 0), 0)).toBe(sent.length);

    consumer = kafka.consumer({ groupId: `broker-test-${randomUUID()}`, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push(decode(partition, message));
      },
    });
    await waitFor('100 messages', () => received.filter((r) => r.run === 'first').length >= KEYS.length * PER_KEY, 60_000);
    expectPerKeyOrder(received, 'first', KEYS, PER_KEY);
    // Ten keys over three partitions with Java's murmur2: more than one partition is used.
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  }, 120_000);

  it.skipIf(Boolean(process.env.KAFKA_BROKERS))(
    'survives restart(): the same producer and consumer carry on, data kept',
    async () => {
      expect(producer && consumer, 'previous test ran').toBeTruthy();
      const pidBefore = broker.pid;
      const t0 = Date.now();
      await broker.restart();
      const restartMillis = Date.now() - t0;
      expect(broker.pid).toBeGreaterThan(0);
      expect(broker.pid).not.toBe(pidBefore);
      expect(restartMillis).toBeLessThan(60_000);

      // The data survived: the topic and its messages are still there.
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(KEYS.length * PER_KEY);
      } finally {
        await admin.disconnect();
      }

      await producer!.send({ topic, messages: messagesFor('after-restart', KEYS, 3) });
      await waitFor('messages after the restart', () => received.filter((r) => r.run === 'after-restart').length >= KEYS.length * 3, 60_000);
      expectPerKeyOrder(received, 'after-restart', KEYS, 3);

      // A fresh client round trip too.
      const fresh = kafka.consumer({ groupId: `broker-test-fresh-${randomUUID()}`, maxWaitTimeInMs: 500 });
      const seen: Received[] = [];
      await fresh.connect();
      try {
        await fresh.subscribe({ topic, fromBeginning: true });
        await fresh.run({ eachMessage: async ({ partition, message }) => void seen.push(decode(partition, message)) });
        await waitFor('a fresh consumer to read everything', () => seen.length >= KEYS.length * (PER_KEY + 3), 60_000);
      } finally {
        await fresh.disconnect();
      }
      expectPerKeyOrder(seen, 'first', KEYS, PER_KEY);
      expectPerKeyOrder(seen, 'after-restart', KEYS, 3);
    },
    180_000,
  );
});
