// A small event domain for the Kafka runtime tests, written the way generated code would be:
// codecs per event version, an upcaster, a decoding table and typed envelopes; plus helpers to
// show Kafka messages to the official CloudEvents SDK.
import { CloudEvent as SdkCloudEvent, Kafka as SdkKafka, type KafkaMessage as SdkKafkaMessage } from 'cloudevents';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import {
  type AvroCodec,
  type CloudEvent,
  type DataCodec,
  type EventDecoding,
  createCodec,
  makeEnvelope,
} from '../../generator/runtime/index.js';

export const SOURCE = 'urn:example:counter-service';
export const INCREMENTED = 'com.example.counters.counter.incremented';
export const POISONED = 'com.example.counters.counter.poisoned';

export interface IncrementedV1 {
  seq: number;
  by: bigint;
}
export interface IncrementedV2 {
  seq: number;
  by: bigint;
  note: string;
}
export interface PoisonedV1 {
  seq: number;
}

/** The event map a generated layer would declare: CloudEvents type → latest data type. */
export type CounterEvents = {
  [INCREMENTED]: IncrementedV2;
  [POISONED]: PoisonedV1;
};

export const incrementedV1: AvroCodec<IncrementedV1> = createCodec<IncrementedV1>({
  type: 'record',
  name: 'Incremented',
  namespace: 'com.example.counters',
  fields: [
    { name: 'seq', type: 'int' },
    { name: 'by', type: 'long' },
  ],
});
export const incrementedV2: AvroCodec<IncrementedV2> = createCodec<IncrementedV2>({
  type: 'record',
  name: 'Incremented',
  namespace: 'com.example.counters',
  fields: [
    { name: 'seq', type: 'int' },
    { name: 'by', type: 'long' },
    { name: 'note', type: 'string', default: '' },
  ],
});
export const poisonedV1: AvroCodec<PoisonedV1> = createCodec<PoisonedV1>({
  type: 'record',
  name: 'Poisoned',
  namespace: 'com.example.counters',
  fields: [{ name: 'seq', type: 'int' }],
});

const codecs: Readonly<Record<string, Readonly<Record<number, DataCodec>>>> = {
  [INCREMENTED]: { 1: incrementedV1, 2: incrementedV2 },
  [POISONED]: { 1: poisonedV1 },
};

export const counterDecoding: EventDecoding = {
  codec: (type, version) => (Object.hasOwn(codecs, type) ? codecs[type]?.[version] : undefined),
  upcast: (type, version, data) => {
    if (type === INCREMENTED && version === 1) {
      const v1 = data as IncrementedV1;
      return { seq: v1.seq, by: v1.by, note: '(from v1)' } satisfies IncrementedV2;
    }
    return data;
  },
  latestVersion: (type) => (type === INCREMENTED ? 2 : 1),
};

export type Encoded = { readonly event: CloudEvent; readonly data: Uint8Array };

/** An Incremented event of aggregate `id`, written as v2 (or v1 when `v1`), Avro or JSON. */
export function incremented(id: string, seq: number, options: { v1?: boolean; json?: boolean; by?: bigint; note?: string } = {}): Encoded {
  const by = options.by ?? BigInt(seq) * 10n;
  const contentType = options.json ? 'application/json' : 'application/avro';
  if (options.v1) {
    const data: IncrementedV1 = { seq, by };
    const event = makeEnvelope({ type: INCREMENTED, dataversion: 1, source: SOURCE, subject: id, data }, { datacontenttype: contentType });
    return { event, data: options.json ? Buffer.from(incrementedV1.toJson(data)) : incrementedV1.toBinary(data) };
  }
  const data: IncrementedV2 = { seq, by, note: options.note ?? `n${seq}` };
  const event = makeEnvelope({ type: INCREMENTED, dataversion: 2, source: SOURCE, subject: id, data }, { datacontenttype: contentType, correlationid: `corr-${id}` });
  return { event, data: options.json ? Buffer.from(incrementedV2.toJson(data)) : incrementedV2.toBinary(data) };
}

export function poisoned(id: string, seq: number): Encoded {
  const data: PoisonedV1 = { seq };
  return { event: makeEnvelope({ type: POISONED, dataversion: 1, source: SOURCE, subject: id, data }), data: poisonedV1.toBinary(data) };
}

// ---- the official SDK as a judge ---------------------------------------------------------

/** Headers as they arrive from Kafka (bytes), converted to the strings the SDK's Message expects. */
export function sdkHeaders(headers: IHeaders | Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}

/** A consumed KafkaJS message in the shape Kafka.toEvent reads. */
export function sdkMessage(message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'timestamp'>): SdkKafkaMessage {
  return {
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: sdkHeaders(message.headers),
    body: message.value ?? Buffer.alloc(0),
    timestamp: message.timestamp,
  };
}

/** What the SDK read: one event (no batches here). */
export function sdkRead(message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'timestamp'>): SdkCloudEvent<unknown> {
  const read = SdkKafka.toEvent(sdkMessage(message));
  if (Array.isArray(read)) throw new Error('expected one event');
  return read as SdkCloudEvent<unknown>;
}

/** Attributes (not data) of an SDK event as plain strings, the way binary mode carries them. */
export function sdkAttributes(event: SdkCloudEvent<unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'data_base64' || value === undefined) continue;
    out[name] = String(value);
  }
  return out;
}

/** Our envelope's attributes as strings (what the SDK must read back). */
export function ourAttributes(event: CloudEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || value === undefined) continue;
    out[name] = String(value);
  }
  return out;
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
