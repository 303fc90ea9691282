// The generated Kafka layer (`orders/kafka.ts` of the example) against a real KRaft broker and a
// real PostgreSQL: its publish functions, judged by the official CloudEvents SDK; the generated
// repository → outbox → relay → Kafka → the generated consumer → a projection, for thousands of
// events of many aggregates, including events stored at version 1; and, with tsc, that a publish
// function or handler accepts only its own event's data type.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderEvent, OrderPlaced, PaymentCaptured } from '../../generated-example/src/generated/orders/types.js';
import {
  type AvroCodec,
  type CloudEvent,
  type DomainConsumerOptions,
  type EnvelopeMeta,
  type EventHandler,
  type KafkaConsumerRunner,
  KafkaPublisher,
  OutboxRelay,
  type SagaEngine,
  type TopicSpec,
  type TypedPublishOptions,
  appendToStream,
  ensureTopics,
  makeEnvelope,
  migrate,
  newEventFor,
} from '../../generator/runtime/index.js';
import { exampleCustomFiles, generateInto, root, scratch, typeCheck } from '../emit/evolution-support.js';
import { type Isolated, useTestDatabase } from '../postgres/db.js';
import { type OrderRepository, type RepositoryFactory, generateModules, item, member, orderSpec } from '../repository/service.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { kafkaClient, readTopic } from './helpers.js';
import { sdkAttributes, sdkRead, ourAttributes, waitFor } from './support.js';

/** What the generated kafka.ts exports, as the tests use it (types mirror the generated declarations). */
interface GeneratedKafka {
  readonly eventTopics: { readonly Order: string; readonly Inventory: string; readonly Payment: string };
  readonly topicSpecs: (numPartitions?: number) => TopicSpec[];
  readonly createEventPublisher: (publisher: KafkaPublisher, options?: TypedPublishOptions) => {
    readonly orderPlaced: (id: string, data: OrderPlaced, meta?: EnvelopeMeta) => Promise<CloudEvent<string, OrderPlaced, 2>>;
    readonly paymentCaptured: (id: string, data: PaymentCaptured, meta?: EnvelopeMeta) => Promise<CloudEvent<string, PaymentCaptured, 2>>;
  };
  readonly createEventConsumer: (
    options: DomainConsumerOptions<Record<string, unknown>>,
    handlers: {
      readonly Order?: { readonly OrderPlaced?: EventHandler<string, OrderPlaced> };
      readonly Payment?: { readonly PaymentCaptured?: EventHandler<string, PaymentCaptured> };
    },
  ) => KafkaConsumerRunner<Record<string, unknown>>;
}

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;
let publisher: KafkaPublisher;
let generated: Awaited<ReturnType<typeof generateModules>>;
let gk: GeneratedKafka;
let orderRepository: RepositoryFactory<OrderRepository>;
let orderPlacedV1Codec: AvroCodec<unknown>;
let paymentCapturedV2Codec: AvroCodec<PaymentCaptured>;

beforeAll(async () => {
  // Topics of their own, so that other test files on the same broker cannot interfere.
  const run = randomUUID().slice(0, 8);
  const spec = orderSpec().replace(/^ {4}topic: (\w+)$/gm, (_, t: string) => `    topic: ${t}-${run}`);
  generated = await generateModules('kafka-generated', spec, exampleCustomFiles());
  const k = await generated.module('orders/kafka.js');
  gk = {
    eventTopics: member(k, 'eventTopics', 'object'),
    topicSpecs: member(k, 'topicSpecs', 'function'),
    createEventPublisher: member(k, 'createEventPublisher', 'function'),
    createEventConsumer: member(k, 'createEventConsumer', 'function'),
  };
  orderRepository = member(await generated.module('orders/repository.js'), 'orderRepository', 'function');
  const avro = await generated.module('orders/avro.js');
  orderPlacedV1Codec = member(avro, 'orderPlacedV1Codec', 'object');
  paymentCapturedV2Codec = member(avro, 'paymentCapturedV2Codec', 'object');
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
  publisher = new KafkaPublisher({ kafka });
  await publisher.connect();
  await ensureTopics(kafka, gk.topicSpecs(3));
}, 600_000);

afterAll(async () => {
  await publisher?.disconnect();
  await broker?.stop();
  generated?.remove();
}, 60_000);

const total = (amount: string) => ({ amount, currency: 'EUR' });
const orderPlaced = (customerId: string): OrderPlaced => ({ customerId, items: [item], total: total('19.98'), shippingAddress: null });

describe('generated publish functions', () => {
  it('send each event to its topic, keyed by the aggregate id; the SDK reads the same attributes and data (binary, JSON data, structured)', async () => {
    const id = randomUUID();
    const binary = gk.createEventPublisher(publisher);
    const structured = gk.createEventPublisher(publisher, { mode: 'structured', headers: { traceparent: '00-abc-def-01' } });
    const captured = (amount: string): PaymentCaptured => ({ orderId: randomUUID(), amount: total(amount), method: 'card', capturedAt: 1_700_000_000_123_456n, pspReference: 'psp-ü-1' });
    const sent = [
      await binary.paymentCaptured(id, captured('1.00'), { correlationid: 'corr-1' }),
      await binary.paymentCaptured(id, captured('2.00'), { datacontenttype: 'application/json' }),
      await structured.paymentCaptured(id, captured('3.00')),
    ];
    // The payments topic is this test's alone.
    const got = await readTopic(kafka, gk.eventTopics.Payment, 3);
    expect(got.map((m) => m.key?.toString())).toEqual([id, id, id]);
    got.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    for (const [i, m] of got.entries()) {
      const ours = sent[i];
      if (!ours) throw new Error('fewer sent than read');
      const read = sdkRead(m);
      expect(sdkAttributes(read)).toEqual(ourAttributes(ours));
      // Data: Avro bytes (binary mode), JSON text parsed by the SDK, or base64 in structured mode.
      if (ours.datacontenttype === 'application/json') expect(read.data).toEqual(JSON.parse(paymentCapturedV2Codec.toJson(ours.data)));
      else {
        const bytes = read.data instanceof Uint8Array ? read.data : Buffer.from(String(read.data_base64), 'base64');
        expect(paymentCapturedV2Codec.fromBinary(bytes)).toEqual(ours.data);
      }
    }
    expect(got[0]?.headers?.['content-type']?.toString()).toBe('application/avro');
    expect(got[1]?.headers?.['content-type']?.toString()).toBe('application/json');
    expect(got[2]?.headers?.['content-type']?.toString()).toMatch(/^application\/cloudevents\+json/);
    expect(got[2]?.headers?.traceparent?.toString()).toBe('00-abc-def-01');
  }, 60_000);
});

describe('generated consumer, end to end', () => {
  it('repository append → outbox → relay → Kafka → createEventConsumer → projection: 3,000 events of 150 orders (some stored as v1), once each, in order per order', async () => {
    const iso: Isolated = await db.isolated({ max: 20 });
    await migrate(iso.pool);
    await iso.pool.query(
      'CREATE TABLE projection (n bigserial PRIMARY KEY, order_id text NOT NULL, seq int NOT NULL, event_id text UNIQUE NOT NULL, writer_version int NOT NULL, ' +
        'envelope_writer_version int NOT NULL, dataversion int NOT NULL, dataschema text NOT NULL)',
    );
    const orders = orderRepository(iso.pool);
    const relay = new OutboxRelay({ pool: iso.pool, publisher, batchSize: 500, listen: () => iso.connect(), idlePollMs: 1_000 });
    const consumer = gk.createEventConsumer(
      { kafka, pool: iso.pool, groupId: `projection-${randomUUID()}` },
      {
        Order: {
          // The handler's event is OrderPlaced v2 whatever it was written in, and its envelope says so
          // (dataversion, dataschema); writerVersion is the version on the wire. `customerId` carries the sequence.
          OrderPlaced: async (event, { tx, writerVersion }) => {
            const seq = Number(event.data.customerId.slice(4));
            await tx.query(
              'INSERT INTO projection (order_id, seq, event_id, writer_version, envelope_writer_version, dataversion, dataschema) VALUES ($1, $2, $3, $4, $5, $6, $7)',
              [event.subject, seq, event.id, writerVersion, event.writerVersion, event.dataversion, event.dataschema],
            );
          },
        },
      },
    );
    const ids = Array.from({ length: 150 }, () => randomUUID());
    const perOrder = 20;
    relay.start();
    await consumer.start();
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < ids.length; i = next++) {
          const id = ids[i] as string;
          // seq 1 as an older service stored it: OrderPlaced v1 with its outbox row.
          const v1 = { customerId: 'seq-1', items: [item], amount: '5.00' };
          const envelope = makeEnvelope({ type: 'com.example.orders.order.placed', dataversion: 1, source: 'urn:old', subject: id, data: v1 });
          await appendToStream(iso.pool, { streamType: 'Order', streamId: id, expectedVersion: 0, events: [newEventFor(envelope, orderPlacedV1Codec.toBinary(v1), { topic: gk.eventTopics.Order })] });
          for (let seq = 2; seq <= perOrder; seq += 5) {
            const batch: OrderEvent[] = [];
            for (let s = seq; s < seq + 5 && s <= perOrder; s++) batch.push({ type: 'com.example.orders.order.placed', data: orderPlaced(`seq-${s}`) });
            await orders.append(id, batch, seq - 1);
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      const expected = ids.length * perOrder;
      await waitFor(`${expected} events in the projection`, async () => {
        const r = await iso.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM projection');
        return (r.rows[0]?.n ?? 0) >= expected;
      }, 120_000);
      const rows = await iso.pool.query<{ order_id: string; seqs: number[] }>('SELECT order_id, array_agg(seq ORDER BY n) AS seqs FROM projection GROUP BY order_id');
      expect(rows.rows).toHaveLength(ids.length);
      for (const r of rows.rows) expect(r.seqs).toEqual(Array.from({ length: perOrder }, (_, i) => i + 1));
      const v1 = await iso.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM projection WHERE writer_version = 1');
      expect(v1.rows[0]?.n).toBe(ids.length);
      const envelopes = await iso.pool.query<{ writer: number; dataversion: number; dataschema: string; n: number }>(
        'SELECT envelope_writer_version AS writer, dataversion, dataschema, count(*)::int AS n FROM projection GROUP BY 1, 2, 3 ORDER BY 1',
      );
      const v2Schema = 'urn:eventsmith:schema:com.example.orders.order.placed:v2';
      expect(envelopes.rows).toEqual([
        { writer: 1, dataversion: 2, dataschema: v2Schema, n: ids.length },
        { writer: 2, dataversion: 2, dataschema: v2Schema, n: expected - ids.length },
      ]);
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 30_000);
      expect(consumer.metrics()).toMatchObject({ applied: expected, deadLettered: 0, handlerFailures: 0 });
      expect(relay.metrics()).toMatchObject({ published: expected, failures: 0 });
    } finally {
      await relay.stop();
      await consumer.stop();
      await orders.settled();
    }
  }, 240_000);
});

describe('generated saga handlers, end to end', () => {
  it('an OrderPlaced stored as v1 reaches the PlaceOrder saga as v2 (dataversion 2, writerVersion 1); the saga keeps and uses the upcast data', async () => {
    const iso: Isolated = await db.isolated({ max: 10 });
    await migrate(iso.pool);
    // The example's filled deciders import the example service's rules, which this layout lacks;
    // the saga never decides a command here, so the generated decider stubs serve.
    // Topics of its own: the Order topic of the other tests holds thousands of OrderPlaced events.
    const custom = new Map([...exampleCustomFiles()].filter(([rel]) => rel !== 'orders/custom/deciders.ts'));
    const run = randomUUID().slice(0, 8);
    const sagaModules = await generateModules('kafka-saga', orderSpec().replace(/^ {4}topic: (\w+)$/gm, (_, t: string) => `    topic: ${t}-saga-${run}`), custom);
    const sagas = await sagaModules.module('orders/sagas.js');
    const k = await sagaModules.module('orders/kafka.js');
    const topics = member<GeneratedKafka['eventTopics']>(k, 'eventTopics', 'object');
    await ensureTopics(kafka, member<GeneratedKafka['topicSpecs']>(k, 'topicSpecs', 'function')(1));
    const engine = member<(options?: unknown) => SagaEngine<unknown>>(sagas, 'createPlaceOrderEngine', 'function')();
    type Handlers = { readonly Order: { readonly OrderPlaced: EventHandler<string, OrderPlaced> } } & Record<string, unknown>;
    const handlers = member<(e: SagaEngine<unknown>) => Handlers>(sagas, 'placeOrderHandlers', 'function')(engine);
    const seen: { dataversion: number; writerVersion: number; dataschema: string }[] = [];
    const consumer = member<GeneratedKafka['createEventConsumer']>(k, 'createEventConsumer', 'function')(
      { kafka, pool: iso.pool, groupId: `place-order-${run}` },
      {
        ...handlers,
        Order: {
          OrderPlaced: async (event, context) => {
            if (event.subject === id) seen.push({ dataversion: event.dataversion, writerVersion: event.writerVersion, dataschema: event.dataschema });
            await handlers.Order.OrderPlaced(event, context);
          },
        },
      },
    );
    const relay = new OutboxRelay({ pool: iso.pool, publisher, idlePollMs: 200 });
    const id = randomUUID();
    const v1 = { customerId: 'saga-v1', items: [item], amount: '5.00' };
    const envelope = makeEnvelope({ type: 'com.example.orders.order.placed', dataversion: 1, source: 'urn:old', subject: id, data: v1 });
    await appendToStream(iso.pool, { streamType: 'Order', streamId: id, expectedVersion: 0, events: [newEventFor(envelope, orderPlacedV1Codec.toBinary(v1), { topic: topics.Order })] });
    relay.start();
    await consumer.start();
    try {
      await waitFor('the saga started', async () => (await engine.get(iso.pool, id)) !== undefined, 60_000);
      expect(seen).toEqual([{ dataversion: 2, writerVersion: 1, dataschema: 'urn:eventsmith:schema:com.example.orders.order.placed:v2' }]);
      const saga = await engine.get(iso.pool, id);
      // v1's bare amount, upcast to v2's Money with the declared currency.
      expect(saga?.context).toMatchObject({ sagaId: id, start: { data: { customerId: 'saga-v1', total: { amount: '5.00', currency: 'USD' } } } });
      const reserve = await iso.pool.query<{ type: string; aggregateid: string }>("SELECT type, aggregateid FROM eventsmith_outbox WHERE type LIKE '%.command.reserve-stock'");
      expect(reserve.rows).toEqual([{ type: 'com.example.orders.inventory.command.reserve-stock', aggregateid: item.productId }]);
    } finally {
      await relay.stop();
      await consumer.stop();
      sagaModules.remove();
    }
  }, 180_000);
});

describe('types of the generated layer', () => {
  it('a publish function takes only its event\'s data, and a handler receives only its event\'s data (tsc)', async () => {
    const work = scratch('kafka-types');
    try {
      // Laid out as the example is: the filled custom deciders call the service's rules.
      const out = path.join(work.dir, 'src/generated');
      await generateInto(out, 'orders.yaml', orderSpec());
      for (const [rel, text] of exampleCustomFiles()) writeFileSync(path.join(work.dir, 'src', rel), text);
      mkdirSync(path.join(work.dir, 'src/service'), { recursive: true });
      for (const name of ['rules.ts', 'money.ts']) copyFileSync(path.join(root, 'generated-example/src/service', name), path.join(work.dir, 'src/service', name));
      const usage = (expectErrors: boolean) => `import type { KafkaPublisher } from 'eventsmith/runtime';
import { createEventConsumer, createEventPublisher, type DomainHandlers } from './src/generated/orders/kafka.js';
declare const publisher: KafkaPublisher;
const publish = createEventPublisher(publisher);
const at = new Date();
export const ok = publish.orderConfirmed('b3a7c1de-0000-4000-8000-000000000001', { confirmedAt: at });
${expectErrors ? '// @ts-expect-error: OrderConfirmed data is not OrderPlaced data\n' : ''}export const wrong = publish.orderPlaced('b3a7c1de-0000-4000-8000-000000000001', { confirmedAt: at });
export const handlers: DomainHandlers = {
  Order: {
    OrderPlaced: (event) => {
      const customer: string = event.data.customerId;
${expectErrors ? '      // @ts-expect-error: an OrderPlaced handler has no OrderConfirmed data\n' : ''}      const when: Date = event.data.confirmedAt;
      void customer;
      void when;
      const version: 2 = event.dataversion;
      const written: number = event.writerVersion;
${expectErrors ? '      // @ts-expect-error: the delivered data is v2, whatever version it was written in\n' : ''}      const asV1: 1 = event.dataversion;
      void version;
      void written;
      void asV1;
    },
  },
};
export const consumer = createEventConsumer({ kafka: null as never, pool: null as never, groupId: 'g' }, handlers);
`;
      writeFileSync(path.join(work.dir, 'usage.ts'), usage(true));
      expect(typeCheck(work.dir)).toEqual([]);
      // The same file without the expectations: exactly those two lines are errors.
      writeFileSync(path.join(work.dir, 'usage.ts'), usage(false));
      const errors = typeCheck(work.dir);
      expect(errors.filter((e) => e.startsWith('usage.ts'))).toHaveLength(3);
      expect(errors.join('\n')).toMatch(/usage\.ts\(7,.*confirmedAt/);
      expect(errors.join('\n')).toMatch(/usage\.ts\(12,.*confirmedAt/);
      expect(errors.join('\n')).toMatch(/usage\.ts\(17,.*'2' is not assignable to type '1'/);
    } finally {
      work.remove();
    }
  }, 120_000);
});
