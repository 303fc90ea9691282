// Framework-neutral assertions for the test kit: they throw an AssertionError whose message is a
// readable line diff (expected vs actual), so the same kit works under vitest, jest and node:test
// without an adapter. Values print exactly: bigints with `n`, Dates as ISO text, bytes as hex,
// record keys sorted, so two values are equal exactly when they print the same.
import { diffLines } from 'diff';

/** Thrown by every kit assertion. `actual` and `expected` are kept for runners that show them. */
export class KitAssertionError extends Error {
  override readonly name = 'AssertionError';
  /** Runners (vitest, jest) show their own diff when an error carries these. */
  readonly showDiff = true;
  constructor(
    message: string,
    readonly actual: unknown,
    readonly expected: unknown,
  ) {
    super(message);
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A deterministic, exact rendering of a value, one property per line. */
export function formatValue(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(value);
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Date(Invalid)' : `Date(${value.toISOString()})`;
      if (value instanceof Uint8Array) return `Uint8Array(${hex(value)})`;
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        return `[\n${value.map((v: unknown) => `${inner}${formatValue(v, inner)},`).join('\n')}\n${indent}]`;
      }
      if (value instanceof Map) {
        const entries = [...value.entries()].map(([k, v]: [unknown, unknown]) => `${inner}${formatValue(k, inner)} => ${formatValue(v, inner)},`);
        return entries.length === 0 ? 'Map {}' : `Map {\n${entries.join('\n')}\n${indent}}`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      if (keys.length === 0) return '{}';
      return `{\n${keys.map((k) => `${inner}${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k)}: ${formatValue(record[k], inner)},`).join('\n')}\n${indent}}`;
    }
  }
}

/** `- expected` / `+ actual` lines, with two lines of context around each change. */
export function lineDiff(expected: string, actual: string): string {
  const out: string[] = [];
  const parts = diffLines(`${expected}\n`, `${actual}\n`);
  parts.forEach((part, i) => {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.added) out.push(...lines.map((l) => `+ ${l}`));
    else if (part.removed) out.push(...lines.map((l) => `- ${l}`));
    else {
      const first = i === 0;
      const last = i === parts.length - 1;
      if (lines.length <= 5 || (first && last)) out.push(...lines.map((l) => `  ${l}`));
      else {
        if (!first) out.push(...lines.slice(0, 2).map((l) => `  ${l}`));
        out.push('  …');
        if (!last) out.push(...lines.slice(-2).map((l) => `  ${l}`));
      }
    }
  });
  return out.join('\n');
}

/** Throws a KitAssertionError with a diff unless `actual` and `expected` print the same. */
export function assertEqual<T>(actual: T, expected: T, what = 'value'): void {
  const a = formatValue(actual);
  const e = formatValue(expected);
  if (a === e) return;
  throw new KitAssertionError(`${what} differs (- expected, + actual):\n${lineDiff(e, a)}`, actual, expected);
}

/** What a `thenThrows` accepts: an error class, a message substring or pattern, or a predicate. */
export type ErrorMatcher = string | RegExp | (new (...args: never[]) => Error) | ((error: unknown) => boolean);

export function assertThrows(run: () => unknown, matcher: ErrorMatcher | undefined, what: string): unknown {
  let thrown: { readonly error: unknown } | undefined;
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    thrown = { error };
  }
  if (thrown === undefined) throw new KitAssertionError(`${what} was expected to throw, but returned:\n${formatValue(result)}`, result, matcher);
  const { error } = thrown;
  const message = error instanceof Error ? error.message : String(error);
  if (matcher === undefined) return error;
  const ok =
    typeof matcher === 'string'
      ? message.includes(matcher)
      : matcher instanceof RegExp
        ? matcher.test(message)
        : isErrorClass(matcher)
          ? error instanceof matcher
          : matcher(error);
  if (!ok) {
    const want = typeof matcher === 'string' ? JSON.stringify(matcher) : matcher instanceof RegExp ? String(matcher) : isErrorClass(matcher) ? `an instance of ${matcher.name}` : 'an error the predicate accepts';
    throw new KitAssertionError(`${what} threw ${error instanceof Error ? `${error.name}: ${message}` : formatValue(error)}, expected ${want}`, error, matcher);
  }
  return error;
}

function isErrorClass(m: ErrorMatcher): m is new (...args: never[]) => Error {
  return typeof m === 'function' && (m === Error || m.prototype instanceof Error);
}
