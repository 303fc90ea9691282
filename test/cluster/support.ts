// Shared by the replicated-cluster tests: one 3-node cluster per file, and the checks they make.
import { createHash } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Queryable } from '../../generator/runtime/index.js';
import type { KafkaCluster, KafkaClusterNode } from '../support/kafka.mjs';

/** The node that leads `partition` of `topic` now. */
export async function leaderOf(admin: Admin, cluster: KafkaCluster, topic: string, partition: number): Promise<KafkaClusterNode> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const leader = meta.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
  const node = cluster.nodes.find((n) => n.id === leader);
  if (!node) throw new Error(`partition ${topic}/${partition} has no leader among the cluster's nodes (${String(leader)})`);
  return node;
}

/** The partition of `topic` with the most messages so far. */
export async function busiestPartition(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  offsets.sort((a, b) => Number(BigInt(b.high) - BigInt(a.high)));
  return offsets[0]?.partition ?? 0;
}

/**
 * Count and checksum of the `applied` table the handlers write, against what exactly-once
 * application of seq 1..perAggregate of every aggregate in `ids` gives.
 */
export async function appliedDigest(db: Queryable, ids: readonly string[], perAggregate: number): Promise<{ actual: { count: number; md5: string }; expected: { count: number; md5: string } }> {
  const r = await db.query(`SELECT count(*)::int AS count, COALESCE(md5(string_agg(aggregate_id || ':' || seq, ',' ORDER BY aggregate_id COLLATE "C", seq)), '') AS md5 FROM applied`);
  const actual = r.rows[0] as { count: number; md5: string };
  const rows: string[] = [];
  for (const id of ids) for (let seq = 1; seq <= perAggregate; seq++) rows.push(`${id}:${seq}`);
  rows.sort((a, b) => {
    const [ia, sa] = a.split(':') as [string, string];
    const [ib, sb] = b.split(':') as [string, string];
    return ia < ib ? -1 : ia > ib ? 1 : Number(sa) - Number(sb);
  });
  return { actual, expected: { count: rows.length, md5: rows.length === 0 ? '' : createHash('md5').update(rows.join(',')).digest('hex') } };
}

export async function withAdmin<T>(kafka: Kafka, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}
