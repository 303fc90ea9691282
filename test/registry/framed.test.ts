// Confluent-framed produce and consume through a real schema registry, a real Kafka broker and a
// real PostgreSQL: the publisher frames with the id the registry gives, the consumer decodes by
// the writer's id and resolves it to the version it knows, then upcasts; an unknown id is a dead
// letter with its reason; a registry restart mid-stream delays but loses nothing.
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEAD_LETTER_HEADERS,
  KafkaPublisher,
  OutboxRelay,
  createRegistryClient,
  createRepository,
  createSchemaIdResolver,
  frameConfluent,
  migrate,
  publishEnvelope,
  subjectName,
  unframeConfluent,
  type CloudEvent,
  type DataCodec,
  type EventDecoding,
  type EventHandlers,
  type KafkaConsumerRunner,
  type PublishRegistry,
} from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { startRegistry, type SchemaRegistryServer } from '../support/registry.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { createProjection, createTopic, kafkaClient, projectionConsumer, readTopic } from '../kafka/helpers.js';
import { INCREMENTED, counterDecoding, incremented, incrementedV1, incrementedV2, type CounterEvents, type IncrementedV2, waitFor } from '../kafka/support.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
const url = inject('registryUrl');

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

const newTopic = (): Promise<string> => createTopic(kafka, 2, 'framed');

function registryFor(registryUrl: string, topic: string, retryForMs?: number): PublishRegistry {
  return {
    resolver: createSchemaIdResolver(createRegistryClient({ url: registryUrl, timeoutMs: 2_000 }), { autoRegister: true, ...(retryForMs !== undefined ? { retryForMs } : {}) }),
    subject: () => subjectName('TopicRecordNameStrategy', topic, 'com.example.counters.Incremented'),
  };
}

/** A consumer whose handler records each event it is given (in its transaction). */
function recordingConsumer(topic: string, pool: Parameters<typeof projectionConsumer>[1], registryUrl: string, decoding: EventDecoding, seen: CloudEvent<string, unknown>[], writers: number[]): KafkaConsumerRunner<CounterEvents> {
  const handlers: EventHandlers<CounterEvents> = {
    [INCREMENTED]: (event, { writerVersion }) => {
      seen.push(event);
      writers.push(writerVersion);
    },
  };
  return projectionConsumer(kafka, pool, topic, {
    handlers,
    decoding,
    registry: { resolver: createSchemaIdResolver(createRegistryClient({ url: registryUrl })) },
    retry: { initialMs: 100, maxMs: 500 },
  });
}

/** A decoding that knows only v1 of Incremented (an older service). */
const v1Only: EventDecoding = {
  codec: (type, version) => (type === INCREMENTED && version === 1 ? (incrementedV1 as DataCodec) : undefined),
  upcast: (_type, _version, data) => data,
  latestVersion: (type) => (type === INCREMENTED ? 1 : undefined),
};
const v1AndV2: EventDecoding = { ...counterDecoding, latestVersion: (type) => (type === INCREMENTED ? 2 : undefined) };

describe('framed produce → framed consume', () => {
  it('writer v1, reader v2: resolved to v1 (the version the event names) and upcast', async () => {
    const iso = await db.isolated();
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = await newTopic();
    const registry = registryFor(url, topic);
    const e = incremented('agg-1', 1, { v1: true });
    await publishEnvelope(publisher, topic, e.event as CloudEvent<string, { seq: number; by: bigint }, number>, incrementedV1, { registry });
    const [raw] = await readTopic(kafka, topic, 1);
    const framed = unframeConfluent(raw?.value ?? Buffer.alloc(0));
    expect(framed?.schemaId).toBe(await registry.resolver.idFor(registry.subject(INCREMENTED, 1), incrementedV1));
    const seen: CloudEvent<string, unknown>[] = [];
    const writers: number[] = [];
    const consumer = recordingConsumer(topic, iso.pool, url, v1AndV2, seen, writers);
    await consumer.start();
    try {
      await waitFor('the event', () => seen.length === 1, 60_000);
    } finally {
      await consumer.stop();
    }
    expect(seen[0]?.data).toEqual({ seq: 1, by: 10n, note: '(from v1)' } satisfies IncrementedV2);
    expect(writers).toEqual([1]);
  });

  it('writer v2, reader knows only v1: the v2 schema fetched by id is resolved to v1', async () => {
    const iso = await db.isolated();
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = await newTopic();
    const registry = registryFor(url, topic);
    const e = incremented('agg-2', 7, { note: 'newer' });
    await publishEnvelope(publisher, topic, e.event as CloudEvent<string, IncrementedV2, number>, incrementedV2, { registry });
    const seen: CloudEvent<string, unknown>[] = [];
    const writers: number[] = [];
    const consumer = recordingConsumer(topic, iso.pool, url, v1Only, seen, writers);
    await consumer.start();
    try {
      await waitFor('the event', () => seen.length === 1, 60_000);
    } finally {
      await consumer.stop();
    }
    expect(seen[0]?.data).toEqual({ seq: 7, by: 70n });
    expect(writers).toEqual([2]);
  });

  it('an id the registry does not know goes to the DLQ with the reason in its headers', async () => {
    const iso = await db.isolated();
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = await newTopic();
    const good = incremented('agg-3', 1);
    const bad = incremented('agg-3', 2);
    await publisher.publish(bad.event, frameConfluent(2_000_000_000, bad.data), { topic });
    await publishEnvelope(publisher, topic, good.event as CloudEvent<string, IncrementedV2, number>, incrementedV2, { registry: registryFor(url, topic) });
    const seen: CloudEvent<string, unknown>[] = [];
    const consumer = recordingConsumer(topic, iso.pool, url, v1AndV2, seen, []);
    await consumer.start();
    try {
      const [dead] = await readTopic(kafka, `${topic}.dlq`, 1);
      expect(dead?.headers?.[DEAD_LETTER_HEADERS.reason]?.toString()).toBe('undecodable');
      expect(dead?.headers?.[DEAD_LETTER_HEADERS.error]?.toString()).toMatch(/^schema id 2000000000 is unknown to the schema registry/);
      await waitFor('the event', () => seen.length === 1, 60_000);
    } finally {
      await consumer.stop();
    }
    expect((seen[0]?.data as IncrementedV2).seq).toBe(1);
  });
});

describe('relay', () => {
  it('a repository with a registry writes framed outbox rows; the relay publishes them; a registry consumer reads them', async () => {
    const iso = await db.isolated();
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = await newTopic();
    const registry = registryFor(url, topic);
    const repository = createRepository(iso.pool, {
      streamType: 'Counter',
      topic,
      source: 'urn:example:counter-service',
      encoding: 'avro',
      streamId: (id: string) => id,
      codecs: { [INCREMENTED]: { 1: incrementedV1, 2: incrementedV2 } },
      upcast: (e) => ({ type: INCREMENTED, data: e.dataVersion === 1 ? { ...(e.data as { seq: number; by: bigint }), note: '' } : (e.data as IncrementedV2) }),
      initialState: 0,
      evolve: (n: number) => n + 1,
    }, { registry });
    await repository.append('agg-r', [1, 2, 3].map((seq) => ({ type: INCREMENTED, data: { seq, by: BigInt(seq), note: `r${seq}` } })), 0);
    const relay = new OutboxRelay({ pool: iso.pool, publisher, idlePollMs: 50 });
    relay.start();
    const seen: CloudEvent<string, unknown>[] = [];
    const consumer = recordingConsumer(topic, iso.pool, url, v1Only, seen, []);
    await consumer.start();
    try {
      const raw = await readTopic(kafka, topic, 3);
      const id = await registry.resolver.idFor(registry.subject(INCREMENTED, 2), incrementedV2);
      expect(raw.map((m) => unframeConfluent(m.value ?? Buffer.alloc(0))?.schemaId)).toEqual([id, id, id]);
      await waitFor('3 events', () => seen.length === 3, 60_000);
    } finally {
      await consumer.stop();
      await relay.stop();
    }
    // Read by an older service that knows only v1: resolved from the writer's id.
    expect(seen.map((e) => e.data)).toEqual([1, 2, 3].map((seq) => ({ seq, by: BigInt(seq) })));
    // The events table keeps the plain Avro data: the repository loads it as before.
    expect((await repository.load('agg-r')).state).toBe(3);
  });
});

describe('registry stopped mid-stream', () => {
  let own: SchemaRegistryServer | undefined;
  afterAll(async () => {
    await own?.stop();
  }, 60_000);

  it('the publisher waits for it (no publish fails) and the consumer receives every event once', async () => {
    // A registry of this test's own: halting the run's shared one would fail other files' tests.
    own = await startRegistry({ ignoreSchemaRegistryUrl: true });
    const iso = await db.isolated();
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = await newTopic();
    const registry = registryFor(own.url, topic, 120_000);
    const send = (i: number, v1: boolean) => {
      const e = incremented(`agg-${i % 3}`, i, { v1 });
      return v1
        ? publishEnvelope(publisher, topic, e.event as CloudEvent<string, { seq: number; by: bigint }, number>, incrementedV1, { registry })
        : publishEnvelope(publisher, topic, e.event as CloudEvent<string, IncrementedV2, number>, incrementedV2, { registry });
    };
    // v2's id is resolved before the outage, v1's first use falls into it.
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(i + 1, false)));
    await own.halt();
    const during = Array.from({ length: 10 }, (_, i) => send(i + 11, i % 2 === 0));
    await new Promise((r) => setTimeout(r, 1_500));
    await own.resume();
    await Promise.all(during);
    const seen: CloudEvent<string, unknown>[] = [];
    const consumer = recordingConsumer(topic, iso.pool, own.url, v1AndV2, seen, []);
    await consumer.start();
    try {
      await waitFor('20 events', () => seen.length >= 20, 90_000);
    } finally {
      await consumer.stop();
    }
    expect(seen.map((e) => (e.data as IncrementedV2).seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await readTopic(kafka, `${topic}.dlq`, 0, 1_000)).toEqual([]);
  }, 180_000);
});
