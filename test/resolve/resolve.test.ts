import { describe, expect, test } from 'vitest';
import { Diagnostics } from '../../generator/core/diagnostics.js';
import type { Aggregate, Model } from '../../generator/core/model.js';
import type { LoadedSpec } from '../../generator/load/index.js';
import { deepFreeze, modelToJson, resolve } from '../../generator/resolve/index.js';
import { commandSpec, reserve, saga } from './cases-sagas.js';
import { exampleFiles, header, load, run } from './helpers.js';

function order(model: Model | undefined, domain = 'com.example.t'): Aggregate {
  const a = model?.domains.find((d) => d.name === domain)?.aggregates[0];
  if (!a) throw new Error('no aggregate');
  return a;
}

describe('the DESIGN.md example', () => {
  test('resolves without diagnostics', () => {
    const { model, diags } = run(exampleFiles());
    expect(diags.items).toEqual([]);
    expect(model?.domains.map((d) => d.name)).toEqual(['com.example.inventory', 'com.example.orders', 'com.example.payments']);
  });

  test('golden model', async () => {
    const { model } = run(exampleFiles());
    if (!model) throw new Error('example does not resolve');
    await expect(modelToJson(model)).toMatchFileSnapshot('./__golden__/orders.model.json');
  });

  test('output does not depend on the order of the files', () => {
    const files = exampleFiles();
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    const a = run(files).model;
    const b = run(reversed).model;
    expect(a && modelToJson(a)).toBe(b && modelToJson(b));
  });

  test('the model is deeply frozen and references are shared nodes', () => {
    const { model } = run(exampleFiles());
    const orders = model?.domains.find((d) => d.name === 'com.example.orders');
    const placed = orders?.aggregates[0]?.events[0];
    expect(Object.isFrozen(model)).toBe(true);
    expect(Object.isFrozen(placed?.versions[1]?.upcast)).toBe(true);
    expect(orders?.sagas[0]?.startedBy).toBe(placed);
    // Commands of other domains are the same nodes as in their aggregates, and so are their events.
    const inventory = model?.domains.find((d) => d.name === 'com.example.inventory')?.aggregates[0];
    const step = orders?.sagas[0]?.steps[0];
    expect(step?.send.command).toBe(inventory?.commands[0]);
    expect(step?.succeedsOn[0]).toBe(inventory?.events[0]);
    expect(inventory?.commands[0]?.emits[0]).toBe(inventory?.events[0]);
    const item = orders?.types.find((t) => t.name === 'OrderItem');
    const items = placed?.versions[0]?.fields.find((f) => f.name === 'items');
    expect(items?.type).toEqual({ kind: 'array', items: { kind: 'named', type: item } });
  });
});

describe('resolution details', () => {
  const spec = (body: string) => ({ 't.yaml': header + body });

  test('storage defaults to Avro binary; snapshotEvery is absent unless given', () => {
    const plain = run(spec('aggregates:\n  Order:\n    events: { Placed: { versions: [ { fields: {} } ] } }\n'));
    expect(plain.diags.items).toEqual([]);
    expect(plain.model?.domains[0]?.storage).toEqual({ kind: 'storage', encoding: 'avro' });
    expect(order(plain.model)).not.toHaveProperty('snapshotEvery');
    const set = run(spec('storage: { encoding: json }\naggregates:\n  Order:\n    snapshotEvery: 25\n    events: { Placed: { versions: [ { fields: {} } ] } }\n'));
    expect(set.diags.items).toEqual([]);
    expect(set.model?.domains[0]?.storage).toEqual({ kind: 'storage', encoding: 'json' });
    expect(order(set.model).snapshotEvery).toBe(25);
  });

  test('defaults are normalised to the TypeScript mapping', () => {
    const { model, diags } = run(
      spec(`aggregates:
  Order:
    state:
      big: { type: long, default: 9007199254740993 }
      small: { type: long, default: 3 }
      price: { type: "decimal(6,2)", default: 1.5 }
      neg: { type: "decimal(4,0)", default: "-0" }
      at: { type: timestamp-millis, default: "2024-01-31T13:00:00.5+01:00" }
      us: { type: timestamp-micros, default: "1970-01-01T00:00:00.000001Z" }
      day: { type: date, default: "2024-02-29" }
      money: { type: "map<decimal(3,1)>", default: { __proto__: "1" } }
    events:
      OrderPlaced: { versions: [ { fields: {} } ] }
`),
    );
    expect(diags.items).toEqual([]);
    const values = Object.fromEntries(order(model).state.map((f) => [f.name, f.default?.value]));
    expect(values).toMatchObject({ big: 9007199254740993n, small: 3n, price: '1.50', neg: '0', at: Date.UTC(2024, 0, 31, 12, 0, 0, 500), us: 1n, day: '2024-02-29' });
    const money = values['money'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(money)).toBeNull();
    expect(Object.keys(money)).toEqual(['__proto__']);
    expect(money['__proto__']).toBe('1.0');
  });

  test('record defaults are completed from field defaults, in field order', () => {
    const { model } = run(
      spec(`types:
  Money: { fields: { amount: "decimal(12,2)", currency: { type: string, default: USD }, note: "string?" } }
aggregates:
  Order:
    state:
      total: { type: Money, default: { amount: "0" } }
    events:
      OrderPlaced: { versions: [ { fields: {} } ] }
`),
    );
    expect(order(model).state[0]?.default?.value).toEqual({ amount: '0.00', currency: 'USD', note: null });
  });

  test('inline enums are named after their owner and listed after the declared types', () => {
    const { model } = run(
      spec(`types:
  Line: { fields: { kind: { enum: [a, b] } } }
aggregates:
  Order:
    state: { status: { enum: [draft, done], default: draft } }
    events:
      OrderPlaced: { versions: [ { fields: { reason: { enum: [x] } } } ] }
`),
    );
    expect(model?.domains[0]?.types.map((t) => [t.kind, t.name, t.kind === 'enum' && t.inline])).toEqual([
      ['record', 'Line', false],
      ['enum', 'LineKind', true],
      ['enum', 'OrderStateStatus', true],
      ['enum', 'OrderPlacedReason', true],
    ]);
    const status = order(model).state[0];
    expect(status?.default).toEqual({ value: 'draft' });
    expect(status?.type.kind === 'named' && status.type.type.kind === 'enum' && status.type.type.default).toBe('draft');
  });

  test('upcast: explicit rules, copies by name and alias, defaults, promotions', () => {
    const { model, diags } = run(
      spec(`aggregates:
  Order:
    events:
      OrderPlaced:
        versions:
          - fields: { n: int, oldName: string, keep: uuid }
          - fields: { n: long, newName: { type: string, aliases: [oldName] }, keep: string, extra: { type: int, default: 7 }, opt: "int?", lit: string }
            upcast: { lit: { const: "$.not-a-ref" } }
`),
    );
    expect(diags.items).toEqual([]);
    const upcast = order(model).events[0]?.versions[1]?.upcast;
    const rows = upcast?.kind === 'declarative' ? upcast.assignments.map((a) => [a.target.name, a.expr]) : [];
    expect(rows).toEqual([
      ['n', { kind: 'ref', path: ['n'], type: { kind: 'primitive', name: 'int' } }],
      ['newName', { kind: 'ref', path: ['oldName'], type: { kind: 'primitive', name: 'string' } }],
      ['keep', { kind: 'ref', path: ['keep'], type: { kind: 'logical', name: 'uuid' } }],
      ['extra', { kind: 'literal', value: 7 }],
      ['opt', { kind: 'literal', value: null }],
      ['lit', { kind: 'literal', value: '$.not-a-ref' }],
    ]);
    expect(order(model).events[0]?.versions[0]?.upcast).toBeUndefined();
  });

  test('apply: append one element or a list, increment, nested refs', () => {
    const { model, diags } = run(
      spec(`types:
  Money: { fields: { amount: "decimal(12,2)" } }
aggregates:
  Order:
    state:
      tags: { type: "string[]", default: [] }
      total: { type: "decimal(14,2)", default: "0" }
      count: { type: double, default: 0 }
    events:
      Tagged:
        versions: [ { fields: { tag: string, more: "string[]", price: Money, n: int } } ]
        apply:
          tags: { append: $.tag }
          total: { increment: $.price.amount }
          count: { increment: $.n }
      Bulk:
        versions: [ { fields: {} } ]
        apply: { tags: { append: [a, b] } }
      More:
        versions: [ { fields: { more: "string[]" } } ]
        apply: { tags: { append: $.more } }
`),
    );
    expect(diags.items).toEqual([]);
    const rules = order(model).events.map((e) => (e.apply.kind === 'declarative' ? e.apply.assignments.map((a) => [a.target.name, a.op, a.spread, a.expr.kind]) : []));
    expect(rules).toEqual([
      [
        ['tags', 'append', false, 'ref'],
        ['total', 'increment', undefined, 'ref'],
        ['count', 'increment', undefined, 'ref'],
      ],
      [['tags', 'append', true, 'literal']],
      [['tags', 'append', true, 'ref']],
    ]);
  });

  test('topic, id type and CloudEvents type defaults', () => {
    const { model } = run(spec(`aggregates:\n  OrderLine:\n    id: long\n    events:\n      OrderLineAdded: { versions: [ { fields: {} } ] }\n      Ordered: { versions: [ { fields: {} } ] }\n`));
    const a = order(model);
    expect([a.topic, a.idType, a.events.map((e) => e.ceType)]).toEqual([
      'com.example.t.order-line',
      { kind: 'primitive', name: 'long' },
      ['com.example.t.orderline.added', 'com.example.t.orderline.ordered'],
    ]);
  });
});

describe('commands, sagas and reactions', () => {
  const resolved = (body: string): Model => {
    const { model, diags } = run({ 't.yaml': header + body });
    expect(diags.items.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([]);
    if (!model) throw new Error('no model');
    return model;
  };
  const aggregateNamed = (m: Model, name: string) => {
    const a = m.domains[0]?.aggregates.find((x) => x.name === name);
    if (!a) throw new Error(`no aggregate ${name}`);
    return a;
  };

  test('commands: CloudEvents type, topic, versions with upcasts, emits as the event nodes', () => {
    const m = resolved(
      commandSpec
        .replace('  Stock:\n    id: string', '  Stock:\n    id: string\n    topic: stock\n    commandTopic: stock-requests')
        .replace(
          'CancelOrder: { versions: [ { fields: { reason: string } } ], emits: [OrderCancelled] }',
          'CancelOrder:\n        doc: Cancel it.\n        versions:\n          - fields: { reason: string }\n          - fields: { reason: string, by: { type: string, default: shop } }\n        emits: [OrderCancelled]',
        ),
    );
    const order = aggregateNamed(m, 'Order');
    const stock = aggregateNamed(m, 'Stock');
    expect([order.commandTopic, stock.commandTopic]).toEqual(['com.example.t.order.commands', 'stock-requests']);
    const cancel = order.commands[1];
    expect(cancel?.ceType).toBe('com.example.t.order.command.cancel-order');
    expect(cancel?.topic).toBe('com.example.t.order.commands');
    expect(cancel?.doc).toBe('Cancel it.');
    expect(cancel?.versions.map((v) => [v.kind, v.typeName, v.upcast?.kind])).toEqual([
      ['commandVersion', 'CancelOrderV1', undefined],
      ['commandVersion', 'CancelOrderV2', 'declarative'],
    ]);
    expect(cancel?.emits[0]).toBe(order.events[2]);
    expect(stock.commands[0]?.emits.map((e) => e.name)).toEqual(['Reserved', 'Refused', 'Released']);
  });

  test('a saga: correlation, defaults made explicit, data from $start, $sagaId and earlier steps', () => {
    const m = resolved(
      saga(
        reserve.replace('failsOn: Stock.Refused', 'failsOn: [Stock.Refused]\n        compensation: { command: Stock.Release, to: $start.note, data: { orderId: $sagaId } }\n        timeout: PT1M30.5S') +
          '      - name: cancel\n        command: Order.CancelOrder\n        data: { reason: $steps.reserve.orderId }\n        succeedsOn: Order.OrderCancelled\n        failsOn: Order.OrderConfirmed\n',
        '    timeout: P1W\n    onCompleted: Order.ConfirmOrder\n',
      )
        .replace('emits: [OrderCancelled]', 'emits: [OrderCancelled, OrderConfirmed]')
        .replace('to: $start.note', 'to: { const: main }'),
    );
    const s = m.domains[0]?.sagas[0];
    const order = aggregateNamed(m, 'Order');
    const stock = aggregateNamed(m, 'Stock');
    expect(s?.startedBy).toBe(order.events[0]);
    expect(s?.correlation).toEqual({ kind: 'aggregateId', type: { kind: 'logical', name: 'uuid' } });
    expect(s?.timeout).toEqual({ kind: 'duration', iso: 'P1W', ms: 7 * 24 * 3_600_000 });
    expect(s?.retry).toEqual({ kind: 'retry', maxAttempts: 3, backoff: { kind: 'duration', iso: 'PT1S', ms: 1000 } });
    const [first, second] = s?.steps ?? [];
    expect(first?.send.command).toBe(stock.commands[0]);
    expect(first?.send.to).toEqual({ kind: 'sagaId', type: { kind: 'logical', name: 'uuid' } });
    expect(first?.send.toType).toEqual({ kind: 'primitive', name: 'string' });
    const data = first?.send.data;
    expect(data?.kind === 'declarative' ? data.assignments.map((a) => [a.target.name, a.expr.kind, a.expr.kind === 'eventField' ? a.expr.path : undefined]) : []).toEqual([
      ['orderId', 'aggregateId', undefined],
      ['total', 'eventField', ['total']],
    ]);
    expect(first?.timeout).toEqual({ kind: 'duration', iso: 'PT1M30.5S', ms: 90_500 });
    expect(first?.failsOn).toEqual([stock.events[1]]);
    // The compensation: its succeedsOn defaults to what the command emits; its data fills `why` from the default.
    expect(first?.compensation?.succeedsOn).toEqual([stock.events[2]]);
    expect(first?.compensation?.failsOn).toEqual([]);
    expect(first?.compensation?.send.to).toEqual({ kind: 'literal', value: 'main' });
    const release = first?.compensation?.send.data;
    expect(release?.kind === 'declarative' ? release.assignments.map((a) => [a.target.name, a.expr]) : []).toEqual([
      ['orderId', { kind: 'sagaId', type: { kind: 'logical', name: 'uuid' } }],
      ['why', { kind: 'literal', value: 'none' }],
    ]);
    const reason = second?.send.data.kind === 'declarative' ? second.send.data.assignments[0]?.expr : undefined;
    expect(reason).toEqual({ kind: 'eventField', source: { kind: 'step', step: 'reserve' }, path: ['orderId'], type: { kind: 'logical', name: 'uuid' } });
    expect(s?.onCompleted?.command).toBe(order.commands[0]);
    expect(s?.onCompleted?.data).toEqual({ kind: 'declarative', assignments: [], loc: expect.anything() });
  });

  test('a saga correlated by a field; $sagaId has its type; data: custom; $steps.<s>.aggregateId', () => {
    const m = resolved(
      saga(
        reserve +
          '      - name: cancel\n        command: Order.CancelOrder\n        to: $sagaId\n        data: custom\n        succeedsOn: Order.OrderCancelled\n        failsOn: Order.OrderConfirmed\n',
        '    retry: { maxAttempts: 7, backoff: PT0.25S }\n    onCompleted: { command: Stock.Release, to: $steps.reserve.aggregateId, data: { orderId: $start.aggregateId } }\n',
      )
        .replace('correlation: aggregateId', 'correlation: $.note2')
        .replace('note: "string?", n: int', 'note: "string?", note2: uuid, n: int')
        .replace('emits: [OrderCancelled]', 'emits: [OrderCancelled, OrderConfirmed]'),
    ).domains[0]?.sagas[0];
    expect(m?.correlation).toEqual({ kind: 'field', path: ['note2'], type: { kind: 'logical', name: 'uuid' } });
    expect(m?.retry).toEqual({ kind: 'retry', maxAttempts: 7, backoff: { kind: 'duration', iso: 'PT0.25S', ms: 250 } });
    expect(m?.steps[1]?.send.data).toEqual({ kind: 'custom', loc: expect.anything() });
    expect(m?.onCompleted?.to).toEqual({ kind: 'aggregateId', source: { kind: 'step', step: 'reserve' }, type: { kind: 'primitive', name: 'string' } });
  });

  test('$steps of a step with several success events: the field they agree on', () => {
    const m = resolved(
      saga(
        reserve.replace('succeedsOn: Stock.Reserved', 'succeedsOn: [Stock.Reserved, Stock.Released]') +
          '      - name: cancel\n        command: Order.CancelOrder\n        data: { reason: $steps.reserve.orderId }\n        succeedsOn: Order.OrderCancelled\n        failsOn: Order.OrderConfirmed\n',
      ).replace('emits: [OrderCancelled]', 'emits: [OrderCancelled, OrderConfirmed]'),
    );
    const step = m.domains[0]?.sagas[0]?.steps[1];
    expect(step?.send.data.kind === 'declarative' && step.send.data.assignments[0]?.expr).toMatchObject({ kind: 'eventField', path: ['orderId'] });
  });

  test('list elements by index; a compensation not waited for (`succeedsOn: []`)', () => {
    const m = resolved(
      saga(
        reserve
          .replace('data: { orderId: $start.aggregateId, total: $start.total }', 'to: $start.lines[1].sku\n        data:\n          orderId: $start.aggregateId\n          total: $start.lines[0].price')
          .replace('failsOn: Stock.Refused', 'failsOn: Stock.Refused\n        compensation: { command: Stock.Release, data: { orderId: $sagaId }, succeedsOn: [] }'),
      )
        .replace('note: "string?", n: int', 'note: "string?", n: int, lines: "Line[]"')
        .replace('types:\n', 'types:\n  Line: { fields: { sku: string, price: Money } }\n'),
    );
    const step = m.domains[0]?.sagas[0]?.steps[0];
    expect(step?.send.to).toEqual({ kind: 'eventField', source: { kind: 'start' }, path: ['lines', 1, 'sku'], type: { kind: 'primitive', name: 'string' } });
    const total = step?.send.data.kind === 'declarative' ? step.send.data.assignments[1]?.expr : undefined;
    expect(total).toMatchObject({ kind: 'eventField', path: ['lines', 0, 'price'] });
    expect(step?.compensation?.succeedsOn).toEqual([]);
  });

  test('reactions: default name and target, $. and $aggregateId', () => {
    const m = resolved(
      `${commandSpec}reactions:\n  - on: Order.OrderCancelled\n    send: Stock.Release\n    to: main\n    data: { orderId: $aggregateId, why: $.reason }\n  - name: confirmAgain\n    doc: Why not.\n    on: Stock.Reserved\n    send: Order.ConfirmOrder\n    to: $.orderId\n`,
    );
    const [release, confirm] = m.domains[0]?.reactions ?? [];
    const order = aggregateNamed(m, 'Order');
    expect(release?.name).toBe('orderCancelledSendsRelease');
    expect(release?.on).toBe(order.events[2]);
    expect(release?.send.data.kind === 'declarative' ? release.send.data.assignments.map((a) => a.expr) : []).toEqual([
      { kind: 'aggregateId', source: { kind: 'trigger' }, type: { kind: 'logical', name: 'uuid' } },
      { kind: 'eventField', source: { kind: 'trigger' }, path: ['reason'], type: { kind: 'primitive', name: 'string' } },
    ]);
    expect([confirm?.name, confirm?.doc, confirm?.send.to]).toEqual([
      'confirmAgain',
      'Why not.',
      { kind: 'eventField', source: { kind: 'trigger' }, path: ['orderId'], type: { kind: 'logical', name: 'uuid' } },
    ]);
  });

  test('a spec without commands has empty command lists and no reactions', () => {
    const m = resolved('aggregates:\n  Order:\n    events: { Placed: { versions: [ { fields: {} } ] } }\n');
    expect(order(m).commands).toEqual([]);
    expect(order(m).commandTopic).toBe('com.example.t.order.commands');
    expect(m.domains[0]?.reactions).toEqual([]);
  });
});

describe('robustness', () => {
  test('never throws on data that skipped validation', () => {
    const { specs } = load(exampleFiles());
    const base = specs[1] as LoadedSpec;
    const odd: unknown[] = [null, 5, 'x', [], {}, true, 12345678901234567890n, [null], { a: null }];
    // Replace each node of the example, one at a time, with each odd value.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...path, k]);
    };
    walk(base.data, []);
    for (const path of paths) {
      for (const value of odd) {
        const data = replaceAt(base.data, path, value);
        const diags = new Diagnostics();
        expect(() => resolve([{ ...base, data, locate: base.locate }, ...specs.filter((s) => s !== base)], diags)).not.toThrow();
      }
    }
  });

  test('deepFreeze handles cycles', () => {
    const a: { self?: unknown; list: unknown[] } = { list: [] };
    a.self = a;
    a.list.push(a);
    expect(deepFreeze(a)).toBe(a);
    expect(Object.isFrozen(a.list)).toBe(true);
  });
});

function replaceAt(v: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaceAt(x, rest, value) : x));
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(v as object)) out[k] = k === head ? replaceAt((v as Record<string, unknown>)[k], rest, value) : (v as Record<string, unknown>)[k];
  return out;
}
