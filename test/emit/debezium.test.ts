// The Debezium connector emitter: exact settings on small hand-built models. That Debezium really
// delivers what the relay does with this file is test/kafka/debezium.test.ts.
import { describe, expect, it } from 'vitest';
import { createTemplateSet } from '../../generator/core/templates.js';
import type { Domain } from '../../generator/core/model.js';
import { domainTopics, emitDebezium, outboxConnector } from '../../generator/emit/debezium.js';
import { aggregate, command, domain, event, field, model, ordersDomain, t } from './model-fixtures.js';

const d = 'com.example.shop';
const placed = event(d, 'Cart', 'ItemAdded', [{ fields: [field('sku', t.prim('string'))] }]);
const cart = aggregate('Cart', t.logical('uuid'), [], [placed]);
const stockReserved = event(d, 'Stock', 'Reserved', [{ fields: [] }]);
const stock = aggregate('Stock', t.prim('string'), [], [stockReserved], undefined, [
  command(d, 'Stock', 'Reserve', [{ fields: [] }], [stockReserved]),
]);

describe('debezium/outbox-connector.json', () => {
  const cases: [string, { given: Domain; want: Record<string, string> }][] = [
    [
      'names the slot, publication and connector after the domain',
      {
        given: domain(d, [], [cart]),
        want: { 'slot.name': 'eventsmith_shop', 'publication.name': 'eventsmith_shop', 'topic.prefix': 'eventsmith-shop' },
      },
    ],
    [
      'routes by the topic column verbatim, as the relay does',
      {
        given: domain(d, [], [cart]),
        want: { 'transforms.outbox.route.by.field': 'topic', 'transforms.outbox.route.topic.replacement': '${routedByValue}' },
      },
    ],
    [
      'keeps key and value bytes as stored',
      {
        given: domain(d, [], [cart]),
        want: {
          'transforms.outbox.table.field.event.key': 'aggregateid',
          'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
          'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
          'transforms.outbox.route.tombstone.on.empty.payload': 'true',
        },
      },
    ],
    [
      'keeps only its own topics: event topics, and command topics of aggregates with commands',
      {
        given: domain(d, [], [cart, stock]),
        want: { 'predicates.ownTopics.pattern': 'cart|stock|stock\\.commands', 'transforms.domain.negate': 'true' },
      },
    ],
    [
      'expands the headers column with the OutboxHeaders SMT',
      {
        given: domain(d, [], [cart]),
        want: {
          transforms: 'outbox,headers,domain',
          'transforms.outbox.table.fields.additional.placement': 'content_type:header:content-type,headers:header:eventsmith-headers',
          'transforms.headers.type': 'dev.eventsmith.debezium.OutboxHeaders',
          'transforms.headers.header': 'eventsmith-headers',
        },
      },
    ],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(outboxConnector(given).config).toMatchObject(want);
  });

  it('lists each topic once, sorted', () => {
    expect(domainTopics(domain(d, [], [stock, cart, stock]))).toEqual(['cart', 'stock', 'stock.commands']);
  });

  it('writes one deterministic JSON file per domain', () => {
    const templates = createTemplateSet(new Map());
    const m = model(ordersDomain(), domain(d, [], [cart]));
    const run = () => emitDebezium({ model: m, templates, options: { runtimeModule: 'eventsmith/runtime' } });
    const files = run();
    expect(files.map((f) => f.path)).toEqual(['orders/debezium/outbox-connector.json', 'shop/debezium/outbox-connector.json']);
    expect(run()).toEqual(files);
    const parsed = JSON.parse(files[1]?.content ?? '') as { name: string; config: Record<string, string> };
    expect(parsed.name).toBe('eventsmith-shop-outbox');
    expect(Object.values(parsed.config).every((v) => typeof v === 'string')).toBe(true);
  });
});
