// Model expressions (`Expr`) and spec values as TypeScript expressions, shared by the upcaster
// and reducer emitters. Values follow the TypeScript mapping (ARCHITECTURE.md): longs are
// bigint literals, timestamp-millis a `Date`, decimals canonical text, bytes a `Uint8Array`.
// A field reference reads a source variable (`$.a.b` → `v1.a.b`) and is converted to the
// target type by exactly the conversions the resolver accepts (resolve/expr.ts `assignable`).
import type { Expr, RecordType, TypeRef, Value } from '../core/model.js';
import { formatType, sameType } from '../core/type-ref.js';
import { maxLineWidth, tsKey, tsString } from './ts-print.js';

/** Where the printed expression starts: the indentation of its line and the column it starts at. */
export interface Layout {
  readonly indent: string;
  readonly column: number;
}

/** Prints everything on one line, whatever its length. */
const flat: Layout = { indent: '', column: Number.NEGATIVE_INFINITY };

/**
 * `expr` as a TypeScript expression of type `target`, reading field references from the
 * variable `source`. Objects and lists break over lines (two-space steps from `layout.indent`)
 * when they do not fit in the line width; one character is kept free for a `,` or `;`.
 */
export function tsExpr(expr: Expr, target: TypeRef, source: string, layout: Layout = flat): string {
  switch (expr.kind) {
    case 'ref':
      return tsConvert(`${source}.${expr.path.join('.')}`, expr.type, target);
    case 'literal':
      return tsLiteral(expr.value, target, layout);
    case 'object': {
      const record = recordOf(target);
      return printObject(
        expr.fields.map((f) => ({ key: f.name, print: (l: Layout) => tsExpr(f.expr, fieldType(record, f.name), source, l) })),
        layout,
      );
    }
  }
}

/** Whether `expr` reads the source variable (an unused parameter gets an `_` prefix). */
export function readsSource(expr: Expr): boolean {
  if (expr.kind === 'ref') return true;
  return expr.kind === 'object' && expr.fields.some((f) => readsSource(f.expr));
}

/**
 * `text`, a value of type `from`, as a value of `to`. Identity for the same type, int → double,
 * float → double, uuid → string and decimal widening (same scale, so the same text); `BigInt`
 * for int → long. Into an optional: the conversion of the non-null type; from an optional, a
 * null check when the conversion is not the identity. Throws for a pair the resolver refuses.
 */
export function tsConvert(text: string, from: TypeRef, to: TypeRef): string {
  if (to.kind === 'optional') {
    if (from.kind !== 'optional') return tsConvert(text, from, to.type);
    const inner = tsConvert(text, from.type, to.type);
    return inner === text ? text : `${text} === null ? null : ${inner}`;
  }
  if (from.kind === 'optional') throw new Error(`cannot convert ${formatType(from)} to ${formatType(to)}: it may be null`);
  if (sameType(from, to)) return text;
  if (from.kind === 'primitive' && to.kind === 'primitive') {
    if (from.name === 'int' && to.name === 'long') return `BigInt(${text})`;
    if ((from.name === 'int' || from.name === 'float') && to.name === 'double') return text;
  }
  if (from.kind === 'logical' && from.name === 'uuid' && to.kind === 'primitive' && to.name === 'string') return text;
  if (from.kind === 'decimal' && to.kind === 'decimal' && from.scale === to.scale && from.precision <= to.precision) return text;
  throw new Error(`cannot convert ${formatType(from)} to ${formatType(to)}`);
}

/** A spec value (already normalised by the resolver for `type`) as a TypeScript expression of `type`. */
export function tsLiteral(value: Value, type: TypeRef, layout: Layout = flat): string {
  if (value === null) {
    if (type.kind !== 'optional') throw new Error(`null is not a value of ${formatType(type)}`);
    return 'null';
  }
  switch (type.kind) {
    case 'optional':
      return tsLiteral(value, type.type, layout);
    case 'primitive':
      switch (type.name) {
        case 'string':
          return tsString(text(value, type));
        case 'boolean':
          if (typeof value !== 'boolean') break;
          return String(value);
        case 'int':
        case 'float':
        case 'double':
          return tsNumber(value, type);
        case 'long':
          return tsBigint(value, type);
        case 'bytes':
          return tsBytes(text(value, type));
      }
      break;
    case 'logical':
      switch (type.name) {
        case 'uuid':
        case 'date':
          return tsString(text(value, type));
        case 'time-millis':
          return tsNumber(value, type);
        case 'timestamp-millis':
          return `new Date(${tsNumber(value, type)})`;
        case 'timestamp-micros':
          return tsBigint(value, type);
      }
      break;
    case 'decimal':
      return tsString(text(value, type));
    case 'array': {
      if (!Array.isArray(value)) break;
      const items: readonly Value[] = value;
      return printList(items.map((item) => (l: Layout) => tsLiteral(item, type.items, l)), layout);
    }
    case 'map': {
      const obj = objectValue(value, type);
      return printObject(Object.keys(obj).map((key) => ({ key, print: (l: Layout) => tsLiteral(obj[key] ?? null, type.values, l) })), layout);
    }
    case 'named': {
      const named = type.type;
      if (named.kind === 'enum') return tsString(text(value, type));
      if (named.kind === 'fixed') return tsBytes(text(value, type));
      const obj = objectValue(value, type);
      return printObject(named.fields.map((f) => ({ key: f.name, print: (l: Layout) => tsLiteral(obj[f.name] ?? null, f.type, l) })), layout);
    }
  }
  throw new Error(`${String(value)} is not a value of ${formatType(type)}`);
}

// ---- values -----------------------------------------------------------------------------

function text(value: Value, type: TypeRef): string {
  if (typeof value !== 'string') throw new Error(`${String(value)} is not a value of ${formatType(type)}`);
  return value;
}

function tsNumber(value: Value, type: TypeRef): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${String(value)} is not a value of ${formatType(type)}`);
  return Object.is(value, -0) ? '-0' : String(value);
}

function tsBigint(value: Value, type: TypeRef): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return `${value}n`;
  throw new Error(`${String(value)} is not a value of ${formatType(type)}`);
}

/** Bytes arrive as Avro JSON text: one character U+0000–U+00FF per byte. */
function tsBytes(latin1: string): string {
  if (latin1.length === 0) return 'new Uint8Array(0)';
  return `new Uint8Array([${[...latin1].map((c) => String(c.charCodeAt(0))).join(', ')}])`;
}

function objectValue(value: Value, type: TypeRef): { readonly [key: string]: Value } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${String(value)} is not a value of ${formatType(type)}`);
  return value as { readonly [key: string]: Value };
}

function recordOf(target: TypeRef): RecordType {
  const t = target.kind === 'optional' ? target.type : target;
  if (t.kind !== 'named' || t.type.kind !== 'record') throw new Error(`record construction aimed at ${formatType(target)}`);
  return t.type;
}

function fieldType(record: RecordType, name: string): TypeRef {
  const f = record.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${record.name} has no field ${name}`);
  return f.type;
}



// ---- layout -----------------------------------------------------------------------------

type Printer = (layout: Layout) => string;

/**
 * An object literal in the given key order. `__proto__` as a plain key would set the prototype
 * instead of defining a property, so it is written as a computed key.
 */
function printObject(entries: readonly { readonly key: string; readonly print: Printer }[], layout: Layout): string {
  const keyText = (key: string): string => (key === '__proto__' ? `['__proto__']` : tsKey(key));
  if (entries.length === 0) return '{}';
  const one = `{ ${entries.map((e) => `${keyText(e.key)}: ${e.print(flat)}`).join(', ')} }`;
  if (fits(one, layout)) return one;
  const inner = `${layout.indent}  `;
  const lines = entries.map((e) => {
    const head = `${inner}${keyText(e.key)}: `;
    return `${head}${e.print({ indent: inner, column: head.length })},`;
  });
  return `{\n${lines.join('\n')}\n${layout.indent}}`;
}

function printList(items: readonly Printer[], layout: Layout): string {
  const one = `[${items.map((p) => p(flat)).join(', ')}]`;
  if (items.length === 0 || fits(one, layout)) return one;
  const inner = `${layout.indent}  `;
  return `[\n${items.map((p) => `${inner}${p({ indent: inner, column: inner.length })},`).join('\n')}\n${layout.indent}]`;
}

/**
 * The right-hand side of `prefix = value;` starting with its space: on the same line when the
 * statement fits, else on the next line, indented.
 */
export function assignedValue(prefix: string, value: string, indent = ''): string {
  return `${prefix} = ${value};`.length <= maxLineWidth ? ` ${value}` : `\n${indent}  ${value}`;
}

function fits(oneLine: string, layout: Layout): boolean {
  return !oneLine.includes('\n') && layout.column + oneLine.length + 1 <= maxLineWidth;
}
