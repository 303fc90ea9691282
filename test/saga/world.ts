// The shop on the real broker and database, as services would run it: the outbox relay, one
// consumer group running the command handlers of every service, and the orchestrator (a
// consumer group whose handlers are the saga engine) with its timeout poller. Each part can be
// stopped and started again, or swapped, as the crash tests need.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  type HandlerContext,
  type OutgoingMessage,
  KafkaConsumerRunner,
  KafkaPublisher,
  OutboxRelay,
  type SagaDefinition,
  SagaEngine,
  type SagaEngineOptions,
  SagaTimeoutPoller,
  type CloudEvent,
  ensureTopics,
  sagaMessageOf,
} from '../../generator/runtime/index.js';
import type { Isolated, TestDatabase } from '../postgres/db.js';
import {
  type PlaceOrderContext,
  type SagaTimings,
  type ShopRepositories,
  type ShopTopics,
  commandHandlers,
  commandTopicsOf,
  decoding,
  eventTopicsOf,
  placeOrderSaga,
  shopRepositories,
  shopTopics,
} from './domain.js';
import { sagaSchema } from './helpers.js';

type Handler = (event: CloudEvent<string, unknown>, context: HandlerContext) => Promise<void>;

export function kafkaClient(brokers: readonly string[], clientId = 'eventsmith-saga-test'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

/**
 * Creates topics one at a time, each retried: ensureTopics (KafkaJS createTopics with
 * waitForLeaders) fails at once with UNKNOWN_TOPIC_OR_PARTITION when the broker's metadata lags
 * the creation, which this broker does after a burst of a few dozen new partitions.
 */
async function createTopics(kafka: Kafka, names: readonly string[]): Promise<void> {
  for (const topic of names) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}

export interface WorldOptions {
  readonly db: TestDatabase;
  readonly kafka: Kafka;
  readonly publisher: KafkaPublisher;
  /** Session timeout of consumers that get killed (short when the broker allows it). */
  readonly sessionTimeout: number;
}

export class World {
  readonly healed = new Set<string>();
  readonly errors: string[] = [];
  relay: OutboxRelay | undefined;
  services: KafkaConsumerRunner<Record<string, unknown>> | undefined;
  orchestrator: KafkaConsumerRunner<Record<string, unknown>> | undefined;
  poller: SagaTimeoutPoller | undefined;
  engine: SagaEngine<PlaceOrderContext>;

  private constructor(
    readonly options: WorldOptions,
    readonly iso: Isolated,
    readonly topics: ShopTopics,
    readonly repos: ShopRepositories,
  ) {
    this.engine = new SagaEngine(placeOrderSaga(topics));
  }

  static async create(options: WorldOptions): Promise<World> {
    const topics = shopTopics(`saga-${randomUUID().slice(0, 8)}`);
    const names = [...eventTopicsOf(topics), ...commandTopicsOf(topics)];
    // The consumers' dead-letter topics too: created here, the runners find them and create none.
    await createTopics(options.kafka, [...names, ...names.map((t) => `${t}.dlq`)]);
    const iso = await sagaSchema(options.db, 40);
    return new World(options, iso, topics, shopRepositories(iso.pool, topics));
  }

  get pool() {
    return this.iso.pool;
  }

  get sagaGroup(): string {
    return `orchestrator-${this.topics.orders}`;
  }

  private onError = (what: string) => (err: unknown) => void this.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);

  /** The relay on the shared publisher, or on `publisher` (a chaos one). */
  startRelay(publisher: KafkaPublisher = this.options.publisher): void {
    this.relay = new OutboxRelay({ pool: this.pool, publisher, batchSize: 500, idlePollMs: 200, listen: () => this.iso.connect(), onError: this.onError('relay') });
    this.relay.start();
  }

  async stopRelay(): Promise<void> {
    await this.relay?.stop();
    this.relay = undefined;
  }

  async startServices(): Promise<void> {
    const handlers = commandHandlers(this.repos, { healed: (id) => this.healed.has(id) });
    this.services = new KafkaConsumerRunner<Record<string, unknown>>({
      kafka: this.options.kafka,
      pool: this.pool,
      groupId: `services-${this.topics.orders}`,
      topics: commandTopicsOf(this.topics),
      handlers,
      decoding,
      onError: this.onError('services'),
    });
    await this.services.start();
  }

  /** The orchestrator consumer and the timeout poller, on a new engine (like a restarted process). */
  async startOrchestrator(timings: SagaTimings = {}, options: SagaEngineOptions = {}, withPoller = true): Promise<void> {
    const definition: SagaDefinition<PlaceOrderContext> = placeOrderSaga(this.topics, timings);
    this.engine = new SagaEngine(definition, options);
    const engine = this.engine;
    const handlers: Record<string, Handler> = {};
    for (const type of engine.eventTypes) handlers[type] = async (event, context) => void (await engine.handle(context.tx, sagaMessageOf(event)));
    this.orchestrator = new KafkaConsumerRunner<Record<string, unknown>>({
      kafka: this.options.kafka,
      pool: this.pool,
      groupId: this.sagaGroup,
      topics: eventTopicsOf(this.topics),
      handlers,
      decoding,
      onError: this.onError('orchestrator'),
    });
    await this.orchestrator.start();
    if (!withPoller) return;
    this.poller = new SagaTimeoutPoller({ pool: this.pool, engines: [engine], intervalMs: 200, onError: this.onError('poller') });
    this.poller.start();
  }

  async stopOrchestrator(): Promise<void> {
    await this.poller?.stop();
    await this.orchestrator?.stop();
    this.poller = undefined;
    this.orchestrator = undefined;
  }

  async stop(): Promise<void> {
    await this.stopOrchestrator();
    await this.services?.stop();
    await this.stopRelay();
  }
}

/**
 * A publisher that misbehaves the way a network and a crashing relay do: each batch goes out
 * shuffled (also within one key), some messages only later, and every message a second time
 * later still, interleaved with newer batches.
 */
export class ChaosPublisher extends KafkaPublisher {
  private readonly later = new Set<Promise<void>>();
  sent = 0;

  constructor(
    kafka: Kafka,
    private readonly random: () => number,
    private readonly onError: (err: unknown) => void,
  ) {
    super({ kafka });
  }

  private shuffled<X>(list: readonly X[]): X[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j] as X, out[i] as X];
    }
    return out;
  }

  override async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const now: OutgoingMessage[] = [];
    const held: OutgoingMessage[] = [];
    for (const m of this.shuffled(messages)) (this.random() < 0.3 ? held : now).push(m);
    const again = this.shuffled([...held, ...messages]);
    this.sent += messages.length * 2;
    await super.send(now);
    const delay = 20 + Math.floor(this.random() * 400);
    const task = new Promise<void>((resolve) => setTimeout(resolve, delay))
      .then(() => super.send(again))
      .catch(this.onError)
      .finally(() => this.later.delete(task));
    this.later.add(task);
  }

  /** Waits for the delayed sends. */
  async settle(): Promise<void> {
    while (this.later.size > 0) await Promise.all([...this.later]);
  }
}

export interface Child {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the child printed `line` (or rejects when it exits first). */
  waitFor(line: string): Promise<void>;
  kill(): void;
  output(): string;
}

/** Runs test/saga/fixtures/orchestrator.ts (through vite-node, on the TypeScript sources) in a process of its own. */
export function startOrchestratorChild(world: World, databaseUrl: string, brokers: readonly string[], env: Record<string, string>): Child {
  const root = path.join(import.meta.dirname, '..', '..');
  const script = path.join(import.meta.dirname, 'fixtures', 'orchestrator.ts');
  const proc = spawn(process.execPath, [path.join(root, 'node_modules', 'vite-node', 'vite-node.mjs'), script], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SCHEMA: world.iso.schema,
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PREFIX: world.topics.orders.replace(/\.orders$/, ''),
      GROUP: world.sagaGroup,
      SESSION_TIMEOUT: String(world.options.sessionTimeout),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let done = false;
  const waiters: Array<{ line: string; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (out.includes(`${w.line}\n`)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    check();
  });
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      done = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`child exited (${signal ?? code}) before printing ${w.line}:\n${out}`));
      resolve({ code, signal });
    }),
  );
  return {
    exited,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ line, resolve, reject });
        check();
        if (done && waiters.some((w) => w.line === line)) reject(new Error(`child exited before printing ${line}:\n${out}`));
      }),
    kill: () => void proc.kill('SIGKILL'),
    output: () => out,
  };
}
