// Where Apache Avro (Java) and a naive JavaScript codec part ways: each case is a byte or
// value Java produces or accepts, which the runtime must produce or accept the same way.
import { describe, expect, it } from 'vitest';
import { AvroSchemaError, createCodec, parseSchemaText, type AvroSchemaJson } from '../../generator/runtime/index.js';
import { hex } from './helpers.js';

const color: AvroSchemaJson = { type: 'enum', name: 'Color', namespace: 'ex', symbols: ['RED', 'GREEN'] };

describe('unions whose branches take the same kind of value are wrapped', () => {
  const codec = createCodec<unknown>(['null', 'string', color]);

  it('the value names its branch, so the enum branch is reachable', () => {
    // Java's writer picks the branch by the datum's class: a Utf8 is index 1, a GenericEnumSymbol index 2.
    expect(hex(codec.toBinary({ string: 'RED' }))).toBe('0206524544');
    expect(hex(codec.toBinary({ 'ex.Color': 'RED' }))).toBe('0400');
    expect(hex(codec.toBinary(null))).toBe('00');
  });

  it('decoding keeps the branch, so re-encoding gives the same bytes', () => {
    for (const bytes of ['0206524544', '0400', '0402', '00']) {
      const value = codec.fromBinary(Buffer.from(bytes, 'hex'));
      expect(hex(codec.toBinary(value))).toBe(bytes);
      expect(codec.fromJson(codec.toJson(value))).toEqual(value);
    }
    expect(codec.fromBinary(Buffer.from('0400', 'hex'))).toEqual({ 'ex.Color': 'RED' });
    expect(codec.toJson({ 'ex.Color': 'GREEN' })).toBe('{"ex.Color":"GREEN"}');
  });

  it('a bare value is refused (it could mean either branch)', () => {
    expect(() => codec.toBinary('RED')).toThrow('as null or {"<branch>": value}, got "RED"');
    expect(() => codec.toBinary({ 'ex.Color': 'BLUE' })).toThrow('expected enum ex.Color');
    expect(codec.isValid({ string: 'x', 'ex.Color': 'RED' })).toBe(false);
  });

  it('int and double, two records: wrapped too; null plus one branch and distinct kinds stay bare', () => {
    const numbers = createCodec<unknown>(['int', 'double']);
    expect(hex(numbers.toBinary({ double: 1 }))).toBe('02000000000000f03f');
    expect(numbers.fromBinary(numbers.toBinary({ int: 1 }))).toEqual({ int: 1 });
    const records = createCodec<unknown>([
      { type: 'record', name: 'A', fields: [{ name: 'x', type: 'int' }] },
      { type: 'record', name: 'B', fields: [{ name: 'x', type: 'int' }] },
    ]);
    expect(hex(records.toBinary({ B: { x: 1 } }))).toBe('0202');
    expect(createCodec<unknown>(['null', 'string', 'long']).fromBinary(Buffer.from('0402', 'hex'))).toBe(1n);
  });
});

describe('-0.0 in Avro JSON', () => {
  it('is written as -0.0 (Java reads -0 as the integer 0, that is +0.0) and read back with its sign', () => {
    for (const type of ['double', 'float'] as const) {
      const codec = createCodec<number>(type);
      expect(codec.toJson(-0)).toBe('-0.0');
      expect(Object.is(codec.fromJson('-0.0'), -0)).toBe(true);
    }
    expect(createCodec<unknown>(['null', 'double']).toJson(-0)).toBe('{"double":-0.0}');
  });
});

describe('a reference to a null-namespace name from inside a namespace', () => {
  // Java's Schema.Parser falls back to the null namespace; so do our parser and now avsc's.
  const schema: AvroSchemaJson = {
    type: 'record', name: 'Outer', namespace: 'com.example',
    fields: [
      { name: 'first', type: { type: 'record', name: 'Point', namespace: '', fields: [{ name: 'x', type: 'int' }] } },
      { name: 'second', type: 'Point' },
    ],
  };

  it('is accepted by createCodec and names the null-namespace type', () => {
    const codec = createCodec<unknown>(schema);
    const value = { first: { x: 1 }, second: { x: 2 } };
    expect(hex(codec.toBinary(value))).toBe('0204');
    expect(codec.fromBinary(codec.toBinary(value))).toEqual(value);
    expect(codec.canonical).toContain('"name":"Point"');
  });

  it('the enclosing namespace still wins when it defines the name', () => {
    const both: AvroSchemaJson = {
      type: 'record', name: 'Outer', namespace: 'com.example',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'Point', namespace: '', symbols: ['P'] } },
        { name: 'b', type: { type: 'fixed', name: 'Point', size: 1 } },
        { name: 'c', type: 'Point' },
      ],
    };
    const codec = createCodec<unknown>(both);
    const value = { a: 'P', b: new Uint8Array([7]), c: new Uint8Array([9]) };
    expect(hex(codec.toBinary(value))).toBe('000709');
  });

  it('an unknown name is still an error', () => {
    expect(() => createCodec<unknown>({ type: 'record', name: 'R', namespace: 'n', fields: [{ name: 'a', type: 'Missing' }] }))
      .toThrow(AvroSchemaError);
  });
});

describe('schema text keeps long defaults exact', () => {
  const text = '{"type":"record","name":"R","fields":[{"name":"id","type":"int"},'
    + '{"name":"big","type":"long","default":9223372036854775807},{"name":"small","type":"long","default":-42}]}';

  it('parseSchemaText reads integers beyond 2^53 as bigint; JSON.parse would round them', () => {
    const schema = parseSchemaText(text) as unknown as { fields: { default?: unknown }[] };
    expect(schema.fields[1]?.default).toBe(2n ** 63n - 1n);
    expect(schema.fields[2]?.default).toBe(-42);
    expect((JSON.parse(text) as { fields: { default?: unknown }[] }).fields[1]?.default).toBe(9223372036854775808);
  });

  it('a reader created from the text fills the default exactly when the writer lacks the field', () => {
    const writer = createCodec<{ id: number }>({ type: 'record', name: 'R', fields: [{ name: 'id', type: 'int' }] });
    const reader = createCodec<unknown>(parseSchemaText(text)).readerFor(writer.schema);
    expect(reader.fromBinary(writer.toBinary({ id: 3 }))).toEqual({ id: 3, big: 2n ** 63n - 1n, small: -42n });
  });

  it('invalid JSON is an AvroSchemaError', () => {
    expect(() => parseSchemaText('{"type":')).toThrow(AvroSchemaError);
  });
});

describe('readerFor: Avro schema resolution from a writer schema', () => {
  const v1: AvroSchemaJson = {
    type: 'record', name: 'Placed', namespace: 'v1',
    fields: [
      { name: 'count', type: 'int' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'OLD', 'ODD'] } },
      { name: 'gone', type: 'string' },
    ],
  };
  const v2: AvroSchemaJson = {
    type: 'record', name: 'Placed', namespace: 'v2',
    fields: [
      { name: 'count', type: 'long' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'OLD', 'OTHER'], default: 'OTHER' } },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  };

  it('promotes, skips writer-only fields, fills defaults and maps unknown enum symbols to the default', () => {
    const bytes = createCodec<unknown>(v1).toBinary({ count: 7, status: 'ODD', gone: 'x' });
    const reader = createCodec<unknown>(v2).readerFor(v1);
    expect(reader.fromBinary(bytes)).toEqual({ count: 7n, status: 'OTHER', note: null });
    expect(reader.writerFingerprint).toBe(createCodec<unknown>(v1).fingerprint);
  });

  it('the same schema decodes as fromBinary does', () => {
    const codec = createCodec<unknown>(v2);
    const bytes = codec.toBinary({ count: 1n, status: 'NEW', note: 'n' });
    expect(codec.readerFor(v2).fromBinary(bytes)).toEqual(codec.fromBinary(bytes));
  });

  it('an unreadable writer is an AvroSchemaError naming Avro\'s incompatibility', () => {
    expect(() => createCodec<unknown>(v1).readerFor(v2)).toThrow(/cannot read data written with schema [0-9a-f]{16}: TYPE_MISMATCH at \/fields\/0\/type/);
  });

  it('truncated data written with the writer schema is an AvroDecodeError', () => {
    const bytes = createCodec<unknown>(v1).toBinary({ count: 7, status: 'NEW', gone: 'xyz' });
    expect(() => createCodec<unknown>(v2).readerFor(v1).fromBinary(bytes.subarray(0, 3))).toThrow('truncated input');
  });
});
