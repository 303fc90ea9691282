/**
 * Avro JSON encoding (Avro specification, "JSON Encoding") of datums.
 *
 * - null/boolean/string as JSON; int/long as bare integer literals, exact to 64 bits;
 * - float/double as numbers; NaN and ±Infinity are not JSON, so they are written
 *   as the strings "NaN", "Infinity", "-Infinity" (as Jackson/Java Avro do);
 *   -0 is written as `-0.0` (Java reads `-0` as the integer 0, i.e. +0.0);
 * - bytes/fixed as a string of code points U+0000–U+00FF, one per byte;
 * - enums as their symbol; arrays/maps/records as JSON arrays/objects
 *   (record fields in schema order; every field required, unknown fields rejected);
 * - unions as null or `{"<branch name>": value}` (named types by fullname);
 * - logical types as their underlying type.
 * Output is compact: no insignificant whitespace.
 */
import { AvroDecodeError, Described, failDecode, type ValuePath } from './errors.js';
import { JsonNumber, quoteJson, type JsonValue } from './json-text.js';
import { LONG_MAX, LONG_MIN, setEntry, type Dict } from './datum.js';
import { describeNode, type SchemaNode } from './schema.js';

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return '"NaN"';
  if (n === Number.POSITIVE_INFINITY) return '"Infinity"';
  if (n === Number.NEGATIVE_INFINITY) return '"-Infinity"';
  // String() gives the shortest text that reads back as the same double (and valid JSON: 1e+21, 5e-7).
  return Object.is(n, -0) ? '-0.0' : String(n);
}

function bytesToJson(bytes: Uint8Array): string {
  return quoteJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

function entry(datum: unknown, key: string): unknown {
  return (datum as Dict)[key];
}

/** Writes an (already validated) datum as Avro JSON text. */
export function datumToJson(node: SchemaNode, datum: unknown): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return datum === true ? 'true' : 'false';
    case 'int': case 'long':
      return String(datum);
    case 'float': case 'double':
      return formatFloat(datum as number);
    case 'string': case 'enum':
      return quoteJson(datum as string);
    case 'bytes': case 'fixed':
      return bytesToJson(datum as Uint8Array);
    case 'array':
      return `[${(datum as readonly unknown[]).map((d) => datumToJson(node.items, d)).join(',')}]`;
    case 'map': {
      const parts: string[] = [];
      for (const key of Object.keys(datum as Dict)) parts.push(`${quoteJson(key)}:${datumToJson(node.values, entry(datum, key))}`);
      return `{${parts.join(',')}}`;
    }
    case 'record': {
      const parts = node.fields.map((f) => `${quoteJson(f.name)}:${datumToJson(f.type, entry(datum, f.name))}`);
      return `{${parts.join(',')}}`;
    }
    case 'union': {
      if (datum === null) return 'null';
      const key = Object.keys(datum as Dict)[0] ?? '';
      const branch = node.byName.get(key);
      if (branch === undefined) throw new Error(`internal error: no union branch ${key}`);
      return `{${quoteJson(key)}:${datumToJson(branch, entry(datum, key))}}`;
    }
    default:
      return datumToJson(node.underlying, datum);
  }
}

/** What to show as "got ..." for a JSON value. */
function jsonKind(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return new Described(value.text);
  if (Array.isArray(value)) return new Described(`array(${value.length})`);
  if (value instanceof Map) return new Described('object');
  return value;
}

function integer(value: JsonValue, node: SchemaNode, path: ValuePath): bigint {
  if (!(value instanceof JsonNumber) || !value.isInteger) return failDecode(path, describeNode(node), jsonKind(value));
  return BigInt(value.text);
}

function floating(value: JsonValue, node: SchemaNode, path: ValuePath): number {
  if (value instanceof JsonNumber) return Number(value.text);
  const special = typeof value === 'string' ? NON_FINITE.get(value) : undefined;
  return special ?? failDecode(path, describeNode(node), jsonKind(value));
}

function byteString(value: JsonValue, node: SchemaNode, path: ValuePath): Buffer {
  if (typeof value !== 'string') return failDecode(path, describeNode(node), jsonKind(value));
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) return failDecode(path, describeNode(node), value, 'bytes must be code points 0-255');
  }
  return Buffer.from(value, 'latin1');
}

/**
 * Reads a parsed Avro JSON value as a datum. Structure and primitive ranges are
 * checked here; logical-type constraints are left to `fromDatum`.
 */
export function jsonToDatum(node: SchemaNode, value: JsonValue, path: ValuePath): unknown {
  switch (node.kind) {
    case 'null':
      return value === null ? null : failDecode(path, 'null', jsonKind(value));
    case 'boolean':
      return typeof value === 'boolean' ? value : failDecode(path, 'boolean', jsonKind(value));
    case 'int': {
      const n = integer(value, node, path);
      return n >= INT_MIN && n <= INT_MAX ? Number(n) : failDecode(path, 'int', n);
    }
    case 'long': {
      const n = integer(value, node, path);
      return n >= LONG_MIN && n <= LONG_MAX ? n : failDecode(path, describeNode(node), n);
    }
    case 'float':
      return Math.fround(floating(value, node, path));
    case 'double':
      return floating(value, node, path);
    case 'string': case 'enum':
      return typeof value === 'string' ? value : failDecode(path, describeNode(node), jsonKind(value));
    case 'bytes': case 'fixed':
      return byteString(value, node, path);
    case 'array': {
      if (!Array.isArray(value)) return failDecode(path, 'array', jsonKind(value));
      return value.map((item, i) => {
        path.push(i);
        const d = jsonToDatum(node.items, item, path);
        path.pop();
        return d;
      });
    }
    case 'map': {
      if (!(value instanceof Map)) return failDecode(path, 'map (JSON object)', jsonKind(value));
      const out: Dict = Object.create(null) as Dict;
      for (const [key, item] of value) {
        path.push({ key });
        setEntry(out, key, jsonToDatum(node.values, item, path));
        path.pop();
      }
      return out;
    }
    case 'record': {
      if (!(value instanceof Map)) return failDecode(path, describeNode(node), jsonKind(value));
      const out: Dict = Object.create(null) as Dict;
      for (const field of node.fields) {
        path.push(field.name);
        const item = value.get(field.name);
        if (item === undefined) failDecode(path, describeNode(field.type), undefined, 'missing field');
        setEntry(out, field.name, jsonToDatum(field.type, item as JsonValue, path));
        path.pop();
      }
      if (value.size !== node.fields.length) {
        const unknown = [...value.keys()].find((k) => !node.fields.some((f) => f.name === k)) ?? '';
        path.push(unknown);
        throw new AvroDecodeError(path, `unknown field: record ${node.name} has no field ${JSON.stringify(unknown)}`);
      }
      return out;
    }
    case 'union': {
      if (value === null) return node.byName.has('null') ? null : failDecode(path, describeNode(node), null);
      const single = value instanceof Map && value.size === 1 ? [...value][0] : undefined;
      const branch = single === undefined ? undefined : node.byName.get(single[0]);
      if (single === undefined || branch === undefined || branch.kind === 'null') {
        return failDecode(path, `${describeNode(node)} as null or {"<branch>": value}`, jsonKind(value));
      }
      return { [single[0]]: jsonToDatum(branch, single[1], path) };
    }
    default:
      return jsonToDatum(node.underlying, value, path);
  }
}
