// The `allowBreaking` DSL: shape errors at their position, and the model the resolver builds.
import { describe, expect, it } from 'vitest';
import { analyse } from '../../generator/pipeline.js';
import { analysed } from './helpers.js';

const spec = (versionEntries: string, topEntries: string): string => `domain: com.example.t
source: urn:example:t
aggregates:
  Order:
    events:
      OrderPlaced:
        versions:
          - fields: { a: int }
          - fields: { a: int, b: { type: int, default: 0 } }
            allowBreaking:
${versionEntries}allowBreaking:
${topEntries}`;

describe('allowBreaking in the spec', () => {
  it('resolves both kinds into the domain, in document order, with the version path filled in', () => {
    const { model } = analysed(
      spec('              - { rule: MODE_VIOLATION, reason: "  Consumers upgraded first.  " }\n', '  - rule: EVENT_REMOVED\n    path: aggregates.Order.events.OrderShipped\n    reason: Never shipped.\n'),
      'test',
    );
    expect(model.domains[0]?.allowBreaking).toEqual([
      { kind: 'allowBreaking', rule: 'MODE_VIOLATION', path: 'aggregates.Order.events.OrderPlaced.versions[1]', reason: 'Consumers upgraded first.', declaredOn: 'version', loc: { file: 't.yaml', line: 11, col: 17, path: 'aggregates.Order.events.OrderPlaced.versions[1].allowBreaking[0]' } },
      { kind: 'allowBreaking', rule: 'EVENT_REMOVED', path: 'aggregates.Order.events.OrderShipped', reason: 'Never shipped.', declaredOn: 'spec', loc: { file: 't.yaml', line: 13, col: 5, path: 'allowBreaking[0]' } },
    ]);
  });

  it('leaves the key out of the model when a spec has no entries', () => {
    const { model } = analysed('domain: com.example.t\nsource: urn:x\naggregates:\n  A:\n    events:\n      E:\n        versions: [{ fields: {} }]\n', 'test');
    expect(model.domains[0] && 'allowBreaking' in model.domains[0]).toBe(false);
  });

  it('rejects unknown rules, rules that do not concern a version, blank reasons, bad paths and missing keys', () => {
    const r = analyse([
      {
        file: 't.yaml',
        text: spec(
          '              - { rule: EVENT_REMOVED, reason: x }\n              - { rule: MODE_VIOLATION, reason: "  " }\n',
          '  - { rule: NOPE, path: aggregates.Order, reason: x }\n  - { rule: EVENT_REMOVED, path: "aggregates..Order", reason: x }\n  - { rule: EVENT_REMOVED, reason: x }\n',
        ),
      },
    ]);
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col, d.message])).toEqual([
      ['ES2005', 11, 25, "'EVENT_REMOVED' is not allowed for aggregates.Order.events.OrderPlaced.versions[1].allowBreaking[0].rule; expected one of: PUBLISHED_VERSION_CHANGED, MODE_VIOLATION"],
      ['ES2005', 12, 49, "'  ' is not a valid reason: write why this break is acceptable"],
      ['ES2005', 14, 13, expect.stringMatching(/^'NOPE' is not allowed for allowBreaking\[0\]\.rule; expected one of: PUBLISHED_VERSION_CHANGED, /)],
      ['ES2005', 15, 34, "'aggregates..Order' is not a valid spec path: use a logical path like aggregates.Order.events.OrderPlaced or aggregates.Order.events.OrderPlaced.versions[1]"],
      ['ES2003', 16, 5, "missing required key 'path' in allowBreaking[2]"],
    ]);
  });
});
