// The broker stops mid-stream and comes back: a broker of its own (this file halts it), the relay
// and the consumer keep running throughout and must recover without help, losing nothing.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher, OutboxRelay, ensureTopics, migrate } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { appendRange, appliedCount, createProjection, kafkaClient, projectionConsumer, projectionProblem } from './helpers.js';
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

    // Short producer retries, so that the outage outlasts them: the relay must back off, replace
    // the producer and publish the batch again.
    const impatient = new Kafka({
      clientId: 'outage-relay',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const publisher = new KafkaPublisher({ kafka: impatient, producer: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } } });
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
});
