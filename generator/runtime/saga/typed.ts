/**
 * What generated `sagas.ts` files stand on: the context every generated orchestrator keeps (its
 * id, the start event, the event that completed each step), stored exactly through the events'
 * own Avro JSON codecs; commands built from a spec-fixed target plus a key and typed data; and
 * choreography reactions that turn an event into a command in the consumer's transaction.
 */
import type { AvroCodec } from '../avro.js';
import type { CloudEvent, DataContentType } from '../cloudevents.js';
import { type EventMap } from '../kafka/consumer-decode.js';
import { type HandlerContext, KafkaConsumerRunner, type KafkaConsumerOptions } from '../kafka/consumer.js';
import { type AggregateDecoding, type DomainConsumerOptions, domainDecoding } from '../kafka/typed.js';
import { insertOutbox } from '../postgres/outbox.js';
import type { AggregateId, Repository } from '../postgres/repository.js';
import { type CommandHandler, type CommandMeta, type Decide, commandHandler } from './command-handler.js';
import { SagaStateError } from './errors.js';
import { nameUuid } from './ids.js';
import { commandOutboxMessage } from './store.js';
import { traceHeadersOf } from '../telemetry/otel.js';
import type { SagaCommand, SagaDefinition, SagaFailure, SagaMessage, SagaRetryPolicy, SagaStepDefinition } from './types.js';

/** An event as a saga keeps it, its data at the latest version. */
export interface SagaEvent<D> {
  readonly id: string;
  readonly type: string;
  /** The id of the aggregate that emitted it (the CloudEvents subject). */
  readonly aggregateId: string;
  readonly data: D;
}

/** Step name → data type of the events that complete that step. */
export type SagaStepEvents = { readonly [step: string]: unknown };

/** The context of a generated orchestrator: what its command builders read. */
export interface SagaContext<S, St extends SagaStepEvents> {
  /** The saga's name. */
  readonly saga: string;
  readonly sagaId: string;
  readonly start: SagaEvent<S>;
  /** The event that completed each step, once it has. */
  readonly steps: { readonly [K in keyof St]?: SagaEvent<St[K]> };
}

/** The event that completed `step`; a SagaStateError if it has not (a builder ran out of order). */
export function stepEvent<S, St extends SagaStepEvents, K extends keyof St & string>(ctx: SagaContext<S, St>, step: K): SagaEvent<St[K]> {
  const event = ctx.steps[step];
  if (event === undefined) throw new SagaStateError(ctx.saga, ctx.sagaId, `step ${step} has not completed, but a command reads its event`);
  return event;
}

/** Element `index` of a list a command's data reads (`$start.items[0]`); a RangeError when there is none (the command cannot be built). */
export function listElement<T>(list: readonly T[], index: number): T {
  if (index < 0 || index >= list.length) throw new RangeError(`eventsmith: a command reads element ${index} of a list of ${list.length}`);
  // Checked to be in range just above.
  return list[index] as T;
}

/** Everything about a command that the spec fixes: all but its key and data. */
export interface CommandTarget<D> {
  readonly type: string;
  readonly topic: string;
  /** The receiving aggregate (the outbox's aggregatetype). */
  readonly aggregateType: string;
  /** The command's latest version, which sagas and reactions send. */
  readonly dataversion: number;
  readonly codec: AvroCodec<D>;
  readonly datacontenttype: DataContentType;
}

const utf8 = new TextEncoder();

/** The command `target` for aggregate `key` with `data`, encoded as the target's content type says. */
export function sagaCommand<D>(target: CommandTarget<D>, key: string, data: D): SagaCommand {
  const payload = target.datacontenttype === 'application/avro' ? target.codec.toBinary(data) : utf8.encode(target.codec.toJson(data));
  return {
    type: target.type,
    topic: target.topic,
    key,
    aggregateType: target.aggregateType,
    dataversion: target.dataversion,
    datacontenttype: target.datacontenttype,
    payload,
  };
}

/** What a generated orchestrator declares; `orchestration` turns it into the engine's definition. */
export interface OrchestrationSpec<S, St extends SagaStepEvents> {
  readonly name: string;
  readonly startedBy: string;
  /** The saga id from the start event (its aggregate id, or a field of its data), as text. */
  readonly correlate: (start: SagaEvent<S>) => string;
  /**
   * The latest-version codec of the start event and of every event that can complete a step:
   * the context keeps their data in Avro's JSON encoding, exact for longs, decimals and bytes.
   */
  readonly codecs: { readonly [type: string]: AvroCodec<unknown> };
  readonly steps: readonly SagaStepDefinition<SagaContext<S, St>>[];
  readonly timeoutMs?: number;
  readonly retry: SagaRetryPolicy;
  readonly onCompleted?: (ctx: SagaContext<S, St>) => SagaCommand;
  readonly onCompensated?: (ctx: SagaContext<S, St>, failure: SagaFailure) => SagaCommand;
  readonly source?: string;
}

interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly aggregateId: string;
  /** Avro JSON text of the data. */
  readonly data: string;
}

function isRecord(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The engine's definition of a generated orchestrator, its context kept through `spec.codecs`. */
export function orchestration<S, St extends SagaStepEvents>(spec: OrchestrationSpec<S, St>): SagaDefinition<SagaContext<S, St>> {
  type C = SagaContext<S, St>;
  const codec = (type: string): AvroCodec<unknown> => {
    const c = Object.hasOwn(spec.codecs, type) ? spec.codecs[type] : undefined;
    if (c === undefined) throw new SagaStateError(spec.name, '', `no codec for event type ${type} in its context`);
    return c;
  };
  const eventOf = <D>(m: SagaMessage): SagaEvent<D> =>
    // The consumer decoded and upcast `data` with this type's codec table: it is the latest version's data.
    ({ id: m.id, type: m.type, aggregateId: m.aggregateId, data: m.data as D });
  const store = (e: SagaEvent<unknown>): StoredEvent => ({ id: e.id, type: e.type, aggregateId: e.aggregateId, data: codec(e.type).toJson(e.data) });
  const load = (sagaId: string, json: unknown, what: string): SagaEvent<unknown> => {
    if (!isRecord(json) || typeof json.id !== 'string' || typeof json.type !== 'string' || typeof json.aggregateId !== 'string' || typeof json.data !== 'string') {
      throw new SagaStateError(spec.name, sagaId, `stored context has no valid ${what}`);
    }
    return { id: json.id, type: json.type, aggregateId: json.aggregateId, data: codec(json.type).fromJson(json.data) };
  };
  return {
    name: spec.name,
    startedBy: spec.startedBy,
    correlate: (start) => spec.correlate(eventOf<S>(start)),
    initialContext: (start): C => ({ saga: spec.name, sagaId: spec.correlate(eventOf<S>(start)), start: eventOf<S>(start), steps: {} }),
    recordStep: (ctx, step, event): C => ({ ...ctx, steps: { ...ctx.steps, [step]: eventOf(event) } }),
    encodeContext: (ctx) => {
      const steps: Record<string, StoredEvent> = {};
      for (const [name, e] of Object.entries(ctx.steps) as [string, SagaEvent<unknown> | undefined][]) if (e !== undefined) steps[name] = store(e);
      return { sagaId: ctx.sagaId, start: store(ctx.start), steps };
    },
    decodeContext: (json): C => {
      if (!isRecord(json) || typeof json.sagaId !== 'string' || !isRecord(json.steps)) throw new SagaStateError(spec.name, '', 'stored context is not an object with sagaId and steps');
      const sagaId = json.sagaId;
      const steps: Record<string, SagaEvent<unknown>> = {};
      for (const [name, e] of Object.entries(json.steps)) steps[name] = load(sagaId, e, `event of step ${name}`);
      // Each stored event was written by `store` from the step's own event, decoded here with its type's codec.
      return { saga: spec.name, sagaId, start: load(sagaId, json.start, 'start event') as SagaEvent<S>, steps: steps as C['steps'] };
    },
    steps: spec.steps,
    retry: spec.retry,
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    ...(spec.onCompleted ? { onCompleted: spec.onCompleted } : {}),
    ...(spec.onCompensated ? { onCompensated: spec.onCompensated } : {}),
    ...(spec.source !== undefined ? { source: spec.source } : {}),
  };
}

/** The consumer-runner handler of a choreography reaction. */
export type ReactionHandler<D> = (event: CloudEvent<string, D>, context: HandlerContext) => Promise<void>;

/**
 * Sends the command `build` makes of each event, by writing it to the outbox in the consumer's
 * transaction (so it is sent once the event is marked processed, and only then). Its id is
 * derived from the reaction and the event, so a redelivered event could not send a second one;
 * it carries the event's correlation on and the event's id as its causation.
 */
export function reactionHandler<D>(name: string, build: (event: CloudEvent<string, D>) => SagaCommand, source: string): ReactionHandler<D> {
  return async (event, context) => {
    const id = nameUuid(['reaction', name, event.id]);
    const correlationId = event.correlationid ?? event.id;
    // The consumer's `process` span is active: the command continues the event's trace.
    const trace = traceHeadersOf();
    await insertOutbox(context.tx, [commandOutboxMessage(build(event), { id, outboxId: id, correlationId, causationId: event.id }, source, new Date().toISOString(), trace)]);
  };
}

/** The receiving side of one aggregate's commands, as a generated `sagas.ts` lists it. */
export interface CommandRoute {
  /** The aggregate's command topic. */
  readonly topic: string;
  /** The commands' codecs by type and version, and the aggregate's command upcaster. */
  readonly decoding: AggregateDecoding;
  /** Command type → its handler (commandHandlers). */
  readonly handlers: { readonly [type: string]: CommandHandler<unknown> };
}

/**
 * Handlers of every command type of one aggregate: load the aggregate, run the aggregate's
 * generated `decide` (an exhaustive switch over `{ type, data }`), append what it decides; each
 * command once in effect through the consumer's processed mark.
 */
export function commandHandlers<Id extends AggregateId, S, I, Cmd extends { readonly type: string; readonly data: unknown }>(
  repository: Repository<Id, S, I>,
  decide: (state: S, command: Cmd, meta: CommandMeta<Id>) => readonly I[],
  types: readonly Cmd['type'][],
  aggregateId: (subject: string) => Id,
): { readonly [type: string]: CommandHandler<unknown> } {
  const handlers: Record<string, CommandHandler<unknown>> = {};
  for (const type of types) {
    // The runner calls this handler only with commands of `type`, decoded and upcast by the aggregate's table.
    const decideData: Decide<S, unknown, I, Id> = (state, data, meta) => decide(state, { type, data } as Cmd, meta);
    handlers[type] = commandHandler(repository, decideData, { aggregateId: (command) => aggregateId(command.subject) });
  }
  return handlers;
}

/** A consumer of the command topics of `routes`: each command decided and its events appended once in effect. */
export function commandConsumer<M extends EventMap>(options: DomainConsumerOptions<M>, routes: readonly CommandRoute[]): KafkaConsumerRunner<M> {
  if (routes.length === 0) throw new TypeError('eventsmith: a command consumer needs at least one aggregate');
  const handlers: Record<string, CommandHandler<unknown>> = {};
  for (const r of routes) Object.assign(handlers, r.handlers);
  const { schemaId, ...rest } = options;
  return new KafkaConsumerRunner<M>({
    ...rest,
    topics: routes.map((r) => r.topic),
    // Each handler takes its own command type; the runner calls it only with commands of that type.
    handlers: handlers as unknown as KafkaConsumerOptions<M>['handlers'],
    decoding: domainDecoding(
      routes.map((r) => r.decoding),
      schemaId,
    ),
  });
}
