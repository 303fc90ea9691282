// One consumer group of separate processes (test/kafka/fixtures/child.mjs, the built runtime)
// over 12 partitions while its membership changes under load: a member dies right after a
// transaction committed (before its offsets did), a fourth joins, and a fifth joins and leaves
// (two more rebalances). Every event's effect must be applied exactly once, in order per aggregate.
// A single broker: the group protocol, not replication, is under test here (failover.test.ts
// covers the replicated cluster), and each JVM less leaves more of two cores to the five consumers.
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaPublisher, encodeBinary, ensureTopics, migrate } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { type Child, appliedCount, childEnv, createProjection, kafkaClient, projectionProblem, startChild } from '../kafka/helpers.js';
import { incremented, waitFor } from '../kafka/support.js';
import { appliedDigest } from './support.js';

const db = useTestDatabase();
let broker: KafkaBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startKafka();
  kafka = kafkaClient(broker.brokers, 'consumer-group-test');
}, 300_000);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

async function members(admin: Admin, group: string): Promise<number> {
  const { groups } = await admin.describeGroups([group]);
  return groups[0]?.state === 'Stable' ? (groups[0]?.members.length ?? 0) : -1;
}

describe('consumer group of processes', () => {
  it('3 processes on 12 partitions, one killed mid-batch, a fourth added, a rebalance forced mid-stream: every effect applied exactly once, in order per aggregate', async () => {
    const iso = await db.isolated({ max: 10 });
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const topic = `group-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 12 }]);
    const aggregates = 400;
    const perAggregate = 50;
    const ids = Array.from({ length: aggregates }, () => randomUUID());
    const publisher = new KafkaPublisher({ kafka });
    try {
      // Interleaved across aggregates, in seq order per aggregate, as a relay would send them.
      for (let seq = 1; seq <= perAggregate; seq++) {
        await publisher.send(
          ids.map((id) => {
            const { event, data } = incremented(id, seq, { v1: seq % 7 === 0 });
            return { topic, ...encodeBinary(event, data) };
          }),
        );
      }
    } finally {
      await publisher.disconnect();
    }
    const total = aggregates * perAggregate;
    expect(total).toBe(20_000);

    const group = `group-${topic}`;
    // 4 ms per event: the stream lasts long enough for the membership changes to land mid-stream.
    const env = childEnv(iso, db.url, broker.brokers, { ROLE: 'consumer', TOPIC: topic, GROUP: group, BATCH_SIZE: '50', SLOW_MS: '4' });
    const children: Child[] = [];
    const admin = kafka.admin();
    await admin.connect();
    const progress: string[] = [];
    const mark = async (what: string) => progress.push(`${what} at ${await appliedCount(iso.pool)}`);
    try {
      // Two members first, then the third, which dies right after its 8th transaction committed,
      // before its offsets are. It gets partitions only once the rebalance that admits it is done,
      // so it dies a member of the group of 3. (Waiting to see 3 members instead raced its death
      // on a quiet machine: 8 transactions take about a second.)
      children.push(startChild(env), startChild(env));
      await waitFor('2 members', async () => (await members(admin, group)) === 2, 120_000);
      const doomed = startChild({ ...env, KILL_AFTER_COMMIT: '8' });
      children.push(doomed);
      const died = await doomed.exited;
      expect(died.signal, doomed.output()).toBe('SIGKILL');
      await mark('member killed');

      const fourth = startChild(env);
      children.push(fourth);
      await waitFor('3 members again (2 + the fourth)', async () => (await members(admin, group)) === 3, 120_000);
      await mark('fourth joined');

      // A fifth joins and leaves cleanly: two rebalances while the stream goes on.
      const fifth = startChild(env);
      children.push(fifth);
      await waitFor('4 members', async () => (await members(admin, group)) === 4, 120_000);
      await mark('fifth joined');
      const before = await appliedCount(iso.pool);
      await waitFor('the fifth to apply a little', async () => (await appliedCount(iso.pool)) > before + 200, 60_000);
      fifth.terminate();
      expect((await fifth.exited).code, fifth.output()).toBe(0);
      await mark('fifth left');
      const midStream = await appliedCount(iso.pool);
      expect(midStream).toBeLessThan(total);

      await waitFor(`all ${total} applied`, async () => (await appliedCount(iso.pool)) >= total, 300_000);
      await waitFor('group lag 0', async () => {
        const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const ends = await admin.fetchTopicOffsets(topic);
        return ends.every((e) => offsets[0]?.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
      }, 60_000);
      expect(await projectionProblem(iso.pool, aggregates, perAggregate)).toBeUndefined();
      const digest = await appliedDigest(iso.pool, ids, perAggregate);
      expect(digest.actual).toEqual(digest.expected);
      const processed = await iso.pool.query('SELECT count(*)::int AS n FROM eventsmith_processed_events WHERE consumer_group = $1', [group]);
      expect((processed.rows[0] as { n: number }).n).toBe(total);
      console.log(`consumer group: ${total} events over 12 partitions; ${progress.join(', ')}`);
    } finally {
      for (const c of children) c.kill();
      await Promise.all(children.map((c) => c.exited));
      await admin.disconnect();
    }
  }, 900_000);
});
