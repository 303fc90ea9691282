/**
 * CloudEvents Kafka protocol binding (cloudevents/spec, bindings/kafka-protocol-binding.md).
 *
 * Binary mode: every attribute and extension but `datacontenttype` in a `ce_<name>` header
 * (UTF-8 text), `datacontenttype` in `content-type`, the data bytes as the value. Structured
 * mode: `content-type: application/cloudevents+json; charset=UTF-8` and the JSON event format
 * as the value (`data` for JSON data, `data_base64` otherwise). Either way the Kafka key is
 * `partitionkey` (the aggregate id), which the event also keeps as an attribute (spec 3.1).
 *
 * The data stays bytes here, in the encoding `datacontenttype` names (JSON data as its UTF-8
 * text): codecs and upcasters are the caller's business. Decoding is strict: what it returns
 * passed validateEnvelope; anything else is a list of reasons, never an exception.
 */
import type { IHeaders } from 'kafkajs';
import { type CloudEvent, type ValidationResult, envelopeAttributes, isAttributeName, validateEnvelope } from '../cloudevents.js';
import { JsonNumber, JsonSyntaxError, parseJson, quoteJson, stringifyJson, type JsonValue } from '../json-text.js';

export type ContentMode = 'binary' | 'structured';

/** A CloudEvent whose data is still encoded, as `datacontenttype` says. */
export type EncodedCloudEvent = CloudEvent<string, Uint8Array>;

/** The attributes of an event (its `data` is not read: the encoded bytes travel beside it). */
export type CloudEventAttributes = Omit<CloudEvent, 'data'>;

/** A Kafka message as KafkaJS sends it (a `Message` of kafkajs). */
export interface OutgoingRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** A Kafka message as KafkaJS delivers it (the parts of a `KafkaMessage` the binding reads). */
export interface IncomingRecord {
  readonly key: Buffer | string | null | undefined;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
}

export type DecodedRecord =
  | { readonly ok: true; readonly mode: ContentMode; readonly event: EncodedCloudEvent }
  /** A binary-mode message without a value: a compaction tombstone, not an event. */
  | { readonly ok: false; readonly tombstone: true; readonly errors: readonly string[] }
  | { readonly ok: false; readonly tombstone: false; readonly errors: readonly string[] };

export const CONTENT_TYPE_HEADER = 'content-type';
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';
const HEADER_PREFIX = 'ce_';

// ---- encoding ------------------------------------------------------------------------------

/** Attribute values in the binding's text form; rejects what the CloudEvents type system has no place for. */
function attributeText(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new TypeError(`eventsmith: CloudEvents attribute ${name} must be a string, an integer or a boolean`);
}

const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(envelopeAttributes);
/** `ce_<name>` of the known attributes, made once (encodeBinary runs for every message). */
const KNOWN_HEADERS: ReadonlyMap<string, string> = new Map(envelopeAttributes.map((name) => [name, HEADER_PREFIX + name]));

/**
 * Calls `visit` with every attribute of `event` except `data`, known ones first in
 * envelopeAttributes order, then extensions in property order; absent optional attributes are
 * skipped. Trusts `event` to be valid (made by makeEnvelope or checked by validateEnvelope):
 * encoding is on the hot path, so nothing is collected on the way.
 */
function visitAttributes(event: CloudEventAttributes, visit: (name: string, text: string) => void): void {
  const record = event as unknown as Readonly<Record<string, unknown>>;
  for (const name of envelopeAttributes) {
    const v = record[name];
    if (v !== undefined && v !== null) visit(name, attributeText(name, v));
  }
  for (const name of Object.keys(record)) {
    if (name === 'data' || name === 'data_base64' || KNOWN_ATTRIBUTES.has(name)) continue;
    const v = record[name];
    if (v === undefined || v === null) continue;
    if (!isAttributeName(name)) throw new TypeError(`eventsmith: ${JSON.stringify(name)} is not a CloudEvents attribute name`);
    visit(name, attributeText(name, v));
  }
}

/**
 * Every attribute of `event` except `data`, known ones first in envelopeAttributes order, then
 * extensions in property order; absent optional attributes are skipped. Trusts `event` to be
 * valid (made by makeEnvelope or checked by validateEnvelope).
 */
export function attributesOf(event: CloudEventAttributes): Array<[name: string, text: string]> {
  const out: Array<[string, string]> = [];
  visitAttributes(event, (name, text) => out.push([name, text]));
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Binary content mode: `ce_*` headers, `content-type`, the data as the value, key = partitionkey. */
export function encodeBinary(event: CloudEventAttributes, data: Uint8Array): OutgoingRecord {
  const headers: Record<string, string> = {};
  visitAttributes(event, (name, text) => {
    if (name === 'datacontenttype') headers[CONTENT_TYPE_HEADER] = text;
    else headers[KNOWN_HEADERS.get(name) ?? HEADER_PREFIX + name] = text;
  });
  return { key: event.partitionkey, value: asBuffer(data), headers };
}

/**
 * Structured content mode, JSON event format. JSON data is embedded as the text it is (so
 * longs past 2^53 keep every digit) after checking that it is JSON; other data as data_base64.
 */
export function encodeStructured(event: CloudEventAttributes, data: Uint8Array): OutgoingRecord {
  const parts: string[] = [];
  for (const [name, text] of attributesOf(event)) {
    // The JSON format keeps the integer type of our own integer extension.
    parts.push(`${quoteJson(name)}:${name === 'dataversion' ? String(event.dataversion) : quoteJson(text)}`);
  }
  if (isJsonContentType(event.datacontenttype)) {
    const text = utf8Decoder.decode(data);
    try {
      parseJson(text);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw new TypeError(`eventsmith: ${event.type} data is declared as JSON but is not: ${err.message}`);
      throw err;
    }
    parts.push(`"data":${text}`);
  } else {
    parts.push(`"data_base64":"${asBuffer(data).toString('base64')}"`);
  }
  return {
    key: event.partitionkey,
    value: Buffer.from(`{${parts.join(',')}}`, 'utf8'),
    headers: { [CONTENT_TYPE_HEADER]: STRUCTURED_CONTENT_TYPE },
  };
}

export function encodeCloudEvent(event: CloudEventAttributes, data: Uint8Array, mode: ContentMode = 'binary'): OutgoingRecord {
  return mode === 'binary' ? encodeBinary(event, data) : encodeStructured(event, data);
}

// ---- Confluent wire format -----------------------------------------------------------------

/** Confluent Schema Registry framing: magic byte 0, the schema id (4 bytes, big-endian), the Avro bytes. */
export function frameConfluent(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new RangeError(`eventsmith: invalid schema id ${schemaId}`);
  const out = Buffer.allocUnsafe(5 + payload.byteLength);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  out.set(payload, 5);
  return out;
}

/** The schema id and Avro bytes of a Confluent-framed value, or undefined if it is not framed. */
export function unframeConfluent(value: Uint8Array): { readonly schemaId: number; readonly payload: Uint8Array } | undefined {
  if (value.byteLength < 5 || value[0] !== 0) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return { schemaId: view.getInt32(1, false), payload: value.subarray(5) };
}

// ---- decoding ------------------------------------------------------------------------------

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isJsonContentType(contentType: string): boolean {
  const base = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return base === 'application/json' || base.endsWith('+json');
}

/** The text of one value of a header. */
function oneHeaderText(name: string, value: Buffer | string, errors: string[]): string | undefined {
  if (typeof value === 'string') return value;
  try {
    return utf8Decoder.decode(value);
  } catch {
    errors.push(`header ${name}: not UTF-8`);
    return undefined;
  }
}

function headerText(name: string, value: IHeaders[string], errors: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return oneHeaderText(name, value, errors);
  const texts: string[] = [];
  for (const v of value) {
    const text = oneHeaderText(name, v, errors);
    if (text === undefined) return undefined;
    texts.push(text);
  }
  if (texts.length === 0) return undefined;
  if (texts.some((t) => t !== texts[0])) {
    errors.push(`header ${name}: repeated with different values`);
    return undefined;
  }
  return texts[0];
}

function bytesOf(value: Buffer | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** The key as text (partitionkey), undefined if absent; errors if it is not UTF-8. */
function keyText(key: IncomingRecord['key'], errors: string[]): string | undefined {
  if (key === null || key === undefined) return undefined;
  if (typeof key === 'string') return key;
  try {
    return utf8Decoder.decode(key);
  } catch {
    errors.push('key: not UTF-8');
    return undefined;
  }
}

/** Reconciles the Kafka key with `partitionkey`: a key alone supplies it; both must agree. */
function reconcileKey(raw: Record<string, unknown>, key: string | undefined, errors: string[]): void {
  const pk = raw.partitionkey;
  if (pk === undefined && key !== undefined) raw.partitionkey = key;
  else if (key !== undefined && typeof pk === 'string' && pk !== key) errors.push(`key: '${key}' differs from partitionkey '${pk}'`);
}

/** `raw` is the caller's own, fresh object: it takes `data` rather than being copied with it. */
function finish(raw: Record<string, unknown>, data: Uint8Array, errors: string[], mode: ContentMode): DecodedRecord {
  raw.data = data;
  const checked: ValidationResult<CloudEvent> = validateEnvelope(raw);
  if (!checked.ok) return { ok: false, tombstone: false, errors: [...errors, ...checked.errors] };
  if (errors.length > 0) return { ok: false, tombstone: false, errors };
  // validateEnvelope returned `data` as it found it: these bytes.
  return { ok: true, mode, event: checked.value as EncodedCloudEvent };
}

/** The binary mode: `raw` holds the `ce_*` headers' attributes, `dataHeaders` the names of any that claimed to carry the data. */
function decodeBinary(
  record: IncomingRecord,
  raw: Record<string, unknown>,
  dataHeaders: readonly string[] | undefined,
  contentType: string | undefined,
  key: string | undefined,
  errors: string[],
): DecodedRecord {
  if (record.value === null) return { ok: false, tombstone: true, errors: ['binary-mode message without a value (tombstone)'] };
  if (dataHeaders !== undefined) for (const name of dataHeaders) errors.push(`header ${name}: data travels in the value`);
  if (contentType !== undefined) {
    // The official SDK sends datacontenttype both ways; they must agree.
    if (raw.datacontenttype !== undefined && raw.datacontenttype !== contentType) {
      errors.push(`header ce_datacontenttype '${String(raw.datacontenttype)}' differs from content-type '${contentType}'`);
    }
    raw.datacontenttype = contentType;
  }
  reconcileKey(raw, key, errors);
  return finish(raw, bytesOf(record.value), errors, 'binary');
}

function attributeValue(name: string, v: JsonValue, errors: string[]): string | number | boolean | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof JsonNumber && v.isInteger && Number.isSafeInteger(Number(v.text))) return Number(v.text);
  errors.push(`${name}: an attribute must be a string, a boolean or an integer`);
  return undefined;
}

function decodeStructured(record: IncomingRecord, contentType: string, key: string | undefined, errors: string[]): DecodedRecord {
  const base = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (base !== 'application/cloudevents+json') {
    return { ok: false, tombstone: false, errors: [`content-type '${contentType}': only the JSON event format is supported in structured mode`] };
  }
  if (record.value === null) return { ok: false, tombstone: false, errors: ['structured-mode message without a value'] };
  let doc: JsonValue;
  try {
    doc = parseJson(typeof record.value === 'string' ? record.value : utf8Decoder.decode(record.value));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, tombstone: false, errors: [`value: not a JSON event: ${why}`] };
  }
  if (!(doc instanceof Map)) return { ok: false, tombstone: false, errors: ['value: a JSON event must be an object'] };
  const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let data: Uint8Array | undefined;
  for (const [name, v] of doc) {
    if (name === 'data') {
      if (v !== null) data = Buffer.from(stringifyJson(v), 'utf8');
    } else if (name === 'data_base64') {
      if (typeof v !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) errors.push('data_base64: not base64');
      else if (data !== undefined) errors.push('data and data_base64 are both present');
      else data = Buffer.from(v, 'base64');
    } else {
      const value = attributeValue(name, v, errors);
      if (value !== undefined) raw[name] = value;
    }
  }
  if (doc.has('data') && doc.has('data_base64')) errors.push('data and data_base64 are both present');
  if (data !== undefined && doc.has('data') && typeof raw.datacontenttype === 'string' && !isJsonContentType(raw.datacontenttype)) {
    errors.push(`data: ${raw.datacontenttype} data must travel as data_base64`);
  }
  reconcileKey(raw, key, errors);
  if (data === undefined) return { ok: false, tombstone: false, errors: [...errors, 'data: required'] };
  return finish(raw, data, errors, 'structured');
}

/**
 * Reads a Kafka message as a CloudEvent in either content mode (chosen by `content-type`, as
 * the spec says). The result passed validateEnvelope; `data` is the encoded bytes.
 */
export function decodeCloudEvent(record: IncomingRecord): DecodedRecord {
  const errors: string[] = [];
  // The binary mode's attributes, gathered in the one pass over the headers (a structured
  // message drops them). A plain object, for its fast properties: `__proto__`, the one name
  // that would not become an own property of it, is defined as one.
  const raw: Record<string, unknown> = {};
  let dataHeaders: string[] | undefined;
  let contentType: string | undefined;
  const all = record.headers;
  for (const name in all) {
    if (!Object.hasOwn(all, name)) continue;
    const text = headerText(name, all[name], errors);
    if (text === undefined) continue;
    // Header names are case-sensitive in Kafka: `ce_ID` is not `ce_id` (and ID is no attribute
    // name). Only content-type is matched case-insensitively, as the spec says of its value.
    if (name.length === CONTENT_TYPE_HEADER.length && name.toLowerCase() === CONTENT_TYPE_HEADER) {
      if (contentType !== undefined && contentType !== text) errors.push(`header ${name}: repeated with different values`);
      contentType = text;
    } else if (name.startsWith(HEADER_PREFIX)) {
      const attribute = name.slice(HEADER_PREFIX.length);
      if (attribute === 'data' || attribute === 'data_base64') (dataHeaders ??= []).push(name);
      else if (attribute === '__proto__') Object.defineProperty(raw, attribute, { value: text, enumerable: true, writable: true, configurable: true });
      else raw[attribute] = text;
    }
  }
  const key = keyText(record.key, errors);
  if (contentType !== undefined && contentType.toLowerCase().startsWith('application/cloudevents')) {
    return decodeStructured(record, contentType, key, errors);
  }
  return decodeBinary(record, raw, dataHeaders, contentType, key, errors);
}
