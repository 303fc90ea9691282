import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Diagnostics, type Diagnostic } from '../../generator/core/diagnostics.js';
import { loadSpec } from '../../generator/load/index.js';
import { createSpecValidator, validateSpec } from '../../generator/validate/index.js';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');

// The built validator (dist/, global-setup builds it) uses ajv's standalone code from
// scripts/precompile.mjs: every spec here must get the same diagnostics from both.
const built = (await import(pathToFileURL(path.join(import.meta.dirname, '../../dist/generator/validate/index.js')).href)) as typeof import('../../generator/validate/index.js');
const precompiled = built.createSpecValidator();

function validate(text: string): Diagnostic[] {
  const diags = new Diagnostics();
  const spec = loadSpec('spec.yaml', text, diags);
  expect(diags.items, 'the test spec itself must load').toEqual([]);
  if (!spec) throw new Error('spec did not load');
  const ok = validateSpec(spec, diags);
  expect(ok).toBe(diags.items.length === 0);
  const again = new Diagnostics();
  expect(precompiled.validate(spec, again)).toBe(ok);
  expect(again.sorted(), 'the precompiled validator disagrees with ajv').toEqual(diags.sorted());
  return diags.sorted();
}

it('the built validator is the precompiled one, the one from sources compiles with ajv', () => {
  expect(precompiled.source).toBe('precompiled');
  expect(createSpecValidator().source).toBe('ajv');
});

/** 1-based line:col of the `nth` occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): { line: number; col: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`'${needle}' not found in test spec`);
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before[before.length - 1] ?? '').length + 1 };
}

const base = `domain: com.acme.shop
source: urn:acme:shop
types:
  Money:
    fields:
      amount: decimal(12,2)
  Currency:
    enum: [EUR, USD]
  Sha256:
    fixed: 32
aggregates:
  Order:
    state:
      status: { enum: [draft, placed], default: draft }
      total: { type: Money?, doc: Latest total. }
    events:
      OrderPlaced:
        versions:
          - fields:
              total: Money
        apply:
          status: placed
sagas:
  PlaceOrder:
    startedBy: Order.OrderPlaced
    correlation: aggregateId
    steps:
      - name: reserveStock
        command: Inventory.ReserveStock
        succeedsOn: Inventory.StockReserved
        failsOn: Inventory.StockReservationFailed
`;

/** `base` with its first `anchor` replaced. */
function edit(anchor: string, replacement: string): string {
  expect(base.includes(anchor), `anchor '${anchor}'`).toBe(true);
  return base.replace(anchor, replacement);
}

describe('validateSpec', () => {
  it('accepts the base spec used by these tests', () => {
    expect(validate(base)).toEqual([]);
  });

  describe('unknown keys: ES2002 at the key', () => {
    const cases: [string, string, string][] = [
      ['root', edit('source: urn:acme:shop\n', 'source: urn:acme:shop\nbogus: 1\n'), "unknown key 'bogus' at the top level of the spec; expected one of: domain, source, compatibility, storage, types, aggregates, sagas, reactions, projections, doc, allowBreaking"],
      ['record type', edit('  Money:\n', '  Money:\n    bogus: 1\n'), "unknown key 'bogus' in types.Money; expected one of: fields, aliases, doc"],
      ['enum type', edit('    enum: [EUR, USD]\n', '    enum: [EUR, USD]\n    bogus: 1\n'), "unknown key 'bogus' in types.Currency; expected one of: enum, default, aliases, doc"],
      ['fixed type', edit('    fixed: 32\n', '    fixed: 32\n    bogus: 1\n'), "unknown key 'bogus' in types.Sha256; expected one of: fixed, aliases, doc"],
      ['aggregate', edit('  Order:\n', '  Order:\n    bogus: 1\n'), "unknown key 'bogus' in aggregates.Order; expected one of: id, topic, state, snapshotEvery, events, commandTopic, commands, doc"],
      ['event', edit('      OrderPlaced:\n', '      OrderPlaced:\n        bogus: 1\n'), "unknown key 'bogus' in aggregates.Order.events.OrderPlaced; expected one of: versions, apply, doc"],
      ['version', edit('          - fields:\n', '          - bogus: 1\n            fields:\n'), "unknown key 'bogus' in aggregates.Order.events.OrderPlaced.versions[0]; expected one of: fields, upcast, doc, allowBreaking"],
      ['typed field', edit('doc: Latest total. }', 'doc: Latest total., bogus: 1 }'), "unknown key 'bogus' in aggregates.Order.state.total; expected one of: type, default, aliases, doc"],
      ['inline enum field', edit('default: draft }', 'default: draft, bogus: 1 }'), "unknown key 'bogus' in aggregates.Order.state.status; expected one of: enum, default, doc"],
      ['saga', edit('  PlaceOrder:\n', '  PlaceOrder:\n    bogus: 1\n'), "unknown key 'bogus' in sagas.PlaceOrder; expected one of: startedBy, correlation, timeout, retry, steps, onCompleted, onCompensated, doc"],
      ['saga step', edit('      - name: reserveStock\n', '      - name: reserveStock\n        bogus: 1\n'), "unknown key 'bogus' in sagas.PlaceOrder.steps[0]; expected one of: name, command, to, data, succeedsOn, failsOn, compensation, timeout"],
    ];
    it.each(cases)('%s', (_name, text, message) => {
      expect(validate(text)).toEqual([{ code: 'ES2002', severity: 'error', message, file: 'spec.yaml', ...at(text, 'bogus'), path: expect.any(String) }]);
    });

    it('gives the logical path of the unknown key', () => {
      const text = edit('      OrderPlaced:\n', '      OrderPlaced:\n        bogus: 1\n');
      expect(validate(text)[0]?.path).toBe('aggregates.Order.events.OrderPlaced.bogus');
    });

    it('says a misspelt required key once, with a suggestion', () => {
      const text = edit('        versions:\n', '        verions:\n');
      expect(validate(text)).toEqual([
        expect.objectContaining({
          code: 'ES2002',
          message: "unknown key 'verions' in aggregates.Order.events.OrderPlaced (did you mean 'versions'?); expected one of: versions, apply, doc",
          ...at(text, 'verions'),
        }),
      ]);
    });

    it('suggests a key that differs only in case', () => {
      const text = edit('    startedBy:', '    startedby:');
      expect(validate(text).map((d) => d.message)).toEqual([expect.stringContaining("unknown key 'startedby' in sagas.PlaceOrder (did you mean 'startedBy'?)")]);
    });
  });

  describe('missing required keys: ES2003 at the object', () => {
    const cases: [string, string, string, string][] = [
      ['domain', base.replace('domain: com.acme.shop\n', ''), "missing required key 'domain' at the top level of the spec", 'source:'],
      ['aggregates', base.replace(/aggregates:[\s\S]*?(?=sagas:)/, ''), "missing required key 'aggregates' at the top level of the spec", 'domain:'],
      ['event versions', edit('        versions:\n          - fields:\n              total: Money\n', ''), "missing required key 'versions' in aggregates.Order.events.OrderPlaced", 'OrderPlaced:'],
      ['aggregate events', edit(/    events:[\s\S]*?(?=sagas:)/.exec(base)?.[0] ?? '?', ''), "missing required key 'events' in aggregates.Order", 'Order:'],
      ['version fields', edit('          - fields:\n              total: Money\n', '          - doc: First.\n'), "missing required key 'fields' in aggregates.Order.events.OrderPlaced.versions[0]", 'doc: First.'],
      ['saga steps', edit(/    steps:[\s\S]*$/.exec(base)?.[0] ?? '?', ''), "missing required key 'steps' in sagas.PlaceOrder", 'PlaceOrder:'],
      // `failsOn` is not required by the schema: the resolver explains a missing failure path (ES3025).
      ['step succeedsOn', edit('        succeedsOn: Inventory.StockReserved\n', ''), "missing required key 'succeedsOn' in sagas.PlaceOrder.steps[0]", 'name: reserveStock'],
      ['named type form', edit('    fixed: 32\n', '    doc: A digest.\n'), "missing required key in types.Sha256: add one of 'fields' (record type), 'enum' (enum type) or 'fixed' (fixed type)", 'Sha256:'],
      ['field form', edit('{ type: Money?, doc: Latest total. }', '{ doc: Latest total. }'), "missing required key in aggregates.Order.state.total: add one of 'type' (field with options) or 'enum' (inline enum)", 'total: { doc'],
    ];
    it.each(cases)('%s', (_name, text, message, where) => {
      expect(validate(text)).toEqual([expect.objectContaining({ code: 'ES2003', message, ...at(text, where) })]);
    });
  });

  describe('wrong value types: ES2004 at the value', () => {
    const cases: [string, string, string, string, number?][] = [
      ['versions as a mapping', edit('        versions:\n          - fields:\n              total: Money\n', '        versions: { fields: {} }\n'), 'wrong type for aggregates.Order.events.OrderPlaced.versions: expected a non-empty list of event versions, oldest first, got a mapping', '{ fields'],
      ['empty fields', edit('          - fields:\n              total: Money\n', '          - fields:\n'), 'wrong type for aggregates.Order.events.OrderPlaced.versions[0].fields: expected a mapping of field name to type (use {} for no fields), got an empty value', 'fields:\n', 1],
      ['fixed size as a string', edit('fixed: 32', 'fixed: "32"'), "wrong type for types.Sha256.fixed: expected an integer, got '32'", '"32"'],
      ['field as a number', edit('amount: decimal(12,2)', 'amount: 12'), 'wrong type for types.Money.fields.amount: expected a type expression like string or OrderItem[], a mapping with type, or an inline enum mapping with enum, got the number 12', '12\n'],
      ['field as a list', edit('amount: decimal(12,2)', 'amount: [decimal]'), 'wrong type for types.Money.fields.amount: expected a type expression like string or OrderItem[], a mapping with type, or an inline enum mapping with enum, got a list', '[decimal]'],
      ['named type as a string', edit('  Sha256:\n    fixed: 32\n', '  Sha256: bytes\n'), 'wrong type for types.Sha256: expected a record ({ fields: … }), an enum ({ enum: […] }) or a fixed ({ fixed: N }) mapping, got \'bytes\'', 'bytes'],
      ['doc as a list', edit('  Order:\n', '  Order:\n    doc: [a, b]\n'), 'wrong type for aggregates.Order.doc: expected a string, got a list', '[a, b]'],
      ['upcast as a boolean', edit('          - fields:\n              total: Money\n', '          - fields: {}\n          - fields: {}\n            upcast: true\n'), "wrong type for aggregates.Order.events.OrderPlaced.versions[1].upcast: expected 'custom' or a mapping of field name to expression, got true", 'true'],
      ['steps as a string', edit(/    steps:[\s\S]*$/.exec(base)?.[0] ?? '?', '    steps: reserveStock\n'), 'wrong type for sagas.PlaceOrder.steps: expected a non-empty list of saga steps, got \'reserveStock\'', 'reserveStock'],
      ['type of a typed field', edit('type: Money?', 'type: 5'), 'wrong type for aggregates.Order.state.total.type: expected a string, got the number 5', '5, doc'],
      ['empty event (at its key)', edit('          status: placed\n', '          status: placed\n      OrderShipped:\n'), 'wrong type for aggregates.Order.events.OrderShipped: expected an event mapping with versions (and optionally apply, doc), got an empty value', 'OrderShipped'],
      ['huge integer as doc', edit('  Order:\n', '  Order:\n    doc: 123456789012345678901234567890\n'), 'wrong type for aggregates.Order.doc: expected a string, got the number 123456789012345678901234567890', '1234'],
    ];
    it.each(cases)('%s', (_name, text, message, where, nth) => {
      const pos = at(text, where, nth);
      expect(validate(text)).toEqual([expect.objectContaining({ code: 'ES2004', message, ...pos })]);
    });
  });

  describe('values not allowed: ES2005 with the allowed values or a sentence', () => {
    const cases: [string, string, string, string][] = [
      ['event name', edit('      OrderPlaced:', '      order_placed:'), "'order_placed' is not a valid event name: use PascalCase like OrderPlaced", 'order_placed'],
      ['aggregate name', edit('  Order:', '  order:'), "'order' is not a valid aggregate name: use PascalCase like Order", 'order:'],
      ['type name', edit('  Money:', '  money:'), "'money' is not a valid type name: use PascalCase like Money or OrderItem", 'money:'],
      ['saga name', edit('  PlaceOrder:', '  place-order:'), "'place-order' is not a valid saga name: use PascalCase like PlaceOrder", 'place-order'],
      ['field name', edit('      amount: decimal', '      Amount: decimal'), "'Amount' is not a valid field name: use camelCase like customerId (a lower-case letter, then letters and digits)", 'Amount'],
      ['__proto__ field name', edit('      amount: decimal', '      __proto__: decimal'), "'__proto__' is not a valid field name: use camelCase like customerId (a lower-case letter, then letters and digits)", '__proto__'],
      ['apply target name', edit('          status: placed', '          Status: placed'), "'Status' is not a valid field name: use camelCase like customerId (a lower-case letter, then letters and digits)", 'Status'],
      ['compatibility', edit('source: urn:acme:shop\n', 'source: urn:acme:shop\ncompatibility: SIDEWAYS\n'), "'SIDEWAYS' is not allowed for compatibility; expected one of: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE", 'SIDEWAYS'],
      ['aggregate id', edit('  Order:\n', '  Order:\n    id: guid\n'), "'guid' is not allowed for aggregates.Order.id; expected one of: uuid, string, long, int", 'guid'],
      ['domain', edit('domain: com.acme.shop', 'domain: Com.Acme'), "'Com.Acme' is not a valid domain: use dot-separated lower-case segments like com.example.orders", 'Com.Acme'],
      ['source', edit('source: urn:acme:shop', 'source: urn acme shop'), "'urn acme shop' is not a valid CloudEvents source: use a URI-reference without whitespace like urn:example:order-service", 'urn acme'],
      ['topic', edit('  Order:\n', '  Order:\n    topic: "orders$(rm -rf ~)"\n'), "'orders$(rm -rf ~)' is not a valid Kafka topic: use 1 to 249 characters from a-z A-Z 0-9 . _ - (and not . or ..)", '"orders'],
      ['topic ..', edit('  Order:\n', '  Order:\n    topic: ".."\n'), "'..' is not a valid Kafka topic: use 1 to 249 characters from a-z A-Z 0-9 . _ - (and not . or ..)", '".."'],
      ['message reference', edit('startedBy: Order.OrderPlaced', 'startedBy: OrderPlaced'), "'OrderPlaced' is not a valid message reference: use Aggregate.Message like Order.OrderPlaced", 'OrderPlaced\n'],
      ['duration', edit('    correlation: aggregateId\n', '    correlation: aggregateId\n    timeout: 15m\n'), "'15m' is not a valid ISO-8601 duration: use forms like PT30S, PT15M, PT2H or P1D", '15m'],
      ['duration without parts', edit('    correlation: aggregateId\n', '    correlation: aggregateId\n    timeout: PT\n'), "'PT' is not a valid ISO-8601 duration: use forms like PT30S, PT15M, PT2H or P1D", 'PT\n'],
      ['correlation', edit('correlation: aggregateId', 'correlation: orderId'), "'orderId' is not a valid correlation: use aggregateId or a field path like $.orderId", 'orderId'],
      ['step name', edit('name: reserveStock', 'name: ReserveStock'), "'ReserveStock' is not a valid step name: use camelCase like reserveStock", 'ReserveStock'],
      ['type expression', edit('amount: decimal(12,2)', 'amount: decimal(12;2)'), "'decimal(12;2)' is not a valid type expression: use forms like string, OrderItem[], map<int>, decimal(12,2) or Money?", 'decimal(12;2)'],
      ['enum symbol', edit('enum: [EUR, USD]', 'enum: [EUR, 1st]'), "'1st' is not a valid enum symbol: use letters, digits and underscores, not starting with a digit", '1st'],
      ['upcast word', edit('          - fields:\n              total: Money\n', '          - fields: {}\n          - fields: {}\n            upcast: manual\n'), "'manual' is not allowed for aggregates.Order.events.OrderPlaced.versions[1].upcast; expected 'custom' or a mapping of field name to expression", 'manual'],
      ['apply word', edit('        apply:\n          status: placed\n', '        apply: handwritten\n'), "'handwritten' is not allowed for aggregates.Order.events.OrderPlaced.apply; expected 'custom' or a mapping of state field to rule", 'handwritten'],
      ['fixed size 0', edit('fixed: 32', 'fixed: 0'), 'the number 0 is not allowed for types.Sha256.fixed: must be >= 1', '0\n'],
      ['type alias', edit('    fixed: 32\n', '    fixed: 32\n    aliases: [old-digest]\n'), "'old-digest' is not a valid type alias: use an Avro name like OldMoney or com.example.legacy.Money", 'old-digest'],
    ];
    it.each(cases)('%s', (_name, text, message, where) => {
      expect(validate(text)).toEqual([expect.objectContaining({ code: 'ES2005', message, ...at(text, where) })]);
    });
  });

  describe('empty collections: ES2001', () => {
    it('no aggregates', () => {
      const text = base.replace(/aggregates:[\s\S]*?(?=sagas:)/, 'aggregates: {}\n');
      expect(validate(text)).toEqual([
        expect.objectContaining({ code: 'ES2001', message: 'aggregates is empty; expected a mapping of aggregate name to aggregate, with at least one aggregate', ...at(text, '{}') }),
      ]);
    });
    it('no versions', () => {
      const text = edit('        versions:\n          - fields:\n              total: Money\n', '        versions: []\n');
      expect(validate(text)).toEqual([
        expect.objectContaining({ code: 'ES2001', message: 'aggregates.Order.events.OrderPlaced.versions is empty; expected a non-empty list of event versions, oldest first', ...at(text, '[]') }),
      ]);
    });
    it('no enum symbols', () => {
      const text = edit('enum: [EUR, USD]', 'enum: []');
      expect(validate(text)).toEqual([expect.objectContaining({ code: 'ES2001', message: 'types.Currency.enum is empty; expected a non-empty list of enum symbols like [USD, EUR]' })]);
    });
  });

  it('reports every mistake in a file, one diagnostic each, in file order', () => {
    const text = `domain: com.acme.shop
source: urn:acme:shop
compatibility: SOMETIMES
aggregates:
  Order:
    topc: orders
    state:
      Status: string
      total: { type: int, defualt: 0 }
    events:
      order_placed:
        versions:
          - fields:
              amount: 12
          - fields: {}
            upcast: manual
      OrderShipped: {}
sagas:
  PlaceOrder:
    startedBy: Order
    correlation: aggregateId
    steps: []
`;
    expect(validate(text).map((d) => `${d.line}:${d.col} ${d.code} ${d.path}`)).toEqual([
      '3:16 ES2005 compatibility',
      '6:5 ES2002 aggregates.Order.topc',
      '8:7 ES2005 aggregates.Order.state.Status',
      '9:27 ES2002 aggregates.Order.state.total.defualt',
      '11:7 ES2005 aggregates.Order.events.order_placed',
      '14:23 ES2004 aggregates.Order.events.order_placed.versions[0].fields.amount',
      '16:21 ES2005 aggregates.Order.events.order_placed.versions[1].upcast',
      '17:7 ES2003 aggregates.Order.events.OrderShipped',
      '20:16 ES2005 sagas.PlaceOrder.startedBy',
      '22:12 ES2001 sagas.PlaceOrder.steps',
    ]);
  });

  describe('accepts', () => {
    it('the DESIGN.md example', () => {
      expect(validate(designExample)).toEqual([]);
    });

    it('the kitchen-sink fixture', () => {
      expect(validate(readFileSync(path.join(fixtures, 'kitchen-sink.yaml'), 'utf8'))).toEqual([]);
    });

    it('integers past 2^53 where an integer or any value is expected', () => {
      const text = edit('fixed: 32', 'fixed: 123456789012345678901234567890').replace('default: draft', 'default: draft }\n      big: { type: long, default: 9007199254740993');
      expect(validate(text)).toEqual([]);
    });

    it('any expression in apply and upcast (the resolver checks them)', () => {
      const text = edit(
        '        apply:\n          status: placed\n',
        `          - fields: { total: Money }
            upcast: { total: { amount: { const: $.x }, nested: [1, { a: null }] } }
        apply:
          status: { set: 1, append: 2 }
          total: { increment: [] }
`,
      );
      expect(validate(text)).toEqual([]);
    });

    it('every form of a field', () => {
      const text = edit(
        '      amount: decimal(12,2)\n',
        `      amount: decimal(12, 2)
      a: "map<OrderItem[]?>[]"
      b: { type: string, default: x, doc: d, aliases: [old_b, oldB] }
      c: { enum: [x, y], default: x, doc: d }
`,
      );
      expect(validate(text)).toEqual([]);
    });
  });

  it('gives the same answer from a fresh validator and on every run', () => {
    const text = edit('  Order:\n', '  Order:\n    bogus: 1\n');
    const diags = new Diagnostics();
    const spec = loadSpec('spec.yaml', text, diags);
    if (!spec) throw new Error('spec did not load');
    const fresh = new Diagnostics();
    expect(createSpecValidator().validate(spec, fresh)).toBe(false);
    expect(validate(text)).toEqual(fresh.sorted());
    expect(validate(text)).toEqual(fresh.sorted());
    expect(validate(base)).toEqual([]);
  });

  describe('commands, sagas and reactions', () => {
    const spec = `domain: com.acme.shop
source: urn:acme:shop
aggregates:
  Cart:
    events:
      Paid: { versions: [ { fields: {} } ] }
    commands:
      Pay:
        versions: [ { fields: { amount: int } } ]
        emits: [Paid]
sagas:
  Checkout:
    startedBy: Cart.Paid
    correlation: aggregateId
    retry: { maxAttempts: 2, backoff: PT1S }
    steps:
      - name: pay
        command: Cart.Pay
        to: $sagaId
        data: { amount: 1 }
        succeedsOn: [Cart.Paid]
        failsOn: Cart.Paid
        compensation: { command: Cart.Pay, data: custom, succeedsOn: Cart.Paid }
    onCompleted: { command: Cart.Pay, to: $sagaId, data: { amount: 2 } }
reactions:
  - on: Cart.Paid
    send: Cart.Pay
`;
    const change = (from: string, to: string): string => {
      expect(spec.includes(from), from).toBe(true);
      return spec.replace(from, to);
    };

    it('accepts every form (the resolver checks their meaning)', () => {
      expect(validate(spec)).toEqual([]);
    });

    const cases: [string, string, string, string][] = [
      ['unknown key in a command', change('        emits: [Paid]', '        emits: [Paid]\n        emit: x'), "unknown key 'emit' in aggregates.Cart.commands.Pay (did you mean 'emits'?)", 'emit:'],
      ['a command without emits', change('        emits: [Paid]\n', ''), "missing required key 'emits' in aggregates.Cart.commands.Pay", 'Pay:'],
      ['emits of no event', change('emits: [Paid]', 'emits: []'), 'aggregates.Cart.commands.Pay.emits is empty', '[]'],
      ['unknown key in retry', change('backoff: PT1S', 'backof: PT1S'), "unknown key 'backof' in sagas.Checkout.retry (did you mean 'backoff'?)", 'backof'],
      ['unknown key in a compensation', change('succeedsOn: Cart.Paid }', 'succeedOn: Cart.Paid }'), "unknown key 'succeedOn' in sagas.Checkout.steps[0].compensation (did you mean 'succeedsOn'?)", 'succeedOn'],
      ['unknown key in onCompleted', change('to: $sagaId, data: { amount: 2 }', 'target: $sagaId, data: { amount: 2 }'), "unknown key 'target' in sagas.Checkout.onCompleted", 'target'],
      ['unknown key in a reaction', change('    send: Cart.Pay\n', '    sends: Cart.Pay\n'), "unknown key 'sends' in reactions[0] (did you mean 'send'?)", 'sends'],
      ['a bad command topic', change('  Cart:\n', '  Cart:\n    commandTopic: "a b"\n'), "'a b' is not a valid Kafka topic", '"a b"'],
    ];
    it.each(cases)('%s', (_name, text, message, where) => {
      expect(validate(text)).toEqual([expect.objectContaining({ message: expect.stringContaining(message), ...at(text, where) })]);
    });
  });
});

const designExample = `# events/orders.yaml
domain: com.example.orders            # Avro namespace; CloudEvents type prefix
source: urn:example:order-service     # CloudEvents source
compatibility: BACKWARD_TRANSITIVE    # Confluent Schema Registry semantics

types:                                # shared named types -> Avro records/enums/fixed
  Money:
    fields:
      amount: decimal(12,2)
      currency: { type: string, default: USD }
  OrderItem:
    fields: { productId: string, quantity: int, unitPrice: Money }

aggregates:
  Order:
    id: uuid                          # also the Kafka key / partition key
    topic: orders                     # default derived from domain + aggregate
    state:
      status: { enum: [draft, placed, confirmed, cancelled], default: draft }
      customerId: string?
      items: { type: "OrderItem[]", default: [] }
      total: Money?
    events:
      OrderPlaced:                    # past tense; type com.example.orders.order.placed
        versions:
          - fields:                   # v1 (published: immutable from now on)
              customerId: string
              items: OrderItem[]
              amount: decimal(12,2)
          - fields:                   # v2
              customerId: string
              items: OrderItem[]
              total: Money
            upcast:                   # v1 -> v2, declarative; or \`upcast: custom\`
              total: { amount: $.amount, currency: USD }
        apply:                        # declarative reducer; or \`apply: custom\`
          status: placed
          customerId: $.customerId
          items: $.items
          total: $.total
      OrderConfirmed:
        versions: [ { fields: { confirmedAt: timestamp-millis } } ]
        apply: { status: confirmed }
      OrderCancelled:
        versions: [ { fields: { reason: string } } ]
        apply: custom                 # hand-written, typed handler the user owns

sagas:
  PlaceOrder:                         # orchestrated; choreography = reactions below
    startedBy: Order.OrderPlaced
    correlation: aggregateId
    timeout: PT15M
    steps:
      - name: reserveStock
        command: Inventory.ReserveStock
        succeedsOn: Inventory.StockReserved
        failsOn: Inventory.StockReservationFailed
        compensation: Inventory.ReleaseStock
      - name: capturePayment
        command: Payment.CapturePayment
        succeedsOn: Payment.PaymentCaptured
        failsOn: Payment.PaymentDeclined
        compensation: Payment.RefundPayment
    onCompleted: Order.ConfirmOrder
    onCompensated: Order.CancelOrder
`;
