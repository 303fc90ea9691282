/**
 * Errors raised by the Avro runtime, and the value paths they carry.
 *
 * A path is a mutable stack pushed/popped while walking a value: it costs nothing
 * unless an error is actually raised, when it is formatted as `items[2].price["EUR"]`.
 */

/** A record field name, an array index, or a map key. */
export type PathSegment = string | number | { readonly key: string };
export type ValuePath = PathSegment[];

export function formatValuePath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string') out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg.key)}]`;
  }
  return out;
}

/** A value already rendered for messages (e.g. a JSON number literal, shown exactly as written). */
export class Described {
  constructor(readonly text: string) {}
}

/** Short human description of an arbitrary value for error messages. */
export function describeValue(value: unknown): string {
  if (value instanceof Described) return value.text;
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? 'Date(Invalid Date)' : `Date(${value.toISOString()})`;
      }
      if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
      if (Array.isArray(value)) return `array(${value.length})`;
      return 'object';
    default:
      return typeof value;
  }
}

/** `expected <type>, got <value> (<detail>)` */
export function expectation(expected: string, actual: unknown, detail?: string): string {
  return `expected ${expected}, got ${describeValue(actual)}${detail === undefined ? '' : ` (${detail})`}`;
}

function prefixed(path: readonly PathSegment[], problem: string): string {
  return path.length === 0 ? problem : `${formatValuePath(path)}: ${problem}`;
}

/** A value does not conform to the schema (thrown by toBinary / toJson). */
export class AvroEncodeError extends Error {
  override readonly name = 'AvroEncodeError';
  /** Formatted path of the offending value, e.g. `items[2].unitPrice.amount`; '' for the value itself. */
  readonly path: string;
  constructor(path: readonly PathSegment[], problem: string) {
    super(prefixed(path, problem));
    this.path = formatValuePath(path);
  }
}

/** Binary or JSON input is malformed or does not conform to the schema (thrown by fromBinary / fromJson). */
export class AvroDecodeError extends Error {
  override readonly name = 'AvroDecodeError';
  /** Formatted path of the offending value; '' for the value itself or the input as a whole. */
  readonly path: string;
  constructor(path: readonly PathSegment[], problem: string) {
    super(prefixed(path, problem));
    this.path = formatValuePath(path);
  }
}

/** The schema itself is not valid Avro. */
export class AvroSchemaError extends Error {
  override readonly name = 'AvroSchemaError';
}

/** Raises the error appropriate to the direction of a walk (encode or decode). */
export type Fail = (path: readonly PathSegment[], expected: string, actual: unknown, detail?: string) => never;

export const failEncode: Fail = (path, expected, actual, detail) => {
  throw new AvroEncodeError(path, expectation(expected, actual, detail));
};

export const failDecode: Fail = (path, expected, actual, detail) => {
  throw new AvroDecodeError(path, expectation(expected, actual, detail));
};
