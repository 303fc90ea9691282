// The numbers operators alert on, through the OpenTelemetry metrics API into the SDK's in-memory
// exporter, from the shop running in this process on a real PostgreSQL and Kafka: consumer lag
// per partition, messages processed / retried / dead-lettered, handler duration, relay lag and
// publish counts, outbox size, saga instances by status, timeouts fired.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaConsumerRunner, KafkaPublisher, appendToStream, makeEnvelope, newEventFor } from '../../generator/runtime/index.js';
import { useTestDatabase } from '../postgres/db.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { SOURCE, T, codecs, decoding, placeOrder } from '../saga/domain.js';
import { settledCount } from '../saga/helpers.js';
import { World, kafkaClient } from '../saga/world.js';
import { type Telemetry, points, registerTelemetry } from './sdk.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let world: World;
let telemetry: Telemetry;
let flaky: KafkaConsumerRunner<Record<string, unknown>>;
const ids = { completed: randomUUID(), declined: randomUUID(), silent: randomUUID(), malformed: randomUUID() };
let malformedEventId = '';

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; world errors: ${world.errors.join('; ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // Before the components: they take their instruments from the global meter provider.
  telemetry = registerTelemetry('shop');
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers, 'metrics-test');
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  world = await World.create({ db, kafka, publisher, sessionTimeout: 6000 });
  world.startRelay();
  await world.startServices();
  await world.startOrchestrator({ stepTimeoutMs: 1500 });
  // A second group on the orders topic whose handler always fails: retried once, then dead-lettered.
  flaky = new KafkaConsumerRunner<Record<string, unknown>>({
    kafka,
    pool: world.pool,
    groupId: `flaky-${world.topics.orders}`,
    topics: [world.topics.orders],
    handlers: {
      [T.orderPlaced]: () => {
        throw new Error('flaky handler');
      },
    },
    decoding,
    attempts: 2,
    retry: { initialMs: 10, maxMs: 20 },
    createDeadLetterTopics: false,
    publisher,
  });
  await flaky.start();
  await placeOrder(world.repos, ids.completed, 'ok');
  await placeOrder(world.repos, ids.declined, 'fail-payment');
  await placeOrder(world.repos, ids.silent, 'silent-payment');
  // An order whose message carries a malformed traceparent and an oversized tracestate (written by
  // some other producer): ignored, never fatal.
  const data = { sku: 'sku-1', quantity: 2, amount: 5n, scenario: 'ok' };
  const envelope = makeEnvelope({ type: T.orderPlaced, dataversion: 1, source: SOURCE, subject: ids.malformed, data });
  malformedEventId = envelope.id;
  const headers = { ce_traceparent: '00-not-a-trace-context-01', ce_tracestate: `a=${'x'.repeat(600)}` };
  await appendToStream(world.pool, { streamType: 'Order', streamId: ids.malformed, expectedVersion: 0, events: [newEventFor(envelope, codecs[T.orderPlaced].toBinary(data), { topic: world.topics.orders, headers })] });
  await waitUntil('four settled sagas', async () => (await settledCount(world.pool, Object.values(ids))) === 4);
  await waitUntil('four dead letters of the flaky group', () => flaky.metrics().deadLettered === 4);
  await waitUntil('an empty outbox lag', async () => (await world.relay?.lag())?.rows === 0);
}, 600_000);

afterAll(async () => {
  await flaky?.stop();
  await world?.stop();
  await publisher?.disconnect();
  await telemetry?.shutdown();
  await broker?.stop();
}, 60_000);

const sum = (list: ReadonlyArray<{ value: number }>): number => list.reduce((n, p) => n + p.value, 0);

describe('metrics', () => {
  it('consumers: messages received and applied, handler duration, retries and dead letters per topic and group', async () => {
    const m = await telemetry.collect();
    const saga = { 'messaging.consumer.group.name': world.sagaGroup };
    const ofGroup = (name: string, group: string) => points(m, name).filter((p) => p.attributes['messaging.consumer.group.name'] === group);
    expect(sum(ofGroup('messaging.client.consumed.messages', world.sagaGroup))).toBeGreaterThanOrEqual(4 + 2 + 2 + 1);
    expect(sum(ofGroup('eventsmith.consumer.processed', world.sagaGroup))).toBe(world.orchestrator?.metrics().applied);
    // One duration per process operation: a partition's new events in a transaction, processed as
    // a batch (a transaction that coalesced the batches of several partitions holds one per partition).
    const durations = ofGroup('messaging.process.duration', world.sagaGroup);
    const o = world.orchestrator?.metrics();
    const partitions = new Set(
      ofGroup('messaging.client.consumed.messages', world.sagaGroup).map((p) => `${String(p.attributes['messaging.destination.name'])}/${String(p.attributes['messaging.destination.partition.id'])}`),
    ).size;
    expect(partitions).toBeGreaterThan(0);
    expect(sum(durations)).toBeGreaterThan(0);
    expect(sum(durations)).toBeLessThanOrEqual((o?.transactions ?? 0) * partitions + (o?.handlerFailures ?? 0) + (o?.databaseFailures ?? 0));
    expect(durations[0]?.attributes).toMatchObject({ ...saga, 'messaging.system': 'kafka', 'messaging.operation.name': 'process' });
    const group = `flaky-${world.topics.orders}`;
    expect(sum(ofGroup('eventsmith.consumer.retries', group))).toBe(4);
    for (const p of ofGroup('eventsmith.consumer.dead_lettered', group)) {
      expect(p.attributes).toMatchObject({ 'error.type': 'handler-failed', 'messaging.destination.name': world.topics.orders });
    }
    expect(sum(ofGroup('eventsmith.consumer.dead_lettered', group))).toBe(4);
    // Failed tries are timed too, with their error type.
    expect(ofGroup('messaging.process.duration', group).some((p) => p.attributes['error.type'] === 'Error')).toBe(true);
  });

  it('consumer lag per partition: a gauge per topic and partition of each group, 0 once everything is processed', async () => {
    const lag = points(await telemetry.collect(), 'eventsmith.consumer.lag').filter((p) => p.attributes['messaging.consumer.group.name'] === world.sagaGroup);
    expect(lag.length).toBeGreaterThan(0);
    for (const p of lag) {
      expect(typeof p.attributes['messaging.destination.partition.id']).toBe('string');
      expect(p.value).toBe(0);
    }
  });

  it('relay: messages sent per topic, lag in rows and seconds, outbox size, publish rate', async () => {
    const m = await telemetry.collect();
    const rows = Number((await world.pool.query('SELECT count(*)::int AS n FROM eventsmith_outbox')).rows[0]?.n);
    expect(sum(points(m, 'messaging.client.sent.messages'))).toBe(world.relay?.metrics().published);
    expect(sum(points(m, 'messaging.client.sent.messages'))).toBe(rows);
    expect(points(m, 'messaging.client.sent.messages').map((p) => p.attributes['messaging.destination.name'])).toContain(world.topics.orders);
    expect(points(m, 'eventsmith.relay.lag.rows')).toEqual([{ attributes: { 'eventsmith.relay': 'default' }, value: 0 }]);
    expect(points(m, 'eventsmith.relay.lag.seconds')).toEqual([{ attributes: { 'eventsmith.relay': 'default' }, value: 0 }]);
    expect(points(m, 'eventsmith.outbox.rows')).toEqual([{ attributes: {}, value: rows }]);
    expect(points(m, 'eventsmith.relay.publish.rate')).toHaveLength(1);
  });

  it('sagas: instances by status (zeros included), transitions, and the timeouts fired', async () => {
    const m = await telemetry.collect();
    const byStatus = Object.fromEntries(points(m, 'eventsmith.saga.instances').map((p) => [p.attributes['eventsmith.saga.status'], p.value]));
    expect(byStatus).toEqual({ running: 0, compensating: 0, completed: 2, compensated: 2, parked: 0 });
    const transitions = points(m, 'eventsmith.saga.transitions');
    expect(transitions.find((p) => p.attributes['eventsmith.saga.transition'] === 'started')?.value).toBe(4);
    const timeouts = points(m, 'eventsmith.saga.timeouts');
    expect(timeouts.find((p) => p.attributes['eventsmith.saga.transition'] === 'step-timed-out')?.value).toBe(1);
    expect(sum(timeouts)).toBe(world.poller?.metrics().fired);
  });
});

describe('a malformed trace context', () => {
  it('is ignored, not fatal: the saga ran in the process span, which starts a trace of its own, and what it sent carries a valid traceparent', async () => {
    const spans = telemetry.spans();
    // A process span of the message alone names it; neither it nor a batch's has a parent.
    const single = spans.filter((s) => s.name === `process ${world.topics.orders}` && s.attributes['messaging.message.id'] === malformedEventId);
    for (const p of single) expect(p.parentSpanId).toBeUndefined();
    const started = spans.find((s) => s.name === 'saga PlaceOrder start' && s.attributes['eventsmith.saga.id'] === ids.malformed);
    const process = spans.find((s) => s.spanId === started?.parentSpanId);
    expect(process).toMatchObject({ name: `process ${world.topics.orders}`, kind: 'consumer', parentSpanId: undefined, status: { code: 'unset' } });
    expect(process?.attributes['messaging.consumer.group.name']).toBe(world.sagaGroup);
    expect(started?.traceId).toBe(process?.traceId);
    const commands = (await world.pool.query(`SELECT headers FROM eventsmith_outbox WHERE aggregateid = $1 AND type LIKE '%.command.%'`, [ids.malformed])).rows as Array<{ headers: Record<string, string> }>;
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(c.headers.traceparent).toMatch(new RegExp(`^00-${started?.traceId}-[0-9a-f]{16}-01$`));
  });
});
