// The check report in the formats CI systems ingest as files: SARIF 2.1.0 (GitHub code scanning
// shows each finding on its spec line), GitLab code quality (merge request widget) and JUnit XML
// (test report tabs of Jenkins, GitLab, Azure and most others). Allowed findings stay visible in
// each, marked as accepted with their reason; only breaking ones fail.
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../core/diagnostics.js';
import type { Finding } from './findings.js';
import type { CheckReport } from './index.js';
import { checkRules, ruleIds, type RuleId } from './rules.js';

export interface CiFormatOptions {
  /** The eventsmith version, shown as the SARIF tool version. */
  readonly toolVersion?: string;
}

const docsPage = 'docs/check-rules.md';

/** A finding's identity across runs (for de-duplication): what broke where, not the line it is on. */
function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Relative spec paths as URI references: each segment percent-encoded, separators kept. */
function uriOf(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function ruleHelp(id: RuleId): string {
  const rule = checkRules[id];
  const optOut =
    rule.optOut === 'none'
      ? 'This rule only warns; there is nothing to opt out of.'
      : rule.optOut === 'version'
        ? `A deliberate break is opted out of under the event version: allowBreaking: [{ rule: ${id}, reason: … }].`
        : `A deliberate break is opted out of at the top level: allowBreaking: [{ rule: ${id}, path: <the path in the message>, reason: … }].`;
  return `${rule.title}. ${optOut} Examples and fixes: ${docsPage}#${id.toLowerCase()}`;
}

// ---- SARIF 2.1.0 ----------------------------------------------------------------------------

const sarifSchema = 'https://json.schemastore.org/sarif-2.1.0.json';

interface SarifRule {
  readonly id: string;
  readonly level: 'error' | 'warning';
  readonly short: string;
  readonly help: string;
}

function sarifLog(rules: readonly SarifRule[], results: readonly Record<string, unknown>[], opts: CiFormatOptions, ok: boolean, summary: string): string {
  const driver: Record<string, unknown> = {
    name: 'eventsmith',
    ...(opts.toolVersion !== undefined ? { semanticVersion: opts.toolVersion, version: opts.toolVersion } : {}),
    rules: rules.map((r) => ({
      id: r.id,
      name: r.id,
      shortDescription: { text: r.short },
      fullDescription: { text: r.help },
      help: { text: r.help },
      defaultConfiguration: { level: r.level },
    })),
  };
  const log = {
    $schema: sarifSchema,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [{ executionSuccessful: ok, toolExecutionNotifications: [{ level: 'note', message: { text: summary } }] }],
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function sarifLocation(file: string, line: number, col: number): Record<string, unknown> {
  return { physicalLocation: { artifactLocation: { uri: uriOf(file), uriBaseId: '%SRCROOT%' }, region: { startLine: line, startColumn: col } } };
}

export function renderSarif(report: CheckReport, summary: string, opts: CiFormatOptions): string {
  const rules: SarifRule[] = ruleIds.map((id) => ({ id, level: checkRules[id].severity, short: checkRules[id].title, help: ruleHelp(id) }));
  const results = report.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIds.indexOf(f.rule),
    level: f.status === 'warning' ? 'warning' : 'error',
    message: { text: f.message },
    locations: [sarifLocation(f.file, f.line, f.col)],
    partialFingerprints: { 'eventsmithFinding/v1': fingerprint([f.rule, f.domain, f.path, f.message]) },
    properties: { path: f.path, status: f.status },
    // GitHub code scanning and SARIF viewers show a suppressed result as accepted, with why.
    ...(f.status === 'allowed' && f.allowedBy !== undefined
      ? { suppressions: [{ kind: 'inSource', status: 'accepted', justification: f.allowedBy.reason, location: sarifLocation(f.allowedBy.file, f.allowedBy.line, f.allowedBy.col) }] }
      : {}),
  }));
  return sarifLog(rules, results, opts, true, summary);
}

export function renderSarifErrors(diagnostics: readonly Diagnostic[], headline: string, opts: CiFormatOptions): string {
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  const rules: SarifRule[] = codes.map((code) => ({ id: code, level: 'error', short: `invalid input (${code})`, help: `The spec or the baseline cannot be read or is invalid (${code}); \`eventsmith validate\` shows the same problem.` }));
  const results = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: codes.indexOf(d.code),
    level: d.severity === 'warning' ? 'warning' : 'error',
    message: { text: d.message },
    locations: [sarifLocation(d.file, Math.max(1, d.line), Math.max(1, d.col))],
  }));
  return sarifLog(rules, results, opts, false, headline);
}

// ---- GitLab code quality --------------------------------------------------------------------

type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

function gitlabIssue(check: string, description: string, severity: GitlabSeverity, file: string, line: number, col: number, id: readonly string[]): Record<string, unknown> {
  return {
    type: 'issue',
    check_name: check,
    description,
    categories: ['Compatibility'],
    severity,
    fingerprint: fingerprint(id),
    location: { path: file, positions: { begin: { line, column: col } } },
  };
}

function gitlabSeverity(f: Finding): GitlabSeverity {
  return f.status === 'breaking' ? 'blocker' : f.status === 'warning' ? 'minor' : 'info';
}

export function renderGitlab(report: CheckReport): string {
  const issues = report.findings.map((f) =>
    gitlabIssue(
      f.rule,
      f.status === 'allowed' ? `allowed: ${f.message} (reason: ${f.allowedBy?.reason ?? ''})` : f.message,
      gitlabSeverity(f),
      f.file,
      f.line,
      f.col,
      [f.rule, f.domain, f.path, f.message],
    ),
  );
  return `${JSON.stringify(issues, null, 2)}\n`;
}

export function renderGitlabErrors(diagnostics: readonly Diagnostic[]): string {
  const issues = diagnostics.map((d) => gitlabIssue(d.code, d.message, 'blocker', d.file, Math.max(1, d.line), Math.max(1, d.col), [d.code, d.file, String(d.line), String(d.col), d.message]));
  return `${JSON.stringify(issues, null, 2)}\n`;
}

// ---- JUnit XML ------------------------------------------------------------------------------

/** XML 1.0 text and attribute escaping; characters XML 1.0 cannot carry at all become U+FFFD. */
function xml(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;');
}

interface JunitCase {
  readonly classname: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly outcome: { readonly kind: 'failure'; readonly type: string; readonly message: string; readonly body: string } | { readonly kind: 'skipped'; readonly message: string } | { readonly kind: 'passed'; readonly out?: string };
}

function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.outcome.kind === 'failure').length;
  const skipped = cases.filter((c) => c.outcome.kind === 'skipped').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="eventsmith check" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`);
  out.push(`  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`);
  for (const c of cases) {
    const head = `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}" file="${xml(c.file)}" line="${c.line}"`;
    const o = c.outcome;
    if (o.kind === 'failure') out.push(`${head}>`, `      <failure type="${xml(o.type)}" message="${xml(o.message)}">${xml(o.body)}</failure>`, '    </testcase>');
    else if (o.kind === 'skipped') out.push(`${head}>`, `      <skipped message="${xml(o.message)}"/>`, '    </testcase>');
    else if (o.out !== undefined) out.push(`${head}>`, `      <system-out>${xml(o.out)}</system-out>`, '    </testcase>');
    else out.push(`${head}/>`);
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

export function renderJunit(report: CheckReport, summary: string, against: string): string {
  const cases: JunitCase[] = report.findings.map((f) => {
    const where = `${f.file}:${f.line}:${f.col}`;
    const name = `${f.rule} ${f.path} (${where})`;
    if (f.status === 'breaking') return { classname: f.rule, name, file: f.file, line: f.line, outcome: { kind: 'failure', type: f.rule, message: f.message, body: `${where}: ${f.message} (${f.rule})` } };
    if (f.status === 'allowed') return { classname: f.rule, name, file: f.file, line: f.line, outcome: { kind: 'skipped', message: `allowed: ${f.allowedBy?.reason ?? ''}` } };
    return { classname: f.rule, name, file: f.file, line: f.line, outcome: { kind: 'passed', out: `warning: ${f.message}` } };
  });
  // A report without findings still has one passing case, so CI shows that the gate ran.
  if (cases.length === 0) cases.push({ classname: 'eventsmith.check', name: summary, file: '', line: 0, outcome: { kind: 'passed' } });
  return junitXml(`eventsmith check against ${against}`, cases);
}

export function renderJunitErrors(diagnostics: readonly Diagnostic[], headline: string, against: string): string {
  const cases: JunitCase[] = diagnostics.map((d) => {
    const where = `${d.file}:${d.line}:${d.col}`;
    return { classname: d.code, name: `${d.code} (${where})`, file: d.file, line: d.line, outcome: { kind: 'failure', type: d.code, message: d.message, body: `${where}: ${d.message} (${d.code})` } };
  });
  if (cases.length === 0) cases.push({ classname: 'eventsmith.check', name: headline, file: '', line: 0, outcome: { kind: 'failure', type: 'eventsmith.check', message: headline, body: headline } });
  return junitXml(`eventsmith check against ${against}`, cases);
}
