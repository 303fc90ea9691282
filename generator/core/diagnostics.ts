// Diagnostics are collected, never thrown, so one run reports every problem it can find.
// Codes are stable: tools and docs key on them, so a code is never reused for another meaning.
import type { SourceLocation } from './model.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** '' when the problem is in no file (a command-line argument, a git revision). */
  readonly file: string;
  /** 1-based; 0 (line and col) when there is no position to point at (a file that cannot be read). */
  readonly line: number;
  readonly col: number;
  /** Logical spec path (`aggregates.Order.events.OrderPlaced`) or '' for file-level problems. */
  readonly path: string;
}

/**
 * Every code the generator can emit. ES1xxx: reading the file; ES2xxx: shape (JSON Schema);
 * ES3xxx: meaning (resolution); ES4xxx: generation/output; ES5xxx: usage.
 */
export const codes = {
  // load
  ES1001: 'YAML syntax error',
  ES1002: 'tab character used for indentation',
  ES1003: 'duplicate key',
  ES1004: 'too many aliases (possible alias bomb)',
  ES1005: 'document nested too deeply',
  ES1006: 'file is not valid UTF-8',
  ES1007: 'file is empty',
  ES1008: 'document is not a mapping',
  ES1009: 'file cannot be read',
  ES1010: 'more than one YAML document in a file',
  ES1011: 'file too large',
  ES1012: 'lone carriage-return line endings',
  ES1013: 'YAML tag not used by the DSL',
  ES1014: 'alias to no anchor, or inside its own anchor',
  ES1015: 'mapping key is not a scalar',
  // validate
  ES2001: 'does not match the DSL schema',
  ES2002: 'unknown key',
  ES2003: 'missing required key',
  ES2004: 'wrong value type',
  ES2005: 'value not allowed',
  // resolve
  ES3001: 'unknown type',
  ES3002: 'invalid type expression',
  ES3003: 'default does not fit its type',
  ES3004: 'invalid decimal parameters',
  ES3005: 'duplicate enum symbol',
  ES3006: 'enum default is not one of its symbols',
  ES3007: 'name is not a safe identifier',
  ES3008: 'duplicate name',
  ES3009: 'type has no finite value (unbounded recursion)',
  ES3010: 'reference to an unknown event',
  ES3011: 'reference to an unknown field',
  ES3012: 'expression type does not fit its target',
  ES3013: 'event has no versions',
  ES3014: 'newer version field has no source in the previous version',
  ES3015: 'invalid topic name',
  ES3016: 'invalid domain name',
  ES3017: 'invalid CloudEvents source',
  ES3018: 'invalid aggregate id type',
  ES3019: 'invalid ISO-8601 duration',
  ES3020: 'upcast on the first version',
  ES3021: 'output name collision',
  ES3022: 'invalid operation for target type',
  ES3023: 'state field needs a default',
  ES3024: 'reference to an unknown command',
  ES3025: 'saga step has no failure path',
  ES3026: 'the command never emits this event (the step or compensation could never complete this way)',
  ES3027: 'unreachable saga step or completion',
  ES3028: 'message cycle (a reaction chain or a saga that restarts itself)',
  ES3029: 'command field has no value in the data mapping',
  ES3030: 'value not available where the expression is used',
  ES3031: 'event both completes and fails the same step',
  ES3032: 'a version violates the compatibility mode (MODE_VIOLATION) without an allowBreaking entry',
  ES3034: 'default too large once expanded',
  ES3035: 'types nested too deeply',
  ES3036: 'a replay-safety rule (REPLAY_APPLY_REMOVED, SNAPSHOT_STATE_CHANGED) against the previous generation',
  ES3040: 'projection column type has no exact PostgreSQL mapping',
  ES3041: 'projection insert or upsert does not set the key',
  ES3042: 'projection insert leaves a NOT NULL column without a value or default',
  ES3043: 'invalid projection rule',
  ES3044: 'invalid or clashing projection table name',
  // generate/write
  ES4001: 'output path escapes the output folder',
  ES4002: 'template error',
  ES4003: 'cannot write output',
  ES4004: 'input too complex to process',
  ES4005: 'generated path too long for the file system',
  ES4011: 'a user-owned file that needs a new stub does not parse',
  ES4012: 'a user-owned function does not match the spec',
  // usage
  ES5001: 'no spec files found',
  ES5002: 'invalid configuration',
  ES5003: 'invalid command-line usage',
  ES5004: 'cannot read the baseline of check',
  ES5011: 'user-owned file inside the output folder (the layout before customDir)',
} as const;

export type DiagnosticCode = keyof typeof codes;

export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(code: DiagnosticCode, message: string, at: Pick<SourceLocation, 'file' | 'line' | 'col'> & { path?: string }): void {
    this.items.push({ code, severity: 'error', message, file: at.file, line: at.line, col: at.col, path: at.path ?? '' });
  }

  warning(code: DiagnosticCode, message: string, at: Pick<SourceLocation, 'file' | 'line' | 'col'> & { path?: string }): void {
    this.items.push({ code, severity: 'warning', message, file: at.file, line: at.line, col: at.col, path: at.path ?? '' });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Sorted by file, position and code so output is deterministic whatever order checks ran in. */
  sorted(): Diagnostic[] {
    return [...this.items].sort(
      (a, b) =>
        a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
    );
  }
}

/** Where a problem with no source position is: in `file` as a whole, or in no file at all. */
export function noPosition(file = ''): { readonly file: string; readonly line: 0; readonly col: 0 } {
  return { file, line: 0, col: 0 };
}

/**
 * `path:line:col - error ES1234: message` — the format editors and CI problem matchers parse.
 * Without a position `path - error …`, without a file `error …`: an invented `:1:1` would send
 * an editor to a line that has nothing to do with the problem.
 */
export function formatDiagnostic(d: Diagnostic): string {
  // A line break in a file name or a quoted spec value would start a forged diagnostic line for CI problem matchers.
  const file = oneLine(d.file);
  const where = file === '' ? '' : d.line > 0 ? `${file}:${d.line}:${d.col} - ` : `${file} - `;
  return `${where}${d.severity} ${d.code}: ${oneLine(d.message)}`;
}

/** Control and line-separator characters as \u escapes: a diagnostic is one line. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
