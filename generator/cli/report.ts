import type { Diagnostic } from '../core/diagnostics.js';
import { formatDiagnostic } from '../core/diagnostics.js';

/** Two lines of context and a caret under the column, as compilers show on a terminal. */
export function codeFrame(source: string, line: number, col: number): string {
  const lines = source.split(/\r?\n/);
  const from = Math.max(1, line - 2);
  const to = Math.min(lines.length, line);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
  }
  out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  return out.join('\n');
}

export interface ReportOptions {
  readonly format: 'text' | 'json';
  /** Code frames only help a person at a terminal; CI logs and pipes get one line each. */
  readonly frames: boolean;
  readonly sources: ReadonlyMap<string, string>;
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], opts: ReportOptions): string {
  if (opts.format === 'json') return `${JSON.stringify({ diagnostics }, null, 2)}\n`;
  if (diagnostics.length === 0) return '';
  const parts = diagnostics.map((d) => {
    const source = opts.sources.get(d.file);
    return opts.frames && source !== undefined && d.line > 0 ? `${formatDiagnostic(d)}\n${codeFrame(source, d.line, d.col)}\n` : formatDiagnostic(d);
  });
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const summary = `${errors} error${errors === 1 ? '' : 's'}`;
  return `${parts.join('\n')}\n${opts.frames ? `${summary}\n` : ''}`;
}
