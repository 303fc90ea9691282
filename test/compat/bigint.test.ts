// Schemas built as data (avroSchemaOf) carry a long default past 2^53 as a bigint, the only
// exact form; the engine must accept it as a valid default and render it exactly.
import { describe, expect, it } from 'vitest';
import { AvroSchemaError, checkMode, checkReaderWriter, parseSchema, renderJson, renderSchema, type AvroSchemaJson } from '../../generator/compat/index.js';
import { avroSchemaOf } from '../../generator/emit/avro-schema.js';
import { analysed } from '../check/helpers.js';

const big = 9007199254740993n;
const rec = (fields: readonly unknown[]): AvroSchemaJson => ({ type: 'record', name: 'R', fields });

describe('bigint defaults', () => {
  it('a long default may be a bigint within the long range', () => {
    expect(() => parseSchema(rec([{ name: 'n', type: 'long', default: big }]))).not.toThrow();
    expect(() => parseSchema(rec([{ name: 'n', type: 'long', default: -(2n ** 63n) }]))).not.toThrow();
    expect(() => parseSchema(rec([{ name: 'n', type: ['long', 'null'], default: big }]))).not.toThrow();
    expect(() => parseSchema(rec([{ name: 'n', type: { type: 'array', items: 'long' }, default: [1, big] }]))).not.toThrow();
    expect(() => parseSchema(rec([{ name: 'n', type: 'double', default: big }]))).not.toThrow();
  });

  it('rejects a bigint outside its type, with the exact value in the message', () => {
    expect(() => parseSchema(rec([{ name: 'n', type: 'long', default: 2n ** 63n }]))).toThrow('invalid default for field n: 9223372036854775808 does not match long');
    expect(() => parseSchema(rec([{ name: 'n', type: 'int', default: big }]))).toThrow(AvroSchemaError);
    expect(() => parseSchema(rec([{ name: 'n', type: 'string', default: big }]))).toThrow(AvroSchemaError);
    expect(() => parseSchema(big)).toThrow('a schema must be a type name, a union array or an object, not 9007199254740993');
  });

  it('renders bigint defaults exactly in schemas and fragments', () => {
    const node = parseSchema(rec([{ name: 'n', type: 'long', default: big }]));
    expect(renderSchema(node)).toBe('{"type":"record","name":"R","fields":[{"name":"n","type":"long","default":9007199254740993}]}');
    const result = checkReaderWriter(rec([{ name: 'n', type: 'long', default: big }, { name: 's', type: 'string' }]), rec([{ name: 'n', type: 'long' }]));
    expect(result.incompatibilities.map((i) => i.type)).toEqual(['READER_FIELD_MISSING_DEFAULT_VALUE']);
    expect(result.incompatibilities[0]?.readerFragment).toContain('"default":9007199254740993');
    expect(renderJson({ a: [big, 1.5, 'x', null, true] })).toBe('{"a":[9007199254740993,1.5,"x",null,true]}');
  });

  it('checks versions generated with a long default past 2^53', () => {
    const spec = `domain: com.example.t
source: urn:example:t
aggregates:
  Counter:
    events:
      Counted:
        versions:
          - fields: { n: int }
          - fields:
              n: int
              total: { type: long, default: 9007199254740993 }
`;
    const { model } = analysed(spec, 'test');
    const domain = model.domains[0];
    const event = domain?.aggregates[0]?.events[0];
    if (!domain || !event) throw new Error('no event');
    const [v1, v2] = event.versions.map((v) => avroSchemaOf(v, event, domain));
    if (!v1 || !v2) throw new Error('no versions');
    expect(checkMode('FULL_TRANSITIVE', v2, [v1])).toEqual({ compatible: true, conflicts: [] });
  });
});
