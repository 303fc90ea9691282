// docs/check-rules.md is part of the contract: every rule id in the code has a section there and
// every section is a rule; each section's example edit, applied to the page's spec, produces
// exactly the output the page shows. The DSL schema's rule enums follow the same list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModels, checkRules, optOutRuleIds, renderCheck, ruleIds, versionRuleIds } from '../../generator/check/index.js';
import { specSchema } from '../../generator/validate/index.js';
import { repoRoot } from '../cli/run-cli.js';
import { analysed } from './helpers.js';

const page = readFileSync(path.join(repoRoot, 'docs/check-rules.md'), 'utf8');
const sections = new Map(
  page
    .split(/^## /m)
    .slice(1)
    .map((s) => [s.slice(0, s.indexOf('\n')).trim(), s] as const),
);
const ruleSections = [...sections.keys()].filter((h) => /^[A-Z][A-Z_]+$/.test(h));

function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

/** The page's example spec, without the line-number comments. */
const spec = (blocks(page, 'yaml')[0] ?? '').replace(/ +# +\d+$/gm, '');

/** [baseline, current] for a section's example: a diff against the spec (either side may be the spec), or YAML appended to it. */
function example(section: string): [string, string] {
  const diff = blocks(section, 'diff')[0];
  if (diff === undefined) return [spec, spec + (blocks(section, 'yaml')[0] ?? '')];
  const lines = diff.split('\n').filter((l) => l !== '');
  const side = (drop: string): string => `${lines.filter((l) => !l.startsWith(drop)).map((l) => l.slice(1)).join('\n')}\n`;
  const [before, after] = [side('+'), side('-')];
  const replaceOnce = (text: string, from: string, to: string): string => {
    const at = `\n${text}`.indexOf(`\n${from}`);
    if (at < 0) throw new Error(`example does not apply:\n${from}`);
    return text.slice(0, at) + to + text.slice(at + from.length);
  };
  return `\n${spec}`.includes(`\n${before}`) ? [spec, replaceOnce(spec, before, after)] : [replaceOnce(spec, after, before), spec];
}

describe('docs/check-rules.md', () => {
  it('has a section for every rule id in the code, and no other rule sections', () => {
    expect([...ruleSections].sort()).toEqual([...ruleIds].sort());
  });

  it.each(ruleIds)('%s: an example edit, its output and how to opt out', (id) => {
    const section = sections.get(id) ?? '';
    expect(blocks(section, 'diff').length + blocks(section, 'yaml').length, 'an example edit').toBeGreaterThan(0);
    expect(section, 'how to opt out').toMatch(checkRules[id].optOut === 'none' ? /no opt-out/ : /Opt out: /);
    const shown = (blocks(section, 'text')[0] ?? '').split('\n').filter((l) => l !== '');
    expect(shown.some((l) => l.endsWith(`(${id})`)), 'the output shows the rule').toBe(true);
    const [baseline, current] = example(section);
    const actual = renderCheck(checkModels(analysed({ 'events/orders.yaml': baseline }, 'baseline'), analysed({ 'events/orders.yaml': current }, 'current')), 'text', 'origin/main').split('\n');
    for (const line of shown) expect(actual, 'the output is what check prints').toContain(line);
  });

  it('names only real rule ids in its outputs', () => {
    const named = blocks(page, 'text').flatMap((b) => [...b.matchAll(/\(([A-Z][A-Z_]+)\)$/gm)].map((m) => m[1] ?? ''));
    expect(named.length).toBeGreaterThan(ruleIds.length);
    expect(named.filter((n) => !ruleIds.includes(n as (typeof ruleIds)[number]))).toEqual([]);
  });
});

describe('the DSL schema lists the rule ids', () => {
  const definitions = specSchema.definitions as Record<string, { properties: { rule: { enum: string[] } } }>;
  it('top-level entries: every rule that can be opted out of', () => {
    expect(definitions.AllowBreakingEntry?.properties.rule.enum).toEqual([...optOutRuleIds]);
  });
  it('entries under a version: the rules about one version', () => {
    expect(definitions.VersionAllowBreakingEntry?.properties.rule.enum).toEqual([...versionRuleIds]);
  });
});
