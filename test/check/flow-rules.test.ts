// The command, saga and replay-safety rules of `eventsmith check`: for each rule a breaking edit
// (the rule is reported, with its status and position) and a safe edit next to it (nothing is).
import { describe, expect, it } from 'vitest';
import type { FindingStatus } from '../../generator/check/index.js';
import { check, edit } from './helpers.js';

// Lines: 9 Warehouse, 11 snapshotEvery, 12 state, 15 Requested, 18 Reserved, 21 its apply,
// 22 Unavailable, 25 Released, 28 commands, 29 Reserve, 33 Release, 37 Audit, 41 sagas, 42 PickItems,
// 45 timeout, 47 step reserve (`- name`), 48 its command.
const base = `domain: com.example.w
source: urn:example:w
compatibility: BACKWARD_TRANSITIVE
aggregates:
  Order:
    events:
      OrderPlaced:
        versions: [ { fields: { sku: string } } ]
  Warehouse:
    id: string
    snapshotEvery: 10
    state:
      reserved: { type: int, default: 0 }
    events:
      Requested:
        versions:
          - fields: { sku: string, quantity: int }
      Reserved:
        versions:
          - fields: { sku: string, quantity: int }
        apply: { reserved: { increment: $.quantity } }
      Unavailable:
        versions:
          - fields: { sku: string }
      Released:
        versions:
          - fields: { sku: string }
    commands:
      Reserve:
        versions:
          - fields: { sku: string, quantity: int }
        emits: [Reserved, Unavailable]
      Release:
        versions:
          - fields: { sku: string }
        emits: [Released]
      Audit:
        versions:
          - fields: { sku: string }
        emits: [Released]
sagas:
  PickItems:
    startedBy: Warehouse.Requested
    correlation: aggregateId
    timeout: PT15M
    steps:
      - name: reserve
        command: Warehouse.Reserve
        data: { sku: $start.sku, quantity: $start.quantity }
        succeedsOn: Warehouse.Reserved
        failsOn: Warehouse.Unavailable
        compensation: { command: Warehouse.Release, data: { sku: $start.sku } }
        timeout: PT1M
`;
const secondStep = `      - name: recheck
        command: Warehouse.Reserve
        data: { sku: $start.sku, quantity: 0 }
        succeedsOn: Warehouse.Reserved
        failsOn: Warehouse.Unavailable
`;
const auditV1 = '      Audit:\n        versions:\n          - fields: { sku: string }\n';
const requestedV1 = '      Requested:\n        versions:\n          - fields: { sku: string, quantity: int }\n';
const twoSteps = base + secondStep;
const reserveStep = base.slice(base.indexOf('      - name: reserve\n'));

type Want = readonly [rule: string, line: number, col: number, status?: FindingStatus];
interface Case {
  readonly baseline?: string;
  readonly breaking: string;
  readonly want: readonly Want[];
  readonly safe: string;
  /** The edit is reported under other rules too (a renamed domain): compare this rule's findings only. */
  readonly alsoOthers?: true;
}

const cases: [string, Case][] = [
  ['COMMAND_VERSION_CHANGED', { breaking: edit(base, [`${auditV1}`, '      Audit:\n        versions:\n          - fields: { sku: long }\n']), want: [['COMMAND_VERSION_CHANGED', 39, 23]], safe: edit(base, [auditV1, '      Audit:\n        doc: Counts stock.\n        versions:\n          - doc: First.\n            fields: { sku: string }\n']) }],
  [
    'COMMAND_MODE_VIOLATION',
    {
      breaking: edit(base, [auditV1, `${auditV1}          - fields: { sku: string, by: string }\n            upcast: { by: nobody }\n`]),
      want: [['COMMAND_MODE_VIOLATION', 40, 13]],
      safe: edit(base, [auditV1, `${auditV1}          - fields: { sku: string, by: { type: string, default: nobody } }\n`]),
    },
  ],
  [
    'COMMAND_VERSION_REMOVED',
    {
      baseline: edit(base, [auditV1, `${auditV1}          - fields: { sku: string, by: { type: string, default: x } }\n`]),
      breaking: base,
      want: [['COMMAND_VERSION_REMOVED', 38, 9]],
      safe: edit(base, [auditV1, `${auditV1}          - fields: { sku: string, by: { type: string, default: x } }\n`]),
    },
  ],
  ['COMMAND_REMOVED', { breaking: edit(base, ['      Audit:\n', '      Count:\n']), want: [['COMMAND_REMOVED', 28, 5]], safe: edit(base, [auditV1, `      Count:\n        versions:\n          - fields: { sku: string }\n        emits: [Released]\n${auditV1}`]) }],
  ['COMMAND_CE_TYPE_CHANGED', { breaking: edit(base, ['domain: com.example.w', 'domain: com.example.x']), want: [['COMMAND_CE_TYPE_CHANGED', 29, 7], ['COMMAND_CE_TYPE_CHANGED', 33, 7], ['COMMAND_CE_TYPE_CHANGED', 37, 7]], alsoOthers: true, safe: edit(base, ['domain: com.example.w', 'domain: com.example.w\ndoc: The warehouse.']) }],
  [
    'COMMAND_TOPIC_CHANGED',
    {
      breaking: edit(base, ['    id: string\n', '    id: string\n    commandTopic: wh-commands\n']),
      want: [['COMMAND_TOPIC_CHANGED', 11, 19]],
      safe: edit(base, ['    id: string\n', '    id: string\n    commandTopic: com.example.w.warehouse.commands\n']),
    },
  ],
  ['SAGA_REMOVED', { breaking: edit(base, ['  PickItems:\n', '  Picking:\n']), want: [['SAGA_REMOVED', 41, 1]], safe: edit(base, ['  PickItems:\n', '  PickItems:\n    doc: Picks items.\n']) }],
  ['SAGA_STEP_REMOVED', { breaking: edit(base, ['      - name: reserve\n', '      - name: reserveItems\n']), want: [['SAGA_STEP_REMOVED', 46, 5]], safe: twoSteps }],
  ['SAGA_STEPS_REORDERED', { baseline: twoSteps, breaking: edit(base, [reserveStep, secondStep + reserveStep]), want: [['SAGA_STEPS_REORDERED', 47, 9]], safe: twoSteps }],
  [
    'SAGA_STEP_CHANGED',
    {
      breaking: edit(base, ['compensation: { command: Warehouse.Release, data: { sku: $start.sku } }', 'compensation: { command: Warehouse.Audit, data: { sku: $start.sku } }'], ['        timeout: PT1M\n', '        timeout: PT2M\n']),
      want: [['SAGA_STEP_CHANGED', 47, 9]],
      safe: edit(base, ['        timeout: PT1M\n', '        timeout: PT2M\n']),
    },
  ],
  [
    'SAGA_STATE_CHANGED',
    {
      breaking: edit(base, [requestedV1, `${requestedV1}          - fields: { sku: string, quantity: int, rush: { type: boolean, default: false } }\n`]),
      want: [['SAGA_STATE_CHANGED', 43, 3]],
      // A new version of an event the saga does not store.
      safe: edit(base, ['          - fields: { sku: string }\n      Released:', '          - fields: { sku: string }\n          - fields: { sku: string, why: { type: string, default: "" } }\n      Released:']),
    },
  ],
  ['SAGA_TIMEOUT_SHORTENED', { breaking: edit(base, ['    timeout: PT15M', '    timeout: PT5M']), want: [['SAGA_TIMEOUT_SHORTENED', 45, 14, 'warning']], safe: edit(base, ['    timeout: PT15M', '    timeout: PT1H']) }],
  ['REPLAY_APPLY_REMOVED', { breaking: edit(base, ['        apply: { reserved: { increment: $.quantity } }\n', '']), want: [['REPLAY_APPLY_REMOVED', 18, 7]], safe: edit(base, ['{ increment: $.quantity }', '{ increment: 1 }']) }],
  [
    'SNAPSHOT_STATE_CHANGED',
    {
      breaking: edit(base, ['      reserved: { type: int, default: 0 }\n', '      reserved: { type: long, default: 0 }\n']),
      want: [['SNAPSHOT_STATE_CHANGED', 12, 5, 'warning']],
      // Without snapshots the state is rebuilt from the stream on every load: nothing stored to read.
      safe: edit(base, ['    snapshotEvery: 10\n', ''], ['      reserved: { type: int, default: 0 }\n', '      reserved: { type: long, default: 0 }\n']),
    },
  ],
];

describe('command, saga and replay rules', () => {
  it.each(cases)('%s: a breaking edit is reported, a safe one is not', (rule, c) => {
    const report = check(c.baseline ?? base, c.breaking);
    const findings = c.alsoOthers ? report.findings.filter((f) => f.rule === rule) : report.findings;
    expect(findings.map((f) => [f.rule, f.line, f.col, f.status])).toEqual(c.want.map(([r, line, col, status]) => [r, line, col, status ?? 'breaking']));
    for (const f of findings) expect(f.message.length).toBeGreaterThan(20);
    const safe = check(c.baseline ?? base, c.safe);
    expect(safe.findings.filter((f) => f.rule === rule || f.status === 'breaking')).toEqual([]);
  });

  it('a top-level allowBreaking entry with the path the finding names allows it, with its reason', () => {
    const current = `${edit(base, ['      Audit:\n', '      Count:\n'])}allowBreaking:\n  - { rule: COMMAND_REMOVED, path: aggregates.Warehouse.commands.Audit, reason: Nobody sends it. }\n`;
    const report = check(base, current);
    expect(report.findings.map((f) => [f.rule, f.status, f.allowedBy?.reason])).toEqual([['COMMAND_REMOVED', 'allowed', 'Nobody sends it.']]);
    expect(report.breaking).toBe(0);
  });
});
