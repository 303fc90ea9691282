// The types emitter and the TypeScript mapping it shares with other emitters: table tests of
// exact text on small hand-built models, plus one spec through load → validate → resolve.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import { Imports } from '../../generator/core/generated-file.js';
import type { Domain, Model, TypeRef } from '../../generator/core/model.js';
import { createTemplateSet } from '../../generator/core/templates.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { lineComment, tsDoc, tsString, tsValue, unionAfter, wrap } from '../../generator/emit/ts-print.js';
import { tsType, typeNote } from '../../generator/emit/ts-type.js';
import { emitTypes } from '../../generator/emit/types.js';
import { loadSpec } from '../../generator/load/index.js';
import { resolve } from '../../generator/resolve/index.js';
import { validateSpec } from '../../generator/validate/index.js';
import { aggregate, domain, enumType, event, field, fixed, inlineEnum, model, ordersDomain, record, t } from './model-fixtures.js';

const root = path.join(import.meta.dirname, '../..');
const templates = createTemplateSet(new Map([['types.ts.hbs', readFileSync(path.join(root, 'templates/types.ts.hbs'), 'utf8')]]));

function typesOf(m: Model): string {
  const files = emitTypes({ model: m, templates, options: defaultEmitOptions });
  expect(files).toHaveLength(1);
  return files[0]?.content ?? '';
}

/** `want` must appear in `text` as whole consecutive lines. */
function expectLines(text: string, want: string): void {
  expect(`\n${text}`).toContain(`\n${want}\n`);
}

const money = record('Money', [field('amount', t.decimal(12, 2)), field('currency', t.prim('string'), { default: 'USD', doc: 'ISO 4217 code' })], 'An exact amount.');
const currency = enumType('Currency', ['USD', 'EUR'], { default: 'USD' });
const sha = fixed('Sha256', 32, 'A SHA-256 digest.');
const level = enumType('Level', ['low', 'high'], { inline: true });

describe('tsType', () => {
  const cases: [string, { given: TypeRef; want: string }][] = [
    ['string', { given: t.prim('string'), want: 'string' }],
    ['int', { given: t.prim('int'), want: 'number' }],
    ['long', { given: t.prim('long'), want: 'bigint' }],
    ['float', { given: t.prim('float'), want: 'number' }],
    ['double', { given: t.prim('double'), want: 'number' }],
    ['boolean', { given: t.prim('boolean'), want: 'boolean' }],
    ['bytes', { given: t.prim('bytes'), want: 'Uint8Array' }],
    ['uuid', { given: t.logical('uuid'), want: 'string' }],
    ['date', { given: t.logical('date'), want: 'string' }],
    ['time-millis', { given: t.logical('time-millis'), want: 'number' }],
    ['timestamp-millis', { given: t.logical('timestamp-millis'), want: 'Date' }],
    ['timestamp-micros', { given: t.logical('timestamp-micros'), want: 'bigint' }],
    ['decimal', { given: t.decimal(12, 2), want: 'string' }],
    ['array', { given: t.array(t.prim('long')), want: 'bigint[]' }],
    ['map', { given: t.map(t.prim('int')), want: 'Record<string, number>' }],
    ['optional', { given: t.opt(t.prim('string')), want: 'string | null' }],
    ['record', { given: t.named(money), want: 'Money' }],
    ['enum', { given: t.named(currency), want: 'Currency' }],
    ['fixed', { given: t.named(sha), want: 'Sha256' }],
    ['inline enum', { given: t.named(level), want: "'low' | 'high'" }],
    ['inline enum of one symbol', { given: inlineEnum('X', 'y', ['only']), want: "'only'" }],
    ['array of optional', { given: t.array(t.opt(t.prim('int'))), want: '(number | null)[]' }],
    ['optional array of optional', { given: t.opt(t.array(t.opt(t.prim('int')))), want: '(number | null)[] | null' }],
    ['array of inline enum', { given: t.array(t.named(level)), want: "('low' | 'high')[]" }],
    ['array of one-symbol inline enum', { given: t.array(inlineEnum('X', 'y', ['only'])), want: "'only'[]" }],
    ['optional inline enum', { given: t.opt(t.named(level)), want: "'low' | 'high' | null" }],
    ['map of optional', { given: t.map(t.opt(t.named(money))), want: 'Record<string, Money | null>' }],
    ['optional map of arrays', { given: t.opt(t.map(t.array(t.named(currency)))), want: 'Record<string, Currency[]> | null' }],
    ['array of arrays', { given: t.array(t.array(t.decimal(5, 2))), want: 'string[][]' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const imports = new Imports();
    expect(tsType(given, imports)).toBe(want);
    // Inside types.ts the named types are local: nothing to import.
    expect(imports.render()).toBe('');
  });

  it('imports the named types it prints from typesModule, type-only', () => {
    const imports = new Imports();
    const ts = tsType(t.map(t.array(t.opt(t.named(money)))), imports, { typesModule: './types.js' });
    expect(ts).toBe('Record<string, (Money | null)[]>');
    tsType(t.named(sha), imports, { typesModule: './types.js' });
    tsType(t.named(level), imports, { typesModule: './types.js' });
    expect(imports.render()).toBe("import type { Money, Sha256 } from './types.js';");
  });
});

describe('typeNote', () => {
  const cases: [string, { given: TypeRef; want: string | undefined }][] = [
    ['string says it all', { given: t.prim('string'), want: undefined }],
    ['int', { given: t.prim('int'), want: '32-bit signed integer.' }],
    ['uuid', { given: t.logical('uuid'), want: 'UUID text.' }],
    ['date', { given: t.logical('date'), want: 'Calendar date, `YYYY-MM-DD`.' }],
    ['timestamp-millis says it all', { given: t.logical('timestamp-millis'), want: undefined }],
    ['timestamp-micros', { given: t.logical('timestamp-micros'), want: 'Microseconds since the Unix epoch.' }],
    ['decimal', { given: t.decimal(12, 2), want: 'Decimal text (`decimal(12,2)`): at most 12 digits, 2 of them after the point.' }],
    ['optional keeps the note', { given: t.opt(t.logical('date')), want: 'Calendar date, `YYYY-MM-DD`.' }],
    ['array items', { given: t.array(t.logical('uuid')), want: 'Each item: UUID text.' }],
    ['map values', { given: t.map(t.prim('int')), want: 'Each value: 32-bit signed integer.' }],
    ['named', { given: t.named(money), want: undefined }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(typeNote(given)).toBe(want));
});

describe('printing helpers', () => {
  it.each([
    ['plain', 'USD', "'USD'"],
    ['quote and backslash', "it's a \\", "'it\\'s a \\\\'"],
    ['line breaks and controls', 'a\nb\r\t\u0001', "'a\\nb\\r\\t\\u0001'"],
    ['line separator', 'a\u2028b', "'a\\u2028b'"],
    ['unicode kept', 'café ☕', "'café ☕'"],
    ['astral kept', 'a\u{1F600}b', "'a\u{1F600}b'"],
    ['lone surrogate escaped', 'a\ud800b', "'a\\ud800b'"],
    ['delete escaped', 'a\u007f', "'a\\u007f'"],
    ['empty', '', "''"],
  ])('tsString: %s', (_n, given, want) => expect(tsString(given)).toBe(want));

  it.each([
    ['null', null, 'null'],
    ['bigint', 9223372036854775807n, '9223372036854775807n'],
    ['array', [1, 'a'], "[1, 'a']"],
    ['object', { amount: '0.00', 'odd-key': true }, "{ amount: '0.00', 'odd-key': true }"],
    ['empty object', {}, '{}'],
  ] as const)('tsValue: %s', (_n, given, want) => expect(tsValue(given)).toBe(want));

  it('tsDoc: nothing, one line, paragraphs, indentation, comment terminators', () => {
    expect(tsDoc([undefined, '  '])).toBe('');
    expect(tsDoc(['One line.'])).toBe('/** One line. */');
    expect(tsDoc(['First.', 'Second\nline.'], '  ')).toBe('  /**\n   * First.\n   *\n   * Second\n   * line.\n   */');
    expect(tsDoc(['a */ b'])).toBe('/** a *\\/ b */');
  });

  it('wraps long lines at spaces and leaves short ones alone', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('short\nlines', 7)).toEqual(['short', 'lines']);
    expect(wrap('unbreakable-word', 4)).toEqual(['unbreakable-word']);
    const doc = tsDoc([`${'word '.repeat(40)}end`]);
    expect(doc.split('\n').every((l) => l.length <= 100)).toBe(true);
  });

  it('lineComment', () => expect(lineComment(['A.', 'B\nC'])).toBe('// A.\n//\n// B\n// C'));

  it('unionAfter: inline when it fits, else one member per line', () => {
    expect(unionAfter('export type A =', ["'a'", "'b'"])).toBe("'a' | 'b'");
    const many = Array.from({ length: 20 }, (_, i) => `'symbol${i}'`);
    expect(unionAfter('export type A =', many)).toBe(many.map((m) => `\n  | ${m}`).join(''));
  });
});

describe('types.ts', () => {
  const d = 'com.example.t';
  const cases: [string, { given: Domain; want: readonly string[] }][] = [
    [
      'record with docs and defaults',
      {
        given: domain(d, [money], [aggregate('A', t.prim('string'), [], [event(d, 'A', 'AHappened', [{ fields: [] }])])]),
        want: [
          [
            '/** An exact amount. */',
            'export interface Money {',
            '  /** Decimal text (`decimal(12,2)`): at most 12 digits, 2 of them after the point. */',
            '  readonly amount: string;',
            '  /**',
            '   * ISO 4217 code',
            '   *',
            "   * @defaultValue `'USD'`",
            '   */',
            '  readonly currency: string;',
            '}',
          ].join('\n'),
        ],
      },
    ],
    [
      'enum, fixed',
      {
        given: domain(d, [currency, sha], [aggregate('A', t.prim('string'), [], [event(d, 'A', 'AHappened', [{ fields: [] }])])]),
        want: [
          [
            "/** A reader that does not know a symbol reads it as `'USD'`. */",
            "export type Currency = 'USD' | 'EUR';",
            '/** Every symbol of Currency, in declaration order. */',
            "export const CurrencySymbols = ['USD', 'EUR'] as const;",
          ].join('\n'),
          ['/**', ' * A SHA-256 digest.', ' *', ' * Exactly 32 bytes.', ' */', 'export type Sha256 = Uint8Array;'].join('\n'),
        ],
      },
    ],
    [
      'long enum breaks over lines',
      {
        given: domain(d, [enumType('Many', Array.from({ length: 12 }, (_, i) => `symbolNumber${i}`))], [aggregate('A', t.prim('string'), [], [event(d, 'A', 'AHappened', [{ fields: [] }])])]),
        want: [
          ['export type Many =', "  | 'symbolNumber0'", "  | 'symbolNumber1'"].join('\n'),
          ["  | 'symbolNumber11';", '/** Every symbol of Many, in declaration order. */', 'export const ManySymbols = [', "  'symbolNumber0',"].join('\n'),
          ["  'symbolNumber11',", '] as const;'].join('\n'),
        ],
      },
    ],
    [
      'optional nested unions, inline enums, empty records',
      {
        given: domain(d, [], [
          aggregate('Box', t.prim('long'), [field('color', inlineEnum('BoxState', 'color', ['red', 'green']), { default: 'red' }), field('maybe', t.opt(t.prim('string')), { default: null })], [
            event(d, 'Box', 'BoxPacked', [{ fields: [field('sizes', t.opt(t.array(t.opt(t.prim('int')))), { default: null }), field('tags', t.opt(t.map(t.array(t.named(level)))))] }]),
            event(d, 'Box', 'BoxOpened', [{ fields: [] }]),
          ]),
        ]),
        want: [
          ['/**', ' * Identifies one Box: the CloudEvents `subject` and the Kafka key of its events.', ' *', ' * 64-bit signed integer.', ' */', 'export type BoxId = bigint;'].join('\n'),
          [
            '/** State of one Box, folded from its events. */',
            'export interface BoxState {',
            "  /** @defaultValue `'red'` */",
            "  readonly color: 'red' | 'green';",
            // An optional field's implicit null default is not worth a tag.
            '  readonly maybe: string | null;',
            '}',
          ].join('\n'),
          [
            '/** Data of `com.example.t.box.packed`, version 1. */',
            'export interface BoxPackedV1 {',
            '  /** Each item: 32-bit signed integer. */',
            '  readonly sizes: (number | null)[] | null;',
            "  readonly tags: Record<string, ('low' | 'high')[]> | null;",
            '}',
          ].join('\n'),
          ['/** Data of `com.example.t.box.opened`, version 1. */', 'export type BoxOpenedV1 = Record<string, never>;'].join('\n'),
        ],
      },
    ],
    [
      'versions, latest alias, version map, CE types, unions',
      {
        given: ordersDomain(),
        want: [
          ['/** Data of `com.example.orders.order.placed` at its latest version (2). */', 'export type OrderPlaced = OrderPlacedV2;'].join('\n'),
          ['export interface OrderPlacedVersions {', '  1: OrderPlacedV1;', '  2: OrderPlacedV2;', '}'].join('\n'),
          [
            '/** CloudEvents type of each Order event. */',
            'export const OrderEventTypes = {',
            "  OrderPlaced: 'com.example.orders.order.placed',",
            "  OrderConfirmed: 'com.example.orders.order.confirmed',",
            "  OrderCancelled: 'com.example.orders.order.cancelled',",
            '} as const;',
          ].join('\n'),
          [
            'export type OrderEvent =',
            "  | { readonly type: 'com.example.orders.order.placed'; readonly data: OrderPlaced }",
            "  | { readonly type: 'com.example.orders.order.confirmed'; readonly data: OrderConfirmed }",
            "  | { readonly type: 'com.example.orders.order.cancelled'; readonly data: OrderCancelled };",
          ].join('\n'),
          [
            'export type OrderEventAnyVersion =',
            "  | { readonly type: 'com.example.orders.order.placed'; readonly dataVersion: 1; readonly data: OrderPlacedV1 }",
            "  | { readonly type: 'com.example.orders.order.placed'; readonly dataVersion: 2; readonly data: OrderPlacedV2 }",
            "  | { readonly type: 'com.example.orders.order.confirmed'; readonly dataVersion: 1; readonly data: OrderConfirmedV1 }",
            "  | { readonly type: 'com.example.orders.order.cancelled'; readonly dataVersion: 1; readonly data: OrderCancelledV1 };",
          ].join('\n'),
        ],
      },
    ],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const text = typesOf(model(given));
    for (const block of want) expectLines(text, block);
  });

  it('writes one file per domain under its slug, banner first, no imports', () => {
    const other = domain('com.example.billing', [], [aggregate('Invoice', t.logical('uuid'), [], [event('com.example.billing', 'Invoice', 'InvoiceSent', [{ fields: [] }])])]);
    const files = emitTypes({ model: model(other, ordersDomain()), templates, options: defaultEmitOptions });
    expect(files.map((f) => f.path)).toEqual(['billing/types.ts', 'orders/types.ts']);
    const text = files[1]?.content ?? '';
    expect(text.split('\n').slice(0, 4)).toEqual([
      '// Code generated by eventsmith from input.yaml. DO NOT EDIT.',
      '// Regenerate with `npx eventsmith generate`.',
      '',
      '// Data types of the `com.example.orders` domain.',
    ]);
    expect(text).not.toContain('import ');
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
    expect(text).not.toMatch(/[:<,]\s*any\b|\bas any\b/);
  });

  it('is deterministic', () => {
    expect(typesOf(model(ordersDomain()))).toBe(typesOf(model(ordersDomain())));
  });

  it('prints a resolved spec', () => {
    const text = [
      'domain: com.example.shop',
      'source: urn:example:shop',
      'doc: The shop.',
      'types:',
      '  Currency: { enum: [USD, EUR], default: USD }',
      'aggregates:',
      '  Cart:',
      '    id: string',
      '    state:',
      '      status: { enum: [open, closed], default: open }',
      '    events:',
      '      CartOpened:',
      '        doc: A cart was opened.',
      '        versions:',
      '          - fields: { currency: Currency, note: "string?" }',
    ].join('\n');
    const diags = new Diagnostics();
    const spec = loadSpec('shop.yaml', text, diags);
    if (spec) validateSpec(spec, diags);
    const m = spec && !diags.hasErrors ? resolve([spec], diags) : undefined;
    expect(diags.sorted()).toEqual([]);
    if (!m) throw new Error('no model');
    const out = typesOf(m);
    expectLines(out, '// The shop.\n//\n// Data types of the `com.example.shop` domain.');
    expectLines(out, "export type Currency = 'USD' | 'EUR';");
    expectLines(out, "  /** @defaultValue `'open'` */\n  readonly status: 'open' | 'closed';");
    expectLines(out, 'export interface CartOpenedV1 {\n  readonly currency: Currency;\n  readonly note: string | null;\n}');
    expectLines(out, '/**\n * A cart was opened.\n *\n * Data of `com.example.shop.cart.opened` at its latest version (1).\n */\nexport type CartOpened = CartOpenedV1;');
  });
});
