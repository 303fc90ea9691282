// Exact-value tables: binary bytes and JSON text are checked literally where they are short.
import { describe, expect, it } from 'vitest';
import { createCodec, type AvroCodec, type AvroSchemaJson } from '../../generator/runtime/index.js';
import { exactDiff, hex } from './helpers.js';

function roundTrip<T>(codec: AvroCodec<T>, value: T, expected: unknown = value): { bin: string; json: string } {
  const bin = codec.toBinary(value);
  const fromBin = codec.fromBinary(bin);
  expect(exactDiff(fromBin, expected)).toBeUndefined();
  const json = codec.toJson(value);
  const fromJson = codec.fromJson(json);
  expect(exactDiff(fromJson, expected)).toBeUndefined();
  expect(codec.toJson(fromJson)).toBe(json);
  expect(codec.isValid(value)).toBe(true);
  return { bin: hex(bin), json };
}

describe('long (bigint, full signed 64-bit range)', () => {
  const codec = createCodec<bigint>('long');
  it.each([
    [0n, '00', '0'],
    [-1n, '01', '-1'],
    [1n, '02', '1'],
    [-(2n ** 63n), 'ffffffffffffffffff01', '-9223372036854775808'],
    [2n ** 63n - 1n, 'feffffffffffffffff01', '9223372036854775807'],
    // zigzag(2^53+1) = 2^54+2: low group 2, six empty groups, then bit 54 as 0x20 in the eighth.
    [2n ** 53n + 1n, '8280808080808020', '9007199254740993'],
    [-(2n ** 53n) - 1n, '8180808080808020', '-9007199254740993'],
  ])('%s', (value, bin, json) => {
    expect(roundTrip(codec, value)).toEqual({ bin, json });
  });
});

describe('int, float, double', () => {
  it('int extremes', () => {
    const codec = createCodec<number>('int');
    expect(roundTrip(codec, -(2 ** 31))).toEqual({ bin: 'ffffffff0f', json: '-2147483648' });
    expect(roundTrip(codec, 2 ** 31 - 1)).toEqual({ bin: 'feffffff0f', json: '2147483647' });
  });
  it('double specials: NaN and infinities are JSON strings, -0 keeps its sign (as -0.0, which Java reads as -0.0)', () => {
    const codec = createCodec<number>('double');
    expect(roundTrip(codec, Number.NaN).json).toBe('"NaN"');
    expect(roundTrip(codec, Number.POSITIVE_INFINITY).json).toBe('"Infinity"');
    expect(roundTrip(codec, Number.NEGATIVE_INFINITY).json).toBe('"-Infinity"');
    expect(roundTrip(codec, -0)).toEqual({ bin: '0000000000000080', json: '-0.0' });
    expect(Object.is(codec.fromJson('-0'), -0)).toBe(true);
    expect(roundTrip(codec, 5e-324).json).toBe('5e-324');
    expect(roundTrip(codec, 1.7976931348623157e308).json).toBe('1.7976931348623157e+308');
    expect(roundTrip(codec, 0.1).json).toBe('0.1');
    expect(codec.fromJson('1E2')).toBe(100);
  });
  it('float values are rounded to float32 on encode, identically in binary and JSON', () => {
    const codec = createCodec<number>('float');
    expect(codec.fromBinary(codec.toBinary(0.1))).toBe(Math.fround(0.1));
    expect(codec.fromJson(codec.toJson(0.1))).toBe(Math.fround(0.1));
    expect(roundTrip(codec, Math.fround(0.1)).bin).toBe('cdcccc3d');
  });
});

describe('decimal (canonical text, two\'s-complement big-endian bytes)', () => {
  const d102 = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 });
  it.each([
    ['0.00', '0200', '"\\u0000"'],
    ['-12.34', '04fb2e', '"û."'],
    ['12.50', '0404e2', '"\\u0004â"'],
    ['1.27', '027f', '"\u007f"'],
    ['1.28', '040080', '"\\u0000\u0080"'],
    ['-1.28', '0280', '"\u0080"'],
    ['-1.29', '04ff7f', '"ÿ\u007f"'],
    ['99999999.99', '0a02540be3ff', '"\\u0002T\\u000bãÿ"'],
    ['-99999999.99', '0afdabf41c01', '"ý«ô\\u001c\\u0001"'],
  ])('%s', (value, bin, json) => {
    expect(roundTrip(d102, value)).toEqual({ bin, json });
  });
  it.each([
    ['12.5', '12.50'], ['-0.01', '-0.01'], ['7', '7.00'], ['007.1', '7.10'], ['-0', '0.00'], ['-0.00', '0.00'], ['0.5', '0.50'],
  ])('normalises %s to %s', (input, canonical) => {
    expect(d102.fromBinary(d102.toBinary(input))).toBe(canonical);
    expect(d102.fromJson(d102.toJson(input))).toBe(canonical);
  });
  it('maximum precision and scale edge cases', () => {
    const d3810 = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 38, scale: 10 });
    roundTrip(d3810, '9999999999999999999999999999.9999999999');
    roundTrip(d3810, '-9999999999999999999999999999.9999999999');
    roundTrip(d3810, '0.0000000001');
    const d10 = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 1 });
    expect(roundTrip(d10, '9').bin).toBe('0209');
    roundTrip(d10, '-9');
    const d55 = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 5 });
    roundTrip(d55, '0.12345');
    roundTrip(d55, '-0.99999');
    const big = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 120, scale: 60 });
    roundTrip(big, `${'9'.repeat(60)}.${'9'.repeat(60)}`);
    roundTrip(big, `-${'1'.repeat(60)}.${'0'.repeat(59)}1`);
  });
  it('decimal on fixed is sign-extended to the fixed size', () => {
    const codec = createCodec<string>({ type: 'fixed', name: 'D', size: 5, logicalType: 'decimal', precision: 11, scale: 3 });
    expect(roundTrip(codec, '-12.345').bin).toBe('ffffffcfc7');
    expect(roundTrip(codec, '99999999.999').bin).toBe('174876e7ff');
  });
  it('an invalid decimal annotation is ignored: the field is plain bytes', () => {
    const codec = createCodec<Uint8Array>({ type: 'bytes', logicalType: 'decimal', precision: 2, scale: 3 });
    roundTrip(codec, new Uint8Array([1, 2]));
  });
});

describe('date (YYYY-MM-DD), time-millis, timestamps', () => {
  const date = createCodec<string>({ type: 'int', logicalType: 'date' });
  const days = (iso: string): number => Date.UTC(Number(iso.slice(0, -6)), Number(iso.slice(-5, -3)) - 1, Number(iso.slice(-2))) / 86_400_000;
  it.each([
    '1970-01-01', '1969-12-31', '1970-03-01', '1900-02-28', '1900-03-01', '2000-02-29', '2024-02-29', '1582-10-14',
    '0001-01-01', '0000-02-29', '0000-01-01', '9999-12-31', '1066-10-14',
  ])('%s', (iso) => {
    const { json } = roundTrip(date, iso);
    const utc = new Date(0);
    utc.setUTCFullYear(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8)));
    expect(json).toBe(String(Math.floor(utc.getTime() / 86_400_000)));
  });
  it('dates before 1970 encode as negative day counts', () => {
    expect(roundTrip(date, '1969-12-31')).toEqual({ bin: '01', json: '-1' });
    expect(roundTrip(date, '1900-01-01').json).toBe(String(days('1900-01-01')));
    expect(roundTrip(date, '1900-01-01').json).toBe('-25567');
  });
  it('expanded years outside 0000-9999, to the ends of the int range', () => {
    expect(roundTrip(date, '-000001-12-31').json).toBe(String(new Date('-000001-12-31T00:00:00Z').getTime() / 86_400_000));
    expect(roundTrip(date, '+010000-01-01').json).toBe(String(new Date('+010000-01-01T00:00:00Z').getTime() / 86_400_000));
    expect(date.fromJson('2147483647')).toBe('+5881580-07-11');
    expect(date.fromJson('-2147483648')).toBe('-5877641-06-23');
    roundTrip(date, '+5881580-07-11');
    roundTrip(date, '-5877641-06-23');
  });
  it('time-millis', () => {
    const codec = createCodec<number>({ type: 'int', logicalType: 'time-millis' });
    expect(roundTrip(codec, 0).json).toBe('0');
    expect(roundTrip(codec, 86_399_999).json).toBe('86399999');
  });
  it('timestamp-millis ↔ Date, exact to the millisecond, both sides of the epoch', () => {
    const codec = createCodec<Date>({ type: 'long', logicalType: 'timestamp-millis' });
    expect(roundTrip(codec, new Date('2024-02-29T12:34:56.789Z')).json).toBe('1709210096789');
    expect(roundTrip(codec, new Date(-1))).toEqual({ bin: '01', json: '-1' });
    expect(roundTrip(codec, new Date('1600-06-15T01:02:03.004Z')).json).toBe(String(Date.UTC(1600, 5, 15, 1, 2, 3, 4)));
    roundTrip(codec, new Date(8.64e15));
    roundTrip(codec, new Date(-8.64e15));
  });
  it('timestamp-micros is bigint, exact beyond 2^53', () => {
    const codec = createCodec<bigint>({ type: 'long', logicalType: 'timestamp-micros' });
    expect(roundTrip(codec, 2n ** 60n + 123n).json).toBe('1152921504606847099');
    expect(roundTrip(codec, 1709210096789123n).json).toBe('1709210096789123');
    roundTrip(codec, -(2n ** 63n));
    roundTrip(codec, 2n ** 63n - 1n);
  });
});

describe('strings, uuid, bytes, fixed, enum', () => {
  it.each([
    ['', '00', '""'],
    ['héllo', '0c68c3a96c6c6f', '"héllo"'],
    ['😀𝄞', '10f09f9880f09d849e', '"😀𝄞"'],
    ['\u0000nul\u0000', '0a006e756c00', '"\\u0000nul\\u0000"'],
    ['"q" \\ /\n\t\u2028', '18227122205c202f0a09e280a8', '"\\"q\\" \\\\ /\\n\\t\u2028"'],
  ])('string %j', (value, bin, json) => {
    expect(roundTrip(createCodec<string>('string'), value)).toEqual({ bin, json });
  });
  it('uuid: canonical hex in either case, stored as given', () => {
    const codec = createCodec<string>({ type: 'string', logicalType: 'uuid' });
    roundTrip(codec, '123e4567-e89b-12d3-a456-426614174000');
    expect(roundTrip(codec, 'AABBCCDD-EEFF-4011-8022-334455667788').json).toBe('"AABBCCDD-EEFF-4011-8022-334455667788"');
  });
  it('bytes: empty, every byte value (JSON: one code point per byte)', () => {
    const codec = createCodec<Uint8Array>('bytes');
    expect(roundTrip(codec, new Uint8Array(0))).toEqual({ bin: '00', json: '""' });
    expect(roundTrip(codec, new Uint8Array([0, 0x22, 0x5c, 0x7f, 0x80, 0xff])).json).toBe('"\\u0000\\"\\\\\u007f\u0080ÿ"');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const { json } = roundTrip(codec, all);
    expect([...(JSON.parse(json) as string)].map((c) => c.charCodeAt(0))).toEqual([...all]);
  });
  it('bytes: accepts any Uint8Array view, returns a plain Uint8Array that does not alias the input', () => {
    const codec = createCodec<Uint8Array>('bytes');
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const bin = codec.toBinary(backing.subarray(2, 5));
    expect(hex(bin)).toBe('06010203');
    const input = new Uint8Array(bin);
    const decoded = codec.fromBinary(input);
    expect(Object.getPrototypeOf(decoded)).toBe(Uint8Array.prototype);
    input[1] = 0x42;
    expect([...decoded]).toEqual([1, 2, 3]);
  });
  it('fixed and enum', () => {
    const fixed = createCodec<Uint8Array>({ type: 'fixed', name: 'F4', size: 4 });
    expect(roundTrip(fixed, new Uint8Array([0, 1, 254, 255]))).toEqual({ bin: '0001feff', json: '"\\u0000\\u0001þÿ"' });
    const e = createCodec<string>({ type: 'enum', name: 'Currency', symbols: ['USD', 'EUR', 'GBP'] });
    expect(roundTrip(e, 'GBP')).toEqual({ bin: '04', json: '"GBP"' });
  });
});

describe('maps, arrays, records, unions', () => {
  it('maps with unicode keys', () => {
    const codec = createCodec<Record<string, bigint>>({ type: 'map', values: 'long' });
    const { json } = roundTrip(codec, { ключ: 1n, '😀': -(2n ** 63n), '': 0n, 'a.b "c"': 2n ** 63n - 1n, '\u0000': 5n });
    expect(json).toBe('{"ключ":1,"😀":-9223372036854775808,"":0,"a.b \\"c\\"":9223372036854775807,"\\u0000":5}');
    roundTrip(codec, {});
  });

  it('a "__proto__" map key is an ordinary entry (binary and JSON)', () => {
    const codec = createCodec<Record<string, unknown>>({ type: 'map', values: { type: 'map', values: 'int' } });
    const value = JSON.parse('{"__proto__":{"__proto__":1,"x":2},"constructor":{}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    const { json } = roundTrip(codec, value);
    expect(json).toBe('{"__proto__":{"__proto__":1,"x":2},"constructor":{}}');
    const decoded = codec.fromBinary(codec.toBinary(value));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__', 'constructor']);
  });

  it('arrays and maps written in blocks with byte sizes (negative counts) decode', () => {
    // [1, 2] as one block of -2 items with its byte size (2), then the terminating 0.
    expect(createCodec<number[]>({ type: 'array', items: 'int' }).fromBinary(new Uint8Array([0x03, 0x04, 0x02, 0x04, 0x00]))).toEqual([1, 2]);
    expect(createCodec<Record<string, number>>({ type: 'map', values: 'int' }).fromBinary(new Uint8Array([0x01, 0x06, 0x02, 0x61, 0x02, 0x02, 0x02, 0x62, 0x04, 0x00])))
      .toEqual({ a: 1, b: 2 });
  });

  const order: AvroSchemaJson = {
    type: 'record', name: 'Order', namespace: 'com.example',
    fields: [
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      {
        name: 'line', default: null, type: ['null', {
          type: 'record', name: 'Line',
          fields: [{ name: 'prices', default: null, type: ['null', { type: 'array', items: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }] }] }],
        }],
      },
    ],
  };
  interface Order { id: string; line: { prices: (string | null)[] | null } | null }
  const codec = createCodec<Order>(order);
  const id = '00000000-0000-4000-8000-000000000000';
  it.each([
    [{ id, line: null }, `{"id":"${id}","line":null}`],
    [{ id, line: { prices: null } }, `{"id":"${id}","line":{"com.example.Line":{"prices":null}}}`],
    [{ id, line: { prices: [] } }, `{"id":"${id}","line":{"com.example.Line":{"prices":{"array":[]}}}}`],
    [{ id, line: { prices: [null, '1.50', '-0.01'] } },
      `{"id":"${id}","line":{"com.example.Line":{"prices":{"array":[null,{"bytes":"\\u0000\u0096"},{"bytes":"ÿ"}]}}}}`],
  ])('nested optionals %#', (value, json) => {
    expect(roundTrip(codec, value as Order).json).toBe(json);
  });
  it('decoded records are plain objects', () => {
    const decoded = codec.fromBinary(codec.toBinary({ id, line: { prices: ['1.00'] } }));
    expect(decoded).toStrictEqual({ id, line: { prices: ['1.00'] } });
  });

  it('general unions pick the first branch that accepts the value', () => {
    const u = createCodec<unknown>(['null', 'string', 'long', { type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] }, { type: 'array', items: 'int' }]);
    expect(roundTrip(u, null).json).toBe('null');
    expect(roundTrip(u, 'hi').json).toBe('{"string":"hi"}');
    expect(roundTrip(u, 5n).json).toBe('{"long":5}');
    expect(roundTrip(u, { x: 1 }).json).toBe('{"P":{"x":1}}');
    expect(roundTrip(u, [1, 2]).json).toBe('{"array":[1,2]}');
  });

  it('recursive records: a linked list through an optional', () => {
    interface Node { value: number; next: Node | null }
    const list = createCodec<Node>({
      type: 'record', name: 'Node', fields: [{ name: 'value', type: 'int' }, { name: 'next', type: ['null', 'Node'], default: null }],
    });
    expect(roundTrip(list, { value: 1, next: { value: 2, next: { value: 3, next: null } } }))
      .toEqual({ bin: '020204020600', json: '{"value":1,"next":{"Node":{"value":2,"next":{"Node":{"value":3,"next":null}}}}}' });
    let long: Node = { value: 0, next: null };
    for (let i = 1; i < 500; i++) long = { value: i, next: long };
    roundTrip(list, long);
  });
});
