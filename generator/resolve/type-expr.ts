// The type-expression grammar: `base ( '[]' | '?' )*` where base is a built-in, a named type,
// `decimal(P,S)` or `map<TypeExpr>`. Offsets are kept so an error can point into the string.
import type { LogicalName, PrimitiveName, TypeRef } from '../core/model.js';

export type TypeAst =
  /** A built-in or a named type; which one is decided when names are resolved. */
  | { readonly kind: 'name'; readonly name: string; readonly offset: number }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number; readonly offset: number }
  | { readonly kind: 'map'; readonly values: TypeAst; readonly offset: number }
  | { readonly kind: 'array'; readonly items: TypeAst; readonly offset: number }
  | { readonly kind: 'optional'; readonly type: TypeAst; readonly offset: number };

export type ParseResult =
  | { readonly ok: true; readonly type: TypeAst }
  | { readonly ok: false; readonly message: string; readonly offset: number };

export const primitiveNames: readonly PrimitiveName[] = ['string', 'int', 'long', 'float', 'double', 'boolean', 'bytes'];
export const logicalNames: readonly LogicalName[] = ['uuid', 'date', 'time-millis', 'timestamp-millis', 'timestamp-micros'];
/** Every lower-case word the grammar knows, for "did you mean" suggestions. */
export const builtinTypeNames: readonly string[] = [...primitiveNames, ...logicalNames, 'decimal', 'map'];

/** Deeper nesting than this is a mistake, and the parser must not recurse without bound. */
const maxDepth = 32;

class ParseError {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

export function parseTypeExpr(text: string): ParseResult {
  const p = new Parser(text);
  try {
    p.skipSpace();
    if (p.pos >= text.length) return { ok: false, message: 'empty type expression', offset: 0 };
    const type = p.expr(0);
    p.skipSpace();
    if (p.pos < text.length) {
      const ch = text[p.pos] ?? '';
      const hint = ch === '>' ? ' (unbalanced `>`)' : ch === ']' ? ' (unbalanced `]`)' : '';
      throw new ParseError(`unexpected \`${ch}\`${hint}; expected \`[]\`, \`?\` or the end of the type`, p.pos);
    }
    return { ok: true, type };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, message: e.message, offset: e.offset };
    throw e;
  }
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  private expect(ch: string, what: string): void {
    if (this.peek() !== ch) {
      const found = this.pos < this.text.length ? `\`${this.text[this.pos]}\`` : 'the end';
      throw new ParseError(`expected ${what}, found ${found}`, Math.min(this.pos, this.text.length));
    }
    this.pos++;
  }

  expr(depth: number): TypeAst {
    if (depth > maxDepth) throw new ParseError(`type expression nested more than ${maxDepth} levels deep`, this.pos);
    let type = this.base(depth);
    for (;;) {
      const ch = this.peek();
      const at = this.pos;
      if (ch === '[') {
        this.pos++;
        this.expect(']', '`]` to close `[]`');
        type = { kind: 'array', items: type, offset: at };
      } else if (ch === '?') {
        if (type.kind === 'optional') {
          throw new ParseError('a type is optional once: `T??` is not allowed, write `T?`', at);
        }
        this.pos++;
        type = { kind: 'optional', type, offset: at };
      } else {
        return type;
      }
    }
  }

  private base(depth: number): TypeAst {
    this.skipSpace();
    const start = this.pos;
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(start));
    if (!m) {
      const ch = this.text[start];
      throw new ParseError(ch === undefined ? 'expected a type, found the end' : `expected a type name, found \`${ch}\``, start);
    }
    const name = m[0];
    this.pos += name.length;
    if (name === 'decimal') return this.decimal(start);
    if (name === 'map') {
      if (this.peek() !== '<') throw new ParseError('`map` needs a value type: `map<T>`', this.pos);
      this.pos++;
      const values = this.expr(depth + 1);
      this.expect('>', '`>` to close `map<`');
      return { kind: 'map', values, offset: start };
    }
    return { kind: 'name', name, offset: start };
  }

  private decimal(start: number): TypeAst {
    if (this.peek() !== '(') throw new ParseError('`decimal` needs precision and scale: `decimal(P,S)`', this.pos);
    this.pos++;
    const precision = this.integer('the precision');
    this.expect(',', '`,` and the scale: `decimal(P,S)`');
    const scale = this.integer('the scale');
    this.expect(')', '`)` to close `decimal(`');
    return { kind: 'decimal', precision, scale, offset: start };
  }

  private integer(what: string): number {
    this.skipSpace();
    const m = /^[0-9]+/.exec(this.text.slice(this.pos));
    if (!m) throw new ParseError(`expected ${what} (a non-negative integer)`, this.pos);
    if (m[0].length > 9) throw new ParseError(`${what} ${m[0]} is too large`, this.pos);
    this.pos += m[0].length;
    return Number(m[0]);
  }
}


export { formatType } from '../core/type-ref.js';
