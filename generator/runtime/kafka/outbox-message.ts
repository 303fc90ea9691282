/**
 * The two ends of the outbox as Kafka sees it: what an append writes into an outbox row for an
 * event (outboxEntry, newEventFor), and the Kafka message the relay makes of a row
 * (outboxRecordToMessage). Between them the row holds, in Debezium's column names:
 *
 *   payload       the Kafka value: the encoded data (binary mode) or the JSON event (structured)
 *   content_type  the `content-type` header: datacontenttype, or application/cloudevents+json
 *   headers       binary mode: the CloudEvents attributes but datacontenttype, by attribute name
 *                 (the relay prefixes them with `ce_`); keys that are not attribute names are
 *                 copied as they are (tracing headers, for example)
 *   aggregateid   the Kafka key (partitionkey)
 *
 * so that the relay needs no codec and no knowledge of modes: it copies.
 */
import type { IHeaders } from 'kafkajs';
import type { EventMetadata, EventOutbox, NewEvent } from '../postgres/event-store.js';
import type { OutboxMessageRecord } from '../postgres/outbox-reader.js';
import { isAttributeName } from '../cloudevents.js';
import { type CloudEventAttributes, type ContentMode, CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE, attributesOf, encodeStructured, frameConfluent } from './binding.js';
import type { OutgoingMessage } from './producer.js';

export interface OutboxEntryOptions {
  readonly topic: string;
  /** Default binary. */
  readonly mode?: ContentMode;
  /** Confluent wire format for the data (magic byte 0 + this schema id). */
  readonly schemaId?: number;
  /** Extra Kafka headers (not CloudEvents attributes). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The outbox row of an event whose encoded data is `data`. */
export function outboxEntry(event: CloudEventAttributes, data: Uint8Array, options: OutboxEntryOptions): EventOutbox {
  const bytes = options.schemaId === undefined ? data : frameConfluent(options.schemaId, data);
  const common = { topic: options.topic, key: event.partitionkey, type: event.type, id: event.id };
  if ((options.mode ?? 'binary') === 'structured') {
    const record = encodeStructured(event, bytes);
    return { ...common, payload: record.value, contentType: STRUCTURED_CONTENT_TYPE, headers: { ...options.headers } };
  }
  const headers: Record<string, string> = { ...options.headers };
  for (const [name, text] of attributesOf(event)) if (name !== 'datacontenttype') headers[name] = text;
  return { ...common, payload: bytes, contentType: event.datacontenttype, headers };
}

/**
 * An event for appendToStream with its outbox row: the envelope's id, type and version, its
 * encoded data, and the attributes the events table has no column for in `metadata` (so that
 * the stored event can be published again as the same CloudEvent).
 */
export function newEventFor(event: CloudEventAttributes, data: Uint8Array, options: OutboxEntryOptions): NewEvent {
  const metadata: Record<string, string> = {};
  for (const [name, text] of attributesOf(event)) {
    if (name !== 'id' && name !== 'type' && name !== 'dataversion' && name !== 'datacontenttype' && name !== 'specversion') metadata[name] = text;
  }
  return {
    eventId: event.id,
    eventType: event.type,
    schemaVersion: event.dataversion,
    data,
    contentType: event.datacontenttype,
    metadata: metadata satisfies EventMetadata,
    occurredAt: new Date(event.time),
    outbox: outboxEntry(event, data, options),
  };
}

/**
 * The Kafka header name of each outbox header name seen (`ce_<attribute>`, or the name itself):
 * the same dozen names come on every row, so each is checked and prefixed once. Bounded, since
 * rows may carry names of their own.
 */
const headerNames = new Map<string, string>();
const MAX_HEADER_NAMES = 512;

function kafkaHeaderName(name: string): string {
  let kafka = headerNames.get(name);
  if (kafka === undefined) {
    kafka = isAttributeName(name) ? `ce_${name}` : name;
    if (headerNames.size < MAX_HEADER_NAMES) headerNames.set(name, kafka);
  }
  return kafka;
}

/** The Kafka message of an outbox row: key, value and headers as outboxEntry laid them out. */
export function outboxRecordToMessage(record: OutboxMessageRecord): OutgoingMessage {
  const headers: IHeaders = {};
  if (record.contentType !== null) headers[CONTENT_TYPE_HEADER] = record.contentType;
  for (const name in record.headers) {
    const value = record.headers[name];
    if (value !== undefined) headers[kafkaHeaderName(name)] = value;
  }
  const payload = record.payload;
  const value = payload === null ? null : Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return { topic: record.topic, key: record.aggregateId, value, headers };
}
