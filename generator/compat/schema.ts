// The typed node graph that raw Avro schema JSON is parsed into (see parse.ts), and its
// rendering back to JSON for incompatibility fragments. Named types are shared objects, so a
// recursive schema is a cyclic graph and identity is what the resolver memoises on.

/**
 * Avro schema as JSON (a parsed .avsc): a type name, a union array or a schema object.
 * Deliberately loose: anything JSON.parse returns is accepted and validated at run time.
 */
export type AvroSchemaJson =
  | string
  | readonly AvroSchemaJson[]
  // Both forms: object literals need the index signature, interface-typed values the plain one.
  | { readonly type: unknown; readonly [key: string]: unknown }
  | { readonly type: unknown };

export type PrimitiveKind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export const PRIMITIVE_KINDS: readonly PrimitiveKind[] = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'];

export interface DecimalLogicalType {
  readonly precision: number;
  readonly scale: number;
}

export interface PrimitiveNode {
  readonly kind: PrimitiveKind;
  /** Only on `bytes`, and only when the decimal parameters are valid (otherwise Avro ignores the logical type). */
  readonly decimal?: DecimalLogicalType;
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly items: AvroNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly values: AvroNode;
}

export interface UnionNode {
  readonly kind: 'union';
  readonly branches: readonly AvroNode[];
}

interface NamedNodeBase {
  /** Unqualified name: what schema resolution compares. */
  readonly name: string;
  /** '' for the null namespace. */
  readonly namespace: string;
  readonly fullName: string;
  /** Fully qualified (relative aliases are qualified with this type's namespace). */
  readonly aliases: readonly string[];
}

export interface FieldNode {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: AvroNode;
  /** `"default": null` counts: it is a default. */
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  /** Index in the record's field list: JSON Pointer locations use it. */
  readonly pos: number;
}

export interface RecordNode extends NamedNodeBase {
  readonly kind: 'record';
  /** Declared as `error` (a record in every respect that matters here). */
  readonly isError: boolean;
  readonly fields: readonly FieldNode[];
}

export interface EnumNode extends NamedNodeBase {
  readonly kind: 'enum';
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface FixedNode extends NamedNodeBase {
  readonly kind: 'fixed';
  readonly size: number;
  readonly decimal?: DecimalLogicalType;
}

export type NamedNode = RecordNode | EnumNode | FixedNode;
export type AvroNode = PrimitiveNode | ArrayNode | MapNode | UnionNode | NamedNode;

/** Invalid schema input. The CLI maps it to exit code 2. */
export class AvroSchemaError extends Error {
  override readonly name = 'AvroSchemaError';
  constructor(
    /** What is wrong, without the location. */
    readonly detail: string,
    /** JSON Pointer into the schema document ('' is the whole document). */
    readonly pointer: string,
    /** Which schema, when several are checked together (e.g. `previous[1]`). */
    readonly schemaLabel?: string,
  ) {
    super(`${schemaLabel === undefined ? '' : `${schemaLabel}: `}${detail}${pointer === '' ? '' : ` at ${pointer}`}`);
  }

  withLabel(label: string): AvroSchemaError {
    return new AvroSchemaError(this.detail, this.pointer, label);
  }
}

export function isNamed(node: AvroNode): node is NamedNode {
  return node.kind === 'record' || node.kind === 'enum' || node.kind === 'fixed';
}

/** Java's Schema.Type name, as it appears in Avro's incompatibility messages. */
export function typeName(node: AvroNode): string {
  return node.kind.toUpperCase();
}

/** RFC 6901 pointer from reference tokens; the empty path is '/', as Avro Java prints it. */
export function toPointer(tokens: readonly string[]): string {
  return `/${tokens.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** JSON as data; a bigint is an integer too large for a double (a long default past 2^53). */
type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

/**
 * Canonical-ish JSON of a node: each named type is written out once, then referenced by full
 * name, so recursive schemas terminate. Namespaces are always explicit, so a fragment read on
 * its own means the same thing.
 */
export function renderSchema(node: AvroNode): string {
  return renderJson(toJson(node, new Set<string>()));
}

/**
 * Compact JSON text of a JSON-like value, as JSON.stringify writes it, except that a bigint is
 * written as the exact integer it is (JSON.stringify throws on bigint). Anything that is not
 * JSON data (undefined, functions, symbols) is written as null.
 */
export function renderJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (Array.isArray(value)) return `[${value.map((v: unknown) => renderJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${renderJson(v)}`)
      .join(',')}}`;
  }
  return 'null';
}

function toJson(node: AvroNode, seen: Set<string>): Json {
  switch (node.kind) {
    case 'array':
      return { type: 'array', items: toJson(node.items, seen) };
    case 'map':
      return { type: 'map', values: toJson(node.values, seen) };
    case 'union':
      return node.branches.map((b) => toJson(b, seen));
    case 'record':
    case 'enum':
    case 'fixed':
      return namedToJson(node, seen);
    default:
      return node.decimal === undefined
        ? node.kind
        : { type: node.kind, logicalType: 'decimal', precision: node.decimal.precision, scale: node.decimal.scale };
  }
}

function namedToJson(node: NamedNode, seen: Set<string>): Json {
  if (seen.has(node.fullName)) return node.fullName;
  seen.add(node.fullName);
  const head: { [key: string]: Json } = { type: node.kind === 'record' && node.isError ? 'error' : node.kind, name: node.name };
  if (node.namespace !== '') head.namespace = node.namespace;
  if (node.aliases.length > 0) head.aliases = [...node.aliases];
  switch (node.kind) {
    case 'record':
      head.fields = node.fields.map((f) => {
        const field: { [key: string]: Json } = { name: f.name, type: toJson(f.type, seen) };
        if (f.aliases.length > 0) field.aliases = [...f.aliases];
        if (f.hasDefault) field.default = toPlainJson(f.defaultValue);
        return field;
      });
      break;
    case 'enum':
      head.symbols = [...node.symbols];
      if (node.default !== undefined) head.default = node.default;
      break;
    case 'fixed':
      head.size = node.size;
      if (node.decimal !== undefined) {
        head.logicalType = 'decimal';
        head.precision = node.decimal.precision;
        head.scale = node.decimal.scale;
      }
      break;
  }
  return head;
}

function toPlainJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => toPlainJson(v));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v);
    return out;
  }
  return null;
}
