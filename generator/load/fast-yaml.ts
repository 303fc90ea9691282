// A reader for the plain YAML that specs are written in: block mappings and lists, one-line flow
// collections, plain and one-line quoted scalars, literal and folded block scalars with simple
// indentation. For that subset it gives the data, and the node offsets, that the `yaml` library
// gives; it declines (returns undefined) everything else — anchors, aliases, tags, multi-line plain
// or quoted scalars, duplicate keys, tabs, anything malformed — and the caller then parses with
// the library, whose diagnostics stay the only ones a user sees. Why: the library's lexer, parser,
// composer and toJS took most of a 1,000-version spec's generate time, and loading it ~30 ms of
// every run. test/load/fast-yaml.test.ts holds it to the library's output.

/** A parsed node: its offset, and the children `locate` walks. */
export interface FastNode {
  readonly offset: number;
  readonly pairs?: ReadonlyMap<string, FastPair>;
  readonly items?: readonly FastNode[];
}

export interface FastPair {
  readonly keyOffset: number;
  readonly value: FastNode;
}

export interface FastDoc {
  /** As `normaliseInts(doc.toJS())` would give it: null-prototype objects, safe integers as numbers. */
  readonly data: unknown;
  readonly root: FastNode;
  /** Offsets where lines start, as the library's LineCounter records them. */
  readonly lineStarts: readonly number[];
}

interface Parsed {
  readonly node: FastNode;
  readonly data: unknown;
}

/** Thrown inside the reader when the text leaves the subset; never escapes parseFast. */
class Decline {}
const decline = new Decline();

/**
 * Characters the reader leaves to the library: tabs (ES1002 when indenting), carriage returns,
 * other controls, C1 controls, BOMs and the Unicode line separators.
 */
const unusual = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\u2028\u2029]/;

/** The first characters of a plain scalar that YAML treats as syntax (`-` is checked apart). */
const indicator = new Set(['?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

const nullish = /^(?:~|[Nn]ull|NULL)?$/;
const boolean = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const decimalInt = /^[-+]?[0-9]+$/;
const octalInt = /^0o[0-7]+$/;
const hexInt = /^0x[0-9a-fA-F]+$/;
const specialFloat = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const expFloat = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const plainFloat = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** The core schema's reading of a plain scalar, integers normalised as load/index.ts does. */
function plainValue(text: string): unknown {
  const c = text.charCodeAt(0);
  // Most scalars are names and type names: none of the patterns below can match them.
  if ((c >= 0x61 && c <= 0x7a && c !== 0x6e && c !== 0x74 && c !== 0x66) || (c >= 0x41 && c <= 0x5a && c !== 0x4e && c !== 0x54 && c !== 0x46) || c === 0x24) return text;
  if (nullish.test(text)) return null;
  if (boolean.test(text)) return text[0] === 't' || text[0] === 'T';
  if (octalInt.test(text)) return normalise(BigInt(`0o${text.slice(2)}`));
  if (decimalInt.test(text)) {
    const sign = text[0];
    const digits = sign === '-' || sign === '+' ? text.slice(1) : text;
    const n = BigInt(digits);
    return normalise(sign === '-' ? BigInt(-1) * n : n);
  }
  if (hexInt.test(text)) return normalise(BigInt(`0x${text.slice(2)}`));
  if (specialFloat.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (expFloat.test(text) || plainFloat.test(text)) return parseFloat(text);
  return text;
}

function normalise(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const simpleEscapes: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

class Reader {
  /** Start offset of every line, and its first non-space offset (its end when blank). */
  private readonly starts: number[] = [];
  private readonly firsts: number[] = [];
  private readonly ends: number[] = [];
  private line = 0;

  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
  ) {
    let start = 0;
    for (;;) {
      const nl = src.indexOf('\n', start);
      const end = nl < 0 ? src.length : nl;
      let first = start;
      while (first < end && src.charCodeAt(first) === 0x20) first++;
      this.starts.push(start);
      this.firsts.push(first);
      this.ends.push(end);
      if (nl < 0) break;
      start = nl + 1;
    }
  }

  get lineStarts(): number[] {
    return this.starts;
  }

  document(): Parsed {
    this.skipToContent();
    if (this.line >= this.starts.length) throw decline;
    const parsed = this.blockNode(-1, 0);
    this.skipToContent();
    if (this.line < this.starts.length) throw decline;
    if (parsed.node.pairs === undefined) throw decline;
    return parsed;
  }

  private indent(line: number): number {
    return (this.firsts[line] as number) - (this.starts[line] as number);
  }

  /** Moves past blank and comment-only lines; refuses document markers and directives. */
  private skipToContent(): void {
    while (this.line < this.starts.length) {
      const first = this.firsts[this.line] as number;
      const end = this.ends[this.line] as number;
      if (first === (this.starts[this.line] as number) && first < end) {
        const c = this.src[first];
        if (c === '%' || this.src.startsWith('---', first) || this.src.startsWith('...', first)) throw decline;
      }
      if (first < end && this.src.charCodeAt(first) !== 0x23) return;
      this.line++;
    }
  }

  private isSeqItemAt(p: number, end: number): boolean {
    return this.src.charCodeAt(p) === 0x2d && (p + 1 === end || this.src.charCodeAt(p + 1) === 0x20);
  }

  /** The node that starts on the current line, indented more than `parent`. */
  private blockNode(parent: number, depth: number): Parsed {
    if (depth > this.maxDepth) throw decline;
    const first = this.firsts[this.line] as number;
    const end = this.ends[this.line] as number;
    if (this.indent(this.line) <= parent) throw decline;
    if (this.isSeqItemAt(first, end)) return this.blockSeq(this.indent(this.line), depth);
    if (this.keyEnd(first, end) < 0) throw decline;
    return this.blockMap(first, depth);
  }

  /**
   * Where the implicit key at `p` ends (its `:`), or -1 when the line holds no key. Keys are plain
   * scalars without flow indicators, quotes or comments.
   */
  private keyEnd(p: number, end: number): number {
    const src = this.src;
    const c = src[p] as string;
    if (indicator.has(c) || (c === '-' && (p + 1 === end || src[p + 1] === ' '))) return -1;
    for (let i = p; i < end; i++) {
      const ch = src.charCodeAt(i);
      if (ch === 0x3a && (i + 1 === end || src.charCodeAt(i + 1) === 0x20)) return i;
      // `#` after a space starts a comment; flow indicators and quotes in a key are left to the library.
      if ((ch === 0x23 && src.charCodeAt(i - 1) === 0x20) || ch === 0x5b || ch === 0x5d || ch === 0x7b || ch === 0x7d || ch === 0x2c || ch === 0x22 || ch === 0x27) return -1;
    }
    return -1;
  }

  /** A block mapping whose first key is at offset `p` of the current line; its keys sit at that column. */
  private blockMap(p: number, depth: number): Parsed {
    const column = p - (this.starts[this.line] as number);
    const pairs = new Map<string, FastPair>();
    const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    let keyAt = p;
    for (;;) {
      const end = this.ends[this.line] as number;
      const colon = this.keyEnd(keyAt, end);
      if (colon < 0) throw decline;
      const key = this.src.slice(keyAt, colon).trimEnd();
      if (typeof plainValue(key) !== 'string' || key === '__proto__' || pairs.has(key)) throw decline;
      const value = this.mapValue(colon + 1, end, column, depth + 1);
      pairs.set(key, { keyOffset: keyAt, value: value.node });
      data[key] = value.data;
      this.skipToContent();
      if (this.line >= this.starts.length) break;
      const indent = this.indent(this.line);
      if (indent < column) break;
      if (indent > column) throw decline;
      keyAt = this.firsts[this.line] as number;
    }
    return { node: { offset: p, pairs }, data };
  }

  /** The value after a key's `:` at `from` on the current line; leaves the current line past it. */
  private mapValue(from: number, end: number, column: number, depth: number): Parsed {
    const p = this.skipSpaces(from, end);
    if (p === end || (this.src.charCodeAt(p) === 0x23 && p > from)) {
      this.line++;
      this.skipToContent();
      if (this.line >= this.starts.length) throw decline;
      const indent = this.indent(this.line);
      // A list may sit at its key's own column.
      if (indent === column && this.isSeqItemAt(this.firsts[this.line] as number, this.ends[this.line] as number)) return this.blockSeq(column, depth);
      return this.blockNode(column, depth);
    }
    return this.inlineValue(p, end, column, depth);
  }

  /** A value that starts on this line at `p` (not a nested block): scalar, flow collection or block scalar. */
  private inlineValue(p: number, end: number, parent: number, depth: number): Parsed {
    const c = this.src[p] as string;
    if (c === '|' || c === '>') return this.blockScalar(p, end, parent);
    let parsed: Parsed;
    let after: number;
    if (c === '{' || c === '[') {
      const flow = this.flow(p, end, depth);
      parsed = flow;
      after = flow.end;
    } else if (c === '"' || c === "'") {
      const quoted = this.quoted(p, end);
      parsed = { node: { offset: p }, data: quoted.value };
      after = quoted.end;
    } else {
      const text = this.plainBlock(p, end);
      parsed = { node: { offset: p }, data: plainValue(text) };
      after = end;
    }
    const q = this.skipSpaces(after, end);
    if (q < end && !(this.src.charCodeAt(q) === 0x23 && q > after)) throw decline;
    this.line++;
    // A deeper line after a one-line value continues a multi-line scalar (or is an error).
    this.skipToContent();
    if (this.line < this.starts.length && this.indent(this.line) > parent) throw decline;
    return parsed;
  }

  /** A plain scalar in block context, up to a comment or the line's end. */
  private plainBlock(p: number, end: number): string {
    const src = this.src;
    const c = src[p] as string;
    if (indicator.has(c) || (c === '-' && (p + 1 === end || src[p + 1] === ' '))) throw decline;
    let stop = end;
    for (let i = p + 1; i < end; i++) {
      const ch = src.charCodeAt(i);
      if (ch === 0x23 && src.charCodeAt(i - 1) === 0x20) {
        stop = i;
        break;
      }
      // `a: b: c` is an error, `key: value:` a nested key: both for the library.
      if (ch === 0x3a && (i + 1 === end || src.charCodeAt(i + 1) === 0x20)) throw decline;
    }
    return src.slice(p, stop).trimEnd();
  }

  private skipSpaces(p: number, end: number): number {
    while (p < end && this.src.charCodeAt(p) === 0x20) p++;
    return p;
  }

  /** A block sequence whose dashes sit at `column`. */
  private blockSeq(column: number, depth: number): Parsed {
    if (depth > this.maxDepth) throw decline;
    const offset = (this.starts[this.line] as number) + column;
    const items: FastNode[] = [];
    const data: unknown[] = [];
    for (;;) {
      const first = this.firsts[this.line] as number;
      const end = this.ends[this.line] as number;
      const p = this.skipSpaces(first + 1, end);
      let item: Parsed;
      if (p === end || (this.src.charCodeAt(p) === 0x23 && p > first + 1)) {
        this.line++;
        this.skipToContent();
        if (this.line >= this.starts.length) throw decline;
        item = this.blockNode(column, depth + 1);
      } else if (this.isSeqItemAt(p, end)) {
        throw decline;
      } else if (this.keyEnd(p, end) >= 0) {
        if (depth + 1 > this.maxDepth) throw decline;
        item = this.blockMap(p, depth + 1);
      } else {
        item = this.inlineValue(p, end, column, depth + 1);
      }
      items.push(item.node);
      data.push(item.data);
      this.skipToContent();
      if (this.line >= this.starts.length) break;
      const indent = this.indent(this.line);
      if (indent < column) break;
      if (indent > column) throw decline;
      // At the list's column: another item, or (for a list at its key's column) the next key.
      if (!this.isSeqItemAt(this.firsts[this.line] as number, this.ends[this.line] as number)) break;
    }
    return { node: { offset, items }, data };
  }

  /** `|`, `|-`, `>` or `>-` with every line at one indentation; the rest goes to the library. */
  private blockScalar(p: number, end: number, parent: number): Parsed {
    const src = this.src;
    const folded = src[p] === '>';
    let q = p + 1;
    const strip = src[q] === '-';
    if (strip) q++;
    if (this.skipSpaces(q, end) !== end) throw decline;
    this.line++;
    const lines: string[] = [];
    let indent = -1;
    let blanks = 0;
    for (; this.line < this.starts.length; this.line++) {
      const start = this.starts[this.line] as number;
      const first = this.firsts[this.line] as number;
      const lineEnd = this.ends[this.line] as number;
      if (first === lineEnd) {
        if (indent < 0 || lineEnd - start > indent) throw decline;
        blanks++;
        continue;
      }
      const own = first - start;
      if (indent < 0) {
        if (own <= parent) throw decline;
        indent = own;
      } else if (own < indent) break;
      else if (own > indent) throw decline;
      if (lines.length > 0) lines.push(blanks === 0 ? (folded ? ' ' : '\n') : '\n'.repeat(folded ? blanks : blanks + 1));
      blanks = 0;
      lines.push(src.slice(first, lineEnd));
    }
    // No content, or a last line without a line break (whose clipping the library decides).
    if (indent < 0 || (this.line >= this.starts.length && blanks === 0)) throw decline;
    // The line loop stopped at a less indented line (or the end): the caller goes on from there.
    return { node: { offset: p }, data: lines.join('') + (strip ? '' : '\n') };
  }

  /** A flow mapping or sequence that closes on this line. */
  private flow(p: number, end: number, depth: number): Parsed & { end: number } {
    if (depth > this.maxDepth) throw decline;
    const src = this.src;
    const close = src[p] === '{' ? '}' : ']';
    let i = this.skipSpaces(p + 1, end);
    if (src[i] === close) {
      return close === '}' ? { node: { offset: p, pairs: new Map() }, data: Object.create(null) as unknown, end: i + 1 } : { node: { offset: p, items: [] }, data: [], end: i + 1 };
    }
    const pairs = new Map<string, FastPair>();
    const items: FastNode[] = [];
    const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const list: unknown[] = [];
    for (;;) {
      if (close === '}') {
        const keyStart = i;
        const key = this.plainFlow(i, end);
        i = keyStart + key.length;
        if (src[i] !== ':' || src[i + 1] !== ' ') throw decline;
        if (typeof plainValue(key) !== 'string' || key === '__proto__' || pairs.has(key)) throw decline;
        i = this.skipSpaces(i + 1, end);
        const value = this.flowValue(i, end, depth + 1);
        pairs.set(key, { keyOffset: keyStart, value: value.node });
        obj[key] = value.data;
        i = value.end;
      } else {
        const value = this.flowValue(i, end, depth + 1);
        items.push(value.node);
        list.push(value.data);
        i = value.end;
      }
      i = this.skipSpaces(i, end);
      if (src[i] === close) break;
      if (src[i] !== ',') throw decline;
      i = this.skipSpaces(i + 1, end);
      // A trailing comma, or an empty entry: left to the library.
      if (i >= end || src[i] === close || src[i] === ',') throw decline;
    }
    return close === '}' ? { node: { offset: p, pairs }, data: obj, end: i + 1 } : { node: { offset: p, items }, data: list, end: i + 1 };
  }

  private flowValue(p: number, end: number, depth: number): Parsed & { end: number } {
    const c = this.src[p];
    if (c === '{' || c === '[') return this.flow(p, end, depth);
    if (c === '"' || c === "'") {
      const quoted = this.quoted(p, end);
      return { node: { offset: p }, data: quoted.value, end: quoted.end };
    }
    const text = this.plainFlow(p, end);
    return { node: { offset: p }, data: plainValue(text), end: p + text.length };
  }

  /** A plain scalar in a flow collection: up to `,`, `:`, a bracket, trailing spaces excluded. */
  private plainFlow(p: number, end: number): string {
    const src = this.src;
    if (p >= end) throw decline;
    const c = src[p] as string;
    if (indicator.has(c) || (c === '-' && (p + 1 === end || src[p + 1] === ' '))) throw decline;
    let i = p + 1;
    for (; i < end; i++) {
      const ch = src.charCodeAt(i);
      if (ch === 0x2c || ch === 0x5b || ch === 0x5d || ch === 0x7b || ch === 0x7d) break;
      if (ch === 0x3a) {
        // `key: value` ends the key; any other colon (`a:b`, `$.a:`) is left to the library.
        if (src.charCodeAt(i + 1) === 0x20) break;
        throw decline;
      }
      if (ch === 0x23 && src.charCodeAt(i - 1) === 0x20) throw decline;
    }
    const text = src.slice(p, i).trimEnd();
    if (text === '') throw decline;
    return text;
  }

  /** A quoted scalar that closes on this line. */
  private quoted(p: number, end: number): { value: string; end: number } {
    const src = this.src;
    if (src[p] === "'") {
      let out = '';
      let from = p + 1;
      for (;;) {
        const q = src.indexOf("'", from);
        if (q < 0 || q >= end) throw decline;
        out += src.slice(from, q);
        if (src[q + 1] === "'") {
          out += "'";
          from = q + 2;
          continue;
        }
        return { value: out, end: q + 1 };
      }
    }
    let out = '';
    let i = p + 1;
    for (;;) {
      if (i >= end) throw decline;
      const ch = src[i] as string;
      if (ch === '"') return { value: out, end: i + 1 };
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e === undefined || i + 1 >= end) throw decline;
      const simple = simpleEscapes[e];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        continue;
      }
      const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const hex = src.slice(i + 2, i + 2 + width);
      if (width === 0 || i + 2 + width > end || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) throw decline;
      const code = parseInt(hex, 16);
      // Surrogates and out-of-range code points: the library's handling is its own.
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw decline;
      out += String.fromCodePoint(code);
      i += 2 + width;
    }
  }
}

/** The spec's data and node offsets, or undefined when the text is not in the subset this reads. */
export function parseFast(source: string, maxDepth: number): FastDoc | undefined {
  if (unusual.test(source)) return undefined;
  const reader = new Reader(source, maxDepth);
  try {
    const { node, data } = reader.document();
    return { data, root: node, lineStarts: reader.lineStarts };
  } catch (e) {
    if (e === decline) return undefined;
    throw e;
  }
}

/** The library's LineCounter.linePos, on the same line starts. */
export function linePos(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((lineStarts[mid] as number) < offset) low = mid + 1;
    else high = mid;
  }
  if (lineStarts[low] === offset) return { line: low + 1, col: 1 };
  if (low === 0) return { line: 0, col: offset };
  const start = lineStarts[low - 1] as number;
  return { line: low, col: offset - start + 1 };
}

/** Offset of the node at `path`, or of the nearest ancestor that exists (load/index.ts's findNode). */
export function findFastNode(root: FastNode, path: readonly (string | number)[], which: 'key' | 'value'): number {
  let node: FastNode = root;
  let offset = root.offset;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    const last = i === path.length - 1;
    if (node.pairs !== undefined) {
      const pair = node.pairs.get(String(seg));
      if (!pair) return offset;
      if (last && which === 'key') return pair.keyOffset;
      offset = pair.value.offset;
      node = pair.value;
    } else if (node.items !== undefined && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) return offset;
      offset = item.offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
