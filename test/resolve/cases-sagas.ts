// Error cases for commands, sagas and reactions: unknown messages, failure paths, events a
// command never emits, unreachable steps, cycles, data mappings and targets.
import type { Case } from './cases-types.js';

/**
 * Order (uuid id) and Stock (string id) with commands; body lines 3–22, so a saga written
 * after it starts on line 23 (`sagas:`), its first step on line 28.
 */
export const commandSpec = `types:
  Money: { fields: { amount: "decimal(12,2)", currency: { type: string, default: USD } } }
aggregates:
  Order:
    events:
      OrderPlaced: { versions: [ { fields: { total: Money, note: "string?", n: int } } ] }
      OrderConfirmed: { versions: [ { fields: {} } ] }
      OrderCancelled: { versions: [ { fields: { reason: string } } ] }
    commands:
      ConfirmOrder: { versions: [ { fields: {} } ], emits: [OrderConfirmed] }
      CancelOrder: { versions: [ { fields: { reason: string } } ], emits: [OrderCancelled] }
  Stock:
    id: string
    events:
      Reserved: { versions: [ { fields: { orderId: uuid, qty: int } } ] }
      Refused: { versions: [ { fields: { orderId: uuid, qty: long } } ] }
      Released: { versions: [ { fields: { orderId: uuid } } ] }
    commands:
      Reserve: { versions: [ { fields: { orderId: uuid, total: Money } } ], emits: [Reserved, Refused, Released] }
      Release: { versions: [ { fields: { orderId: uuid, why: { type: string, default: none } } } ], emits: [Released] }
`;

/** A saga started by Order.OrderPlaced with the given steps (each starting `      - `) and more keys after them. */
export const saga = (steps: string, extra = ''): string =>
  `${commandSpec}sagas:\n  S:\n    startedBy: Order.OrderPlaced\n    correlation: aggregateId\n    steps:\n${steps}${extra}`;

/** A step that resolves: reserve stock for the order. */
export const reserve = `      - name: reserve
        command: Stock.Reserve
        data: { orderId: $start.aggregateId, total: $start.total }
        succeedsOn: Stock.Reserved
        failsOn: Stock.Refused
`;

/** `reserve` with `from` (which must occur once) replaced. */
const step = (from: string, to: string, base = reserve): string => {
  if (base.split(from).length !== 2) throw new Error(`step: ${JSON.stringify(from)} must occur exactly once`);
  return base.replace(from, to);
};
const again = step('name: reserve', 'name: again');

const file = (domain: string, body: string): string => `domain: ${domain}\nsource: urn:x\n${body}`;

export const sagaCases: readonly (readonly [string, Case])[] = [
  // ---- ES3010 / ES3024 unknown events and commands
  ['saga started by an unknown event', {
    yaml: saga(reserve).replace('startedBy: Order.OrderPlaced', 'startedBy: Order.OrderPlace'),
    want: [['ES3010', 25, 16, 'unknown event `Order.OrderPlace`; did you mean `Order.OrderPlaced`?']],
  }],
  ['saga event without aggregate, event of an unknown aggregate', {
    yaml: saga(step('succeedsOn: Stock.Reserved', 'succeedsOn: Reserved').replace('failsOn: Stock.Refused', 'failsOn: Stok.Gone')),
    want: [
      ['ES3010', 31, 21, 'expected `Aggregate.Event`, got "Reserved"'],
      ['ES3010', 32, 18, 'unknown event `Stok.Gone` (no aggregate `Stok` is declared)'],
    ],
  }],
  ['unknown event in a list', {
    yaml: saga(step('succeedsOn: Stock.Reserved', 'succeedsOn: [Stock.Reserved, Stock.Reservd]')),
    want: [['ES3010', 31, 38, 'unknown event `Stock.Reservd`; did you mean `Stock.Reserved`?']],
  }],
  ['unknown command', { yaml: saga(step('Stock.Reserve\n', 'Stock.Reserv\n')), want: [['ES3024', 29, 18, 'unknown command `Stock.Reserv`; did you mean `Stock.Reserve`?']] }],
  ['command of an unknown aggregate', {
    yaml: saga(step('Stock.Reserve\n', 'Stok.Reserve\n'), '    onCompleted: Billing.Close\n'),
    want: [
      ['ES3024', 29, 18, 'command Stok.Reserve names an unknown aggregate `Stok`; did you mean `Stock`?'],
      ['ES3024', 33, 18, 'command Billing.Close names an unknown aggregate `Billing`'],
    ],
  }],
  ['an event where a command belongs', {
    yaml: saga(step('command: Stock.Reserve\n', 'command: Stock.Reserved\n')),
    want: [['ES3024', 29, 18, 'unknown command `Stock.Reserved` (`Stock.Reserved` is an event; this needs a command, declared under `aggregates.Stock.commands`); did you mean `Stock.Reserve`?']],
  }],
  ['emits: an unknown event, an event of another aggregate, an event twice', {
    yaml: commandSpec.replace('emits: [OrderConfirmed]', 'emits: [OrderConfirmd, Stock.Reserved, OrderCancelled, OrderCancelled]'),
    want: [
      ['ES3010', 12, 61, 'Order has no event `OrderConfirmd`; did you mean `OrderConfirmed`?'],
      ['ES3010', 12, 76, 'Order has no event `Stock.Reserved` (a command emits events of its own aggregate: write the event name alone)'],
      ['ES3008', 12, 108, 'event `OrderCancelled` is listed twice in `emits`'],
    ],
  }],
  // ---- ES3025 failure path, ES3026 events a command never emits, ES3027 unreachable, ES3031 ambiguous
  ['a step without a failure path', {
    yaml: saga(step('        failsOn: Stock.Refused\n', '')),
    want: [['ES3025', 28, 9, 'step `reserve` has no failure path: add `failsOn` with the event or events of its command that mean it failed (Reserve emits Reserved, Refused, Released)']],
  }],
  ['a success event the command never emits, and the step after it unreachable', {
    yaml: saga(step('succeedsOn: Stock.Reserved', 'succeedsOn: Order.OrderConfirmed') + again),
    want: [
      ['ES3026', 31, 21, 'Stock.Reserve never emits `Order.OrderConfirmed` (it emits Reserved, Refused, Released), so the step could never complete with it'],
      ['ES3027', 33, 9, 'step `again` is unreachable: step `reserve` can never succeed (Reserve emits none of its succeedsOn events)'],
    ],
  }],
  ['a failure event the command never emits', {
    yaml: saga(step('failsOn: Stock.Refused', 'failsOn: [Stock.Refused, Order.OrderCancelled]')),
    want: [['ES3026', 32, 34, 'so the step could never fail with it']],
  }],
  ['an event that both completes and fails a step; onCompleted unreachable', {
    yaml: saga(step('succeedsOn: Stock.Reserved', 'succeedsOn: Stock.Refused'), '    onCompleted: Order.ConfirmOrder\n'),
    want: [
      ['ES3031', 32, 18, '`Stock.Refused` is in both succeedsOn and failsOn of step `reserve`; an event must mean one or the other'],
      ['ES3027', 33, 5, 'onCompleted is unreachable: step `reserve` can never succeed (every succeedsOn event also fails it)'],
    ],
  }],
  ['a compensation that could never complete, or not with the event named', {
    yaml: saga(
      `${reserve}        compensation: { command: Stock.Release, data: { orderId: $sagaId }, failsOn: Stock.Released }\n` +
        `${again}        compensation: { command: Stock.Release, data: { orderId: $sagaId }, succeedsOn: [Stock.Reserved] }\n`,
    ),
    want: [
      ['ES3026', 33, 86, 'the compensation of step `reserve` could never complete: every event Release emits is in its failsOn'],
      ['ES3026', 39, 90, 'Stock.Release never emits `Stock.Reserved` (it emits Released), so the compensation could never complete with it'],
    ],
  }],
  // ---- ES3028 cycles
  ['reactions in a cycle', {
    yaml: `${commandSpec}reactions:\n  - on: Order.OrderCancelled\n    send: Stock.Release\n    to: x\n    data: { orderId: $aggregateId }\n  - on: Stock.Released\n    send: Order.CancelOrder\n    to: $.orderId\n    data: { reason: released }\n`,
    want: [
      [
        'ES3028',
        24,
        5,
        'reactions form a cycle that would send commands forever: Order.OrderCancelled → Stock.Release (reaction `orderCancelledSendsRelease`) → Stock.Released → Order.CancelOrder (reaction `releasedSendsCancelOrder`) → Order.OrderCancelled',
      ],
    ],
  }],
  ['a reaction that triggers itself', {
    yaml: `${commandSpec}reactions:\n  - on: Order.OrderCancelled\n    send: Order.CancelOrder\n    data: { reason: again }\n`,
    want: [['ES3028', 24, 5, 'Order.OrderCancelled → Order.CancelOrder (reaction `orderCancelledSendsCancelOrder`) → Order.OrderCancelled; the command emits the event that triggers it']],
  }],
  ['a saga whose command emits its own start event', {
    yaml: saga(reserve, '    onCompleted: Order.PlaceAgain\n').replace('      CancelOrder:', '      PlaceAgain: { versions: [ { fields: {} } ], emits: [OrderPlaced] }\n      CancelOrder:'),
    want: [['ES3028', 34, 18, 'saga S would start itself again: Order.PlaceAgain emits Order.OrderPlaced, which starts S; every run would start another']],
  }],
  ['a saga that starts itself again through a reaction', {
    yaml: saga(reserve, '    onCompensated: { command: Order.CancelOrder, data: { reason: failed } }\nreactions:\n  - name: replace\n    on: Order.OrderCancelled\n    send: Order.PlaceAgain\n').replace(
      '      CancelOrder:',
      '      PlaceAgain: { versions: [ { fields: {} } ], emits: [OrderPlaced] }\n      CancelOrder:',
    ),
    want: [
      [
        'ES3028',
        34,
        31,
        'saga S would start itself again: Order.CancelOrder emits Order.OrderCancelled, which triggers reaction `replace`, which sends Order.PlaceAgain, which emits Order.OrderPlaced, which starts S',
      ],
    ],
  }],
  // ---- ES3011 / ES3012 / ES3029 / ES3030 data mappings and targets
  ['data: a type mismatch, an unknown field, a missing field', {
    yaml: saga(step('data: { orderId: $start.aggregateId, total: $start.total }', 'data: { orderId: $start.n, totl: $start.total }')),
    want: [
      ['ES3029', 30, 9, '`total` of Stock.Reserve has no value: it has no default, so `data` must give it (step reserve)'],
      ['ES3012', 30, 26, '`$start.n` is int, which does not fit uuid'],
      ['ES3011', 30, 36, 'ReserveV1 has no field `totl`; did you mean `total`?'],
    ],
  }],
  ['no data for a command with fields that have no default', {
    yaml: saga(step('        data: { orderId: $start.aggregateId, total: $start.total }\n', '')),
    want: [
      ['ES3029', 29, 18, '`orderId` of Stock.Reserve has no value'],
      ['ES3029', 29, 18, '`total` of Stock.Reserve has no value'],
    ],
  }],
  ['data: a record missing a field, an optional read into a required field', {
    yaml: saga(step('total: $start.total }', 'total: { currency: EUR } }') + step('total: $start.total', 'total: { amount: $start.note }', again)),
    want: [
      ['ES3029', 30, 53, 'missing field `amount` of Money (it has no default)'],
      ['ES3012', 35, 63, '`$start.note` is string?, which does not fit decimal(12,2)'],
    ],
  }],
  ['data: a later step, its own step, an unknown step, an unknown reference', {
    yaml: saga(
      step('orderId: $start.aggregateId', 'orderId: $steps.later.orderId') +
        step('total: $start.total', 'total: $strat.total', step('orderId: $start.aggregateId', 'orderId: $steps.later.orderId', step('name: reserve', 'name: later'))) +
        '        compensation: { command: Stock.Release, data: { orderId: $steps.later.orderId } }\n' +
        '      - name: third\n        command: Stock.Release\n        data: { orderId: $steps.latr.orderId }\n        succeedsOn: Stock.Released\n        failsOn: Stock.Refused\n',
    ),
    want: [
      ['ES3030', 30, 26, 'step `reserve` cannot read `$steps.later`: that step comes later, so no event has completed it yet'],
      ['ES3030', 35, 26, 'step `later` cannot read `$steps.later`: its event arrives after its command is sent'],
      ['ES3030', 35, 55, 'unknown reference `$strat`: values are read with `$start`, `$steps`, `$sagaId`, `$aggregateId`, `$.`, and `{ const: "$strat.total" }` is a literal string starting with $; did you mean `$start`?'],
      ['ES3030', 38, 66, 'the compensation of step `later` cannot read `$steps.later`: it also runs when the step timed out, when no event completed it'],
      ['ES3030', 41, 33, 'there is no step `latr` in this saga; did you mean `later`?'],
      ['ES3026', 43, 18, 'Stock.Release never emits `Stock.Refused`'],
    ],
  }],
  ['onCompensated reads a step; a saga reads $. and $aggregateId', {
    yaml: saga(step('orderId: $start.aggregateId', 'orderId: $.orderId'), '    onCompensated: { command: Order.CancelOrder, to: $aggregateId, data: { reason: $steps.reserve.orderId } }\n'),
    want: [
      ['ES3030', 30, 26, '`$.` reads the event that triggered a reaction; in step reserve read the start event with `$start.field` or `$start.aggregateId`'],
      ['ES3030', 33, 54, '`$aggregateId` reads the event that triggered a reaction; in onCompensated read the start event'],
      ['ES3030', 33, 84, 'onCompensated reads only `$start` and `$sagaId`: which steps had completed is not known once they are compensated'],
    ],
  }],
  ['an index into what is no list, or may be null; a malformed reference', {
    yaml: saga(step('data: { orderId: $start.aggregateId, total: $start.total }', 'to: $start.note[0]\n        data:\n          orderId: $start.n[0]\n          total: $start.total.x')),
    want: [
      ['ES3012', 30, 24, '`$start.note` is string? and may be null: cannot index it'],
      ['ES3011', 32, 28, '`$start.n` is int, which is not a list: cannot index it'],
      ['ES3011', 33, 31, 'Money has no field `x`'],
    ],
  }],
  ['$steps of a step whose events disagree on the field', {
    yaml: saga(
      step('succeedsOn: Stock.Reserved', 'succeedsOn: [Stock.Reserved, Stock.Refused]').replace('failsOn: Stock.Refused', 'failsOn: Stock.Released') +
        '      - name: next\n        command: Order.CancelOrder\n        data: { reason: { const: x } }\n        to: $steps.reserve.qty\n        succeedsOn: Order.OrderCancelled\n        failsOn: Order.OrderCancelled\n',
    ),
    want: [
      ['ES3012', 36, 13, '`$steps.reserve.qty` is int in ReservedV1 and long in RefusedV1; the events that complete a step must agree on the fields later steps read'],
      ['ES3031', 38, 18, '`Order.OrderCancelled` is in both succeedsOn and failsOn of step `next`'],
    ],
  }],
  ['to: a default that does not fit, an explicit one that does not fit', {
    yaml: saga(reserve, '    onCompleted: { command: Stock.Release, to: $start.note, data: { orderId: $sagaId } }\n').replace('  Stock:\n    id: string', '  Stock:\n    id: long'),
    want: [
      ['ES3012', 29, 18, 'set `to`, the id of the Stock the command goes to: it defaults to `$sagaId`, uuid, which does not fit the Stock id (long)'],
      ['ES3012', 33, 48, '`$start.note` is string?, which does not fit long'],
    ],
  }],
  // ---- reactions
  ['a reaction with an unknown event and command, reading $sagaId and $start', {
    yaml: `${commandSpec}reactions:\n  - on: Order.OrderPlacd\n    send: Order.Confirm\n  - on: Order.OrderPlaced\n    send: Stock.Release\n    data: { orderId: $sagaId }\n    to: $start.note\n`,
    want: [
      ['ES3010', 24, 9, 'unknown event `Order.OrderPlacd`; did you mean `Order.OrderPlaced`?'],
      ['ES3024', 25, 11, 'unknown command `Order.Confirm`'],
      ['ES3030', 28, 22, '`$sagaId` exists only in a saga; reaction orderPlacedSendsRelease reads its event with `$.field` and `$aggregateId`'],
      ['ES3030', 29, 9, '`$start` exists only in a saga'],
    ],
  }],
  ['a reaction whose default target does not fit; two reactions with one name', {
    yaml:
      `${commandSpec}reactions:\n  - on: Stock.Released\n    send: Order.CancelOrder\n    data: { reason: $.orderId }\n` +
      '  - name: twice\n    on: Order.OrderPlaced\n    send: Stock.Release\n    to: x\n    data: { orderId: $aggregateId }\n' +
      '  - name: twice\n    on: Order.OrderConfirmed\n    send: Stock.Release\n    to: y\n    data: { orderId: $aggregateId }\n',
    want: [
      ['ES3012', 25, 11, 'set `to`, the id of the Order the command goes to: it defaults to `$aggregateId`, string, which does not fit the Order id (uuid)'],
      ['ES3008', 32, 11, 'reaction name `twice` is used twice in this spec'],
    ],
  }],
  // ---- ES3019 durations, ES2005 retry, ES3008 / ES3011 names and correlation
  ['durations and retry', {
    yaml: saga(step('failsOn: Stock.Refused', 'failsOn: Stock.Refused\n        timeout: P1M'), '    retry: { maxAttempts: 0, backoff: 1s }\n    timeout: PT0S\n'),
    want: [
      ['ES3019', 33, 18, '"P1M" uses years or months, which have no fixed length'],
      ['ES2005', 34, 27, 'maxAttempts must be a whole number from 1 to 1000, got 0'],
      ['ES3019', 34, 39, '"1s" is not an ISO-8601 duration'],
      ['ES3019', 35, 14, '"PT0S" is zero'],
    ],
  }],
  ['duplicate step name', { yaml: saga(reserve + reserve), want: [['ES3008', 33, 15, 'step name `reserve` is used twice']] }],
  ['correlation path unknown', { yaml: saga(reserve).replace('correlation: aggregateId', 'correlation: $.id'), want: [['ES3011', 26, 20, 'OrderPlacedV1 has no field `id`']] }],
  // ---- ES3021 output names: CloudEvents types, command topics, derived type names
  ['a command and an event with one CloudEvents type', {
    yaml: {
      'a.yaml': file('com.example.t', 'aggregates:\n  Stock:\n    events: { Reserved: { versions: [ { fields: {} } ] } }\n    commands:\n      Reserve: { versions: [ { fields: {} } ], emits: [Reserved] }\n'),
      'b.yaml': file('com.example.t.stock', 'aggregates:\n  Command:\n    events: { Reserve: { versions: [ { fields: {} } ] } }\n'),
    },
    want: [['ES3021', 5, 15, 'CloudEvents type `com.example.t.stock.command.reserve` of Command.Reserve is also the type of com.example.t: command Stock.Reserve', 'b.yaml']],
  }],
  ['a command topic that carries events; names a command shares with an event or derived type', {
    yaml:
      'aggregates:\n  Stock:\n    topic: stock\n    events: { Reserved: { versions: [ { fields: {} } ] } }\n    commands:\n      Reserve: { versions: [ { fields: {} } ], emits: [Reserved] }\n' +
      '  Audit:\n    topic: stock.commands\n    commandTopic: stock\n    events: { Audited: { versions: [ { fields: {} } ] } }\n    commands:\n' +
      '      Audited: { versions: [ { fields: {} } ], emits: [Audited] }\n      ReserveEmits: { versions: [ { fields: {} } ], emits: [Audited] }\n',
    want: [
      ['ES3021', 4, 3, 'the command topic `stock.commands` of Stock is also the event topic of com.example.t: Audit; set `commandTopic`'],
      ['ES3021', 11, 5, 'the command topic `stock` of Audit is also the event topic of com.example.t: Stock'],
      ['ES3021', 14, 7, '`Audited` is both the latest-version type of event Audit.Audited and the latest-version type of command Audit.Audited'],
      ['ES3021', 15, 7, '`ReserveEmits` is both the type of what Stock.Reserve emits and the latest-version type of command Audit.ReserveEmits'],
    ],
  }],
];
