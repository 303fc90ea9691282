/**
 * The consumer runner: a handler per event type, each event applied once in effect.
 *
 * Per partition batch (KafkaJS eachBatch, autoCommit off, offsets resolved by hand):
 * 1. Every message is decoded (consumer-decode.ts); undecodable or unknown ones go to
 *    `<topic>.dlq` at once, tombstones and events without a handler are passed over.
 * 2. Up to `maxBatchSize` messages run in ONE PostgreSQL transaction: a single statement claims
 *    all their ids in eventsmith_processed_events (INSERT … ON CONFLICT DO NOTHING RETURNING:
 *    the ids it returns are new, the others were applied before), then each new event's handler
 *    runs on that transaction, in offset order, then the work handlers deferred to the end of
 *    the transaction (TransactionScope: the saga engine decides and writes all its sagas there).
 *    The claim and the handlers' writes commit together, so an event is applied exactly when
 *    its id is recorded.
 * 3. Only after COMMIT are the offsets resolved and committed to Kafka. A crash in between
 *    redelivers the messages; their ids are found claimed and they are skipped.
 * Partition batches KafkaJS hands over together (the workers of `partitionsConsumedConcurrently`
 * start on one fetch's batches in the same tick) are coalesced (`coalescePartitions`): ONE
 * transaction for all of them as above (one claim, one TransactionScope, one COMMIT), then each
 * partition's offsets resolved unless it went stale (a seek), and one offset commit.
 * A handler or database failure in it rolls it back and each batch is processed on its own as
 * below (the failing event's first try counts).
 * A handler that throws rolls the transaction back; the events before it are applied again in
 * a new transaction, then the failing one alone is retried with exponential backoff and jitter
 * (heartbeating meanwhile); after `attempts` tries it goes to the dead-letter topic with headers
 * saying why, and the partition carries on. Database failures outside handlers are retried
 * without limit (they are not the message's fault), and so are the deadlocks and serialization
 * failures a handler meets. If KafkaJS gives the consumer up after a crash
 * (consumer.events.CRASH with restart false), the runner starts a new one.
 */
import type { Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DeliveredEvent } from '../cloudevents.js';
import { type Logger, componentLogger } from '../logger.js';
import { type ConnectionPool, type PooledConnection, type Queryable, isTransientConflict } from '../postgres/db.js';
import { type ConsumerLag, consumerLag, ensureTopics } from './admin.js';
import { type BackoffOptions, backoffDelay, errorMessage, sleep } from './backoff.js';
import { type DeadLetterReason, type DecodeOutcome, type EventDecoding, type EventMap, deadLetterMessage, decodeMessage, decodeMessageByRegistry } from './consumer-decode.js';
import type { SchemaIdResolver } from '../registry/resolver.js';
import { KafkaPublisher } from './producer.js';
import {
  type Span,
  type SpanContext,
  contextFromHeaders,
  contextOfSpan,
  contextOfSpanContext,
  failSpan,
  markSpanError,
  otel,
  spanContextOfEvent,
  startSpan,
  traceHeadersOfEvent,
  traceHeadersOfKafka,
  withContext,
} from '../telemetry/otel.js';
import { messagingAttributes } from '../telemetry/conventions.js';
import { type Attributes, type Counter, type Histogram, DURATION_BUCKETS, Instruments } from '../telemetry/metrics.js';

export interface HandlerContext {
  /** The transaction this event is applied in: write through it. */
  readonly tx: Queryable;
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** 1 on the first try. */
  readonly attempt: number;
  /** The version the event was written in (its data has been upcast to the latest); also `event.writerVersion`. */
  readonly writerVersion: number;
  /**
   * What the handlers of this transaction share (absent when a handler is called outside the
   * runner): a handler that batches its reads and writes over the transaction keeps them here.
   */
  readonly transaction?: TransactionScope;
}

/**
 * One consumer transaction, as its handlers see it. A handler may defer its work to the end of
 * the transaction (the saga engine reads every saga of the transaction in one statement and
 * writes their transitions in another, instead of two round trips per event): it keeps its
 * state with `state` and registers the work with `beforeCommit`.
 */
export interface TransactionScope {
  /** The state `owner` keeps for this transaction, made by `create` on first use. */
  state<T>(owner: object, create: () => T): T;
  /**
   * Runs `work` after the last handler, before COMMIT, in the transaction (in the order
   * registered). A throw fails the transaction like a handler's: a DeferredEventError names the
   * event it belongs to (what the runner then retries alone); any other error is charged to the
   * first new event.
   */
  beforeCommit(work: () => Promise<void>): void;
  /**
   * Runs `work` once the transaction has committed (never after a rollback), before its offsets
   * are committed, for work that may only see committed state: a snapshot of an aggregate the
   * transaction loaded. `work` must not wait or throw: it starts background work and returns (a
   * throw is logged and ignored; the events are applied). Absent on a scope whose maker does not
   * report commits; such work is then skipped.
   */
  afterCommit?(work: () => void): void;
}

/** A failure of deferred work (TransactionScope.beforeCommit), charged to one event of the transaction. */
export class DeferredEventError extends Error {
  constructor(
    readonly eventId: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'DeferredEventError';
  }
}

class Scope implements TransactionScope {
  private readonly states = new Map<object, unknown>();
  readonly deferred: Array<() => Promise<void>> = [];
  private readonly committedWork: Array<() => void> = [];

  state<T>(owner: object, create: () => T): T {
    if (this.states.has(owner)) return this.states.get(owner) as T;
    const made = create();
    this.states.set(owner, made);
    return made;
  }

  beforeCommit(work: () => Promise<void>): void {
    this.deferred.push(work);
  }

  afterCommit(work: () => void): void {
    this.committedWork.push(work);
  }

  /** Runs the after-commit work (call only after COMMIT succeeded); a throw goes to `onError`. */
  committed(onError: (err: unknown) => void): void {
    for (const work of this.committedWork.splice(0)) {
      try {
        work();
      } catch (err) {
        onError(err);
      }
    }
  }
}

/**
 * A scope for calling handlers outside the runner (tests, tools) as the runner does: call the
 * handlers with it in `transaction`, then `commit()` runs the deferred work; COMMIT yourself, then
 * call `committed()` (the after-commit work: background snapshots). After a ROLLBACK, drop the scope.
 */
export function transactionScope(): TransactionScope & { commit(): Promise<void>; committed(): void } {
  const scope = new Scope();
  return {
    state: (owner, create) => scope.state(owner, create),
    beforeCommit: (work) => scope.beforeCommit(work),
    afterCommit: (work) => scope.afterCommit(work),
    commit: async () => {
      for (const work of scope.deferred.splice(0)) await work();
    },
    committed: () =>
      scope.committed((err) => {
        throw err;
      }),
  };
}

/**
 * A handler of one event type. It receives the latest version `V` of the event's data, whatever
 * version it was written in: `event.dataversion` is `V`, `event.writerVersion` the written one.
 */
export type EventHandler<T extends string, D, V extends number = number> = (event: DeliveredEvent<T, D, V>, context: HandlerContext) => Promise<void> | void;

/** One optional handler per event type of `M`, receiving that event's latest version. */
export type EventHandlers<M extends EventMap> = { readonly [T in keyof M & string]?: EventHandler<T, M[T]> };

type AnyHandler = (event: DeliveredEvent, context: HandlerContext) => Promise<void> | void;

export interface KafkaConsumerOptions<M extends EventMap> {
  readonly kafka: Kafka;
  readonly pool: ConnectionPool;
  readonly groupId: string;
  /** Topics to subscribe to; they must exist (see ensureTopics). */
  readonly topics: readonly string[];
  readonly handlers: EventHandlers<M>;
  readonly decoding: EventDecoding;
  readonly wireFormat?: 'plain' | 'confluent';
  /**
   * Decode Avro values by the schema registry id in their Confluent framing: the writer schema is
   * fetched by id and resolved to the reader's version (see decodeMessageByRegistry). While the
   * registry cannot be reached the partition waits and tries again; nothing is dead-lettered for it.
   */
  readonly registry?: { readonly resolver: SchemaIdResolver };
  /** Tries of a failing handler before its message is dead-lettered (default 5). */
  readonly attempts?: number;
  /** Backoff between tries (default 200 ms doubling to 5 s, half of it random). */
  readonly retry?: BackoffOptions;
  /** Messages per transaction (default 500). */
  readonly maxBatchSize?: number;
  /** Partitions processed at once (default 4): a retrying partition does not hold the others up. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Apply the partition batches KafkaJS hands over together (up to `partitionsConsumedConcurrently`
   * of one fetch, `maxBatchSize` messages in all) in ONE transaction and commit their offsets in
   * one request (default true). A handler or database failure sends them back to a transaction
   * per partition batch, where the failing event alone is retried.
   */
  readonly coalescePartitions?: boolean;
  /** Read a new group's partitions from the start (default true). */
  readonly fromBeginning?: boolean;
  /** Dead-letter topic of a topic (default `<topic>.dlq`). */
  readonly deadLetterTopic?: (topic: string) => string;
  /** Create the dead-letter topics at start, with their source's partition count (default true). */
  readonly createDeadLetterTopics?: boolean;
  /** Sends dead letters (default: a publisher of this runner's own). */
  readonly publisher?: KafkaPublisher;
  /** Further KafkaJS consumer settings. */
  readonly consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** Runs after a transaction committed, before its offsets are committed (observability, crash tests). */
  readonly afterCommit?: (info: { readonly topic: string; readonly partition: number; readonly lastOffset: string; readonly applied: number }) => Promise<void> | void;
  /** Failures (handler errors, database errors, crashes) for metrics and alerts; the logger reports them too. */
  readonly onError?: (err: unknown, what: string) => void;
  /**
   * Retries, dead letters, database failures and crashes (default: concise lines on stderr). Also
   * given to the runner's own dead-letter publisher.
   */
  readonly logger?: Logger;
}

export interface ConsumerMetrics {
  readonly received: number;
  readonly applied: number;
  /** Redelivered events found already applied. */
  readonly duplicates: number;
  /** Tombstones and events without a handler. */
  readonly ignored: number;
  readonly deadLettered: number;
  readonly handlerFailures: number;
  readonly databaseFailures: number;
  readonly transactions: number;
  /** OffsetCommit requests sent (one per transaction, coalesced or not, when offsets moved). */
  readonly offsetCommits: number;
  /** consumer.events.CRASH seen, and consumers started anew after KafkaJS gave one up. */
  readonly crashes: number;
  readonly restarts: number;
}

interface Item {
  readonly message: KafkaMessage;
  readonly outcome: DecodeOutcome;
  deadLettered: boolean;
  /** The error of this item's first (failed) attempt, inside a larger transaction. */
  firstFailure?: { readonly error: unknown };
}

/** One transaction's process span, from {@link KafkaConsumerRunner.startProcessing}. */
interface Processing {
  readonly span: Span | undefined;
  /** performance.now() at the start: the process duration metric. */
  readonly started: number;
  /** New events processed: none (all redelivered) is no process operation, and not timed. */
  readonly events: number;
  ended: boolean;
  /** The context the handler of the k-th new event runs in (undefined: the active one). */
  readonly handlerContext: (k: number) => ReturnType<typeof contextOfSpan>;
}

type ChunkResult =
  | { readonly ok: true; readonly applied: number }
  | { readonly ok: false; readonly kind: 'handler'; readonly failedAt: number; readonly error: unknown }
  | { readonly ok: false; readonly kind: 'database'; readonly error: unknown };

/** One partition batch's share of a transaction. */
interface Part {
  readonly p: EachBatchPayload;
  readonly chunk: readonly Item[];
}

/** A transaction over parts: applied per part, or where it failed (`part`, index `failedAt` in its chunk). */
type PartsResult =
  | { readonly ok: true; readonly applied: readonly number[] }
  | { readonly ok: false; readonly kind: 'handler'; readonly part: number; readonly failedAt: number; readonly error: unknown }
  | { readonly ok: false; readonly kind: 'database'; readonly error: unknown };

/**
 * What became of a partition batch that joined a coalesced transaction: applied and its offsets
 * committed (`done`), not to be processed further (`stopped`: the runner stopped or the
 * partition is no longer this consumer's), or to be processed on its own, from its first message
 * (`alone`) or with the handler failure the coalesced transaction met in it (`failed`).
 */
type Coalesced =
  | { readonly kind: 'done' | 'stopped' | 'alone' }
  | { readonly kind: 'failed'; readonly failedAt: number; readonly error: unknown };

interface Joined extends Part {
  readonly settle: (outcome: Coalesced) => void;
  readonly fail: (error: unknown) => void;
}

const CLAIM_SQL = `INSERT INTO eventsmith_processed_events (consumer_group, event_id)
SELECT $1, u.id FROM (SELECT DISTINCT id FROM unnest($2::text[]) AS t(id)) u ORDER BY u.id
ON CONFLICT (consumer_group, event_id) DO NOTHING
RETURNING event_id`;

export class KafkaConsumerRunner<M extends EventMap> {
  private readonly abort = new AbortController();
  private readonly handlers: Readonly<Record<string, AnyHandler | undefined>>;
  private readonly maxBatchSize: number;
  private readonly attempts: number;
  private readonly retry: BackoffOptions;
  private consumer: Consumer | undefined;
  private publisher: KafkaPublisher | undefined;
  private admin: Admin | undefined;
  private relaunching: Promise<void> | undefined;
  private crashesSinceCommit = 0;
  private counts = { received: 0, applied: 0, duplicates: 0, ignored: 0, deadLettered: 0, handlerFailures: 0, databaseFailures: 0, transactions: 0, offsetCommits: 0, crashes: 0, restarts: 0 };
  private readonly log: Logger;
  private readonly instruments = new Instruments();
  private readonly meters: { consumed: Counter; processed: Counter; retried: Counter; deadLettered: Counter; duration: Histogram };
  /** Per `topic\0partition`: the high watermark of its last batch and the next offset to commit (lag gauge). */
  private readonly positions = new Map<string, { readonly topic: string; readonly partition: number; highWatermark: bigint; next: bigint }>();
  private unobserve: (() => void) | undefined;
  private readonly processAttributes = new Map<string, Attributes>();
  private readonly coalesce: boolean;
  /** The coalesced transaction being assembled (closed at the next setImmediate). */
  private forming: { readonly parts: Joined[]; size: number } | undefined;

  constructor(private readonly options: KafkaConsumerOptions<M>) {
    // Checked here, not per message: without it every message would be dead-lettered (plain JS callers).
    if (typeof options.decoding.latestVersion !== 'function') throw new TypeError('eventsmith: decoding.latestVersion(type) is required (the version upcast data is delivered as)');
    this.log = componentLogger(options.logger, 'consumer', { groupId: options.groupId });
    const i = this.instruments;
    this.meters = {
      consumed: i.counter('messaging.client.consumed.messages', 'Messages the consumer received'),
      processed: i.counter('eventsmith.consumer.processed', 'Events applied (their transaction committed)'),
      retried: i.counter('eventsmith.consumer.retries', 'Handler tries after a failed one'),
      deadLettered: i.counter('eventsmith.consumer.dead_lettered', 'Messages sent to the dead-letter topic'),
      duration: i.histogram('messaging.process.duration', 'Duration of one handler call', 's', DURATION_BUCKETS),
    };
    // Each handler takes its own event type; the runner calls it only with events of that type.
    this.handlers = options.handlers as unknown as Readonly<Record<string, AnyHandler | undefined>>;
    this.maxBatchSize = options.maxBatchSize ?? 500;
    this.coalesce = options.coalescePartitions ?? true;
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.retry = { initialMs: 200, maxMs: 5_000, ...options.retry };
  }

  async start(): Promise<void> {
    const { kafka, topics } = this.options;
    if (this.options.createDeadLetterTopics !== false) {
      const meta = await (await this.adminClient()).fetchTopicMetadata({ topics: [...topics] });
      await ensureTopics(kafka, meta.topics.map((t) => ({ topic: this.deadLetterTopic(t.name), numPartitions: t.partitions.length })));
    }
    this.publisher = this.options.publisher ?? new KafkaPublisher({ kafka, ...(this.options.logger ? { logger: this.options.logger } : {}) });
    this.unobserve = this.instruments.gauges({ 'eventsmith.consumer.lag': { description: 'Messages of a partition not processed yet (as of its last batch)', unit: '{message}' } }, (observe) => {
      for (const p of this.positions.values()) {
        const lag = p.highWatermark - p.next;
        observe('eventsmith.consumer.lag', Number(lag > 0n ? lag : 0n), this.where0(p.topic, p.partition));
      }
    });
    await this.launch();
    this.log.debug({ topics: this.options.topics }, 'started');
  }

  /** Lets the transaction in flight finish and its offsets commit, then leaves the group. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.unobserve?.();
    this.unobserve = undefined;
    await this.relaunching;
    await this.consumer?.disconnect().catch(() => undefined);
    if (this.publisher !== this.options.publisher) await this.publisher?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  metrics(): ConsumerMetrics {
    return { ...this.counts };
  }

  /** The group's lag: messages of its topics not committed yet. */
  async lag(): Promise<ConsumerLag> {
    return consumerLag(await this.adminClient(), this.options.groupId, this.options.topics);
  }

  private deadLetterTopic(topic: string): string {
    return this.options.deadLetterTopic?.(topic) ?? `${topic}.dlq`;
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.options.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async launch(): Promise<void> {
    const { kafka, groupId } = this.options;
    const consumer = kafka.consumer({ maxWaitTimeInMs: 100, allowAutoTopicCreation: false, ...this.options.consumer, groupId });
    consumer.on(consumer.events.CRASH, (e) => this.onCrash(consumer, e.payload.error, e.payload.restart));
    consumer.on(consumer.events.COMMIT_OFFSETS, () => void this.counts.offsetCommits++);
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private onCrash(consumer: Consumer, error: Error, restart: boolean): void {
    this.counts.crashes++;
    this.crashesSinceCommit++;
    const message = restart ? 'consumer crashed; KafkaJS restarts it' : 'consumer crashed; starting a new one';
    this.options.onError?.(error, message);
    if (!this.abort.signal.aborted) {
      // KafkaJS restarts a consumer only after a retriable error (or its retries running out): a
      // fresh broker's group coordinator still loading ends the join's retries and the restart
      // then succeeds. That first restart is what a retry absorbs, so it is not an alert; a second
      // crash before any transaction commits is.
      const absorbed = restart && this.crashesSinceCommit === 1;
      if (absorbed) this.log.info({ err: error }, message);
      else this.log.error({ err: error, crashesSinceCommit: this.crashesSinceCommit }, message);
    }
    if (restart || this.abort.signal.aborted || consumer !== this.consumer || this.relaunching) return;
    this.relaunching = (async () => {
      for (let failures = 1; !this.abort.signal.aborted; failures++) {
        await sleep(backoffDelay(failures, this.retry), this.abort.signal);
        if (this.abort.signal.aborted) return;
        try {
          await this.consumer?.disconnect().catch(() => undefined);
          await this.launch();
          this.counts.restarts++;
          this.log.info({ restarts: this.counts.restarts }, 'consumer started again after a crash');
          return;
        } catch (err) {
          this.options.onError?.(err, 'starting a new consumer failed');
          this.log.warn({ err }, 'starting a new consumer failed; trying again');
        }
      }
    })().finally(() => {
      this.relaunching = undefined;
    });
  }

  private active(p: EachBatchPayload): boolean {
    return !this.abort.signal.aborted && p.isRunning() && !p.isStale();
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { decoding, wireFormat, registry } = this.options;
    const handles = (type: string): boolean => Object.hasOwn(this.handlers, type) && this.handlers[type] !== undefined;
    let items: Item[];
    if (registry === undefined) {
      items = p.batch.messages.map((message) => ({
        message,
        outcome: decodeMessage(message, decoding, { handles, ...(wireFormat ? { wireFormat } : {}) }),
        deadLettered: false,
      }));
    } else {
      const decoded = await this.decodeByRegistry(p, registry.resolver, handles);
      if (decoded === undefined) return;
      items = decoded;
    }
    this.counts.received += items.length;
    this.meters.consumed.add(items.length, this.where0(p.batch.topic, p.batch.partition));
    let failure: { readonly failedAt: number; readonly error: unknown } | undefined;
    if (this.coalesce && items.length <= this.maxBatchSize) {
      const dead = items.filter((it) => it.outcome.kind === 'dead');
      if (dead.length > 0 && !(await this.deadLetter(p, dead, 0))) return;
      if (!this.active(p)) return;
      const outcome = await this.join(p, items);
      if (outcome.kind === 'done' || outcome.kind === 'stopped') return;
      if (outcome.kind === 'failed') failure = outcome;
    }
    await this.processAlone(p, items, failure);
  }

  /**
   * A partition batch in transactions of its own, up to `maxBatchSize` messages each; `failure`:
   * the handler failure a coalesced transaction met in it (the events before it are applied
   * first, then it alone is retried).
   */
  private async processAlone(p: EachBatchPayload, items: readonly Item[], failure?: { readonly failedAt: number; readonly error: unknown }): Promise<void> {
    let i = 0;
    let cap = this.maxBatchSize;
    if (failure !== undefined) {
      (items[failure.failedAt] as Item).firstFailure = { error: failure.error };
      cap = Math.max(1, failure.failedAt);
    }
    let databaseFailures = 0;
    while (i < items.length) {
      if (!this.active(p)) return;
      const head = items[i] as Item;
      if (head.firstFailure) {
        // Failed inside a larger transaction; the events before it are applied: retry it alone.
        const applied = await this.retryThenDeadLetter(p, head, head.firstFailure.error);
        if (applied === undefined) return;
        await this.settle(p, [head], applied);
        i += 1;
        cap = this.maxBatchSize;
        continue;
      }
      const chunk = items.slice(i, i + cap);
      const dead = chunk.filter((it) => it.outcome.kind === 'dead' && !it.deadLettered);
      if (dead.length > 0 && !(await this.deadLetter(p, dead, 0))) return;
      const result = await this.applyChunk(p, chunk, 1);
      if (result.ok) {
        databaseFailures = 0;
        await this.settle(p, chunk, result.applied);
        i += chunk.length;
        cap = this.maxBatchSize;
      } else if (result.kind === 'database') {
        this.counts.databaseFailures++;
        this.options.onError?.(result.error, 'database failure; retrying');
        const delay = backoffDelay(++databaseFailures, this.retry);
        this.log.warn({ err: result.error, topic: p.batch.topic, partition: p.batch.partition }, `database failure; retrying in ${delay} ms`);
        if (!(await this.pause(p, delay))) return;
      } else {
        // Apply the events before the failing one first (none if it is the first).
        (chunk[result.failedAt] as Item).firstFailure = { error: result.error };
        cap = Math.max(1, result.failedAt);
      }
    }
  }

  /**
   * Joins the transaction being assembled from the partition batches KafkaJS hands over together
   * (its workers start on one fetch's batches in the same tick; the group closes at setImmediate,
   * so no timer adds latency). Batches that arrive while that transaction runs form the next one.
   */
  private join(p: EachBatchPayload, items: readonly Item[]): Promise<Coalesced> {
    return new Promise<Coalesced>((settle, fail) => {
      const joined: Joined = { p, chunk: items, settle, fail };
      const forming = this.forming;
      if (forming !== undefined && forming.size + items.length <= this.maxBatchSize) {
        forming.parts.push(joined);
        forming.size += items.length;
        return;
      }
      const group = { parts: [joined], size: items.length };
      this.forming = group;
      setImmediate(() => {
        if (this.forming === group) this.forming = undefined;
        void this.runCoalesced(group.parts);
      });
    });
  }

  /**
   * One transaction for the joined partition batches, then their offsets in one commit. On a
   * handler or database failure nothing is applied, and each batch goes back to being processed
   * on its own (today's retry, backoff and dead-letter logic, per partition).
   */
  private async runCoalesced(group: readonly Joined[]): Promise<void> {
    const parts = group.filter((joined) => {
      if (this.active(joined.p)) return true;
      joined.settle({ kind: 'stopped' });
      return false;
    });
    if (parts.length === 0) return;
    let result: PartsResult;
    try {
      result = await this.applyParts(parts, 1);
    } catch (err) {
      for (const joined of parts) joined.fail(err);
      return;
    }
    if (!result.ok) {
      if (result.kind === 'database') {
        this.counts.databaseFailures++;
        this.options.onError?.(result.error, 'database failure; retrying');
        this.log.warn({ err: result.error }, 'database failure in a coalesced transaction; retrying per partition');
      }
      parts.forEach((joined, part) =>
        joined.settle(result.ok === false && result.kind === 'handler' && result.part === part ? { kind: 'failed', failedAt: result.failedAt, error: result.error } : { kind: 'alone' }),
      );
      return;
    }
    const applied = result.applied;
    try {
      // Committed to PostgreSQL: each partition's offsets are resolved if it is still this
      // consumer's (one lost meanwhile is redelivered to its new owner, who finds the ids claimed).
      const kept: Joined[] = [];
      for (let part = 0; part < parts.length; part++) {
        const joined = parts[part] as Joined;
        if (await this.record(joined.p, joined.chunk, applied[part] ?? 0)) kept.push(joined);
      }
      const first = kept[0];
      if (first !== undefined) {
        await first.p.commitOffsetsIfNecessary(first.p.uncommittedOffsets());
        await first.p.heartbeat();
      }
      for (const joined of parts) joined.settle({ kind: kept.includes(joined) ? 'done' : 'stopped' });
    } catch (err) {
      for (const joined of parts) joined.fail(err);
    }
  }

  /** Decodes a batch by registry ids; a registry that cannot be reached is waited for. Undefined if stopped. */
  private async decodeByRegistry(p: EachBatchPayload, resolver: SchemaIdResolver, handles: (type: string) => boolean): Promise<Item[] | undefined> {
    for (let failures = 1; ; failures++) {
      try {
        const outcomes = await Promise.all(p.batch.messages.map((message) => decodeMessageByRegistry(message, this.options.decoding, { handles, resolver })));
        return p.batch.messages.map((message, i) => ({ message, outcome: outcomes[i] as DecodeOutcome, deadLettered: false }));
      } catch (err) {
        this.options.onError?.(err, 'schema registry unavailable; retrying');
        const delay = backoffDelay(failures, this.retry);
        this.log.warn({ err, topic: p.batch.topic, partition: p.batch.partition }, `schema registry unavailable; retrying in ${delay} ms`);
        if (!(await this.pause(p, delay))) return undefined;
      }
    }
  }

  /** Counts, runs the afterCommit hook, then resolves and commits the offsets through the chunk. */
  private async settle(p: EachBatchPayload, chunk: readonly Item[], applied: number): Promise<void> {
    await this.record(p, chunk, applied);
    // With explicit offsets: without them KafkaJS commits only when autoCommit's thresholds say so.
    await p.commitOffsetsIfNecessary(p.uncommittedOffsets());
    await p.heartbeat();
  }

  /**
   * After COMMIT: counts, runs the afterCommit hook, then resolves the offset through the chunk
   * unless the partition went stale meanwhile (a seek; a coalesced transaction's other partitions
   * may have taken that long). False if it was not resolved. A partition lost in a rebalance needs
   * no check here: the coordinator refuses the commit of an old generation, the batch's eachBatch
   * fails, and the new owner, redelivered the messages, finds their ids claimed.
   */
  private async record(p: EachBatchPayload, chunk: readonly Item[], applied: number): Promise<boolean> {
    const last = chunk[chunk.length - 1] as Item;
    this.counts.ignored += chunk.filter((it) => it.outcome.kind === 'ignore').length;
    if (applied > 0) await this.options.afterCommit?.({ topic: p.batch.topic, partition: p.batch.partition, lastOffset: last.message.offset, applied });
    if (applied > 0) this.meters.processed.add(applied, this.where0(p.batch.topic, p.batch.partition));
    if (p.isStale()) return false;
    this.track(p, last.message.offset);
    p.resolveOffset(last.message.offset);
    return true;
  }

  /** Attributes of this group's metrics for one partition. */
  private where0(topic: string, partition: number): Record<string, string> {
    return { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.destination.partition.id': String(partition), 'messaging.consumer.group.name': this.options.groupId };
  }

  /** Remembers how far a partition is, for the lag gauge. */
  private track(p: EachBatchPayload, offset: string): void {
    const key = `${p.batch.topic}\0${p.batch.partition}`;
    let position = this.positions.get(key);
    if (position === undefined) this.positions.set(key, (position = { topic: p.batch.topic, partition: p.batch.partition, highWatermark: 0n, next: 0n }));
    position.highWatermark = BigInt(p.batch.highWatermark);
    position.next = BigInt(offset) + 1n;
  }

  /** Tries 2..attempts of one message; then the dead-letter topic. Applied count, or undefined if stopped. */
  private async retryThenDeadLetter(p: EachBatchPayload, item: Item, firstError: unknown): Promise<number | undefined> {
    let error = firstError;
    let attempt = 1;
    let databaseFailures = 0;
    this.counts.handlerFailures++;
    this.options.onError?.(error, `handler failed on ${p.batch.topic}/${p.batch.partition}@${item.message.offset} (attempt 1)`);
    while (attempt < this.attempts) {
      const delay = databaseFailures > 0 ? backoffDelay(databaseFailures, this.retry) : backoffDelay(attempt, this.retry);
      if (databaseFailures === 0) {
        this.log.warn({ ...this.where(p, item), attempt, attempts: this.attempts, err: error }, `handler failed; retrying in ${delay} ms`);
      }
      if (!(await this.pause(p, delay))) return undefined;
      if (databaseFailures === 0) this.meters.retried.add(1, this.where0(p.batch.topic, p.batch.partition));
      const result = await this.applyChunk(p, [item], attempt + 1);
      if (result.ok) {
        this.log.info({ ...this.where(p, item), attempt: attempt + 1 }, 'handler succeeded on a retry');
        return result.applied;
      }
      if (result.kind === 'database') {
        databaseFailures++;
        this.counts.databaseFailures++;
        this.options.onError?.(result.error, 'database failure; retrying');
        this.log.warn({ ...this.where(p, item), err: result.error }, `database failure; retrying in ${backoffDelay(databaseFailures, this.retry)} ms`);
        continue;
      }
      databaseFailures = 0;
      attempt++;
      error = result.error;
      this.counts.handlerFailures++;
      this.options.onError?.(error, `handler failed on ${p.batch.topic}/${p.batch.partition}@${item.message.offset} (attempt ${attempt})`);
    }
    return (await this.deadLetter(p, [item], attempt, 'handler-failed', errorMessage(error))) ? 0 : undefined;
  }

  /** Sends items to the dead-letter topic, retrying until the broker takes them; false if stopped first. */
  private async deadLetter(p: EachBatchPayload, items: readonly Item[], attempts: number, reason?: DeadLetterReason, error?: string): Promise<boolean> {
    const { topic, partition } = p.batch;
    const messages = items.map((it) =>
      deadLetterMessage(it.message, {
        deadLetterTopic: this.deadLetterTopic(topic),
        topic,
        partition,
        groupId: this.options.groupId,
        reason: reason ?? (it.outcome.kind === 'dead' ? it.outcome.reason : 'handler-failed'),
        error: error ?? (it.outcome.kind === 'dead' ? it.outcome.error : ''),
        attempts,
      }),
    );
    // One span per dead letter, child of the message's trace context: it records why (an event
    // and status ERROR), so the trace shows where the message ended.
    const spans = items.map((it) => {
      const why = reason ?? (it.outcome.kind === 'dead' ? it.outcome.reason : 'handler-failed');
      const event = it.outcome.kind === 'event' ? it.outcome.event : undefined;
      const span = startSpan(`send ${this.deadLetterTopic(topic)}`, {
        kind: 'producer',
        parent: contextFromHeaders(event ? traceHeadersOfEvent(event) : traceHeadersOfKafka(it.message.headers)),
        attributes: {
          ...messagingAttributes('send', this.deadLetterTopic(topic), {
            partition,
            offset: it.message.offset,
            group: this.options.groupId,
            ...(event ? { messageId: event.id, eventType: event.type, key: event.partitionkey } : {}),
          }),
          'eventsmith.dead_letter.source': topic,
        },
      });
      if (span?.isRecording()) {
        const text = error ?? (it.outcome.kind === 'dead' ? it.outcome.error : '');
        span.addEvent('eventsmith.dead_lettered', { 'eventsmith.dead_letter.reason': why, 'eventsmith.dead_letter.attempts': attempts, 'eventsmith.dead_letter.error': text });
        span.setAttribute('error.type', why);
        markSpanError(span, `${why}: ${text}`);
      }
      return span;
    });
    for (let failures = 1; ; failures++) {
      try {
        await (this.publisher as KafkaPublisher).send(messages);
        for (const span of spans) span?.end();
        for (const it of items) {
          it.deadLettered = true;
          this.meters.deadLettered.add(1, { ...this.where0(topic, partition), 'error.type': reason ?? (it.outcome.kind === 'dead' ? it.outcome.reason : 'handler-failed') });
        }
        this.counts.deadLettered += items.length;
        for (const it of items) {
          const why = reason ?? (it.outcome.kind === 'dead' ? it.outcome.reason : 'handler-failed');
          this.log.error(
            { ...this.where(p, it), deadLetterTopic: this.deadLetterTopic(topic), reason: why, ...(why === 'handler-failed' ? { attempts } : {}), error: error ?? (it.outcome.kind === 'dead' ? it.outcome.error : '') },
            why === 'handler-failed' ? `handler failed ${attempts} time${attempts === 1 ? '' : 's'}; event sent to the dead-letter topic` : `${why} message sent to the dead-letter topic`,
          );
        }
        return true;
      } catch (err) {
        this.options.onError?.(err, 'sending to the dead-letter topic failed; retrying');
        const delay = backoffDelay(failures, this.retry);
        this.log.warn({ err, deadLetterTopic: this.deadLetterTopic(topic) }, `sending to the dead-letter topic failed; retrying in ${delay} ms`);
        if (!(await this.pause(p, delay))) {
          for (const span of spans) failSpan(span, err);
          return false;
        }
      }
    }
  }

  /** Where a message is, and which event it is when it could be decoded: the fields of its log lines. */
  private where(p: EachBatchPayload, item: Item): Record<string, unknown> {
    const event = item.outcome.kind === 'event' ? item.outcome.event : undefined;
    return { topic: p.batch.topic, partition: p.batch.partition, offset: item.message.offset, ...(event ? { type: event.type, id: event.id, subject: event.subject } : {}) };
  }

  /** Sleeps `ms`, heartbeating at least every second; false if the runner or partition stopped meanwhile. */
  private async pause(p: EachBatchPayload, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      if (!this.active(p)) return false;
      await sleep(Math.min(1000, left), this.abort.signal);
      await p.heartbeat();
    }
    return this.active(p);
  }

  /**
   * The `process` span of one transaction's new events, and the context each handler runs in.
   * The span links to each event's creation context (the messaging conventions' rule for a
   * process span, whatever the number of messages it accounts for). One event: the span is also
   * its child and carries the event's attributes. More: ONE span for the batch, as the conventions
   * allow; a recorded span per event cost the SDK more than applying the event (BENCHMARKS.md). Either way a handler runs in its own event's creation
   * context (in the batch span when the event carries none), so that what it appends or sends
   * continues the trace the event came from.
   */
  private startProcessing(topic: string, partition: number, fresh: ReadonlyArray<{ readonly item: Item; readonly event: DeliveredEvent }>, attempt: number): Processing {
    const started = performance.now();
    if (otel === undefined || fresh.length === 0) return { span: undefined, started, events: fresh.length, ended: false, handlerContext: () => undefined };
    const groupId = this.options.groupId;
    if (fresh.length === 1) {
      const { item, event } = fresh[0] as (typeof fresh)[number];
      const parent = spanContextOfEvent(event);
      const attributes = messagingAttributes('process', topic, { key: event.partitionkey, partition, offset: item.message.offset, group: groupId, messageId: event.id, eventType: event.type });
      if (attempt > 1) attributes['eventsmith.attempt'] = attempt;
      const span = startSpan(`process ${topic}`, { kind: 'consumer', parent: contextOfSpanContext(parent), attributes, links: [parent] });
      // A span that neither records nor carries a parent to pass on changes nothing for the handler.
      const context = parent !== undefined || span?.isRecording() ? contextOfSpan(span) : undefined;
      return { span, started, events: 1, ended: false, handlerContext: () => context };
    }
    // Events appended together carry one creation context: consecutive equal traceparents are
    // parsed once, and their handlers share one context object.
    const parents: Array<SpanContext | undefined> = [];
    let lastTraceparent: unknown;
    let lastTracestate: unknown;
    for (const { event } of fresh) {
      const { traceparent, tracestate } = event as { readonly traceparent?: unknown; readonly tracestate?: unknown };
      const reuse = parents.length > 0 && traceparent !== undefined && traceparent === lastTraceparent && tracestate === lastTracestate;
      parents.push(reuse ? parents[parents.length - 1] : spanContextOfEvent(event));
      lastTraceparent = traceparent;
      lastTracestate = tracestate;
    }
    const span = startSpan(`process ${topic}`, {
      kind: 'consumer',
      attributes: messagingAttributes('process', topic, { partition, group: groupId, count: fresh.length }),
      links: parents,
    });
    const own = span?.isRecording() ? contextOfSpan(span) : undefined;
    let lastParent: SpanContext | undefined;
    let lastContext: ReturnType<typeof contextOfSpan>;
    return {
      span,
      started,
      events: fresh.length,
      ended: false,
      handlerContext: (k) => {
        const parent = parents[k];
        if (parent === undefined) return own;
        if (parent !== lastParent) {
          lastParent = parent;
          lastContext = contextOfSpanContext(parent);
        }
        return lastContext ?? own;
      },
    };
  }

  /** Ends a process span (failed when `errorType` is given) and records its duration. */
  private endProcessing(processing: Processing, topic: string, errorType?: string, error?: unknown): void {
    processing.ended = true;
    if (processing.events === 0) return;
    const seconds = (performance.now() - processing.started) / 1000;
    if (errorType === undefined) {
      this.meters.duration.record(seconds, this.processWhere(topic));
      processing.span?.end();
    } else {
      this.meters.duration.record(seconds, { ...this.processWhere(topic), 'error.type': errorType });
      failSpan(processing.span, error);
    }
  }

  /** Attributes of the process duration of a topic, made once (the SDK reads them on every record). */
  private processWhere(topic: string): Attributes {
    let where = this.processAttributes.get(topic);
    if (where === undefined) {
      where = { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': this.options.groupId, 'messaging.operation.name': 'process' };
      this.processAttributes.set(topic, where);
    }
    return where;
  }

  /** One transaction over one partition's chunk. */
  private async applyChunk(p: EachBatchPayload, chunk: readonly Item[], attempt: number): Promise<ChunkResult> {
    const result = await this.applyParts([{ p, chunk }], attempt);
    if (result.ok) return { ok: true, applied: result.applied[0] ?? 0 };
    return result.kind === 'handler' ? { ok: false, kind: 'handler', failedAt: result.failedAt, error: result.error } : result;
  }

  /**
   * One transaction over one or more partitions' chunks (several when partition batches were
   * coalesced): claim all their event ids in one statement, run the handlers of the new ones
   * (part by part, each in offset order), the deferred work, commit.
   */
  private async applyParts(parts: readonly Part[], attempt: number): Promise<PartsResult> {
    const events: Array<{ part: number; index: number; item: Item; event: DeliveredEvent; writerVersion: number }> = [];
    parts.forEach(({ chunk }, part) =>
      chunk.forEach((item, index) => {
        if (item.outcome.kind === 'event') events.push({ part, index, item, event: item.outcome.event, writerVersion: item.outcome.writerVersion });
      }),
    );
    const none = parts.map(() => 0);
    if (events.length === 0) return { ok: true, applied: none };
    let tx: PooledConnection;
    try {
      tx = await this.options.pool.connect();
    } catch (error) {
      return { ok: false, kind: 'database', error };
    }
    let broken: Error | undefined;
    const rollback = async (): Promise<void> => {
      try {
        await tx.query('ROLLBACK');
      } catch (err) {
        broken = err instanceof Error ? err : new Error(String(err));
      }
    };
    const { groupId } = this.options;
    const processings: Processing[] = [];
    const endAll = (errorType?: string, error?: unknown): void => {
      processings.forEach((processing, part) => {
        if (!processing.ended) this.endProcessing(processing, (parts[part] as Part).p.batch.topic, errorType, error);
      });
    };
    try {
      await tx.query('BEGIN');
      const claimed = new Set((await tx.query(CLAIM_SQL, [groupId, events.map((e) => e.event.id)])).rows.map((r) => (r as { event_id: string }).event_id));
      // The events new to this group, in order (a repeated id counts once).
      const fresh = events.filter((e) => claimed.delete(e.event.id));
      const freshOf = parts.map((_, part) => fresh.filter((e) => e.part === part));
      parts.forEach(({ p }, part) => processings.push(this.startProcessing(p.batch.topic, p.batch.partition, freshOf[part] as typeof fresh, attempt)));
      // The transaction fails at `failed` (a handler threw, or deferred work charged to it).
      const fail = async (failed: (typeof fresh)[number], error: unknown): Promise<PartsResult> => {
        if (isTransientConflict(error)) {
          // A deadlock or serialization failure met in a handler is not the event's fault: the
          // transaction is retried like after any database failure, and no try is counted
          // against the event (with few attempts, a deadlock would otherwise dead-letter it).
          endAll('database', error);
          await rollback();
          return { ok: false, kind: 'database', error };
        }
        const { span } = processings[failed.part] as Processing;
        if (span?.isRecording() && attempt < this.attempts) {
          span.addEvent('eventsmith.retry', { 'eventsmith.attempt': attempt, 'eventsmith.attempts': this.attempts, 'messaging.message.id': failed.event.id, 'messaging.kafka.offset': Number(failed.item.message.offset) });
        }
        endAll(error instanceof Error ? error.name : 'error', error);
        await rollback();
        return { ok: false, kind: 'handler', part: failed.part, failedAt: failed.index, error };
      };
      const scope = new Scope();
      for (let part = 0; part < parts.length; part++) {
        const { topic, partition } = (parts[part] as Part).p.batch;
        const own = freshOf[part] as typeof fresh;
        const processing = processings[part] as Processing;
        for (let k = 0; k < own.length; k++) {
          const current = own[k] as (typeof fresh)[number];
          const { item, event, writerVersion } = current;
          try {
            const context: HandlerContext = { tx, groupId, topic, partition, offset: item.message.offset, attempt, writerVersion, transaction: scope };
            await withContext(processing.handlerContext(k), () => (this.handlers[event.type] as AnyHandler)(event, context));
          } catch (error) {
            return fail(current, error);
          }
        }
      }
      for (const work of scope.deferred) {
        try {
          await work();
        } catch (caught) {
          // Charged to the event it names (retried alone, like a handler's failure), else to the first.
          const named = caught instanceof DeferredEventError ? fresh.find((e) => e.event.id === caught.eventId) : undefined;
          return fail(named ?? (fresh[0] as (typeof fresh)[number]), caught instanceof DeferredEventError ? caught.cause : caught);
        }
      }
      const committed = await tx.query('COMMIT');
      // pg answers COMMIT of an aborted transaction (a handler swallowed a database error) with ROLLBACK.
      if ('command' in committed && committed.command === 'ROLLBACK') {
        const error = new Error('the transaction was aborted by an error a handler caught');
        endAll('Error', error);
        const first = events[0] as (typeof events)[number];
        return { ok: false, kind: 'handler', part: first.part, failedAt: first.index, error };
      }
      endAll();
      scope.committed((err) => this.log.warn({ err }, 'after-commit work failed; the transaction stands'));
      this.counts.transactions++;
      this.crashesSinceCommit = 0;
      this.counts.applied += fresh.length;
      this.counts.duplicates += events.length - fresh.length;
      return { ok: true, applied: freshOf.map((own) => own.length) };
    } catch (error) {
      endAll('database', error);
      await rollback();
      return { ok: false, kind: 'database', error };
    } finally {
      tx.release(broken ?? false);
    }
  }
}
