/**
 * Avro schema JSON → resolved schema tree (`SchemaNode`).
 *
 * Names are resolved to fullnames here once, so canonical form, value conversion
 * and JSON encoding never deal with namespaces. Named types are shared nodes,
 * which makes recursive schemas cyclic graphs.
 *
 * Logical types follow the spec: an annotation that is unknown or invalid
 * (e.g. `date` on a string, decimal scale > precision) is ignored and the
 * underlying type is used.
 */
import { AvroSchemaError } from './errors.js';
import { JsonNumber, JsonSyntaxError, parseJson, type JsonValue } from './json-text.js';

/**
 * An Avro schema as JSON (a parsed `.avsc`). Deliberately loose (checked when parsed);
 * the same shape as compat's, so schemas flow between the modules.
 */
export type AvroSchemaJson = string | readonly AvroSchemaJson[] | AvroSchemaObject;
export type AvroSchemaObject =
  // Both forms: object literals need the index signature, interface-typed values the plain one.
  | { readonly type: unknown; readonly [attribute: string]: unknown }
  | { readonly type: unknown };

export type PrimitiveKind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';
export interface PrimitiveNode { readonly kind: PrimitiveKind }
export interface FixedNode { readonly kind: 'fixed'; readonly name: string; readonly size: number }
export interface EnumNode {
  readonly kind: 'enum';
  readonly name: string;
  readonly symbols: readonly string[];
  readonly symbolSet: ReadonlySet<string>;
}
export interface ArrayNode { readonly kind: 'array'; readonly items: SchemaNode }
export interface MapNode { readonly kind: 'map'; readonly values: SchemaNode }
export interface UnionNode {
  readonly kind: 'union';
  readonly branches: readonly SchemaNode[];
  /** Branch names as used by Avro JSON (and avsc's wrapped unions), parallel to `branches`. */
  readonly branchNames: readonly string[];
  readonly byName: ReadonlyMap<string, SchemaNode>;
  /**
   * True when two non-null branches take the same kind of TypeScript value (`string` and an
   * enum, `int` and `double`, two records): such a union's values are wrapped as
   * `{ "<branch name>": value }`, so the branch written is the one the value declares (as
   * Apache Avro's writer picks it by the datum's class) and decoding then re-encoding
   * keeps the bytes. Other unions take the bare value (null, or the one branch it fits).
   */
  readonly wrapped: boolean;
}
export interface RecordField { readonly name: string; readonly type: SchemaNode }
export interface RecordNode {
  readonly kind: 'record';
  readonly name: string;
  readonly isError: boolean;
  /** Filled after the node is registered, so fields may refer back to the record. */
  readonly fields: RecordField[];
}
export type SimpleLogicalKind = 'date' | 'time-millis' | 'timestamp-millis' | 'timestamp-micros' | 'uuid';
export interface SimpleLogicalNode { readonly kind: SimpleLogicalKind; readonly underlying: PrimitiveNode }
export interface DecimalNode {
  readonly kind: 'decimal';
  readonly underlying: PrimitiveNode | FixedNode;
  readonly precision: number;
  readonly scale: number;
}
export type NamedNode = RecordNode | EnumNode | FixedNode;
export type SchemaNode =
  | PrimitiveNode | FixedNode | EnumNode | ArrayNode | MapNode | UnionNode | RecordNode
  | SimpleLogicalNode | DecimalNode;

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOGICAL_BASE: Readonly<Record<SimpleLogicalKind, PrimitiveKind>> = {
  date: 'int',
  'time-millis': 'int',
  'timestamp-millis': 'long',
  'timestamp-micros': 'long',
  uuid: 'string',
};

function isPrimitiveKind(name: string): name is PrimitiveKind {
  return PRIMITIVES.has(name);
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The name of a branch in a union (Avro JSON encoding); logical types use their underlying type's. */
export function branchName(node: SchemaNode): string {
  switch (node.kind) {
    case 'record': case 'enum': case 'fixed':
      return node.name;
    case 'date': case 'time-millis': case 'timestamp-millis': case 'timestamp-micros': case 'uuid': case 'decimal':
      return branchName(node.underlying);
    default:
      return node.kind;
  }
}

/** The kind of TypeScript value a (non-union) node takes; unions whose branches share one are wrapped. */
export function valueKind(node: SchemaNode): string {
  switch (node.kind) {
    case 'int': case 'time-millis': case 'float': case 'double': return 'number';
    case 'long': case 'timestamp-micros': return 'bigint';
    case 'string': case 'date': case 'decimal': case 'uuid': case 'enum': return 'string';
    case 'bytes': case 'fixed': return 'Uint8Array';
    case 'timestamp-millis': return 'Date';
    case 'map': case 'record': return 'object';
    default: return node.kind;
  }
}

/** Type description used in error messages (`decimal(12,2)`, `record com.x.Money`, `null | string`). */
export function describeNode(node: SchemaNode): string {
  switch (node.kind) {
    case 'long': return 'long (bigint)';
    case 'bytes': return 'bytes (Uint8Array)';
    case 'fixed': return `fixed ${node.name} (Uint8Array of ${node.size} bytes)`;
    case 'enum': return `enum ${node.name}`;
    case 'record': return `record ${node.name}`;
    case 'array': return 'array';
    case 'map': return 'map';
    case 'union': return node.branches.map(describeNode).join(' | ');
    case 'date': return 'date (YYYY-MM-DD string)';
    case 'time-millis': return 'time-millis (integer ms after midnight)';
    case 'timestamp-millis': return 'timestamp-millis (Date)';
    case 'timestamp-micros': return 'timestamp-micros (bigint)';
    case 'uuid': return 'uuid';
    case 'decimal': return `decimal(${node.precision},${node.scale})`;
    default: return node.kind;
  }
}

/** Largest decimal precision a fixed of `size` bytes can hold: floor(log10(2^(8·size−1) − 1)). */
export function maxFixedDecimalPrecision(size: number): number {
  if (size < 1) return 0;
  return ((1n << BigInt(8 * size - 1)) - 1n).toString().length - 1;
}

class SchemaParser {
  /** Named types by fullname; a fixed may be wrapped in its logical type. */
  private readonly named = new Map<string, SchemaNode>();

  parse(schema: unknown, namespace: string, where: string): SchemaNode {
    if (typeof schema === 'string') return this.reference(schema, namespace, where);
    if (Array.isArray(schema)) return this.union(schema, namespace, where);
    if (!isObject(schema)) throw this.error(where, `expected a type name, object or union, got ${JSON.stringify(schema) ?? typeof schema}`);
    const type = schema['type'];
    if (typeof type !== 'string') throw this.error(where, '"type" must be a string');
    if (isPrimitiveKind(type)) return this.logical(schema, { kind: type });
    switch (type) {
      case 'record': case 'error': return this.record(schema, type === 'error', namespace, where);
      case 'enum': return this.enumType(schema, namespace, where);
      case 'fixed': {
        // Registered with its logical type: as in the Java implementation, a reference to a
        // decimal fixed is a decimal too.
        const fixed = this.fixed(schema, namespace, where);
        const node = this.logical(schema, fixed);
        this.named.set(fixed.name, node);
        return node;
      }
      case 'array':
        if (!('items' in schema)) throw this.error(where, 'array without "items"');
        return { kind: 'array', items: this.parse(schema['items'], namespace, `${where}.items`) };
      case 'map':
        if (!('values' in schema)) throw this.error(where, 'map without "values"');
        return { kind: 'map', values: this.parse(schema['values'], namespace, `${where}.values`) };
      default:
        throw this.error(where, `unknown type ${JSON.stringify(type)}`);
    }
  }

  private error(where: string, text: string): AvroSchemaError {
    return new AvroSchemaError(`invalid Avro schema at ${where}: ${text}`);
  }

  private reference(name: string, namespace: string, where: string): SchemaNode {
    if (isPrimitiveKind(name)) return { kind: name };
    const qualified = name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
    // Like the Java implementation, an unqualified reference falls back to the null namespace.
    const node = this.named.get(qualified) ?? this.named.get(name);
    if (node === undefined) throw this.error(where, `undefined type name ${JSON.stringify(name)}`);
    return node;
  }

  private union(schemas: readonly unknown[], namespace: string, where: string): UnionNode {
    const branches: SchemaNode[] = [];
    const byName = new Map<string, SchemaNode>();
    schemas.forEach((s, i) => {
      const node = this.parse(s, namespace, `${where}[${i}]`);
      if (node.kind === 'union') throw this.error(where, 'unions may not immediately contain other unions');
      const name = branchName(node);
      if (byName.has(name)) throw this.error(where, `duplicate union branch ${JSON.stringify(name)}`);
      byName.set(name, node);
      branches.push(node);
    });
    const kinds = branches.filter((b) => b.kind !== 'null').map(valueKind);
    const wrapped = new Set(kinds).size !== kinds.length;
    return { kind: 'union', branches, branchNames: branches.map(branchName), byName, wrapped };
  }

  /** Resolves a definition's fullname and registers the node; returns the namespace for nested definitions. */
  private define(schema: { readonly [key: string]: unknown }, namespace: string, where: string): { fullname: string; namespace: string } {
    const name = schema['name'];
    if (typeof name !== 'string') throw this.error(where, 'named type without a string "name"');
    const nsAttr = schema['namespace'];
    if (nsAttr !== undefined && nsAttr !== null && typeof nsAttr !== 'string') throw this.error(where, '"namespace" must be a string');
    let fullname: string;
    if (name.includes('.')) {
      fullname = name;
    } else {
      const ns = typeof nsAttr === 'string' ? nsAttr : namespace;
      fullname = ns === '' ? name : `${ns}.${name}`;
    }
    const parts = fullname.split('.');
    if (!parts.every((p) => NAME.test(p))) throw this.error(where, `invalid name ${JSON.stringify(fullname)}`);
    if (isPrimitiveKind(parts[parts.length - 1] ?? '')) throw this.error(where, `a type may not be named ${JSON.stringify(name)}`);
    if (this.named.has(fullname)) throw this.error(where, `duplicate type name ${JSON.stringify(fullname)}`);
    return { fullname, namespace: parts.slice(0, -1).join('.') };
  }

  private record(schema: { readonly [key: string]: unknown }, isError: boolean, namespace: string, where: string): RecordNode {
    const { fullname, namespace: inner } = this.define(schema, namespace, where);
    const node: RecordNode = { kind: 'record', name: fullname, isError, fields: [] };
    this.named.set(fullname, node);
    const fields = schema['fields'];
    if (!Array.isArray(fields)) throw this.error(where, `record ${fullname} without a "fields" array`);
    const seen = new Set<string>();
    fields.forEach((field: unknown, i) => {
      const at = `${fullname}.fields[${i}]`;
      if (!isObject(field)) throw this.error(at, 'field must be an object');
      const name = field['name'];
      if (typeof name !== 'string' || !NAME.test(name)) throw this.error(at, `invalid field name ${JSON.stringify(name)}`);
      if (seen.has(name)) throw this.error(at, `duplicate field name ${JSON.stringify(name)}`);
      seen.add(name);
      if (!('type' in field)) throw this.error(at, `field ${name} without "type"`);
      node.fields.push({ name, type: this.parse(field['type'], inner, `${fullname}.${name}`) });
    });
    return node;
  }

  private enumType(schema: { readonly [key: string]: unknown }, namespace: string, where: string): EnumNode {
    const { fullname } = this.define(schema, namespace, where);
    const symbols = schema['symbols'];
    if (!Array.isArray(symbols)) throw this.error(where, `enum ${fullname} without a "symbols" array`);
    const list: string[] = [];
    for (const symbol of symbols as readonly unknown[]) {
      if (typeof symbol !== 'string' || !NAME.test(symbol)) throw this.error(where, `invalid enum symbol ${JSON.stringify(symbol)}`);
      if (list.includes(symbol)) throw this.error(where, `duplicate enum symbol ${JSON.stringify(symbol)}`);
      list.push(symbol);
    }
    const node: EnumNode = { kind: 'enum', name: fullname, symbols: list, symbolSet: new Set(list) };
    this.named.set(fullname, node);
    return node;
  }

  private fixed(schema: { readonly [key: string]: unknown }, namespace: string, where: string): FixedNode {
    const { fullname } = this.define(schema, namespace, where);
    const size = schema['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw this.error(where, `fixed ${fullname} needs a non-negative integer "size"`);
    }
    return { kind: 'fixed', name: fullname, size };
  }

  private logical(schema: { readonly [key: string]: unknown }, base: PrimitiveNode | FixedNode): SchemaNode {
    const logicalType = schema['logicalType'];
    if (typeof logicalType !== 'string') return base;
    if (logicalType === 'decimal') return decimal(schema, base) ?? base;
    if (!(logicalType in LOGICAL_BASE)) return base;
    const kind = logicalType as SimpleLogicalKind;
    return base.kind === LOGICAL_BASE[kind] ? { kind, underlying: base as PrimitiveNode } : base;
  }
}

function decimal(schema: { readonly [key: string]: unknown }, base: PrimitiveNode | FixedNode): DecimalNode | undefined {
  if (base.kind !== 'bytes' && base.kind !== 'fixed') return undefined;
  const precision = schema['precision'];
  const scale = schema['scale'] ?? 0;
  if (typeof precision !== 'number' || !Number.isSafeInteger(precision) || precision < 1) return undefined;
  if (typeof scale !== 'number' || !Number.isSafeInteger(scale) || scale < 0 || scale > precision) return undefined;
  if (base.kind === 'fixed' && precision > maxFixedDecimalPrecision(base.size)) return undefined;
  return { kind: 'decimal', underlying: base, precision, scale };
}

/** Parses and resolves an Avro schema; throws `AvroSchemaError` if it is not valid Avro. */
export function parseSchema(schema: AvroSchemaJson): SchemaNode {
  return new SchemaParser().parse(schema, '', '(root)');
}

function plainJson(value: JsonValue): unknown {
  if (value instanceof JsonNumber) {
    if (!value.isInteger) return Number(value.text);
    const n = Number(value.text);
    // Integers JSON.parse would round (a long default of 2^63−1) stay exact as bigint.
    return Number.isSafeInteger(n) ? n : BigInt(value.text);
  }
  if (Array.isArray(value)) return value.map(plainJson);
  if (value instanceof Map) {
    const out: { [key: string]: unknown } = {};
    for (const [k, v] of value) Object.defineProperty(out, k, { value: plainJson(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * Parses `.avsc` text (a file, or a schema fetched from a registry) for `createCodec`.
 * Unlike `JSON.parse`, integers beyond 2^53 (long defaults) are kept exactly, as bigint.
 * Throws `AvroSchemaError` on invalid JSON; the schema itself is checked by `createCodec`.
 */
export function parseSchemaText(text: string): AvroSchemaJson {
  try {
    return plainJson(parseJson(text)) as AvroSchemaJson;
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new AvroSchemaError(`invalid Avro schema text: ${err.message}`);
    throw err;
  }
}

/**
 * Compact JSON text of a schema, keys in their given order; bigint defaults as exact integer
 * literals. What eventsmith registers: the CLI and the runtime send the same text, so a
 * registry that compares texts (not canonical forms) finds the same schema.
 */
export function stringifySchema(schema: AvroSchemaJson): string {
  return JSON.stringify(schema, (_key, value: unknown) => (typeof value === 'bigint' ? `\u0000bigint:${value}` : value))
    .replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
