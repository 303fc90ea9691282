// The shared producer's partitioner must put every key where KafkaJS's DefaultPartitioner (and
// the Java client) puts it: one aggregate, one partition, whoever publishes. No broker needed.
import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner, murmur2 } from '../../generator/runtime/kafka/partitioner.js';

const metadata = (n: number, leaderless: readonly number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

describe('javaCompatiblePartitioner', () => {
  it("matches the Java client's murmur2 (Kafka's own UtilsTest values)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it("gives every key KafkaJS's DefaultPartitioner's partition", () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 50]) {
      const partitionMetadata = metadata(partitions);
      for (let i = 0; i < 3000; i++) {
        // UUIDs (aggregate ids), non-ASCII text, and raw bytes of every length mod 4.
        const key = i % 3 === 0 ? randomUUID() : i % 3 === 1 ? `ключ-${i}-ü€😀` : randomBytes(i % 41);
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition, and spreads keyless messages over partitions that have a leader', () => {
    const partition = javaCompatiblePartitioner();
    expect(partition({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: null, partition: 4 } })).toBe(4);
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) seen.add(partition({ topic: 't', partitionMetadata: metadata(6, [2, 5]), message: { value: null } }));
    expect([...seen].sort()).toEqual([0, 1, 3, 4]);
  });
});
