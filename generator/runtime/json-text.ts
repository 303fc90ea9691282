/**
 * A small JSON reader/writer that keeps number literals exact.
 *
 * `JSON.parse` turns 9007199254740993 into 9007199254740992, which would corrupt
 * Avro longs, so numbers are kept as their literal text (`JsonNumber`) and the
 * consumer decides how to interpret them. Objects become Maps (insertion order
 * kept, duplicate keys rejected).
 */

export class JsonNumber {
  constructor(readonly text: string) {}
  /** True for an integer literal (no fraction or exponent part). */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.text);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(readonly offset: number, text: string) {
    super(`invalid JSON at offset ${offset}: ${text}`);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
/** Nesting limit, so hostile input fails with a syntax error rather than a stack overflow. */
const MAX_DEPTH = 2000;

class Reader {
  private pos = 0;
  // Sticky regexes carry lastIndex, so each reader owns its own.
  private readonly numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  private readonly plainChars = /[^"\\\u0000-\u001f]*/y;
  constructor(private readonly text: string) {}

  readDocument(): JsonValue {
    const value = this.value(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) throw this.error('unexpected text after the value');
    return value;
  }

  private error(text: string): JsonSyntaxError {
    return new JsonSyntaxError(this.pos, text);
  }

  private skipWhitespace(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.pos);
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw this.error('nesting too deep');
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{': return this.object(depth);
      case '[': return this.array(depth);
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      case undefined: throw this.error('unexpected end of input');
      default: return this.number();
    }
  }

  private literal<V extends JsonValue>(word: string, value: V): V {
    if (!this.text.startsWith(word, this.pos)) throw this.error('unexpected character');
    this.pos += word.length;
    return value;
  }

  private number(): JsonNumber {
    this.numberPattern.lastIndex = this.pos;
    const m = this.numberPattern.exec(this.text);
    if (m === null) throw this.error('unexpected character');
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  private string(): string {
    let out = '';
    this.pos++; // opening quote
    for (;;) {
      this.plainChars.lastIndex = this.pos;
      const run = this.plainChars.exec(this.text)?.[0] ?? '';
      out += run;
      this.pos += run.length;
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === undefined) throw this.error('unterminated string');
      if (c !== '\\') throw this.error('control character in string');
      const e = this.text[this.pos + 1] ?? '';
      if (e === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        const decoded = ESCAPES[e];
        if (decoded === undefined) throw this.error('invalid escape');
        out += decoded;
        this.pos += 2;
      }
    }
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') throw this.error('expected "," or "]"');
    }
  }

  private object(depth: number): JsonObject {
    const out: JsonObject = new Map();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw this.error('expected a string key');
      const keyAt = this.pos;
      const key = this.string();
      if (out.has(key)) throw new JsonSyntaxError(keyAt, `duplicate key ${JSON.stringify(key)}`);
      this.skipWhitespace();
      if (this.text[this.pos++] !== ':') throw this.error('expected ":"');
      out.set(key, this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') throw this.error('expected "," or "}"');
    }
  }
}

/** Parses JSON text (RFC 8259), keeping number literals exact. Throws `JsonSyntaxError`. */
export function parseJson(text: string): JsonValue {
  return new Reader(text).readDocument();
}

/** JSON string literal; lone surrogates are escaped, other non-ASCII is written as is. */
export function quoteJson(text: string): string {
  return JSON.stringify(text);
}

/** Writes a `JsonValue` compactly (no whitespace); number literals are written as they were read. */
export function stringifyJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quoteJson(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of value) parts.push(`${quoteJson(k)}:${stringifyJson(v)}`);
  return `{${parts.join(',')}}`;
}
