// A saga in memory: the engine's own state machine (runtime/saga/machine.ts, the code SagaEngine
// runs between loading and writing a row), a clock the test moves, and the commands each
// transition sends, decoded with the domain's codecs. Between transitions the context goes
// through the definition's encodeContext / JSON / decodeContext, as through the jsonb column, so
// a context that would not survive PostgreSQL does not survive the kit either. No PostgreSQL,
// no Kafka: the poller's part is `advance(ms)`, the consumer's is `reply(...)`.
import { SagaMachine, type Decision, type NextState, type Outgoing } from '../saga/machine.js';
import type { SagaBook, SagaCommand, SagaDefinition, SagaIgnoreReason, SagaInstance, SagaMessage, SagaStatus } from '../saga/types.js';
import { assertEqual } from './assert.js';

/** The decoding half of a codec: any `AvroCodec<T>` is one. */
export interface CommandDecoder {
  fromBinary(bytes: Uint8Array): unknown;
  fromJson(text: string): unknown;
}

/** Codecs by CloudEvents type and version: a generated domain's `commandCodecs` table. */
export type CommandCodecTable = { readonly [type: string]: { readonly [version: number]: CommandDecoder } };

export interface SagaKitOptions {
  /** The clock's start. Default 2030-01-01T00:00:00.000Z. */
  readonly now?: Date;
  /** Decodes the commands the saga sends, for assertions on their data. Without it `data` is the payload bytes. */
  readonly commandCodecs?: CommandCodecTable;
}

/** A command the saga sent, as its receiver would decode it. */
export interface KitSentCommand<T extends string = string, D = unknown> {
  readonly type: T;
  /** Target aggregate id (Kafka key). */
  readonly key: string;
  readonly data: D;
  /** CloudEvents id: the same for a resend after a timeout. */
  readonly id: string;
  readonly phase: Outgoing['phase'];
  readonly step: string | null;
  /** 1 for a first send. */
  readonly attempt: number;
}

/** What `expectSent` compares: the type, and the key and data when given. */
export type ExpectedCommand<Cmds> = { [K in keyof Cmds & string]: { readonly type: K; readonly key?: string; readonly data?: Cmds[K] } }[keyof Cmds & string];

export interface ReplyOptions {
  /** The aggregate that emitted the event. Default: the target of the command it answers. */
  readonly aggregateId?: string;
  /** Default: the command in flight (an answer to it); give another id to send a late answer. */
  readonly causationId?: string;
  readonly id?: string;
}

const FAR_PAST = new Date('2030-01-01T00:00:00.000Z');

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * One saga instance driven by a test. `Start` is the start event's data (latest version); `Events` maps each CloudEvents type the saga reads to its
 * data (latest version); `Cmds` each command type it sends to its data.
 */
export class SagaKit<C, Start = unknown, Events extends Record<string, unknown> = Record<string, unknown>, Cmds extends Record<string, unknown> = Record<string, unknown>> {
  private readonly machine: SagaMachine<C>;
  private clock: Date;
  private instance: SagaInstance<C> | undefined;
  private readonly all: KitSentCommand[] = [];
  private unchecked = 0;
  private seq = 0;
  /** Why the last event or timeout changed nothing (the engine's ignore reason), if it did not. */
  lastIgnored: SagaIgnoreReason | undefined;
  /** The transitions so far, by their name (`started`, `step-completed`, `step-resent`, …). */
  readonly transitions: string[] = [];

  constructor(
    readonly definition: SagaDefinition<C>,
    private readonly options: SagaKitOptions = {},
  ) {
    this.machine = new SagaMachine(definition);
    this.clock = options.now ?? FAR_PAST;
  }

  get now(): Date {
    return new Date(this.clock.getTime());
  }

  /** The stored instance (after the context's round trip); throws before `start`. */
  get state(): SagaInstance<C> {
    if (this.instance === undefined) throw new Error(`eventsmith/testing: saga ${this.definition.name} has not started; call start() first`);
    return this.instance;
  }

  get status(): SagaStatus {
    return this.state.status;
  }

  /** Every command sent so far, in order. */
  get sent(): readonly KitSentCommand[] {
    return this.all;
  }

  /** The start event arrives. */
  start(data: Start, options: { readonly aggregateId: string; readonly id?: string }): this {
    const message: SagaMessage = { id: options.id ?? this.nextId(), type: this.definition.startedBy, data, aggregateId: options.aggregateId };
    const { sagaId, decision } = this.machine.start(message, this.now);
    this.apply(sagaId, decision);
    return this;
  }

  /** An event the saga reads arrives, by default as the answer to the command in flight. */
  reply<K extends keyof Events & string>(type: K, data: Events[K], options: ReplyOptions = {}): this {
    const inst = this.state;
    const pending = inst.book.pending;
    const target = [...this.all].reverse().find((c) => c.id === pending?.commandId);
    const message: SagaMessage = {
      id: options.id ?? this.nextId(),
      type,
      correlationId: inst.sagaId,
      causationId: options.causationId ?? pending?.commandId,
      data,
      aggregateId: options.aggregateId ?? target?.key ?? inst.sagaId,
    };
    this.apply(inst.sagaId, this.machine.onMessage(inst, message, this.now));
    return this;
  }

  /**
   * Moves the clock by `ms`; every stored deadline that passes on the way fires at its time, as
   * the timeout poller would fire it (resends, timeouts, compensation retries, parking).
   */
  advance(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`eventsmith/testing: advance(ms) needs a number >= 0, got ${ms}`);
    const until = this.clock.getTime() + ms;
    for (let fired = 0; this.instance !== undefined && this.instance.timeoutAt !== null && this.instance.timeoutAt.getTime() <= until; fired++) {
      if (fired > 10_000) throw new Error(`eventsmith/testing: saga ${this.definition.name} keeps rescheduling its deadline`);
      this.clock = new Date(Math.max(this.clock.getTime(), this.instance.timeoutAt.getTime()));
      this.apply(this.instance.sagaId, this.machine.onTimeout(this.instance, this.now));
    }
    this.clock = new Date(until);
    return this;
  }

  /** An operator resumes the parked saga (resumeParkedSaga): its compensation is sent again, or skipped. */
  resume(options: { readonly skipCompensation?: boolean } = {}): this {
    const inst = this.state;
    this.apply(inst.sagaId, this.machine.onResume(inst, this.now, options.skipCompensation === true));
    return this;
  }

  /** Asserts the commands sent since the last `expectSent` (or the start), in order. */
  expectSent(...expected: ExpectedCommand<Cmds>[]): this {
    const fresh = this.all.slice(this.unchecked);
    this.unchecked = this.all.length;
    const shown = fresh.map((c, i) => {
      const want: { readonly key?: unknown; readonly data?: unknown } | undefined = expected[i];
      return { type: c.type, ...(want?.key !== undefined ? { key: c.key } : {}), ...(want !== undefined && 'data' in want ? { data: c.data } : {}) };
    });
    assertEqual(shown, expected, `saga ${this.definition.name}: the commands sent`);
    return this;
  }

  /** Asserts the status (and the step in flight, when given). */
  expectStatus(status: SagaStatus, step?: string | null): this {
    const inst = this.state;
    assertEqual(step === undefined ? { status: inst.status } : { status: inst.status, step: inst.step }, step === undefined ? { status } : { status, step }, `saga ${this.definition.name}`);
    return this;
  }

  /** Deterministic CloudEvents ids, so command ids (derived from them) are the same on every run. */
  private nextId(): string {
    this.seq++;
    return `00000000-0000-4000-8000-${this.seq.toString(16).padStart(12, '0')}`;
  }

  private apply(sagaId: string, decision: Decision<C>): void {
    if (decision.kind === 'ignore') {
      this.lastIgnored = decision.reason;
      return;
    }
    this.lastIgnored = undefined;
    this.transitions.push(decision.what);
    this.instance = this.stored(sagaId, decision.next);
    for (const o of decision.commands) this.all.push(this.sentOf(o));
  }

  /** The instance as the engine would load it back: context and book through JSON. */
  private stored(sagaId: string, next: NextState<C>): SagaInstance<C> {
    const contextJson = roundTrip(this.definition.encodeContext(next.context));
    const book = roundTrip<SagaBook>(next.book);
    return {
      sagaType: this.definition.name,
      sagaId,
      status: next.status,
      step: next.step,
      version: (this.instance?.version ?? 0) + 1,
      attempt: next.attempt,
      timeoutAt: next.timeoutAt === null ? null : new Date(next.timeoutAt.getTime()),
      context: this.definition.decodeContext(contextJson),
      book,
      createdAt: this.instance?.createdAt ?? this.now,
      updatedAt: this.now,
    };
  }

  private sentOf(o: Outgoing): KitSentCommand {
    return { type: o.command.type, key: o.command.key, data: this.decode(o.command), id: o.id, phase: o.phase, step: o.step, attempt: o.attempt };
  }

  private decode(command: SagaCommand): unknown {
    const codec = this.options.commandCodecs?.[command.type]?.[command.dataversion];
    if (codec === undefined) return command.payload;
    return command.datacontenttype === 'application/json' ? codec.fromJson(new TextDecoder().decode(command.payload)) : codec.fromBinary(command.payload);
  }
}

/** A saga kit for `definition` (a generated `<saga>Saga`); the domain's `testing.ts` binds its types. */
export function sagaKit<C, Start = unknown, Events extends Record<string, unknown> = Record<string, unknown>, Cmds extends Record<string, unknown> = Record<string, unknown>>(
  definition: SagaDefinition<C>,
  options?: SagaKitOptions,
): SagaKit<C, Start, Events, Cmds> {
  return new SagaKit<C, Start, Events, Cmds>(definition, options);
}
