// Printing TypeScript text that must be right whatever the spec contains: string literals,
// TSDoc blocks and lists that break over lines. Spec names are already restricted to safe
// identifiers, but docs, sources and defaults are free text.
import type { Value } from '../core/model.js';

/** Lines longer than this are broken where the layout allows (unions, lists). */
export const maxLineWidth = 100;

/** Nothing in it needs escaping (any surrogate takes the careful path: only lone ones are escaped). */
const plainString = /^[^\\'\u0000-\u001f\u007f\u2028\u2029\ud800-\udfff]*$/;

/** A single-quoted TypeScript string literal. */
export function tsString(s: string): string {
  // Most strings are names and prose: one native scan instead of a loop over code points.
  if (plainString.test(s)) return `'${s}'`;
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Control characters, line separators and lone surrogates would be invisible or invalid in source text.
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}'`;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * An object key: bare when it is an identifier, quoted otherwise. `__proto__`, bare or quoted,
 * sets the prototype of an object literal instead of adding a key; only a computed key is data.
 */
export function tsKey(key: string): string {
  if (key === '__proto__') return `['__proto__']`;
  return identifier.test(key) ? key : tsString(key);
}

/** A spec value (a default) as a TypeScript literal, for documentation. */
export function tsValue(value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return tsString(value);
  if (Array.isArray(value)) return `[${value.map(tsValue).join(', ')}]`;
  const entries = Object.keys(value).map((k) => `${tsKey(k)}: ${tsValue((value as { readonly [key: string]: Value })[k] ?? null)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

/** Non-empty paragraphs, trimmed, with `\n` line ends. */
function paragraphsOf(paragraphs: readonly (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const p of paragraphs) {
    if (p === undefined) continue;
    // Most docs have no carriage return: a scan, not a regular expression, per paragraph.
    const text = (p.includes('\r') ? p.replace(/\r\n?/g, '\n') : p).trim();
    if (text.length > 0) out.push(text);
  }
  return out;
}

/** Lines of `text` with every line longer than `width` broken at spaces; shorter lines stay as written. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line.trimEnd();
    while (rest.length > width) {
      const cut = rest.lastIndexOf(' ', width);
      if (cut <= 0) break;
      out.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut + 1).trimStart();
    }
    out.push(rest);
  }
  return out;
}

/**
 * A TSDoc comment from paragraphs (each may span lines), indented by `indent`; '' when there
 * is nothing to say. One short line prints as `/** text *\/`; long lines are wrapped.
 */
export function tsDoc(paragraphs: readonly (string | undefined)[], indent = ''): string {
  // `*/` inside a doc would end the comment early.
  const paras = paragraphsOf(paragraphs).map((p) => (p.includes('*/') ? p.replace(/\*\//g, '*\\/') : p));
  const only = paras[0];
  if (only === undefined) return '';
  if (paras.length === 1 && !only.includes('\n') && indent.length + only.length + 7 <= maxLineWidth) return `${indent}/** ${only} */`;
  const width = maxLineWidth - indent.length - 3;
  const body = paras.map((p) => wrap(p, width).map((line) => (line ? `${indent} * ${line}` : `${indent} *`)).join('\n'));
  return `${indent}/**\n${body.join(`\n${indent} *\n`)}\n${indent} */`;
}

/** A `//` comment from paragraphs, for text that must not attach to the next declaration. */
export function lineComment(paragraphs: readonly (string | undefined)[]): string {
  return paragraphsOf(paragraphs)
    .map((p) => wrap(p, maxLineWidth - 3).map((line) => (line ? `// ${line}` : '//')).join('\n'))
    .join('\n//\n');
}

/**
 * A `|`-separated union to print after `prefix ` (note the space): on the same line when it
 * fits, else one member per line with a leading `|` (the template's trailing space is trimmed).
 */
export function unionAfter(prefix: string, members: readonly string[], suffix = ';'): string {
  const flat = members.join(' | ');
  if (prefix.length + 1 + flat.length + suffix.length <= maxLineWidth) return flat;
  return members.map((m) => `\n  | ${m}`).join('');
}

/** Items of a bracketed list (`[`…`]`): inline when `prefix[items]suffix` fits, else one per line. */
export function listItems(prefix: string, items: readonly string[], suffix: string): string {
  const flat = items.join(', ');
  if (prefix.length + flat.length + 2 + suffix.length <= maxLineWidth) return flat;
  return `\n${items.map((i) => `  ${i},\n`).join('')}`;
}
