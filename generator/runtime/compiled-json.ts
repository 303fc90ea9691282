/**
 * Per-schema Avro JSON encoder and decoder, generated as JavaScript source and compiled once
 * per codec, like the binary one (compiled.ts). The generic path (json-text.ts's parser, then
 * jsonToDatum and fromDatum; toDatum then datumToJson) walks the schema tree per value and
 * builds a Map and a number object per JSON value: it was most of the CPU a saga transition
 * spends on its stored context (issue 17).
 *
 * Encoding writes the text of `datumToJson(toDatum(value))` directly. Decoding lets the
 * engine's JSON.parse read the text, converts what it returns (longs must be safe integers
 * there, or the generic path decides), and then accepts the value only if encoding it gives
 * back the very text it was read from. That check is what makes the fast path exact: text that
 * is not the canonical encoding of some value (field order, whitespace, escapes, `1.0` for a
 * long, a number JSON.parse rounded, a non-minimal decimal, unknown or duplicate fields, …)
 * goes to the generic path, and for canonical text the generic path reads back exactly the
 * value encoded. test/runtime/compiled-json.test.ts compares the two paths.
 */
import { CodecSource, fieldKey, GIVE_UP, helpers, LOGICAL, looksLike, OBJECTS, read } from './compiled.js';
import type { SchemaNode, UnionNode } from './schema.js';

export interface CompiledJson {
  /** The Avro JSON text, or undefined when the generic path must decide. */
  encode(value: unknown): string | undefined;
  /** The decoded value, or `GIVE_UP` when the generic path must decide. */
  decode(text: string): unknown;
}

const RUNTIME = `
const B = h.GIVE_UP;
${LOGICAL}
${OBJECTS}
const q = JSON.stringify;
function eNull(v) { if (v !== null) throw B; return 'null'; }
function eBool(v) { if (v === true) return 'true'; if (v === false) return 'false'; throw B; }
function eInt(v) { if (typeof v !== 'number' || (v | 0) !== v) throw B; return String(v | 0); }
function eTimeMillis(v) { if (typeof v !== 'number' || (v | 0) !== v || v < 0 || v >= 86400000) throw B; return String(v | 0); }
function eLong(v) { if (typeof v !== 'bigint' || v < h.LONG_MIN || v > h.LONG_MAX) throw B; return String(v); }
function fmt(n) {
  if (n !== n) return '"NaN"';
  if (n === Infinity) return '"Infinity"';
  if (n === -Infinity) return '"-Infinity"';
  return Object.is(n, -0) ? '-0.0' : String(n);
}
function eFloat(v) { if (typeof v !== 'number') throw B; return fmt(Math.fround(v)); }
function eDouble(v) { if (typeof v !== 'number') throw B; return fmt(v); }
/** Characters JSON.stringify escapes, and surrogates (a lone one is not a valid string). */
const SPECIAL = /[\\u0000-\\u001f"\\\\\\ud800-\\udfff]/;
function str(v) {
  if (!SPECIAL.test(v)) return '"' + v + '"';
  if (!v.isWellFormed()) throw B;
  return q(v);
}
function eStr(v) { if (typeof v !== 'string') throw B; return str(v); }
function eUuid(v) { if (typeof v !== 'string' || !h.UUID.test(v)) throw B; return q(v); }
function latin1(bytes) {
  if (bytes.length > 64) return q(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return q(s);
}
function eBytes(v) { if (!(v instanceof Uint8Array)) throw B; return latin1(v); }
function eFixed(v, size) { if (!(v instanceof Uint8Array) || v.length !== size) throw B; return latin1(v); }
function eDate(v) { if (typeof v !== 'string') throw B; const d = dateDays(v); if (typeof d !== 'number') throw B; return String(d); }
function eTimestampMillis(v) { if (!(v instanceof Date)) throw B; const ms = v.getTime(); if (ms !== ms) throw B; return String(ms); }
function eDecimal(v, precision, scale, size) { return latin1(decimalBytes(v, precision, scale, size)); }
function eEnum(v, symbols) { if (typeof v !== 'string') throw B; const t = symbols.get(v); if (t === undefined) throw B; return t; }
function dLong(p) { if (!Number.isSafeInteger(p)) throw B; return BigInt(p); }
function dFloat(p) { return Math.fround(dDouble(p)); }
function dDouble(p) {
  if (typeof p === 'number') return p;
  if (p === 'NaN') return NaN;
  if (p === 'Infinity') return Infinity;
  if (p === '-Infinity') return -Infinity;
  throw B;
}
function dBytes(p) {
  if (typeof p !== 'string') throw B;
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c > 255) throw B;
    out[i] = c;
  }
  return out;
}
function dDate(p) { if (typeof p !== 'number' || (p | 0) !== p) throw B; return dateText(p); }
function dTimestampMillis(p) { if (!Number.isSafeInteger(p) || p > 8640000000000000 || p < -8640000000000000) throw B; return new Date(p); }
/** Like compiled.ts's rDecimal: up to 6 bytes in doubles, the rest through bigint. */
function dDecimal(p, precision, scale) {
  if (typeof p !== 'string') throw B;
  const n = p.length;
  if (n > 6) {
    const big = h.fromTwosComplement(dBytes(p));
    if ((big < 0n ? -big : big).toString().length > precision) throw B;
    return h.formatDecimal(big, scale);
  }
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c > 255) throw B;
    v = i === 0 ? (c > 127 ? c - 256 : c) : v * 256 + c;
  }
  const digits = String(v < 0 ? -v : v);
  if (digits.length > precision) throw B;
  const sign = v < 0 ? '-' : '';
  if (scale === 0) return sign + digits;
  const padded = digits.padStart(scale + 1, '0');
  return sign + padded.slice(0, -scale) + '.' + padded.slice(-scale);
}
`;

/** Generates the source of the encoder and decoder for one schema. */
class Generator extends CodecSource {
  source(root: SchemaNode): string {
    const encodeRoot = this.encode(root, 'value');
    const decodeRoot = this.decode(root, 'p');
    return [
      RUNTIME,
      ...this.constants,
      ...this.functions,
      `function encodeRoot(value) { return ${encodeRoot}; }`,
      `function decodeRoot(p) { return ${decodeRoot}; }`,
      `return {
  encode(value) {
    try { return encodeRoot(value); } catch { return undefined; }
  },
  decode(text) {
    try {
      const v = decodeRoot(JSON.parse(text));
      return encodeRoot(v) === text ? v : B;
    } catch {
      return B;
    }
  },
};`,
    ].join('\n');
  }

  private record(node: SchemaNode & { kind: 'record' }): number {
    return this.recordId(node, (id) => {
      const parts = node.fields.map((f, i) => `${JSON.stringify(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`)} + ${this.encode(f.type, read('v', f.name))}`);
      const body = parts.length === 0 ? `'{}'` : `${parts.join(' + ')} + '}'`;
      this.functions.push(`function e${id}(v) { if (!isDict(v)) throw B; return ${body}; }`);
      const values = node.fields.map((f) => `${fieldKey(f.name)}: ${this.decode(f.type, read('p', f.name))}`);
      this.functions.push(`function d${id}(p) { if (!isDict(p)) throw B; return { ${values.join(', ')} }; }`);
    });
  }

  /** An expression: the text of `v` (an expression without side effects) as `node`, throwing B for anything not plainly valid. */
  private encode(node: SchemaNode, v: string): string {
    switch (node.kind) {
      case 'null': return `eNull(${v})`;
      case 'boolean': return `eBool(${v})`;
      case 'int': return `eInt(${v})`;
      case 'time-millis': return `eTimeMillis(${v})`;
      case 'long': case 'timestamp-micros': return `eLong(${v})`;
      case 'float': return `eFloat(${v})`;
      case 'double': return `eDouble(${v})`;
      case 'string': return `eStr(${v})`;
      case 'uuid': return `eUuid(${v})`;
      case 'bytes': return `eBytes(${v})`;
      case 'fixed': return `eFixed(${v}, ${node.size})`;
      case 'enum': {
        const symbols = this.constant('S', `new Map(${JSON.stringify(node.symbols.map((s) => [s, JSON.stringify(s)]))})`);
        return `eEnum(${v}, ${symbols})`;
      }
      case 'date': return `eDate(${v})`;
      case 'timestamp-millis': return `eTimestampMillis(${v})`;
      case 'decimal': {
        const size = node.underlying.kind === 'fixed' ? String((node.underlying as { size: number }).size) : 'undefined';
        return `eDecimal(${v}, ${node.precision}, ${node.scale}, ${size})`;
      }
      case 'array': {
        const f = this.name('ea');
        this.functions.push(`function ${f}(v) {
  if (!Array.isArray(v)) throw B;
  let s = '[';
  for (let i = 0; i < v.length; i++) { const x = v[i]; s += (i === 0 ? '' : ',') + ${this.encode(node.items, 'x')}; }
  return s + ']';
}`);
        return `${f}(${v})`;
      }
      case 'map': {
        const f = this.name('em');
        this.functions.push(`function ${f}(v) {
  if (!isDict(v)) throw B;
  let s = '{';
  let first = true;
  for (const k of Object.keys(v)) {
    if (!k.isWellFormed()) throw B;
    const x = own(v, k);
    s += (first ? '' : ',') + q(k) + ':' + ${this.encode(node.values, 'x')};
    first = false;
  }
  return s + '}';
}`);
        return `${f}(${v})`;
      }
      case 'record':
        return `e${this.record(node)}(${v})`;
      case 'union':
        return node.wrapped ? this.encodeWrapped(node, v) : this.encodeBare(node, v);
    }
  }

  /** The first branch whose shape fits, like datum.ts (at most one non-null branch fits a value, schema.ts). */
  private encodeBare(node: UnionNode, v: string): string {
    const f = this.name('eu');
    const arms = node.branches.map((branch, i) => {
      const text = branch.kind === 'null' ? `'null'` : `${JSON.stringify(`{${JSON.stringify(node.branchNames[i])}:`)} + ${this.encode(branch, 'v')} + '}'`;
      return `if (${looksLike(branch, 'v')}) return ${text};`;
    });
    this.functions.push(`function ${f}(v) { ${arms.join(' ')} throw B; }`);
    return `${f}(${v})`;
  }

  private encodeWrapped(node: UnionNode, v: string): string {
    const f = this.name('ew');
    const hasNull = node.branches.some((b) => b.kind === 'null');
    const cases = node.branches.map((branch, i) => branch.kind === 'null' ? ''
      : `case ${JSON.stringify(node.branchNames[i])}: return ${JSON.stringify(`{${JSON.stringify(node.branchNames[i])}:`)} + ${this.encode(branch, 'x')} + '}';`);
    this.functions.push(`function ${f}(v) {
  if (v === null) { ${hasNull ? `return 'null';` : 'throw B;'} }
  if (!isDict(v)) throw B;
  const k = Object.keys(v);
  if (k.length !== 1) throw B;
  const x = own(v, k[0]);
  switch (k[0]) { ${cases.join(' ')} default: throw B; }
}`);
    return `${f}(${v})`;
  }

  /**
   * An expression: the value of `p` (what JSON.parse returned; an expression without side
   * effects) as `node`. Values JSON represents as they are (strings, booleans, ints, null)
   * pass unchecked: the encoding that verifies every decoded value rejects what is wrong.
   */
  private decode(node: SchemaNode, p: string): string {
    switch (node.kind) {
      case 'null': case 'boolean': case 'int': case 'time-millis': case 'string': case 'uuid': case 'enum':
        return p;
      case 'long': case 'timestamp-micros': return `dLong(${p})`;
      case 'float': return `dFloat(${p})`;
      case 'double': return `dDouble(${p})`;
      case 'bytes': case 'fixed': return `dBytes(${p})`;
      case 'date': return `dDate(${p})`;
      case 'timestamp-millis': return `dTimestampMillis(${p})`;
      case 'decimal': return `dDecimal(${p}, ${node.precision}, ${node.scale})`;
      case 'array': {
        const f = this.name('da');
        this.functions.push(`function ${f}(p) {
  if (!Array.isArray(p)) throw B;
  const out = new Array(p.length);
  for (let i = 0; i < p.length; i++) { const y = p[i]; out[i] = ${this.decode(node.items, 'y')}; }
  return out;
}`);
        return `${f}(${p})`;
      }
      case 'map': {
        const f = this.name('dm');
        this.functions.push(`function ${f}(p) {
  if (!isDict(p)) throw B;
  const out = {};
  for (const k of Object.keys(p)) { const y = own(p, k); setOwn(out, k, ${this.decode(node.values, 'y')}); }
  return out;
}`);
        return `${f}(${p})`;
      }
      case 'record':
        return `d${this.record(node)}(${p})`;
      case 'union': {
        const f = this.name('du');
        const cases = node.branches.map((branch, i) => {
          if (branch.kind === 'null') return '';
          const name = JSON.stringify(node.branchNames[i]);
          const inner = this.decode(branch, 'y');
          return `case ${name}: return ${node.wrapped ? `{ [${name}]: ${inner} }` : inner};`;
        });
        this.functions.push(`function ${f}(p) {
  if (p === null) return null;
  if (!isDict(p)) throw B;
  const k = Object.keys(p);
  if (k.length !== 1) throw B;
  const y = own(p, k[0]);
  switch (k[0]) { ${cases.join(' ')} default: throw B; }
}`);
        return `${f}(${p})`;
      }
    }
  }
}


/** Compiles the JSON encoder and decoder for a parsed schema. */
export function compileJson(root: SchemaNode): CompiledJson {
  const source = new Generator().source(root);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is generated from a parsed schema; names are JSON-quoted
  return new Function('h', source)(helpers) as CompiledJson;
}
