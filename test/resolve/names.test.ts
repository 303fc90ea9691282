import { describe, expect, test } from 'vitest';
import {
  camelCase,
  ceType,
  defaultTopic,
  domainSlug,
  editDistance,
  inlineEnumName,
  kebabCase,
  nameProblem,
  pascalCase,
  suggest,
  topicProblem,
  versionTypeName,
} from '../../generator/core/names.js';
import { formatPath } from '../../generator/load/path.js';

describe('names', () => {
  test('case conversions are kept per name: each name gets its own, also once the table starts again', () => {
    const names = ['OrderPlaced', 'orderPlaced', 'order_placed', 'HTTPRequestV2', 'OrderPlacedV2'];
    const fresh = names.map((n) => [kebabCase(n), pascalCase(n), camelCase(n)]);
    expect(fresh).toEqual([
      ['order-placed', 'OrderPlaced', 'orderPlaced'],
      ['order-placed', 'OrderPlaced', 'orderPlaced'],
      ['order-placed', 'OrderPlaced', 'orderPlaced'],
      ['http-request-v2', 'HTTPRequestV2', 'httpRequestV2'],
      ['order-placed-v2', 'OrderPlacedV2', 'orderPlacedV2'],
    ]);
    // Past the table's size it starts again; what it returns does not change.
    for (let i = 0; i < 100_001; i++) camelCase(`Name${i}`);
    expect(camelCase('Name99999')).toBe('name99999');
    expect(names.map((n) => [kebabCase(n), pascalCase(n), camelCase(n)])).toEqual(fresh);
  });

  test.each([
    ['OrderPlaced', 'order-placed', 'OrderPlaced', 'orderPlaced'],
    ['HTTPRequestV2', 'http-request-v2', 'HTTPRequestV2', 'httpRequestV2'],
    ['order_line-item', 'order-line-item', 'OrderLineItem', 'orderLineItem'],
    ['customerID', 'customer-id', 'CustomerID', 'customerID'],
  ])('%s → %s / %s / %s', (input, kebab, pascal, camel) => {
    expect([kebabCase(input), pascalCase(input), camelCase(input)]).toEqual([kebab, pascal, camel]);
  });

  test.each([
    ['Order', 'OrderPlaced', 'com.example.orders.order.placed'],
    ['Inventory', 'StockReserved', 'com.example.orders.inventory.stockreserved'],
    ['Ord', 'OrderPlaced', 'com.example.orders.ord.orderplaced'],
    ['Order', 'Order', 'com.example.orders.order.order'],
  ])('CloudEvents type of %s.%s', (aggregate, event, want) => {
    expect(ceType('com.example.orders', aggregate, event)).toBe(want);
  });

  test('derived names', () => {
    expect(defaultTopic('com.example.orders', 'OrderLine')).toBe('com.example.orders.order-line');
    expect(domainSlug('com.example.orders')).toBe('orders');
    expect(domainSlug('orders')).toBe('orders');
    expect(versionTypeName('OrderPlaced', 2)).toBe('OrderPlacedV2');
    expect(inlineEnumName('OrderState', 'status')).toBe('OrderStateStatus');
    expect(formatPath(['aggregates', 'Order', 'events', 'OrderPlaced', 'versions', 1])).toBe('aggregates.Order.events.OrderPlaced.versions[1]');
  });

  test.each([
    ['field', 'total', undefined],
    ['field', 'type', undefined],
    ['field', 'number', undefined],
    ['field', 'default', 'reserved word'],
    ['field', 'await', 'reserved word'],
    ['field', 'valueOf', 'member of every JavaScript object'],
    ['field', 'hasOwnProperty', 'member of every JavaScript object'],
    ['field', 'a b', 'camelCase'],
    ['field', "x'--", 'camelCase'],
    ['field', '$(rm)', 'camelCase'],
    ['type', 'Money', undefined],
    ['type', 'Record', 'built-in TypeScript type'],
    ['type', 'money', 'PascalCase'],
    ['symbol', 'USD', undefined],
    ['symbol', 'class', undefined],
    ['symbol', '__proto__', 'member of every JavaScript object'],
    ['typeAlias', 'com.example.Old', undefined],
    ['typeAlias', 'com..Old', 'Avro name'],
  ] as const)('%s %s', (kind, name, problem) => {
    const got = nameProblem(kind, name);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  test('topics', () => {
    expect(topicProblem('orders.v1_x-y')).toBeUndefined();
    expect(topicProblem('..')).toContain('not allowed');
    expect(topicProblem('a'.repeat(250))).toContain('1 to 249');
    expect(topicProblem('')).toContain('1 to 249');
  });

  test('suggestions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('Mnoey', 'Money')).toBe(1);
    expect(suggest('Mony', ['Money', 'Monday', 'Map'])).toBe('Money');
    expect(suggest('money', ['Money'])).toBe('Money');
    expect(suggest('xyz', ['Money'])).toBeUndefined();
  });
});
