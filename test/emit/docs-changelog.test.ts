// The catalog's changelog: every allowBreaking entry of the spec (at the top level and under a
// version) becomes a row with its rule and the rule's title, the path, the reason and the spec
// line; a reason with Markdown table syntax stays in its cell; a spec without entries has none.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTemplateSet } from '../../generator/core/templates.js';
import { defaultEmitOptions } from '../../generator/emit/context.js';
import { emitDocs } from '../../generator/emit/docs.js';
import { analyse } from '../../generator/pipeline.js';

const root = path.join(import.meta.dirname, '../..');
const templates = createTemplateSet(new Map([['catalog.md.hbs', readFileSync(path.join(root, 'templates/catalog.md.hbs'), 'utf8')]]));

function catalogOf(spec: string): string {
  const r = analyse([{ file: 't.yaml', text: spec }]);
  if (!r.model) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return emitDocs({ model: r.model, templates, options: defaultEmitOptions })[0]?.content ?? '';
}

const spec = `domain: com.example.t
source: urn:example:t
aggregates:
  Order:
    events:
      OrderPlaced:
        versions:
          - fields: { id: string }
          - fields: { id: string, note: string }
            upcast: { note: "" }
            allowBreaking:
              - { rule: MODE_VIOLATION, reason: "v1 | v2: nobody reads v1" }
allowBreaking:
  - { rule: EVENT_REMOVED, path: aggregates.Order.events.OrderAudited, reason: Audits moved to the audit service. }
`;

describe('the catalog changelog', () => {
  it('lists every allowBreaking entry in spec order, with rule, path, reason and line', () => {
    const md = catalogOf(spec);
    const section = md.slice(md.indexOf('## Changelog: deliberate breaking changes'));
    expect(section.split('\n').filter((l) => l.startsWith('|'))).toEqual([
      '| Rule | What | Why | Spec line |',
      '|---|---|---|---|',
      '| `MODE_VIOLATION`: a new version violates the compatibility mode against an earlier version | `aggregates.Order.events.OrderPlaced.versions[1]` | v1 \\| v2: nobody reads v1 | 12 |',
      '| `EVENT_REMOVED`: an event was removed or renamed | `aggregates.Order.events.OrderAudited` | Audits moved to the audit service. | 14 |',
    ]);
  });

  it('is absent when the spec allows no break', () => {
    // v2 without its entry would be refused by the mode gate (a field without a default): the spec keeps v1 only.
    const noBreaks = spec.slice(0, spec.indexOf('          - fields: { id: string, note: string }'));
    expect(noBreaks).not.toContain('allowBreaking');
    expect(catalogOf(noBreaks)).not.toContain('Changelog');
  });
});
