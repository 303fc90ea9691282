// What a service's log shows, against a real broker and database: KafkaJS's own lines through
// kafkaLogCreator on a broker whose group coordinator is still loading (nothing a retry absorbs
// reaches warn or error), no "Limiting retries for the idempotent producer may invalidate EoS"
// warning from the shared producer, and relay failures on stderr by default.
import { randomUUID } from 'node:crypto';
import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaPublisher, OutboxRelay, ensureTopics, kafkaLogCreator, migrate } from '../../generator/runtime/index.js';
import { startKafka, type KafkaBroker } from '../support/kafka.mjs';
import { useTestDatabase } from '../postgres/db.js';
import { recordingLogger } from '../support/logging.js';
import { appendCounters, appliedCount, createProjection, projectionConsumer, projectionProblem } from './helpers.js';
import { waitFor } from './support.js';

const db = useTestDatabase();
let broker: KafkaBroker;

beforeAll(async () => {
  // Not waiting for the group coordinator: the first consumer meets it while it loads.
  broker = await startKafka({ waitForCoordinator: false });
}, 600_000);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

/** A Kafka client at KafkaJS's default level whose every raw entry is kept, and also handed to kafkaLogCreator(logger). */
function loggedKafka(clientId: string, logger = recordingLogger()): { kafka: Kafka; raw: LogEntry[]; logger: typeof logger } {
  const raw: LogEntry[] = [];
  const ours = kafkaLogCreator(logger);
  const kafka = new Kafka({
    clientId,
    brokers: broker.brokers,
    logLevel: logLevel.INFO,
    logCreator: (level) => {
      const write = ours(level);
      return (entry) => {
        raw.push(entry);
        write(entry);
      };
    },
  });
  return { kafka, raw, logger };
}

describe.skipIf(Boolean(process.env.KAFKA_BROKERS))('logging', () => {
  it('a first consumer on a fresh broker, the shared producer and the relay: no KafkaJS warning or error, no EoS warning', async () => {
    const iso = await db.isolated({ max: 10 });
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const { kafka, raw, logger } = loggedKafka('logging-test');
    const topic = `logging-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
    const publisher = new KafkaPublisher({ kafka, logger });
    const relay = new OutboxRelay({ pool: iso.pool, publisher, logger });
    const consumer = projectionConsumer(kafka, iso.pool, topic, { logger });
    try {
      await consumer.start();
      relay.start();
      await appendCounters(iso.pool, topic, { aggregates: 5, perAggregate: 4 });
      await waitFor('20 events applied', async () => (await appliedCount(iso.pool)) >= 20, 90_000);
      expect(await projectionProblem(iso.pool, 5, 4)).toBeUndefined();
    } finally {
      await relay.stop();
      await consumer.stop();
      await publisher.disconnect();
    }
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.filter((e) => /invalidate EoS/.test(e.log.message))).toEqual([]);
    const loud = logger.lines.filter((l) => l.level !== 'debug' && l.level !== 'info');
    expect(loud).toEqual([]);
    // What KafkaJS said at ERROR or WARN (a coordinator still loading, a rebalance) is at debug here.
    const absorbed = raw.filter((e) => e.level <= logLevel.WARN).length;
    expect(logger.lines.filter((l) => l.fields.component === 'kafkajs' && l.level === 'debug').length).toBeGreaterThanOrEqual(absorbed);
  }, 180_000);

  it('a crash KafkaJS restarts is info the first time since the last commit, an error when it repeats', async () => {
    const iso = await db.isolated({ max: 10 });
    await migrate(iso.pool);
    await createProjection(iso.pool);
    const { kafka } = loggedKafka('logging-crash');
    const logger = recordingLogger();
    const topic = `logging-crash-${randomUUID()}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
    const publisher = new KafkaPublisher({ kafka });
    const relay = new OutboxRelay({ pool: iso.pool, publisher });
    const consumer = projectionConsumer(kafka, iso.pool, topic, { logger });
    // KafkaJS's CRASH event reaches the runner through this method; its emitter is not public.
    const crash = (restart: boolean) =>
      (consumer as unknown as { onCrash(c: unknown, e: Error, restart: boolean): void }).onCrash(undefined, new Error('The coordinator is loading'), restart);
    const crashLevels = () => logger.lines.filter((l) => l.message.startsWith('consumer crashed')).map((l) => l.level);
    try {
      await consumer.start();
      relay.start();
      crash(true);
      crash(true);
      expect(crashLevels()).toEqual(['info', 'error']);
      await appendCounters(iso.pool, topic, { aggregates: 2, perAggregate: 2 });
      await waitFor('4 events applied', async () => (await appliedCount(iso.pool)) >= 4, 60_000);
      crash(true);
      expect(crashLevels()).toEqual(['info', 'error', 'info']);
    } finally {
      await relay.stop();
      await consumer.stop();
      await publisher.disconnect();
    }
  }, 120_000);

  it('the capture sees the EoS warning where it is true: an idempotent producer with limited retries', async () => {
    const { kafka, raw, logger } = loggedKafka('logging-control');
    const producer = kafka.producer({ idempotent: true, retry: { retries: 5 } });
    expect(raw.filter((e) => /invalidate EoS/.test(e.log.message))).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'warn' && /invalidate EoS/.test(l.message))).toHaveLength(1);
    await producer.disconnect();
  });

  it('relay failures are on stderr by default', async () => {
    const iso = await db.isolated({ max: 2 });
    // No migrations: every step fails.
    const { kafka } = loggedKafka('logging-relay');
    const publisher = new KafkaPublisher({ kafka });
    const stderr = vi.spyOn(process.stderr, 'write');
    const relay = new OutboxRelay({ pool: iso.pool, publisher, name: 'unmigrated', retry: { initialMs: 20, maxMs: 50 } });
    let lines: string[] = [];
    try {
      relay.start();
      await waitFor('two failed steps', async () => relay.metrics().failures >= 2, 10_000);
    } finally {
      await relay.stop();
      lines = stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('relay=unmigrated'));
      stderr.mockRestore();
      await publisher.disconnect();
    }
    expect(lines[0]).toMatch(/^eventsmith warn relay: step failed; retrying in \d+ ms relay=unmigrated err=".*eventsmith_outbox_cursors.*" failedSteps=1\n$/);
  });
});
