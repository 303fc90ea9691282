import { describe, expect, test } from 'vitest';
import { formatType, parseTypeExpr, type TypeAst } from '../../generator/resolve/type-expr.js';

function show(t: TypeAst): string {
  switch (t.kind) {
    case 'name':
      return t.name;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'map':
      return `map<${show(t.values)}>`;
    case 'array':
      return `(${show(t.items)})[]`;
    case 'optional':
      return `(${show(t.type)})?`;
  }
}

describe('parseTypeExpr', () => {
  test.each([
    ['string', 'string'],
    ['time-millis', 'time-millis'],
    ['OrderItem[]', '(OrderItem)[]'],
    ['string?', '(string)?'],
    ['int?[]?', '(((int)?)[])?'],
    ['map<int>', 'map<int>'],
    ['map< decimal( 12 , 2 )[] >?', '(map<(decimal(12,2))[]>)?'],
    ['map<map<Money?>>[]', '(map<map<(Money)?>>)[]'],
  ])('%s', (text, want) => {
    const r = parseTypeExpr(text);
    expect(r.ok && show(r.type)).toBe(want);
  });

  test.each([
    ['', 0, 'empty'],
    ['string??', 7, '`T??`'],
    ['int[]??', 6, '`T??`'],
    ['[]', 0, 'expected a type name'],
    ['int[', 4, 'expected `]`'],
    ['map<>', 4, 'expected a type name'],
    ['map<int', 7, 'expected `>`'],
    ['map int', 4, '`map` needs a value type'],
    ['decimal', 7, 'needs precision and scale'],
    ['decimal(a,2)', 8, 'the precision'],
    ['decimal(1,-1)', 10, 'the scale'],
    ['decimal(12345678901,2)', 8, 'too large'],
    ['int>', 3, 'unbalanced `>`'],
    ['int string', 4, 'unexpected `s`'],
    [`${'map<'.repeat(40)}int${'>'.repeat(40)}`, 132, 'nested more than 32 levels'],
  ])('%j fails at %i', (text, offset, message) => {
    const r = parseTypeExpr(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.offset).toBe(offset);
      expect(r.message).toContain(message);
    }
  });

  test('formatType', () => {
    expect(formatType({ kind: 'optional', type: { kind: 'array', items: { kind: 'map', values: { kind: 'decimal', precision: 3, scale: 1 } } } })).toBe('map<decimal(3,1)>[]?');
  });
});
