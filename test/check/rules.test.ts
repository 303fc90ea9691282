// Every rule of `eventsmith check` and every safe change, as [name, {baseline, current, want}]:
// want lists [rule, line, col] of each finding in the current YAML (status 'breaking' unless
// given), in report order. Line numbers refer to `base` in helpers.ts.
import { describe, expect, it } from 'vitest';
import type { FindingStatus } from '../../generator/check/index.js';
import { base, check, edit, withV2, type Specs } from './helpers.js';

type Want = readonly [rule: string, line: number, col: number, status?: FindingStatus, file?: string];
interface Case {
  readonly baseline: Specs;
  readonly current: Specs;
  readonly want: readonly Want[];
}

const v1 = '              customerId: string\n              total: Money\n';
const mode = (m: string, text = base): string => edit(text, ['compatibility: BACKWARD', `compatibility: ${m}`]);
const removeShipped = (text: string): string => edit(text, ['      OrderShipped:\n        versions:\n          - fields: { at: timestamp-millis }\n', '']);
const v1Allow = (rule: string): string => `            allowBreaking:\n              - { rule: ${rule}, reason: Nobody reads v1 yet. }\n`;
const channelV2 = withV2(`${v1}              channel: string\n`, 'BACKWARD', '            upcast: { channel: { const: web } }\n');
const fullTransitive = withV2(`${v1}              note: { type: string, default: "" }\n`, 'FULL_TRANSITIVE');
const payments = 'domain: com.example.pay\nsource: urn:example:pay\naggregates:\n  Payment:\n    events:\n      PaymentCaptured:\n        versions:\n          - fields: { amount: long }\n';
const inventory = '  Inventory:\n    id: string\n    events:\n      StockReserved:\n        versions:\n          - fields: { sku: string, quantity: int }\n';

const safe: [string, Case][] = [
  ['nothing changed', { baseline: base, current: base, want: [] }],
  [
    'docs added everywhere',
    {
      baseline: base,
      current: edit(
        base,
        ['domain: com.example.t\n', 'domain: com.example.t\ndoc: The t domain.\n'],
        ['  Money:\n', '  Money:\n    doc: Money.\n'],
        ['customerId: string', 'customerId: { type: string, doc: Who ordered. }'],
        ['      OrderPlaced:\n', '      OrderPlaced:\n        doc: Placed.\n'],
        ['          - fields:\n              customerId', '          - doc: First.\n            fields:\n              customerId'],
      ),
      want: [],
    },
  ],
  ['a new event', { baseline: base, current: edit(base, ['  Inventory:\n', '      OrderCancelled:\n        versions:\n          - fields: { reason: string }\n  Inventory:\n']), want: [] }],
  ['a new aggregate', { baseline: base, current: `${base}  Payment:\n    events:\n      PaymentCaptured:\n        versions:\n          - fields: { amount: Money }\n`, want: [] }],
  ['BACKWARD: a new version adds a field with a default', { baseline: base, current: withV2(`${v1}              note: { type: string, default: "" }\n`), want: [] }],
  ['BACKWARD: a new version drops a field', { baseline: base, current: withV2('              customerId: string\n'), want: [] }],
  ['BACKWARD: a long default past 2^53 in a new version', { baseline: base, current: withV2(`${v1}              big: { type: long, default: 9007199254740993 }\n`), want: [] }],
  ['FORWARD: a new version adds a field without a default', { baseline: mode('FORWARD'), current: mode('FORWARD', channelV2), want: [] }],
  ['BACKWARD (not transitive) checks the latest version only', { baseline: mode('BACKWARD', fullTransitive.replace('FULL_TRANSITIVE', 'BACKWARD')), current: edit(fullTransitive.replace('FULL_TRANSITIVE', 'BACKWARD'), ['      OrderShipped:', `          - fields:\n${v1}              note: string\n      OrderShipped:`]), want: [] }],
  ['NONE: a new version may break anything', { baseline: mode('NONE'), current: withV2('              orderRef: string\n', 'NONE', '            upcast: { orderRef: $.customerId }\n'), want: [] }],
  ['the mode made stricter', { baseline: base, current: mode('FULL_TRANSITIVE'), want: [] }],
  [
    'state fields and apply rules are no wire format',
    { baseline: base, current: edit(base, ['    topic: orders\n', '    topic: orders\n    state:\n      placed: { type: int, default: 0 }\n'], ['              total: Money\n', '              total: Money\n        apply: { placed: { increment: 1 } }\n']), want: [] },
  ],
  ['a named type no published version uses', { baseline: edit(base, ['aggregates:', '  Unused: { fields: { a: int } }\naggregates:']), current: edit(base, ['aggregates:', '  Unused: { fields: { a: long } }\naggregates:']), want: [] }],
];

const breaking: [string, Case][] = [
  ['published v1: a field changed type', { baseline: base, current: edit(base, ['customerId: string', 'customerId: long']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['published v1: string became uuid (same canonical form, other logical type)', { baseline: base, current: edit(base, ['customerId: string', 'customerId: uuid']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['published v1: a field added', { baseline: base, current: edit(base, [v1, `${v1}              note: string?\n`]), want: [['PUBLISHED_VERSION_CHANGED', 18, 15]] }],
  ['published v1: a field removed', { baseline: base, current: edit(base, ['              customerId: string\n', '']), want: [['PUBLISHED_VERSION_CHANGED', 15, 13]] }],
  ['published v1: a field renamed (a removal and an addition)', { baseline: base, current: edit(base, ['customerId: string', 'buyerId: string']), want: [['PUBLISHED_VERSION_CHANGED', 15, 13], ['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['published v1: fields reordered', { baseline: base, current: edit(base, [v1, '              total: Money\n              customerId: string\n']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['published v1: a default added', { baseline: base, current: edit(base, ['customerId: string', 'customerId: { type: string, default: anonymous }']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['published v1: an alias added', { baseline: base, current: edit(base, ['customerId: string', 'customerId: { type: string, aliases: [buyer] }']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  [
    'published v1: an inline enum gained a symbol',
    { baseline: edit(base, [v1, `${v1}              channel: { enum: [web, app] }\n`]), current: edit(base, [v1, `${v1}              channel: { enum: [web, app, pos] }\n`]), want: [['PUBLISHED_VERSION_CHANGED', 18, 15]] },
  ],
  ['a shared record changed under a published version (reported once, at the type)', { baseline: base, current: edit(base, ['default: USD', 'default: EUR']), want: [['SHARED_TYPE_CHANGED', 8, 7]] }],
  [
    'a shared enum gained a symbol under a published version',
    {
      baseline: edit(base, ['aggregates:', '  Channel: { enum: [web, app] }\naggregates:'], [v1, `${v1}              channel: Channel\n`]),
      current: edit(base, ['aggregates:', '  Channel: { enum: [web, app, pos] }\naggregates:'], [v1, `${v1}              channel: Channel\n`]),
      want: [['SHARED_TYPE_CHANGED', 9, 14]],
    },
  ],
  ['BACKWARD: a new version adds a field without a default', { baseline: base, current: channelV2, want: [['MODE_VIOLATION', 21, 15]] }],
  ['FORWARD: a new version drops a field the old one has no default for', { baseline: mode('FORWARD'), current: withV2('              customerId: string\n', 'FORWARD'), want: [['MODE_VIOLATION', 18, 13]] }],
  ['FULL_TRANSITIVE: v3 conflicts with v1, not v2', { baseline: fullTransitive, current: edit(fullTransitive, ['      OrderShipped:', `          - fields:\n${v1}              note: string\n      OrderShipped:`]), want: [['MODE_VIOLATION', 25, 15]] }],
  [
    "a new event's v2 against its own v1",
    {
      baseline: base,
      current: edit(base, ['  Inventory:\n', '      OrderCancelled:\n        versions:\n          - fields: { reason: string }\n          - fields: { reason: string, code: int }\n            upcast: { code: 0 }\n  Inventory:\n']),
      want: [['MODE_VIOLATION', 24, 39]],
    },
  ],
  ['NONE: published versions are still immutable', { baseline: mode('NONE'), current: mode('NONE', edit(base, ['customerId: string', 'customerId: long'])), want: [['PUBLISHED_VERSION_CHANGED', 16, 15]] }],
  ['a topic changed', { baseline: base, current: edit(base, ['topic: orders', 'topic: orders-v2']), want: [['TOPIC_CHANGED', 11, 12]] }],
  ['an explicit topic removed (the default differs)', { baseline: base, current: edit(base, ['    topic: orders\n', '']), want: [['TOPIC_CHANGED', 10, 3]] }],
  ['an id type changed', { baseline: base, current: edit(base, ['id: string', 'id: long']), want: [['AGGREGATE_ID_TYPE_CHANGED', 22, 9]] }],
  ['the default id type replaced', { baseline: base, current: edit(base, ['  Order:\n', '  Order:\n    id: string\n']), want: [['AGGREGATE_ID_TYPE_CHANGED', 11, 9]] }],
  [
    'the domain renamed: namespace, CloudEvents types and default topics',
    {
      baseline: base,
      current: edit(base, ['domain: com.example.t', 'domain: com.example.u']),
      want: [['DOMAIN_CHANGED', 1, 9], ['CE_TYPE_CHANGED', 13, 7], ['CE_TYPE_CHANGED', 18, 7], ['TOPIC_CHANGED', 21, 3], ['CE_TYPE_CHANGED', 24, 7]],
    },
  ],
  ['a version removed', { baseline: withV2(`${v1}              note: string?\n`), current: base, want: [['VERSION_REMOVED', 14, 9]] }],
  ['an event removed', { baseline: base, current: removeShipped(base), want: [['EVENT_REMOVED', 12, 5]] }],
  ['an event renamed', { baseline: base, current: edit(base, ['OrderShipped:', 'OrderDispatched:']), want: [['EVENT_REMOVED', 12, 5]] }],
  ['an aggregate removed', { baseline: base, current: edit(base, [inventory, '']), want: [['AGGREGATE_REMOVED', 9, 1]] }],
  ['an aggregate renamed', { baseline: base, current: edit(base, ['  Inventory:', '  Stock:']), want: [['AGGREGATE_REMOVED', 9, 1]] }],
  ['the mode weakened', { baseline: base, current: mode('NONE'), want: [['COMPATIBILITY_WEAKENED', 3, 16]] }],
  ['the mode weakened: transitive dropped', { baseline: mode('FULL_TRANSITIVE'), current: mode('FULL'), want: [['COMPATIBILITY_WEAKENED', 3, 16]] }],
  ['the mode weakened by deleting the key (default BACKWARD)', { baseline: mode('FULL'), current: edit(base, ['compatibility: BACKWARD\n', '']), want: [['COMPATIBILITY_WEAKENED', 1, 9]] }],
  [
    'a whole spec file removed (points into the baseline)',
    { baseline: { 't.yaml': base, 'pay.yaml': payments }, current: { 't.yaml': base }, want: [['AGGREGATE_REMOVED', 4, 3, 'breaking', 'pay.yaml']] },
  ],
  [
    'an aggregate moved to another domain',
    {
      baseline: { 't.yaml': base, 'pay.yaml': payments },
      current: { 't.yaml': edit(base, [inventory, '']), 'pay.yaml': payments + inventory },
      want: [
        ['DOMAIN_CHANGED', 9, 3, 'breaking', 'pay.yaml'],
        ['TOPIC_CHANGED', 9, 3, 'breaking', 'pay.yaml'],
        ['CE_TYPE_CHANGED', 12, 7, 'breaking', 'pay.yaml'],
      ],
    },
  ],
];

const topAllow = (rule: string, path: string): string => `allowBreaking:\n  - rule: ${rule}\n    path: ${path}\n    reason: Never left staging.\n`;

const optOuts: [string, Case][] = [
  ['per version: a published change allowed', { baseline: base, current: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')], ['customerId: string', 'customerId: long']), want: [['PUBLISHED_VERSION_CHANGED', 16, 15, 'allowed']] }],
  [
    'per version: a mode violation allowed',
    { baseline: base, current: edit(channelV2, ['            upcast: { channel: { const: web } }\n', `            upcast: { channel: { const: web } }\n${v1Allow('MODE_VIOLATION')}`]), want: [['MODE_VIOLATION', 21, 15, 'allowed']] },
  ],
  ['per path: a removed event allowed', { baseline: base, current: removeShipped(base) + topAllow('EVENT_REMOVED', 'aggregates.Order.events.OrderShipped'), want: [['EVENT_REMOVED', 12, 5, 'allowed']] }],
  ['per path: a removed version allowed', { baseline: withV2(`${v1}              note: string?\n`), current: base + topAllow('VERSION_REMOVED', 'aggregates.Order.events.OrderPlaced.versions[1]'), want: [['VERSION_REMOVED', 14, 9, 'allowed']] }],
  ['per path: a shared type change allowed', { baseline: base, current: edit(base, ['default: USD', 'default: EUR']) + topAllow('SHARED_TYPE_CHANGED', 'types.Money'), want: [['SHARED_TYPE_CHANGED', 8, 7, 'allowed']] }],
  [
    'stale: a typo in the path covers nothing (and the removal still fails)',
    { baseline: base, current: removeShipped(base) + topAllow('EVENT_REMOVED', 'aggregates.Order.events.OrderShiped'), want: [['EVENT_REMOVED', 12, 5], ['UNUSED_ALLOW_BREAKING', 25, 5, 'warning']] },
  ],
  ['stale: the wrong rule covers nothing', { baseline: base, current: removeShipped(base) + topAllow('VERSION_REMOVED', 'aggregates.Order.events.OrderShipped'), want: [['EVENT_REMOVED', 12, 5], ['UNUSED_ALLOW_BREAKING', 25, 5, 'warning']] }],
  ['stale: nothing breaks at all', { baseline: base, current: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')]), want: [['UNUSED_ALLOW_BREAKING', 19, 17, 'warning']] }],
  [
    'an entry already in the baseline does not cover a new change',
    {
      baseline: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')]),
      current: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')], ['customerId: string', 'customerId: long']),
      want: [['PUBLISHED_VERSION_CHANGED', 16, 15]],
    },
  ],
  ['an entry already in the baseline that covers nothing is history, not a warning', { baseline: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')]), current: edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')]), want: [] }],
];

function run(c: Case): [string, number, number, FindingStatus, string][] {
  return check(c.baseline, c.current).findings.map((f) => [f.rule, f.line, f.col, f.status, f.file]);
}

function expected(c: Case): [string, number, number, FindingStatus, string][] {
  return c.want.map(([rule, line, col, status, file]) => [rule, line, col, status ?? 'breaking', file ?? 't.yaml']);
}

describe('eventsmith check rules', () => {
  describe('safe changes pass', () => it.each(safe)('%s', (_name, c) => expect(run(c)).toEqual(expected(c))));
  describe('breaking changes', () => it.each(breaking)('%s', (_name, c) => expect(run(c)).toEqual(expected(c))));
  describe('allowBreaking', () => it.each(optOuts)('%s', (_name, c) => expect(run(c)).toEqual(expected(c))));
});

describe('finding details', () => {
  it('MODE_VIOLATION names the conflicting earlier version and carries the Avro incompatibilities', () => {
    const [f] = check(fullTransitive, edit(fullTransitive, ['      OrderShipped:', `          - fields:\n${v1}              note: string\n      OrderShipped:`])).findings;
    expect(f?.message).toBe(
      'Order.OrderPlaced v3 is not FULL_TRANSITIVE compatible with v1: v3 cannot read data written as v1: field `note` is not in v1 and has no default in v3 (READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2)',
    );
    expect(f?.path).toBe('aggregates.Order.events.OrderPlaced.versions[2]');
    expect(f?.conflict).toMatchObject({ mode: 'FULL_TRANSITIVE', version: 3, against: 1, incompatibilities: [{ direction: 'backward', type: 'READER_FIELD_MISSING_DEFAULT_VALUE', location: '/fields/2' }] });
  });

  it('names the change and the subject in each message', () => {
    const messages = (current: string, baseline = base): string[] => check(baseline, current).findings.map((f) => f.message);
    expect(messages(edit(base, ['customerId: string', 'customerId: long']))).toEqual([
      'published Order.OrderPlaced v1: field `customerId` changed type from string to long; published versions are immutable, add a new version instead',
    ]);
    expect(messages(edit(base, ['default: USD', 'default: EUR']))).toEqual([
      'type Money, used by published Order.OrderPlaced v1: field `currency` changed its default from "USD" to "EUR"; add a new type and a new version instead',
    ]);
    expect(messages(edit(base, ['    topic: orders\n', '']))).toEqual([
      'topic of aggregate Order changed from orders to com.example.t.order (the default topic follows the domain; set `topic: orders` to keep it)',
    ]);
    expect(messages(removeShipped(base))[0]).toContain('(path aggregates.Order.events.OrderShipped)');
  });

  it('shows the reason and the entry of an allowed finding', () => {
    const [f] = check(base, edit(base, [v1, v1 + v1Allow('PUBLISHED_VERSION_CHANGED')], ['customerId: string', 'customerId: long'])).findings;
    expect(f?.allowedBy).toEqual({ file: 't.yaml', line: 19, col: 17, reason: 'Nobody reads v1 yet.' });
  });

  it('suggests the path a stale entry probably meant', () => {
    const findings = check(base, removeShipped(base) + topAllow('EVENT_REMOVED', 'aggregates.Order.events.OrderShiped')).findings;
    expect(findings.find((f) => f.rule === 'UNUSED_ALLOW_BREAKING')?.message).toBe(
      'allowBreaking entry for EVENT_REMOVED at aggregates.Order.events.OrderShiped matches no finding; did you mean aggregates.Order.events.OrderShipped?; remove it',
    );
  });

  it('counts published and new versions', () => {
    const r = check(base, channelV2);
    expect([r.published, r.added, r.breaking, r.allowed, r.warnings]).toEqual([3, 1, 1, 0, 0]);
  });
});
