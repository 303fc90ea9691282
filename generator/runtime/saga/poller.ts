/**
 * Fires stored saga deadlines (eventsmith_saga_state.timeout_at): resends, timeouts that start
 * compensation, retries of failed compensations after their backoff, parking.
 *
 * Deadlines live in the database, not in timers, so they survive any restart: a poller started
 * after a crash fires every deadline that passed while nothing ran. Each round is one
 * transaction that locks the due rows with FOR UPDATE SKIP LOCKED, so pollers of several
 * processes share the work without waiting for each other, and a row a consumer is moving
 * right now is left for the next round. Each saga's transition runs under a savepoint: one that
 * fails (a command builder throws, say) is postponed by `retryDelayMs` and reported, and does
 * not hold the others back.
 *
 * Between rounds the poller sleeps until the earliest stored deadline, at most `intervalMs`
 * (a deadline written by another process is noticed within that interval).
 */
import { type Logger, componentLogger } from '../logger.js';
import { type ConnectionPool, inTransaction } from '../postgres/db.js';
import { backoffDelay, errorMessage, sleep } from '../kafka/backoff.js';
import type { SagaRuntime } from './engine.js';
import { lockDueSagas, nextDeadline, postponeTimeout } from './store.js';
import { Instruments } from '../telemetry/metrics.js';

export interface SagaTimeoutPollerOptions {
  readonly pool: ConnectionPool;
  /** The engines whose deadlines this poller fires (by saga type). */
  readonly engines: readonly SagaRuntime[];
  /** Longest sleep between rounds (default 1000 ms). */
  readonly intervalMs?: number;
  /** Rows per round (default 100). */
  readonly batchSize?: number;
  /** When one saga's transition fails, try it again after this long (default 5000 ms). */
  readonly retryDelayMs?: number;
  /** The clock deadlines are compared with (default this process's; the engines' in tests). */
  readonly now?: () => Date;
  /** Failures (a round that failed, a saga whose transition failed) for metrics and alerts; the logger reports them too. */
  readonly onError?: (err: unknown, saga?: { readonly sagaType: string; readonly sagaId: string }) => void;
  /** Failed rounds and transitions (default: concise lines on stderr). */
  readonly logger?: Logger;
}

export interface SagaPollerMetrics {
  readonly running: boolean;
  readonly rounds: number;
  /** Deadlines acted on (transitions written). */
  readonly fired: number;
  /** Sagas whose transition failed and was postponed. */
  readonly failed: number;
  /** Rounds that failed as a whole (database unavailable). */
  readonly roundFailures: number;
}

export class SagaTimeoutPoller {
  private readonly engines = new Map<string, SagaRuntime>();
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly now: () => Date;
  private abort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private counts = { rounds: 0, fired: 0, failed: 0, roundFailures: 0 };
  private readonly log: Logger;
  private unobserve: (() => void) | undefined;

  constructor(private readonly options: SagaTimeoutPollerOptions) {
    for (const e of options.engines) {
      if (this.engines.has(e.sagaType)) throw new RangeError(`eventsmith: two engines for saga ${e.sagaType}`);
      this.engines.set(e.sagaType, e);
    }
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 5000;
    this.now = options.now ?? (() => new Date());
    this.log = componentLogger(options.logger, 'saga-poller');
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new RangeError('eventsmith: batchSize must be a positive integer');
  }

  /** Starts polling in the background until stop(). */
  start(): void {
    if (this.loopDone) return;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.unobserve ??= this.observe();
    this.loopDone = this.loop();
  }

  /** Lets the round in flight commit, then stops. Idempotent; start() may follow. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loopDone;
    this.loopDone = undefined;
    this.unobserve?.();
    this.unobserve = undefined;
  }

  metrics(): SagaPollerMetrics {
    return { running: this.loopDone !== undefined && !this.abort.signal.aborted, ...this.counts };
  }

  /** Saga instances of this poller's types by status (running, compensating, parked, …), read at collection. */
  private observe(): () => void {
    return new Instruments().gauges({ 'eventsmith.saga.instances': { description: 'Saga instances by saga type and status', unit: '{saga}' } }, async (observe) => {
      const types = [...this.engines.keys()];
      const result = await this.options.pool.query(
        'SELECT saga_type, status, count(*)::int AS n FROM eventsmith_saga_state WHERE saga_type = ANY($1::text[]) GROUP BY saga_type, status',
        [types],
      );
      const seen = new Map<string, number>();
      for (const r of result.rows as Array<{ saga_type: string; status: string; n: number }>) seen.set(`${r.saga_type}\0${r.status}`, r.n);
      // Every status of every type, zeros included: an alert on parked sagas needs the series to exist.
      for (const type of types) {
        for (const status of ['running', 'compensating', 'completed', 'compensated', 'parked']) {
          observe('eventsmith.saga.instances', seen.get(`${type}\0${status}`) ?? 0, { 'eventsmith.saga.type': type, 'eventsmith.saga.status': status });
        }
      }
    });
  }

  /** One round: fires the due deadlines (at most batchSize) in one transaction; returns how many were acted on. */
  async runOnce(): Promise<number> {
    return (await this.round()).fired;
  }

  /** `full`: the round locked batchSize rows, so more may be due already. */
  private async round(): Promise<{ readonly fired: number; readonly full: boolean }> {
    const now = this.now();
    const types = [...this.engines.keys()];
    const result = await inTransaction(this.options.pool, async (tx) => {
      const due = await lockDueSagas(tx, types, now, this.batchSize);
      let fired = 0;
      for (const row of due) {
        const engine = this.engines.get(row.sagaType);
        if (engine === undefined) continue;
        await tx.query('SAVEPOINT eventsmith_saga_timeout');
        try {
          if ((await engine.onDue(tx, row, now)) !== undefined) fired++;
          await tx.query('RELEASE SAVEPOINT eventsmith_saga_timeout');
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT eventsmith_saga_timeout');
          await postponeTimeout(tx, row.sagaType, row.sagaId, new Date(now.getTime() + this.retryDelayMs));
          this.counts.failed++;
          this.options.onError?.(err, { sagaType: row.sagaType, sagaId: row.sagaId });
          this.log.error({ err, saga: row.sagaType, sagaId: row.sagaId }, `acting on the saga's deadline failed; trying again in ${this.retryDelayMs} ms`);
        }
      }
      return { fired, locked: due.length };
    });
    this.counts.rounds++;
    this.counts.fired += result.fired;
    return { fired: result.fired, full: result.locked === this.batchSize };
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      let full = false;
      try {
        full = (await this.round()).full;
        failures = 0;
      } catch (err) {
        this.counts.roundFailures++;
        this.options.onError?.(new Error(`eventsmith: saga timeout round failed: ${errorMessage(err)}`, { cause: err }));
        const delay = backoffDelay(++failures, { initialMs: 100, maxMs: 5_000 });
        if (!signal.aborted) this.log.warn({ err, failedRounds: failures }, `round failed; retrying in ${delay} ms`);
        await sleep(delay, signal);
        continue;
      }
      if (full) continue;
      let wait = this.intervalMs;
      try {
        const next = await nextDeadline(this.options.pool, [...this.engines.keys()]);
        if (next !== null) wait = Math.min(wait, Math.max(5, next.getTime() - this.now().getTime() + 5));
      } catch {
        // The next round reports a database that is down.
      }
      await sleep(wait, signal);
    }
  }
}
