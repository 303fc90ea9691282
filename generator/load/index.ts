// load: bytes → plain data plus a position lookup. Refuses anything a YAML parser would
// accept but a spec must not contain (duplicate keys, tabs, alias bombs, deep nesting,
// invalid UTF-8, several documents) so that later stages only see well-formed data.
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { Diagnostics, type DiagnosticCode } from '../core/diagnostics.js';
import { findFastNode, linePos, parseFast, type FastDoc } from './fast-yaml.js';
import { nodeProblems } from './nodes.js';
import { firstInvalidUtf8, positionOfByte } from './utf8.js';
import type { PathSegment } from './path.js';
import { yamlLib, type YamlLib } from './yaml-lib.js';

export type { PathSegment } from './path.js';
export { formatPath } from './path.js';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface LoadedSpec {
  /** Path as shown in diagnostics. */
  readonly file: string;
  /** Plain data; integers beyond 2^53 are bigint so long values stay exact. */
  readonly data: unknown;
  /** Position of the node at `path` ('key' gives its mapping key); falls back to the nearest ancestor. */
  locate(path: readonly PathSegment[], which?: 'key' | 'value'): Position;
  readonly source: string;
}

export const loadLimits = {
  /** A spec is hand-written; anything this large is a mistake or an attack. */
  maxBytes: 4 * 1024 * 1024,
  maxAliases: 100,
  maxDepth: 64,
} as const;

const yamlCodes: Record<string, DiagnosticCode> = {
  DUPLICATE_KEY: 'ES1003',
  TAB_AS_INDENT: 'ES1002',
};

export interface LoadOptions {
  /** false: always parse with the `yaml` library (the reference load/fast-yaml.ts is tested against). */
  readonly fast?: boolean;
}

export function loadSpec(file: string, text: Uint8Array | string, diags: Diagnostics, options: LoadOptions = {}): LoadedSpec | undefined {
  const at = (line: number, col: number) => ({ file, line, col, path: '' });
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  if (bytes.length > loadLimits.maxBytes) {
    // The CLI stops reading just past the limit, so the size shown is a lower bound.
    diags.error('ES1011', `file is larger than ${loadLimits.maxBytes} bytes, the limit for a spec`, at(1, 1));
    return undefined;
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const pos = positionOfByte(bytes, bad);
    diags.error('ES1006', `invalid UTF-8 byte 0x${(bytes[bad] as number).toString(16).padStart(2, '0')} (specs must be UTF-8)`, at(pos.line, pos.col));
    return undefined;
  }
  let source = new TextDecoder('utf-8').decode(bytes);
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  if (source.trim() === '' || stripComments(source).trim() === '') {
    diags.error('ES1007', 'spec file is empty: expected a mapping with domain, source and aggregates', at(1, 1));
    return undefined;
  }
  const loneCr = /\r(?!\n)/.exec(source);
  if (loneCr) {
    // The YAML parser treats a lone CR as text, so such a file would fail with a misleading error.
    const before = source.slice(0, loneCr.index);
    const line = before.split('\n').length;
    diags.error('ES1012', 'line ends with a lone carriage return (classic Mac line endings); save the file with LF or CRLF line endings', at(line, loneCr.index - before.lastIndexOf('\n')));
    return undefined;
  }
  const flowDepth = maxFlowDepth(source);
  if (flowDepth.depth > loadLimits.maxDepth) {
    diags.error('ES1005', `nesting deeper than ${loadLimits.maxDepth} levels`, at(flowDepth.line, flowDepth.col));
    return undefined;
  }

  const fast = options.fast === false ? undefined : parseFast(source, loadLimits.maxDepth);
  if (fast) return fastSpec(file, source, fast);

  const y = yamlLib();
  const { isMap, isPair, isScalar, LineCounter, parseAllDocuments } = y;
  const lineCounter = new LineCounter();
  const posOf = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(source, { lineCounter, uniqueKeys: true, prettyErrors: false, intAsBigInt: true, merge: false }) as Document.Parsed[];
  } catch (e) {
    // The parser recurses on nesting; the flow pre-scan catches most, this catches the rest.
    if (e instanceof RangeError) {
      diags.error('ES1005', `nesting too deep to parse`, at(1, 1));
      return undefined;
    }
    throw e;
  }
  if (!Array.isArray(docs)) {
    diags.error('ES1001', 'YAML syntax error', at(1, 1));
    return undefined;
  }
  let failed = false;
  for (const doc of docs) {
    for (const err of doc.errors) {
      const offset = errorOffset(source, err.code, err.message, err.pos[0]);
      const p = posOf(offset);
      diags.error(yamlCodes[err.code] ?? 'ES1001', yamlMessage(err.code, err.message, source, offset), at(p.line, p.col));
      failed = true;
    }
  }
  if (failed) return undefined;
  if (docs.length > 1) {
    const second = docs[1] as Document.Parsed;
    const p = posOf(second.range[0]);
    diags.error('ES1010', 'a spec file holds one YAML document; split the others into their own files', at(p.line, p.col));
    return undefined;
  }
  const doc = docs[0];
  if (!doc || doc.contents === null) {
    diags.error('ES1007', 'spec file is empty: expected a mapping with domain, source and aggregates', at(1, 1));
    return undefined;
  }
  const deep = findTooDeep(y, doc.contents, 0);
  if (deep) {
    const p = posOf(deep.range?.[0] ?? 0);
    diags.error('ES1005', `nesting deeper than ${loadLimits.maxDepth} levels`, at(p.line, p.col));
    return undefined;
  }
  const problems = nodeProblems(y, doc, source);
  for (const p of problems) {
    const pos = posOf(p.offset);
    if (p.kind === 'tag') {
      diags.error('ES1013', `YAML tag ${p.text} is not used by the DSL: write a plain mapping, list or scalar (a tagged value would be read differently or dropped)`, at(pos.line, pos.col));
    } else if (p.kind === 'complex-key') {
      diags.error('ES1015', 'a mapping key must be a plain scalar, not a mapping or list', at(pos.line, pos.col));
    } else if (p.kind === 'undefined-alias') {
      diags.error('ES1014', `alias *${p.text} refers to no anchor: define &${p.text} before the alias`, at(pos.line, pos.col));
    } else {
      diags.error('ES1014', `alias *${p.text} is inside the node its anchor &${p.text} marks, which would make the value infinitely deep`, at(pos.line, pos.col));
    }
  }
  if (problems.length > 0) return undefined;
  if (!isMap(doc.contents)) {
    const p = posOf(doc.contents.range?.[0] ?? 0);
    diags.error('ES1008', 'a spec must be a mapping (domain: …, source: …, aggregates: …)', at(p.line, p.col));
    return undefined;
  }
  let data: unknown;
  try {
    data = normaliseInts(doc.toJS({ maxAliasCount: loadLimits.maxAliases }));
  } catch (e) {
    if (e instanceof ReferenceError || (e instanceof Error && /alias/i.test(e.message))) {
      const p = posOf(firstAliasOffset(y, doc.contents) ?? 0);
      diags.error('ES1004', `aliases expand to more than ${loadLimits.maxAliases} nodes; refusing (possible alias bomb)`, at(p.line, p.col));
      return undefined;
    }
    throw e;
  }
  const root = doc.contents;
  // Key → pair per mapping, built on first use: resolve locates every declaration, and a linear
  // scan each time made a spec of tens of thousands of types quadratic.
  const index = new WeakMap<object, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let keys = index.get(map);
    if (!keys) {
      keys = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key) && !keys.has(String(p.key.value))) keys.set(String(p.key.value), p);
      index.set(map, keys);
    }
    return keys.get(key);
  };
  return {
    file,
    data,
    source,
    locate(path, which = 'value') {
      const found = findNode(y, root, path, which, pairOf);
      return posOf(found);
    },
  };
}

/** A spec read by load/fast-yaml.ts: the same data and positions the library's path gives. */
function fastSpec(file: string, source: string, fast: FastDoc): LoadedSpec {
  return {
    file,
    data: fast.data,
    source,
    locate(path, which = 'value') {
      const p = linePos(fast.lineStarts, findFastNode(fast.root, path, which));
      return { line: p.line, col: p.col };
    },
  };
}

function yamlMessage(code: string, message: string, source: string, offset: number): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML; use spaces';
    case 'DUPLICATE_KEY': {
      const key = keyAt(source, offset);
      return key === undefined ? 'duplicate key: each key may appear once in a mapping' : `duplicate key \`${key}\`: each key may appear once in a mapping`;
    }
    case 'BAD_INDENT': {
      const flow = flowKind(message);
      if (flow === undefined) return message.replace(/\s+/g, ' ').trim();
      const [open, close] = flow === 'mapping' ? ['{', '}'] : ['[', ']'];
      return `unclosed flow ${flow}: this \`${open}\` has no closing \`${close}\` (a flow ${flow} written over several lines must be indented more than its key)`;
    }
    case 'MISSING_CHAR':
      return /quote/.test(message) ? 'unclosed quoted string: the closing quote is missing' : message.replace(/\s+/g, ' ').trim();
    default:
      return message.replace(/\s+/g, ' ').trim();
  }
}

/** The key written at `offset` (plain or quoted), for messages that name it. */
function keyAt(source: string, offset: number): string | undefined {
  const m = /^(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\n]|'')*)'|([^\s:#,[\]{}][^:#,[\]{}\n]*?))\s*:/.exec(source.slice(offset, offset + 200));
  if (m === null) return undefined;
  const key = m[1] ?? m[2]?.replace(/''/g, "'") ?? m[3];
  return key === undefined || key.length > 60 ? undefined : key;
}

function flowKind(message: string): 'mapping' | 'sequence' | undefined {
  return /^Flow map\b/.test(message) ? 'mapping' : /^Flow sequence\b/.test(message) ? 'sequence' : undefined;
}

/** The last `open` bracket before `end` still open there (outside quotes and comments). */
function unclosedOpener(source: string, end: number, open: string): number | undefined {
  const stack: { ch: string; at: number }[] = [];
  let quote: string | null = null;
  let comment = false;
  for (let i = 0; i < end; i++) {
    const ch = source[i] as string;
    if (ch === '\n') {
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(source[i - 1] as string))) comment = true;
    else if (ch === '[' || ch === '{') stack.push({ ch, at: i });
    else if (ch === ']' || ch === '}') stack.pop();
  }
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i]?.ch === open) return stack[i]?.at;
  return undefined;
}

/**
 * The parser reports an unclosed quote or flow collection where it gave up (the end of input,
 * or the next line); the user needs the opening quote or bracket.
 */
function errorOffset(source: string, code: string, message: string, offset: number): number {
  if (code === 'BAD_INDENT') {
    const flow = flowKind(message);
    const open = flow === undefined ? undefined : unclosedOpener(source, offset, flow === 'mapping' ? '{' : '[');
    if (open !== undefined) return open;
  }
  if (code === 'MISSING_CHAR') {
    const quote = /closing (["'])/.exec(message)?.[1];
    if (quote) {
      const open = source.lastIndexOf(quote, Math.max(0, offset - 1));
      if (open >= 0) return open;
    }
  }
  return offset;
}

function stripComments(source: string): string {
  return source.replace(/^\s*#.*$/gm, '');
}

/** Deepest `[`/`{` nesting outside quotes and comments, found without recursion. */
function maxFlowDepth(source: string): { depth: number; line: number; col: number } {
  let depth = 0;
  let line = 1;
  let col = 0;
  let quote: string | null = null;
  let comment = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    col++;
    if (ch === '\n') {
      line++;
      col = 0;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') comment = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth > loadLimits.maxDepth) return { depth, line, col };
    } else if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
  }
  return { depth: 0, line: 1, col: 1 };
}

function findTooDeep(y: YamlLib, node: unknown, depth: number): Node | undefined {
  if (depth > loadLimits.maxDepth) return node as Node;
  const { isMap, isSeq } = y;
  if (isMap(node)) {
    for (const pair of node.items) {
      const hit = findTooDeep(y, pair.value, depth + 1);
      if (hit) return hit;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const hit = findTooDeep(y, item, depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

function firstAliasOffset(y: YamlLib, node: unknown): number | undefined {
  const { isAlias, isMap, isSeq } = y;
  if (isAlias(node)) return node.range?.[0];
  const children = isMap(node) ? node.items.map((p) => p.value) : isSeq(node) ? node.items : [];
  for (const child of children) {
    const hit = firstAliasOffset(y, child);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Small integers as numbers, large ones as bigint: exact without burdening every check with bigint. */
function normaliseInts(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (Array.isArray(value)) return value.map(normaliseInts);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    // A null-prototype object: a key named __proto__ must stay data, never become a prototype.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[k] = normaliseInts(v);
    return out;
  }
  return value;
}

/** Offset of the node at `path`, or of the nearest ancestor that exists. */
function findNode(y: YamlLib, root: Node, path: readonly PathSegment[], which: 'key' | 'value', pairOf: (map: YAMLMap, key: string) => Pair | undefined): number {
  const { isMap, isSeq } = y;
  let node: unknown = root;
  let offset = root.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairOf(node, String(seg));
      if (!pair) return offset;
      const keyNode = pair.key as Node;
      if (last && which === 'key') return keyNode.range?.[0] ?? offset;
      const valueNode = pair.value as Node | null;
      offset = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? offset;
      node = valueNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
