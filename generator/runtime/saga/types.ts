/**
 * What a generated orchestrator hands the saga engine: the saga's definition (steps, the events
 * that answer them, command builders, context codec), and the shapes of the messages it reads
 * and the commands it sends. Everything here is spec-independent; the generated layer fixes the
 * types (the context `C`, the command data) and encodes command data with its codecs.
 */
import type { DataContentType } from '../cloudevents.js';

/** A command a transition sends; the engine writes it to the outbox as a CloudEvent. */
export interface SagaCommand {
  /** CloudEvents type of the command. */
  readonly type: string;
  readonly topic: string;
  /** Target aggregate id: Kafka key, CloudEvents subject and partitionkey. */
  readonly key: string;
  /** The outbox's (Debezium's) aggregatetype: the target aggregate's name. */
  readonly aggregateType: string;
  /** Version of the command's schema the payload is encoded in (the `dataversion` extension). */
  readonly dataversion: number;
  /** Default: `dataschemaFor(type, dataversion)`, which eventsmith consumers require. */
  readonly dataschema?: string;
  readonly datacontenttype: DataContentType;
  /** The encoded data (Avro binary, or Avro JSON text as UTF-8). */
  readonly payload: Uint8Array;
  /** CloudEvents source; default the definition's. */
  readonly source?: string;
}

/** A received, decoded event (its data at the latest version), as the engine reads it. */
export interface SagaMessage {
  /** CloudEvents id. */
  readonly id: string;
  readonly type: string;
  /** The saga id for every message but the start event (commands carry it; deciders pass it on). */
  readonly correlationId?: string;
  /** Id of the command that caused this event: tells a reply to the current command from a late one. */
  readonly causationId?: string;
  readonly data: unknown;
  /** CloudEvents subject: the id of the aggregate that emitted the event. */
  readonly aggregateId: string;
}

/** Why compensation began: the step that failed or timed out. */
export interface SagaFailure {
  readonly step: string;
  /**
   * failed: an event of the step's failsOn arrived; timed-out: the step's command went
   * unanswered after every resend; saga-timed-out: the whole saga's deadline passed.
   */
  readonly reason: 'failed' | 'timed-out' | 'saga-timed-out';
  /** The failure event, when there was one. */
  readonly eventType?: string;
  readonly eventId?: string;
  /** ISO 8601. */
  readonly at: string;
}

export interface SagaStepDefinition<C> {
  /** Unique in the saga; stored in the `step` column. */
  readonly name: string;
  readonly command: (ctx: C) => SagaCommand;
  /** Event types that complete the step. */
  readonly succeedsOn: readonly string[];
  /** Event types that fail the step (and start compensation of the completed steps). */
  readonly failsOn: readonly string[];
  /**
   * Undoes the step. Sent in reverse order of completion after a failure; also for a step that
   * timed out, whose effect is uncertain, so it must tolerate "nothing to undo".
   */
  readonly compensation?: (ctx: C, failure: SagaFailure) => SagaCommand;
  /**
   * Events that confirm the compensation. Empty or absent: the compensation is sent and not
   * waited for (the generator fills in the compensating command's `emits`).
   */
  readonly compensationSucceedsOn?: readonly string[];
  /** Events that report a failed compensation: it is sent again after a backoff, then the saga is parked. */
  readonly compensationFailsOn?: readonly string[];
  /**
   * How long one send of the step's command (and of its compensation) waits for an answer
   * before it is sent again; absent: no step deadline (the saga's still applies to the step).
   */
  readonly timeoutMs?: number;
}

export interface SagaRetryPolicy {
  /** Sends of a step's command, or of a compensation, before giving up (1 = no resend). */
  readonly maxAttempts: number;
  /** Wait before sending a failed compensation again; doubles with each further failure. */
  readonly backoffMs: number;
}

export interface SagaDefinition<C> {
  /** The saga's name: the `saga_type` column. */
  readonly name: string;
  /** CloudEvents type of the event that starts an instance. */
  readonly startedBy: string;
  /**
   * The saga id of a start event. It is also the correlation id of every command the saga
   * sends, and so of every answer; one start event per saga id is ever acted on.
   */
  readonly correlate: (start: SagaMessage) => string;
  readonly initialContext: (start: SagaMessage) => C;
  /** Keeps what later steps need from the event that completed `step`. */
  readonly recordStep: (ctx: C, step: string, event: SagaMessage) => C;
  /** Keeps what compensations need from the event that failed `step` (optional). */
  readonly recordFailure?: (ctx: C, step: string, event: SagaMessage) => C;
  /** The context as JSON for the jsonb column: exact, so longs and decimals as strings. */
  readonly encodeContext: (ctx: C) => unknown;
  readonly decodeContext: (json: unknown) => C;
  readonly steps: readonly SagaStepDefinition<C>[];
  /** Deadline of the whole saga from its start; when it passes, the step in flight times out. */
  readonly timeoutMs?: number;
  readonly retry: SagaRetryPolicy;
  /** Sent once, in the transition that completes the saga. */
  readonly onCompleted?: (ctx: C) => SagaCommand;
  /** Sent once, in the transition that finishes compensation. */
  readonly onCompensated?: (ctx: C, failure: SagaFailure) => SagaCommand;
  /** CloudEvents source of the commands (default `urn:eventsmith:saga:<name>`). */
  readonly source?: string;
}

/**
 * running: waiting for the current step's answer. compensating: waiting for a compensation's
 * answer (or for the backoff before resending a failed one). parked: a compensation failed or
 * went unanswered on every attempt; a person must look (listParkedSagas, resumeParkedSaga).
 * completed and compensated are final.
 */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'parked';

export const FINAL_STATUSES: readonly SagaStatus[] = ['completed', 'compensated'];

export type ParkReason = 'compensation-failed' | 'compensation-timed-out';

/** What the engine keeps beside the context (in `state`, under `saga`). */
export interface PendingCommand {
  readonly phase: 'step' | 'compensation';
  readonly step: string;
  /** CloudEvents id of the command in flight: a resend after a timeout keeps it (receivers deduplicate). */
  readonly commandId: string;
  /**
   * causationid the command was sent with (kept by resends, which are the same message); while
   * a failed compensation waits for its retry, the failure answer's id, which the retry carries.
   */
  readonly causationId: string;
  /** Sends of this command id (the first send and its resends). */
  readonly sends: number;
  /** Compensation sent again with a new id after a failure answer: how many times. */
  readonly retries: number;
  /** reply: waiting for an answer; retry: a failed compensation waits for its backoff. */
  readonly waiting: 'reply' | 'retry';
}

export interface SagaHistoryEntry {
  /** ISO 8601 */
  readonly at: string;
  readonly what: string;
  readonly step?: string;
  /** The message or command id concerned. */
  readonly id?: string;
}

export interface SagaBook {
  /**
   * The start event; `trace`: the trace context the saga started in (W3C traceparent/tracestate),
   * so that a timeout fired later, by a poller in any process, continues that trace.
   */
  readonly start: { readonly id: string; readonly type: string; readonly trace?: { readonly traceparent: string; readonly tracestate?: string } };
  /** Steps completed, in order. */
  readonly completed: readonly string[];
  /** While compensating: the steps still to compensate, the current one first. */
  readonly toCompensate: readonly string[];
  readonly pending: PendingCommand | null;
  /** The whole saga's deadline (ISO 8601), if it has one. */
  readonly deadline: string | null;
  readonly failure: SagaFailure | null;
  readonly parked: { readonly reason: ParkReason; readonly at: string } | null;
  /** The latest transitions, oldest first (bounded). */
  readonly history: readonly SagaHistoryEntry[];
}

/** One saga instance as stored: the row, with its context decoded. */
export interface SagaInstance<C> {
  readonly sagaType: string;
  readonly sagaId: string;
  readonly status: SagaStatus;
  /** The step whose command (or compensation) is in flight; null when final. */
  readonly step: string | null;
  /** Optimistic-concurrency version of the row. */
  readonly version: number;
  /** Sends of the current step's command or compensation. */
  readonly attempt: number;
  /** When the poller acts next (deadline, or end of a backoff); null: nothing scheduled. */
  readonly timeoutAt: Date | null;
  readonly context: C;
  readonly book: SagaBook;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A command the engine wrote to the outbox. */
export interface SentCommand {
  /** CloudEvents id (the same for a resend). */
  readonly id: string;
  /** The outbox row's id (differs for a resend). */
  readonly outboxId: string;
  readonly type: string;
  readonly key: string;
  readonly phase: 'step' | 'compensation' | 'completed' | 'compensated';
  readonly step: string | null;
  /** 1 for a first send. */
  readonly attempt: number;
  readonly resend: boolean;
}

export type SagaTrigger = 'start' | 'event' | 'timeout' | 'resume';

/** One committed-or-about-to-be transition, as hooks and results see it. */
export interface SagaTransition {
  readonly sagaType: string;
  readonly sagaId: string;
  readonly trigger: SagaTrigger;
  /** The message that caused it (start and event triggers). */
  readonly messageId?: string;
  /** What happened, e.g. step-succeeded, step-failed, step-timed-out, compensation-failed, parked. */
  readonly what: string;
  readonly from: { readonly status: SagaStatus | null; readonly step: string | null };
  readonly to: { readonly status: SagaStatus; readonly step: string | null };
  /** The row's version after the transition. */
  readonly version: number;
  readonly commands: readonly SentCommand[];
}

export type SagaIgnoreReason =
  /** Not a type this saga starts on or waits for. */
  | 'not-a-saga-event'
  /** No correlationid to find the saga by. */
  | 'uncorrelated'
  /** No saga with that id (and the event does not start one). */
  | 'unknown-saga'
  /** The saga exists already: a redelivered or repeated start. */
  | 'duplicate-start'
  /** The saga is completed or compensated. */
  | 'finished'
  /** The saga is parked and the event is not the answer it waits for. */
  | 'parked'
  /** The saga does not wait for this type now (a duplicate, or an answer to an earlier state). */
  | 'unexpected'
  /** An answer to another command than the one in flight (causationid differs). */
  | 'late';

export type SagaHandleResult =
  | { readonly outcome: 'started' | 'advanced'; readonly sagaId: string; readonly transition: SagaTransition }
  | { readonly outcome: 'ignored'; readonly reason: SagaIgnoreReason; readonly sagaId?: string };

/** A parked saga, for an operator (listParkedSagas). */
export interface ParkedSaga {
  readonly sagaType: string;
  readonly sagaId: string;
  /** The step whose compensation gave up. */
  readonly step: string | null;
  readonly attempts: number;
  readonly reason: ParkReason | null;
  readonly parkedAt: Date;
  /** Why compensation began. */
  readonly failure: SagaFailure | null;
  readonly version: number;
  /** The context as stored (JSON); SagaEngine.get decodes it. */
  readonly context: unknown;
  readonly history: readonly SagaHistoryEntry[];
}
