import { createHash } from 'node:crypto';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  AvroSchemaError, createCodec, crc64Avro, fingerprint64, fingerprintToHex, parsingCanonicalForm, type AvroSchemaJson,
} from '../../generator/runtime/index.js';

// Apache Avro share/test/data/schema-tests.txt: input, canonical form, fingerprint (Java signed long).
const SPEC_CASES: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ['"null"', '"null"', '7195948357588979594'],
  ['{"type":"null"}', '"null"', undefined],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['{"type":"boolean"}', '"boolean"', undefined],
  ['"int"', '"int"', '8247732601305521295'],
  ['{"type":"int"}', '"int"', undefined],
  ['"long"', '"long"', '-3434872931120570953'],
  ['{"type":"long"}', '"long"', undefined],
  ['"float"', '"float"', '5583340709985441680'],
  ['{"type":"float"}', '"float"', undefined],
  ['"double"', '"double"', '-8181574048448539266'],
  ['{"type":"double"}', '"double"', undefined],
  ['"bytes"', '"bytes"', '5746618253357095269'],
  ['{"type":"bytes"}', '"bytes"', undefined],
  ['"string"', '"string"', '-8142146995180207161'],
  ['{"type":"string"}', '"string"', undefined],
  ['[  ]', '[]', '-1241056759729112623'],
  ['[ "int"  ]', '["int"]', '-5232228896498058493'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', '{"name":"x.y.foo","type":"record","fields":[]}', '5916914534497305771'],
  ['{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', '{"name":"a.b.foo","type":"record","fields":[]}', '-4616218487480524110'],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', '7843277075252814651'],
  ['{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},\n {"order":"descending","name":"f2","doc":"Hello","type":"int"}],\n "type":"record", "name":"foo"\n}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}', '-4860222112080293046'],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}', '-6342190197741309591'],
  ['{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', '-4448647247586288245'],
  ['{"name":"foo","type":"fixed","size":15}', '{"name":"foo","type":"fixed","size":15}', '1756455273707447556'],
  ['{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}', '-3064184465700546786'],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  ['{"name":"PigValue","type":"record",\n "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}', '-1759257747318642341'],
];

describe('parsing canonical form (Apache Avro schema-tests.txt)', () => {
  it.each(SPEC_CASES.map((c, i) => [String(i).padStart(3, '0'), ...c] as const))('case %s', (_id, input, canonical, fp) => {
    const schema = JSON.parse(input) as AvroSchemaJson;
    expect(parsingCanonicalForm(schema)).toBe(canonical);
    if (fp !== undefined) expect(BigInt.asIntN(64, fingerprint64(canonical))).toBe(BigInt(fp));
  });
});

describe('parsing canonical form: rules', () => {
  it('strips logical type attributes and other properties, and orders the kept ones', () => {
    const schema: AvroSchemaJson = {
      fields: [
        { type: { logicalType: 'decimal', precision: 9, scale: 2, type: 'bytes' }, doc: 'x', default: '\u0000', name: 'amount' },
        { name: 'day', type: { type: 'int', logicalType: 'date' }, order: 'ignore' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis', 'x-custom': true } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'hash', type: { size: 4, type: 'fixed', name: 'H', aliases: ['Old'] } },
        { name: 'money', type: { type: 'fixed', size: 8, name: 'M', logicalType: 'decimal', precision: 18, scale: 4 } },
      ],
      namespace: 'com.example',
      type: 'record',
      name: 'Order',
      aliases: ['x.Old'],
      doc: 'An order',
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"com.example.Order","type":"record","fields":['
      + '{"name":"amount","type":"bytes"},{"name":"day","type":"int"},{"name":"at","type":"long"},'
      + '{"name":"id","type":"string"},{"name":"hash","type":{"name":"com.example.H","type":"fixed","size":4}},'
      + '{"name":"money","type":{"name":"com.example.M","type":"fixed","size":8}}]}',
    );
  });

  it('qualifies names: inherited namespace, dotted names, explicit empty namespace, references', () => {
    const schema: AvroSchemaJson = {
      type: 'record', name: 'Outer', namespace: 'a.b',
      fields: [
        { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } }] } },
        { name: 'dotted', type: { type: 'fixed', name: 'c.d.F', size: 1 } },
        { name: 'global', type: { type: 'enum', name: 'G', namespace: '', symbols: ['Y'] } },
        { name: 'ref1', type: 'Inner' },
        { name: 'ref2', type: 'a.b.E' },
        { name: 'ref3', type: 'c.d.F' },
        { name: 'ref4', type: ['null', 'G', 'Outer'] },
        { name: 'nested', type: { type: 'record', name: 'c.d.N', fields: [{ name: 'f', type: { type: 'fixed', name: 'F2', size: 2 } }, { name: 'g', type: 'F' }] } },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"a.b.Outer","type":"record","fields":['
      + '{"name":"inner","type":{"name":"a.b.Inner","type":"record","fields":[{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["X"]}}]}},'
      + '{"name":"dotted","type":{"name":"c.d.F","type":"fixed","size":1}},'
      + '{"name":"global","type":{"name":"G","type":"enum","symbols":["Y"]}},'
      + '{"name":"ref1","type":"a.b.Inner"},{"name":"ref2","type":"a.b.E"},{"name":"ref3","type":"c.d.F"},'
      + '{"name":"ref4","type":["null","G","a.b.Outer"]},'
      + '{"name":"nested","type":{"name":"c.d.N","type":"record","fields":[{"name":"f","type":{"name":"c.d.F2","type":"fixed","size":2}},{"name":"g","type":"c.d.F"}]}}]}',
    );
  });

  it('writes error types as record and escapes nothing else', () => {
    expect(parsingCanonicalForm({ type: 'error', name: 'Oops', fields: [{ name: 'msg', type: 'string' }] }))
      .toBe('{"name":"Oops","type":"record","fields":[{"name":"msg","type":"string"}]}');
  });

  it('rejects invalid schemas', () => {
    const bad: AvroSchemaJson[] = [
      'Nope',
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'Unknown' }] },
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }, { name: 'a', type: 'int' }] },
      { type: 'enum', name: 'E', symbols: ['A', 'A'] },
      { type: 'enum', name: 'E', symbols: ['1A'] },
      { type: 'fixed', name: 'F', size: -1 },
      { type: 'fixed', name: 'int', size: 1 },
      ['int', 'int'],
      ['null', ['int']],
      { type: 'array' },
      { type: 'wat' },
      { type: 'record', name: 'bad-name', fields: [] },
      [{ type: 'record', name: 'R', fields: [] }, { type: 'record', name: 'R', fields: [] }],
    ];
    for (const schema of bad) expect(() => parsingCanonicalForm(schema), JSON.stringify(schema)).toThrow(AvroSchemaError);
  });
});

describe('fingerprints', () => {
  it('CRC-64-AVRO of the empty input is the spec EMPTY value', () => {
    expect(crc64Avro(new Uint8Array(0))).toBe(0xc15d213aa4d7a795n);
  });

  it('matches a direct BigInt transcription of the spec reference algorithm', () => {
    const EMPTY = 0xc15d213aa4d7a795n;
    const table: bigint[] = [];
    for (let i = 0; i < 256; i++) {
      let fp = BigInt(i);
      for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
      table.push(fp);
    }
    const reference = (bytes: Uint8Array): bigint => {
      let fp = EMPTY;
      for (const b of bytes) fp = (fp >> 8n) ^ (table[Number((fp ^ BigInt(b)) & 0xffn)] ?? 0n);
      return fp;
    };
    const text = '{"name":"x.y.Ünïcödé","type":"record","fields":[]}';
    const bytes = new TextEncoder().encode(text);
    expect(crc64Avro(bytes)).toBe(reference(bytes));
    for (let n = 0; n < 300; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff);
      expect(crc64Avro(b)).toBe(reference(b));
    }
  });

  it('codec exposes canonical form, fingerprint, hex and sha256', () => {
    const codec = createCodec<number>({ type: 'int', logicalType: 'date' });
    expect(codec.canonical).toBe('"int"');
    expect(BigInt.asIntN(64, codec.fingerprint)).toBe(8247732601305521295n);
    expect(codec.fingerprintHex).toBe(8247732601305521295n.toString(16).padStart(16, '0'));
    expect(codec.fingerprintHex).toBe('7275d51a3f395c8f');
    expect(codec.sha256).toBe(createHash('sha256').update('"int"').digest('hex'));
    const negative = createCodec<bigint>('long');
    expect(negative.fingerprint).toBe(BigInt.asUintN(64, -3434872931120570953n));
    expect(negative.fingerprintHex).toBe(BigInt.asUintN(64, -3434872931120570953n).toString(16));
    expect(fingerprintToHex(1n)).toBe('0000000000000001');
  });
});

describe('cross-check with avsc', () => {
  // avsc's Type#schema() (no options) is its Parsing Canonical Form, and Type#fingerprint hashes it.
  const schemas: AvroSchemaJson[] = SPEC_CASES.map(([input]) => JSON.parse(input) as AvroSchemaJson)
    // avsc rejects the empty union and case 026's string default for a boolean (the spec case only tests canonical form).
    .filter((s) => !(Array.isArray(s) && s.length === 0) && !JSON.stringify(s).includes('"default":"true"'));
  schemas.push({
    type: 'record', name: 'Node', namespace: 'list',
    fields: [
      { name: 'value', type: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 1 } },
      { name: 'tags', type: { type: 'map', values: { type: 'array', items: { type: 'enum', name: 'Tag', symbols: ['A', 'B'] } } } },
      { name: 'next', type: ['null', 'Node'], default: null },
      { name: 'other', type: ['null', { type: 'record', name: 'x.Other', fields: [{ name: 't', type: 'list.Tag' }] }], default: null },
    ],
  });
  it.each(schemas.map((s) => [JSON.stringify(s), s] as const))('%s', (_text, schema) => {
    const type = avsc.Type.forSchema(schema as Parameters<typeof avsc.Type.forSchema>[0], { wrapUnions: 'always' });
    const canonical = parsingCanonicalForm(schema);
    expect(JSON.stringify(type.schema())).toBe(canonical);
    expect(type.fingerprint('sha256').toString('hex')).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});
