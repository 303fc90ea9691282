// The catalog's changelog of deliberate breaking changes: every `allowBreaking` entry of the
// spec, with the rule it was allowed under, what it touched and the reason, so a reader of the
// catalog learns what broke on purpose and why without reading CI logs. Entries are the spec's
// history (check keeps inherited entries from covering new breaks), so the list only grows.
import { checkRules, isRuleId } from '../check/rules.js';
import type { Domain } from '../core/model.js';
import { mdCell, mdCode, mdTable } from './docs-markdown.js';

export const changelogHeading = 'Changelog: deliberate breaking changes';

export interface ChangelogView {
  readonly heading: string;
  readonly doc: string;
  readonly table: string;
}

export function changelogView(domain: Domain): ChangelogView | undefined {
  const entries = domain.allowBreaking ?? [];
  if (entries.length === 0) return undefined;
  return {
    heading: changelogHeading,
    doc:
      'Breaking changes made on purpose, each approved in the spec with an `allowBreaking` entry and its reason ' +
      '(`eventsmith check` reports them as allowed; see docs/check-rules.md in the eventsmith repository). In spec order.',
    table: mdTable(
      ['Rule', 'What', 'Why', 'Spec line'],
      entries.map((e) => [
        `${mdCode(e.rule)}${isRuleId(e.rule) ? `: ${mdCell(checkRules[e.rule].title)}` : ''}`,
        mdCode(e.path),
        mdCell(e.reason),
        String(e.loc.line),
      ]),
    ),
  };
}
