// The Debezium path against the relay, with real components: the same 5,000 events (two
// aggregates, OrderPlaced in two versions) are stored twice, in two databases of one PostgreSQL
// with wal_level=logical; the relay publishes one, Kafka Connect with Debezium's connector and the
// emitted orders/debezium/outbox-connector.json the other, each to its own copy of the topics.
// The generated consumers must see the same CloudEvents from both, the CloudEvents SDK must read
// every Debezium message, and the Kafka records must be the relay's (key, value bytes, CloudEvents
// headers). Midway the Connect worker is SIGKILLed and restarted: nothing is lost, redeliveries are
// absorbed by the idempotent consumer. OutboxPruner runs beside Debezium the whole time.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AvroCodec,
  type CloudEvent,
  type DomainConsumerOptions,
  type EventHandler,
  type KafkaConsumerRunner,
  KafkaPublisher,
  OutboxPruner,
  OutboxRelay,
  type TopicSpec,
  appendToStream,
  ensureTopics,
  makeEnvelope,
  migrate,
  newEventFor,
} from '../../generator/runtime/index.js';
import { exampleCustomFiles } from '../emit/evolution-support.js';
import { type GeneratedModules, generateModules, item, member, orderSpec } from '../repository/service.js';
import { type ConnectorConfig, type ConnectWorker, startConnect } from '../support/debezium.mjs';
import { type KafkaBroker, startKafka } from '../support/kafka.mjs';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';
import { kafkaClient, readTopic } from './helpers.js';
import { sdkAttributes, sdkRead, waitFor } from './support.js';

type Topics = { readonly Order: string; readonly Inventory: string };
type AnyHandler = EventHandler<string, unknown>;
interface GeneratedKafka {
  readonly eventTopics: Topics;
  readonly topicSpecs: (numPartitions?: number) => TopicSpec[];
  readonly createEventConsumer: (
    options: DomainConsumerOptions<Record<string, unknown>>,
    handlers: { readonly Order: Record<string, AnyHandler>; readonly Inventory: Record<string, AnyHandler> },
  ) => KafkaConsumerRunner<Record<string, unknown>>;
}

const ORDERS = 100;
const PER_ORDER = 40;
const STOCKS = 50;
const PER_STOCK = 20;
const TOTAL = ORDERS * PER_ORDER + STOCKS * PER_STOCK;
const SOURCE = 'urn:example:order-service';

/** One stored event, identical for both paths: the envelope (id, time) and its Avro bytes. */
interface Planned {
  readonly aggregate: keyof Topics;
  readonly stream: string;
  readonly envelope: CloudEvent;
  readonly bytes: Uint8Array;
}

interface Run {
  readonly name: string;
  readonly modules: GeneratedModules;
  readonly kafka: GeneratedKafka;
  readonly pool: pg.Pool;
  readonly url: string;
}

let cluster: PostgresCluster;
let broker: KafkaBroker;
let kafka: Kafka;
let relayRun: Run;
let cdcRun: Run;
let streams: Planned[][];
const codecs: Record<string, AvroCodec<unknown>> = {};

async function prepareRun(name: string, tag: string): Promise<Run> {
  const spec = orderSpec().replace(/^ {4}topic: (\w+)$/gm, (_, t: string) => `    topic: ${t}-${name}-${tag}`);
  const modules = await generateModules(`debezium-${name}`, spec, exampleCustomFiles());
  const k = await modules.module('orders/kafka.js');
  const gk: GeneratedKafka = {
    eventTopics: member(k, 'eventTopics', 'object'),
    topicSpecs: member(k, 'topicSpecs', 'function'),
    createEventConsumer: member(k, 'createEventConsumer', 'function'),
  };
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = cluster.url.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 12 });
  await migrate(pool);
  await pool.query(`CREATE TABLE projection (n bigserial PRIMARY KEY, subject text NOT NULL, event_id text NOT NULL, type text NOT NULL,
    dataversion int NOT NULL, writer_version int NOT NULL, data text NOT NULL)`);
  await ensureTopics(kafka, gk.topicSpecs(3));
  return { name, modules, kafka: gk, pool, url };
}

/** Orders: OrderPlaced v1 first (as an older service wrote it), then v2, every 10th an OrderConfirmed; stocks: StockAdded. */
function plan(): Planned[][] {
  const out: Planned[][] = [];
  const at = (i: number) => ({ time: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, i)).toISOString() });
  for (let o = 0; o < ORDERS; o++) {
    const id = randomUUID();
    const stream: Planned[] = [];
    for (let seq = 1; seq <= PER_ORDER; seq++) {
      const [type, dataversion, codec, data] =
        seq === 1
          ? (['com.example.orders.order.placed', 1, 'orderPlacedV1Codec', { customerId: 'seq-1', items: [item], amount: '5.00' }] as const)
          : seq % 10 === 0
            ? (['com.example.orders.order.confirmed', 1, 'orderConfirmedV1Codec', { confirmedAt: new Date(Date.UTC(2024, 4, 2, 0, 0, seq)) }] as const)
            : (['com.example.orders.order.placed', 2, 'orderPlacedV2Codec', { customerId: `seq-${seq}`, items: [item], total: { amount: '19.98', currency: 'EUR' }, shippingAddress: null }] as const);
      const envelope = makeEnvelope({ type, dataversion, source: SOURCE, subject: id, data }, at(seq));
      stream.push({ aggregate: 'Order', stream: id, envelope, bytes: codecs[codec]?.toBinary(data) ?? new Uint8Array() });
    }
    out.push(stream);
  }
  for (let s = 0; s < STOCKS; s++) {
    const id = `sku-${s}`;
    const stream: Planned[] = [];
    for (let seq = 1; seq <= PER_STOCK; seq++) {
      const data = { quantity: BigInt(seq) };
      const envelope = makeEnvelope({ type: 'com.example.orders.inventory.stockadded', dataversion: 1, source: SOURCE, subject: id, data }, at(seq));
      stream.push({ aggregate: 'Inventory', stream: id, envelope, bytes: codecs.stockAddedV1Codec?.toBinary(data) ?? new Uint8Array() });
    }
    out.push(stream);
  }
  return out;
}

/** Appends events [from, to) of every stream into `run`'s database, six streams at a time. */
async function write(run: Run, from: number, to: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < streams.length; i = next++) {
      const stream = streams[i] ?? [];
      const part = stream.slice(from, to);
      for (let j = 0; j < part.length; j += 5) {
        const batch = part.slice(j, j + 5);
        const first = batch[0];
        if (first === undefined) continue;
        await appendToStream(run.pool, {
          streamType: first.aggregate,
          streamId: first.stream,
          expectedVersion: from + j,
          events: batch.map((p) => newEventFor(p.envelope, p.bytes, { topic: run.kafka.eventTopics[p.aggregate] })),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function consumerFor(run: Run): KafkaConsumerRunner<Record<string, unknown>> {
  const record: AnyHandler = async (event, { tx, writerVersion }) => {
    await tx.query('INSERT INTO projection (subject, event_id, type, dataversion, writer_version, data) VALUES ($1, $2, $3, $4, $5, $6)', [
      event.subject,
      event.id,
      event.type,
      event.dataversion,
      writerVersion,
      json(event.data),
    ]);
  };
  return run.kafka.createEventConsumer(
    { kafka, pool: run.pool, groupId: `projection-${run.name}` },
    { Order: { OrderPlaced: record, OrderConfirmed: record }, Inventory: { StockAdded: record } },
  );
}

async function projected(run: Run): Promise<number> {
  const r = await run.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM projection');
  return r.rows[0]?.n ?? 0;
}

/** subject → the events the consumer applied, in order. */
async function projection(run: Run): Promise<Map<string, string[]>> {
  const r = await run.pool.query<{ subject: string; events: string[] }>(
    `SELECT subject, array_agg(json_build_array(event_id, type, dataversion, writer_version, data)::text ORDER BY n) AS events FROM projection GROUP BY subject`,
  );
  return new Map(r.rows.map((x) => [x.subject, x.events]));
}

beforeAll(async () => {
  const tag = randomUUID().slice(0, 8);
  [cluster, broker] = await Promise.all([startPostgres({ logical: true, ignoreDatabaseUrl: true }), startKafka()]);
  kafka = kafkaClient(broker.brokers);
  relayRun = await prepareRun('relay', tag);
  cdcRun = await prepareRun('cdc', tag);
  const avro = await relayRun.modules.module('orders/avro.js');
  for (const name of ['orderPlacedV1Codec', 'orderPlacedV2Codec', 'orderConfirmedV1Codec', 'stockAddedV1Codec']) codecs[name] = member(avro, name, 'object');
  streams = plan();
}, 600_000);

afterAll(async () => {
  await relayRun?.pool.end();
  await cdcRun?.pool.end();
  relayRun?.modules.remove();
  cdcRun?.modules.remove();
  await broker?.stop();
  await cluster?.stop();
}, 60_000);

describe('Debezium instead of the relay', () => {
  it(`delivers the same ${TOTAL} CloudEvents as the relay, through a SIGKILL of the Connect worker, and the outbox is pruned behind it`, async () => {
    // 1. The relay.
    const publisher = new KafkaPublisher({ kafka });
    await publisher.connect();
    const relay = new OutboxRelay({ pool: relayRun.pool, publisher, batchSize: 500, idlePollMs: 200 });
    const relayConsumer = consumerFor(relayRun);
    relay.start();
    await relayConsumer.start();
    try {
      await write(relayRun, 0, Math.max(PER_ORDER, PER_STOCK));
      await waitFor(`${TOTAL} events through the relay`, async () => (await projected(relayRun)) >= TOTAL, 180_000);
    } finally {
      await relay.stop();
      await relayConsumer.stop();
      await publisher.disconnect();
    }

    // 2. Debezium, with the connector `generate` wrote, unchanged.
    const connector = JSON.parse(readFileSync(path.join(cdcRun.modules.dir, 'orders/debezium/outbox-connector.json'), 'utf8')) as ConnectorConfig;
    const worker: ConnectWorker = await startConnect({ brokers: broker.brokers, databaseUrl: cdcRun.url, connectors: [connector] });
    const cdcConsumer = consumerFor(cdcRun);
    const pruner = new OutboxPruner(cdcRun.pool, { slotName: connector.config['slot.name'] ?? '' });
    let pruned = 0;
    let pruning = true;
    let pruneLoop: Promise<void> = Promise.resolve();
    await cdcConsumer.start();
    let killedAt = 0;
    try {
      const half = PER_ORDER / 2;
      await write(cdcRun, 0, half);
      // The pruner starts once the first half is committed, so its first mark holds those rows
      // and the second half's commits, made later, carry the slot past it. (Started before any
      // write, its first mark held nothing, and on a quiet machine its next mark came after the
      // last commit: a database that falls silent keeps the rows after the last mark, as the
      // pruner documents, and nothing was ever pruned.)
      pruneLoop = (async () => {
        while (pruning) {
          pruned += await pruner.prune();
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      await waitFor('Debezium under way', async () => (await projected(cdcRun)) >= 500, 120_000);
      await worker.kill();
      killedAt = await projected(cdcRun);
      // Written while no worker runs: the slot keeps it.
      await write(cdcRun, half, PER_ORDER);
      await worker.resume();
      await waitFor(`${TOTAL} events through Debezium`, async () => (await projected(cdcRun)) >= TOTAL, 180_000);
      await waitFor('consumer lag 0', async () => (await cdcConsumer.lag()).total === 0, 60_000);
      await waitFor('rows pruned', () => pruned > 0, 60_000);
    } finally {
      pruning = false;
      await pruneLoop;
      await cdcConsumer.stop();
      await worker.stop();
    }
    expect(killedAt).toBeLessThan(TOTAL);

    // Same CloudEvents, applied once each, in the order written, per aggregate.
    const written = new Map(streams.map((s) => [s[0]?.stream ?? '', s.map((p) => p.envelope.id)]));
    const fromRelay = await projection(relayRun);
    const fromCdc = await projection(cdcRun);
    expect(fromCdc.size).toBe(ORDERS + STOCKS);
    expect(fromCdc).toEqual(fromRelay);
    for (const [subject, events] of fromCdc) expect(events.map((e) => (JSON.parse(e) as string[])[0])).toEqual(written.get(subject));
    const v1 = await cdcRun.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM projection WHERE writer_version = 1 AND type LIKE '%.placed'");
    expect(v1.rows[0]?.n).toBe(ORDERS);
    expect(cdcConsumer.metrics()).toMatchObject({ applied: TOTAL, deadLettered: 0, handlerFailures: 0 });

    // The Kafka records: every Debezium message is a CloudEvent to the SDK, and is the relay's
    // record of that event (key, value, CloudEvents headers); extra copies are redeliveries.
    for (const aggregate of ['Order', 'Inventory'] as const) {
      const expected = aggregate === 'Order' ? ORDERS * PER_ORDER : STOCKS * PER_STOCK;
      const relayed = new Map((await readTopic(kafka, relayRun.kafka.eventTopics[aggregate], expected)).map((m) => [header(m, 'ce_id'), m]));
      const cdcMessages = await readTopic(kafka, cdcRun.kafka.eventTopics[aggregate], expected);
      expect(relayed.size).toBe(expected);
      expect(new Set(cdcMessages.map((m) => header(m, 'ce_id'))).size).toBe(expected);
      for (const m of cdcMessages) {
        const read = sdkRead(m);
        const twin = relayed.get(String(read.id));
        expect(twin, `relay record of ${String(read.id)}`).toBeDefined();
        if (twin === undefined) continue;
        expect(sdkAttributes(read)).toEqual(sdkAttributes(sdkRead(twin)));
        expect(m.key?.toString()).toBe(twin.key?.toString());
        expect(Buffer.compare(m.value ?? Buffer.alloc(0), twin.value ?? Buffer.alloc(0))).toBe(0);
        expect(cloudEventHeaders(m)).toEqual(cloudEventHeaders(twin));
      }
    }
  }, 480_000);
});

function header(m: KafkaMessage, name: string): string | undefined {
  return m.headers?.[name]?.toString();
}

/** content-type and ce_* headers; Debezium adds its own `id` header beside them. */
function cloudEventHeaders(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) if (k === 'content-type' || k.startsWith('ce_')) out[k] = String(v);
  return out;
}
