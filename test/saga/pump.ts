// An in-process stand-in for relay + broker + consumer runners, for the engine tests that need
// exact control over delivery: it reads the outbox gap-free (pollOutbox), turns each row into
// the Kafka message the relay would send and back into a CloudEvent with the consumers'
// decoder, and applies it the way KafkaConsumerRunner does (processed mark + handler in one
// transaction). In chaos mode it delivers in random order, delivers copies again later, and can
// hand the orchestrator duplicates that the processed mark would have hidden.
import {
  type CloudEvent,
  type ConnectionPool,
  type HandlerContext,
  type OutboxRecord,
  decodeMessage,
  markProcessed,
  outboxRecordToMessage,
  pollOutbox,
  transactionScope,
} from '../../generator/runtime/index.js';
import { inTransaction } from '../../generator/runtime/postgres/db.js';
import { decoding } from './domain.js';

export type Handler = (event: CloudEvent<string, unknown>, context: HandlerContext) => Promise<void>;

export interface Chaos {
  /** Source of randomness in [0, 1). */
  readonly random: () => number;
  /** Probability that a delivered message is queued again for a later delivery. */
  readonly duplicate: number;
  /**
   * Orchestrator deliveries skip the processed mark, so the engine itself sees every
   * duplicate (its own guards must ignore them). Commands always go through the mark.
   */
  readonly engineSeesDuplicates: boolean;
}

interface Delivery {
  readonly group: 'orchestrator' | 'services';
  readonly event: CloudEvent<string, unknown>;
  readonly record: OutboxRecord;
  copies: number;
}

/** A seeded PRNG (mulberry32), so a failing schedule can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Pump {
  private readonly queue: Delivery[] = [];
  /** Every message read from the outbox, in outbox order. */
  readonly log: CloudEvent<string, unknown>[] = [];
  delivered = 0;

  constructor(
    private readonly pool: ConnectionPool,
    /** Replaceable: a new orchestrator takes over the queue, as a restarted consumer would. */
    public handlers: { readonly orchestrator: Readonly<Record<string, Handler>>; readonly services: Readonly<Record<string, Handler>> },
    private readonly chaos?: Chaos,
    private readonly relay = 'pump',
    /**
     * Messages of one group per transaction (default 1). Above 1 they are delivered like the
     * consumer runner does: in one transaction, handlers given a TransactionScope whose deferred
     * work runs before COMMIT (the saga engine's batched path; the command handlers' aggregates
     * loaded once per transaction).
     */
    private readonly batch = 1,
  ) {}

  /** Moves new outbox rows into the queue; returns how many. */
  async fetch(): Promise<number> {
    return pollOutbox(this.pool, { relay: this.relay, limit: 1000 }, async (records) => {
      for (const record of records) {
        const message = outboxRecordToMessage(record);
        const key = typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
        const outcome = decodeMessage({ ...message, key }, decoding, { handles: () => true });
        if (outcome.kind !== 'event') throw new Error(`outbox row ${record.id} does not decode: ${JSON.stringify(outcome)}`);
        const event = outcome.event;
        this.log.push(event);
        const group = event.type.includes('.command.') ? 'services' : 'orchestrator';
        this.queue.push({ group, event, record, copies: 0 });
      }
    });
  }

  /** Delivers until the queue and the outbox are empty; returns the number of deliveries. */
  async drain(max = 20_000): Promise<number> {
    let n = 0;
    for (;;) {
      await this.fetch();
      if (this.queue.length === 0) return n;
      if (++n > max) throw new Error(`the pump did not settle after ${max} deliveries`);
      await this.deliverOne();
    }
  }

  /** Delivers the next queued message (a random one in chaos mode); false if the queue is empty. */
  async deliverOne(): Promise<boolean> {
    const chaos = this.chaos;
    const index = chaos ? Math.floor(chaos.random() * this.queue.length) : 0;
    const [item] = this.queue.splice(index, 1);
    if (item === undefined) return false;
    const items = [item];
    // More of the same group, from where the first was taken (random ones in chaos mode).
    while (items.length < this.batch) {
      const at = this.queue.findIndex((d, i) => d.group === item.group && i >= (chaos ? Math.floor(chaos.random() * this.queue.length) : 0));
      if (at < 0) break;
      items.push(...this.queue.splice(at, 1));
    }
    for (const it of items) {
      if (chaos && it.copies < 2 && chaos.random() < chaos.duplicate) {
        it.copies++;
        this.queue.push({ ...it });
      }
    }
    try {
      await (items.length === 1 && this.batch === 1 ? this.apply(item) : this.applyBatch(items));
    } catch (err) {
      // Not acknowledged: like an uncommitted Kafka offset, delivered again next time.
      this.queue.unshift(...items);
      throw err;
    }
    return true;
  }

  private async applyBatch(items: readonly Delivery[]): Promise<void> {
    const dedupe = !(items[0]?.group === 'orchestrator' && this.chaos?.engineSeesDuplicates === true);
    const scope = transactionScope();
    await inTransaction(this.pool, async (tx) => {
      for (const item of items) {
        const handler = this.handlers[item.group][item.event.type];
        if (handler === undefined) continue;
        if (dedupe && !(await markProcessed(tx, item.group, item.event.id))) continue;
        const context: HandlerContext = { tx, groupId: item.group, topic: item.record.topic, partition: 0, offset: String(this.delivered), attempt: 1, writerVersion: 1, transaction: scope };
        await handler(item.event, context);
      }
      await scope.commit();
    });
    scope.committed();
    this.delivered += items.length;
  }

  private async apply(item: Delivery): Promise<void> {
    const handler = this.handlers[item.group][item.event.type];
    if (handler === undefined) return;
    const dedupe = !(item.group === 'orchestrator' && this.chaos?.engineSeesDuplicates === true);
    await inTransaction(this.pool, async (tx) => {
      if (dedupe && !(await markProcessed(tx, item.group, item.event.id))) return;
      const context: HandlerContext = { tx, groupId: item.group, topic: item.record.topic, partition: 0, offset: String(this.delivered), attempt: 1, writerVersion: 1 };
      await handler(item.event, context);
    });
    this.delivered++;
  }
}
