import { describe, expect, it } from 'vitest';
import {
  AvroDecodeError, AvroEncodeError, AvroSchemaError, createCodec, type AvroSchemaJson,
} from '../../generator/runtime/index.js';

const money: AvroSchemaJson = {
  type: 'record', name: 'Money', fields: [
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['USD', 'EUR'] } },
  ],
};
const order: AvroSchemaJson = {
  type: 'record', name: 'Order', namespace: 'com.example', fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [
      { name: 'sku', type: 'string' },
      { name: 'quantity', type: 'int' },
      { name: 'unitPrice', type: money },
      { name: 'discount', type: ['null', 'Money'], default: null },
    ] } } },
    { name: 'tags', type: { type: 'map', values: 'long' } },
    { name: 'day', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
  ],
};

const id = '6f1c2b3a-0000-4000-8000-00000000abcd';
const item = (amount: string): unknown => ({ sku: 'A', quantity: 1, unitPrice: { amount, currency: 'USD' }, discount: null });
const valid = (): Record<string, unknown> => ({
  id, placedAt: new Date(0), items: [item('1.00'), item('2.00'), item('3.00')], tags: { a: 1n }, day: null,
});

function encodeError(value: unknown): AvroEncodeError {
  const codec = createCodec<unknown>(order);
  expect(codec.isValid(value)).toBe(false);
  try {
    codec.toBinary(value);
  } catch (err) {
    expect(err).toBeInstanceOf(AvroEncodeError);
    expect(() => codec.toJson(value)).toThrow((err as Error).message);
    return err as AvroEncodeError;
  }
  throw new Error('expected toBinary to throw');
}

describe('encode errors name the path', () => {
  it('the valid value encodes', () => {
    const codec = createCodec<unknown>(order);
    expect(codec.isValid(valid())).toBe(true);
    expect(codec.fromBinary(codec.toBinary(valid()))).toEqual(valid());
  });

  it.each<[string, (v: Record<string, unknown>) => void, string]>([
    ['invalid decimal text', (v) => { v['items'] = [item('1.00'), item('2.00'), item('abc')]; },
      'items[2].unitPrice.amount: expected decimal(12,2), got "abc" (not a decimal number)'],
    ['too many fraction digits', (v) => { v['items'] = [item('1.001')]; },
      'items[0].unitPrice.amount: expected decimal(12,2), got "1.001" (more than 2 fraction digits)'],
    ['too many digits', (v) => { v['items'] = [item('12345678901.00')]; },
      'items[0].unitPrice.amount: expected decimal(12,2), got "12345678901.00" (more than 12 digits)'],
    ['decimal as a number', (v) => { v['items'] = [item(1.5 as unknown as string)]; },
      'items[0].unitPrice.amount: expected decimal(12,2), got 1.5'],
    ['decimal with exponent', (v) => { v['items'] = [item('1e3')]; },
      'items[0].unitPrice.amount: expected decimal(12,2), got "1e3" (not a decimal number)'],
    ['malformed uuid', (v) => { v['id'] = '6f1c2b3a-0000-4000-8000-00000000abc'; },
      'id: expected uuid, got "6f1c2b3a-0000-4000-8000-00000000abc"'],
    ['uuid without dashes', (v) => { v['id'] = '6f1c2b3a000040008000000000000abcd'; },
      'id: expected uuid, got "6f1c2b3a000040008000000000000abcd"'],
    ['number for a long', (v) => { v['tags'] = { a: 1 }; }, 'tags["a"]: expected long (bigint), got 1'],
    ['long out of range', (v) => { v['tags'] = { 'x y': 2n ** 63n }; }, 'tags["x y"]: expected long (bigint), got 9223372036854775808n'],
    ['wrong enum symbol', (v) => { v['items'] = [{ ...(item('1.00') as object), unitPrice: { amount: '1.00', currency: 'GBP' } }]; },
      'items[0].unitPrice.currency: expected enum com.example.Currency, got "GBP"'],
    ['error inside an optional', (v) => { v['items'] = [{ ...(item('1.00') as object), discount: { amount: 'x', currency: 'USD' } }]; },
      'items[0].discount.amount: expected decimal(12,2), got "x" (not a decimal number)'],
    ['missing field', (v) => { delete v['placedAt']; }, 'placedAt: expected timestamp-millis (Date), got undefined'],
    ['invalid Date', (v) => { v['placedAt'] = new Date(Number.NaN); }, 'placedAt: expected timestamp-millis (Date), got Date(Invalid Date)'],
    ['non-integer int', (v) => { v['items'] = [{ ...(item('1.00') as object), quantity: 1.5 }]; }, 'items[0].quantity: expected int, got 1.5'],
    ['int overflow', (v) => { v['items'] = [{ ...(item('1.00') as object), quantity: 2 ** 31 }]; }, 'items[0].quantity: expected int, got 2147483648'],
    ['impossible date', (v) => { v['day'] = '2023-02-29'; }, 'day: expected date (YYYY-MM-DD string), got "2023-02-29" (no such date, or not in canonical form)'],
    ['date with time', (v) => { v['day'] = '2023-02-01T00:00'; }, 'day: expected date (YYYY-MM-DD string), got "2023-02-01T00:00" (not a YYYY-MM-DD date)'],
    ['undefined for an optional', (v) => { v['day'] = undefined; }, 'day: expected null | date (YYYY-MM-DD string), got undefined'],
    ['array expected', (v) => { v['items'] = {}; }, 'items: expected array, got object'],
    ['lone surrogate', (v) => { v['items'] = [{ ...(item('1.00') as object), sku: 'a\uD800' }]; },
      'items[0].sku: expected string, got "a\\ud800" (contains an unpaired surrogate)'],
  ])('%s', (_name, mutate, message) => {
    const v = valid();
    mutate(v);
    const err = encodeError(v);
    expect(err.message).toBe(message);
  });

  it('the root value', () => {
    const codec = createCodec<number>('int');
    expect(() => codec.toBinary('1' as unknown as number)).toThrow(new AvroEncodeError([], 'expected int, got "1"'));
    expect(() => createCodec<unknown>(order).toBinary(null)).toThrow('expected record com.example.Order, got null');
  });

  it('fixed size, bytes type, time-millis range', () => {
    expect(() => createCodec<Uint8Array>({ type: 'fixed', name: 'F', size: 2 }).toBinary(new Uint8Array(3)))
      .toThrow('expected fixed F (Uint8Array of 2 bytes), got Uint8Array(3)');
    expect(() => createCodec<Uint8Array>('bytes').toBinary([1, 2] as unknown as Uint8Array)).toThrow('expected bytes (Uint8Array), got array(2)');
    expect(() => createCodec<number>({ type: 'int', logicalType: 'time-millis' }).toBinary(86_400_000))
      .toThrow('expected time-millis (integer ms after midnight), got 86400000');
  });

  it('a union with several branches reports the union', () => {
    const u = createCodec<unknown>(['null', 'string', 'long']);
    expect(() => u.toBinary(1)).toThrow('expected null | string | long (bigint), got 1');
  });
});

describe('decode errors', () => {
  const codec = createCodec<unknown>(order);
  const bytes = codec.toBinary(valid());

  it('trailing bytes', () => {
    const longer = new Uint8Array([...bytes, 0, 0]);
    expect(() => codec.fromBinary(longer)).toThrow(AvroDecodeError);
    expect(() => codec.fromBinary(longer)).toThrow('invalid Avro binary: 2 trailing bytes after the value');
  });

  it('truncated input, at every length', () => {
    for (let n = 0; n < bytes.length; n++) {
      expect(() => codec.fromBinary(bytes.subarray(0, n)), `length ${n}`).toThrow(AvroDecodeError);
    }
    expect(() => createCodec<bigint>('long').fromBinary(new Uint8Array([0x80]))).toThrow('truncated input');
    expect(() => createCodec<string>('string').fromBinary(new Uint8Array([0x04, 0x61]))).toThrow('truncated input');
  });

  it('hostile block counts fail fast instead of allocating', () => {
    const huge = new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0x0f]); // block of 2^31-1 items, then nothing
    // Allocating 2^31-1 items first would exhaust the heap long before the truncation is noticed,
    // so reaching the error at all is the proof; no clock needed.
    expect(() => createCodec<number[]>({ type: 'array', items: 'int' }).fromBinary(huge)).toThrow('truncated input');
    expect(() => createCodec<unknown>({ type: 'map', values: 'string' }).fromBinary(huge)).toThrow('truncated input');
    expect(() => createCodec<unknown>({ type: 'array', items: 'int' }).fromBinary(new Uint8Array([0x01, 0x80]))).toThrow('truncated input');
  });

  it('invalid union and enum indexes', () => {
    expect(() => createCodec<unknown>(['null', 'int']).fromBinary(new Uint8Array([0x04]))).toThrow(AvroDecodeError);
    expect(() => createCodec<unknown>({ type: 'enum', name: 'E', symbols: ['A'] }).fromBinary(new Uint8Array([0x02]))).toThrow(AvroDecodeError);
  });

  it('decoded values must satisfy the logical type', () => {
    const uuid = createCodec<string>({ type: 'string', logicalType: 'uuid' });
    expect(() => uuid.fromBinary(createCodec<string>('string').toBinary('nope'))).toThrow('expected uuid, got "nope"');
    const dec = createCodec<string>({ type: 'bytes', logicalType: 'decimal', precision: 2, scale: 1 });
    expect(() => dec.fromBinary(new Uint8Array([0x04, 0x03, 0xe8]))).toThrow('expected decimal(2,1), got Uint8Array(2) (more than 2 digits)');
    const ts = createCodec<Date>({ type: 'long', logicalType: 'timestamp-millis' });
    expect(() => ts.fromJson(String(2n ** 62n))).toThrow('outside the range of Date');
    const time = createCodec<number>({ type: 'int', logicalType: 'time-millis' });
    expect(() => time.fromJson('-1')).toThrow('expected time-millis');
  });

  it('JSON: syntax, types, ranges, unions, missing and unknown fields, with paths', () => {
    const long = createCodec<bigint>('long');
    expect(() => long.fromJson('9223372036854775808')).toThrow('expected long (bigint), got 9223372036854775808n');
    expect(() => long.fromJson('1.0')).toThrow('expected long (bigint), got 1.0');
    expect(() => long.fromJson('"1"')).toThrow('expected long (bigint), got "1"');
    expect(() => long.fromJson('1 2')).toThrow('invalid JSON at offset 2');
    expect(() => long.fromJson('')).toThrow('unexpected end of input');
    expect(() => createCodec<number>('int').fromJson('2147483648')).toThrow('expected int, got 2147483648n');
    expect(() => createCodec<Uint8Array>('bytes').fromJson('"\u0100"')).toThrow('bytes must be code points 0-255');
    const opt = createCodec<string | null>(['null', 'string']);
    expect(opt.fromJson('{"string":"x"}')).toBe('x');
    expect(() => opt.fromJson('"x"')).toThrow('expected null | string as null or {"<branch>": value}, got "x"');
    expect(() => opt.fromJson('{"int":1}')).toThrow(AvroDecodeError);
    const text = codec.toJson(valid());
    expect(() => codec.fromJson(text.replace('"quantity":1,', ''))).toThrow('items[0].quantity: expected int, got undefined (missing field)');
    expect(() => codec.fromJson(text.replace('"quantity":1,', '"quantity":1,"extra":true,')))
      .toThrow('items[0].extra: unknown field: record com.example.Item has no field "extra"');
    expect(() => codec.fromJson(text.replace('"tags":{"a":1}', '"tags":{"a":1,"a":2}'))).toThrow('duplicate key "a"');
    expect(() => codec.fromJson(text.replace('"tags":{"a":1}', '"tags":{"a":"1"}'))).toThrow('tags["a"]: expected long (bigint), got "1"');
  });
});

describe('schema errors', () => {
  it('invalid schemas are rejected when the codec is created', () => {
    expect(() => createCodec({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'Missing' }] }))
      .toThrow(new AvroSchemaError('invalid Avro schema at R.x: undefined type name "Missing"'));
    expect(() => createCodec(['null', 'null'])).toThrow(AvroSchemaError);
    // Checked by avsc only: field defaults.
    expect(() => createCodec({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'int', default: 'one' }] }))
      .toThrow(AvroSchemaError);
  });
});
