/** Topic set-up and consumer lag through the KafkaJS admin client. */
import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  /** Default: the broker's num.partitions. */
  readonly numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  readonly replicationFactor?: number;
}

function isTopicExists(err: unknown): boolean {
  const text = (e: unknown): string => (typeof e === 'object' && e !== null && 'type' in e ? String(e.type) : '');
  if (text(err) === 'TOPIC_ALREADY_EXISTS') return true;
  const errors = typeof err === 'object' && err !== null && 'errors' in err && Array.isArray(err.errors) ? (err.errors as unknown[]) : [];
  return errors.length > 0 && errors.every((e) => text(e) === 'TOPIC_ALREADY_EXISTS');
}

/**
 * Creates the topics that do not exist yet and waits for their leaders: consumers should
 * subscribe to existing topics (a subscription to a topic that appears later is only noticed at
 * the next metadata refresh), and producers should not depend on auto-creation.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          ...(t.numPartitions !== undefined ? { numPartitions: t.numPartitions } : {}),
          ...(t.replicationFactor !== undefined ? { replicationFactor: t.replicationFactor } : {}),
        })),
      });
    } catch (err) {
      // Another process created them first; or KafkaJS gave up waiting for leaders because the
      // broker's metadata had not caught up yet (it retries only LEADER_NOT_AVAILABLE), which we
      // wait out below.
      if (!isTopicExists(err) && !isMetadataLag(err)) throw err;
    }
    await waitForLeaders(admin, missing.map((t) => t.topic));
  } finally {
    await admin.disconnect();
  }
}

function isMetadataLag(err: unknown): boolean {
  const type = (e: unknown): string => (typeof e === 'object' && e !== null && 'type' in e ? String(e.type) : '');
  const lagging = (e: unknown): boolean => ['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE'].includes(type(e));
  if (lagging(err)) return true;
  const inner = typeof err === 'object' && err !== null && 'originalError' in err ? err.originalError : undefined;
  return inner !== undefined && lagging(inner);
}

/** Until every partition of `topics` has a leader (up to 30 s): a new topic is usable only then. */
async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      const ready = meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (err) {
      if (!isMetadataLag(err) || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`eventsmith: topics ${topics.join(', ')} have no leader after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next message it will read); -1 if it never committed. */
  readonly committed: string;
  /** The partition's high watermark (offset of the next message written). */
  readonly end: string;
  readonly lag: number;
}

export interface ConsumerLag {
  /** Messages written but not committed by the group, over all partitions. */
  readonly total: number;
  readonly partitions: readonly PartitionLag[];
}

/** Committed offsets of `groupId` against the end of each partition of `topics`. */
export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<ConsumerLag> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const partitions: PartitionLag[] = [];
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const ofTopic = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const mine = ofTopic.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = BigInt(mine) >= 0n ? BigInt(mine) : BigInt(end.low);
      const lag = BigInt(end.high) - from;
      partitions.push({ topic, partition: end.partition, committed: mine, end: end.high, lag: Number(lag > 0n ? lag : 0n) });
    }
  }
  partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { total: partitions.reduce((n, p) => n + p.lag, 0), partitions };
}
