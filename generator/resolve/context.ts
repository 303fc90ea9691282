// Shared plumbing of the resolve stage: narrowing `unknown` YAML data, and turning spec paths
// into positions and logical paths for diagnostics and model locations.
import type { DiagnosticCode, Diagnostics } from '../core/diagnostics.js';
import type { SourceLocation } from '../core/model.js';
import type { LoadedSpec, PathSegment, Position } from '../load/index.js';
import { formatPath } from '../load/path.js';

export type Path = readonly PathSegment[];
export type Mapping = { readonly [key: string]: unknown };

export function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Own entries in YAML order, safe for null-prototype objects. */
export function entriesOf(v: unknown): [string, unknown][] {
  return isMapping(v) ? Object.keys(v).map((k) => [k, v[k]]) : [];
}

export function has(v: Mapping, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(v, key);
}

export function get(v: unknown, key: string): unknown {
  return isMapping(v) && has(v, key) ? v[key] : undefined;
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Short rendering of a YAML value for messages. */
export function describeValue(v: unknown): string {
  let s: string;
  if (typeof v === 'bigint') s = v.toString();
  else if (v === undefined) s = 'nothing';
  else if (Array.isArray(v)) s = 'a list';
  else if (isMapping(v)) s = 'a mapping';
  else s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/**
 * Fields left out of the model because their type did not resolve (ES3001 and kin), by the
 * name of the type that would have had them. A rule naming such a field is not reported as
 * naming a field that does not exist: that would only echo the first error. One per run,
 * shared by the spec files, since sagas read the events of other domains.
 */
export class UnresolvedFields {
  private readonly names = new Set<string>();

  add(owner: string, field: string): void {
    this.names.add(`${owner}\0${field}`);
  }

  has(owner: string, field: string): boolean {
    return this.names.has(`${owner}\0${field}`);
  }
}

/** Diagnostics of one spec file. */
export class SpecContext {
  constructor(
    readonly spec: LoadedSpec,
    readonly diags: Diagnostics,
    readonly unresolved: UnresolvedFields = new UnresolvedFields(),
  ) {}

  get file(): string {
    return this.spec.file;
  }

  loc(path: Path, which: 'key' | 'value' = 'key'): SourceLocation {
    const p = this.spec.locate(path, which);
    return { file: this.spec.file, line: p.line, col: p.col, path: formatPath(path) };
  }

  error(code: DiagnosticCode, message: string, path: Path, which: 'key' | 'value' = 'value'): void {
    this.diags.error(code, message, this.loc(path, which));
  }

  /** Error at `offset` characters into the string value at `path` (quoted or plain). */
  errorInto(code: DiagnosticCode, message: string, path: Path, text: string, offset: number): void {
    const p = this.positionInto(path, text, offset);
    this.diags.error(code, message, { file: this.spec.file, line: p.line, col: p.col, path: formatPath(path) });
  }

  /**
   * Position of a character inside a scalar. Falls back to the scalar's start when the source
   * text differs from the value (escapes, folded or multi-line scalars).
   */
  positionInto(path: Path, text: string, offset: number): Position {
    const pos = this.spec.locate(path, 'value');
    const source = this.spec.source;
    let start = 0;
    for (let line = 1; line < pos.line; line++) {
      const nl = source.indexOf('\n', start);
      if (nl < 0) return pos;
      start = nl + 1;
    }
    const at = start + pos.col - 1;
    const quote = source[at] === '"' || source[at] === "'" ? 1 : 0;
    if (!source.startsWith(text, at + quote)) return pos;
    return { line: pos.line, col: pos.col + quote + offset };
  }
}
