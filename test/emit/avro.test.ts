// The avro emitter: exact schema JSON per TypeRef kind (table tests on hand-built refs), then
// whole domains through load → validate → resolve → emitAvro, checked against avsc (an
// independent Avro implementation) and against the runtime that generated code uses.
import avsc from 'avsc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import type { GeneratedFile } from '../../generator/core/generated-file.js';
import type { Model, TypeRef, Value } from '../../generator/core/model.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { avroFiles, emitAvro } from '../../generator/emit/avro.js';
import {
  avroDefaultOf,
  avroRecordSchemaOf,
  avroSchemaOf,
  avroSchemaOfType,
  canonicalFormOf,
  printAvroSchema,
  versionSchemaOf,
  type AvroJsonValue,
  type AvroSchemaJson,
} from '../../generator/emit/avro-schema.js';
import { checkReaderWriter } from '../../generator/compat/index.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { loadSpec } from '../../generator/load/index.js';
import { resolve } from '../../generator/resolve/index.js';
import { createCodec, parseJson, parsingCanonicalForm, type JsonValue } from '../../generator/runtime/index.js';
import { validateSpec } from '../../generator/validate/index.js';
import { enumType, event, field, fixed, ordersDomain, record, t } from './model-fixtures.js';

// A variable, so that tsc does not look for the benchmark script's types.
const syntheticModule: string = '../../bench/synthetic.mjs';
const { syntheticSpec } = (await import(syntheticModule)) as { syntheticSpec: (versions: number, options?: { flows?: boolean }) => string };

const root = path.join(import.meta.dirname, '../..');
const templates = createTemplateSet(new Map([['avro.ts.hbs', readFileSync(path.join(root, 'templates/avro.ts.hbs'), 'utf8')]]));
const ns = 'com.x';

function modelOf(file: string, text: string): Model {
  const diags = new Diagnostics();
  const spec = loadSpec(file, text, diags);
  if (spec) validateSpec(spec, diags);
  const model = spec && !diags.hasErrors ? resolve([spec], diags) : undefined;
  expect(diags.sorted()).toEqual([]);
  if (!model) throw new Error('no model');
  return model;
}

function emit(model: Model): readonly GeneratedFile[] {
  return emitAvro({ model, templates, options: defaultEmitOptions });
}

function fileOf(files: readonly GeneratedFile[], p: string): string {
  const hit = files.find((f) => f.path === p);
  if (!hit) throw new Error(`no file ${p} in ${files.map((f) => f.path).join(', ')}`);
  return hit.content;
}

// ---- schema JSON per TypeRef kind --------------------------------------------------------

const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD' })], 'An exact amount.');
const level = enumType('Level', ['low', 'mid', 'high'], { default: 'low' });
const sha = fixed('Sha256', 32, 'A SHA-256 digest.');

describe('avroSchemaOfType', () => {
  const cases: [string, TypeRef, string][] = [
    ['string', t.prim('string'), '"string"'],
    ['int', t.prim('int'), '"int"'],
    ['long', t.prim('long'), '"long"'],
    ['float', t.prim('float'), '"float"'],
    ['double', t.prim('double'), '"double"'],
    ['boolean', t.prim('boolean'), '"boolean"'],
    ['bytes', t.prim('bytes'), '"bytes"'],
    ['uuid', t.logical('uuid'), '{ "type": "string", "logicalType": "uuid" }'],
    ['date', t.logical('date'), '{ "type": "int", "logicalType": "date" }'],
    ['time-millis', t.logical('time-millis'), '{ "type": "int", "logicalType": "time-millis" }'],
    ['timestamp-millis', t.logical('timestamp-millis'), '{ "type": "long", "logicalType": "timestamp-millis" }'],
    ['timestamp-micros', t.logical('timestamp-micros'), '{ "type": "long", "logicalType": "timestamp-micros" }'],
    ['decimal', t.decimal(12, 2), '{ "type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2 }'],
    ['array', t.array(t.prim('int')), '{ "type": "array", "items": "int" }'],
    ['map', t.map(t.logical('uuid')), '{ "type": "map", "values": { "type": "string", "logicalType": "uuid" } }'],
    ['optional', t.opt(t.prim('string')), '["null", "string"]'],
    ['nested optional', t.opt(t.array(t.opt(t.prim('int')))), '["null", { "type": "array", "items": ["null", "int"] }]'],
    [
      'enum',
      t.named(level),
      '{\n  "type": "enum",\n  "name": "Level",\n  "namespace": "com.x",\n  "symbols": ["low", "mid", "high"],\n  "default": "low"\n}',
    ],
    ['enum without default', t.named(enumType('Color', ['red'])), '{ "type": "enum", "name": "Color", "namespace": "com.x", "symbols": ["red"] }'],
    ['fixed', t.named(sha), '{ "type": "fixed", "name": "Sha256", "namespace": "com.x", "doc": "A SHA-256 digest.", "size": 32 }'],
    [
      'record',
      t.named(money),
      [
        '{',
        '  "type": "record",',
        '  "name": "Money",',
        '  "namespace": "com.x",',
        '  "doc": "An exact amount.",',
        '  "fields": [',
        '    {',
        '      "name": "amount",',
        '      "type": { "type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2 }',
        '    },',
        '    { "name": "currency", "type": "string", "default": "USD" }',
        '  ]',
        '}',
      ].join('\n'),
    ],
  ];
  it.each(cases)('%s', (_name, ref, want) => {
    expect(printAvroSchema(avroSchemaOfType(ref, ns))).toBe(`${want}\n`);
  });

  it('defines a named type once and refers to it by full name afterwards', () => {
    const pair = record('Pair', [field('a', t.named(money)), field('b', t.opt(t.named(money))), field('c', t.map(t.named(money)))]);
    const schema = avroSchemaOfType(t.named(pair), ns);
    expect(schema).toEqual({
      type: 'record',
      name: 'Pair',
      namespace: 'com.x',
      fields: [
        {
          name: 'a',
          type: {
            type: 'record',
            name: 'Money',
            doc: 'An exact amount.',
            fields: [
              { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
              { name: 'currency', type: 'string', default: 'USD' },
            ],
          },
        },
        { name: 'b', type: ['null', 'com.x.Money'], default: null },
        { name: 'c', type: { type: 'map', values: 'com.x.Money' } },
      ],
    });
  });

  it('puts the namespace on the outermost definition only, wherever it is', () => {
    expect(avroSchemaOfType(t.array(t.named(money)), ns)).toMatchObject({ type: 'array', items: { name: 'Money', namespace: 'com.x' } });
    expect(avroSchemaOfType(t.named(money), '')).not.toHaveProperty('namespace');
  });

  it('refers to a recursive record by name inside its own definition', () => {
    const fields: ReturnType<typeof field>[] = [];
    const tree = record('Tree', fields);
    fields.push(field('label', t.prim('string')), field('children', t.array(t.named(tree)), { default: [] }), field('parent', t.opt(t.named(tree))));
    expect(avroSchemaOfType(t.named(tree), ns)).toEqual({
      type: 'record',
      name: 'Tree',
      namespace: 'com.x',
      fields: [
        { name: 'label', type: 'string' },
        { name: 'children', type: { type: 'array', items: 'com.x.Tree' }, default: [] },
        { name: 'parent', type: ['null', 'com.x.Tree'], default: null },
      ],
    });
  });

  it('refuses two different types under one name', () => {
    const other = record('Money', []);
    expect(() => avroSchemaOfType(t.named(record('Both', [field('a', t.named(money)), field('b', t.named(other))])), ns)).toThrow(
      /two different Avro types are named com.x.Money/,
    );
  });
});

describe('fields', () => {
  it('writes name, doc, aliases, type, default in that order', () => {
    const f = { ...field('total', t.prim('string'), { default: 'x', doc: 'The total.' }), aliases: ['sum', 'amount'] };
    const schema = avroRecordSchemaOf({ name: 'R', fields: [f] }, ns);
    expect(printAvroSchema(schema)).toBe(
      [
        '{',
        '  "type": "record",',
        '  "name": "R",',
        '  "namespace": "com.x",',
        '  "fields": [',
        '    {',
        '      "name": "total",',
        '      "doc": "The total.",',
        '      "aliases": ["sum", "amount"],',
        '      "type": "string",',
        '      "default": "x"',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints keys in the fixed order whatever order the object was built in', () => {
    const scrambled: AvroSchemaJson = {
      fields: [{ default: null, type: ['null', 'int'], name: 'n' }],
      aliases: ['Old'],
      doc: 'd',
      namespace: 'a.b',
      name: 'X',
      type: 'record',
    };
    expect(printAvroSchema(scrambled, 'ts')).toBe(
      ["{", "  type: 'record',", "  name: 'X',", "  namespace: 'a.b',", "  doc: 'd',", "  aliases: ['Old'],", "  fields: [{ name: 'n', type: ['null', 'int'], default: null }]", '}'].join('\n'),
    );
  });

  it('gives an optional field the default null, and no default to a field without one', () => {
    const schema = avroRecordSchemaOf({ name: 'R', fields: [field('a', t.opt(t.prim('long')), { default: null }), field('b', t.prim('long'))] }, ns);
    expect(schema.fields).toEqual([
      { name: 'a', type: ['null', 'long'], default: null },
      { name: 'b', type: 'long' },
    ]);
    expect(Object.prototype.hasOwnProperty.call(schema.fields[1], 'default')).toBe(false);
  });

  it('names the record of every version after the event, so readers and writers match by name in both directions', () => {
    const ev = event(ns, 'Order', 'OrderPlaced', [{ fields: [] }, { fields: [field('n', t.prim('int'))], doc: 'Second.' }, { fields: [] }], 'Placed.');
    const d = ordersDomain();
    const [v1, v2, v3] = ev.versions;
    if (!v1 || !v2 || !v3) throw new Error('no versions');
    expect(avroSchemaOf(v1, ev, d)).toEqual({ type: 'record', name: 'OrderPlaced', namespace: 'com.example.orders', doc: 'Placed.', fields: [] });
    expect(avroSchemaOf(v2, ev, d)).toEqual({
      type: 'record',
      name: 'OrderPlaced',
      namespace: 'com.example.orders',
      doc: 'Placed.\n\nSecond.',
      fields: [{ name: 'n', type: 'int' }],
    });
    expect(avroSchemaOf(v3, ev, d)).not.toHaveProperty('aliases');
  });

  it('lets the compatibility engine resolve a version against the earlier ones by name', () => {
    const money = { kind: 'named', type: record('Money', [field('amount', t.decimal(12, 2))]) } as const;
    const ev = event('com.x', 'Order', 'OrderPlaced', [{ fields: [field('a', t.prim('int'))] }, { fields: [field('a', t.prim('long')), field('m', t.opt(money))] }]);
    const [v1, v2] = ev.versions;
    if (!v1 || !v2) throw new Error('no versions');
    const d = ordersDomain();
    expect(checkReaderWriter(avroSchemaOf(v2, ev, d), avroSchemaOf(v1, ev, d))).toMatchObject({ compatible: true });
  });
});

describe('avroDefaultOf', () => {
  const cases: [string, Value, TypeRef, AvroJsonValue][] = [
    ['long past 2^53', 9223372036854775807n, t.prim('long'), 9223372036854775807n],
    ['long within 2^53, as a number', 5n, t.prim('long'), 5],
    ['long at -2^53 - 1', -9007199254740993n, t.prim('long'), -9007199254740993n],
    ['int', -1, t.prim('int'), -1],
    ['double', 0.5, t.prim('double'), 0.5],
    ['bytes', '\u00ff\u0000', t.prim('bytes'), '\u00ff\u0000'],
    ['date', '1970-01-02', t.logical('date'), 1],
    ['date before the epoch', '1969-12-31', t.logical('date'), -1],
    ['timestamp-millis', 1706702400000, t.logical('timestamp-millis'), 1706702400000],
    ['timestamp-micros', -1n, t.logical('timestamp-micros'), -1],
    ['decimal', '12.50', t.decimal(12, 2), '\u0004\u00e2'],
    ['negative decimal', '-1.50', t.decimal(12, 2), '\u00ff\u006a'],
    ['zero decimal', '0.00', t.decimal(12, 2), '\u0000'],
    ['decimal 128 needs a sign byte', '1.28', t.decimal(5, 2), '\u0000\u0080'],
    ['optional', null, t.opt(t.prim('string')), null],
    ['array', [1n, 2n], t.array(t.prim('long')), [1, 2]],
    ['map', { a: '1.00' }, t.map(t.decimal(3, 2)), { a: '\u0064' }],
    ['enum', 'mid', t.named(level), 'mid'],
    ['record, omitted field from its default', { amount: '0.01' }, t.named(money), { amount: '\u0001', currency: 'USD' }],
  ];
  it.each(cases)('%s', (_name, value, ref, want) => {
    expect(avroDefaultOf(value, ref)).toEqual(want);
  });

  it('throws on a value the resolver would have refused', () => {
    expect(() => avroDefaultOf('x', t.prim('int'))).toThrow(/not a valid int/);
    expect(() => avroDefaultOf('12.345', t.decimal(12, 2))).toThrow(/decimal\(12,2\)/);
  });

  it('prints bigint defaults as bare integers in .avsc and as bigint literals past 2^53 in TypeScript', () => {
    const schema = avroRecordSchemaOf(
      { name: 'R', fields: [field('big', t.prim('long'), { default: -9223372036854775808n }), field('small', t.prim('long'), { default: 7n })] },
      ns,
    );
    expect(printAvroSchema(schema)).toContain('"default": -9223372036854775808 }');
    expect(printAvroSchema(schema)).toContain('"default": 7 }');
    expect(printAvroSchema(schema, 'ts')).toContain("default: -9223372036854775808n }");
    expect(printAvroSchema(schema, 'ts')).toContain("default: 7 }");
  });
});

// ---- the emitter, on resolved specs ---------------------------------------------------------

const everything = `
domain: com.acme.shop
source: urn:acme:shop
doc: Every Avro mapping the generator knows.
types:
  Sha256: { fixed: 32, doc: A SHA-256 digest., aliases: [Digest] }
  Level: { enum: [low, mid, high], default: low, aliases: [com.acme.old.Grade] }
  Money:
    doc: An exact amount.
    fields:
      amount: { type: "decimal(12,2)", default: "0.00" }
      currency: { type: string, default: USD }
  Tree:
    fields:
      label: string
      children: { type: "Tree[]", default: [] }
      parent: Tree?
aggregates:
  Item:
    id: long
    events:
      EverythingHappened:
        doc: Uses every type.
        versions:
          - doc: The only version.
            fields:
              s: { type: string, doc: "Quotes \\" and ' and a\\nnewline, ünïcödé." }
              i: { type: int, default: -1 }
              l: long
              f: float
              d: { type: double, default: 0.5 }
              b: { type: boolean, default: true }
              by: { type: bytes, default: "\\u00ff\\u0000" }
              u: uuid
              dt: { type: date, default: "1970-01-02" }
              tm: time-millis
              tsm: { type: timestamp-millis, default: "2024-01-31T12:00:00Z" }
              tsu: timestamp-micros
              dec: decimal(38,9)
              arr: "long[]"
              mp: "map<decimal(5,2)>"
              opt: "string?"
              optArr: "int?[]?"
              digest: Sha256
              level: Level
              tree: Tree
              price: { type: Money, default: { amount: "-1.50" } }
              again: Money
              color: { enum: [red, green], default: green, doc: Inline. }
              big: { type: long, default: 9223372036854775807, aliases: [huge], doc: Past 2^53. }
              small: { type: long, default: -9223372036854775808 }
              when: { type: "timestamp-millis?", doc: "Unknown when null." }
  Order:
    events:
      OrderPlaced:
        versions:
          - fields: { amount: Money }
          - fields: { total: Money, note: { type: string, default: "" } }
            upcast: custom
`;

const ordersYaml = readFileSync(path.join(root, 'test/cases/orders/input.yaml'), 'utf8');

/** Avro JSON text → plain data; integer literals past 2^53 become bigint, so nothing is rounded. */
function exactJson(text: string): unknown {
  const plain = (v: JsonValue): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(plain);
    if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [k, plain(x)]));
    const n = Number(v.text);
    return v.isInteger && !Number.isSafeInteger(n) ? BigInt(v.text) : n;
  };
  return plain(parseJson(text));
}

/** Logical types as avsc sees them: values pass through; decimal checks its parameters. */
class PassThrough extends avsc.types.LogicalType {
  protected override _fromValue(v: unknown): unknown {
    return v;
  }
  protected override _toValue(v: unknown): unknown {
    return v;
  }
}
class Decimal extends PassThrough {
  constructor(schema: avsc.Schema, opts?: object) {
    super(schema, opts);
    const { precision, scale } = schema as { precision?: unknown; scale?: unknown };
    if (typeof precision !== 'number' || typeof scale !== 'number' || scale > precision) throw new Error('bad decimal');
  }
}
const logicalTypes = { uuid: PassThrough, date: PassThrough, 'time-millis': PassThrough, 'timestamp-millis': PassThrough, 'timestamp-micros': PassThrough, decimal: Decimal };

/** avsc's long holds only safe integers; this one holds every long, as bigint (as the runtime's does). */
function bigintLong(): avsc.Type {
  return avsc.types.LongType.__with({
    fromBuffer: (b: Buffer) => b.readBigInt64LE(0),
    toBuffer: (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(n, 0);
      return b;
    },
    fromJSON: (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number)),
    toJSON: (n: bigint) => n,
    isValid: (v: unknown) => typeof v === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

/** `long` without a logical type: the logical ones keep avsc's own long underneath. */
function isPlainLong(s: unknown): boolean {
  if (s === 'long') return true;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return false;
  const attrs = s as { readonly type?: unknown; readonly logicalType?: unknown };
  return attrs.type === 'long' && attrs.logicalType === undefined;
}

function parseWithAvsc(schema: unknown): avsc.Type {
  const long = bigintLong();
  return avsc.Type.forSchema(schema as avsc.Schema, {
    logicalTypes,
    typeHook: (s: avsc.Schema) => (isPlainLong(s) ? long : undefined),
  });
}

describe.each([
  ['everything', 'everything.yaml', everything],
  ['orders (DESIGN.md example)', 'orders.yaml', ordersYaml],
])('emitAvro: %s', (_name, file, text) => {
  const model = modelOf(file, text);
  const files = emit(model);
  const avscFiles = files.filter((f) => f.path.endsWith('.avsc'));
  const slug = model.domains[0]?.name.split('.').pop() ?? '';
  const fingerprints = JSON.parse(fileOf(files, `${slug}/avro/fingerprints.json`)) as Record<string, { crc64avro: string; sha256: string }>;
  const module = fileOf(files, `${slug}/avro.ts`);

  it('writes one .avsc per event and command version, fingerprints.json and avro.ts', () => {
    const versions = model.domains.flatMap((d) =>
      d.aggregates.flatMap((a) => [...a.events, ...a.commands].flatMap((e) => e.versions.map((v: { version: number }) => `${slug}/avro/${e.ceType}.v${v.version}.avsc`))),
    );
    expect(files.map((f) => f.path)).toEqual([...versions, `${slug}/avro/fingerprints.json`, `${slug}/avro.ts`]);
    expect(Object.keys(fingerprints)).toEqual(versions.map((v) => path.basename(v)).sort());
  });

  it.each(avscFiles.map((f) => [f.path, f.content] as const))('%s is valid Avro (avsc, with logical types) with the recorded fingerprint', (p, content) => {
    expect(content.endsWith('}\n')).toBe(true);
    const schema = exactJson(content);
    const type = parseWithAvsc(schema);
    const codec = createCodec(schema as Parameters<typeof createCodec>[0]);
    // Two implementations of the Parsing Canonical Form agree, and the file records its fingerprint.
    expect(codec.canonical).toBe(JSON.stringify(type.schema()));
    expect(parsingCanonicalForm(schema as Parameters<typeof parsingCanonicalForm>[0])).toBe(codec.canonical);
    expect(fingerprints[path.basename(p)]).toEqual({ crc64avro: codec.fingerprintHex, sha256: codec.sha256 });
  });

  it('embeds in avro.ts exactly the schema of each .avsc, with the same fingerprint', () => {
    const consts = [...module.matchAll(/^export const (\w+)Schema = ([\s\S]*?) as const;$/gm)];
    expect(consts.length).toBe(avscFiles.length);
    for (const [i, m] of consts.entries()) {
      const embedded: unknown = new Function(`return (${m[2] ?? ''});`)();
      expect(embedded).toEqual(exactJson(avscFiles[i]?.content ?? ''));
      const fp = new RegExp(`^export const ${m[1] ?? ''}Fingerprint = '([0-9a-f]{16})';$`, 'm').exec(module)?.[1];
      expect(fp).toBe(createCodec(embedded as Parameters<typeof createCodec>[0]).fingerprintHex);
    }
  });

  it('declares a typed codec per version and the codecs table', () => {
    for (const e of model.domains.flatMap((d) => d.aggregates.flatMap((a) => a.events))) {
      for (const v of e.versions) {
        const c = `${e.name.charAt(0).toLowerCase()}${e.name.slice(1)}V${v.version}`;
        expect(module).toContain(`export const ${c}Codec: AvroCodec<${v.typeName}> = createCodec<${v.typeName}>(${c}Schema);`);
      }
      const entries = e.versions.map((v) => `${v.version}: ${e.name.charAt(0).toLowerCase()}${e.name.slice(1)}V${v.version}Codec`).join(', ');
      expect(module).toContain(`  '${e.ceType}': { ${entries} },`);
    }
    expect(module).toMatch(/^export const codecs = \{$/m);
    expect(module).toContain("import { type AvroCodec, createCodec } from 'eventsmith/runtime';");
    expect(module).toMatch(/^import type \{[^}]*\bOrderPlacedV1\b[^}]*\} from '\.\/types\.js';$/m);
  });

  it('is deterministic', () => {
    const again = emit(modelOf(file, text));
    expect(again.map((f) => [f.path, f.content])).toEqual(files.map((f) => [f.path, f.content]));
  });
});

describe('emitAvro: exact values', () => {
  const model = modelOf('everything.yaml', everything);
  const files = emit(model);
  const v1 = fileOf(files, 'shop/avro/com.acme.shop.item.everythinghappened.v1.avsc');
  const module = fileOf(files, 'shop/avro.ts');

  it('keeps long defaults past 2^53 exact in the .avsc, in avro.ts and in the runtime', () => {
    expect(v1).toContain('"default": 9223372036854775807\n');
    expect(v1).toContain('{ "name": "small", "type": "long", "default": -9223372036854775808 }');
    expect(module).toContain('default: 9223372036854775807n');
    expect(module).toContain("{ name: 'small', type: 'long', default: -9223372036854775808n }");
    const m = /^export const everythingHappenedV1Schema = ([\s\S]*?) as const;$/m.exec(module);
    const embedded: unknown = new Function(`return (${m?.[1] ?? ''});`)();
    const big = (parseWithAvsc(embedded) as avsc.types.RecordType).fields.find((f) => f.name === 'big');
    expect(big?.defaultValue()).toBe(9223372036854775807n);
  });

  it('names inline enums as the resolver does (<Owner><Field>), defined where the field is', () => {
    const color = model.domains[0]?.aggregates[0]?.events[0]?.versions[0]?.fields.find((f) => f.name === 'color');
    const name = color?.type.kind === 'named' ? color.type.type.name : '';
    expect(name).toMatch(/^EverythingHappened(V1)?Color$/);
    expect(v1).toContain(`"name": "color",\n      "doc": "Inline.",\n      "type": {\n        "type": "enum",\n        "name": "${name}",`);
  });

  it('defines each named type at its first use and refers to it by full name after', () => {
    expect(v1.match(/"name": "Money"/g)).toHaveLength(1);
    expect(v1).toContain('{ "name": "again", "type": "com.acme.shop.Money" }');
    expect(v1).toContain('"items": "com.acme.shop.Tree"');
    expect(v1).toContain('"aliases": ["com.acme.old.Grade"]');
    expect(v1).toContain('"aliases": ["huge"]');
  });

  it('writes Avro JSON defaults: decimal as bytes, date as days, timestamp as a number', () => {
    expect(v1).toContain('"default": { "amount": "ÿj", "currency": "USD" }');
    expect(v1).toContain('{ "name": "dt", "type": { "type": "int", "logicalType": "date" }, "default": 1 }');
    expect(v1).toContain('"default": 1706702400000');
  });

  it('round-trips a value through the embedded schema', () => {
    const m = /^export const orderPlacedV2Schema = ([\s\S]*?) as const;$/m.exec(module);
    const codec = createCodec<{ total: { amount: string; currency: string }; note: string }>(new Function(`return (${m?.[1] ?? ''});`)() as Parameters<typeof createCodec>[0]);
    const value = { total: { amount: '12.50', currency: 'EUR' }, note: 'ok' };
    expect(codec.fromBinary(codec.toBinary(value))).toEqual(value);
    expect(codec.fromJson(codec.toJson(value))).toEqual(value);
  });

  it('uses the runtime module of the options', () => {
    const d = model.domains[0];
    if (!d) throw new Error('no domain');
    const custom = avroFiles(d, { model, templates, options: { runtimeModule: '@acme/es-runtime' } });
    expect(fileOf(custom, 'shop/avro.ts')).toContain("from '@acme/es-runtime';");
  });
});

describe('emitAvro: named types shared between documents', () => {
  // The builder reuses a named type's definition across documents; whether that is right
  // depends on what each document defined before it, so the order of fields varies here.
  const model = modelOf(
    'shared.yaml',
    [
      'domain: com.x',
      'source: urn:x',
      'types:',
      '  Money:',
      '    fields: { amount: "decimal(12,2)", currency: { type: string, default: USD } }',
      '  Line:',
      '    fields: { sku: string, price: Money }',
      'aggregates:',
      '  Cart:',
      '    events:',
      '      Filled:',
      '        versions:',
      '          - fields:',
      '              lines: Line[]',
      '      Refilled:',
      '        versions:',
      '          - fields:',
      '              total: Money',
      '              lines: Line[]',
      '      Split:',
      '        versions:',
      '          - fields:',
      '              lines: Line[]',
      '              first: Line',
      '      Totalled:',
      '        versions:',
      '          - fields:',
      '              total: Money',
      '',
    ].join('\n'),
  );
  const files = emit(model);
  const schemas = ['filled', 'refilled', 'split', 'totalled'].map((e) => JSON.parse(fileOf(files, `x/avro/com.x.cart.${e}.v1.avsc`)) as { fields: { name: string; type: unknown }[] });
  const money = { type: 'record', name: 'Money', fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } }, { name: 'currency', type: 'string', default: 'USD' }] };
  const lineWith = (price: unknown) => ({ type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'price', type: price }] });

  it('defines a type in full again in each document, and by name where the document defined it already', () => {
    expect(schemas[0]?.fields).toEqual([{ name: 'lines', type: { type: 'array', items: lineWith(money) } }]);
    expect(schemas[1]?.fields).toEqual([
      { name: 'total', type: money },
      { name: 'lines', type: { type: 'array', items: lineWith('com.x.Money') } },
    ]);
    expect(schemas[2]?.fields).toEqual([
      { name: 'lines', type: { type: 'array', items: lineWith(money) } },
      { name: 'first', type: 'com.x.Line' },
    ]);
    expect(schemas[3]?.fields).toEqual([{ name: 'total', type: money }]);
  });

  it('prints the same text as a build from an unfrozen copy of the model', () => {
    // A copy that keeps which objects are the same one (Money inside Line is the Money type) but is not frozen.
    const copies = new Map<object, unknown>();
    const thaw = (v: unknown): unknown => {
      if (typeof v !== 'object' || v === null) return v;
      const seen = copies.get(v);
      if (seen !== undefined) return seen;
      const copy: { [key: string]: unknown } | unknown[] = Array.isArray(v) ? [] : {};
      copies.set(v, copy);
      for (const [k, x] of Object.entries(v)) (copy as { [key: string]: unknown })[k] = thaw(x);
      return copy;
    };
    const thawed = thaw(model) as Model;
    expect(Object.isFrozen(thawed.domains[0]?.types[0])).toBe(false);
    expect(emit(thawed).map((f) => f.content)).toEqual(files.map((f) => f.content));
  });
});

describe('canonicalFormOf: the runtime\'s Parsing Canonical Form, written from the schema objects', () => {
  const specs: [string, string][] = [
    ...['generated-example/events/orders.yaml', 'test/fixtures/inventory.yaml', 'test/fixtures/payment.yaml']
      .map((f): [string, string] => [f, readFileSync(path.join(root, f), 'utf8')]),
    ...['all-types', 'evolution', 'orders', 'projections', 'proto-map-default', 'minimal'].map((c): [string, string] => [`${c}.yaml`, readFileSync(path.join(root, 'test/cases', c, 'input.yaml'), 'utf8')]),
    ['synthetic.yaml', syntheticSpec(120, { flows: true })],
  ];

  it.each(specs)('equals parsingCanonicalForm for every event and command version of %s', (file, text) => {
    const model = modelOf(file, text);
    let versions = 0;
    for (const d of model.domains) {
      for (const a of d.aggregates) {
        for (const m of [...a.events, ...a.commands]) {
          for (const v of m.versions) {
            // Twice: the second reads what the first kept of the shared parts.
            for (const schema of [versionSchemaOf(v, m, d), avroSchemaOf(v, m, d)]) {
              expect(canonicalFormOf(schema), `${m.name} v${v.version}`).toBe(parsingCanonicalForm(schema as Parameters<typeof parsingCanonicalForm>[0]));
            }
            versions++;
          }
        }
      }
    }
    expect(versions).toBeGreaterThan(0);
  });

  it('writes a shared part by the namespace of where it is, not of where it was first written', () => {
    // One frozen definition (no namespace of its own) under two enclosing namespaces: a form
    // kept by the object alone would name it com.a.Money in the second document too.
    const frozenMoney = deepFrozen(JSON.parse(JSON.stringify({ type: 'record', name: 'Money', fields: [{ name: 'amount', type: 'long' }] })) as AvroSchemaJson);
    for (const ns of ['com.a', 'com.b', '']) {
      const doc = { type: 'record', name: 'Paid', ...(ns !== '' ? { namespace: ns } : {}), fields: [{ name: 'total', type: frozenMoney }, { name: 'again', type: ns === '' ? 'Money' : `${ns}.Money` }] } as const;
      expect(canonicalFormOf(doc)).toBe(parsingCanonicalForm(doc as Parameters<typeof parsingCanonicalForm>[0]));
    }
  });

  it('writes a shared part by name where the document defined its type already', () => {
    const frozenMoney = deepFrozen({ type: 'record', name: 'Money', fields: [{ name: 'amount', type: 'long' }] } as AvroSchemaJson);
    // Kept first alone, where it is a definition...
    expect(canonicalFormOf({ type: 'record', name: 'A', namespace: 'com.x', fields: [{ name: 'm', type: frozenMoney }] })).toContain('"name":"com.x.Money","type":"record"');
    // ...then after a definition of its own name: the kept text would define it twice.
    const doc: AvroSchemaJson = {
      type: 'record', name: 'B', namespace: 'com.x',
      fields: [{ name: 'first', type: { type: 'record', name: 'Money', fields: [{ name: 'amount', type: 'long' }] } }, { name: 'list', type: { type: 'array', items: frozenMoney } }],
    };
    expect(canonicalFormOf(doc)).toBe('{"name":"com.x.B","type":"record","fields":[{"name":"first","type":{"name":"com.x.Money","type":"record","fields":[{"name":"amount","type":"long"}]}},{"name":"list","type":{"type":"array","items":"com.x.Money"}}]}');
  });
});

describe('versionSchemaOf: one schema per version of a resolved model', () => {
  it('builds again for a version that can still change, and per message and domain for a shared frozen version', () => {
    const base = ordersDomain();
    const agg = base.aggregates[0];
    const placed = agg?.events[0];
    const v1 = placed?.versions[0];
    if (agg === undefined || placed === undefined || v1 === undefined) throw new Error('fixture');
    const first = versionSchemaOf(v1, placed, base);
    (v1 as { fields: unknown }).fields = [field('id', t.prim('string')), field('note', t.prim('string'))];
    expect(versionSchemaOf(v1, placed, base).fields.map((f) => f.name)).toEqual(['id', 'note']);
    expect(first.fields.map((f) => f.name)).toEqual(['customerId', 'items', 'amount']);

    const frozen = deepFrozen(structuredClone(v1));
    const a = deepFrozen({ ...placed, name: 'Placed', versions: [frozen] });
    const b = deepFrozen({ ...placed, name: 'Shipped', versions: [frozen] });
    const d = deepFrozen({ ...base });
    expect(versionSchemaOf(frozen, a, d).name).toBe('Placed');
    expect(versionSchemaOf(frozen, b, d).name).toBe('Shipped');
    expect(versionSchemaOf(frozen, a, d)).toBe(versionSchemaOf(frozen, a, d));
    expect(Object.isFrozen(versionSchemaOf(frozen, a, d).fields[0])).toBe(true);
  });
});

describe('printAvroSchema: shared small schemas', () => {
  it('lays out a shared type by where it is each time, as an unshared copy is', () => {
    // The same frozen `["null", decimal]` fits on one line as a field's type and not as a
    // map's values (four columns further right), in either order: a one-line form kept from
    // one place must not decide the other.
    const direct = field('amount', t.opt(t.decimal(12, 2)));
    const inMap = field('amounts', t.map(t.opt(t.decimal(12, 2))));
    for (const order of [[direct, inMap], [inMap, direct]]) {
      const shared = avroRecordSchemaOf({ name: 'Paid', fields: order }, 'com.x');
      const copy = JSON.parse(JSON.stringify(shared)) as AvroSchemaJson;
      expect(Object.isFrozen(shared.fields[0]?.type)).toBe(true);
      expect(printAvroSchema(copy)).toContain('"values": [\n');
      for (const style of ['json', 'ts'] as const) expect(printAvroSchema(shared, style)).toBe(printAvroSchema(copy, style));
    }
  });

  it('shares a decimal schema only between equal precision and scale', () => {
    const schema = avroRecordSchemaOf({ name: 'P', fields: [field('a', t.decimal(12, 2)), field('b', t.decimal(12, 3)), field('c', t.decimal(12, 2))] }, 'com.x');
    expect(schema.fields.map((f) => f.type)).toEqual([
      { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
      { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 },
      { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
    ]);
  });
});

function deepFrozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFrozen(v);
    Object.freeze(value);
  }
  return value;
}

describe('avroRecordSchemaOf: fields shared between documents', () => {
  const fieldsOf = (...fields: ReturnType<typeof field>[]) => avroRecordSchemaOf({ name: 'R', fields }, 'com.x').fields;

  it('shares a field only with one of the same name, type and default', () => {
    const [a, b, c, d, e, f, g, h] = [
      ...fieldsOf(field('n', t.prim('long'), { default: 1 }), field('n', t.prim('long'), { default: 2 }), field('n', t.prim('long')), field('m', t.prim('long'), { default: 1 })),
      ...fieldsOf(field('n', t.prim('long'), { default: 1 }), field('n', t.prim('string'), { default: '1' }), field('n', t.decimal(12, 3)), field('n', t.decimal(12, 2))),
    ];
    expect([a, b, c, d, f, g, h].map((x) => JSON.stringify(x))).toEqual([
      '{"name":"n","type":"long","default":1}',
      '{"name":"n","type":"long","default":2}',
      '{"name":"n","type":"long"}',
      '{"name":"m","type":"long","default":1}',
      '{"name":"n","type":"string","default":"1"}',
      '{"name":"n","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":3}}',
      '{"name":"n","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}}',
    ]);
    expect(e).toBe(a);
    expect(new Set([a, b, c, d, f, g, h]).size).toBe(7);
  });

  it('keeps a field of its own where a shared one would lose what it says', () => {
    const [zero, negative, documented] = fieldsOf(field('z', t.prim('double'), { default: 0 }), field('z', t.prim('double'), { default: -0 }), field('z', t.prim('double'), { default: 0, doc: 'Zero.' }));
    expect(Object.is(zero?.default, 0)).toBe(true);
    expect(Object.is(negative?.default, -0)).toBe(true);
    expect(documented?.doc).toBe('Zero.');
    expect(zero?.doc).toBeUndefined();
  });

  it('lays out a shared field by where it is, as an unshared copy is', () => {
    // The same field at the top level and inside a nested record (two columns further right).
    const amount = field('amountInTheSmallestUnitOfTheCurrencyOfThisLine', t.opt(t.decimal(12, 2)));
    const nested = record('Nested', [amount]);
    for (const fields of [[amount, field('nested', t.named(nested))], [field('nested', t.named(nested)), amount]]) {
      const shared = avroRecordSchemaOf({ name: 'Paid', fields }, 'com.x');
      const copy = JSON.parse(JSON.stringify(shared)) as AvroSchemaJson;
      for (const style of ['json', 'ts'] as const) expect(printAvroSchema(shared, style)).toBe(printAvroSchema(copy, style));
    }
  });
});
