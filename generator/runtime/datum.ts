/**
 * TypeScript value ↔ Avro datum.
 *
 * A datum is the shape avsc reads and writes with our types: logical values in
 * their underlying form, long as bigint, bytes/fixed as Buffer, unions wrapped as
 * `{ "<branch name>": datum }` (null stays null). It is also exactly the structure
 * of Avro's JSON encoding, so the JSON codec works on datums too.
 *
 * `toDatum` validates while converting (AvroEncodeError with the value's path);
 * `fromDatum` validates what decoding produced (AvroDecodeError).
 */
import { failDecode, failEncode, AvroEncodeError, type Fail, type ValuePath } from './errors.js';
import { describeNode, type SchemaNode, type UnionNode } from './schema.js';
import {
  UUID_PATTERN, decimalDigits, formatDate, formatDecimal, fromTwosComplement, parseDate, parseDecimal, toTwosComplement,
} from './logical.js';

export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const MS_PER_DAY = 86_400_000;
/** Largest |ms| a JS Date can hold. */
const DATE_MS_LIMIT = 8_640_000_000_000_000n;
/** Matches an unpaired UTF-16 surrogate; such strings cannot be encoded as UTF-8 without loss. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export type Dict = { [key: string]: unknown };

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    && !(value instanceof Uint8Array) && !(value instanceof Date);
}

/** Assigns without invoking the `__proto__` setter, so such keys stay ordinary data. */
export function setEntry(target: Dict, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function getEntry(source: Dict, key: string): unknown {
  return key === '__proto__' ? Object.getOwnPropertyDescriptor(source, key)?.value : source[key];
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkString(value: unknown, node: SchemaNode, path: ValuePath, fail: Fail): string {
  if (typeof value !== 'string') return fail(path, describeNode(node), value);
  if (LONE_SURROGATE.test(value)) return fail(path, describeNode(node), value, 'contains an unpaired surrogate');
  return value;
}

function checkInt(value: unknown, node: SchemaNode, path: ValuePath, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT_MIN || value > INT_MAX) {
    return fail(path, describeNode(node), value);
  }
  return value | 0;
}

function checkLong(value: unknown, node: SchemaNode, path: ValuePath, fail: Fail): bigint {
  if (typeof value !== 'bigint' || value < LONG_MIN || value > LONG_MAX) return fail(path, describeNode(node), value);
  return value;
}

function checkTimeMillis(value: unknown, node: SchemaNode, path: ValuePath, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= MS_PER_DAY) {
    return fail(path, describeNode(node), value);
  }
  return value | 0;
}

// ------------------------------------------------------------------ encode

/** Validates `value` against `node` and converts it to an avsc datum. */
export function toDatum(node: SchemaNode, value: unknown, path: ValuePath): unknown {
  switch (node.kind) {
    case 'null':
      return value === null ? null : failEncode(path, 'null', value);
    case 'boolean':
      return typeof value === 'boolean' ? value : failEncode(path, 'boolean', value);
    case 'int':
      return checkInt(value, node, path, failEncode);
    case 'long':
    case 'timestamp-micros':
      return checkLong(value, node, path, failEncode);
    case 'float':
      return typeof value === 'number' ? Math.fround(value) : failEncode(path, 'float', value);
    case 'double':
      return typeof value === 'number' ? value : failEncode(path, 'double', value);
    case 'string':
      return checkString(value, node, path, failEncode);
    case 'bytes':
      return value instanceof Uint8Array ? asBuffer(value) : failEncode(path, describeNode(node), value);
    case 'fixed':
      return value instanceof Uint8Array && value.length === node.size ? asBuffer(value) : failEncode(path, describeNode(node), value);
    case 'enum':
      return typeof value === 'string' && node.symbolSet.has(value) ? value : failEncode(path, describeNode(node), value);
    case 'array': {
      if (!Array.isArray(value)) return failEncode(path, 'array', value);
      const out: unknown[] = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        out[i] = toDatum(node.items, value[i], path);
        path.pop();
      }
      return out;
    }
    case 'map': {
      if (!isDict(value)) return failEncode(path, 'map (plain object)', value);
      const out: Dict = Object.create(null) as Dict;
      for (const key of Object.keys(value)) {
        path.push({ key });
        if (LONE_SURROGATE.test(key)) failEncode(path, 'map key', key, 'contains an unpaired surrogate');
        out[key] = toDatum(node.values, getEntry(value, key), path);
        path.pop();
      }
      return out;
    }
    case 'record': {
      if (!isDict(value)) return failEncode(path, describeNode(node), value);
      const out: Dict = Object.create(null) as Dict;
      for (const field of node.fields) {
        path.push(field.name);
        out[field.name] = toDatum(field.type, getEntry(value, field.name), path);
        path.pop();
      }
      return out;
    }
    case 'union':
      return unionToDatum(node, value, path);
    case 'date': {
      if (typeof value !== 'string') return failEncode(path, describeNode(node), value);
      const days = parseDate(value);
      return typeof days === 'number' ? days : failEncode(path, describeNode(node), value, days.error);
    }
    case 'time-millis':
      return checkTimeMillis(value, node, path, failEncode);
    case 'timestamp-millis': {
      if (!(value instanceof Date)) return failEncode(path, describeNode(node), value);
      const ms = value.getTime();
      return Number.isNaN(ms) ? failEncode(path, describeNode(node), value) : BigInt(ms);
    }
    case 'uuid':
      return typeof value === 'string' && UUID_PATTERN.test(value) ? value : failEncode(path, describeNode(node), value);
    case 'decimal': {
      if (typeof value !== 'string') return failEncode(path, describeNode(node), value);
      const unscaled = parseDecimal(value, node.precision, node.scale);
      if (typeof unscaled !== 'bigint') return failEncode(path, describeNode(node), value, unscaled.error);
      const size = node.underlying.kind === 'fixed' ? node.underlying.size : undefined;
      return asBuffer(toTwosComplement(unscaled, size));
    }
  }
}

/** Cheap, non-throwing test of the value's outer shape, used to choose union branches. */
function looksLike(node: SchemaNode, value: unknown): boolean {
  switch (node.kind) {
    case 'null': return value === null;
    case 'boolean': return typeof value === 'boolean';
    case 'int': case 'time-millis': return typeof value === 'number' && Number.isInteger(value);
    case 'float': case 'double': return typeof value === 'number';
    case 'long': case 'timestamp-micros': return typeof value === 'bigint';
    case 'string': case 'date': case 'decimal': return typeof value === 'string';
    case 'uuid': return typeof value === 'string' && UUID_PATTERN.test(value);
    case 'enum': return typeof value === 'string' && node.symbolSet.has(value);
    case 'bytes': return value instanceof Uint8Array;
    case 'fixed': return value instanceof Uint8Array && value.length === node.size;
    case 'timestamp-millis': return value instanceof Date;
    case 'array': return Array.isArray(value);
    case 'map': case 'record': return isDict(value);
    case 'union': return false;
  }
}

/**
 * Values of an unwrapped union carry no branch tag: the first branch whose shape fits
 * and whose conversion succeeds wins. A single fitting branch reports its own (deeper) error.
 */
function unionToDatum(node: UnionNode, value: unknown, path: ValuePath): unknown {
  if (node.wrapped) return wrappedToDatum(node, value, path);
  let first = -1;
  let second = -1;
  for (let i = 0; i < node.branches.length; i++) {
    const branch = node.branches[i];
    if (branch === undefined || !looksLike(branch, value)) continue;
    if (first < 0) first = i;
    else if (second < 0) second = i;
  }
  if (first < 0) return failEncode(path, describeNode(node), value);
  const wrap = (i: number): unknown => {
    const branch = node.branches[i] as SchemaNode;
    return branch.kind === 'null' ? null : { [node.branchNames[i] ?? '']: toDatum(branch, value, path) };
  };
  if (second < 0) return wrap(first);
  const depth = path.length;
  let firstError: unknown;
  for (let i = first; i < node.branches.length; i++) {
    const branch = node.branches[i];
    if (branch === undefined || !looksLike(branch, value)) continue;
    try {
      return wrap(i);
    } catch (err) {
      if (!(err instanceof AvroEncodeError)) throw err;
      firstError ??= err;
      path.length = depth;
    }
  }
  throw firstError;
}

/** The value names its branch: null, or `{ "<branch name>": value }`. */
function wrappedToDatum(node: UnionNode, value: unknown, path: ValuePath): unknown {
  if (value === null) return node.byName.has('null') ? null : failEncode(path, describeNode(node), value);
  const keys = isDict(value) ? Object.keys(value) : [];
  const key = keys.length === 1 ? keys[0] : undefined;
  const branch = key === undefined ? undefined : node.byName.get(key);
  if (key === undefined || branch === undefined || branch.kind === 'null') {
    return failEncode(path, `${describeNode(node)} as null or {"<branch>": value}`, value);
  }
  return { [key]: toDatum(branch, getEntry(value as Dict, key), path) };
}

// ------------------------------------------------------------------ decode

function copyBytes(value: unknown, node: SchemaNode, path: ValuePath): Uint8Array {
  if (!(value instanceof Uint8Array)) return failDecode(path, describeNode(node), value);
  if (node.kind === 'fixed' && value.length !== node.size) return failDecode(path, describeNode(node), value);
  return new Uint8Array(value);
}

/** Converts a datum produced by avsc (or by the JSON reader) to the TypeScript value, validating logical types. */
export function fromDatum(node: SchemaNode, datum: unknown, path: ValuePath): unknown {
  switch (node.kind) {
    case 'null':
      return datum === null ? null : failDecode(path, 'null', datum);
    case 'boolean':
      return typeof datum === 'boolean' ? datum : failDecode(path, 'boolean', datum);
    case 'int':
      return checkInt(datum, node, path, failDecode);
    case 'long':
    case 'timestamp-micros':
      return checkLong(datum, node, path, failDecode);
    case 'float':
    case 'double':
      return typeof datum === 'number' ? datum : failDecode(path, node.kind, datum);
    case 'string':
      return checkString(datum, node, path, failDecode);
    case 'bytes':
    case 'fixed':
      return copyBytes(datum, node, path);
    case 'enum':
      return typeof datum === 'string' && node.symbolSet.has(datum) ? datum : failDecode(path, describeNode(node), datum);
    case 'array': {
      if (!Array.isArray(datum)) return failDecode(path, 'array', datum);
      const out: unknown[] = new Array<unknown>(datum.length);
      for (let i = 0; i < datum.length; i++) {
        path.push(i);
        out[i] = fromDatum(node.items, datum[i], path);
        path.pop();
      }
      return out;
    }
    case 'map': {
      if (!isDict(datum)) return failDecode(path, 'map', datum);
      const out: Dict = {};
      for (const key of Object.keys(datum)) {
        path.push({ key });
        setEntry(out, key, fromDatum(node.values, getEntry(datum, key), path));
        path.pop();
      }
      return out;
    }
    case 'record': {
      if (!isDict(datum)) return failDecode(path, describeNode(node), datum);
      const out: Dict = {};
      for (const field of node.fields) {
        path.push(field.name);
        setEntry(out, field.name, fromDatum(field.type, getEntry(datum, field.name), path));
        path.pop();
      }
      return out;
    }
    case 'union': {
      if (datum === null) return node.byName.has('null') ? null : failDecode(path, describeNode(node), datum);
      const keys = isDict(datum) ? Object.keys(datum) : [];
      const key = keys.length === 1 ? keys[0] : undefined;
      const branch = key === undefined ? undefined : node.byName.get(key);
      if (key === undefined || branch === undefined || branch.kind === 'null') {
        return failDecode(path, describeNode(node), datum);
      }
      const inner = fromDatum(branch, getEntry(datum as Dict, key), path);
      return node.wrapped ? { [key]: inner } : inner;
    }
    case 'date': {
      const days = checkInt(datum, node, path, failDecode);
      return formatDate(days);
    }
    case 'time-millis':
      return checkTimeMillis(datum, node, path, failDecode);
    case 'timestamp-millis': {
      const ms = checkLong(datum, node, path, failDecode);
      if (ms > DATE_MS_LIMIT || ms < -DATE_MS_LIMIT) return failDecode(path, describeNode(node), datum, 'outside the range of Date');
      return new Date(Number(ms));
    }
    case 'uuid':
      return typeof datum === 'string' && UUID_PATTERN.test(datum) ? datum : failDecode(path, describeNode(node), datum);
    case 'decimal': {
      const bytes = copyBytes(datum, node.underlying, path);
      const unscaled = fromTwosComplement(bytes);
      if (decimalDigits(unscaled) > node.precision) {
        return failDecode(path, describeNode(node), datum, `more than ${node.precision} digits`);
      }
      return formatDecimal(unscaled, node.scale);
    }
  }
}
