// Error cases for types, fields, defaults and names. Each spec body starts on line 3 (after `header`).
import type { Want } from './helpers.js';

export interface Case {
  /** One file body (header prepended, file t.yaml) or several complete files. */
  readonly yaml: string | Readonly<Record<string, string>>;
  readonly want: readonly Want[];
}

/** A minimal aggregate, appended where a case needs nothing more. */
export const agg = `
aggregates:
  Order:
    events:
      OrderPlaced:
        versions: [ { fields: { n: int } } ]
`;

export const typeCases: readonly (readonly [string, Case])[] = [
  // ---- ES3001 unknown type
  [
    'unknown type with suggestion',
    {
      yaml: `types:\n  Money: { fields: { amount: "decimal(12,2)" } }\n  Item: { fields: { price: Mony } }\n${agg}`,
      want: [['ES3001', 5, 28, 'unknown type `Mony`; did you mean `Money`?']],
    },
  ],
  [
    'unknown type inside map<> and [] points at the name',
    { yaml: `types:\n  Item: { fields: { tags: "map<strng[]>" } }\n${agg}`, want: [['ES3001', 4, 32, 'did you mean `string`?']] },
  ],
  [
    'aggregate used as a type',
    { yaml: `types:\n  Item: { fields: { order: Order } }\n${agg}`, want: [['ES3001', 4, 28, '`Order` is an aggregate, not a type']] },
  ],
  // ---- ES3002 type expression syntax
  ['T?? is an error', { yaml: `types:\n  Item: { fields: { a: string?? } }\n${agg}`, want: [['ES3002', 4, 31, '`T??` is not allowed']] }],
  ['unclosed map<', { yaml: `types:\n  Item: { fields: { a: { type: "map<int" } } }\n${agg}`, want: [['ES3002', 4, 40, 'expected `>` to close `map<`']] }],
  ['decimal without scale', { yaml: `types:\n  Item: { fields: { a: "decimal(12)" } }\n${agg}`, want: [['ES3002', 4, 35, 'expected `,` and the scale']] }],
  ['trailing garbage', { yaml: `types:\n  Item: { fields: { a: "int]" } }\n${agg}`, want: [['ES3002', 4, 28, 'unexpected `]`']] }],
  ['a number is not a type', { yaml: `types:\n  Item: { fields: { a: 5 } }\n${agg}`, want: [['ES3002', 4, 24, 'expected a type expression']] }],
  ['map without <', { yaml: `types:\n  Item: { fields: { a: map } }\n${agg}`, want: [['ES3002', 4, 27, '`map` needs a value type']] }],
  // ---- ES3003 defaults
  ['string default for int', { yaml: `types:\n  Item: { fields: { a: { type: int, default: "x" } } }\n${agg}`, want: [['ES3003', 4, 46, '"x" is not a valid int']] }],
  ['int out of range', { yaml: `types:\n  Item: { fields: { a: { type: int, default: 2147483648 } } }\n${agg}`, want: [['ES3003', 4, 46, 'expected an integer from']] }],
  ['long beyond 64 bits', { yaml: `types:\n  Item: { fields: { a: { type: long, default: 9223372036854775808 } } }\n${agg}`, want: [['ES3003', 4, 47, 'expected a 64-bit integer']] }],
  [
    'decimal with too many fraction digits',
    { yaml: `types:\n  Item: { fields: { a: { type: "decimal(5,2)", default: 1.234 } } }\n${agg}`, want: [['ES3003', 4, 57, 'more than 2 fraction digits']] },
  ],
  [
    'decimal with too many digits',
    { yaml: `types:\n  Item: { fields: { a: { type: "decimal(4,2)", default: "123.4" } } }\n${agg}`, want: [['ES3003', 4, 57, 'at most 2 digits before the point']] },
  ],
  ['uuid format', { yaml: `types:\n  Item: { fields: { a: { type: uuid, default: "not-a-uuid" } } }\n${agg}`, want: [['ES3003', 4, 47, '8-4-4-4-12']] }],
  ['date that does not exist', { yaml: `types:\n  Item: { fields: { a: { type: date, default: "2023-02-29" } } }\n${agg}`, want: [['ES3003', 4, 47, 'calendar date']] }],
  [
    'timestamp without zone',
    { yaml: `types:\n  Item: { fields: { a: { type: timestamp-millis, default: "2024-01-31T12:00:00" } } }\n${agg}`, want: [['ES3003', 4, 59, 'with a zone']] },
  ],
  ['bytes beyond U+00FF', { yaml: `types:\n  Item: { fields: { a: { type: bytes, default: "€" } } }\n${agg}`, want: [['ES3003', 4, 48, 'U+0000–U+00FF']] }],
  [
    'record default missing a field without default',
    {
      yaml: `types:\n  Money: { fields: { amount: "decimal(12,2)", currency: { type: string, default: USD } } }\n  Item: { fields: { price: { type: Money, default: { currency: EUR } } } }\n${agg}`,
      want: [['ES3003', 5, 52, 'missing field `amount` of Money (it has no default)']],
    },
  ],
  [
    'record default with an unknown field points at the key',
    {
      yaml: `types:\n  Money: { fields: { amount: "decimal(12,2)" } }\n  Item: { fields: { price: { type: Money, default: { amount: "1.00", cents: 5 } } } }\n${agg}`,
      want: [['ES3003', 5, 77, 'Money has no field `cents`']],
    },
  ],
  ['optional default must be null', { yaml: `types:\n  Item: { fields: { a: { type: "int?", default: 5 } } }\n${agg}`, want: [['ES3003', 4, 49, 'must be null']] }],
  ['bad array element points at the element', { yaml: `types:\n  Item: { fields: { a: { type: "int[]", default: [1, x, 3] } } }\n${agg}`, want: [['ES3003', 4, 54, '"x" is not a valid int']] }],
  ['enum field default not a symbol of a named enum', {
    yaml: `types:\n  Currency: { enum: [USD, EUR] }\n  Item: { fields: { c: { type: Currency, default: GBP } } }\n${agg}`,
    want: [['ES3003', 5, 51, '"GBP" is not a symbol of Currency (USD, EUR)']],
  }],
  ['default that contains itself through omitted fields', {
    yaml: `types:\n  Node: { fields: { kids: { type: "Node[]", default: [{}] } } }\n${agg}`,
    want: [['ES3003', 4, 54, 'the default of `kids` contains itself']],
  }],
  // ---- ES3004 decimal parameters
  ['decimal precision 0', { yaml: `types:\n  Item: { fields: { a: "decimal(0,0)" } }\n${agg}`, want: [['ES3004', 4, 25, 'precision must be at least 1']] }],
  ['decimal scale > precision', { yaml: `types:\n  Item: { fields: { a: "decimal(2,3)" } }\n${agg}`, want: [['ES3004', 4, 25, 'scale 3 exceeds its precision 2']] }],
  // ---- ES3005 / ES3006 enums
  ['duplicate enum symbol', { yaml: `types:\n  Color: { enum: [red, green, red] }\n${agg}`, want: [['ES3005', 4, 31, 'duplicate enum symbol `red`']] }],
  ['enum default not a symbol', { yaml: `types:\n  Color: { enum: [red, green], default: blue }\n${agg}`, want: [['ES3006', 4, 41, 'not one of the symbols of Color']] }],
  [
    'inline enum default not a symbol (with suggestion)',
    {
      yaml: `aggregates:\n  Order:\n    state:\n      status: { enum: [draft, placed], default: plcaed }\n    events:\n      OrderPlaced:\n        versions: [ { fields: { n: int } } ]\n`,
      want: [['ES3006', 6, 49, 'OrderStateStatus; did you mean `placed`?']],
    },
  ],
  // ---- ES3007 names
  ['reserved field name', { yaml: `types:\n  Item: { fields: { class: string } }\n${agg}`, want: [['ES3007', 4, 21, 'reserved word']] }],
  ['prototype member as field name', { yaml: `types:\n  Item: { fields: { constructor: string } }\n${agg}`, want: [['ES3007', 4, 21, 'member of every JavaScript object']] }],
  ['__proto__ as field name', { yaml: `types:\n  Item: { fields: { __proto__: string } }\n${agg}`, want: [['ES3007', 4, 21, 'must be camelCase']] }],
  ['type name not PascalCase', { yaml: `types:\n  money: { fields: { a: int } }\n${agg}`, want: [['ES3007', 4, 3, 'must be PascalCase']] }],
  ['type name shadows a TS global', { yaml: `types:\n  Date: { fields: { a: int } }\n${agg}`, want: [['ES3007', 4, 3, 'built-in TypeScript type `Date`']] }],
  ['field with SQL metacharacters', { yaml: `types:\n  Item: { fields: { "a;drop": string } }\n${agg}`, want: [['ES3007', 4, 21, 'must be camelCase']] }],
  ['enum symbol', { yaml: `types:\n  Color: { enum: [red, "g-reen"] }\n${agg}`, want: [['ES3007', 4, 24, 'must match ^[A-Za-z_]']] }],
  ['field alias', { yaml: `types:\n  Item: { fields: { a: { type: int, aliases: [Old] } } }\n${agg}`, want: [['ES3007', 4, 47, 'field name "Old"']] }],
  // ---- ES3009 no finite value
  ['record requiring itself', { yaml: `types:\n  Node: { fields: { next: Node } }\n${agg}`, want: [['ES3009', 4, 3, 'Node requires itself: Node.next → Node']] }],
  [
    'cycle through two records, and a record requiring it',
    {
      yaml: `types:\n  A: { fields: { b: B } }\n  B: { fields: { a: A } }\n  C: { fields: { a: A } }\n${agg}`,
      want: [
        ['ES3009', 4, 3, 'A requires itself: A.b → B.a → A'],
        ['ES3009', 5, 3, 'B requires itself: B.a → A.b → B'],
        ['ES3009', 6, 3, 'C.a requires A, which has no finite value'],
      ],
    },
  ],
];
