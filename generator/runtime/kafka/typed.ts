/**
 * What a generated `kafka.ts` stands on: the decoding table of a domain (every version of every
 * event, then its upcaster), publishing one typed envelope, and a consumer whose handlers are
 * grouped per topic and named by event. The generated file fixes the types; everything that does
 * not depend on the spec is here, tested once.
 */
import type { AvroCodec } from '../avro.js';
import type { SchemaIdResolver } from '../registry/resolver.js';
import type { CloudEvent } from '../cloudevents.js';
import type { EventCodecTable, StoredEventOf, TypedEvent } from '../postgres/repository.js';
import type { ContentMode } from './binding.js';
import type { DataCodec, EventDecoding, EventMap } from './consumer-decode.js';
import { KafkaConsumerRunner, type KafkaConsumerOptions } from './consumer.js';
import type { KafkaPublisher } from './producer.js';

/** The schema registry id of an event version, or undefined to publish it unframed. */
export type SchemaIdLookup = (type: string, version: number) => number | undefined;

/** One aggregate's codecs and upcaster, with the types erased so a domain can list them together. */
export interface AggregateDecoding {
  readonly codecs: EventCodecTable;
  readonly upcast: (type: string, version: number, data: unknown) => unknown;
}

/**
 * Pairs an aggregate's codec table with its upcaster (the same two a repository takes). The
 * upcaster is only ever called with a type and version of `codecs`, and with data that version's
 * codec decoded, which is what its parameter type says.
 */
export function aggregateDecoding<G extends EventCodecTable>(codecs: G, upcast: (event: StoredEventOf<G>) => TypedEvent): AggregateDecoding {
  return {
    codecs,
    upcast: (type, dataVersion, data) => upcast({ type, dataVersion, data } as StoredEventOf<G>).data,
  };
}

/** The decoding table of a domain's consumers: a type no aggregate declares, or an unknown version, has no codec. */
export function domainDecoding(aggregates: readonly AggregateDecoding[], schemaId?: SchemaIdLookup): EventDecoding {
  const byType = new Map<string, AggregateDecoding>();
  for (const a of aggregates) for (const type of Object.keys(a.codecs)) byType.set(type, a);
  return {
    codec(type: string, version: number): DataCodec | undefined {
      const versions = byType.get(type)?.codecs[type];
      return versions !== undefined && Object.hasOwn(versions, version) ? versions[version] : undefined;
    },
    upcast(type: string, version: number, data: unknown): unknown {
      const a = byType.get(type);
      if (a === undefined) throw new TypeError(`eventsmith: no upcaster for event type ${type}`);
      return a.upcast(type, version, data);
    },
    latestVersion(type: string): number | undefined {
      const versions = byType.get(type)?.codecs[type];
      if (versions === undefined) return undefined;
      const numbers = Object.keys(versions).map(Number).filter(Number.isSafeInteger);
      return numbers.length === 0 ? undefined : Math.max(...numbers);
    },
    ...(schemaId ? { schemaId } : {}),
  };
}

/** Publishing through a schema registry: the id of each version's schema under its subject (resolved once, cached). */
export interface PublishRegistry {
  readonly resolver: SchemaIdResolver;
  /** The subject of a version (generated: `<domain>Subjects`). */
  readonly subject: (type: string, version: number) => string;
}

export interface TypedPublishOptions {
  /** Binary (default) or structured content mode. */
  readonly mode?: ContentMode;
  /** With a schema registry: frames Avro data in the Confluent wire format with this id. */
  readonly schemaId?: SchemaIdLookup;
  /** Frames Avro data with the id the registry gives the version's schema (wins over schemaId). */
  readonly registry?: PublishRegistry;
  /** Extra headers that are not CloudEvents attributes (tracing, for example). */
  readonly headers?: Readonly<Record<string, string>>;
}

const utf8 = new TextEncoder();

/**
 * Publishes an envelope to `topic`, its data encoded by `codec` as its `datacontenttype` says;
 * resolves with the envelope once the broker acknowledged it.
 */
export async function publishEnvelope<T extends string, D, V extends number>(
  publisher: KafkaPublisher,
  topic: string,
  event: CloudEvent<T, D, V>,
  codec: AvroCodec<D>,
  options: TypedPublishOptions = {},
): Promise<CloudEvent<T, D, V>> {
  const avro = event.datacontenttype === 'application/avro';
  const data = avro ? codec.toBinary(event.data) : utf8.encode(codec.toJson(event.data));
  let schemaId: number | undefined;
  if (avro && options.registry !== undefined) {
    const subject = options.registry.subject(event.type, event.dataversion);
    const erased = codec as AvroCodec<unknown>;
    // Cached ids are used at once: an await here would split a burst of publishes into requests of one.
    schemaId = options.registry.resolver.cachedId(subject, erased) ?? (await options.registry.resolver.idFor(subject, erased));
  } else if (avro) {
    schemaId = options.schemaId?.(event.type, event.dataversion);
  }
  await publisher.publish(event, data, {
    topic,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(schemaId !== undefined ? { schemaId } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  return event;
}

/** Sends envelopes with `publishEnvelope` on one publisher and options: what generated publish functions call. */
export type EnvelopeSender = <T extends string, D, V extends number>(topic: string, codec: AvroCodec<D>, event: CloudEvent<T, D, V>) => Promise<CloudEvent<T, D, V>>;

export function envelopeSender(publisher: KafkaPublisher, options?: TypedPublishOptions): EnvelopeSender {
  return (topic, codec, event) => publishEnvelope(publisher, topic, event, codec, options);
}

/** A topic of a domain and its events: event name (the handler's key) → CloudEvents type. */
export interface TopicRoute {
  readonly topic: string;
  readonly events: Readonly<Record<string, string>>;
}

/** Consumer settings a generated consumer leaves to its caller. */
export type DomainConsumerOptions<M extends EventMap> = Omit<KafkaConsumerOptions<M>, 'topics' | 'handlers' | 'decoding'> & {
  /** With a schema registry: the ids Confluent-framed values must carry. */
  readonly schemaId?: SchemaIdLookup;
};

type AnyHandler = NonNullable<KafkaConsumerOptions<EventMap>['handlers'][string]>;

/**
 * A consumer of the topics that `handlers` names (group → event name → handler), each handler
 * keyed by its CloudEvents type for the runner. Events of a subscribed topic without a handler
 * are acknowledged and counted as ignored.
 */
export function domainConsumer<M extends EventMap>(
  options: DomainConsumerOptions<M>,
  aggregates: readonly AggregateDecoding[],
  routes: Readonly<Record<string, TopicRoute>>,
  handlers: object,
): KafkaConsumerRunner<M> {
  const byType: Record<string, AnyHandler> = {};
  const topics: string[] = [];
  for (const [group, named] of Object.entries(handlers) as [string, unknown][]) {
    if (named === undefined) continue;
    const route = Object.hasOwn(routes, group) ? routes[group] : undefined;
    if (route === undefined) throw new TypeError(`eventsmith: no topic for handler group ${group}`);
    if (!topics.includes(route.topic)) topics.push(route.topic);
    for (const [name, handler] of Object.entries(named as Record<string, unknown>)) {
      if (handler === undefined) continue;
      const type = Object.hasOwn(route.events, name) ? route.events[name] : undefined;
      if (type === undefined || typeof handler !== 'function') throw new TypeError(`eventsmith: ${group}.${name} is not an event of topic ${route.topic}`);
      byType[type] = handler as AnyHandler;
    }
  }
  if (topics.length === 0) throw new TypeError('eventsmith: a consumer needs at least one handler');
  const { schemaId, ...rest } = options;
  return new KafkaConsumerRunner<M>({
    ...rest,
    topics,
    // Each handler was declared for its own type; the runner calls it only with events of that type.
    handlers: byType as unknown as KafkaConsumerOptions<M>['handlers'],
    decoding: domainDecoding(aggregates, schemaId),
  });
}
