/**
 * From a Kafka message to the latest version of a typed event, for consumers: the binding
 * (decodeCloudEvent), the writer's version and its codec (named by ce_dataversion and
 * ce_dataschema, looked up in tables the generated code supplies), the data decoded with the
 * writer's schema, then upcast to the latest version. Every failure is an outcome, not an
 * exception, so that the consumer can dead-letter the message at once and carry on.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { type CloudEvent, type DeliveredEvent, dataschemaFor } from '../cloudevents.js';
import { decodeCloudEvent, unframeConfluent } from './binding.js';
import type { OutgoingMessage } from './producer.js';
import type { AvroReader } from '../avro.js';
import { AvroDecodeError, AvroSchemaError } from '../errors.js';
import type { AvroSchemaJson } from '../schema.js';
import { SchemaRegistryError } from '../registry/client.js';
import type { SchemaIdResolver } from '../registry/resolver.js';

/** CloudEvents type → the TypeScript type of the latest version of that event's data (generated). */
export type EventMap = { readonly [type: string]: unknown };

/** Reads one version of one event's data (a generated AvroCodec fits). */
export interface DataCodec {
  fromBinary(bytes: Uint8Array): unknown;
  fromJson(text: string): unknown;
  /** Avro schema resolution from another writer schema (AvroCodec has it); needed to decode by registry id. */
  readerFor?(writer: AvroSchemaJson): AvroReader<unknown>;
}

/** What generated code tells a consumer about the events it may receive. */
export interface EventDecoding {
  /** The codec of `version` of `type`; undefined for an event or version this code does not know. */
  codec(type: string, version: number): DataCodec | undefined;
  /** Data of `version` (as the codec returned it) upcast to the latest version of `type`. */
  upcast(type: string, version: number, data: unknown): unknown;
  /** The schema registry id of a version; when given, Confluent-framed values must carry it. */
  schemaId?(type: string, version: number): number | undefined;
  /**
   * The latest version of `type` this code knows (undefined for a type it does not know): what
   * `upcast` returns, so the delivered event's `dataversion`; with a registry, data of newer
   * versions is resolved to it.
   */
  latestVersion(type: string): number | undefined;
}

export type DeadLetterReason = 'undecodable' | 'unknown-event' | 'handler-failed';

export type DecodeOutcome =
  /**
   * `event.data` is the latest version's data, and `event.dataversion` and `event.dataschema` name
   * that version; `writerVersion` (also on the event) is the version it was written in.
   */
  | { readonly kind: 'event'; readonly event: DeliveredEvent; readonly writerVersion: number }
  /** Not for this consumer: a tombstone, or an event it has no handler for. */
  | { readonly kind: 'ignore'; readonly why: 'tombstone' | 'unhandled' }
  | { readonly kind: 'dead'; readonly reason: DeadLetterReason; readonly error: string };

export interface DecodeOptions {
  /** Values carry the Confluent wire format (magic byte + schema id) before Avro data. Default 'plain'. */
  readonly wireFormat?: 'plain' | 'confluent';
  /** Whether this consumer handles `type` (decoding is skipped when it does not). */
  readonly handles: (type: string) => boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function decodeMessage(message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>, decoding: EventDecoding, options: DecodeOptions): DecodeOutcome {
  const decoded = decodeCloudEvent(message);
  if (!decoded.ok) {
    return decoded.tombstone ? { kind: 'ignore', why: 'tombstone' } : { kind: 'dead', reason: 'undecodable', error: decoded.errors.join('; ') };
  }
  const { event } = decoded;
  const version = event.dataversion;
  let codec: DataCodec | undefined;
  try {
    codec = decoding.codec(event.type, version);
  } catch (err) {
    return { kind: 'dead', reason: 'unknown-event', error: `${event.type} v${version}: ${why(err)}` };
  }
  if (codec === undefined) return { kind: 'dead', reason: 'unknown-event', error: `${event.type} version ${version} is not an event this consumer knows` };
  const schema = dataschemaFor(event.type, version);
  if (event.dataschema !== schema) {
    return { kind: 'dead', reason: 'undecodable', error: `dataschema '${event.dataschema}' does not name version ${version} of ${event.type} ('${schema}')` };
  }
  if (!options.handles(event.type)) return { kind: 'ignore', why: 'unhandled' };
  let bytes = event.data;
  if (event.datacontenttype === 'application/avro' && options.wireFormat === 'confluent') {
    const framed = unframeConfluent(bytes);
    if (framed === undefined) return { kind: 'dead', reason: 'undecodable', error: 'value: not in the Confluent wire format (magic byte 0 + schema id)' };
    const expected = decoding.schemaId?.(event.type, version);
    if (expected !== undefined && framed.schemaId !== expected) {
      return { kind: 'dead', reason: 'undecodable', error: `schema id ${framed.schemaId} is not ${event.type} v${version}'s (${expected})` };
    }
    bytes = framed.payload;
  }
  let data: unknown;
  try {
    data = event.datacontenttype === 'application/avro' ? codec.fromBinary(bytes) : codec.fromJson(utf8.decode(bytes));
  } catch (err) {
    return { kind: 'dead', reason: 'undecodable', error: `data of ${event.type} v${version}: ${why(err)}` };
  }
  try {
    data = decoding.upcast(event.type, version, data);
  } catch (err) {
    return { kind: 'dead', reason: 'undecodable', error: `upcasting ${event.type} v${version}: ${why(err)}` };
  }
  return delivered(event, data, version, decoding);
}

export interface RegistryDecodeOptions extends DecodeOptions {
  readonly resolver: SchemaIdResolver;
}

/**
 * As decodeMessage, for Confluent-framed Avro values decoded by their registry id: the writer
 * schema is fetched by id (cached) and resolved to the reader's version, the one named by
 * ce_dataversion when this code knows it, else the latest it knows (a newer producer), then
 * upcast. An id the registry does not know, or a writer schema the reader cannot read, is a
 * dead letter with the reason; a registry that cannot be reached rejects (the caller retries).
 */
export async function decodeMessageByRegistry(message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>, decoding: EventDecoding, options: RegistryDecodeOptions): Promise<DecodeOutcome> {
  const decoded = decodeCloudEvent(message);
  if (!decoded.ok) {
    return decoded.tombstone ? { kind: 'ignore', why: 'tombstone' } : { kind: 'dead', reason: 'undecodable', error: decoded.errors.join('; ') };
  }
  const { event } = decoded;
  if (event.datacontenttype !== 'application/avro') return decodeMessage(message, decoding, options);
  const version = event.dataversion;
  const schema = dataschemaFor(event.type, version);
  if (event.dataschema !== schema) {
    return { kind: 'dead', reason: 'undecodable', error: `dataschema '${event.dataschema}' does not name version ${version} of ${event.type} ('${schema}')` };
  }
  let readerVersion: number | undefined;
  let reader: DataCodec | undefined;
  try {
    reader = decoding.codec(event.type, version);
    readerVersion = reader === undefined ? decoding.latestVersion?.(event.type) : version;
    if (reader === undefined && readerVersion !== undefined) reader = decoding.codec(event.type, readerVersion);
  } catch (err) {
    return { kind: 'dead', reason: 'unknown-event', error: `${event.type} v${version}: ${why(err)}` };
  }
  if (reader === undefined || readerVersion === undefined) {
    return { kind: 'dead', reason: 'unknown-event', error: `${event.type} version ${version} is not an event this consumer knows` };
  }
  if (!options.handles(event.type)) return { kind: 'ignore', why: 'unhandled' };
  const framed = unframeConfluent(event.data);
  if (framed === undefined) return { kind: 'dead', reason: 'undecodable', error: 'value: not in the Confluent wire format (magic byte 0 + schema id)' };
  if (reader.readerFor === undefined) return { kind: 'dead', reason: 'undecodable', error: `${event.type} v${readerVersion}: its codec cannot resolve writer schemas` };
  let resolved: AvroReader<unknown>;
  try {
    resolved = await options.resolver.readerFor(framed.schemaId, reader as Required<Pick<DataCodec, 'readerFor'>>);
  } catch (err) {
    if (err instanceof SchemaRegistryError && err.isAbsent) {
      return { kind: 'dead', reason: 'undecodable', error: `schema id ${framed.schemaId} is unknown to the schema registry (${event.type} v${version})` };
    }
    if (err instanceof AvroSchemaError || err instanceof AvroDecodeError) {
      return { kind: 'dead', reason: 'undecodable', error: `${event.type} v${version} (schema id ${framed.schemaId}) cannot be read as v${readerVersion}: ${why(err)}` };
    }
    throw err;
  }
  let data: unknown;
  try {
    data = resolved.fromBinary(framed.payload);
  } catch (err) {
    return { kind: 'dead', reason: 'undecodable', error: `data of ${event.type} v${version} (schema id ${framed.schemaId}): ${why(err)}` };
  }
  try {
    data = decoding.upcast(event.type, readerVersion, data);
  } catch (err) {
    return { kind: 'dead', reason: 'undecodable', error: `upcasting ${event.type} v${readerVersion}: ${why(err)}` };
  }
  return delivered(event, data, version, decoding);
}

/**
 * The envelope says what it carries: data upcast to the latest version is delivered with that
 * version's `dataversion` and `dataschema`, and `writerVersion` the version it was written in
 * (a v1 event upcast to v2: dataversion 2, writerVersion 1).
 */
function delivered(event: CloudEvent<string, unknown>, data: unknown, writerVersion: number, decoding: EventDecoding): DecodeOutcome {
  const latest = decoding.latestVersion(event.type);
  if (latest === undefined) return { kind: 'dead', reason: 'unknown-event', error: `${event.type}: the decoding table has codecs but no latest version for it` };
  const out: DeliveredEvent = { ...event, dataversion: latest, dataschema: dataschemaFor(event.type, latest), data, writerVersion };
  return { kind: 'event', event: out, writerVersion };
}

/** Headers a dead-lettered message carries besides its own (which are kept, so it can be replayed). */
export const DEAD_LETTER_HEADERS = {
  reason: 'eventsmith.dlq.reason',
  error: 'eventsmith.dlq.error',
  attempts: 'eventsmith.dlq.attempts',
  topic: 'eventsmith.dlq.topic',
  partition: 'eventsmith.dlq.partition',
  offset: 'eventsmith.dlq.offset',
  group: 'eventsmith.dlq.group',
  time: 'eventsmith.dlq.time',
} as const;

export interface DeadLetterInfo {
  readonly deadLetterTopic: string;
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  /** Handler attempts made (0 when the message was never handed to a handler). */
  readonly attempts: number;
  readonly now?: Date;
}

/** The original message, unchanged (key, value, headers), plus headers saying why it is here. */
export function deadLetterMessage(message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>, info: DeadLetterInfo): OutgoingMessage {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined && !name.startsWith('eventsmith.dlq.')) headers[name] = value;
  }
  const error = info.error.length > 4000 ? `${info.error.slice(0, 3999)}…` : info.error;
  headers[DEAD_LETTER_HEADERS.reason] = info.reason;
  headers[DEAD_LETTER_HEADERS.error] = error;
  headers[DEAD_LETTER_HEADERS.attempts] = String(info.attempts);
  headers[DEAD_LETTER_HEADERS.topic] = info.topic;
  headers[DEAD_LETTER_HEADERS.partition] = String(info.partition);
  headers[DEAD_LETTER_HEADERS.offset] = message.offset;
  headers[DEAD_LETTER_HEADERS.group] = info.groupId;
  headers[DEAD_LETTER_HEADERS.time] = (info.now ?? new Date()).toISOString();
  return { topic: info.deadLetterTopic, key: message.key, value: message.value, headers };
}
