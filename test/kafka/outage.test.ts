// The broker stops mid-stream and comes back: a broker of its own (this file halts it), the relay
// and the consumer keep running throughout and must recover without help, losing nothing.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher, OutboxRelay, ensureTopics, migrate, silentLogger } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { recordingLogger } from '../support/logging.js';
import { appendRange, appliedCount, createProjection, kafkaClient, projectionConsumer, projectionProblem, readTopic } from './helpers.js';
import { waitFor } from './support.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers);
}, 600_000);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

describe.skipIf(Boolean(process.env.KAFKA_BROKERS))('broker outage', () => {
  it('the broker halted and resumed mid-stream: no event lost or applied twice, relay and consumer recover on their own', async () => {
    const iso = await db.isolated({ max: 20 });
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = `outage-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);

    // A short delivery timeout, so that the outage outlasts it: the relay must back off, replace
    // the producer and publish the batch again.
    const impatient = new Kafka({
      clientId: 'outage-relay',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const publisher = new KafkaPublisher({ kafka: impatient, deliveryTimeoutMs: 1_500, producer: { retry: { initialRetryTime: 100, maxRetryTime: 500 } }, logger: silentLogger });
    const relayErrors: string[] = [];
    const relay = new OutboxRelay({ pool: iso.pool, publisher, batchSize: 200, listen: () => iso.connect(), retry: { maxMs: 1_000 }, onError: (e) => relayErrors.push(String(e)) });
    // After the restart the coordinator waits for the members it knew to rejoin or time out.
    const consumer = projectionConsumer(kafka, iso.pool, topic, { retry: { initialMs: 100, maxMs: 1_000 }, consumer: { sessionTimeout: 6_000, heartbeatInterval: 500 } });
    relay.start();
    await consumer.start();
    const aggregates = 60;
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    let appended = 0; // events per aggregate so far
    const round = async (): Promise<void> => {
      await appendRange(iso.pool, topic, ids, appended, 5);
      appended += 5;
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      // Appends go on before, during and after the outage, 5 per aggregate a round.
      for (let i = 0; i < 3; i++) await round();
      await waitFor('the first rounds through', async () => (await appliedCount(iso.pool)) >= aggregates * appended, 60_000);
      const beforeHalt = await appliedCount(iso.pool);
      await broker.halt();
      for (let i = 0; i < 4; i++) {
        await round();
        await sleep(1_000);
      }
      const duringOutage = await appliedCount(iso.pool);
      await broker.resume();
      const resumedAt = Date.now();
      for (let i = 0; i < 3; i++) {
        await round();
        await sleep(300);
      }
      const total = aggregates * appended;
      await waitFor(`all ${total} events applied`, async () => (await appliedCount(iso.pool)) >= total, 120_000);
      const recoveryMillis = Date.now() - resumedAt;
      await waitFor('consumer lag 0', async () => (await consumer.lag()).total === 0, 60_000);
      expect(await projectionProblem(iso.pool, aggregates, appended)).toBeUndefined();
      expect(await relay.lag()).toEqual({ rows: 0, seconds: 0 });
      // The outage was real: nothing went through while the broker was down, and both sides saw it.
      expect(duringOutage).toBe(beforeHalt);
      expect(relay.metrics().failures).toBeGreaterThan(0);
      expect(relay.metrics().consecutiveFailures).toBe(0);
      expect(publisher.stats().producerResets).toBeGreaterThan(0);
      console.log(
        `outage: ${total} events, all applied ${recoveryMillis} ms after the broker was back, ${beforeHalt} applied before the halt, ${duringOutage} after 4 s down; relay ${JSON.stringify(relay.metrics())}; ` +
          `publisher ${JSON.stringify(publisher.stats())}; consumer ${JSON.stringify(consumer.metrics())}; first relay error: ${relayErrors[0] ?? 'none'}`,
      );
    } finally {
      await relay.stop();
      await consumer.stop();
      await publisher.disconnect();
    }
  }, 300_000);

  it('a send the broker does not acknowledge within deliveryTimeoutMs fails, and the producer given up never sends it later', async () => {
    const topic = `delivery-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    // Connections are retried for a long time, so the given-up producer is still retrying when the broker is back.
    const patient = new Kafka({ clientId: 'delivery-timeout', brokers: broker.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 500, retry: { retries: 200, initialRetryTime: 100, maxRetryTime: 300 } });
    const logger = recordingLogger();
    const publisher = new KafkaPublisher({ kafka: patient, deliveryTimeoutMs: 1_000, producer: { retry: { initialRetryTime: 100, maxRetryTime: 300 } }, logger });
    const message = (key: string) => ({ topic, key, value: Buffer.from(key), headers: {} });
    try {
      await publisher.connect();
      await broker.halt();
      // The message comes only from the deliveryTimeoutMs path, so it proves the deadline fired.
      await expect(publisher.send([message('lost')])).rejects.toThrow('1 message was not acknowledged within 1000 ms (deliveryTimeoutMs)');
      expect(publisher.stats()).toMatchObject({ failures: 1, producerResets: 1 });
      expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'send failed; the producer is replaced and the sends queued behind it fail too', fields: expect.objectContaining({ component: 'publisher', messages: 1 }) }));
      await new Promise((r) => setTimeout(r, 1_000));
      await broker.resume();
      // Time for the old producer's retry to reach the broker, if it were allowed to.
      await new Promise((r) => setTimeout(r, 3_000));
      await publisher.send([message('kept')]);
      const seen = await readTopic(kafka, topic, 1);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(seen.map((m) => m.key?.toString())).toEqual(['kept']);
    } finally {
      await publisher.disconnect();
    }
  }, 120_000);
});
