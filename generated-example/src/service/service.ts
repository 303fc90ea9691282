// The order service: one process wiring the generated code to PostgreSQL and Kafka.
//
//   HTTP ──▶ orderRepository.append ──▶ eventsmith_events + eventsmith_outbox (one statement)
//   OutboxRelay (LISTEN/NOTIFY) ──▶ KafkaPublisher ──▶ topics orders / inventory / payments
//   consumer `order-summaries` ──▶ order_summaries (read model)
//   saga-wiring.ts ──▶ orders confirmed or cancelled
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import {
  type ConsumerMetrics,
  type OutboxLag,
  type RelayMetrics,
  KafkaPublisher,
  OutboxRelay,
  ensureTopics,
  kafkaLogCreator,
  migrate,
  stderrLogger,
} from 'eventsmith/runtime';
import { createEventConsumer, topicSpecs } from '../generated/orders/kafka.js';
import { inventoryRepository, orderRepository, paymentRepository } from '../generated/orders/repository.js';
import type { ServiceConfig } from './config.js';
import { type RouteContext, handleRequest } from './http.js';
import { type ReadModelStats, createReadModel, liveReadModelHandlers, readModelStats } from './read-model.js';
import { type NamedConsumer, type SagaReport, type SagaWiring, createSagaWiring, named } from './saga-wiring.js';
import type { ServiceTelemetry } from './telemetry.js';
import { type BatchObservableResult, metrics as otelMetrics } from '@opentelemetry/api';

export interface ConsumerReport extends ConsumerMetrics {
  readonly groupId: string;
  /** Messages of its topics not committed by the group yet. */
  readonly lag: number;
}

export interface ServiceMetrics {
  readonly uptimeSeconds: number;
  readonly relay: RelayMetrics & { readonly lag: OutboxLag };
  readonly consumers: Readonly<Record<string, ConsumerReport>>;
  readonly deadLetters: { readonly total: number; readonly byTopic: Readonly<Record<string, number>> };
  readonly eventStore: {
    readonly events: number;
    readonly outboxRows: number;
    readonly outboxUnpublished: number;
    /**
     * Effects applied twice: an event type appended more than once to one aggregate in one saga's
     * correlation (a step or command carried out twice). Must be 0.
     */
    readonly duplicateEffects: number;
  };
  readonly readModel: ReadModelStats;
  readonly sagas: SagaReport & { readonly mode: SagaWiring['mode'] };
}

export interface RunningService {
  readonly url: string;
  readonly config: ServiceConfig;
  metrics(): Promise<ServiceMetrics>;
  /** Stops taking requests, lets the consumers and the relay finish what is in flight, closes everything. */
  stop(): Promise<void>;
}

const KAFKA_LEVELS = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO } as const;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startService(
  config: ServiceConfig,
  telemetry: ServiceTelemetry | undefined,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<RunningService> {
  const started = Date.now();
  // The runtime's components and KafkaJS log through one logger: the runtime's stderr format, into `log`.
  const logger = stderrLogger({ write: (line) => log(line.trimEnd()) });
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', (err) => log(`pool: idle client error: ${err.message}`));
  const closers: Array<() => Promise<void>> = [() => pool.end()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => log(`shutdown: ${errorText(err)}`));
  };

  try {
    const migrated = await migrate(pool);
    await createReadModel(pool);
    log(`database ready (${JSON.stringify(migrated)})`);

    const kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.kafkaBrokers],
      logLevel: KAFKA_LEVELS[config.kafkaLogLevel],
      logCreator: kafkaLogCreator(logger),
    });
    const publisher = new KafkaPublisher({ kafka, logger });
    await publisher.connect();
    closers.push(() => publisher.disconnect());

    const admin: Admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());

    const relay = new OutboxRelay({
      pool,
      publisher,
      listen: async () => {
        const client = new pg.Client({ connectionString: config.databaseUrl });
        await client.connect();
        return client;
      },
      logger,
    });

    // The read model: the generated OrderSummary rules applied to Order events from Kafka, each once,
    // in the transaction that marks it processed.
    const summariesGroup = `${config.groupPrefix}.order-summaries`;
    const summaries = createEventConsumer(
      { kafka, pool, groupId: summariesGroup, publisher, logger },
      liveReadModelHandlers,
    );
    const saga = createSagaWiring({ pool, kafka, publisher, groupPrefix: config.groupPrefix, logger });
    // The domain's topics, the saga's, and the dead-letter topic of each (so that the consumers
    // find them and create none).
    const topics = [...topicSpecs(config.partitions).map((t) => t.topic), ...saga.topics];
    await createTopics(kafka, [...topics, ...topics.map((t) => `${t}.dlq`)], config.partitions);
    const consumers: NamedConsumer[] = [named('order-summaries', summariesGroup, summaries), ...saga.consumers];

    relay.start();
    closers.push(() => relay.stop());
    await Promise.all([summaries.start(), saga.start()]);
    // Registered after the relay's closer, so they stop first: in-flight handlers may still append.
    closers.push(async () => {
      await Promise.all([summaries.stop(), saga.stop()]);
    });
    // Ready when every group has joined: orders placed before would wait for the first rebalance.
    await waitForGroups(admin, consumers.map((c) => c.groupId), 30_000, log);

    const deadLetterTopics = topics.map((t) => `${t}.dlq`);
    const metrics = async (): Promise<ServiceMetrics> => {
      const [relayLag, lags, dlq, store, readModel, sagas] = await Promise.all([
        relay.lag(),
        Promise.all(consumers.map(async (c) => [c, (await c.lag()).total] as const)),
        deadLetterCounts(admin, deadLetterTopics),
        pool.query(`SELECT (SELECT count(*) FROM eventsmith_events)::int AS events,
                           (SELECT count(*) FROM eventsmith_outbox)::int AS outbox_rows,
                           (SELECT count(*) FROM eventsmith_outbox WHERE published_at IS NULL)::int AS unpublished,
                           (SELECT count(*) FROM (SELECT 1 FROM eventsmith_events WHERE metadata ? 'correlationid'
                                                   GROUP BY stream_type, stream_id, event_type, metadata->>'correlationid'
                                                  HAVING count(*) > 1) d)::int AS duplicate_effects`),
        readModelStats(pool),
        saga.report(),
      ]);
      const row = store.rows[0] as { events: number; outbox_rows: number; unpublished: number; duplicate_effects: number };
      const consumerReports: Record<string, ConsumerReport> = {};
      for (const [c, lag] of lags) consumerReports[c.name] = { groupId: c.groupId, ...c.metrics(), lag };
      return {
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        relay: { ...relay.metrics(), lag: relayLag },
        consumers: consumerReports,
        deadLetters: dlq,
        eventStore: { events: row.events, outboxRows: row.outbox_rows, outboxUnpublished: row.unpublished, duplicateEffects: row.duplicate_effects },
        readModel,
        sagas: { mode: saga.mode, ...sagas },
      };
    };

    // The service's own numbers beside the runtime's (relay, consumers, sagas): one collection
    // reads them all, for GET /metrics.
    const unobserve = observeServiceMetrics(pool, admin, deadLetterTopics);
    closers.push(async () => unobserve());

    const context: RouteContext = {
      telemetry,
      pool,
      orders: orderRepository(pool),
      inventory: inventoryRepository(pool),
      payments: paymentRepository(pool),
      saga,
      metrics,
      health: async () => ({
        database: await pool.query('SELECT 1').then(
          () => 'ok',
          (err: unknown) => errorText(err),
        ),
        relay: relay.metrics().running ? (relay.metrics().consecutiveFailures === 0 ? 'ok' : `failing: ${relay.metrics().lastError ?? ''}`) : 'stopped',
      }),
      log,
    };
    const server = http.createServer((req, res) => {
      handleRequest(context, req, res).catch((err: unknown) => {
        log(`http: ${req.method ?? ''} ${req.url ?? ''}: ${errorText(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal error' }));
      });
    });
    server.keepAliveTimeout = 5_000;
    server.listen(config.port, config.host);
    await once(server, 'listening');
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host}:${port}`;
    log(`listening on ${url} (sagas: ${saga.mode}; started in ${Date.now() - started} ms)`);
    return { url, config, metrics, stop: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Gauges of the read model, the event store and the dead-letter topics, read when /metrics is scraped. */
function observeServiceMetrics(pool: pg.Pool, admin: Admin, deadLetterTopics: readonly string[]): () => void {
  const meter = otelMetrics.getMeter('order-service');
  const orders = meter.createObservableGauge('order_summaries.orders', { description: 'Orders in the read model, by status', unit: '{order}' });
  const events = meter.createObservableGauge('eventsmith.events.stored', { description: 'Events in the event store', unit: '{event}' });
  const duplicates = meter.createObservableGauge('eventsmith.duplicate_effects', { description: 'Saga effects appended twice to one aggregate (must be 0)', unit: '{event}' });
  const dead = meter.createObservableGauge('eventsmith.dead_letter.messages', { description: 'Messages in each dead-letter topic', unit: '{message}' });
  const observables = [orders, events, duplicates, dead];
  const callback = async (result: BatchObservableResult): Promise<void> => {
    try {
      const [stats, store, dlq] = await Promise.all([
        readModelStats(pool),
        pool.query(`SELECT (SELECT count(*) FROM eventsmith_events)::int AS events,
                           (SELECT count(*) FROM (SELECT 1 FROM eventsmith_events WHERE metadata ? 'correlationid'
                                                   GROUP BY stream_type, stream_id, event_type, metadata->>'correlationid'
                                                  HAVING count(*) > 1) d)::int AS duplicate_effects`),
        deadLetterCounts(admin, deadLetterTopics),
      ]);
      for (const [status, n] of Object.entries(stats.byStatus)) result.observe(orders, n, { status });
      const row = store.rows[0] as { events: number; duplicate_effects: number };
      result.observe(events, row.events);
      result.observe(duplicates, row.duplicate_effects);
      for (const [topic, n] of Object.entries(dlq.byTopic)) result.observe(dead, n, { 'messaging.destination.name': topic });
    } catch {
      // Database or broker down: nothing to report this scrape (/health says why).
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}

/** Messages in each dead-letter topic (0 for one no consumer has created yet). */
async function deadLetterCounts(admin: Admin, topics: readonly string[]): Promise<{ total: number; byTopic: Record<string, number> }> {
  const existing = new Set(await admin.listTopics());
  const byTopic: Record<string, number> = {};
  let total = 0;
  for (const topic of topics) {
    let n = 0;
    if (existing.has(topic)) for (const p of await admin.fetchTopicOffsets(topic)) n += Number(BigInt(p.high) - BigInt(p.low));
    byTopic[topic] = n;
    total += n;
  }
  return { total, byTopic };
}

/** Waits until each consumer group is Stable with members (partitions assigned), or the timeout. */
async function waitForGroups(admin: Admin, groupIds: readonly string[], timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([...groupIds]);
    const waiting = groups.filter((g) => g.state !== 'Stable' || g.members.length === 0).map((g) => `${g.groupId} (${g.state})`);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      log(`consumer groups not stable after ${timeoutMs} ms: ${waiting.join(', ')}; serving anyway`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Creates the topics that are missing, one at a time, each retried: right after a burst of new
 * partitions this broker's metadata can lag, and createTopics with waitForLeaders then fails at
 * once with UNKNOWN_TOPIC_OR_PARTITION (the runtime's ensureTopics does not retry that yet).
 */
async function createTopics(kafka: Kafka, topics: readonly string[], numPartitions: number): Promise<void> {
  for (const topic of topics) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafka, [{ topic, numPartitions }]);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }
}
