// The check report for a person (text: `path:line:col: message (RULE_ID)`, the line format
// editors and CI problem matchers read), a program (json, a stable object) or GitHub Actions
// (workflow commands that annotate the pull request); SARIF, GitLab code quality and JUnit XML
// are in ci-formats.ts. Allowed findings appear in every format,
// with their reason.
import type { Diagnostic } from '../core/diagnostics.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import { githubData, githubProperty } from '../core/github.js';
import { renderGitlab, renderGitlabErrors, renderJunit, renderJunitErrors, renderSarif, renderSarifErrors, type CiFormatOptions } from './ci-formats.js';
import { explainIncompatibility, type Finding } from './findings.js';
import type { CheckReport } from './index.js';
import { checkRules } from './rules.js';

import type { CheckFormat } from './formats.js';

export { checkFormats, type CheckFormat } from './formats.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function summary(report: CheckReport, against: string): string {
  const scope = `${plural(report.published, 'published version')}, ${report.added} new`;
  const extra = [report.allowed > 0 ? `${report.allowed} allowed` : '', report.warnings > 0 ? plural(report.warnings, 'warning') : ''].filter((s) => s !== '');
  const tail = extra.length > 0 ? `; ${extra.join(', ')}` : '';
  if (report.breaking === 0) return `eventsmith check against ${against}: no breaking changes (${scope})${tail}`;
  return `eventsmith check against ${against}: ${plural(report.breaking, 'breaking change')} (${scope})${tail}`;
}

/** One finding, one line: a reason written as a YAML block scalar must not start a line of its own. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

function textLine(f: Finding): string {
  const where = `${f.file}:${f.line}:${f.col}`;
  const message = oneLine(f.message);
  const head =
    f.status === 'allowed'
      ? `${where}: allowed: ${message} (${f.rule}); reason: ${oneLine(f.allowedBy?.reason ?? '')} [${f.allowedBy ? `${f.allowedBy.file}:${f.allowedBy.line}:${f.allowedBy.col}` : ''}]`
      : f.status === 'warning'
        ? `${where}: warning: ${message} (${f.rule})`
        : `${where}: ${message} (${f.rule})`;
  const more = details(f);
  return more.length === 0 ? head : [head, ...more.map((d) => `    ${d}`)].join('\n');
}

/** Every incompatibility of a MODE_VIOLATION with more than one (the message shows the first). */
function details(f: Finding): string[] {
  const c = f.conflict;
  if (c === undefined || c.incompatibilities.length < 2) return [];
  return c.incompatibilities.map((i) => explainIncompatibility(i, c.version, c.against));
}

function githubLine(f: Finding): string {
  const props = `file=${githubProperty(f.file)},line=${f.line},col=${f.col}`;
  const more = details(f);
  const extra = more.length === 0 ? '' : `\n${more.join('\n')}`;
  switch (f.status) {
    case 'breaking':
      return `::error ${props},title=${githubProperty(f.rule)}::${githubData(f.message + extra)}`;
    case 'allowed':
      return `::notice ${props},title=${githubProperty(`${f.rule} (allowed)`)}::${githubData(`${f.message}${extra}\nAllowed: ${f.allowedBy?.reason ?? ''}`)}`;
    case 'warning':
      return `::warning ${props},title=${githubProperty(f.rule)}::${githubData(f.message)}`;
  }
}

function findingJson(f: Finding): Record<string, unknown> {
  return {
    rule: f.rule,
    status: f.status,
    severity: checkRules[f.rule].severity,
    message: f.message,
    file: f.file,
    line: f.line,
    col: f.col,
    path: f.path,
    allowedBy: f.allowedBy ?? null,
    conflict: f.conflict ?? null,
  };
}

function lines(list: readonly string[]): string {
  return list.length === 0 ? '' : `${list.join('\n')}\n`;
}

export function renderCheck(report: CheckReport, format: CheckFormat, against: string, opts: CiFormatOptions = {}): string {
  switch (format) {
    case 'sarif':
      return renderSarif(report, summary(report, against), opts);
    case 'gitlab':
      return renderGitlab(report);
    case 'junit':
      return renderJunit(report, summary(report, against), against);
    case 'json':
      return `${JSON.stringify(
        {
          against,
          ok: report.breaking === 0,
          message: summary(report, against),
          summary: { breaking: report.breaking, allowed: report.allowed, warnings: report.warnings, published: report.published, added: report.added },
          findings: report.findings.map(findingJson),
          errors: [],
        },
        null,
        2,
      )}\n`;
    case 'github':
      return lines([...report.findings.map(githubLine), summary(report, against)]);
    case 'text':
      return lines([...report.findings.map(textLine), summary(report, against)]);
  }
}

/** GitHub's annotation properties; a problem without a file or position annotates the run, not a line. */
function githubWhere(d: Diagnostic): string {
  if (d.file === '') return '';
  return d.line > 0 ? `file=${githubProperty(d.file)},line=${d.line},col=${d.col},` : `file=${githubProperty(d.file)},`;
}

/** Invalid input (exit 2): the current specs, the baseline, or the baseline's reference. */
export function renderCheckErrors(diagnostics: readonly Diagnostic[], format: CheckFormat, against: string, headline: string, opts: CiFormatOptions = {}): string {
  const line = `eventsmith check against ${against}: ${headline}`;
  switch (format) {
    case 'sarif':
      return renderSarifErrors(diagnostics, line, opts);
    case 'gitlab':
      return renderGitlabErrors(diagnostics);
    case 'junit':
      return renderJunitErrors(diagnostics, line, against);
    case 'json':
      return `${JSON.stringify({ against, ok: false, message: `eventsmith check against ${against}: ${headline}`, summary: null, findings: [], errors: [...diagnostics] }, null, 2)}\n`;
    case 'github':
      return lines([
        ...diagnostics.map((d) => `::error ${githubWhere(d)}title=${githubProperty(d.code)}::${githubData(d.message)}`),
        `eventsmith check against ${against}: ${headline}`,
      ]);
    case 'text':
      return lines([...diagnostics.map(formatDiagnostic), `eventsmith check against ${against}: ${headline}`]);
  }
}
