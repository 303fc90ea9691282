/**
 * The outbox relay: PostgreSQL outbox → Kafka, at least once, in order per aggregate.
 *
 * Each step is one transaction: take the relay's lock, read the next batch of committed rows
 * after its progress (readCommittedOutbox: a cursor, and the transactions above it already
 * published because they committed while an older one still ran), send it through the shared
 * idempotent producer while moving the progress, setting published_at and reading the next
 * batch ahead in the same transaction, and commit only when the broker acknowledged every
 * message (else roll back); the commit does not wait for its WAL flush (see step). A crash
 * anywhere before the commit publishes the batch again (consumers deduplicate); nothing is
 * skipped. One batch is one ordered send: rows of one aggregate go out in
 * (txid, position) order, the order appendToStream gives them, to one partition (same key).
 *
 * Several relays at once: the lock is `pg_try_advisory_xact_lock` on (schema, relay name).
 * - not `SELECT … FOR UPDATE` on the cursor row: locking a row gives the transaction an xid for
 *   the whole publish, and a running xid holds pg_snapshot_xmin back, so every gap-free reader
 *   (projection runners, relays' cursors) would wait for our Kafka round trip; an advisory
 *   lock takes no xid. (The step's own writes do take one for the send's duration, in exchange
 *   for doing the database's work while the broker does its; it writes no outbox rows, so
 *   readCommittedOutbox does not wait for it. Between steps the relay holds nothing.)
 * - not `SKIP LOCKED` on outbox rows: relays would publish neighbouring rows of one aggregate
 *   in parallel, out of order, and a cursor could not describe what was done;
 * - not a session-level lock (leader election): it outlives a transaction on a pooled
 *   connection and must be released by hand; a transaction-level lock ends with the
 *   transaction, including when the relay's process or connection dies.
 * A relay that finds the lock taken sleeps and tries again: one relay works, the others are
 * warm standbys that take over within one poll interval.
 *
 * LISTEN/NOTIFY (migrations 4 and 6) only wakes the relay; it also polls every `idlePollMs`.
 * Writers notify only while a relay waits: before sleeping, a listening relay sets wake_until on
 * its cursor row and looks once more; it clears it when it finds work. A writer's commit is
 * then its wake-up: its rows are readable once committed, whatever older transactions still
 * run. Until the transactions that ran when wake_until was set (they may have inserted without
 * seeing it) have all ended, an idle relay polls again soon, since their commits notify nobody;
 * likewise while the list of transactions published ahead is full (MAX_PUBLISHED_AHEAD), when
 * committed rows above an older running transaction wait for it as with the gap-free rule.
 */
import { type ConnectionPool, type Queryable, firstRow, inTransaction, queryResults, sqlLiteral } from '../postgres/db.js';
import {
  type CommittedOutboxBatch,
  type OutboxMessageRecord,
  type OutboxProgress,
  type OutboxRecord,
  advanceOutbox,
  outboxProgressStatement,
  progressOf,
  readCommittedOutbox,
  readCommittedOutboxMessages,
  sameOutboxProgress,
} from '../postgres/outbox-reader.js';
import { type Logger, componentLogger } from '../logger.js';
import { type BackoffOptions, backoffDelay, errorMessage, sleep } from './backoff.js';
import { outboxRecordToMessage } from './outbox-message.js';
import type { KafkaPublisher } from './producer.js';
import { failSpan, startSpan } from '../telemetry/otel.js';
import { messagingAttributes } from '../telemetry/conventions.js';
import { type Counter, Instruments } from '../telemetry/metrics.js';
import { readTraceHeaders } from '../telemetry/trace-context.js';

/** A dedicated connection that can LISTEN (pg's Client fits). */
export interface NotificationConnection {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { readonly channel: string; readonly payload?: string | undefined }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}

export const OUTBOX_CHANNEL = 'eventsmith_outbox';

export interface OutboxRelayOptions {
  readonly pool: ConnectionPool;
  readonly publisher: KafkaPublisher;
  /** The cursor's name; relays of one name share its work, one batch at a time (default 'default'). */
  readonly name?: string;
  /** Rows per step (default 1000). */
  readonly batchSize?: number;
  /** Poll interval when nothing wakes the relay (default 1000 ms). */
  readonly idlePollMs?: number;
  /** Opens a connection for LISTEN; without it the relay only polls. Reopened after errors. */
  readonly listen?: () => Promise<NotificationConnection>;
  /** Backoff between failed steps (broker or database down); default 100 ms doubling to 5 s. */
  readonly retry?: BackoffOptions;
  /** Set published_at on published rows (default true); the cursor alone drives reading. */
  readonly markPublished?: boolean;
  /** Runs after the broker acknowledged a batch, before the cursor moves (observability, crash tests). */
  readonly afterPublish?: (records: readonly OutboxRecord[]) => Promise<void> | void;
  /** Every failed step, before the backoff (metrics, alerts; the logger reports it too). */
  readonly onError?: (err: unknown) => void;
  /** Failed steps, recoveries and dropped LISTEN connections (default: concise lines on stderr). */
  readonly logger?: Logger;
}

export interface RelayMetrics {
  readonly running: boolean;
  /** Rows published (acknowledged and committed) by this relay object. */
  readonly published: number;
  readonly batches: number;
  /** Steps that found another relay of this name at work (this one is a standby). */
  readonly standby: number;
  readonly failures: number;
  /** Failed steps since the last success; 0 when healthy. */
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
  /** Rows per second over the last 10 s. */
  readonly publishedPerSecond: number;
}

export interface OutboxLag {
  /** Committed outbox rows the relay has not published. */
  readonly rows: number;
  /** Age of the oldest of them in seconds; 0 when there is none. */
  readonly seconds: number;
}

/** The outbox lag of relay `name`: what it has not published yet. */
export async function outboxLag(db: Queryable, name = 'default'): Promise<OutboxLag> {
  const row = firstRow(
    await db.query(
      `SELECT count(*)::text AS rows, COALESCE(EXTRACT(EPOCH FROM (now() - min(o.created_at))), 0)::float8 AS seconds
         FROM eventsmith_outbox o,
              (SELECT txid, position, ahead_txids, ahead_positions, 0 AS pref FROM eventsmith_outbox_cursors WHERE relay = $1
                UNION ALL SELECT '0'::xid8, 0, '{}'::xid8[], '{}'::bigint[], 1
                ORDER BY pref LIMIT 1) c
        WHERE (o.txid, o.position) > (c.txid, c.position)
          AND o.position > COALESCE(c.ahead_positions[array_position(c.ahead_txids, o.txid)], 0)`,
      [name],
    ),
  );
  return { rows: Number(row?.rows ?? 0), seconds: Math.max(0, Number(row?.seconds ?? 0)) };
}

const RATE_WINDOW_MS = 10_000;

/** The trace context an outbox row was created in: `ce_traceparent` (events) or `traceparent` (commands). */
function traceOfRow(r: OutboxMessageRecord): ReturnType<typeof readTraceHeaders> {
  return readTraceHeaders((name) => r.headers[`ce_${name}`] ?? r.headers[name]);
}

function batchDestination(records: readonly OutboxMessageRecord[]): string {
  const first = records[0]?.topic ?? '';
  return records.every((r) => r.topic === first) ? first : '(several)';
}

/** `send <topic>`, or `send` alone when the batch goes to several topics (the conventions' rule). */
function sendSpanName(records: readonly OutboxMessageRecord[]): string {
  const destination = batchDestination(records);
  return destination === '(several)' ? 'send' : `send ${destination}`;
}

/**
 * A batch as the step read it: whole records when afterPublish is to receive them, else only what
 * the messages need (readCommittedOutboxMessages: the same rows and progress, parsed at about half
 * the CPU per row, on the thread that encodes the sends).
 */
type StepBatch =
  | { readonly whole: true; readonly batch: CommittedOutboxBatch }
  | { readonly whole: false; readonly batch: CommittedOutboxBatch<OutboxMessageRecord> };

export class OutboxRelay {
  private readonly name: string;
  private readonly batchSize: number;
  private readonly idlePollMs: number;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private schema: string | undefined;
  private listener: NotificationConnection | undefined;
  private wake: (() => void) | undefined;
  private woken = false;
  /** The batch after the last step's, read while the broker worked (see step). */
  private readAhead: { readonly after: OutboxProgress; readonly read: StepBatch } | undefined;
  /** The last empty step may have left committed rows unread (the list of transactions published ahead was full). */
  private heldBack = false;
  /** The transaction-id bounds of the last empty step's snapshot. */
  private snapshot: { xmin: bigint; xmax: bigint } | undefined;
  /**
   * Set while this relay's wake_until is set (see migration 6): since when, and the xmax of the
   * first empty step after it, below which a running transaction may have missed it.
   */
  private armed: { at: number; raceBelow: bigint | undefined } | undefined;
  private counts = { published: 0, batches: 0, standby: 0, failures: 0, consecutiveFailures: 0 };
  private lastError: string | undefined;
  private readonly recent: Array<{ at: number; rows: number }> = [];
  private startedAt: number | undefined;
  private readonly log: Logger;
  private readonly instruments = new Instruments();
  private readonly sent: Counter;
  private unobserve: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.name = options.name ?? 'default';
    this.sent = this.instruments.counter('messaging.client.sent.messages', 'Messages the outbox relay published (acknowledged and committed)');
    this.log = componentLogger(options.logger, 'relay', { relay: this.name });
    this.batchSize = options.batchSize ?? 1000;
    this.idlePollMs = options.idlePollMs ?? 1000;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`eventsmith: batchSize must be a positive integer`);
  }

  /** Starts relaying in the background until stop(). */
  start(): void {
    if (this.loopDone) return;
    this.startedAt = Date.now();
    this.log.debug({}, 'started');
    this.unobserve = this.observe();
    this.loopDone = this.loop();
  }

  /** Finishes the batch in flight (published and committed), then stops. Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loopDone;
    if (this.armed !== undefined) await this.setWakeUp(false);
    this.unobserve?.();
    this.unobserve = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /**
   * One step: publishes the next batch and commits the cursor. Returns the rows published, or
   * 'busy' when another relay of this name holds the lock. Throws if the broker or database fails.
   */
  async runOnce(): Promise<number | 'busy'> {
    const result = await this.step();
    if (typeof result !== 'object') return result;
    // Counted after the commit: what consumers can now receive.
    const byTopic = new Map<string, number>();
    for (const r of result) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, n] of byTopic) this.sent.add(n, { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.operation.name': 'send' });
    return result.length;
  }

  private async step(): Promise<readonly OutboxMessageRecord[] | 0 | 'busy'> {
    const { pool } = this.options;
    this.schema ??= await this.prepare(pool);
    return inTransaction(
      pool,
      async (tx) => {
        // BEGIN, the lock and the progress in one round trip: three statements sent as one, each
        // with a snapshot of its own, so the progress is read once the lock is held (a standby
        // that takes the lock as the last holder commits reads what that holder committed).
        // The step's commit need not wait for its WAL to reach the disk: a commit that a database
        // crash loses leaves the durable cursor before the batch, which is then published again,
        // as after a relay crash before its commit (at least once; consumers deduplicate). The
        // outbox rows themselves were committed durably by their writers.
        const [, lock, saved] = await queryResults(tx, [
          'BEGIN',
          `SELECT set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock(1163088212, hashtext(${sqlLiteral(`${this.schema}.${this.name}`)})) AS locked`,
          outboxProgressStatement(this.name),
        ]);
        if (lock === undefined || saved === undefined || firstRow(lock)?.locked !== true) return 'busy';
        return this.publishNext(tx, progressOf(saved));
      },
      { workBegins: true },
    );
  }

  /** The rest of a step, under the lock: read (or take the batch read ahead), send, advance. */
  private async publishNext(tx: Queryable, progress: OutboxProgress): Promise<readonly OutboxMessageRecord[] | 0> {
    const { publisher, afterPublish } = this.options;
    // The batch the previous step read ahead is still the next one if the progress is what that
    // step left (no other relay of this name moved it since): its snapshot's committed rows
    // after that progress, and the progress it gives is sound whenever it is applied. Rows
    // committed since, even of older transactions, are read by the next steps: a stream's later
    // writer commits after its earlier one (see readCommittedOutbox), so none of them goes
    // before a row of its stream in this batch.
    const ahead = this.readAhead;
    this.readAhead = undefined;
    const read: StepBatch =
      ahead !== undefined && ahead.read.batch.records.length > 0 && sameOutboxProgress(ahead.after, progress)
        ? ahead.read
        : afterPublish !== undefined
          ? { whole: true, batch: await readCommittedOutbox(tx, progress, this.batchSize) }
          : { whole: false, batch: await readCommittedOutboxMessages(tx, progress, this.batchSize) };
    const batch = read.batch;
    if (batch.records.length === 0) {
      // Which transactions were running: one of them may have inserted rows without seeing wake_until.
      this.heldBack = batch.capped;
      this.snapshot = { xmin: batch.xmin, xmax: batch.xmax };
      return 0;
    }
    // One `send` span for the batch, linked to the creation context of each row (the appends,
    // in other traces and processes): the conventions' shape for a batch send.
    const span = startSpan(sendSpanName(batch.records), {
      kind: 'client',
      attributes: { ...messagingAttributes('send', batchDestination(batch.records), { count: batch.records.length }), 'eventsmith.relay': this.name },
      // Read lazily: the span keeps the first 128 links, so the rest are never parsed.
      links: function* () {
        for (const r of batch.records) yield traceOfRow(r);
      },
    });
    try {
      // The database's part runs while this process encodes the send and the broker works: the
      // cursor move and the published mark (undone unless the broker acknowledges: the commit
      // comes only after that), and the next batch, read ahead. One statement, on the wire
      // before the send's encoding takes the thread: a chain of statements would stall behind it.
      const mark = this.options.markPublished !== false;
      const readNext = batch.records.length >= this.batchSize ? this.batchSize : undefined;
      const written: Promise<StepBatch | undefined> = (
        read.whole
          ? advanceOutbox(tx, this.name, progress, batch, { mark, ...(readNext !== undefined ? { readNext } : {}) }).then((next) =>
              next === undefined ? undefined : { whole: true as const, batch: next },
            )
          : advanceOutbox(tx, this.name, progress, batch, { mark, readMessages: true, ...(readNext !== undefined ? { readNext } : {}) }).then((next) =>
              next === undefined ? undefined : { whole: false as const, batch: next },
            )
      );
      const sent = publisher.send(batch.records.map(outboxRecordToMessage));
      const [send, write] = await Promise.allSettled([sent, written]);
      if (send.status === 'rejected') throw send.reason;
      if (write.status === 'rejected') throw write.reason;
      if (read.whole) await afterPublish?.(read.batch.records);
      this.readAhead = write.value === undefined ? undefined : { after: batch.progress, read: write.value };
    } catch (err) {
      failSpan(span, err);
      throw err;
    }
    span?.end();
    return batch.records;
  }

  metrics(): RelayMetrics {
    const now = Date.now();
    while (this.recent.length > 0 && (this.recent[0]?.at ?? now) < now - RATE_WINDOW_MS) this.recent.shift();
    const rows = this.recent.reduce((n, r) => n + r.rows, 0);
    const span = Math.min(RATE_WINDOW_MS, Math.max(1000, now - (this.startedAt ?? now)));
    return {
      running: this.loopDone !== undefined && !this.abort.signal.aborted,
      ...this.counts,
      lastError: this.lastError,
      publishedPerSecond: Math.round((rows * 1000) / span),
    };
  }

  /** What this relay has not published yet. */
  lag(): Promise<OutboxLag> {
    return outboxLag(this.options.pool, this.name);
  }

  /** Relay lag (rows, seconds), outbox size and publish rate as observable gauges, read at collection. */
  private observe(): () => void {
    return this.instruments.gauges(
      {
        'eventsmith.relay.lag.rows': { description: 'Outbox rows after the relay cursor (not published yet)', unit: '{row}' },
        'eventsmith.relay.lag.seconds': { description: 'Age of the oldest outbox row not published yet', unit: 's' },
        'eventsmith.relay.publish.rate': { description: 'Rows published per second over the last 10 s', unit: '{row}/s' },
        'eventsmith.outbox.rows': { description: 'Rows in the outbox table (published ones until they are pruned)', unit: '{row}' },
      },
      async (observe) => {
        const attributes = { 'eventsmith.relay': this.name };
        observe('eventsmith.relay.publish.rate', this.metrics().publishedPerSecond, attributes);
        const [lag, size] = await Promise.all([this.lag(), this.options.pool.query('SELECT count(*)::text AS n FROM eventsmith_outbox')]);
        observe('eventsmith.relay.lag.rows', lag.rows, attributes);
        observe('eventsmith.relay.lag.seconds', lag.seconds, attributes);
        observe('eventsmith.outbox.rows', Number(firstRow(size)?.n ?? 0));
      },
    );
  }

  /** The cursor row exists before any step locks it; returns the schema for lock keys and notifications. */
  private async prepare(pool: ConnectionPool): Promise<string> {
    await pool.query(`INSERT INTO eventsmith_outbox_cursors (relay, txid, position) VALUES ($1, '0'::xid8, 0) ON CONFLICT (relay) DO NOTHING`, [this.name]);
    const row = firstRow(await pool.query('SELECT current_schema() AS schema'));
    return typeof row?.schema === 'string' ? row.schema : '';
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    // Rows that may have been committed without a notification (see the header): poll for them
    // soon, then less often (10 ms doubling to 500 ms).
    let chase = 0;
    while (!signal.aborted) {
      await this.ensureListening();
      this.woken = false;
      this.heldBack = false;
      let result: number | 'busy';
      try {
        result = await this.runOnce();
        if (this.counts.consecutiveFailures > 0) this.log.info({ failedSteps: this.counts.consecutiveFailures }, 'publishing again after failed steps');
        this.counts.consecutiveFailures = 0;
      } catch (err) {
        this.counts.failures++;
        this.counts.consecutiveFailures++;
        this.lastError = errorMessage(err);
        this.options.onError?.(err);
        const delay = backoffDelay(this.counts.consecutiveFailures, { initialMs: 100, maxMs: 5_000, ...this.options.retry });
        if (!signal.aborted) this.log.warn({ err, failedSteps: this.counts.consecutiveFailures }, `step failed; retrying in ${delay} ms`);
        await sleep(delay, signal);
        continue;
      }
      if (result === 'busy') this.counts.standby++;
      else if (result > 0) {
        // The chase backs off while nothing comes; work found starts it over (else, under steady
        // traffic, a commit that missed wake_until would wait the longest interval every time).
        chase = 0;
        this.counts.published += result;
        this.counts.batches++;
        this.recent.push({ at: Date.now(), rows: result });
        if (this.armed !== undefined) await this.setWakeUp(false);
        if (result >= this.batchSize) continue;
      }
      if (this.woken) continue; // notified while working
      if (this.listener !== undefined && !signal.aborted && (this.armed === undefined || Date.now() - this.armed.at > this.idlePollMs)) {
        // Ask writers to notify (again before it expires), then look once more before sleeping.
        const fresh = this.armed === undefined;
        if (await this.setWakeUp(true)) {
          if (fresh) continue;
        }
      }
      // Appends by transactions that ran when the wake-up was set may not have seen it: until they
      // have all ended (xmin passed the first look's xmax), poll for them as for held-back rows.
      if (this.armed !== undefined && this.snapshot !== undefined) this.armed.raceBelow ??= this.snapshot.xmax;
      const racing = this.armed?.raceBelow !== undefined && this.snapshot !== undefined && this.snapshot.xmin < this.armed.raceBelow;
      chase = this.heldBack || racing ? chase + 1 : 0;
      await this.waitForWake(chase > 0 ? Math.min(this.idlePollMs, 500, 5 * 2 ** chase) : this.idlePollMs);
    }
  }

  /**
   * Sets (or clears) this relay's wake_until: while it lies ahead, every outbox insert notifies
   * (migration 6). It lasts a few poll intervals, so that a relay that dies stops the
   * notifications; a waiting relay renews it every interval. Returns whether it was written.
   */
  private async setWakeUp(on: boolean): Promise<boolean> {
    const wasArmed = this.armed;
    this.armed = undefined;
    try {
      await this.options.pool.query(
        `UPDATE eventsmith_outbox_cursors SET wake_until = CASE WHEN $2::boolean THEN now() + $3::integer * interval '1 millisecond' END WHERE relay = $1`,
        [this.name, on, this.idlePollMs * 3 + 10_000],
      );
    } catch (err) {
      // Polling still works; the next idle step tries again.
      this.options.onError?.(err);
      return false;
    }
    if (on && wasArmed === undefined) this.snapshot = undefined; // taken before: says nothing about the race
    if (on) this.armed = { at: Date.now(), raceBelow: wasArmed?.raceBelow };
    return true;
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.woken || this.abort.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private onNotification(payload: string | undefined): void {
    if (payload !== undefined && this.schema !== undefined && payload !== this.schema) return;
    this.woken = true;
    this.wake?.();
  }

  private async ensureListening(): Promise<void> {
    const open = this.options.listen;
    if (open === undefined || this.listener !== undefined || this.abort.signal.aborted) return;
    try {
      const conn = await open();
      conn.on('notification', (m) => {
        if (m.channel === OUTBOX_CHANNEL) this.onNotification(m.payload);
      });
      conn.on('error', (err) => {
        // Dropped: polling carries on, and the next loop opens a new connection.
        if (this.listener === conn) this.listener = undefined;
        this.options.onError?.(err);
        this.log.warn({ err }, 'LISTEN connection lost; polling until it is back');
        conn.end().catch(() => undefined);
      });
      try {
        await conn.query(`LISTEN ${OUTBOX_CHANNEL}`);
      } catch (err) {
        await conn.end().catch(() => undefined);
        throw err;
      }
      this.listener = conn;
    } catch (err) {
      this.options.onError?.(err);
      this.log.warn({ err }, 'could not LISTEN for new outbox rows; polling meanwhile');
    }
  }
}
