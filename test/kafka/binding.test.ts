// The CloudEvents Kafka binding against the official `cloudevents` SDK as an external judge:
// the SDK reads what we encode, and we read what the SDK encodes. No broker: the broker round
// trip is in pipeline.test.ts.
import { CloudEvent as SdkCloudEvent, Kafka as SdkKafka } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  type EventDecoding,
  KafkaConsumerRunner,
  STRUCTURED_CONTENT_TYPE,
  dataschemaFor,
  decodeCloudEvent,
  decodeMessage,
  encodeBinary,
  encodeCloudEvent,
  encodeStructured,
  frameConfluent,
  makeEnvelope,
  unframeConfluent,
} from '../../generator/runtime/index.js';
import { INCREMENTED, SOURCE, counterDecoding, incremented, incrementedV2, ourAttributes, sdkAttributes, sdkHeaders, sdkRead } from './support.js';

const asConsumed = (r: { key: string | null; value: Buffer | null; headers: Record<string, string> }) => ({
  key: r.key === null ? null : Buffer.from(r.key),
  value: r.value,
  // As KafkaJS delivers them: bytes.
  headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp: '0',
});

function withExtension(base: CloudEvent, ext: Record<string, string | number | boolean>): CloudEvent {
  return { ...base, ...ext } as CloudEvent;
}

describe('the SDK reads what we encode (Kafka.toEvent)', () => {
  const cases = [
    ['binary, Avro data', 'binary', incremented('agg-1', 7)],
    ['binary, JSON data', 'binary', incremented('agg-2', 8, { json: true })],
    ['structured, Avro data (data_base64)', 'structured', incremented('agg-3', 9)],
    ['structured, JSON data', 'structured', incremented('agg-4', 10, { json: true })],
    ['binary, v1 without optional attributes', 'binary', incremented('agg-5', 11, { v1: true })],
  ] as const;

  for (const [name, mode, { event, data }] of cases) {
    it(name, () => {
      const record = encodeCloudEvent(event, data, mode);
      expect(record.key).toBe(event.partitionkey);
      const read = sdkRead(asConsumed(record));
      // Every attribute and extension, the same; binary mode carries them all as text.
      expect(sdkAttributes(read)).toEqual(ourAttributes(event));
      if (event.datacontenttype === 'application/json') expect(read.data).toEqual(JSON.parse(Buffer.from(data).toString('utf8')));
      else expect(Buffer.from(read.data as Uint8Array)).toEqual(Buffer.from(data));
    });
  }

  it('binary mode: one ce_ header per attribute, content-type for datacontenttype, the data alone as the value', () => {
    const { event, data } = incremented('agg-1', 1);
    const record = encodeBinary(event, data);
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: SOURCE,
      ce_type: INCREMENTED,
      ce_time: event.time,
      ce_subject: 'agg-1',
      ce_dataschema: `urn:eventsmith:schema:${INCREMENTED}:v2`,
      'content-type': 'application/avro',
      ce_dataversion: '2',
      ce_partitionkey: 'agg-1',
      ce_correlationid: 'corr-agg-1',
    });
    expect(record.value).toEqual(Buffer.from(data));
  });

  it('extensions of any kind travel too', () => {
    const { event, data } = incremented('agg-x', 1);
    const ext = withExtension(event, { tenant: 'acme', retried: true, priority: 3 });
    for (const mode of ['binary', 'structured'] as const) {
      const read = sdkRead(asConsumed(encodeCloudEvent(ext, data, mode)));
      expect(sdkAttributes(read)).toEqual(ourAttributes(ext));
    }
  });

  it('structured mode keeps every digit of a long past 2^53 in JSON data', () => {
    const { event, data } = incremented('agg-big', 1, { json: true, by: 9007199254740993n });
    const record = encodeStructured(event, data);
    expect(record.headers).toEqual({ 'content-type': STRUCTURED_CONTENT_TYPE });
    expect(record.value?.toString()).toContain('"by":9007199254740993');
    const back = decodeCloudEvent(asConsumed(record));
    expect(back.ok && incrementedV2.fromJson(Buffer.from(back.event.data).toString())).toEqual({ seq: 1, by: 9007199254740993n, note: 'n1' });
  });
});

describe('we read what the SDK encodes (Kafka.binary, Kafka.structured)', () => {
  const attrs = {
    specversion: '1.0',
    id: 'e-1',
    source: SOURCE,
    type: INCREMENTED,
    time: '2024-05-01T12:00:00.000Z',
    subject: 'agg-9',
    dataschema: `urn:eventsmith:schema:${INCREMENTED}:v2`,
    dataversion: 2,
    partitionkey: 'agg-9',
  } as const;
  const avro = incrementedV2.toBinary({ seq: 3, by: 30n, note: 'sdk' });
  const json = incrementedV2.toJson({ seq: 4, by: 40n, note: 'sdk' });

  // What the SDK's messages look like on the wire: header values and the value as bytes.
  const wire = (m: { key: unknown; value: unknown; headers: Record<string, unknown> }) => ({
    key: Buffer.from(String(m.key)),
    value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value)),
    headers: Object.fromEntries(Object.entries(sdkHeaders(m.headers)).map(([k, v]) => [k, Buffer.from(v)])),
  });

  it('binary mode, Avro data', () => {
    const sdk = new SdkCloudEvent({ ...attrs, datacontenttype: 'application/avro', data: Buffer.from(avro) });
    const decoded = decodeCloudEvent(wire(SdkKafka.binary(sdk)));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.mode).toBe('binary');
    expect({ ...decoded.event, data: undefined }).toEqual({ ...attrs, datacontenttype: 'application/avro', data: undefined });
    expect(Buffer.from(decoded.event.data)).toEqual(Buffer.from(avro));
  });

  it('binary mode, JSON data; then the consumer decoding gives the typed latest version', () => {
    const sdk = new SdkCloudEvent({ ...attrs, datacontenttype: 'application/json', data: JSON.parse(json) as unknown });
    const message = wire(SdkKafka.binary(sdk));
    const outcome = decodeMessage(message, counterDecoding, { handles: () => true });
    expect(outcome).toEqual({ kind: 'event', writerVersion: 2, event: { ...attrs, datacontenttype: 'application/json', data: { seq: 4, by: 40n, note: 'sdk' }, writerVersion: 2 } });
  });

  it('structured mode, Avro data as data_base64 and JSON data inline', () => {
    for (const [contentType, data, expected] of [
      ['application/avro', Buffer.from(avro), { seq: 3, by: 30n, note: 'sdk' }],
      ['application/json', JSON.parse(json) as unknown, { seq: 4, by: 40n, note: 'sdk' }],
    ] as const) {
      const sdk = new SdkCloudEvent({ ...attrs, datacontenttype: contentType, data });
      const message = wire(SdkKafka.structured(sdk));
      const decoded = decodeCloudEvent(message);
      expect(decoded.ok && decoded.mode).toBe('structured');
      expect(decodeMessage(message, counterDecoding, { handles: () => true })).toEqual({
        kind: 'event',
        writerVersion: 2,
        event: { ...attrs, datacontenttype: contentType, data: expected, writerVersion: 2 },
      });
    }
  });
});

describe('a message written in an earlier version', () => {
  it('is delivered as the latest: dataversion and dataschema name the version of the data, writerVersion the one it was written in', () => {
    for (const json of [false, true]) {
      const { event, data } = incremented('agg-1', 7, { v1: true, json });
      expect(event.dataversion).toBe(1);
      const outcome = decodeMessage(asConsumed(encodeBinary(event, data)), counterDecoding, { handles: () => true });
      expect(outcome).toEqual({
        kind: 'event',
        writerVersion: 1,
        event: { ...event, dataversion: 2, dataschema: dataschemaFor(INCREMENTED, 2), writerVersion: 1, data: { seq: 7, by: 70n, note: '(from v1)' } },
      });
    }
  });
});

describe('a decoding without latestVersion', () => {
  it('is refused when the consumer runner is built, not message by message', () => {
    const { latestVersion: _, ...old } = counterDecoding;
    const build = () => new KafkaConsumerRunner({ kafka: null as never, pool: null as never, groupId: 'g', topics: ['t'], handlers: {}, decoding: old as unknown as EventDecoding });
    expect(build).toThrow(/decoding\.latestVersion\(type\) is required/);
  });
});

describe('strict decoding: every problem named, never an exception', () => {
  const { event, data } = incremented('agg-1', 1);
  const good = encodeBinary(event, data);
  const variant = (edit: (h: Record<string, string>) => void, key: string | null = 'agg-1', value: Buffer | null = Buffer.from(data)) => {
    const headers = { ...good.headers };
    edit(headers);
    return decodeCloudEvent(asConsumed({ key, value, headers }));
  };
  const errorsOf = (d: ReturnType<typeof decodeCloudEvent>) => (d.ok ? [] : d.errors.join('\n'));

  it('accepts the good message', () => {
    expect(decodeCloudEvent(asConsumed(good)).ok).toBe(true);
  });

  it.each([
    ['a missing id', (h: Record<string, string>) => delete h.ce_id, /id: required/],
    ['a bad time', (h: Record<string, string>) => (h.ce_time = '2024-02-30T00:00:00Z'), /time: must be an RFC 3339/],
    ['another spec version', (h: Record<string, string>) => (h.ce_specversion = '0.3'), /specversion/],
    ['an unknown content type', (h: Record<string, string>) => (h['content-type'] = 'text/plain'), /datacontenttype/],
    ['a non-integer dataversion', (h: Record<string, string>) => (h.ce_dataversion = 'two'), /dataversion/],
    ['a relative dataschema', (h: Record<string, string>) => (h.ce_dataschema = 'schemas/v2'), /dataschema/],
    ['an upper-case attribute header', (h: Record<string, string>) => (h.ce_Tenant = 'x'), /not a CloudEvents attribute name/],
    ['ce_datacontenttype disagreeing with content-type', (h: Record<string, string>) => (h.ce_datacontenttype = 'application/json'), /differs from content-type/],
    ['a header naming the prototype', (h: Record<string, string>) => (h.ce___proto__ = 'x'), /'__proto__': not a CloudEvents attribute name/],
    ['the data in a header', (h: Record<string, string>) => (h.ce_data = 'x'), /header ce_data: data travels in the value/],
    ['a source that is no URI-reference', (h: Record<string, string>) => (h.ce_source = 'not a uri'), /source: must be a URI-reference/],
  ])('rejects %s', (_name, edit, message) => {
    expect(errorsOf(variant(edit))).toMatch(message);
  });

  it('checks every source and dataschema, though it remembers the ones that passed', () => {
    // Past the memory's capacity (it starts over), a bad value is still caught.
    for (let i = 0; i < 600; i++) expect(variant((h) => (h.ce_source = `urn:example:source-${i}`)).ok).toBe(true);
    expect(errorsOf(variant((h) => (h.ce_source = 'urn:example:source 1')))).toMatch(/source: must be a URI-reference/);
    expect(errorsOf(variant((h) => (h.ce_dataschema = 'relative/v1')))).toMatch(/dataschema: must be an absolute URI/);
    expect(decodeCloudEvent(asConsumed(good)).ok).toBe(true);
  });

  it('keeps extensions, reads content-type in any case, and gives the prototype no attribute', () => {
    const d = variant((h) => {
      h.ce_tenant = 'acme';
      h['Content-Type'] = h['content-type'] ?? '';
      delete h['content-type'];
    });
    expect(d.ok && (d.event as unknown as Record<string, unknown>).tenant).toBe('acme');
    expect(d.ok && d.event.datacontenttype).toBe('application/avro');
    expect(d.ok && Object.getPrototypeOf(d.event)).toBe(Object.prototype);
  });

  it('rejects a key that is not the partitionkey, and takes the key when partitionkey is absent', () => {
    expect(errorsOf(variant(() => undefined, 'agg-2'))).toMatch(/differs from partitionkey/);
    const keyed = variant((h) => delete h.ce_partitionkey, 'agg-1');
    expect(keyed.ok && keyed.event.partitionkey).toBe('agg-1');
  });

  it('rejects header values that are not UTF-8, and repeated headers that disagree', () => {
    const bad = decodeCloudEvent({ key: Buffer.from('agg-1'), value: Buffer.from(data), headers: { ...asConsumed(good).headers, ce_subject: Buffer.from([0xff, 0xfe]) } });
    expect(errorsOf(bad)).toMatch(/ce_subject: not UTF-8/);
    const repeated = decodeCloudEvent({ key: Buffer.from('agg-1'), value: Buffer.from(data), headers: { ...asConsumed(good).headers, ce_id: [Buffer.from('a'), Buffer.from('b')] } });
    expect(errorsOf(repeated)).toMatch(/ce_id: repeated with different values/);
  });

  it('reports a binary message without a value as a tombstone', () => {
    const d = variant(() => undefined, 'agg-1', null);
    expect(d.ok === false && d.tombstone).toBe(true);
  });

  it('rejects structured messages that are not JSON events, batches, or carry data twice', () => {
    const structured = (value: string, contentType = STRUCTURED_CONTENT_TYPE) =>
      errorsOf(decodeCloudEvent({ key: null, value: Buffer.from(value), headers: { 'content-type': Buffer.from(contentType) } }));
    expect(structured('{not json')).toMatch(/not a JSON event/);
    expect(structured('[]')).toMatch(/must be an object/);
    expect(structured('[]', 'application/cloudevents-batch+json')).toMatch(/only the JSON event format/);
    const json = encodeStructured(event, data).value?.toString() ?? '';
    expect(structured(json.replace('"data_base64"', '"data":1,"data_base64"'))).toMatch(/data and data_base64/);
    expect(structured(json.replace(/"data_base64":"[^"]*"/, '"data_base64":"***"'))).toMatch(/not base64/);
  });

  it('the consumer decoding sends unknown events and versions, and undecodable data, to the dead-letter topic', () => {
    const unknown = makeEnvelope({ type: 'com.example.other.thing', dataversion: 1, source: SOURCE, subject: 'a', data: {} });
    const dead = (m: ReturnType<typeof encodeBinary>) => decodeMessage(asConsumed(m), counterDecoding, { handles: () => true });
    expect(dead(encodeBinary(unknown, new Uint8Array([0])))).toMatchObject({ kind: 'dead', reason: 'unknown-event' });
    expect(dead(encodeBinary({ ...event, dataversion: 9, dataschema: `urn:eventsmith:schema:${INCREMENTED}:v9` }, data))).toMatchObject({ kind: 'dead', reason: 'unknown-event' });
    expect(dead(encodeBinary(event, new Uint8Array([1, 2, 3])))).toMatchObject({ kind: 'dead', reason: 'undecodable' });
    expect(dead(encodeBinary({ ...event, dataschema: `urn:eventsmith:schema:${INCREMENTED}:v1` }, data))).toMatchObject({ kind: 'dead', reason: 'undecodable' });
    expect(decodeMessage(asConsumed(good), counterDecoding, { handles: () => false })).toEqual({ kind: 'ignore', why: 'unhandled' });
  });

  it('Confluent wire format: framed and unframed, checked against the expected schema id', () => {
    const framed = frameConfluent(42, data);
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 0, 42]);
    expect(unframeConfluent(framed)).toEqual({ schemaId: 42, payload: Buffer.from(data) });
    const decoding = { ...counterDecoding, schemaId: () => 42 };
    const ok = decodeMessage(asConsumed(encodeBinary(event, framed)), decoding, { handles: () => true, wireFormat: 'confluent' });
    expect(ok.kind).toBe('event');
    const wrong = decodeMessage(asConsumed(encodeBinary(event, frameConfluent(7, data))), decoding, { handles: () => true, wireFormat: 'confluent' });
    expect(wrong).toMatchObject({ kind: 'dead', reason: 'undecodable' });
  });
});
