/**
 * The saga engine: runs one SagaDefinition against eventsmith_saga_state and the outbox.
 *
 * - `accept(message, context)`, the consumer runner's handler (`handler()`): the messages of one
 *   consumer transaction are decided together before its COMMIT, with one read of their sagas
 *   and one write of all their transitions and commands (two statements instead of two per
 *   message); each as `handle` would decide it, in order.
 * - `handle(tx, message)` in a consumer handler: starts a saga on its start event, otherwise finds
 *   the saga by the message's correlationid, asks the machine (machine.ts) what follows, and
 *   writes the transition (row + outbox rows of the commands it sends) in the caller's
 *   transaction, next to the consumer's processed mark. Messages the saga does not wait for
 *   (duplicates, late answers, events of finished sagas) are acknowledged and ignored.
 * - `onDue(tx, row)` for the timeout poller (poller.ts), `resume` for operators.
 *
 * Optimistic concurrency: the row is read without a lock and written only from the version it
 * was read at. When another transaction moved it meanwhile (the poller firing a deadline while
 * an answer arrives), the write matches nothing, and the engine reloads and decides again in the
 * same transaction: each transition is decided on the state it replaces.
 *
 * Why that keeps commands in order for the outbox relay, which delivers in transaction-id order:
 * a command sent in answer to another transition's command is decided after that transition
 * committed. Only the poller acts without a message, and it locks its rows (FOR UPDATE, which
 * gives its transaction its id) before deciding, so no transition it writes can follow, in
 * commit order, one written by a transaction with a larger id.
 */
import type { CloudEvent } from '../cloudevents.js';
import { DeferredEventError, type HandlerContext } from '../kafka/consumer.js';
import { type Logger, componentLogger } from '../logger.js';
import { type ConnectionPool, type Queryable, inTransaction } from '../postgres/db.js';
import { SagaConflictError, SagaStateError } from './errors.js';
import { type Context, type Span, contextFromHeaders, failSpan, otel, startSpan, traceHeadersOf, withSpan } from '../telemetry/otel.js';
import { type Counter, Instruments } from '../telemetry/metrics.js';
import { type NextState, type Outgoing, SagaMachine, type Transition } from './machine.js';
import { type CommandEnvelope, type SagaWrite, type StoredSaga, insertSaga, loadSaga, loadSagas, updateSaga, writeSagas } from './store.js';
import type {
  ParkedSaga,
  SagaDefinition,
  SagaHandleResult,
  SagaIgnoreReason,
  SagaInstance,
  SagaMessage,
  SagaStatus,
  SagaTransition,
  SagaTrigger,
  SentCommand,
} from './types.js';

export interface SagaEngineOptions {
  /** The clock of deadlines (default: this process's). Tests move it forward. */
  readonly now?: () => Date;
  /**
   * Called when a transition parks a saga, in that transition's transaction (after its writes,
   * before the commit): write through `tx` to record or notify transactionally (an outbox row,
   * a table). At least once: if the transaction rolls back, the transition is made again later
   * and the hook called again. listParkedSagas is the authoritative view.
   */
  readonly onParked?: (saga: ParkedSaga, tx: Queryable) => Promise<void> | void;
  /**
   * Called after every transition's writes, in its transaction, before the commit
   * (observability; fault injection in tests: throw to roll back, or kill the process).
   */
  readonly onTransition?: (transition: SagaTransition, tx: Queryable) => Promise<void> | void;
  /** Reloads after a concurrency conflict before giving up with SagaConflictError (default 20). */
  readonly maxConflicts?: number;
  /**
   * Parked sagas (error), timed-out steps and failed compensations (warn), failed steps and
   * compensated sagas (info), every other transition (debug); default: concise lines on stderr. Logged when the transition is written,
   * in its transaction: a transition rolled back and made again is logged again.
   */
  readonly logger?: Logger;
}

/**
 * Counts of this engine object's transitions, as written (a transition whose enclosing
 * transaction later rolls back is counted and, when the message is retried, counted again).
 * countSagas(db) gives the database's view across all processes.
 */
export interface SagaMetrics {
  readonly started: number;
  readonly completed: number;
  readonly compensated: number;
  readonly parked: number;
  readonly resumed: number;
  readonly stepsSucceeded: number;
  readonly stepsFailed: number;
  /** Steps given up on after their deadline (including the saga's deadline). */
  readonly stepsTimedOut: number;
  readonly compensationsFailed: number;
  /** Commands sent again with the same id after a deadline passed. */
  readonly resends: number;
  /** Outbox rows written. */
  readonly commandsSent: number;
  readonly ignored: number;
  readonly ignoredByReason: Readonly<Partial<Record<SagaIgnoreReason, number>>>;
  /** Writes that found the row moved on, and were decided again. */
  readonly conflicts: number;
}

/** An engine without its context type: what consumers, the timeout poller and operator tools need. */
export interface SagaRuntime {
  readonly sagaType: string;
  readonly eventTypes: ReadonlySet<string>;
  handles(type: string): boolean;
  handle(tx: Queryable, message: SagaMessage): Promise<SagaHandleResult>;
  /** Takes one message in a consumer's handler: batched over its transaction when the runner gives a scope (SagaEngine.accept). */
  accept(message: SagaMessage, context: HandlerContext): Promise<void>;
  /** Fires the stored deadline of a row this transaction has locked. */
  onDue(tx: Queryable, row: StoredSaga, now: Date): Promise<SagaTransition | undefined>;
  resume(pool: ConnectionPool, sagaId: string, options?: ResumeOptions): Promise<SagaTransition | undefined>;
}

export interface ResumeOptions {
  /**
   * Do not send the stuck compensation again: a person has undone the step by hand. The saga
   * carries on with the next compensation.
   */
  readonly skipCompensation?: boolean;
}

/** The saga message of a consumed CloudEvent (its data already decoded and upcast). */
export function sagaMessageOf(event: CloudEvent<string, unknown>): SagaMessage {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    aggregateId: event.subject,
    ...(event.correlationid !== undefined ? { correlationId: event.correlationid } : {}),
    ...(event.causationid !== undefined ? { causationId: event.causationid } : {}),
  };
}

/** A consumer-runner handler that accepts any event type (assignable to every EventHandler). */
export type SagaEventHandler = (event: CloudEvent<string, unknown>, context: HandlerContext) => Promise<void>;

type Counters = { -readonly [K in Exclude<keyof SagaMetrics, 'ignoredByReason'>]: number };

/** A message queued in a consumer transaction (SagaEngine.accept). */
interface Queued {
  readonly message: SagaMessage;
  /** Its place among the transaction's messages for this engine. */
  readonly ord: number;
  /** The context its handler ran in: the parent of its transition's span. */
  readonly parent: Context | undefined;
}

/** One consumer transaction's queued messages, by saga id in the order first seen. */
interface SagaBatch {
  readonly sagas: Map<string, Queued[]>;
  count: number;
}

/** A transition decided in a batch, written or not yet. */
interface Planned<C> {
  readonly ord: number;
  readonly messageId: string;
  readonly transition: SagaTransition;
  readonly next: NextState<C> & { readonly contextJson: unknown };
  readonly from: { readonly status: SagaStatus | null; readonly step: string | null };
  readonly span: Span | undefined;
}

/** One saga's queued messages decided: its transitions, what it ignored, and the row to write. */
interface Plan<C> {
  readonly sagaId: string;
  readonly queued: Queued[];
  readonly steps: Planned<C>[];
  readonly ignored: Array<{ readonly reason: SagaIgnoreReason; readonly sagaId: string }>;
  readonly write: SagaWrite | undefined;
}

export class SagaEngine<C> implements SagaRuntime {
  private readonly machine: SagaMachine<C>;
  private readonly now: () => Date;
  private readonly maxConflicts: number;
  private readonly counts: Counters = {
    started: 0,
    completed: 0,
    compensated: 0,
    parked: 0,
    resumed: 0,
    stepsSucceeded: 0,
    stepsFailed: 0,
    stepsTimedOut: 0,
    compensationsFailed: 0,
    resends: 0,
    commandsSent: 0,
    ignored: 0,
    conflicts: 0,
  };
  private readonly ignoredByReason: Partial<Record<SagaIgnoreReason, number>> = {};
  private readonly log: Logger;
  private readonly transitions: Counter;
  private readonly timeouts: Counter;

  constructor(
    readonly definition: SagaDefinition<C>,
    private readonly options: SagaEngineOptions = {},
  ) {
    this.machine = new SagaMachine(definition);
    const instruments = new Instruments();
    this.transitions = instruments.counter('eventsmith.saga.transitions', 'Saga transitions written (by saga, what happened and the status reached)', '{transition}');
    this.timeouts = instruments.counter('eventsmith.saga.timeouts', 'Saga deadlines acted on (resends, timed-out steps, compensation retries, parking)', '{timeout}');
    this.now = options.now ?? (() => new Date());
    this.maxConflicts = options.maxConflicts ?? 20;
    this.log = componentLogger(options.logger, 'saga', { saga: definition.name });
  }

  get sagaType(): string {
    return this.definition.name;
  }

  /** The start event type and every type a step or compensation waits for: subscribe to these. */
  get eventTypes(): ReadonlySet<string> {
    return this.machine.eventTypes;
  }

  handles(type: string): boolean {
    return this.machine.eventTypes.has(type);
  }

  /**
   * Applies one received event: starts a saga, moves one, or ignores the event (the result says
   * why). Call it in the transaction of the consumer's processed mark (HandlerContext.tx).
   */
  async handle(tx: Queryable, message: SagaMessage): Promise<SagaHandleResult> {
    if (!this.handles(message.type)) return this.ignored('not-a-saga-event');
    if (message.type === this.definition.startedBy) {
      const now = this.now();
      const { sagaId, decision } = this.machine.start(message, now);
      const span = this.span(sagaId, 'start');
      try {
        const trace = traceHeadersOf(span);
        // The trace the saga started in, kept for timeouts fired later (in any process).
        const started = trace === undefined ? decision.next : { ...decision.next, book: { ...decision.next.book, start: { ...decision.next.book.start, trace } } };
        const next = this.withJson(started);
        const version = await insertSaga(tx, this.sagaType, sagaId, next, decision.commands, this.envelope(sagaId, now, trace));
        if (version === undefined) {
          span?.setAttribute('eventsmith.saga.ignored', 'duplicate-start');
          span?.end();
          return this.ignored('duplicate-start', sagaId);
        }
        const transition = this.transition(sagaId, 'start', message.id, decision.what, { status: null, step: null }, next, version, decision.commands);
        await this.after(tx, transition, next, undefined);
        this.endSpan(span, transition);
        return { outcome: 'started', sagaId, transition };
      } catch (err) {
        failSpan(span, err);
        throw err;
      }
    }
    const sagaId = message.correlationId;
    if (sagaId === undefined || sagaId === '') return this.ignored('uncorrelated');
    for (let conflicts = 0; ; conflicts++) {
      const stored = await loadSaga(tx, this.sagaType, sagaId);
      if (stored === undefined) return this.ignored('unknown-saga', sagaId);
      const instance = this.decode(stored);
      const now = this.now();
      const decision = this.machine.onMessage(instance, message, now);
      if (decision.kind === 'ignore') return this.ignored(decision.reason, sagaId);
      const transition = await this.write(tx, instance, decision, 'event', message.id, now);
      if (transition !== undefined) return { outcome: 'advanced', sagaId, transition };
      this.conflict(sagaId, conflicts);
    }
  }

  /**
   * A handler for the consumer runner: every event type of `eventTypes` can be routed to it. In
   * the runner (HandlerContext.transaction) the transaction's events are decided together before
   * its COMMIT: one statement reads their sagas, one writes every transition and command (see
   * `accept`); called without a transaction scope, each event is handled at once.
   */
  handler(): SagaEventHandler {
    return async (event, context) => {
      await this.accept(sagaMessageOf(event), context);
    };
  }

  /**
   * Takes one message of a consumer transaction. With a transaction scope it is queued, and the
   * scope's beforeCommit decides the queued messages saga by saga, in the order they came: the
   * sagas not started in the transaction are read in one statement, the transitions are decided
   * in memory (a saga's second message on the state its first one left), and one statement
   * writes each saga's last state and all its commands from the version read. A saga that moved
   * meanwhile (the poller) writes nothing and is read and decided again, as `handle` does. What
   * differs from `handle` per message: hooks (onTransition, onParked) run after that statement,
   * and a handler later in the same transaction reads the saga rows as they were before it.
   */
  async accept(message: SagaMessage, context: HandlerContext): Promise<void> {
    const scope = context.transaction;
    if (scope === undefined) {
      await this.handle(context.tx, message);
      return;
    }
    const batch = scope.state(this, (): SagaBatch => {
      const made: SagaBatch = { sagas: new Map(), count: 0 };
      scope.beforeCommit(() => this.flush(context.tx, made));
      return made;
    });
    if (!this.handles(message.type)) {
      this.ignored('not-a-saga-event');
      return;
    }
    const sagaId = message.type === this.definition.startedBy ? this.machine.sagaIdOf(message) : message.correlationId;
    if (sagaId === undefined || sagaId === '') {
      this.ignored('uncorrelated');
      return;
    }
    const queued: Queued = { message, ord: batch.count++, parent: otel?.context.active() };
    const list = batch.sagas.get(sagaId);
    if (list === undefined) batch.sagas.set(sagaId, [queued]);
    else list.push(queued);
  }

  /** Decides and writes the queued messages of one transaction (see accept). */
  private async flush(tx: Queryable, batch: SagaBatch): Promise<void> {
    let todo = [...batch.sagas.entries()];
    // A saga started in this transaction has no row to read (a duplicate start finds it at the write).
    let rows = await loadSagas(
      tx,
      this.sagaType,
      todo.filter(([, queued]) => queued[0]?.message.type !== this.definition.startedBy).map(([sagaId]) => sagaId),
    );
    const written: Planned<C>[] = [];
    const ignored: Array<{ readonly reason: SagaIgnoreReason; readonly sagaId: string }> = [];
    for (let conflicts = 0; todo.length > 0; conflicts++) {
      const plans = todo.map(([sagaId, queued]) => this.plan(sagaId, queued, rows.get(sagaId)));
      const writes = plans.filter((p) => p.steps.length > 0);
      const done = await writeSagas(tx, this.sagaType, writes.map((p) => p.write as SagaWrite));
      const again: Array<[string, Queued[]]> = [];
      for (const p of plans) {
        if (p.steps.length === 0 || done.has(p.sagaId)) {
          written.push(...p.steps);
          ignored.push(...p.ignored);
          continue;
        }
        for (const step of p.steps) {
          step.span?.setAttribute('eventsmith.saga.conflict', true);
          step.span?.end();
        }
        // A start that found the saga there is no conflict: read again, it is a duplicate start.
        if (p.write?.expectedVersion !== undefined) this.conflict(p.sagaId, conflicts);
        again.push([p.sagaId, p.queued]);
      }
      todo = again;
      if (todo.length > 0) rows = await loadSagas(tx, this.sagaType, todo.map(([sagaId]) => sagaId));
    }
    for (const i of ignored) this.ignored(i.reason, i.sagaId);
    written.sort((a, b) => a.ord - b.ord);
    for (let k = 0; k < written.length; k++) {
      const step = written[k] as Planned<C>;
      try {
        await this.after(tx, step.transition, step.next, step.from.status ?? undefined);
        this.endSpan(step.span, step.transition);
      } catch (err) {
        failSpan(step.span, err);
        for (const rest of written.slice(k + 1)) rest.span?.end();
        throw new DeferredEventError(step.messageId, err);
      }
    }
  }

  /**
   * One saga's queued messages decided in order from `stored` (undefined: no row), each on the
   * state the one before left; what `handle` would decide for each, written as one row.
   */
  private plan(sagaId: string, queued: Queued[], stored: StoredSaga | undefined): Plan<C> {
    const steps: Planned<C>[] = [];
    const ignored: Plan<C>['ignored'] = [];
    const sends: Array<SagaWrite['sends'][number]> = [];
    let instance: SagaInstance<C> | undefined;
    try {
      instance = stored === undefined ? undefined : this.decode(stored);
    } catch (err) {
      throw new DeferredEventError((queued[0] as Queued).message.id, err);
    }
    let last: (NextState<C> & { readonly contextJson: unknown }) | undefined;
    let inserted = false;
    for (const q of queued) {
      const { message } = q;
      const now = this.now();
      let span: Span | undefined;
      try {
        let decided: { readonly what: string; readonly next: NextState<C>; readonly commands: readonly Outgoing[] };
        let trigger: SagaTrigger;
        if (message.type === this.definition.startedBy) {
          if (instance !== undefined) {
            ignored.push({ reason: 'duplicate-start', sagaId });
            continue;
          }
          trigger = 'start';
          span = this.span(sagaId, 'start', q.parent);
          const { decision } = this.machine.start(message, now);
          const trace = traceHeadersOf(span);
          // The trace the saga started in, kept for timeouts fired later (in any process).
          decided = trace === undefined ? decision : { ...decision, next: { ...decision.next, book: { ...decision.next.book, start: { ...decision.next.book.start, trace } } } };
          inserted = true;
        } else {
          if (instance === undefined) {
            ignored.push({ reason: 'unknown-saga', sagaId });
            continue;
          }
          const decision = this.machine.onMessage(instance, message, now);
          if (decision.kind === 'ignore') {
            ignored.push({ reason: decision.reason, sagaId });
            continue;
          }
          trigger = 'event';
          span = this.span(sagaId, 'event', q.parent);
          decided = decision;
        }
        const next = this.withJson(decided.next);
        const from = { status: instance?.status ?? null, step: instance?.step ?? null };
        const version = (instance?.version ?? 0) + 1;
        const transition = this.transition(sagaId, trigger, message.id, decided.what, from, next, version, decided.commands);
        sends.push({ ord: q.ord, commands: decided.commands, env: this.envelope(sagaId, now, traceHeadersOf(span)) });
        steps.push({ ord: q.ord, messageId: message.id, transition, next, from, span });
        instance = {
          sagaType: this.sagaType,
          sagaId,
          status: next.status,
          step: next.step,
          version,
          attempt: next.attempt,
          timeoutAt: next.timeoutAt,
          context: next.context,
          book: next.book,
          createdAt: instance?.createdAt ?? now,
          updatedAt: now,
        };
        last = next;
      } catch (err) {
        for (const step of steps) step.span?.end();
        failSpan(span, err);
        throw new DeferredEventError(message.id, err);
      }
    }
    const write: SagaWrite | undefined =
      last === undefined || instance === undefined
        ? undefined
        : { sagaId, expectedVersion: inserted ? undefined : stored?.version, version: instance.version, next: last, sends };
    return { sagaId, queued, steps, ignored, write };
  }

  /**
   * Acts on the passed deadline of `row` (for SagaTimeoutPoller, which has locked the row in
   * `tx`): resend, time out and compensate, retry a failed compensation, or park. Undefined if
   * nothing was due after all.
   */
  async onDue(tx: Queryable, row: StoredSaga, now: Date = this.now()): Promise<SagaTransition | undefined> {
    if (row.sagaType !== this.sagaType) throw new RangeError(`eventsmith: saga ${row.sagaType} handed to the engine of ${this.sagaType}`);
    // A deadline has no message: its span continues the trace the saga started in.
    const parent = row.book.start.trace === undefined ? undefined : contextFromHeaders(row.book.start.trace);
    const span = startSpan(`saga ${this.sagaType} timeout`, { ...(parent ? { parent } : {}), attributes: this.sagaAttributes(row.sagaId, 'timeout') });
    try {
      const transition = await withSpan(span, () => this.fireDue(tx, row, now));
      if (transition === undefined) span?.end();
      else {
        this.endSpan(span, transition);
        this.timeouts.add(1, { 'eventsmith.saga.type': this.sagaType, 'eventsmith.saga.transition': transition.what });
      }
      return transition;
    } catch (err) {
      failSpan(span, err);
      throw err;
    }
  }

  private async fireDue(tx: Queryable, row: StoredSaga, now: Date): Promise<SagaTransition | undefined> {
    let instance = this.decode(row);
    for (let conflicts = 0; ; conflicts++) {
      const decision = this.machine.onTimeout(instance, now);
      if (decision.kind === 'ignore') return undefined;
      const transition = await this.write(tx, instance, decision, 'timeout', undefined, now);
      if (transition !== undefined) return transition;
      // Only when the caller did not lock the row.
      this.conflict(row.sagaId, conflicts);
      const reloaded = await loadSaga(tx, this.sagaType, row.sagaId);
      if (reloaded === undefined) return undefined;
      instance = this.decode(reloaded);
    }
  }

  /**
   * Resumes a parked saga in a transaction of its own: its stuck compensation is sent again with
   * fresh attempts (or skipped). Undefined if the saga is not parked.
   */
  async resume(pool: ConnectionPool, sagaId: string, options: ResumeOptions = {}): Promise<SagaTransition | undefined> {
    return inTransaction(pool, async (tx) => {
      const stored = await loadSaga(tx, this.sagaType, sagaId, true);
      if (stored === undefined) return undefined;
      const instance = this.decode(stored);
      const now = this.now();
      const decision = this.machine.onResume(instance, now, options.skipCompensation === true);
      if (decision.kind === 'ignore') return undefined;
      const transition = await this.write(tx, instance, decision, 'resume', undefined, now);
      if (transition !== undefined) this.counts.resumed++;
      return transition;
    });
  }

  /** One saga as stored, its context decoded; undefined if there is none. */
  async get(db: Queryable, sagaId: string): Promise<SagaInstance<C> | undefined> {
    const stored = await loadSaga(db, this.sagaType, sagaId);
    return stored === undefined ? undefined : this.decode(stored);
  }

  metrics(): SagaMetrics {
    return { ...this.counts, ignoredByReason: { ...this.ignoredByReason } };
  }

  // ---- internals ------------------------------------------------------------------------

  private decode(row: StoredSaga): SagaInstance<C> {
    let context: C;
    try {
      context = this.definition.decodeContext(row.contextJson);
    } catch (cause) {
      throw new SagaStateError(row.sagaType, row.sagaId, 'its context cannot be decoded', { cause });
    }
    const { contextJson: _json, ...rest } = row;
    return { ...rest, context };
  }

  private withJson(next: NextState<C>): NextState<C> & { readonly contextJson: unknown } {
    return { ...next, contextJson: this.definition.encodeContext(next.context) };
  }

  private envelope(sagaId: string, now: Date, trace: ReturnType<typeof traceHeadersOf>): CommandEnvelope {
    return { sagaId, now, source: (c) => this.machine.sourceOf(c.command), ...(trace ? { trace } : {}) };
  }

  // ---- tracing --------------------------------------------------------------------------

  private sagaAttributes(sagaId: string, trigger: string): Record<string, string> {
    return { 'eventsmith.saga.type': this.sagaType, 'eventsmith.saga.id': sagaId, 'eventsmith.saga.trigger': trigger };
  }

  /** A transition's span: `saga <type> <trigger>`, under `parent` (default: the active context). */
  private span(sagaId: string, trigger: string, parent?: Context): Span | undefined {
    return startSpan(`saga ${this.sagaType} ${trigger}`, { attributes: this.sagaAttributes(sagaId, trigger), ...(parent ? { parent } : {}) });
  }

  /** Span attributes and events of a written transition, and the transitions counter. */
  private annotate(t: SagaTransition, span?: Span): void {
    this.transitions.add(1, { 'eventsmith.saga.type': this.sagaType, 'eventsmith.saga.transition': t.what, 'eventsmith.saga.status': t.to.status });
    if (span === undefined || !span.isRecording()) return;
    span.setAttributes({
      'eventsmith.saga.transition': t.what,
      'eventsmith.saga.status': t.to.status,
      ...(t.from.status !== null ? { 'eventsmith.saga.from': t.from.status } : {}),
      ...(t.from.step !== null ? { 'eventsmith.saga.from_step': t.from.step } : {}),
      ...(t.to.step !== null ? { 'eventsmith.saga.step': t.to.step } : {}),
      'eventsmith.saga.version': t.version,
      'eventsmith.saga.commands': t.commands.length,
    });
    span.addEvent(t.what, { ...(t.from.step !== null ? { 'eventsmith.saga.step': t.from.step } : {}), 'eventsmith.saga.status': t.to.status });
  }

  private endSpan(span: Span | undefined, t: SagaTransition): void {
    this.annotate(t, span);
    span?.end();
  }

  private conflict(sagaId: string, conflicts: number): void {
    this.counts.conflicts++;
    if (conflicts + 1 >= this.maxConflicts) throw new SagaConflictError(this.sagaType, sagaId, conflicts + 1);
  }

  private ignored(reason: SagaIgnoreReason, sagaId?: string): SagaHandleResult {
    this.counts.ignored++;
    this.ignoredByReason[reason] = (this.ignoredByReason[reason] ?? 0) + 1;
    return sagaId === undefined ? { outcome: 'ignored', reason } : { outcome: 'ignored', reason, sagaId };
  }

  /** Writes a decided transition from the instance's version; undefined on a conflict. */
  private async write(
    tx: Queryable,
    instance: SagaInstance<C>,
    decision: Transition<C>,
    trigger: SagaTrigger,
    messageId: string | undefined,
    now: Date,
  ): Promise<SagaTransition | undefined> {
    const next = this.withJson(decision.next);
    // Inside a timeout's span, that span; otherwise a span of its own under the active context
    // (the consumer's `process` span of the message that caused the transition).
    const span = trigger === 'timeout' ? undefined : this.span(instance.sagaId, trigger);
    try {
      const trace = traceHeadersOf(span);
      const version = await updateSaga(tx, this.sagaType, instance.sagaId, instance.version, next, decision.commands, this.envelope(instance.sagaId, now, trace));
      if (version === undefined) {
        span?.setAttribute('eventsmith.saga.conflict', true);
        span?.end();
        return undefined;
      }
      const transition = this.transition(instance.sagaId, trigger, messageId, decision.what, { status: instance.status, step: instance.step }, next, version, decision.commands);
      await this.after(tx, transition, next, instance.status);
      // A timeout's transition is annotated on the timeout's span by onDue.
      if (trigger !== 'timeout') this.endSpan(span, transition);
      return transition;
    } catch (err) {
      failSpan(span, err);
      throw err;
    }
  }

  private transition(
    sagaId: string,
    trigger: SagaTrigger,
    messageId: string | undefined,
    what: string,
    from: { readonly status: SagaStatus | null; readonly step: string | null },
    next: NextState<C>,
    version: number,
    commands: readonly Outgoing[],
  ): SagaTransition {
    const sent: SentCommand[] = commands.map(({ command: _command, causationId: _causation, ...c }) => c);
    return {
      sagaType: this.sagaType,
      sagaId,
      trigger,
      ...(messageId !== undefined ? { messageId } : {}),
      what,
      from,
      to: { status: next.status, step: next.step },
      version,
      commands: sent,
    };
  }

  private logTransition(t: SagaTransition, next: NextState<C>, parkedNow: boolean): void {
    const { level, message } = transitionLog(t, next as NextState<unknown>, parkedNow);
    this.log[level]({ sagaId: t.sagaId, what: t.what, from: t.from.status ?? undefined, to: t.to.status, step: t.to.step ?? undefined, trigger: t.trigger }, message);
  }

  /** Hooks, then counters (a hook that throws rolls the transition back: it is not counted). */
  private async after(tx: Queryable, t: SagaTransition, next: NextState<C> & { readonly contextJson: unknown }, from: SagaStatus | undefined): Promise<void> {
    await this.options.onTransition?.(t, tx);
    const parkedNow = next.status === 'parked' && from !== 'parked';
    if (parkedNow && this.options.onParked) {
      await this.options.onParked(
        {
          sagaType: this.sagaType,
          sagaId: t.sagaId,
          step: next.step,
          attempts: next.attempt,
          reason: next.book.parked?.reason ?? null,
          parkedAt: next.book.parked ? new Date(next.book.parked.at) : new Date(),
          failure: next.book.failure,
          version: t.version,
          context: next.contextJson,
          history: next.book.history,
        },
        tx,
      );
    }
    this.logTransition(t, next, parkedNow);
    const c = this.counts;
    c.commandsSent += t.commands.length;
    c.resends += t.commands.filter((x) => x.resend).length;
    switch (t.what) {
      case 'started':
        c.started++;
        break;
      case 'step-succeeded':
        c.stepsSucceeded++;
        break;
      case 'step-failed':
        c.stepsFailed++;
        break;
      case 'step-timed-out':
      case 'saga-timed-out':
        c.stepsTimedOut++;
        break;
      case 'compensation-failed':
        c.compensationsFailed++;
        break;
    }
    if (t.what === 'parked' && t.trigger === 'event') c.compensationsFailed++;
    if (parkedNow) c.parked++;
    if (next.status !== from && next.status === 'completed') c.completed++;
    if (next.status !== from && next.status === 'compensated') c.compensated++;
  }
}

/** Warnings for what needs a look, debug lines for the rest. */
function transitionLog(t: SagaTransition, next: NextState<unknown>, parkedNow: boolean): { level: keyof Logger; message: string } {
  if (parkedNow) return { level: 'error', message: `saga parked (${next.book.parked?.reason ?? 'compensation not confirmed'}); resumeParkedSaga retries it` };
  switch (t.what) {
    case 'step-failed':
      // A business outcome the saga was designed for (stock out, card declined), not a fault.
      return { level: 'info', message: `step ${t.from.step ?? ''} failed; compensating` };
    case 'step-timed-out':
    case 'saga-timed-out':
      return { level: 'warn', message: `${t.what === 'saga-timed-out' ? 'saga' : `step ${t.from.step ?? ''}`} timed out; compensating` };
    case 'compensation-failed':
      return { level: 'warn', message: `compensation of ${t.from.step ?? ''} failed; retrying it` };
    default:
      return t.to.status === 'compensated' && t.from.status !== 'compensated'
        ? { level: 'info', message: 'saga compensated' }
        : { level: 'debug', message: t.what };
  }
}

/** Resumes a parked saga (see SagaEngine.resume); undefined if it is not parked. */
export function resumeParkedSaga(pool: ConnectionPool, engine: SagaRuntime, sagaId: string, options?: ResumeOptions): Promise<SagaTransition | undefined> {
  return engine.resume(pool, sagaId, options);
}

/**
 * Consumer-runner handlers for several sagas at once, by event type: an event several sagas
 * read is handed to each of them, in the order given, in the same transaction.
 */
export function sagaHandlers(engines: readonly SagaRuntime[]): Record<string, SagaEventHandler> {
  const handlers: Record<string, SagaEventHandler> = {};
  const types = new Set<string>();
  for (const e of engines) for (const t of e.eventTypes) types.add(t);
  for (const type of types) {
    const readers = engines.filter((e) => e.handles(type));
    handlers[type] = async (event, context) => {
      const message = sagaMessageOf(event);
      for (const e of readers) await e.accept(message, context);
    };
  }
  return handlers;
}
