/**
 * The saga state machine, as pure functions: (stored instance, trigger, now) → the next state and
 * the commands to send, or "ignore". No I/O: the engine loads the row, asks the machine, and
 * writes the answer with optimistic concurrency; after a conflict it asks again.
 *
 *   start ──▶ running(step 1) ──ok──▶ running(step 2) … ──ok──▶ completed (+ onCompleted)
 *                 │ failsOn / timed out after maxAttempts sends
 *                 ▼
 *            compensating(last completed step) ──ok──▶ … ──ok──▶ compensated (+ onCompensated)
 *                 │ failsOn: resend after backoff; no answer: resend; maxAttempts reached
 *                 ▼
 *              parked ──resume──▶ compensating
 *
 * A step that times out is compensated too (its effect is uncertain): first the timed-out step,
 * then the completed ones from the last to the first. Resends after a timeout keep the command
 * id (receivers deduplicate by it);
 * a compensation sent again after a failure answer gets a new id (its receiver has processed
 * the old one).
 */
import { SagaDefinitionError, SagaStateError } from './errors.js';
import { nameUuid } from './ids.js';
import {
  type ParkReason,
  type PendingCommand,
  type SagaBook,
  type SagaCommand,
  type SagaDefinition,
  type SagaFailure,
  type SagaHistoryEntry,
  type SagaIgnoreReason,
  type SagaInstance,
  type SagaMessage,
  type SagaStatus,
  type SagaStepDefinition,
  type SentCommand,
  FINAL_STATUSES,
} from './types.js';

/** A command to write to the outbox, with the CloudEvents id and causation it goes out with. */
export interface Outgoing extends SentCommand {
  readonly command: SagaCommand;
  readonly causationId: string;
}

/** The state a transition writes. */
export interface NextState<C> {
  readonly status: SagaStatus;
  readonly step: string | null;
  readonly attempt: number;
  readonly timeoutAt: Date | null;
  readonly context: C;
  readonly book: SagaBook;
}

/** A decided transition: what happened, the state to write, the commands to send with it. */
export interface Transition<C> {
  readonly kind: 'transition';
  readonly what: string;
  readonly next: NextState<C>;
  readonly commands: readonly Outgoing[];
}

export type Decision<C> = { readonly kind: 'ignore'; readonly reason: SagaIgnoreReason } | Transition<C>;

const HISTORY_LIMIT = 100;
/** Upper bound of a compensation's backoff: doubling must not schedule it for next year. */
const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;

/** Whether an optional list of event types names `type`. */
function listed(list: readonly string[] | undefined, type: string): boolean {
  return list !== undefined && list.includes(type);
}

function later(now: Date, ms: number | undefined): Date | null {
  return ms === undefined ? null : new Date(now.getTime() + ms);
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function checkDefinition<C>(def: SagaDefinition<C>): void {
  const problems: string[] = [];
  const positive = (v: number | undefined, what: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) problems.push(`${what} must be a positive number of milliseconds, got ${v}`);
  };
  if (def.name === '') problems.push('name must not be empty');
  if (def.startedBy === '') problems.push('startedBy must not be empty');
  if (!Number.isSafeInteger(def.retry.maxAttempts) || def.retry.maxAttempts < 1) problems.push(`retry.maxAttempts must be an integer >= 1, got ${def.retry.maxAttempts}`);
  if (!(Number.isFinite(def.retry.backoffMs) && def.retry.backoffMs >= 0)) problems.push(`retry.backoffMs must be >= 0, got ${def.retry.backoffMs}`);
  positive(def.timeoutMs, 'timeoutMs');
  const names = new Set<string>();
  for (const s of def.steps) {
    const at = `step ${JSON.stringify(s.name)}`;
    if (s.name === '') problems.push('a step name must not be empty');
    if (names.has(s.name)) problems.push(`${at} is declared twice`);
    names.add(s.name);
    if (s.succeedsOn.length === 0) problems.push(`${at} has no succeedsOn event`);
    for (const t of s.succeedsOn) if (s.failsOn.includes(t)) problems.push(`${at}: ${t} is in both succeedsOn and failsOn`);
    for (const t of s.compensationSucceedsOn ?? []) if (listed(s.compensationFailsOn, t)) problems.push(`${at}: ${t} is in both compensationSucceedsOn and compensationFailsOn`);
    if (s.compensation === undefined && ((s.compensationSucceedsOn?.length ?? 0) > 0 || (s.compensationFailsOn?.length ?? 0) > 0)) {
      problems.push(`${at} lists compensation events but has no compensation`);
    }
    if ((s.compensationFailsOn?.length ?? 0) > 0 && (s.compensationSucceedsOn?.length ?? 0) === 0) {
      problems.push(`${at} lists compensationFailsOn but no compensationSucceedsOn (a compensation not waited for cannot fail)`);
    }
    for (const t of [...s.succeedsOn, ...s.failsOn, ...(s.compensationSucceedsOn ?? []), ...(s.compensationFailsOn ?? [])]) {
      if (t === def.startedBy) problems.push(`${at}: the start event ${t} cannot also answer a step`);
    }
    positive(s.timeoutMs, `${at} timeoutMs`);
  }
  if (problems.length > 0) throw new SagaDefinitionError(def.name, problems);
}

/** A transition under construction: a mutable copy of the instance plus the commands it sends. */
class Draft<C> {
  status: SagaStatus;
  step: string | null;
  attempt: number;
  timeoutAt: Date | null;
  context: C;
  completed: string[];
  toCompensate: string[];
  pending: PendingCommand | null;
  failure: SagaFailure | null;
  parked: SagaBook['parked'];
  history: SagaHistoryEntry[];
  readonly commands: Outgoing[] = [];

  constructor(
    readonly sagaId: string,
    readonly start: SagaBook['start'],
    readonly deadline: string | null,
    readonly now: Date,
    from: NextState<C>,
  ) {
    this.status = from.status;
    this.step = from.step;
    this.attempt = from.attempt;
    this.timeoutAt = from.timeoutAt;
    this.context = from.context;
    this.completed = [...from.book.completed];
    this.toCompensate = [...from.book.toCompensate];
    this.pending = from.book.pending;
    this.failure = from.book.failure;
    this.parked = from.book.parked;
    this.history = [...from.book.history];
  }

  note(what: string, step?: string | null, id?: string): void {
    this.history.push({ at: this.now.toISOString(), what, ...(step ? { step } : {}), ...(id ? { id } : {}) });
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
  }

  result(what: string): Transition<C> {
    const book: SagaBook = {
      start: this.start,
      completed: this.completed,
      toCompensate: this.toCompensate,
      pending: this.pending,
      deadline: this.deadline,
      failure: this.failure,
      parked: this.parked,
      history: this.history,
    };
    return {
      kind: 'transition',
      what,
      next: { status: this.status, step: this.step, attempt: this.attempt, timeoutAt: this.timeoutAt, context: this.context, book },
      commands: this.commands,
    };
  }
}

const ignore = (reason: SagaIgnoreReason): Decision<never> => ({ kind: 'ignore', reason });

export class SagaMachine<C> {
  private readonly byName = new Map<string, { readonly index: number; readonly def: SagaStepDefinition<C> }>();
  /** Every event type the saga reads: the start and all answers. */
  readonly eventTypes: ReadonlySet<string>;
  private readonly source: string;

  constructor(readonly def: SagaDefinition<C>) {
    checkDefinition(def);
    const types = new Set<string>([def.startedBy]);
    def.steps.forEach((s, index) => {
      this.byName.set(s.name, { index, def: s });
      for (const t of [...s.succeedsOn, ...s.failsOn, ...(s.compensationSucceedsOn ?? []), ...(s.compensationFailsOn ?? [])]) types.add(t);
    });
    this.eventTypes = types;
    this.source = def.source ?? `urn:eventsmith:saga:${def.name}`;
  }

  /** CloudEvents source of a command. */
  sourceOf(command: SagaCommand): string {
    return command.source ?? this.source;
  }

  private stepDef(sagaId: string, name: string): { readonly index: number; readonly def: SagaStepDefinition<C> } {
    const found = this.byName.get(name);
    if (found === undefined) throw new SagaStateError(this.def.name, sagaId, `step ${JSON.stringify(name)} is not a step of this saga (known: ${[...this.byName.keys()].join(', ')})`);
    return found;
  }

  private commandId(d: Draft<C>, phase: string, step: string, round: number): string {
    return nameUuid([this.def.name, d.sagaId, d.start.id, phase, step, round]);
  }

  // ---- triggers -------------------------------------------------------------------------

  /** The id of the saga a start event starts. */
  sagaIdOf(message: SagaMessage): string {
    const sagaId = this.def.correlate(message);
    if (typeof sagaId !== 'string' || sagaId === '') throw new TypeError(`eventsmith: saga ${this.def.name}: correlate() gave no saga id for ${message.type} ${message.id}`);
    return sagaId;
  }

  /** The first transition of a saga started by `message`. */
  start(message: SagaMessage, now: Date): { readonly sagaId: string; readonly decision: Transition<C> } {
    const sagaId = this.sagaIdOf(message);
    const book: SagaBook = {
      start: { id: message.id, type: message.type },
      completed: [],
      toCompensate: [],
      pending: null,
      deadline: later(now, this.def.timeoutMs)?.toISOString() ?? null,
      failure: null,
      parked: null,
      history: [],
    };
    const d = new Draft<C>(sagaId, book.start, book.deadline, now, {
      status: 'running',
      step: null,
      attempt: 0,
      timeoutAt: null,
      context: this.def.initialContext(message),
      book,
    });
    d.note('started', null, message.id);
    if (this.def.steps.length === 0) this.complete(d, message.id);
    else this.sendStep(d, 0, message.id);
    return { sagaId, decision: d.result('started') };
  }

  /** An event for an existing saga. */
  onMessage(inst: SagaInstance<C>, message: SagaMessage, now: Date): Decision<C> {
    if (FINAL_STATUSES.includes(inst.status)) return ignore('finished');
    const pending = inst.book.pending;
    if (pending === null) return ignore('unexpected');
    const causedByPending = message.causationId === undefined || message.causationId === pending.commandId;
    const { def: step } = this.stepDef(inst.sagaId, pending.step);
    if (inst.status === 'parked') {
      // The answer to the compensation that was given up on may still come: it completes it.
      if (pending.phase === 'compensation' && causedByPending && listed(step.compensationSucceedsOn, message.type)) {
        const d = this.draft(inst, now);
        d.parked = null;
        d.note('compensation-succeeded', step.name, message.id);
        d.toCompensate.shift();
        this.nextCompensation(d, message.id);
        return d.result('compensation-succeeded');
      }
      return ignore('parked');
    }
    if (!causedByPending) return ignore('late');
    // A failed compensation waiting for its backoff: answers to its last send are duplicates.
    if (pending.waiting === 'retry') return ignore('unexpected');
    const d = this.draft(inst, now);
    if (pending.phase === 'step') {
      if (step.succeedsOn.includes(message.type)) {
        d.context = this.def.recordStep(d.context, step.name, message);
        d.completed.push(step.name);
        d.note('step-succeeded', step.name, message.id);
        const next = this.stepDef(inst.sagaId, step.name).index + 1;
        if (next < this.def.steps.length) this.sendStep(d, next, message.id);
        else this.complete(d, message.id);
        return d.result('step-succeeded');
      }
      if (step.failsOn.includes(message.type)) {
        if (this.def.recordFailure) d.context = this.def.recordFailure(d.context, step.name, message);
        d.note('step-failed', step.name, message.id);
        const failure: SagaFailure = { step: step.name, reason: 'failed', eventType: message.type, eventId: message.id, at: now.toISOString() };
        this.beginCompensation(d, [...d.completed].reverse(), failure, message.id);
        return d.result('step-failed');
      }
      return ignore('unexpected');
    }
    if (listed(step.compensationSucceedsOn, message.type)) {
      d.note('compensation-succeeded', step.name, message.id);
      d.toCompensate.shift();
      this.nextCompensation(d, message.id);
      return d.result('compensation-succeeded');
    }
    if (listed(step.compensationFailsOn, message.type)) {
      d.note('compensation-failed', step.name, message.id);
      if (inst.attempt >= this.def.retry.maxAttempts) {
        this.park(d, 'compensation-failed');
        return d.result('parked');
      }
      d.pending = { ...pending, waiting: 'retry', causationId: message.id };
      d.timeoutAt = new Date(now.getTime() + Math.min(MAX_BACKOFF_MS, this.def.retry.backoffMs * 2 ** Math.max(0, inst.attempt - 1)));
      return d.result('compensation-failed');
    }
    return ignore('unexpected');
  }

  /** The poller found the instance's timeout_at passed. */
  onTimeout(inst: SagaInstance<C>, now: Date): Decision<C> {
    if (inst.timeoutAt === null || inst.timeoutAt.getTime() > now.getTime()) return ignore('unexpected');
    const d = this.draft(inst, now);
    const pending = inst.book.pending;
    if (pending === null || inst.status === 'parked' || FINAL_STATUSES.includes(inst.status)) {
      // Nothing waits for this deadline (written by an older engine, or by hand): clear it.
      d.timeoutAt = null;
      return d.result('timeout-cleared');
    }
    if (pending.phase === 'step') {
      const sagaExpired = d.deadline !== null && new Date(d.deadline).getTime() <= now.getTime();
      if (!sagaExpired && inst.attempt < this.def.retry.maxAttempts) {
        this.resend(d, pending);
        return d.result('step-resent');
      }
      d.note(sagaExpired ? 'saga-timed-out' : 'step-timed-out', pending.step, pending.commandId);
      const failure: SagaFailure = { step: pending.step, reason: sagaExpired ? 'saga-timed-out' : 'timed-out', at: now.toISOString() };
      this.beginCompensation(d, [...d.completed, pending.step].reverse(), failure, pending.commandId);
      return d.result(sagaExpired ? 'saga-timed-out' : 'step-timed-out');
    }
    if (pending.waiting === 'retry') {
      this.retryCompensation(d, pending, pending.causationId);
      return d.result('compensation-retried');
    }
    if (inst.attempt < this.def.retry.maxAttempts) {
      this.resend(d, pending);
      return d.result('compensation-resent');
    }
    d.note('compensation-timed-out', pending.step, pending.commandId);
    this.park(d, 'compensation-timed-out');
    return d.result('parked');
  }

  /** An operator resumes a parked saga: its compensation is sent again (or skipped) with fresh attempts. */
  onResume(inst: SagaInstance<C>, now: Date, skip: boolean): Decision<C> {
    const pending = inst.book.pending;
    if (inst.status !== 'parked' || pending === null) return ignore('unexpected');
    const d = this.draft(inst, now);
    d.parked = null;
    if (skip) {
      d.note('compensation-skipped', pending.step, pending.commandId);
      d.toCompensate.shift();
      this.nextCompensation(d, pending.commandId);
      return d.result('compensation-skipped');
    }
    d.note('resumed', pending.step);
    d.status = 'compensating';
    d.attempt = 0;
    this.retryCompensation(d, pending, pending.commandId);
    return d.result('resumed');
  }

  // ---- building blocks --------------------------------------------------------------------

  private draft(inst: SagaInstance<C>, now: Date): Draft<C> {
    return new Draft<C>(inst.sagaId, inst.book.start, inst.book.deadline, now, inst);
  }

  private emit(d: Draft<C>, command: SagaCommand, fields: Omit<Outgoing, 'command' | 'type' | 'key'>): void {
    d.commands.push({ command, type: command.type, key: command.key, ...fields });
  }

  private sendStep(d: Draft<C>, index: number, causationId: string): void {
    const step = this.def.steps[index] as SagaStepDefinition<C>;
    const id = this.commandId(d, 'step', step.name, 0);
    this.emit(d, step.command(d.context), { id, outboxId: id, causationId, phase: 'step', step: step.name, attempt: 1, resend: false });
    d.pending = { phase: 'step', step: step.name, commandId: id, causationId, sends: 1, retries: 0, waiting: 'reply' };
    d.status = 'running';
    d.step = step.name;
    d.attempt = 1;
    d.timeoutAt = earliest(later(d.now, step.timeoutMs), d.deadline === null ? null : new Date(d.deadline));
    d.note('step-sent', step.name, id);
  }

  private compensationTimeout(step: SagaStepDefinition<C>): number | undefined {
    return step.timeoutMs ?? this.def.timeoutMs;
  }

  private buildPending(d: Draft<C>, pending: PendingCommand): SagaCommand {
    const { def: step } = this.stepDef(d.sagaId, pending.step);
    if (pending.phase === 'step') return step.command(d.context);
    if (step.compensation === undefined) throw new SagaStateError(this.def.name, d.sagaId, `step ${step.name} has no compensation any more`);
    return step.compensation(d.context, this.failureOf(d));
  }

  private failureOf(d: Draft<C>): SagaFailure {
    if (d.failure === null) throw new SagaStateError(this.def.name, d.sagaId, 'compensating without a recorded failure');
    return d.failure;
  }

  /** The same message again (same CloudEvents id and causation) in a new outbox row. */
  private resend(d: Draft<C>, pending: PendingCommand): void {
    const sends = pending.sends + 1;
    const outboxId = nameUuid([pending.commandId, 'resend', sends]);
    d.attempt += 1;
    this.emit(d, this.buildPending(d, pending), {
      id: pending.commandId,
      outboxId,
      causationId: pending.causationId,
      phase: pending.phase,
      step: pending.step,
      attempt: d.attempt,
      resend: true,
    });
    d.pending = { ...pending, sends };
    const { def: step } = this.stepDef(d.sagaId, pending.step);
    d.timeoutAt =
      pending.phase === 'step'
        ? earliest(later(d.now, step.timeoutMs), d.deadline === null ? null : new Date(d.deadline))
        : later(d.now, this.compensationTimeout(step));
    d.note(pending.phase === 'step' ? 'step-resent' : 'compensation-resent', pending.step, pending.commandId);
  }

  /** A compensation sent again as a new command (its receiver processed the previous id). */
  private retryCompensation(d: Draft<C>, pending: PendingCommand, causationId: string): void {
    const retries = pending.retries + 1;
    const id = this.commandId(d, 'compensation', pending.step, retries);
    const next: PendingCommand = { phase: 'compensation', step: pending.step, commandId: id, causationId, sends: 1, retries, waiting: 'reply' };
    d.attempt += 1;
    this.emit(d, this.buildPending(d, next), { id, outboxId: id, causationId, phase: 'compensation', step: pending.step, attempt: d.attempt, resend: false });
    d.pending = next;
    d.timeoutAt = later(d.now, this.compensationTimeout(this.stepDef(d.sagaId, pending.step).def));
    d.note('compensation-sent', pending.step, id);
  }

  private complete(d: Draft<C>, causationId: string): void {
    d.status = 'completed';
    d.step = null;
    d.attempt = 0;
    d.pending = null;
    d.timeoutAt = null;
    if (this.def.onCompleted) {
      const id = this.commandId(d, 'completed', '', 0);
      this.emit(d, this.def.onCompleted(d.context), { id, outboxId: id, causationId, phase: 'completed', step: null, attempt: 1, resend: false });
    }
    d.note('completed');
  }

  /** Compensates `steps` (in the given order; those without a compensation are passed over). */
  private beginCompensation(d: Draft<C>, steps: readonly string[], failure: SagaFailure, causationId: string): void {
    d.failure = failure;
    d.toCompensate = steps.filter((name) => this.stepDef(d.sagaId, name).def.compensation !== undefined);
    this.nextCompensation(d, causationId);
  }

  /** Sends the next compensation; those not waited for are sent and passed at once. */
  private nextCompensation(d: Draft<C>, causationId: string): void {
    const failure = this.failureOf(d);
    for (;;) {
      const name = d.toCompensate[0];
      if (name === undefined) break;
      const step = this.stepDef(d.sagaId, name).def;
      if (step.compensation === undefined) {
        d.toCompensate.shift();
        continue;
      }
      const id = this.commandId(d, 'compensation', name, 0);
      this.emit(d, step.compensation(d.context, failure), { id, outboxId: id, causationId, phase: 'compensation', step: name, attempt: 1, resend: false });
      d.note('compensation-sent', name, id);
      if ((step.compensationSucceedsOn?.length ?? 0) > 0) {
        d.pending = { phase: 'compensation', step: name, commandId: id, causationId, sends: 1, retries: 0, waiting: 'reply' };
        d.status = 'compensating';
        d.step = name;
        d.attempt = 1;
        d.timeoutAt = later(d.now, this.compensationTimeout(step));
        return;
      }
      d.toCompensate.shift();
    }
    d.status = 'compensated';
    d.step = null;
    d.attempt = 0;
    d.pending = null;
    d.timeoutAt = null;
    if (this.def.onCompensated) {
      const id = this.commandId(d, 'compensated', '', 0);
      this.emit(d, this.def.onCompensated(d.context, failure), { id, outboxId: id, causationId, phase: 'compensated', step: null, attempt: 1, resend: false });
    }
    d.note('compensated');
  }

  private park(d: Draft<C>, reason: ParkReason): void {
    d.status = 'parked';
    d.timeoutAt = null;
    d.parked = { reason, at: d.now.toISOString() };
    d.note('parked', d.step);
  }
}
