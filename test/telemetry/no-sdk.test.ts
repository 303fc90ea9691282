// Without an OpenTelemetry SDK registered (the API installed, as a peer dependency may be): the
// saga flows pass as before, no message carries a trace context, and no span records.
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher } from '../../generator/runtime/index.js';
import { startSpan, traceHeadersOf } from '../../generator/runtime/telemetry/otel.js';
import { useTestDatabase } from '../postgres/db.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { readTopic } from '../kafka/helpers.js';
import { sdkRead } from '../kafka/support.js';
import { commandTopicsOf, eventTopicsOf, placeOrder } from '../saga/domain.js';
import { settledCount } from '../saga/helpers.js';
import { World, kafkaClient } from '../saga/world.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let world: World;
const ids = [randomUUID(), randomUUID()];

beforeAll(async () => {
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers, 'no-sdk-test');
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  world = await World.create({ db, kafka, publisher, sessionTimeout: 6000 });
  world.startRelay();
  await world.startServices();
  await world.startOrchestrator();
}, 600_000);

afterAll(async () => {
  await world?.stop();
  await publisher?.disconnect();
  await broker?.stop();
}, 60_000);

describe('without an SDK', () => {
  it('the sagas complete and compensate as before; no message has a traceparent, and every one is a CloudEvent the SDK accepts', async () => {
    await placeOrder(world.repos, ids[0] as string, 'ok');
    await placeOrder(world.repos, ids[1] as string, 'fail-payment');
    const deadline = Date.now() + 90_000;
    while ((await settledCount(world.pool, ids)) < 2) {
      if (Date.now() > deadline) throw new Error(`sagas not settled: ${world.errors.join('; ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const statuses = (await world.pool.query('SELECT status, state FROM eventsmith_saga_state ORDER BY status')).rows as Array<{ status: string; state: { saga: { start: object } } }>;
    expect(statuses.map((r) => r.status)).toEqual(['compensated', 'completed']);
    for (const r of statuses) expect(r.state.saga.start).not.toHaveProperty('trace');
    const outbox = (await world.pool.query('SELECT topic, headers FROM eventsmith_outbox')).rows as Array<{ topic: string; headers: Record<string, string> }>;
    for (const row of outbox) expect(Object.keys(row.headers).filter((k) => k.includes('trace'))).toEqual([]);
    const counts = new Map<string, number>();
    for (const row of outbox) counts.set(row.topic, (counts.get(row.topic) ?? 0) + 1);
    for (const topic of [...eventTopicsOf(world.topics), ...commandTopicsOf(world.topics)]) {
      const n = counts.get(topic) ?? 0;
      if (n === 0) continue;
      for (const m of await readTopic(kafka, topic, n)) {
        expect(Object.keys(m.headers ?? {}).filter((k) => k.includes('trace'))).toEqual([]);
        expect(sdkRead(m).type).toBeTypeOf('string');
      }
    }
  });

  it("no span records: the API's tracer is the no-op one, and the runtime's spans have no valid context to propagate", () => {
    const span = startSpan('create orders', { kind: 'producer' });
    expect(span?.isRecording()).toBe(false);
    expect(traceHeadersOf(span)).toBeUndefined();
    expect(trace.getTracer('any').startSpan('x').isRecording()).toBe(false);
  });
});
