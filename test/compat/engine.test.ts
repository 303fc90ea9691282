import { describe, expect, it } from 'vitest';
import {
  AvroSchemaError,
  checkMode,
  checkReaderWriter,
  parseSchema,
  runCompat,
  type AvroSchemaJson,
  type CompatFormat,
  type CompatMode,
} from '../../generator/compat/index.js';

const rec = (name: string, fields: readonly unknown[], extra: Record<string, unknown> = {}): AvroSchemaJson => ({ type: 'record', name, ...extra, fields });
const dec = (precision: number, scale: number, base: Record<string, unknown> = { type: 'bytes' }): AvroSchemaJson => ({
  ...base,
  type: base.type,
  logicalType: 'decimal',
  precision,
  scale,
});

/** [type, location, message] of each incompatibility, in order. */
function summary(reader: AvroSchemaJson, writer: AvroSchemaJson): [string, string, string][] {
  return checkReaderWriter(reader, writer).incompatibilities.map((i) => [i.type, i.location, i.message]);
}

describe('decimal precision and scale (the spec, not Java)', () => {
  const fixed8 = { type: 'fixed', name: 'D', size: 8 };
  it.each<[string, AvroSchemaJson, AvroSchemaJson, [string, string, string][]]>([
    ['same bytes decimal', dec(10, 2), dec(10, 2), []],
    ['precision differs', dec(10, 2), dec(12, 2), [['TYPE_MISMATCH', '/', 'reader type: BYTES (decimal(10,2)) not compatible with writer type: BYTES (decimal(12,2))']]],
    ['scale differs', dec(10, 2), dec(10, 3), [['TYPE_MISMATCH', '/', 'reader type: BYTES (decimal(10,2)) not compatible with writer type: BYTES (decimal(10,3))']]],
    ['scale defaults to 0', { type: 'bytes', logicalType: 'decimal', precision: 5 }, dec(5, 0), []],
    ['fixed decimals differ', dec(10, 2, fixed8), dec(12, 2, fixed8), [['TYPE_MISMATCH', '/', 'reader type: FIXED (decimal(10,2)) not compatible with writer type: FIXED (decimal(12,2))']]],
    [
      'in a record field',
      rec('R', [{ name: 'total', type: dec(12, 2) }]),
      rec('R', [{ name: 'total', type: dec(12, 4) }]),
      [['TYPE_MISMATCH', '/fields/0/type', 'reader type: BYTES (decimal(12,2)) not compatible with writer type: BYTES (decimal(12,4))']],
    ],
    ['in a union branch', ['null', dec(10, 2)], ['null', dec(11, 2)], [['MISSING_UNION_BRANCH', '/1', 'reader union lacking writer type: BYTES']]],
    ['reader decimal, writer plain bytes', dec(10, 2), 'bytes', []],
    ['invalid parameters make a plain bytes (as Avro ignores them)', { type: 'bytes', logicalType: 'decimal', precision: 2, scale: 3 }, dec(10, 2), []],
    ['precision too large for the fixed size is ignored', dec(20, 2, fixed8), dec(10, 2, fixed8), []],
  ])('%s', (_name, reader, writer, want) => {
    expect(summary(reader, writer)).toEqual(want);
  });
});

describe('recursive schemas', () => {
  const list = (extra: readonly unknown[] = []): AvroSchemaJson =>
    rec('Node', [{ name: 'value', type: 'int' }, { name: 'next', type: ['null', 'Node'], default: null }, ...extra], { namespace: 'ex' });
  it('a recursive schema reads itself', () => {
    expect(summary(list(), list())).toEqual([]);
  });
  it('promotion inside recursion', () => {
    const longList = rec('Node', [{ name: 'value', type: 'long' }, { name: 'next', type: ['null', 'Node'], default: null }], { namespace: 'ex' });
    expect(summary(longList, list())).toEqual([]);
    expect(summary(list(), longList)).toEqual([
      // The recursive Node/Node pair is assumed compatible while it is being checked (as in Avro
      // Java), so the problem is reported once, not again as a missing union branch.
      ['TYPE_MISMATCH', '/fields/0/type', 'reader type: INT not compatible with writer type: LONG'],
    ]);
  });
  it('a new field without default is reported once, and the check terminates', () => {
    expect(summary(list([{ name: 'label', type: 'string' }]), list())).toEqual([['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/2', 'label']]);
  });
  it('mutual recursion through arrays and maps', () => {
    const tree = (leaf: string): AvroSchemaJson =>
      rec('Tree', [
        { name: 'children', type: { type: 'array', items: { type: 'record', name: 'Branch', fields: [{ name: 'sub', type: { type: 'map', values: 'Tree' } }, { name: 'w', type: leaf }] } } },
      ]);
    expect(summary(tree('double'), tree('float'))).toEqual([]);
    expect(summary(tree('float'), tree('double'))).toEqual([
      ['TYPE_MISMATCH', '/fields/0/type/items/fields/1/type', 'reader type: FLOAT not compatible with writer type: DOUBLE'],
    ]);
  });
  it('forward references resolve', () => {
    const fwd = rec('A', [{ name: 'b', type: ['null', 'B'], default: null }, { name: 'bb', type: { type: 'record', name: 'B', fields: [] } }]);
    expect(summary(fwd, fwd)).toEqual([]);
  });
});

describe('aliases and names', () => {
  it.each<[string, AvroSchemaJson, AvroSchemaJson, [string, string, string][]]>([
    ['reader field alias matches a renamed writer field', rec('R', [{ name: 'fresh', type: 'int', aliases: ['old'] }]), rec('R', [{ name: 'old', type: 'int' }]), []],
    [
      'writer field aliases do not count',
      rec('R', [{ name: 'fresh', type: 'int' }]),
      rec('R', [{ name: 'old', type: 'int', aliases: ['fresh'] }]),
      [['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/0', 'fresh']],
    ],
    [
      'aliased field is still type-checked',
      rec('R', [{ name: 'fresh', type: 'int', aliases: ['old'] }]),
      rec('R', [{ name: 'old', type: 'string' }]),
      [['TYPE_MISMATCH', '/fields/0/type', 'reader type: INT not compatible with writer type: STRING']],
    ],
    ['the field name wins over an alias', rec('R', [{ name: 'a', type: 'int', aliases: ['b'] }]), rec('R', [{ name: 'b', type: 'string' }, { name: 'a', type: 'int' }]), []],
    ['names compare unqualified', rec('R', [], { namespace: 'one' }), rec('R', [], { namespace: 'two' }), []],
    ['a dotted name is qualified', rec('one.R', []), rec('R', []), []],
    ['reader record alias, qualified by its namespace', rec('New', [], { namespace: 'ns', aliases: ['Old'] }), rec('Old', [], { namespace: 'ns' }), []],
    ['reader alias in another namespace does not match', rec('New', [], { namespace: 'ns', aliases: ['Old'] }), rec('Old', [], { namespace: 'other' }), [['NAME_MISMATCH', '/name', 'expected: other.Old']]],
    ['reader alias fully qualified', rec('New', [], { namespace: 'ns', aliases: ['other.Old'] }), rec('Old', [], { namespace: 'other' }), []],
    ['writer record aliases do not count', rec('New', []), rec('Old', [], { aliases: ['New'] }), [['NAME_MISMATCH', '/name', 'expected: Old']]],
    ['enum alias', { type: 'enum', name: 'E2', aliases: ['E1'], symbols: ['A'] }, { type: 'enum', name: 'E1', symbols: ['A'] }, []],
  ])('%s', (_name, reader, writer, want) => {
    expect(summary(reader, writer)).toEqual(want);
  });
});

describe('enums', () => {
  const e = (symbols: string[], def?: string): AvroSchemaJson => ({ type: 'enum', name: 'Suit', symbols, ...(def === undefined ? {} : { default: def }) });
  it.each<[string, AvroSchemaJson, AvroSchemaJson, [string, string, string][]]>([
    ['missing symbols, sorted', e(['A']), e(['D', 'A', 'B']), [['MISSING_ENUM_SYMBOLS', '/symbols', '[B, D]']]],
    ['a reader enum default absorbs unknown symbols', e(['A', 'Z'], 'Z'), e(['A', 'B', 'C']), []],
    ['a writer enum default does not help', e(['A']), e(['A', 'B'], 'A'), [['MISSING_ENUM_SYMBOLS', '/symbols', '[B]']]],
    ['a field default does not stand in for an enum default', rec('R', [{ name: 'f', type: e(['A']), default: 'A' }]), rec('R', [{ name: 'f', type: e(['A', 'B']) }]), [['MISSING_ENUM_SYMBOLS', '/fields/0/type/symbols', '[B]']]],
    // Apache Avro's naming: the enum is checked against the writer record (TYPE_MISMATCH at /fields/N/type).
    ['an enum default is not a field default', rec('R', [{ name: 'f', type: e(['A'], 'A') }]), rec('R', []), [['TYPE_MISMATCH', '/fields/0/type', 'reader type: ENUM not compatible with writer type: RECORD']]],
    ['an enum without a default is a missing field default', rec('R', [{ name: 'f', type: e(['A']) }]), rec('R', []), [['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/0', 'f']]],
    ['fewer writer symbols are fine', e(['A', 'B']), e(['B']), []],
  ])('%s', (_name, reader, writer, want) => {
    expect(summary(reader, writer)).toEqual(want);
  });
});

describe('unions and promotions', () => {
  it.each<[string, AvroSchemaJson, AvroSchemaJson, boolean]>([
    ['int → long, float, double', ['long'], 'int', true],
    ['long → float', 'float', 'long', true],
    ['float → double', 'double', 'float', true],
    ['double ↛ float', 'float', 'double', false],
    ['string → bytes', 'bytes', 'string', true],
    ['bytes → string', 'string', 'bytes', true],
    ['empty writer union is always readable', 'int', [], true],
    ['empty reader union reads nothing', [], 'int', false],
    ['empty unions', [], [], true],
    ['writer union, every branch must be readable', 'long', ['int', 'long'], true],
    ['reader union picks a branch by promotion', ['null', 'double'], 'int', true],
  ])('%s', (_name, reader, writer, compatible) => {
    expect(checkReaderWriter(reader, writer).compatible).toBe(compatible);
  });
});

describe('all incompatibilities are reported', () => {
  it('with locations, in document order, and fragments', () => {
    const reader = rec('R', [
      { name: 'a', type: 'int' },
      { name: 'b', type: { type: 'fixed', name: 'F', size: 4 } },
      { name: 'c', type: 'string' },
      { name: 'd', type: { type: 'array', items: ['null', 'int'] } },
    ]);
    const writer = rec('R', [
      { name: 'a', type: 'long' },
      { name: 'b', type: { type: 'fixed', name: 'G', size: 8 } },
      { name: 'd', type: { type: 'array', items: ['null', 'string'] } },
    ]);
    const result = checkReaderWriter(reader, writer);
    expect(result.compatible).toBe(false);
    expect(result.incompatibilities.map((i) => [i.type, i.location, i.message])).toEqual([
      ['TYPE_MISMATCH', '/fields/0/type', 'reader type: INT not compatible with writer type: LONG'],
      ['NAME_MISMATCH', '/fields/1/type/name', 'expected: G'],
      ['FIXED_SIZE_MISMATCH', '/fields/1/type/size', 'expected: 8, found: 4'],
      ['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/2', 'c'],
      ['MISSING_UNION_BRANCH', '/fields/3/type/items/1', 'reader union lacking writer type: STRING'],
    ]);
    expect(result.incompatibilities[0]).toMatchObject({ readerFragment: '"int"', writerFragment: '"long"' });
    expect(result.incompatibilities[2]?.writerFragment).toBe('{"type":"fixed","name":"G","size":8}');
  });
  it('a named pair used twice is reported at both places', () => {
    const e = (symbols: string[]): AvroSchemaJson => rec('R', [{ name: 'x', type: { type: 'enum', name: 'E', symbols } }, { name: 'y', type: 'E' }]);
    expect(summary(e(['A']), e(['A', 'B']))).toEqual([
      ['MISSING_ENUM_SYMBOLS', '/fields/0/type/symbols', '[B]'],
      ['MISSING_ENUM_SYMBOLS', '/fields/1/type/symbols', '[B]'],
    ]);
  });
});

describe('invalid schemas throw AvroSchemaError', () => {
  it.each<[string, unknown, string]>([
    ['unknown type name', rec('R', [{ name: 'a', type: 'Nope' }]), 'undefined name: "Nope" at /fields/0/type'],
    ['missing record name', { type: 'record', fields: [] }, 'named type has no "name"'],
    ['invalid name', rec('1R', []), 'invalid name "1R"'],
    ['redefinition', rec('R', [{ name: 'a', type: rec('R', []) }]), "can't redefine: R at /fields/0/type/name"],
    ['duplicate field', rec('R', [{ name: 'a', type: 'int' }, { name: 'a', type: 'int' }]), 'duplicate field a at /fields/1/name'],
    ['duplicate union branch', ['int', 'int'], 'duplicate in union: int at /1'],
    ['nested union', ['null', ['int']], 'a union may not immediately contain another union at /1'],
    ['bad field default', rec('R', [{ name: 'a', type: 'int', default: 'x' }]), 'invalid default for field a'],
    ['enum default not a symbol', { type: 'enum', name: 'E', symbols: ['A'], default: 'B' }, 'enum default "B" is not one of its symbols'],
    ['duplicate enum symbol', { type: 'enum', name: 'E', symbols: ['A', 'A'] }, 'duplicate enum symbol A'],
    ['negative fixed size', { type: 'fixed', name: 'F', size: -1 }, 'fixed "size" must be a non-negative integer'],
    ['not a schema', 42, 'a schema must be a type name'],
    ['prototype names are not types', { type: 'constructor' }, 'undefined name: "constructor"'],
  ])('%s', (_name, json, message) => {
    expect(() => parseSchema(json)).toThrow(AvroSchemaError);
    expect(() => parseSchema(json)).toThrow(message);
  });
  it('names which side is invalid', () => {
    expect(() => checkReaderWriter('int', 'nope')).toThrow('writer: undefined name: "nope"');
    expect(() => checkMode('NONE', 'int', ['int', ['int', 'int']])).toThrow('previous[1]: duplicate in union: int at /1');
  });
  it('accepts a union default matching any branch, and namespaced references', () => {
    expect(() => parseSchema(rec('R', [{ name: 'a', type: ['null', 'int'], default: 3 }]))).not.toThrow();
    expect(() => parseSchema(rec('R', [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } }, { name: 'f', type: 'ns.E' }], { namespace: 'ns' }))).not.toThrow();
    expect(() => parseSchema(rec('R', [{ name: 'e', type: { type: 'enum', name: 'E', namespace: '', symbols: ['A'] } }, { name: 'f', type: 'E' }], { namespace: 'ns' }))).not.toThrow();
  });
});

describe('modes', () => {
  const v1 = rec('R', [{ name: 'a', type: 'int' }]);
  const v2 = rec('R', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]);
  const v3 = rec('R', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]);
  it.each<[CompatMode, AvroSchemaJson[], AvroSchemaJson, boolean, [number, string, string][]]>([
    ['BACKWARD', [v1, v2], v3, true, []],
    ['BACKWARD_TRANSITIVE', [v1, v2], v3, false, [[0, 'backward', 'READER_FIELD_MISSING_DEFAULT_VALUE']]],
    ['FORWARD', [v3], v1, false, [[0, 'forward', 'READER_FIELD_MISSING_DEFAULT_VALUE']]],
    ['FORWARD', [v1], v3, true, []],
    ['FULL', [v1], v3, false, [[0, 'backward', 'READER_FIELD_MISSING_DEFAULT_VALUE']]],
    ['FULL', [v1, v2], v3, true, []],
    ['FULL_TRANSITIVE', [v2, v1, v2], v3, false, [[1, 'backward', 'READER_FIELD_MISSING_DEFAULT_VALUE']]],
    ['FULL_TRANSITIVE', [v3, v2], v1, false, [[0, 'forward', 'READER_FIELD_MISSING_DEFAULT_VALUE']]],
    ['NONE', [rec('X', [])], 'int', true, []],
    ['BACKWARD', [], v3, true, []],
  ])('%s over %#', (mode, previous, next, compatible, conflicts) => {
    const result = checkMode(mode, next, previous);
    expect(result.compatible).toBe(compatible);
    expect(result.conflicts.map((c) => [c.previousIndex, c.direction, c.incompatibilities[0]?.type])).toEqual(conflicts);
  });
});

describe('runCompat', () => {
  const files: Record<string, string> = {
    'v1.avsc': JSON.stringify(rec('R', [{ name: 'a', type: 'int' }])),
    'v2.avsc': JSON.stringify(rec('R', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }])),
    'v3.avsc': JSON.stringify(rec('R', [{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }])),
    'bad.json': '{"type": ',
    'bad.avsc': JSON.stringify(rec('R', [{ name: 'a', type: 'Nope' }])),
  };
  const readFile = async (f: string): Promise<string> => {
    const text = files[f];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${f}'`);
    return text;
  };
  const run = (mode: CompatMode, newFile: string, previousFiles: string[], format: CompatFormat = 'text') =>
    runCompat({ mode, newFile, previousFiles, format, readFile });

  it.each<[string, CompatMode, string, string[], CompatFormat, 0 | 1 | 2, string]>([
    ['compatible', 'BACKWARD', 'v3.avsc', ['v1.avsc', 'v2.avsc'], 'text', 0, 'v3.avsc: compatible under BACKWARD against v2.avsc\n'],
    ['NONE', 'NONE', 'v3.avsc', ['v1.avsc'], 'text', 0, 'v3.avsc: compatible under NONE (not checked)\n'],
    [
      'incompatible, naming the earlier version',
      'BACKWARD_TRANSITIVE',
      'v3.avsc',
      ['v1.avsc', 'v2.avsc'],
      'text',
      1,
      'v3.avsc: b at /fields/1 (READER_FIELD_MISSING_DEFAULT_VALUE) [against v1.avsc]\nv3.avsc: incompatible under BACKWARD_TRANSITIVE: 1 incompatibility against v1.avsc\n',
    ],
    [
      'github annotations',
      'BACKWARD_TRANSITIVE',
      'v3.avsc',
      ['v1.avsc', 'v2.avsc'],
      'github',
      1,
      '::error file=v3.avsc,title=READER_FIELD_MISSING_DEFAULT_VALUE::b at /fields/1 against v1.avsc\nv3.avsc: incompatible under BACKWARD_TRANSITIVE: 1 incompatibility against v1.avsc\n',
    ],
    ['unreadable file', 'BACKWARD', 'v3.avsc', ['missing.avsc'], 'text', 2, "missing.avsc: cannot read file: ENOENT: no such file or directory, open 'missing.avsc' (UNREADABLE_FILE)\n"],
    ['invalid schema', 'BACKWARD', 'bad.avsc', ['v1.avsc'], 'text', 2, 'bad.avsc: invalid Avro schema: undefined name: "Nope" at /fields/0/type (INVALID_SCHEMA)\n'],
    ['invalid schema, github', 'BACKWARD', 'bad.avsc', ['v1.avsc'], 'github', 2, '::error file=bad.avsc,title=INVALID_SCHEMA::invalid Avro schema: undefined name: "Nope" at /fields/0/type\n'],
  ])('%s', async (_name, mode, newFile, previous, format, exitCode, output) => {
    expect(await run(mode, newFile, previous, format)).toEqual({ exitCode, output });
  });

  it('reports every input problem, and invalid JSON', async () => {
    const result = await run('FULL', 'bad.json', ['missing.avsc', 'bad.avsc']);
    expect(result.exitCode).toBe(2);
    const lines = result.output.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^bad\.json: not valid JSON: .* \(INVALID_JSON\)$/);
    expect(lines[1]).toMatch(/^missing\.avsc: cannot read file: .* \(UNREADABLE_FILE\)$/);
    expect(lines[2]).toMatch(/^bad\.avsc: .* \(INVALID_SCHEMA\)$/);
  });

  it('rejects an unknown mode with exit 2', async () => {
    const result = await runCompat({ mode: 'SIDEWAYS' as CompatMode, newFile: 'v1.avsc', previousFiles: [], format: 'text', readFile });
    expect(result.exitCode).toBe(2);
    expect(result.output).toBe('eventsmith compat: unknown mode "SIDEWAYS"; expected one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE (INVALID_MODE)\n');
  });

  it('accepts a synchronous readFile', async () => {
    const result = await runCompat({ mode: 'FULL', newFile: 'v2.avsc', previousFiles: ['v1.avsc'], format: 'text', readFile: (f) => files[f] ?? '' });
    expect(result.exitCode).toBe(0);
  });

  it('escapes GitHub workflow command properties and data', async () => {
    const weird = { 'a,b:c.avsc': files['v3.avsc'] ?? '', 'v1.avsc': files['v1.avsc'] ?? '' };
    const result = await runCompat({ mode: 'BACKWARD', newFile: 'a,b:c.avsc', previousFiles: ['v1.avsc'], format: 'github', readFile: (f) => weird[f as keyof typeof weird] });
    expect(result.output.split('\n')[0]).toBe('::error file=a%2Cb%3Ac.avsc,title=READER_FIELD_MISSING_DEFAULT_VALUE::b at /fields/1 against v1.avsc');
  });

  it('json: a stable object', async () => {
    const result = await run('FULL_TRANSITIVE', 'v3.avsc', ['v1.avsc', 'v2.avsc'], 'json');
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.output)).toEqual({
      mode: 'FULL_TRANSITIVE',
      new: 'v3.avsc',
      previous: ['v1.avsc', 'v2.avsc'],
      compatible: false,
      conflicts: [
        {
          previous: 'v1.avsc',
          previousIndex: 0,
          direction: 'backward',
          incompatibilities: [
            {
              type: 'READER_FIELD_MISSING_DEFAULT_VALUE',
              location: '/fields/1',
              message: 'b',
              readerFragment: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}',
              writerFragment: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
            },
          ],
        },
      ],
      errors: [],
    });
    const invalid = await run('BACKWARD', 'bad.avsc', ['v1.avsc'], 'json');
    expect(invalid.exitCode).toBe(2);
    expect(JSON.parse(invalid.output)).toMatchObject({
      compatible: false,
      conflicts: [],
      errors: [{ file: 'bad.avsc', code: 'INVALID_SCHEMA', message: 'invalid Avro schema: undefined name: "Nope"', pointer: '/fields/0/type' }],
    });
    const ok = await run('FULL', 'v2.avsc', ['v1.avsc'], 'json');
    expect(JSON.parse(ok.output)).toMatchObject({ compatible: true, conflicts: [], errors: [] });
  });
});
