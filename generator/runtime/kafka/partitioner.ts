/**
 * The partitioner of the shared producer: KafkaJS's `DefaultPartitioner` (the Java client's
 * murmur2 of the key, so one aggregate lands on the partition every Java, Go or librdkafka
 * producer picks for it), computed in 32-bit integer arithmetic.
 *
 * Why not KafkaJS's own: it hashes through 64-bit `Long` objects (several allocations per
 * 4 bytes of key) and copies the partition list for every message; with our keys (aggregate
 * ids) that was 3.5–6 µs of CPU per message, close to a tenth of all KafkaJS spends on one
 * (see BENCHMARKS.md); this one takes about 0.2 µs.
 * The result is the same number for every key: the low 32 bits of a product depend only on
 * the low 32 bits of its factors, which is all Java's `int` arithmetic keeps and all that
 * KafkaJS's `toInt()` returns. Messages without a key go round-robin over the partitions that
 * have a leader, from a random start, as KafkaJS does.
 */
import { randomInt } from 'node:crypto';
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's `Utils.murmur2` (org.apache.kafka.common.utils) as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[end + 2] as number) << 16;
    if (rest >= 2) h ^= (data[end + 1] as number) << 8;
    h ^= data[end] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** UTF-8 bytes of a key: KafkaJS hashes `Buffer.from(String(key))`. */
function keyBytes(key: Buffer | string): Uint8Array {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key), 'utf8');
}

/** The partition Java's default partitioner gives `key` among `numPartitions`. */
export function partitionForKey(key: Buffer | string, numPartitions: number): number {
  return (murmur2(keyBytes(key)) & 0x7fffffff) % numPartitions;
}

export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return partitionForKey(message.key, partitionMetadata.length);
    const next = ((counters.get(topic) ?? randomInt(0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return (available[next % available.length] as (typeof available)[number]).partitionId;
    return next % partitionMetadata.length;
  };
};
