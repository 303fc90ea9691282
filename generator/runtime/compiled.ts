/**
 * Per-schema binary encoder and decoder, generated as JavaScript source and compiled once
 * per codec. Walking the schema tree per value (toDatum → avsc → fromDatum, datum.ts) made
 * a round trip cost ~5× raw avsc; specialised code reads and writes the bytes directly.
 *
 * The compiled code only handles the valid, canonical case: whenever a value or an input
 * is anything else (wrong type, truncated bytes, a long beyond 2^53 that needs care, …) it
 * gives up and the codec re-runs the generic path, which produces the value or the exact,
 * path-aware error. So compiled code must never succeed where the generic path would fail
 * or produce a different result — test/runtime/compiled.test.ts compares the two.
 */
import { civilFromDays, daysFromCivil, formatDate, formatDecimal, fromTwosComplement, parseDate, parseDecimal, toTwosComplement, UUID_PATTERN } from './logical.js';
import type { SchemaNode, UnionNode } from './schema.js';

export interface CompiledBinary {
  /** The Avro binary encoding, or undefined when the generic path must decide. */
  encode(value: unknown): Buffer | undefined;
  /** The decoded value, or `GIVE_UP` when the generic path must decide. */
  decode(bytes: Buffer): unknown;
}

/** Returned by `decode` (a value cannot be this object) when the generic path must decide. */
export const GIVE_UP: unknown = Object.freeze({ giveUp: true });

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const TWO_64 = 2n ** 64n;

/**
 * Conversions of logical values the binary and the JSON code share (compiled-json.ts); they
 * throw `B` (the code's give-up marker) for what the generic path must decide.
 */
/** Source of the generated codecs' object helpers: a record or map value, and own fields named `__proto__`. */
export const OBJECTS = `function isDict(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}
function own(v, k) {
  return k === '__proto__' ? Object.getOwnPropertyDescriptor(v, k)?.value : v[k];
}
function setOwn(o, k, x) {
  if (k === '__proto__') Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
  else o[k] = x;
}`;

export const LOGICAL = `
const DECIMAL = /^(-?)(\\d+)(?:\\.(\\d+))?$/;
/** Two's-complement big-endian bytes of a decimal's unscaled value; size is fixed's, or undefined (minimal). */
function decimalBytes(s, precision, scale, size) {
  if (typeof s !== 'string') throw B;
  const m = s.length <= 15 ? DECIMAL.exec(s) : null;
  if (m === null || m[2].length + scale > 15) {
    const big = h.parseDecimal(s, precision, scale);
    if (typeof big !== 'bigint') throw B;
    return h.toTwosComplement(big, size);
  }
  const fraction = m[3] ?? '';
  if (fraction.length > scale) throw B;
  const magnitude = Number(m[2] + fraction.padEnd(scale, '0'));
  if (!(magnitude < 10 ** precision)) throw B;
  const negative = m[1] === '-' && magnitude !== 0;
  // Non-negative x whose bytes, inverted for a negative value, are the two's complement.
  let x = negative ? magnitude - 1 : magnitude;
  let length = size ?? 1;
  if (size === undefined) while (x >= 2 ** (8 * length - 1)) length++;
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    const b = x % 256;
    out[i] = negative ? 255 - b : b;
    x = Math.floor(x / 256);
  }
  return out;
}
/** Days since the epoch of a YYYY-MM-DD date with a four-digit year; other forms go to parseDate. */
function dateDays(s) {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return h.parseDate(s);
  let year = 0;
  for (let i = 0; i < 4; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return h.parseDate(s);
    year = year * 10 + c;
  }
  const m1 = s.charCodeAt(5) - 48, m2 = s.charCodeAt(6) - 48, d1 = s.charCodeAt(8) - 48, d2 = s.charCodeAt(9) - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return h.parseDate(s);
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const length = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > length) throw B;
  return h.daysFromCivil(year, month, day);
}
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);
/** formatDate for years 0000–9999 (days −719528 … 2932896), the rest by formatDate. */
function dateText(days) {
  if (days < -719528 || days > 2932896) return h.formatDate(days);
  const { year, month, day } = h.civilFromDays(days);
  return TWO_DIGITS[Math.floor(year / 100)] + TWO_DIGITS[year % 100] + '-' + TWO_DIGITS[month] + '-' + TWO_DIGITS[day];
}
`;

/** Shared helpers the generated source calls; kept out of the source so it stays small. */
const RUNTIME = `
const B = h.GIVE_UP;
let buf = Buffer.allocUnsafeSlow(1024);
let pos = 0;
let end = 0;
/** The bytes being decoded; emptied afterwards so the codec does not keep them alive. */
let rb = Buffer.alloc(0);
const NONE = rb;
function grow(n) {
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  buf.copy(next, 0, 0, pos);
  buf = next;
}
${OBJECTS}
function wInt(n) {
  if (pos + 5 > buf.length) grow(5);
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z > 0x7f) { buf[pos++] = (z & 0x7f) | 0x80; z >>>= 7; }
  buf[pos++] = z;
}
function wNum(n) {
  if (n >= -1073741824 && n < 1073741824) return wInt(n);
  if (!(n > -4503599627370496 && n < 4503599627370496)) return wBig(BigInt(n));
  if (pos + 10 > buf.length) grow(10);
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z > 0x7fffffff) { buf[pos++] = (z % 128) | 128; z = Math.floor(z / 128); }
  while (z > 0x7f) { buf[pos++] = (z & 0x7f) | 0x80; z >>>= 7; }
  buf[pos++] = z;
}
function wBig(n) {
  if (n < h.LONG_MIN || n > h.LONG_MAX) throw B;
  if (pos + 10 > buf.length) grow(10);
  let z = n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
  while (z >= 128n) { buf[pos++] = Number(z & 127n) | 128; z >>= 7n; }
  buf[pos++] = Number(z);
}
function wLong(n) {
  if (typeof n !== 'bigint') throw B;
  const x = Number(n);
  if (x > -4503599627370496 && x < 4503599627370496) wNum(x);
  else wBig(n);
}
function wStr(s) {
  const n = s.length;
  if (n < 22) {
    if (pos + 1 + 3 * n > buf.length) grow(1 + 3 * n);
    const start = pos++;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) buf[pos++] = c;
      else if (c < 0x800) { buf[pos++] = 0xc0 | (c >> 6); buf[pos++] = 0x80 | (c & 0x3f); }
      else if (c < 0xd800 || c > 0xdfff) {
        buf[pos++] = 0xe0 | (c >> 12); buf[pos++] = 0x80 | ((c >> 6) & 0x3f); buf[pos++] = 0x80 | (c & 0x3f);
      } else {
        const d = s.charCodeAt(i + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) throw B;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (cp >> 18); buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((cp >> 6) & 0x3f); buf[pos++] = 0x80 | (cp & 0x3f);
      }
    }
    buf[start] = (pos - start - 1) << 1;
    return;
  }
  if (!s.isWellFormed()) throw B;
  const len = Buffer.byteLength(s);
  wInt(len);
  if (pos + len > buf.length) grow(len);
  pos += buf.utf8Write(s, pos, len);
}
function wRaw(bytes) {
  if (pos + bytes.length > buf.length) grow(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}
function wBytes(bytes) {
  wInt(bytes.length);
  wRaw(bytes);
}
function wFloat(v) {
  if (typeof v !== 'number') throw B;
  if (pos + 4 > buf.length) grow(4);
  buf.writeFloatLE(Math.fround(v), pos);
  pos += 4;
}
function wDouble(v) {
  if (typeof v !== 'number') throw B;
  if (pos + 8 > buf.length) grow(8);
  buf.writeDoubleLE(v, pos);
  pos += 8;
}
${LOGICAL}function rNum() {
  let b = rb[pos++];
  let z = b & 0x7f;
  let m = 128;
  while (b & 0x80) {
    if (m > 4398046511104) throw B;
    b = rb[pos++];
    z += (b & 0x7f) * m;
    m *= 128;
  }
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
function rInt() {
  const n = rNum();
  if ((n | 0) !== n) throw B;
  return n;
}
function rBig() {
  let z = 0n;
  let shift = 0n;
  let b;
  do {
    b = rb[pos++];
    if (b === undefined || shift > 63n) throw B;
    z |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (z >= h.TWO_64) throw B;
  return (z >> 1n) ^ -(z & 1n);
}
/** Up to 8 bytes in doubles while exact (below 2^53), the rest in bigints. */
function rLong() {
  const start = pos;
  let b = rb[pos++];
  let z = b & 0x7f;
  let m = 128;
  while (b & 0x80) {
    if (m > 562949953421312) { pos = start; return rBig(); }
    b = rb[pos++];
    z += (b & 0x7f) * m;
    m *= 128;
  }
  if (z > 9007199254740991) { pos = start; return rBig(); }
  return BigInt(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
}
function rTimestampMillis() {
  const start = pos;
  let b = rb[pos++];
  let z = b & 0x7f;
  let m = 128;
  while (b & 0x80) {
    if (m > 4398046511104) {
      pos = start;
      const big = rBig();
      if (big > 8640000000000000n || big < -8640000000000000n) throw B;
      return new Date(Number(big));
    }
    b = rb[pos++];
    z += (b & 0x7f) * m;
    m *= 128;
  }
  return new Date(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
}
function rLength() {
  const n = rNum();
  if (n < 0 || pos + n > end) throw B;
  return n;
}
function rStr() {
  const n = rLength();
  if (n < 16) {
    let s = '';
    for (let i = pos; i < pos + n; i++) {
      const c = rb[i];
      if (c >= 0x80) { s = rb.utf8Slice(pos, pos + n); break; }
      s += String.fromCharCode(c);
    }
    pos += n;
    return s;
  }
  const s = rb.utf8Slice(pos, pos + n);
  pos += n;
  return s;
}
function rRaw(n) {
  if (pos + n > end) throw B;
  const out = new Uint8Array(n);
  out.set(rb.subarray(pos, pos + n));
  pos += n;
  return out;
}
function rDecimal(n, precision, scale) {
  if (pos + n > end) throw B;
  if (n > 6) {
    const big = h.fromTwosComplement(rb.subarray(pos, pos + n));
    pos += n;
    if ((big < 0n ? -big : big).toString().length > precision) throw B;
    return h.formatDecimal(big, scale);
  }
  let v = 0;
  if (n > 0) {
    v = rb[pos] > 127 ? rb[pos] - 256 : rb[pos];
    for (let i = 1; i < n; i++) v = v * 256 + rb[pos + i];
  }
  pos += n;
  const digits = String(v < 0 ? -v : v);
  if (digits.length > precision) throw B;
  const sign = v < 0 ? '-' : '';
  if (scale === 0) return sign + digits;
  const padded = digits.padStart(scale + 1, '0');
  return sign + padded.slice(0, -scale) + '.' + padded.slice(-scale);
}
function rBool() {
  const b = rb[pos++];
  if (b === 0) return false;
  if (b === 1) return true;
  throw B;
}
function rFloat() {
  const v = rb.readFloatLE(pos);
  pos += 4;
  return v;
}
function rDouble() {
  const v = rb.readDoubleLE(pos);
  pos += 8;
  return v;
}
function rTimeMillis() {
  const n = rInt();
  if (n < 0 || n >= 86400000) throw B;
  return n;
}
function rUuid() {
  const s = rStr();
  if (!h.UUID.test(s)) throw B;
  return s;
}
function rEnum(symbols) {
  const s = symbols[rNum()];
  if (s === undefined) throw B;
  return s;
}
/** Array and map blocks; a negative count is followed by the block's size in bytes. */
function rCount() {
  let n = rNum();
  if (n < 0) { n = -n; rNum(); }
  if (n > end - pos && n > 1000000) throw B;
  return n;
}
`;

/**
 * What the binary and the JSON code generators share: the constants and functions of the source
 * they build, fresh local names, and one pair of functions (`e<id>`, `d<id>`) per record.
 */
export abstract class CodecSource {
  protected readonly functions: string[] = [];
  protected readonly constants: string[] = [];
  private readonly recordIds = new Map<SchemaNode, number>();
  private temp = 0;

  protected name(prefix: string): string {
    return `${prefix}${this.temp++}`;
  }

  protected constant(prefix: string, expression: string): string {
    const name = this.name(prefix);
    this.constants.push(`const ${name} = ${expression};`);
    return name;
  }

  /** The id of a record's functions; `define` writes them the first time, after the id is taken, so recursive records call themselves. */
  protected recordId(node: SchemaNode & { kind: 'record' }, define: (id: number) => void): number {
    let id = this.recordIds.get(node);
    if (id === undefined) {
      id = this.recordIds.size;
      this.recordIds.set(node, id);
      define(id);
    }
    return id;
  }
}

/** A record field's name as an object-literal key (`__proto__` computed, so it stays an own field). */
export function fieldKey(name: string): string {
  return name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
}

/** The expression reading field `key` of object `v` (an own `__proto__` through `own`). */
export function read(v: string, key: string): string {
  return key === '__proto__' ? `own(${v}, "__proto__")` : `${v}[${JSON.stringify(key)}]`;
}

/** Generates the source of the encoder and decoder for one schema. */
class Generator extends CodecSource {
  source(root: SchemaNode): string {
    const encodeRoot = this.encode(root, 'value');
    const decodeRoot = this.decode(root);
    return [
      RUNTIME,
      ...this.constants,
      ...this.functions,
      `function encodeRoot(value) { ${encodeRoot} }`,
      `function decodeRoot() { return ${decodeRoot}; }`,
      `return {
  encode(value) {
    pos = 0;
    try { encodeRoot(value); } catch { return undefined; }
    const out = Buffer.allocUnsafeSlow(pos);
    buf.copy(out, 0, 0, pos);
    return out;
  },
  decode(bytes) {
    rb = bytes; pos = 0; end = bytes.length;
    try {
      const v = decodeRoot();
      return pos === end ? v : B;
    } catch {
      return B;
    } finally {
      rb = NONE;
    }
  },
};`,
    ].join('\n');
  }

  private record(node: SchemaNode & { kind: 'record' }): number {
    return this.recordId(node, (id) => {
      const v = 'v';
      const fields = node.fields.map((f) => {
        const x = this.name('x');
        return `const ${x} = ${read(v, f.name)}; ${this.encode(f.type, x)}`;
      });
      this.functions.push(`function e${id}(${v}) { if (!isDict(${v})) throw B; ${fields.join(' ')} }`);
      const values = node.fields.map((f) => `${fieldKey(f.name)}: ${this.decode(f.type)}`);
      this.functions.push(`function d${id}() { return { ${values.join(', ')} }; }`);
    });
  }

  /** Statements writing `v` (a variable name) as `node`, throwing B for anything not plainly valid. */
  private encode(node: SchemaNode, v: string): string {
    switch (node.kind) {
      case 'null': return `if (${v} !== null) throw B;`;
      case 'boolean': return `if (typeof ${v} !== 'boolean') throw B; if (pos + 1 > buf.length) grow(1); buf[pos++] = ${v} ? 1 : 0;`;
      case 'int': return `if (typeof ${v} !== 'number' || (${v} | 0) !== ${v}) throw B; wInt(${v} | 0);`;
      case 'time-millis': return `if (typeof ${v} !== 'number' || (${v} | 0) !== ${v} || ${v} < 0 || ${v} >= 86400000) throw B; wInt(${v} | 0);`;
      case 'long': case 'timestamp-micros': return `wLong(${v});`;
      case 'float': return `wFloat(${v});`;
      case 'double': return `wDouble(${v});`;
      case 'string': return `if (typeof ${v} !== 'string') throw B; wStr(${v});`;
      case 'uuid': return `if (typeof ${v} !== 'string' || !h.UUID.test(${v})) throw B; wStr(${v});`;
      case 'bytes': return `if (!(${v} instanceof Uint8Array)) throw B; wBytes(${v});`;
      case 'fixed': return `if (!(${v} instanceof Uint8Array) || ${v}.length !== ${node.size}) throw B; wRaw(${v});`;
      case 'enum': {
        const symbols = this.constant('S', `new Map(${JSON.stringify(node.symbols.map((s, i) => [s, i]))})`);
        const i = this.name('i');
        return `const ${i} = ${symbols}.get(${v}); if (${i} === undefined) throw B; wInt(${i});`;
      }
      case 'date': {
        const d = this.name('d');
        return `if (typeof ${v} !== 'string') throw B; const ${d} = dateDays(${v}); if (typeof ${d} !== 'number') throw B; wInt(${d});`;
      }
      case 'timestamp-millis': {
        const ms = this.name('ms');
        return `if (!(${v} instanceof Date)) throw B; const ${ms} = ${v}.getTime(); if (${ms} !== ${ms}) throw B; wNum(${ms});`;
      }
      case 'decimal': {
        const fixed = node.underlying.kind === 'fixed';
        const call = `decimalBytes(${v}, ${node.precision}, ${node.scale}, ${fixed ? String((node.underlying as { size: number }).size) : 'undefined'})`;
        return fixed ? `wRaw(${call});` : `wBytes(${call});`;
      }
      case 'array': {
        const n = this.name('n');
        const i = this.name('i');
        const x = this.name('x');
        return `if (!Array.isArray(${v})) throw B; const ${n} = ${v}.length; if (${n} > 0) { wNum(${n}); for (let ${i} = 0; ${i} < ${n}; ${i}++) { const ${x} = ${v}[${i}]; ${this.encode(node.items, x)} } } wInt(0);`;
      }
      case 'map': {
        const keys = this.name('k');
        const key = this.name('key');
        const x = this.name('x');
        return `if (!isDict(${v})) throw B; const ${keys} = Object.keys(${v}); if (${keys}.length > 0) { wNum(${keys}.length); for (const ${key} of ${keys}) { wStr(${key}); const ${x} = own(${v}, ${key}); ${this.encode(node.values, x)} } } wInt(0);`;
      }
      case 'record':
        return `e${this.record(node)}(${v});`;
      case 'union':
        return node.wrapped ? this.encodeWrapped(node, v) : this.encodeBare(node, v);
    }
  }

  /** At most one non-null branch of an unwrapped union takes a given kind of value (schema.ts). */
  private encodeBare(node: UnionNode, v: string): string {
    const arms = node.branches.map((branch, i) => {
      const test = looksLike(branch, v);
      return `if (${test}) { wInt(${i}); ${this.encode(branch, v)} }`;
    });
    return `${arms.join(' else ')} else throw B;`;
  }

  private encodeWrapped(node: UnionNode, v: string): string {
    const nullIndex = node.branches.findIndex((b) => b.kind === 'null');
    const keys = this.name('k');
    const x = this.name('x');
    const cases = node.branches.map((branch, i) => branch.kind === 'null' ? ''
      : `case ${JSON.stringify(node.branchNames[i])}: { wInt(${i}); const ${x} = own(${v}, ${keys}[0]); ${this.encode(branch, x)} break; }`);
    return `if (${v} === null) { ${nullIndex < 0 ? 'throw B;' : `wInt(${nullIndex});`} } else {
      if (!isDict(${v})) throw B; const ${keys} = Object.keys(${v}); if (${keys}.length !== 1) throw B;
      switch (${keys}[0]) { ${cases.join(' ')} default: throw B; } }`;
  }

  /** An expression reading one `node` value. */
  private decode(node: SchemaNode): string {
    switch (node.kind) {
      case 'null': return 'null';
      case 'boolean': return 'rBool()';
      case 'int': return 'rInt()';
      case 'time-millis': return 'rTimeMillis()';
      case 'long': case 'timestamp-micros': return 'rLong()';
      case 'float': return 'rFloat()';
      case 'double': return 'rDouble()';
      case 'string': return 'rStr()';
      case 'uuid': return 'rUuid()';
      case 'bytes': return 'rRaw(rLength())';
      case 'fixed': return `rRaw(${node.size})`;
      case 'enum': {
        const symbols = this.constant('Y', JSON.stringify(node.symbols));
        return `rEnum(${symbols})`;
      }
      case 'date': return 'dateText(rInt())';
      case 'timestamp-millis': return 'rTimestampMillis()';
      case 'decimal':
        return node.underlying.kind === 'fixed'
          ? `rDecimal(${node.underlying.size}, ${node.precision}, ${node.scale})`
          : `rDecimal(rLength(), ${node.precision}, ${node.scale})`;
      case 'array': {
        const f = this.name('a');
        this.functions.push(`function ${f}() {
  const out = [];
  for (let n = rCount(); n !== 0; n = rCount()) {
    for (; n > 0; n--) { if (pos > end) throw B; out.push(${this.decode(node.items)}); }
  }
  return out;
}`);
        return `${f}()`;
      }
      case 'map': {
        const f = this.name('m');
        this.functions.push(`function ${f}() {
  const out = {};
  for (let n = rCount(); n !== 0; n = rCount()) {
    for (; n > 0; n--) { if (pos > end) throw B; const k = rStr(); setOwn(out, k, ${this.decode(node.values)}); }
  }
  return out;
}`);
        return `${f}()`;
      }
      case 'record':
        return `d${this.record(node)}()`;
      case 'union': {
        const f = this.name('u');
        const cases = node.branches.map((branch, i) => {
          const inner = this.decode(branch);
          const value = branch.kind === 'null' || !node.wrapped ? inner
            : `{ [${JSON.stringify(node.branchNames[i])}]: ${inner} }`;
          return `case ${i}: return ${value};`;
        });
        this.functions.push(`function ${f}() { switch (rNum()) { ${cases.join(' ')} default: throw B; } }`);
        return `${f}()`;
      }
    }
  }
}

/** The outer shape test datum.ts's `looksLike` uses to pick a branch of an unwrapped union. */
export function looksLike(node: SchemaNode, v: string): string {
  switch (node.kind) {
    case 'null': return `${v} === null`;
    case 'boolean': return `typeof ${v} === 'boolean'`;
    case 'int': case 'time-millis': return `Number.isInteger(${v})`;
    case 'float': case 'double': return `typeof ${v} === 'number'`;
    case 'long': case 'timestamp-micros': return `typeof ${v} === 'bigint'`;
    case 'string': case 'date': case 'decimal': return `typeof ${v} === 'string'`;
    case 'uuid': return `typeof ${v} === 'string' && h.UUID.test(${v})`;
    case 'enum': return `typeof ${v} === 'string' && ${JSON.stringify(node.symbols)}.includes(${v})`;
    case 'bytes': return `${v} instanceof Uint8Array`;
    case 'fixed': return `${v} instanceof Uint8Array && ${v}.length === ${node.size}`;
    case 'timestamp-millis': return `${v} instanceof Date`;
    case 'array': return `Array.isArray(${v})`;
    case 'map': case 'record': return `isDict(${v})`;
    case 'union': return 'false';
  }
}

export const helpers = {
  GIVE_UP,
  LONG_MIN,
  LONG_MAX,
  TWO_64,
  UUID: UUID_PATTERN,
  civilFromDays,
  daysFromCivil,
  formatDate,
  formatDecimal,
  fromTwosComplement,
  parseDate,
  parseDecimal,
  toTwosComplement,
};

/** Compiles the binary encoder and decoder for a parsed schema. */
export function compileBinary(root: SchemaNode): CompiledBinary {
  const source = new Generator().source(root);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is generated from a parsed schema; names are JSON-quoted
  return new Function('h', source)(helpers) as CompiledBinary;
}
