// SARIF 2.1.0, GitLab code quality and JUnit XML reports of `eventsmith check`, on a real report
// (a breaking, an allowed and a warning finding at their spec lines) and on invalid input.
// SARIF is validated against the OASIS SARIF 2.1.0 JSON Schema (test/fixtures/sarif/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { checkModels, renderCheck, renderCheckErrors, ruleIds, type CheckReport } from '../../generator/check/index.js';
import type { Diagnostic } from '../../generator/core/diagnostics.js';
import { repoRoot } from '../cli/run-cli.js';
import { analysed, base, edit } from './helpers.js';

function sarifValidator(): (data: unknown) => string[] {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/sarif/sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  // The schema is draft-04 (`id`, `$schema`); the keywords it uses mean the same in ajv's draft-07.
  delete schema.$schema;
  delete schema.id;
  // Its `language` pattern has a stray `]`, an error only in Unicode-mode regular expressions.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///root/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}
const validateSarif = sarifValidator();

// Three findings: Order's topic changed (breaking, line 11), OrderShipped removed with an
// allowBreaking entry (allowed), and an unused allowBreaking entry (a warning).
const current = edit(
  base,
  ['topic: orders', 'topic: "orders-v2"'],
  ['      OrderShipped:\n        versions:\n          - fields: { at: timestamp-millis }\n', ''],
  [
    'aggregates:\n',
    'allowBreaking:\n  - { rule: EVENT_REMOVED, path: aggregates.Order.events.OrderShipped, reason: "Never <sent> & unused" }\n  - { rule: TOPIC_CHANGED, path: aggregates.Inventory.topic, reason: stale }\naggregates:\n',
  ],
);
const report: CheckReport = checkModels(analysed({ 'events/my orders.yaml': base }, 'baseline'), analysed({ 'events/my orders.yaml': current }, 'current'));
const invalid: Diagnostic = { code: 'ES2001', severity: 'error', message: 'unknown key `topics`', file: 'events/orders.yaml', line: 4, col: 3, path: 'aggregates.Order.topics' };

describe('the report used here', () => {
  it('has one breaking, one allowed and one warning finding', () => {
    expect(report.findings.map((f) => [f.rule, f.status])).toEqual([
      ['UNUSED_ALLOW_BREAKING', 'warning'],
      ['TOPIC_CHANGED', 'breaking'],
      ['EVENT_REMOVED', 'allowed'],
    ]);
  });
});

describe('sarif', () => {
  const log = JSON.parse(renderCheck(report, 'sarif', 'origin/main', { toolVersion: '1.2.3' })) as {
    version: string;
    runs: {
      tool: { driver: { name: string; version: string; rules: { id: string; help: { text: string }; defaultConfiguration: { level: string } }[] } };
      invocations: { executionSuccessful: boolean }[];
      results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[]; suppressions?: { status: string; justification: string }[] }[];
    }[];
  };

  it('is valid against the SARIF 2.1.0 schema, also for invalid input and an empty report', () => {
    expect(validateSarif(log)).toEqual([]);
    expect(validateSarif(JSON.parse(renderCheckErrors([invalid], 'sarif', 'HEAD', 'the current specs are invalid')))).toEqual([]);
    expect(validateSarif(JSON.parse(renderCheck({ ...report, findings: [], breaking: 0, allowed: 0, warnings: 0 }, 'sarif', 'HEAD')))).toEqual([]);
  });

  it('the validator rejects what is not SARIF (a test that can fail)', () => {
    const broken = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    const first = broken.runs[0]?.results[0];
    if (first) first.level = 'fatal';
    expect(validateSarif(broken).length).toBeGreaterThan(0);
    expect(validateSarif({ version: '2.0.0', runs: [] }).length).toBeGreaterThan(0);
  });

  it('lists every rule with help text, and points each result at its rule and spec line', () => {
    const run = log.runs[0];
    expect(run?.tool.driver).toMatchObject({ name: 'eventsmith', version: '1.2.3' });
    expect(run?.tool.driver.rules.map((r) => r.id)).toEqual(ruleIds);
    expect(run?.tool.driver.rules.find((r) => r.id === 'TOPIC_CHANGED')?.help.text).toMatch(/Kafka topic changed.*allowBreaking.*docs\/check-rules\.md#topic_changed/);
    expect(run?.tool.driver.rules.find((r) => r.id === 'UNUSED_ALLOW_BREAKING')?.defaultConfiguration.level).toBe('warning');
    const topic = run?.results.find((r) => r.ruleId === 'TOPIC_CHANGED');
    expect(topic?.level).toBe('error');
    expect(run?.tool.driver.rules[topic?.ruleIndex ?? -1]?.id).toBe('TOPIC_CHANGED');
    expect(topic?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: 'events/my%20orders.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 14, startColumn: 12 } });
    expect(topic?.suppressions).toBeUndefined();
  });

  it('marks an allowed finding as a suppression accepted with its reason', () => {
    const allowed = log.runs[0]?.results.find((r) => r.ruleId === 'EVENT_REMOVED');
    expect(allowed?.suppressions).toEqual([expect.objectContaining({ kind: 'inSource', status: 'accepted', justification: 'Never <sent> & unused' })]);
  });
});

describe('gitlab code quality', () => {
  it('one issue per finding with a stable fingerprint, severity by status, path and line', () => {
    const issues = JSON.parse(renderCheck(report, 'gitlab', 'origin/main')) as { check_name: string; severity: string; description: string; fingerprint: string; location: { path: string; positions: { begin: { line: number; column: number } } } }[];
    expect(issues.map((i) => [i.check_name, i.severity])).toEqual([
      ['UNUSED_ALLOW_BREAKING', 'minor'],
      ['TOPIC_CHANGED', 'blocker'],
      ['EVENT_REMOVED', 'info'],
    ]);
    expect(issues[1]?.location).toEqual({ path: 'events/my orders.yaml', positions: { begin: { line: 14, column: 12 } } });
    expect(issues[2]?.description).toMatch(/^allowed: .*\(reason: Never <sent> & unused\)$/);
    for (const i of issues) expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(3);
    // The fingerprint follows what broke, not the line: GitLab matches issues across pipelines by it.
    const moved = JSON.parse(renderCheck({ ...report, findings: report.findings.map((f) => ({ ...f, line: f.line + 5 })) }, 'gitlab', 'x')) as { fingerprint: string }[];
    expect(moved.map((i) => i.fingerprint)).toEqual(issues.map((i) => i.fingerprint));
    expect(JSON.parse(renderCheck({ ...report, findings: [] }, 'gitlab', 'x'))).toEqual([]);
    expect(JSON.parse(renderCheckErrors([invalid], 'gitlab', 'x', 'invalid'))).toEqual([expect.objectContaining({ check_name: 'ES2001', severity: 'blocker', location: { path: 'events/orders.yaml', positions: { begin: { line: 4, column: 3 } } } })]);
  });
});

describe('junit', () => {
  it('a failure per breaking finding, allowed ones skipped with their reason, warnings pass; XML escaped', () => {
    const xml = renderCheck(report, 'junit', 'origin/main');
    expect(xml.split('\n')).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="eventsmith check" tests="3" failures="1" errors="0" skipped="1">',
      '  <testsuite name="eventsmith check against origin/main" tests="3" failures="1" errors="0" skipped="1">',
      expect.stringMatching(/^    <testcase classname="UNUSED_ALLOW_BREAKING" name="UNUSED_ALLOW_BREAKING aggregates\.Inventory\.topic \(events\/my orders\.yaml:\d+:\d+\)" file="events\/my orders\.yaml" line="\d+">$/),
      expect.stringMatching(/^      <system-out>warning: allowBreaking entry for TOPIC_CHANGED/),
      '    </testcase>',
      '    <testcase classname="TOPIC_CHANGED" name="TOPIC_CHANGED aggregates.Order.topic (events/my orders.yaml:14:12)" file="events/my orders.yaml" line="14">',
      '      <failure type="TOPIC_CHANGED" message="topic of aggregate Order changed from orders to orders-v2">events/my orders.yaml:14:12: topic of aggregate Order changed from orders to orders-v2 (TOPIC_CHANGED)</failure>',
      '    </testcase>',
      expect.stringMatching(/^    <testcase classname="EVENT_REMOVED" /),
      '      <skipped message="allowed: Never &lt;sent&gt; &amp; unused"/>',
      '    </testcase>',
      '  </testsuite>',
      '</testsuites>',
      '',
    ]);
  });

  it('a clean check is one passing case; invalid input one failure per diagnostic', () => {
    expect(renderCheck({ ...report, findings: [], breaking: 0, allowed: 0, warnings: 0 }, 'junit', 'HEAD')).toContain('tests="1" failures="0" errors="0" skipped="0"');
    const bad = renderCheckErrors([{ ...invalid, message: 'a "quoted"\nkey' }], 'junit', 'HEAD', 'invalid');
    expect(bad).toContain('<failure type="ES2001" message="a &quot;quoted&quot;&#10;key">');
    expect(bad).toContain('failures="1"');
  });
});
