/**
 * One shared, idempotent KafkaJS producer for a process: typed publish functions (generated),
 * the outbox relay and the consumers' dead-letter topics all send through it.
 *
 * Settings that order depends on are fixed here, not left to each caller:
 * - `idempotent: true` with `maxInFlightRequests: 1`: a retried request can neither duplicate
 *   nor overtake an earlier one (KafkaJS does not keep order with more requests in flight).
 * - Java's default partitioner (murmur2 of the key, as KafkaJS's `DefaultPartitioner`, but
 *   cheaper: see partitioner.ts): a key lands on the partition every Java, Go or librdkafka
 *   producer picks for it, so one aggregate is one partition whoever publishes.
 * - Sends are serialised through a queue: calls made while a request is in flight are sent
 *   together in the next request (no linger timer, so no added latency), in call order; so
 *   are calls made in one synchronous run (a loop of publish() calls).
 *
 * Retries: KafkaJS retries a send without limit (as the idempotent producer needs: a send
 * given up halfway leaves its sequence numbers out of step with the broker's), and the publisher
 * bounds the whole send instead, retries included, by `deliveryTimeoutMs` (as Java's
 * delivery.timeout.ms does). When a send fails for good (that deadline, or an error KafkaJS does
 * not retry), every call queued behind it fails too (nothing queued after a failed message may
 * overtake it) and the producer is replaced by a new one, with a new producer id, which starts
 * clean (tulios/kafkajs#598). The old producer never sends again: its partitioner, which KafkaJS
 * asks on every attempt, refuses, and KafkaJS does not retry that.
 */
import type { CompressionTypes, ICustomPartitioner, IHeaders, Kafka, Producer, ProducerBatch, ProducerConfig, RecordMetadata, RetryOptions } from 'kafkajs';
import { type Logger, componentLogger, errorMessage } from '../logger.js';
import type { CloudEventAttributes, ContentMode, OutgoingRecord } from './binding.js';
import { encodeCloudEvent, frameConfluent } from './binding.js';
import { javaCompatiblePartitioner } from './partitioner.js';
import { failSpan, startSpan, traceHeadersOf } from '../telemetry/otel.js';
import { messagingAttributes } from '../telemetry/conventions.js';
import { isValidTraceparent } from '../telemetry/trace-context.js';

/** One Kafka message with its topic. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

export interface KafkaPublisherOptions {
  readonly kafka: Kafka;
  /** Default content mode of publish() (default binary). */
  readonly mode?: ContentMode;
  /**
   * Further producer settings; idempotence, in-flight requests, the partitioner and the number of
   * retries (unlimited, within deliveryTimeoutMs) are fixed.
   */
  readonly producer?: Omit<ProducerConfig, 'idempotent' | 'maxInFlightRequests' | 'createPartitioner' | 'transactionalId' | 'retry'> & {
    readonly retry?: Omit<RetryOptions, 'retries' | 'restartOnFailure'>;
  };
  readonly compression?: CompressionTypes;
  /** Upper bound of the bytes of one produce request (default 900 KiB, under the broker's 1 MiB batch limit). */
  readonly maxRequestBytes?: number;
  /** How long the broker may take to acknowledge a request (default 30 s). */
  readonly ackTimeoutMs?: number;
  /**
   * How long one send may take, retries included, before it fails and the producer is replaced
   * (default 120 s, as Java's delivery.timeout.ms). An outage shorter than this delays sends;
   * a longer one fails them, and the caller (the relay, a consumer's dead-letter send) retries.
   */
  readonly deliveryTimeoutMs?: number;
  /** Where failed sends and replaced producers are reported (default: concise lines on stderr). */
  readonly logger?: Logger;
}

export interface PublishOptions {
  readonly topic: string;
  /** Default: the publisher's mode. */
  readonly mode?: ContentMode;
  /** Frames the data in the Confluent wire format (magic byte 0 + schema id) when set. */
  readonly schemaId?: number;
  /** Extra headers that are not CloudEvents attributes (tracing, for example). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PublisherStats {
  /** Messages acknowledged by the broker. */
  readonly acknowledged: number;
  /**
   * Messages sent again because KafkaJS resolved a send without ever sending them (a leader moved
   * to a broker that had already answered that send: tulios/kafkajs#1303).
   */
  readonly resent: number;
  /** Produce requests sent successfully. */
  readonly requests: number;
  /** Sends that failed for good. */
  readonly failures: number;
  /** Producers replaced after a failure. */
  readonly producerResets: number;
}

/** A KafkaJS producer and whether it was given up (then it must never send again). */
interface ProducerSlot {
  readonly producer: Producer;
  readonly ready: Promise<Producer>;
  abandoned: boolean;
  /** The partition the partitioner last gave each message of the send in progress. */
  assigned: Map<object, number> | undefined;
}

interface Unit {
  readonly messages: readonly OutgoingMessage[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function sizeOf(m: OutgoingMessage): number {
  let n = 70 + (m.value?.length ?? 0) + (m.key === null ? 0 : m.key.length);
  for (const name in m.headers) {
    const v = m.headers[name];
    n += name.length + (v === undefined ? 0 : Array.isArray(v) ? v.reduce((s, x) => s + x.length, 0) : v.length);
  }
  return n;
}

/** A message with its topic: the binding's record (with any extra headers) for `topic`. */
export function toOutgoing(topic: string, record: OutgoingRecord, extraHeaders?: Readonly<Record<string, string>>): OutgoingMessage {
  return { topic, key: record.key, value: record.value, headers: extraHeaders ? { ...extraHeaders, ...record.headers } : record.headers };
}

export class KafkaPublisher {
  private readonly kafka: Kafka;
  private readonly mode: ContentMode;
  private readonly maxRequestBytes: number;
  private readonly queue: Unit[] = [];
  private flushing: Promise<void> | undefined;
  private readonly deliveryTimeoutMs: number;
  private readonly log: Logger;
  private producer: ProducerSlot | undefined;
  private closed = false;
  private counts = { acknowledged: 0, requests: 0, failures: 0, producerResets: 0, resent: 0 };

  constructor(private readonly options: KafkaPublisherOptions) {
    this.kafka = options.kafka;
    this.mode = options.mode ?? 'binary';
    this.maxRequestBytes = options.maxRequestBytes ?? 900 * 1024;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
    if (!(this.deliveryTimeoutMs > 0)) throw new RangeError('eventsmith: deliveryTimeoutMs must be positive');
    this.log = componentLogger(options.logger, 'publisher');
  }

  /** Connects now (otherwise the first send does). */
  async connect(): Promise<void> {
    await this.currentProducer().ready;
  }

  /**
   * Publishes one event: `data` is its encoded data (Avro binary or JSON text, as its
   * `datacontenttype` says); the key is its partitionkey. Resolves when the broker acknowledged.
   */
  publish(event: CloudEventAttributes, data: Uint8Array, options: PublishOptions): Promise<void> {
    const bytes = options.schemaId === undefined ? data : frameConfluent(options.schemaId, data);
    // A `send` span; its context travels as the distributed-tracing extension (as attributes, so
    // that both content modes carry it), unless the event brings a valid one of its own.
    const span = startSpan(`send ${options.topic}`, {
      kind: 'producer',
      attributes: messagingAttributes('send', options.topic, { key: event.partitionkey, messageId: event.id, eventType: event.type }),
    });
    const own = (event as { readonly traceparent?: unknown }).traceparent;
    const trace = isValidTraceparent(own) ? undefined : traceHeadersOf(span);
    const traced: CloudEventAttributes = trace === undefined ? event : { ...event, ...trace };
    const sent = this.send([toOutgoing(options.topic, encodeCloudEvent(traced, bytes, options.mode ?? this.mode), options.headers)]);
    if (span === undefined) return sent;
    return sent.then(
      () => span.end(),
      (err: unknown) => {
        failSpan(span, err);
        throw err;
      },
    );
  }

  /** Sends messages in order (per partition, as Kafka orders); resolves when all are acknowledged. */
  send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('eventsmith: the publisher is disconnected'));
    if (messages.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const m of messages) bytes += sizeOf(m);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, bytes, resolve, reject });
      this.kick();
    });
  }

  stats(): PublisherStats {
    return { ...this.counts };
  }

  /** Waits for queued sends, then disconnects. */
  async disconnect(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    const slot = this.producer;
    this.producer = undefined;
    if (slot) await (await slot.ready.catch(() => undefined))?.disconnect();
  }

  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    // One microtask first: calls made in the same synchronous run as the first one (a loop of
    // publish() calls, Promise.all over a batch) then go out in its request, not in the next.
    await Promise.resolve();
    while (this.queue.length > 0) {
      // Everything queued so far, up to about one request's worth (always at least one call).
      let bytes = 0;
      let n = 0;
      for (const unit of this.queue) {
        if (n > 0 && bytes + unit.bytes > this.maxRequestBytes) break;
        bytes += unit.bytes;
        n++;
      }
      const units = this.queue.splice(0, n);
      try {
        await this.sendNow(units.length === 1 ? (units[0] as Unit).messages : units.flatMap((u) => u.messages), bytes);
        for (const u of units) u.resolve();
      } catch (err) {
        this.counts.failures++;
        // Nothing queued behind a failed message may overtake it.
        const failed = [...units, ...this.queue.splice(0)];
        this.log.warn({ err, messages: failed.reduce((n, u) => n + u.messages.length, 0) }, 'send failed; the producer is replaced and the sends queued behind it fail too');
        await this.resetProducer();
        for (const u of failed) u.reject(err);
      }
    }
  }

  /** Sends `messages` (about `totalBytes` in all) in as few requests as maxRequestBytes allows. */
  private async sendNow(messages: readonly OutgoingMessage[], totalBytes: number): Promise<void> {
    const slot = this.currentProducer();
    await slot.ready;
    let start = 0;
    while (start < messages.length) {
      // Split oversized calls into consecutive requests; each waits for the one before.
      let end = totalBytes <= this.maxRequestBytes ? messages.length : start;
      let bytes = 0;
      while (end < messages.length) {
        const size = sizeOf(messages[end] as OutgoingMessage);
        if (end > start && bytes + size > this.maxRequestBytes) break;
        bytes += size;
        end++;
      }
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (let i = start; i < end; i++) {
        const m = messages[i] as OutgoingMessage;
        let list = byTopic.get(m.topic);
        if (!list) byTopic.set(m.topic, (list = []));
        list.push(m);
      }
      await this.sendWithin(slot, {
        acks: -1,
        timeout: this.options.ackTimeoutMs ?? 30_000,
        ...(this.options.compression !== undefined ? { compression: this.options.compression } : {}),
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          // The extra `topic` property of each message is ignored by KafkaJS.
          messages: list,
        })),
      });
      this.counts.requests++;
      this.counts.acknowledged += end - start;
      start = end;
    }
  }

  /**
   * One send, given up after deliveryTimeoutMs (and its producer with it). KafkaJS's sendBatch
   * can resolve without sending some partitions' messages: when a broker fails mid-send, its
   * retry sends only to brokers that have not answered yet, so partitions whose leadership moved
   * to a broker that already answered are dropped, and the send still succeeds
   * (tulios/kafkajs#1303; seen here when a 3-node cluster loses a leader). Every partition the
   * partitioner assigned must be in the result; the messages of one that is not were never sent
   * (their sequence numbers were never taken), so they go again, before anything queued behind.
   */
  private async sendWithin(slot: ProducerSlot, batch: ProducerBatch): Promise<void> {
    const deadlineAt = Date.now() + this.deliveryTimeoutMs;
    let pending = batch;
    for (;;) {
      const assigned = new Map<object, number>();
      slot.assigned = assigned;
      const results = await this.raceDeadline(slot, pending, deadlineAt);
      slot.assigned = undefined;
      // The partitions answered, by topic: a set lookup per message, no key string built for each.
      const answered = new Map<string, Set<number>>();
      for (const r of results) {
        let partitions = answered.get(r.topicName);
        if (partitions === undefined) answered.set(r.topicName, (partitions = new Set()));
        partitions.add(r.partition);
      }
      const missing: { topic: string; messages: OutgoingMessage[] }[] = [];
      for (const { topic, messages } of pending.topicMessages ?? []) {
        const partitions = answered.get(topic);
        const unsent = (messages as OutgoingMessage[]).filter((m) => {
          const partition = assigned.get(m);
          return partition === undefined || partitions === undefined || !partitions.has(partition);
        });
        if (unsent.length > 0) missing.push({ topic, messages: unsent });
      }
      if (missing.length === 0) return;
      const count = missing.reduce((n, t) => n + t.messages.length, 0);
      this.counts.resent += count;
      this.log.warn({ messages: count }, 'KafkaJS resolved a send without sending some partitions (tulios/kafkajs#1303); sending those messages again');
      pending = { ...pending, topicMessages: missing };
    }
  }

  private async raceDeadline(slot: ProducerSlot, batch: ProducerBatch, deadlineAt: number): Promise<RecordMetadata[]> {
    const sending = slot.producer.sendBatch(batch);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const count = batch.topicMessages?.reduce((n, t) => n + t.messages.length, 0) ?? 0;
        reject(new Error(`eventsmith: ${count} message${count === 1 ? ' was' : 's were'} not acknowledged within ${this.deliveryTimeoutMs} ms (deliveryTimeoutMs)`));
      }, Math.max(0, deadlineAt - Date.now()));
    });
    try {
      return await Promise.race([sending, deadline]);
    } catch (err) {
      // KafkaJS may still be retrying the send: stop it at its next attempt, then disconnect.
      slot.abandoned = true;
      void sending.then(noop, noop).finally(() => slot.producer.disconnect().catch(noop));
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private currentProducer(): ProducerSlot {
    if (!this.producer) {
      let slot: ProducerSlot | undefined;
      // KafkaJS asks the partitioner on every attempt of a send: an abandoned producer's retry
      // fails there, with an error KafkaJS does not retry (TypeError), before it sends anything.
      const createPartitioner: ICustomPartitioner = () => {
        const partition = javaCompatiblePartitioner();
        return (args) => {
          if (slot?.abandoned) throw new TypeError('eventsmith: this producer was replaced after a failed send and sends nothing more');
          const p = partition(args);
          slot?.assigned?.set(args.message, p);
          return p;
        };
      };
      const producer = this.kafka.producer({
        ...this.options.producer,
        retry: { initialRetryTime: 200, maxRetryTime: 5_000, ...this.options.producer?.retry, retries: Number.MAX_SAFE_INTEGER },
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner,
      });
      const current: ProducerSlot = { producer, ready: producer.connect().then(() => producer), abandoned: false, assigned: undefined };
      slot = current;
      this.producer = current;
      current.ready.catch(() => {
        if (this.producer === current) this.producer = undefined;
      });
    }
    return this.producer;
  }

  private async resetProducer(): Promise<void> {
    const old = this.producer;
    this.producer = undefined;
    if (!old) return;
    old.abandoned = true;
    this.counts.producerResets++;
    const producer = await old.ready.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}

function noop(): void {}
