// A consumer that finds many messages waiting applies them in transactions of several events:
// ONE process span per transaction, linked to the creation context of each message (the
// messaging conventions' shape for batch processing), while each handler runs in its own
// message's creation context, so what it does continues the trace the message came from. A
// handler failing inside a batch fails the batch's span (with a retry event naming the message);
// the message's retry alone is a process span of its own, the child of its creation context.
// Real PostgreSQL and Kafka; the SDK in this process, exporting to memory.
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConsumerRunner, KafkaPublisher, ensureTopics, migrate } from '../../generator/runtime/index.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { kafkaClient } from '../kafka/helpers.js';
import { type CounterEvents, INCREMENTED, counterDecoding, incremented, waitFor } from '../kafka/support.js';
import { type SpanRecord, type Telemetry, points, registerTelemetry } from './sdk.js';

const db = useTestDatabase();
const MESSAGES = 12;
/** The message whose handler fails on its first try. */
const FAILING = 7;
let broker: KafkaBroker;
let kafka: Kafka;
let iso: Isolated;
let telemetry: Telemetry;
let runner: KafkaConsumerRunner<CounterEvents>;
const topic = `batch-${randomUUID()}`;
const group = `batch-${topic}`;
/** Per event id: its creation (the publisher's send span) and the span context its handler ran in. */
const sent = new Map<string, { traceId: string; spanId: string }>();
const handled = new Map<string, { traceId: string; spanId: string }>();
let failingId = '';
let spans: SpanRecord[] = [];

beforeAll(async () => {
  // Before the components: they take their instruments from the global meter provider.
  telemetry = registerTelemetry('batch');
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers, 'telemetry-batch-test');
  iso = await db.isolated();
  await migrate(iso.pool);
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  const publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  // Each message published in a request of its own (its own trace), all before the consumer
  // starts: its first fetch finds them waiting.
  const tracer = trace.getTracer('test');
  const aggregate = randomUUID();
  for (let seq = 1; seq <= MESSAGES; seq++) {
    const { event, data } = incremented(aggregate, seq);
    if (seq === FAILING) failingId = event.id;
    await tracer.startActiveSpan(`request ${seq}`, async (request) => {
      await publisher.publish(event, data, { topic });
      request.end();
    });
  }
  await publisher.disconnect();
  for (const s of telemetry.spans()) {
    if (s.name === `send ${topic}`) sent.set(String(s.attributes['messaging.message.id']), { traceId: s.traceId, spanId: s.spanId });
  }
  const failed = new Set<string>();
  runner = new KafkaConsumerRunner<CounterEvents>({
    kafka,
    pool: iso.pool,
    groupId: group,
    topics: [topic],
    decoding: counterDecoding,
    createDeadLetterTopics: false,
    retry: { initialMs: 10, maxMs: 20 },
    handlers: {
      [INCREMENTED]: (event) => {
        const sc = trace.getActiveSpan()?.spanContext();
        if (sc !== undefined) handled.set(event.id, { traceId: sc.traceId, spanId: sc.spanId });
        if (event.id === failingId && !failed.has(event.id)) {
          failed.add(event.id);
          throw new Error('fails once');
        }
      },
    },
  });
  await runner.start();
  await waitFor('every message applied', () => runner.metrics().applied === MESSAGES);
  await runner.stop();
  spans = telemetry.spans().filter((s) => s.name === `process ${topic}`);
}, 300_000);

afterAll(async () => {
  await runner?.stop();
  await telemetry?.shutdown();
  await broker?.stop();
}, 60_000);

const linksTo = (span: SpanRecord, creation: { traceId: string; spanId: string } | undefined): boolean =>
  creation !== undefined && span.links.some((l) => l.traceId === creation.traceId && l.spanId === creation.spanId);

describe('batch processing', () => {
  it('a transaction of several events is one process span: no parent, no per-message attributes, a link to each message', () => {
    expect(sent.size).toBe(MESSAGES);
    const batches = spans.filter((s) => s.attributes['messaging.batch.message_count'] !== undefined);
    expect(batches.length).toBeGreaterThan(0);
    // Far fewer spans than messages: that is the point (BENCHMARKS.md).
    expect(spans.length).toBeLessThan(MESSAGES);
    for (const b of batches) {
      expect(b).toMatchObject({ kind: 'consumer', parentSpanId: undefined, attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.destination.name': topic, 'messaging.consumer.group.name': group } });
      expect(b.attributes['messaging.batch.message_count']).toBeGreaterThan(1);
      expect(b.links).toHaveLength(Number(b.attributes['messaging.batch.message_count']));
      expect(b.attributes['messaging.message.id']).toBeUndefined();
      expect(typeof b.attributes['messaging.destination.partition.id']).toBe('string');
    }
  });

  it('every message is accounted for by a successful process span linked to its creation context', () => {
    const ok = spans.filter((s) => s.status.code === 'unset');
    for (const [id, creation] of sent) expect(ok.filter((s) => linksTo(s, creation)), id).toHaveLength(1);
  });

  it("each handler ran in its own message's creation context, so what it does continues that message's trace", () => {
    expect(handled.size).toBe(MESSAGES);
    for (const [id, creation] of sent) {
      const ran = handled.get(id);
      expect(ran?.traceId, id).toBe(creation.traceId);
      // In a batch the handler's parent is the creation span itself; alone, its process span (the child of it).
      const single = spans.find((s) => s.attributes['messaging.message.id'] === id && s.status.code === 'unset');
      expect(ran?.spanId, id).toBe(single === undefined ? creation.spanId : single.spanId);
    }
  });

  it("a handler failing inside a batch fails the batch's span with a retry event naming the message; its retry alone is the child of its creation context", () => {
    const failed = spans.filter((s) => s.status.code === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.events.find((e) => e.name === 'eventsmith.retry')?.attributes).toMatchObject({ 'messaging.message.id': failingId, 'eventsmith.attempt': 1 });
    const retry = spans.find((s) => s.attributes['messaging.message.id'] === failingId);
    expect(retry).toMatchObject({ parentSpanId: sent.get(failingId)?.spanId, status: { code: 'unset' }, attributes: { 'eventsmith.attempt': 2, 'cloudevents.event_type': INCREMENTED } });
    expect(retry?.traceId).toBe(sent.get(failingId)?.traceId);
  });

  it('messaging.process.duration is recorded once per process span, failed ones with their error type', async () => {
    const durations = points(await telemetry.collect(), 'messaging.process.duration').filter((p) => p.attributes['messaging.consumer.group.name'] === group);
    expect(durations.reduce((n, p) => n + p.value, 0)).toBe(spans.length);
    expect(durations.find((p) => p.attributes['error.type'] === 'Error')?.value).toBe(1);
  });
});
