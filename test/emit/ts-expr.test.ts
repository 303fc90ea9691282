// The expression printer shared by the upcaster and reducer emitters: table tests of exact text
// for every Expr kind, every literal kind of the TypeScript mapping and every conversion the
// resolver accepts (cross-checked against resolve/expr.ts `assignable`).
import { describe, expect, it } from 'vitest';
import type { Expr, TypeRef, Value } from '../../generator/core/model.js';
import { assignedValue, readsSource, tsConvert, tsExpr, tsLiteral } from '../../generator/emit/ts-expr.js';
import { assignable } from '../../generator/resolve/expr.js';
import { enumType, field, fixed, record, t } from './model-fixtures.js';

const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD' })]);
const stamped = record('Stamped', [field('at', t.logical('timestamp-millis')), field('n', t.prim('long')), field('note', t.opt(t.prim('string')))]);
const currency = enumType('Currency', ['USD', 'EUR']);
const sha = fixed('Pair', 2);

const ref = (path: string, type: TypeRef): Expr => ({ kind: 'ref', path: path.split('.'), type });
const lit = (value: Value): Expr => ({ kind: 'literal', value });

/** A null-prototype object, as the resolver normalises record and map values. */
function bare(entries: Record<string, Value>): { readonly [key: string]: Value } {
  const o = Object.create(null) as Record<string, Value>;
  for (const [k, v] of Object.entries(entries)) o[k] = v;
  return o;
}

describe('tsExpr: field references and conversions', () => {
  const cases: [string, { expr: Expr; target: TypeRef; want: string }][] = [
    ['same type', { expr: ref('customerId', t.prim('string')), target: t.prim('string'), want: 'v1.customerId' }],
    ['nested path', { expr: ref('total.amount', t.decimal(12, 2)), target: t.decimal(12, 2), want: 'v1.total.amount' }],
    ['int → long', { expr: ref('n', t.prim('int')), target: t.prim('long'), want: 'BigInt(v1.n)' }],
    ['int → double', { expr: ref('n', t.prim('int')), target: t.prim('double'), want: 'v1.n' }],
    ['float → double', { expr: ref('f', t.prim('float')), target: t.prim('double'), want: 'v1.f' }],
    ['uuid → string', { expr: ref('id', t.logical('uuid')), target: t.prim('string'), want: 'v1.id' }],
    ['decimal widening, same scale', { expr: ref('a', t.decimal(12, 2)), target: t.decimal(14, 2), want: 'v1.a' }],
    ['T → T?', { expr: ref('s', t.prim('string')), target: t.opt(t.prim('string')), want: 'v1.s' }],
    ['T? → T?', { expr: ref('s', t.opt(t.prim('string'))), target: t.opt(t.prim('string')), want: 'v1.s' }],
    ['int → long?', { expr: ref('n', t.prim('int')), target: t.opt(t.prim('long')), want: 'BigInt(v1.n)' }],
    ['int? → long? keeps null', { expr: ref('n', t.opt(t.prim('int'))), target: t.opt(t.prim('long')), want: 'v1.n === null ? null : BigInt(v1.n)' }],
    ['uuid? → string?', { expr: ref('id', t.opt(t.logical('uuid'))), target: t.opt(t.prim('string')), want: 'v1.id' }],
    ['record', { expr: ref('total', t.named(money)), target: t.opt(t.named(money)), want: 'v1.total' }],
    ['list', { expr: ref('items', t.array(t.named(money))), target: t.array(t.named(money)), want: 'v1.items' }],
    ['map', { expr: ref('m', t.map(t.prim('long'))), target: t.map(t.prim('long')), want: 'v1.m' }],
  ];
  it.each(cases)('%s', (_n, { expr, target, want }) => expect(tsExpr(expr, target, 'v1')).toBe(want));

  it('reads whatever source variable it is given', () => {
    expect(tsExpr(ref('a.b', t.prim('int')), t.prim('long'), 'data')).toBe('BigInt(data.a.b)');
  });

  it.each([
    ['long → int', t.prim('long'), t.prim('int')],
    ['long → double (rounds)', t.prim('long'), t.prim('double')],
    ['int → float (rounds)', t.prim('int'), t.prim('float')],
    ['T? → T', t.opt(t.prim('int')), t.prim('int')],
    ['decimal of another scale', t.decimal(12, 2), t.decimal(12, 3)],
    ['narrower decimal', t.decimal(14, 2), t.decimal(12, 2)],
    ['string → uuid', t.prim('string'), t.logical('uuid')],
    ['int[] → long[]', t.array(t.prim('int')), t.array(t.prim('long'))],
  ] as const)('refuses %s', (_n, from, to) => expect(() => tsConvert('x', from, to)).toThrow(/cannot convert/));

  it('converts exactly the pairs the resolver accepts', () => {
    const scalars: TypeRef[] = [
      ...(['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes'] as const).map((n) => t.prim(n)),
      ...(['uuid', 'date', 'time-millis', 'timestamp-millis', 'timestamp-micros'] as const).map((n) => t.logical(n)),
      t.decimal(12, 2),
      t.decimal(14, 2),
      t.decimal(12, 3),
      t.named(money),
      t.named(currency),
      t.array(t.prim('int')),
      t.map(t.prim('int')),
    ];
    const all = [...scalars, ...scalars.map((s) => t.opt(s))];
    let accepted = 0;
    for (const from of all) {
      for (const to of all) {
        const ok = assignable(from, to);
        let printed: string | undefined;
        try {
          printed = tsConvert('x', from, to);
        } catch {
          printed = undefined;
        }
        expect(printed !== undefined, `${JSON.stringify(from)} → ${JSON.stringify(to)}`).toBe(ok);
        if (ok) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(all.length);
  });
});

describe('tsLiteral: the TypeScript mapping', () => {
  const cases: [string, { value: Value; type: TypeRef; want: string }][] = [
    ['string', { value: "it's", type: t.prim('string'), want: "'it\\'s'" }],
    ['int', { value: -7, type: t.prim('int'), want: '-7' }],
    ['negative zero', { value: -0, type: t.prim('double'), want: '-0' }],
    ['float', { value: 1.5, type: t.prim('float'), want: '1.5' }],
    ['double', { value: 0.1, type: t.prim('double'), want: '0.1' }],
    ['long beyond 2^53', { value: 9223372036854775807n, type: t.prim('long'), want: '9223372036854775807n' }],
    ['negative long', { value: -1n, type: t.prim('long'), want: '-1n' }],
    ['boolean', { value: false, type: t.prim('boolean'), want: 'false' }],
    ['bytes', { value: '\u0001\u00ff\u0000', type: t.prim('bytes'), want: 'new Uint8Array([1, 255, 0])' }],
    ['empty bytes', { value: '', type: t.prim('bytes'), want: 'new Uint8Array(0)' }],
    ['uuid', { value: '6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70', type: t.logical('uuid'), want: "'6f1c7a2e-0b1d-4c7e-9a51-2d3c4b5a6f70'" }],
    ['date', { value: '2024-01-31', type: t.logical('date'), want: "'2024-01-31'" }],
    ['time-millis', { value: 3600000, type: t.logical('time-millis'), want: '3600000' }],
    ['timestamp-millis', { value: 1706702400000, type: t.logical('timestamp-millis'), want: 'new Date(1706702400000)' }],
    ['timestamp-micros', { value: 1706702400000001n, type: t.logical('timestamp-micros'), want: '1706702400000001n' }],
    ['decimal', { value: '12.50', type: t.decimal(12, 2), want: "'12.50'" }],
    ['enum', { value: 'EUR', type: t.named(currency), want: "'EUR'" }],
    ['fixed', { value: 'AB', type: t.named(sha), want: 'new Uint8Array([65, 66])' }],
    ['list of longs', { value: [1n, 2n], type: t.array(t.prim('long')), want: '[1n, 2n]' }],
    ['empty list', { value: [], type: t.array(t.prim('long')), want: '[]' }],
    ['map with odd keys', { value: bare({ a: 1, 'b-c': 2 }), type: t.map(t.prim('int')), want: "{ a: 1, 'b-c': 2 }" }],
    ['empty map', { value: bare({}), type: t.map(t.prim('int')), want: '{}' }],
    ['record in field order', { value: bare({ currency: 'EUR', amount: '1.00' }), type: t.named(money), want: "{ amount: '1.00', currency: 'EUR' }" }],
    ['nested mapped values', {
      value: bare({ at: 0, n: 5n, note: null }),
      type: t.named(stamped),
      want: '{ at: new Date(0), n: 5n, note: null }',
    }],
    ['null', { value: null, type: t.opt(t.named(money)), want: 'null' }],
    ['optional value', { value: 5n, type: t.opt(t.prim('long')), want: '5n' }],
    ['list of optional dates', { value: [0, null], type: t.array(t.opt(t.logical('timestamp-millis'))), want: '[new Date(0), null]' }],
  ];
  it.each(cases)('%s', (_n, { value, type, want }) => {
    expect(tsLiteral(value, type)).toBe(want);
    expect(tsExpr(lit(value), type, 'v1')).toBe(want);
  });

  it('a `__proto__` map key stays data: a computed key, not the prototype', () => {
    // A computed key in the test too: `{ __proto__: 1 }` would set the prototype of the input.
    const text = tsLiteral(bare({ ['__proto__']: 1, constructor: 2 }), t.map(t.prim('int')));
    expect(text).toBe("{ ['__proto__']: 1, constructor: 2 }");
    const made: unknown = new Function(`return ${text};`)();
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(made)).toEqual(['__proto__', 'constructor']);
  });

  it.each([
    ['null into a required type', null, t.prim('string')],
    ['number into long', 1.5, t.prim('long')],
    ['string into int', '1', t.prim('int')],
    ['list into a map', [1], t.map(t.prim('int'))],
  ] as const)('refuses %s', (_n, value, type) => expect(() => tsLiteral(value, type)).toThrow(/not a value of/));
});

describe('tsExpr: record construction', () => {
  const construct: Expr = { kind: 'object', fields: [{ name: 'amount', expr: ref('amount', t.decimal(12, 2)) }, { name: 'currency', expr: lit('USD') }] };

  it('prints an object literal in field order', () => {
    expect(tsExpr(construct, t.named(money), 'v1')).toBe("{ amount: v1.amount, currency: 'USD' }");
    expect(tsExpr(construct, t.opt(t.named(money)), 'v1')).toBe("{ amount: v1.amount, currency: 'USD' }");
  });

  it('converts each field to the record field type', () => {
    const e: Expr = { kind: 'object', fields: [{ name: 'at', expr: lit(0) }, { name: 'n', expr: ref('count', t.prim('int')) }, { name: 'note', expr: lit(null) }] };
    expect(tsExpr(e, t.named(stamped), 'data')).toBe('{ at: new Date(0), n: BigInt(data.count), note: null }');
  });

  it('breaks over lines when it does not fit, indented from the layout', () => {
    const wide = record('Wide', ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((n) => field(`${n}Field`, t.named(money))));
    const e: Expr = { kind: 'object', fields: wide.fields.map((f) => ({ name: f.name, expr: construct })) };
    expect(tsExpr(e, t.named(wide), 'v1', { indent: '    ', column: 12 })).toBe(
      [
        '{',
        "      alphaField: { amount: v1.amount, currency: 'USD' },",
        "      bravoField: { amount: v1.amount, currency: 'USD' },",
        "      charlieField: { amount: v1.amount, currency: 'USD' },",
        "      deltaField: { amount: v1.amount, currency: 'USD' },",
        "      echoField: { amount: v1.amount, currency: 'USD' },",
        '    }',
      ].join('\n'),
    );
    // Without a layout everything stays on one line.
    expect(tsExpr(e, t.named(wide), 'v1')).not.toContain('\n');
  });

  it('refuses construction aimed at a non-record', () => {
    expect(() => tsExpr(construct, t.prim('string'), 'v1')).toThrow(/record construction/);
  });
});

describe('helpers', () => {
  it('readsSource: whether an expression reads the source at all', () => {
    expect(readsSource(lit(1))).toBe(false);
    expect(readsSource(ref('a', t.prim('int')))).toBe(true);
    expect(readsSource({ kind: 'object', fields: [{ name: 'a', expr: lit(1) }] })).toBe(false);
    expect(readsSource({ kind: 'object', fields: [{ name: 'a', expr: ref('a', t.prim('int')) }] })).toBe(true);
  });

  it('assignedValue: on the same line when the statement fits, else on the next', () => {
    expect(assignedValue('const a: T', 'b')).toBe(' b');
    expect(assignedValue(`const ${'a'.repeat(95)}`, 'b')).toBe('\n  b');
  });
});
