// Printing Markdown that renders as meant whatever the spec contains. Names are restricted to
// safe characters by resolve, but docs, defaults, literals and spec paths are free text: a `|`
// would split a table cell, a backtick would end a code span, a newline would end a table row.
// Docs are Markdown by intent (as in TSDoc) and pass through; everything else is quoted.
import type { Expr, NamedType, TypeRef, Value } from '../core/model.js';
import { formatType } from '../core/type-ref.js';

/** Text as inline code: a backtick span when that is safe, else `<code>` with entities. */
export function mdCode(text: string): string {
  // In a table, a `|` splits the cell even inside a code span, and a code span cannot hold a
  // line break; `<code>` with character references holds anything and renders the same.
  if (/[|\r\n]/.test(text) || text === '') return `<code>${htmlEscape(text)}</code>`;
  const longest = text.includes('`') ? Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) : 0;
  const fence = '`'.repeat(longest + 1);
  // A span that starts or ends with a backtick needs a space between it and the fence, which
  // the renderer strips again.
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Every character that Markdown or HTML could read as syntax, as a numeric character reference. */
function htmlEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    out += /[A-Za-z0-9 .,:;=+\-/]/.test(ch) ? ch : `&#${ch.codePointAt(0) ?? 0};`;
  }
  return out;
}

const cellSyntax = /[|\r\n]/;

/** Free text (a doc) as the content of one table cell: one line, its pipes escaped. */
export function mdCell(text: string): string {
  // Most cells (names, types, one-line docs) have nothing to fold or escape: one native scan
  // instead of a regular expression that stops at every character (1,000 versions: ~2% of generate).
  if (!cellSyntax.test(text)) return text.trim();
  const trimmed = text.replace(/\r\n?/g, '\n').trim();
  // The regex backtracks over every run of spaces; most docs have no newline to fold.
  const oneLine = trimmed.includes('\n') ? trimmed.replace(/\s*\n\s*/g, ' ') : trimmed;
  // GFM splits at a pipe preceded by an even number of backslashes (`\\` is an escaped
  // backslash); make every such pipe odd. An already escaped `\|` stays as written.
  return oneLine.replace(/(\\*)\|/g, (_m, slashes: string) => `${slashes}${slashes.length % 2 === 0 ? '\\' : ''}|`);
}

/** A GFM table; cells are Markdown and made safe for a cell here. */
export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Doc paragraphs as Markdown: trimmed, `\n` line ends, '' when there is nothing to say. */
export function mdDoc(doc: string | undefined): string {
  return (doc ?? '').replace(/\r\n?/g, '\n').trim();
}

/**
 * The anchor GitHub (and most renderers) derive from a heading: lower case, spaces to `-`,
 * punctuation other than `-` and `_` dropped. Headings here hold only names and words.
 */
export function mdAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A type as the DSL writes it, inline enums spelled out: `enum [draft, placed]`, `Money?`. */
export function dslType(t: TypeRef): string {
  return formatType(t, (n: NamedType) => (n.kind === 'enum' && n.inline ? `enum [${n.symbols.join(', ')}]` : n.name));
}

/** A spec value in the DSL's YAML-ish spelling: strings quoted (JSON), bigints exact, records `{ a: 1 }`. */
export function dslValue(value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v: Value) => dslValue(v)).join(', ')}]`;
  const obj = value as { readonly [key: string]: Value };
  const entries = Object.keys(obj).map((k) => `${dslKey(k)}: ${dslValue(obj[k] ?? null)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

function dslKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
}

/** An `apply`/`upcast` expression as the DSL writes it: `$.total.amount`, `"USD"`, `{ amount: $.amount }`. */
export function dslExpr(expr: Expr): string {
  switch (expr.kind) {
    case 'ref':
      return `$.${expr.path.join('.')}`;
    case 'literal':
      return dslValue(expr.value);
    case 'object':
      return expr.fields.length ? `{ ${expr.fields.map((f) => `${dslKey(f.name)}: ${dslExpr(f.expr)}`).join(', ')} }` : '{}';
  }
}
