// Interop with Java: what our publisher produces with registry framing, read off the real broker,
// is decoded by plain Apache Avro (Java, from Maven Central) with the writer schema it fetches
// from the real registry by the id in the frame. Needs java and (first run) mvn, like Kafka.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  KafkaPublisher,
  createRegistryClient,
  createSchemaIdResolver,
  ensureTopics,
  makeEnvelope,
  publishEnvelope,
  subjectName,
} from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { ensureAvroJavaJars } from '../support/java-avro.mjs';
import { kafkaClient, readTopic } from '../kafka/helpers.js';
import { INCREMENTED, SOURCE, incrementedV2, type IncrementedV2 } from '../kafka/support.js';

const url = inject('registryUrl');
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let avroLibs: string;

beforeAll(async () => {
  avroLibs = ensureAvroJavaJars();
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
}, 600_000);

afterAll(async () => {
  await publisher?.disconnect();
  await broker?.stop();
}, 60_000);

describe('Java (Apache Avro 1.12) reads our framed values', () => {
  it('with the writer schema fetched by id: every value as written, longs at both ends exact', async () => {
    const topic = `java-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const resolver = createSchemaIdResolver(createRegistryClient({ url }), { autoRegister: true });
    const registry = { resolver, subject: () => subjectName('TopicRecordNameStrategy', topic, 'com.example.counters.Incremented') };
    const values: IncrementedV2[] = [
      { seq: 1, by: 2n ** 63n - 1n, note: 'héllo ✓' },
      { seq: -2, by: -(2n ** 63n), note: '' },
      { seq: 2147483647, by: 9007199254740993n, note: 'quote " and \\ backslash' },
    ];
    for (const data of values) {
      const event = makeEnvelope({ type: INCREMENTED, dataversion: 2, source: SOURCE, subject: 'agg-j', data });
      await publishEnvelope(publisher, topic, event, incrementedV2, { registry });
    }
    const messages = await readTopic(kafka, topic, values.length);
    const input = `${messages.map((m) => (m.value ?? Buffer.alloc(0)).toString('hex')).join('\n')}\n`;
    const java = spawnSync('java', ['-cp', path.join(avroLibs, '*'), path.join(import.meta.dirname, 'fixtures', 'ReadFramed.java'), url], { input, encoding: 'utf8', timeout: 120_000 });
    expect(java.stderr).toBe('');
    expect(java.status).toBe(0);
    expect(java.stdout.trim().split('\n')).toEqual([
      '{"seq": 1, "by": 9223372036854775807, "note": "héllo ✓"}',
      '{"seq": -2, "by": -9223372036854775808, "note": ""}',
      '{"seq": 2147483647, "by": 9007199254740993, "note": "quote \\" and \\\\ backslash"}',
    ]);
  }, 180_000);
});
