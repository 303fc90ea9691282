// CloudEvents envelopes in the runtime: validation of incoming envelopes (never throws), the
// constructor generated code calls, the guard-table parser, and the format checks under them.
import { describe, expect, it } from 'vitest';
import {
  dataschemaFor,
  STREAM_VERSION_EXTENSION,
  streamVersionOf,
  InvalidEnvelopeError,
  isAbsoluteUri,
  isAttributeName,
  isRfc3339DateTime,
  isUriReference,
  makeEnvelope,
  parseEnvelope,
  validateEnvelope,
  type CloudEvent,
  type DataGuard,
} from '../../generator/runtime/index.js';

const valid = {
  specversion: '1.0',
  id: 'e-1',
  source: 'urn:example:order-service',
  type: 'com.example.orders.order.placed',
  time: '2024-05-01T12:00:00Z',
  subject: 'o-1',
  dataschema: 'urn:eventsmith:schema:com.example.orders.order.placed:v2',
  datacontenttype: 'application/avro',
  dataversion: 2,
  partitionkey: 'o-1',
  data: { customerId: 'c1' },
} as const;

function errorsOf(raw: unknown): readonly string[] {
  const r = validateEnvelope(raw);
  return r.ok ? [] : r.errors;
}

function without(name: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...valid };
  delete copy[name];
  return copy;
}

describe('validateEnvelope', () => {
  it('accepts a valid envelope and returns its attributes', () => {
    expect(validateEnvelope(valid)).toEqual({ ok: true, value: valid });
  });

  it('keeps correlation and causation ids and other valid extensions; null means absent', () => {
    const r = validateEnvelope({ ...valid, correlationid: 'c', causationid: null, traceparent: '00-abc', sampled: true, hops: 3 });
    expect(r).toEqual({ ok: true, value: { ...valid, correlationid: 'c', traceparent: '00-abc', sampled: true, hops: 3 } });
  });

  it('reads dataversion in its canonical text form (binary-mode headers) as a number', () => {
    expect(validateEnvelope({ ...valid, dataversion: '2' })).toEqual({ ok: true, value: valid });
  });

  const required = ['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype', 'dataversion', 'partitionkey', 'data'];
  it.each(required)('refuses an envelope without %s', (name) => {
    expect(errorsOf(without(name))).toEqual([`${name}: required`]);
    // In the JSON format an attribute that is null is absent.
    expect(errorsOf({ ...valid, [name]: null })).toEqual([`${name}: required`]);
  });

  it('reports every problem at once', () => {
    expect(errorsOf({ data: 1 })).toEqual(required.filter((n) => n !== 'data').map((n) => `${n}: required`));
  });

  it.each([
    ['an empty id', { id: '' }, "id: must be a non-empty string, got ''"],
    ['a numeric id', { id: 7 }, 'id: must be a non-empty string, got 7'],
    ['another specversion', { specversion: '0.3' }, "specversion: must be '1.0', got '0.3'"],
    ['a source with a space', { source: 'my service' }, "source: must be a URI-reference, got 'my service'"],
    ['a relative dataschema', { dataschema: 'schemas/placed.avsc' }, "dataschema: must be an absolute URI, got 'schemas/placed.avsc'"],
    ['another content type', { datacontenttype: 'text/plain' }, "datacontenttype: must be 'application/avro' or 'application/json', got 'text/plain'"],
    ['dataversion 0', { dataversion: 0 }, 'dataversion: must be a positive integer, got 0'],
    ['a fractional dataversion', { dataversion: 1.5 }, 'dataversion: must be a positive integer, got 1.5'],
    ['a non-canonical dataversion text', { dataversion: '02' }, "dataversion: must be a positive integer, got '02'"],
    ['an empty correlation id', { correlationid: '' }, "correlationid: must be a non-empty string, got ''"],
    ['an object extension', { region: { eu: true } }, 'region: an extension must be a string, a boolean or an integer, got an object'],
    ['base64 data', { data_base64: 'AAEC' }, 'data_base64: decode the data before checking the envelope'],
  ])('refuses %s', (_name, change, want) => {
    expect(errorsOf({ ...valid, ...change })).toEqual([want]);
  });

  it.each(['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01T24:00:00Z', '2024-05-01 12:00:00Z', '2024-05-01T12:00:00', '2024-05-01', 'yesterday'])(
    'refuses the time %s',
    (time) => {
      expect(errorsOf({ ...valid, time })).toEqual([`time: must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z, got '${time}'`]);
    },
  );

  it.each(['Region', 'trace-parent', 'trace_parent', 'café', 'a b'])('refuses the extension name %j', (name) => {
    expect(errorsOf({ ...valid, [name]: 'x' })).toEqual([`'${name}': not a CloudEvents attribute name (lower-case ASCII letters and digits only)`]);
  });

  it('accepts an extension name over 20 characters: the spec only says SHOULD NOT', () => {
    expect(errorsOf({ ...valid, averyveryverylongextensionname: 'x' })).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an array', [valid]],
    ['a string', JSON.stringify(valid)],
    ['bytes', new Uint8Array([1])],
  ])('refuses %s without throwing', (_name, raw) => {
    expect(errorsOf(raw)).toHaveLength(1);
  });

  it('reads own properties only', () => {
    const inherited = Object.create({ ...valid }) as object;
    expect(errorsOf(inherited)).toHaveLength(required.length);
    const polluted = JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(valid).slice(1)}`) as unknown;
    expect(errorsOf(polluted)).toEqual(["'__proto__': not a CloudEvents attribute name (lower-case ASCII letters and digits only)"]);
  });

  it('shows untrusted values safely', () => {
    expect(errorsOf({ ...valid, id: 1n })).toEqual(['id: must be a non-empty string, got 1n']);
    const [message] = errorsOf({ ...valid, time: `${'x'.repeat(100)}\n` });
    expect(message).toMatch(/got 'x+…$/);
    expect(errorsOf({ ...valid, time: 'a\u0000b' })).toEqual(["time: must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z, got 'a\\u0000b'"]);
  });
});

describe('makeEnvelope', () => {
  const init = { type: 'com.example.orders.order.placed', dataversion: 2, source: 'urn:example:order-service', subject: 'o-1', data: { customerId: 'c1' } } as const;
  const env = { now: () => new Date('2024-05-01T12:00:00Z'), newId: () => 'e-1' };

  it('fills id, time, dataschema, content type and partition key', () => {
    const e: CloudEvent<'com.example.orders.order.placed', { readonly customerId: 'c1' }, 2> = makeEnvelope(init, {}, env);
    expect(e).toEqual({ ...valid, time: '2024-05-01T12:00:00.000Z' });
    expect(Object.keys(e)).toEqual(['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype', 'dataversion', 'partitionkey', 'data']);
    expect(validateEnvelope(e)).toEqual({ ok: true, value: e });
  });

  it('uses a random UUID and the clock by default', () => {
    const before = Date.now();
    const e = makeEnvelope(init);
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(e.time)).toBeGreaterThanOrEqual(before);
    expect(makeEnvelope(init).id).not.toBe(e.id);
  });

  it('takes what meta gives', () => {
    const e = makeEnvelope(init, { id: 'mine', time: '2024-01-01T00:00:00+01:00', source: '/orders/eu', datacontenttype: 'application/json', correlationid: 'c', causationid: 'k' }, env);
    expect(e).toMatchObject({ id: 'mine', time: '2024-01-01T00:00:00+01:00', source: '/orders/eu', datacontenttype: 'application/json', correlationid: 'c', causationid: 'k' });
    expect(makeEnvelope(init, { time: new Date(0) }, env).time).toBe('1970-01-01T00:00:00.000Z');
  });

  it('follows causedBy: causation is its id, correlation carries on', () => {
    expect(makeEnvelope(init, { causedBy: { id: 'cmd-1' } }, env)).toMatchObject({ causationid: 'cmd-1', correlationid: 'cmd-1' });
    expect(makeEnvelope(init, { causedBy: { id: 'cmd-1', correlationid: 'flow-7' } }, env)).toMatchObject({ causationid: 'cmd-1', correlationid: 'flow-7' });
    expect(makeEnvelope(init, { causedBy: { id: 'cmd-1' }, correlationid: 'own' }, env)).toMatchObject({ causationid: 'cmd-1', correlationid: 'own' });
  });

  it('throws InvalidEnvelopeError listing every malformed attribute', () => {
    const attempt = (): unknown => makeEnvelope({ ...init, subject: '' }, { id: '', time: '1 May' }, env);
    expect(attempt).toThrow(InvalidEnvelopeError);
    try {
      attempt();
    } catch (e) {
      expect((e as InvalidEnvelopeError).errors).toEqual([
        "id: must be a non-empty string, got ''",
        "time: must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z, got '1 May'",
        "subject: must be a non-empty string, got ''",
        "partitionkey: must be a non-empty string, got ''",
      ]);
    }
    expect(() => makeEnvelope(init, { time: new Date(Number.NaN) }, env)).toThrow("time: must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z, got 'Invalid Date'");
  });
});

describe('parseEnvelope', () => {
  const isPlaced: DataGuard<{ readonly customerId: string }> = {
    isValid: (v: unknown): v is { readonly customerId: string } => typeof v === 'object' && v !== null && typeof (v as { customerId?: unknown }).customerId === 'string',
  };
  const isAnything: DataGuard<unknown> = { isValid: (_v: unknown): _v is unknown => true };
  const guards = { 'com.example.orders.order.placed': { 1: isAnything, 2: isPlaced } } as const;

  it('accepts a known type and version with valid data, typed by the table', () => {
    const r = parseEnvelope(valid, guards, 'Order');
    expect(r).toEqual({ ok: true, value: valid });
    if (r.ok && r.value.dataversion === 2) expect(r.value.data.customerId).toBe('c1');
  });

  it.each([
    ['an unknown type', { type: 'com.example.orders.order.shipped' }, "type: 'com.example.orders.order.shipped' is not one of Order's events; expected 'com.example.orders.order.placed'"],
    ['a prototype member as type', { type: 'toString' }, "type: 'toString' is not one of Order's events; expected 'com.example.orders.order.placed'"],
    ['an unknown version', { dataversion: 3 }, 'dataversion: com.example.orders.order.placed has no version 3; known versions: 1, 2'],
    ['invalid data', { data: { customerId: 1 } }, 'data: not valid data of com.example.orders.order.placed version 2'],
    [
      'a dataschema of another version',
      { dataschema: dataschemaFor(valid.type, 1) },
      "dataschema: must be 'urn:eventsmith:schema:com.example.orders.order.placed:v2' for version 2, got 'urn:eventsmith:schema:com.example.orders.order.placed:v1'",
    ],
  ])('refuses %s', (_name, change, want) => {
    expect(parseEnvelope({ ...valid, ...change }, guards, 'Order')).toEqual({ ok: false, errors: [want] });
  });

  it('reports attribute errors before looking at the table', () => {
    expect(parseEnvelope({ ...valid, id: '' }, guards, 'Order')).toEqual({ ok: false, errors: ["id: must be a non-empty string, got ''"] });
  });
});

describe('formats', () => {
  it.each([
    ['2024-02-29T00:00:00Z', true],
    ['1985-04-12T23:20:50.52Z', true],
    ['1996-12-19T16:39:57-08:00', true],
    ['1990-12-31T23:59:60Z', true],
    ['2000-02-29t00:00:00z', true],
    ['1900-02-29T00:00:00Z', false],
    ['2024-05-01T12:60:00Z', false],
    ['2024-05-01T12:00:00+24:00', false],
    ['2024-05-01T12:00:00.Z', false],
    ['+2024-05-01T12:00:00Z', false],
  ])('isRfc3339DateTime(%j) is %j', (s, want) => expect(isRfc3339DateTime(s)).toBe(want));

  it.each([
    ['urn:example:order-service', true, true],
    ['https://github.com/cloudevents', true, true],
    ['http://user@[::1]:8080/a/b?q=1#frag', true, true],
    ['/cloudevents/spec/pull/123', true, false],
    ['my-service', true, false],
    ['a%20b', true, false],
    ['', false, false],
    ['my service', false, false],
    ['1abc:def', false, false],
    ['a%zz', false, false],
    ['a#b#c', false, false],
    ['http://exa mple.com', false, false],
    ['http://[::1/x', false, false],
  ])('%j: URI-reference %j, absolute URI %j', (s, reference, absolute) => {
    expect(isUriReference(s)).toBe(reference);
    expect(isAbsoluteUri(s)).toBe(absolute);
  });

  it.each([
    ['dataversion', true],
    ['partitionkey', true],
    ['correlationid', true],
    ['causationid', true],
    ['a1', true],
    ['', false],
    ['dataVersion', false],
    ['data-version', false],
  ])('isAttributeName(%j) is %j', (name, want) => expect(isAttributeName(name)).toBe(want));

  it('streamVersionOf reads the stream version extension in either binding form, and nothing else', () => {
    const base = makeEnvelope({ type: 'com.example.orders.order.placed', dataversion: 1, source: 'urn:x', subject: 'o-1', data: {} });
    const withVersion = (v: unknown): CloudEvent => ({ ...base, [STREAM_VERSION_EXTENSION]: v }) as CloudEvent;
    expect(streamVersionOf(base)).toBeUndefined();
    expect(streamVersionOf(withVersion('7'))).toBe(7);
    expect(streamVersionOf(withVersion(7))).toBe(7);
    for (const bad of ['0', '07', '-1', '1.5', '', 0, 1.5, true]) expect(streamVersionOf(withVersion(bad)), String(bad)).toBeUndefined();
  });

  it('our extension names meet the SHOULD too: at most 20 characters', () => {
    for (const name of ['dataversion', 'partitionkey', 'correlationid', 'causationid', STREAM_VERSION_EXTENSION]) {
      expect(isAttributeName(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(20);
    }
  });
});
