// The relay and a consumer against a 3-node cluster (replication factor 3, min.insync.replicas=2,
// idempotent acks=all producer) while nodes crash: first the leader of a busy partition is
// SIGKILLed mid-stream and restarted later; then 2 of 3 nodes stop, so no write can be
// acknowledged, and come back. Nothing may be lost, reordered per aggregate or applied twice.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher, OutboxRelay, ensureTopics, migrate, silentLogger, type OutboxLag } from '../../generator/runtime/index.js';
import { startKafkaCluster, type KafkaCluster } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { appendRange, appliedCount, createProjection, projectionConsumer, projectionProblem } from '../kafka/helpers.js';
import { waitFor } from '../kafka/support.js';
import { appliedDigest, busiestPartition, leaderOf, withAdmin } from './support.js';

const db = useTestDatabase();
let cluster: KafkaCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startKafkaCluster({ nodes: 3 });
  kafka = new Kafka({ clientId: 'failover-test', brokers: cluster.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1_000, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 } });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(Boolean(process.env.KAFKA_BROKERS))('3-node cluster failover', () => {
  it('leader of a busy partition SIGKILLed mid-stream and restarted; then 2 of 3 nodes down and back: nothing lost, reordered or applied twice', async () => {
    const iso = await db.isolated({ max: 20 });
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = `failover-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 6 }]);
    // A new topic reaches each node's metadata a moment after creation ("This server does not
    // host this topic-partition" until then).
    let replicas: number[] = [];
    await waitFor('the topic in the cluster metadata', async () => {
      const configured = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] })).catch(() => undefined);
      replicas = configured?.topics[0]?.partitions.map((p) => p.replicas.length) ?? [];
      return replicas.length === 6;
    }, 30_000);
    expect(replicas).toEqual([3, 3, 3, 3, 3, 3]);

    // The relay's sends give up after 5 s (then it backs off and sends the batch again), so that
    // the 2-node outage below shows as relay failures rather than one long-blocked send.
    const publisher = new KafkaPublisher({ kafka, deliveryTimeoutMs: 5_000, producer: { retry: { initialRetryTime: 100, maxRetryTime: 1_000 } }, logger: silentLogger });
    const relay = new OutboxRelay({ pool: iso.pool, publisher, batchSize: 500, listen: () => iso.connect(), retry: { maxMs: 1_000 }, logger: silentLogger });
    const consumer = projectionConsumer(kafka, iso.pool, topic, { retry: { initialMs: 100, maxMs: 1_000 }, consumer: { sessionTimeout: 6_000, heartbeatInterval: 500 }, logger: silentLogger });
    const aggregates = 200;
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    let appended = 0; // events per aggregate so far
    const round = async (): Promise<void> => {
      await appendRange(iso.pool, topic, ids, appended, 5);
      appended += 5;
    };
    const published = async (): Promise<number> => Number(((await iso.pool.query('SELECT count(*) AS n FROM eventsmith_outbox WHERE published_at IS NOT NULL')).rows[0] as { n: string }).n);
    let maxLag: OutboxLag = { rows: 0, seconds: 0 };
    const sampleLag = async (): Promise<void> => {
      const lag = await relay.lag();
      if (lag.rows > maxLag.rows) maxLag = lag;
    };
    // When a wait times out, the state of each stage says which one stalled.
    const state = async (): Promise<string> => JSON.stringify({
      applied: await appliedCount(iso.pool),
      published: await published(),
      relayLag: await relay.lag(),
      relay: relay.metrics(),
      publisher: publisher.stats(),
      consumerLag: await consumer.lag().catch((e: unknown) => String(e)),
      consumer: consumer.metrics(),
    });
    const until = async (what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
      try {
        await waitFor(what, condition, timeoutMs);
      } catch (err) {
        throw new Error(`${(err as Error).message}; ${await state()}`);
      }
    };
    relay.start();
    await consumer.start();
    try {
      // 20 rounds of 1,000 events (5 per aggregate): 20,000 in all, appended while the relay publishes.
      for (let i = 0; i < 6; i++) await round();
      const victim = await withAdmin(kafka, async (admin) => leaderOf(admin, cluster, topic, await busiestPartition(admin, topic)));
      const publishedBeforeKill = await published();
      await victim.halt({ signal: 'SIGKILL' });
      for (let i = 0; i < 7; i++) {
        await round();
        await sampleLag();
        await sleep(500);
      }
      // The cluster goes on without the node: once KafkaJS has found the new leaders, the relay
      // publishes while it is still down. (Waiting for that, rather than for a fixed time: on a
      // quiet machine the rounds above finish before the leaders move.)
      await until('the relay published while the node was down', async () => (await published()) > publishedBeforeKill, 120_000);
      const publishedWhileDown = (await published()) - publishedBeforeKill;
      await victim.resume();
      for (let i = 0; i < 7; i++) {
        await round();
        await sampleLag();
      }
      const total = aggregates * appended;
      expect(total).toBe(20_000);
      await until(`all ${total} events applied`, async () => (await appliedCount(iso.pool)) >= total, 240_000);
      await until('the relay caught up', async () => (await relay.lag()).rows === 0, 60_000);
      await until('consumer lag 0', async () => (await consumer.lag()).total === 0, 60_000);
      expect(await projectionProblem(iso.pool, aggregates, appended)).toBeUndefined();
      const digest = await appliedDigest(iso.pool, ids, appended);
      expect(digest.actual).toEqual(digest.expected);
      const afterKill = { relay: relay.metrics(), publisher: publisher.stats(), consumer: consumer.metrics(), maxLag, publishedWhileDown };

      // 2 of 3 nodes down: no quorum, no in-sync pair, so no write can be acknowledged.
      const [a, b] = cluster.nodes.filter((n) => n.id !== victim.id) as [(typeof cluster.nodes)[number], (typeof cluster.nodes)[number]];
      const publishedBeforeOutage = await published();
      const failuresBefore = relay.metrics().failures;
      await Promise.all([a.halt({ timeoutMs: 5_000 }), b.halt({ timeoutMs: 5_000 })]);
      await round();
      await waitFor('the relay retried at least twice', () => relay.metrics().failures >= failuresBefore + 2, 60_000);
      // Nothing was marked published while no write could be acknowledged.
      expect(await published()).toBe(publishedBeforeOutage);
      expect((await relay.lag()).rows).toBe(aggregates * 5);
      await Promise.all([a.resume(), b.resume()]);
      await round();
      const all = aggregates * appended;
      await until(`all ${all} events applied after the outage`, async () => (await appliedCount(iso.pool)) >= all, 240_000);
      await until('the relay caught up after the outage', async () => (await relay.lag()).rows === 0, 60_000);
      expect(await projectionProblem(iso.pool, aggregates, appended)).toBeUndefined();
      const after = await appliedDigest(iso.pool, ids, appended);
      expect(after.actual).toEqual(after.expected);
      expect(relay.metrics().consecutiveFailures).toBe(0);
      console.log(
        `failover: node ${victim.id} killed: ${JSON.stringify(afterKill)}; 2-node outage: relay ${JSON.stringify(relay.metrics())}, publisher ${JSON.stringify(publisher.stats())}`,
      );
    } finally {
      await relay.stop();
      await consumer.stop();
      await publisher.disconnect();
    }
  }, 900_000);
});
