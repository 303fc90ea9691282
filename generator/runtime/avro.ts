/**
 * `createCodec`: binary (via avsc) and JSON codecs for one Avro schema, with the
 * TypeScript mapping of ARCHITECTURE.md ("TypeScript mapping").
 *
 * avsc does the binary work on datums (see datum.ts); it is built without its
 * logical types and with wrapped unions, so it never guesses a union branch
 * from a JS value and never loses precision: long is a custom type holding bigint.
 * Conversions between TS values and datums, with path-aware errors, are ours.
 */
import avsc from 'avsc';
import { AvroDecodeError, AvroEncodeError, AvroSchemaError, describeValue } from './errors.js';
import { datumToJson, jsonToDatum } from './avro-json.js';
import { canonicalFormOf, fingerprint64, fingerprintToHex, sha256Hex } from './canonical.js';
import { fromDatum, LONG_MAX, LONG_MIN, toDatum } from './datum.js';
import { parseJson, JsonSyntaxError, type JsonValue } from './json-text.js';
import { parseSchema, type AvroSchemaJson } from './schema.js';
import { checkReaderWriter } from '../compat/resolve.js';
import { compileBinary, GIVE_UP } from './compiled.js';
import { type CompiledJson, compileJson } from './compiled-json.js';

export interface AvroCodec<T> {
  /** The schema this codec was created from, as given. */
  readonly schema: AvroSchemaJson;
  /** Parsing Canonical Form of the schema. */
  readonly canonical: string;
  /** CRC-64-AVRO (Rabin) fingerprint of `canonical`, unsigned (0 … 2^64−1). */
  readonly fingerprint: bigint;
  /** `fingerprint` as 16 lower-case hex digits, most significant byte first. */
  readonly fingerprintHex: string;
  /** Lower-case hex SHA-256 of `canonical`. */
  readonly sha256: string;
  /** Avro binary encoding; throws AvroEncodeError naming the offending path. */
  toBinary(value: T): Uint8Array;
  /** Decodes exactly one value; throws AvroDecodeError on truncated input, trailing bytes or invalid data. */
  fromBinary(bytes: Uint8Array): T;
  /**
   * Avro JSON encoding, compact; throws AvroEncodeError. Longs are exact integer literals;
   * unions are null or `{"<branch>": value}`; bytes are strings of code points 0–255.
   * NaN, Infinity and -Infinity (not JSON) are written as the strings "NaN", "Infinity",
   * "-Infinity", and read back from them (a NaN's payload bits are not kept, binary keeps them).
   */
  toJson(value: T): string;
  /** Parses Avro JSON text (every record field required, unknown fields rejected); throws AvroDecodeError. */
  fromJson(text: string): T;
  /** True if `toBinary(value)` would succeed. */
  isValid(value: unknown): value is T;
  /**
   * A decoder for binary data written with another schema (`writer`), read as this codec's
   * type by Avro schema resolution (promotions, reader defaults for fields the writer lacks,
   * writer fields the reader lacks skipped, enum defaults). Throws AvroSchemaError, with
   * Apache Avro's incompatibility type and location, if this schema cannot read the writer's.
   */
  readerFor(writer: AvroSchemaJson): AvroReader<T>;
}

/** Decodes data written with one schema as another; see `AvroCodec.readerFor`. */
export interface AvroReader<T> {
  /** CRC-64-AVRO fingerprint of the writer schema's canonical form. */
  readonly writerFingerprint: bigint;
  /** Decodes exactly one value written with the writer schema; throws AvroDecodeError. */
  fromBinary(bytes: Uint8Array): T;
}

type AvscType = ReturnType<typeof avsc.Type.forSchema>;
type AvscSchema = Parameters<typeof avsc.Type.forSchema>[0];

function toBigInt(value: unknown): bigint {
  // avsc passes schema defaults here (JSON numbers, or bigints from our YAML loader).
  const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value)
    : typeof value === 'bigint' ? value
    : typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value)
    : undefined;
  if (n === undefined || n < LONG_MIN || n > LONG_MAX) throw new Error(`invalid long: ${describeValue(value)}`);
  return n;
}

/** A long type whose values are bigint over the full signed 64-bit range. */
function createLongType(): AvscType {
  return avsc.types.LongType.__with({
    fromBuffer: (buf: Buffer): bigint => buf.readBigInt64LE(0),
    toBuffer: (n: bigint): Buffer => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(n, 0);
      return buf;
    },
    fromJSON: toBigInt,
    // Only used by avsc's clone/default handling, never to produce JSON text (see avro-json.ts).
    toJSON: (n: bigint): bigint => n,
    isValid: (v: unknown): boolean => typeof v === 'bigint' && v >= LONG_MIN && v <= LONG_MAX,
    compare: (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0),
  });
}

/** The parts of avsc's (internal) Tap that reading a collection needs. */
interface Tap {
  readonly buf: Buffer;
  readonly pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  isValid(): boolean;
}
type ItemReader = (tap: Tap) => unknown;

function readerOf(type: unknown): ItemReader {
  const read = (type as { _read(tap: Tap): unknown })._read;
  return (tap) => read.call(type, tap);
}

/**
 * Reads the blocks of an array or map. Stops as soon as the input is exhausted: avsc's
 * own loop trusts the block count, so a few hostile bytes claiming 2^31 items would
 * make it allocate and spin (the caller reports the invalid tap as truncated input).
 */
function readBlocks(tap: Tap, readItem: (tap: Tap) => void): void {
  for (let n = tap.readLong(); n !== 0 && tap.isValid(); n = tap.readLong()) {
    if (n < 0) {
      n = -n;
      tap.skipLong(); // block size in bytes
    }
    if (tooManyItems(n, tap.buf.length - tap.pos)) throw new Error(`truncated input: a block of ${n} items with ${tap.buf.length - tap.pos} bytes left`);
    for (; n > 0 && tap.isValid(); n--) readItem(tap);
  }
}

/**
 * Only items that take no bytes (null, empty records) can outnumber the bytes left; a few
 * bytes claiming billions of them would exhaust memory, so such blocks are capped.
 */
function tooManyItems(count: number, bytesLeft: number): boolean {
  return count > bytesLeft && count > 1_000_000;
}

class SafeArrayType extends avsc.types.ArrayType {
  _read(tap: Tap): unknown {
    const readItem = readerOf(this.itemsType);
    const out: unknown[] = [];
    readBlocks(tap, (t) => out.push(readItem(t)));
    return out;
  }
}

/** Also reads into a null-prototype object: avsc's `val[key] = …` turns a "__proto__" key into a prototype. */
class SafeMapType extends avsc.types.MapType {
  _read(tap: Tap): unknown {
    const readValue = readerOf(this.valuesType);
    const out = Object.create(null) as { [key: string]: unknown };
    readBlocks(tap, (t) => {
      const key = t.readString();
      out[key] = readValue(t);
    });
    return out;
  }
}

/**
 * Like Apache Avro (and our parser), an unqualified reference that does not name a type in
 * the enclosing namespace names one in the null namespace; avsc only tries the former.
 */
function nullNamespaceFallback(name: string, opts: unknown): AvscType | undefined {
  const { namespace, registry } = opts as { namespace?: string; registry: { [name: string]: AvscType | undefined } };
  if (name.includes('.') || namespace === undefined || namespace === '') return undefined;
  if (registry[`${namespace}.${name}`] !== undefined) return undefined;
  return registry[name];
}

function typeOf(schema: unknown): unknown {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema)
    ? (schema as { readonly type?: unknown }).type
    : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function avscTypeOf(schema: AvroSchemaJson): AvscType {
  const longType = createLongType();
  try {
    return avsc.Type.forSchema(schema as unknown as AvscSchema, {
      registry: {},
      wrapUnions: 'always',
      typeHook: (s: unknown, opts: unknown) => {
        if (s === 'long') return longType;
        if (typeof s === 'string') return nullNamespaceFallback(s, opts);
        switch (typeOf(s)) {
          case 'long': return longType;
          case 'array': return new SafeArrayType(s as AvscSchema, opts);
          case 'map': return new SafeMapType(s as AvscSchema, opts);
          default: return undefined;
        }
      },
    });
  } catch (err) {
    // Our parser accepted it, so this is something only avsc checks (e.g. field defaults).
    throw new AvroSchemaError(`invalid Avro schema: ${errorText(err)}`);
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  if (!(bytes instanceof Uint8Array)) throw new AvroDecodeError([], `expected Uint8Array, got ${describeValue(bytes)}`);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes exactly one datum (with `resolver`: written with another schema). */
function decodeDatum(type: AvscType, bytes: Uint8Array, resolver?: unknown): unknown {
  const buf = toBuffer(bytes);
  let decoded: { value: unknown; offset: number };
  try {
    decoded = (type.decode as (buf: Buffer, pos: number, resolver?: unknown) => { value: unknown; offset: number })(buf, 0, resolver);
  } catch (err) {
    throw new AvroDecodeError([], `invalid Avro binary: ${errorText(err)}`);
  }
  if (decoded.offset < 0) throw new AvroDecodeError([], `invalid Avro binary: truncated input (${buf.length} bytes)`);
  if (decoded.offset !== buf.length) {
    throw new AvroDecodeError([], `invalid Avro binary: ${buf.length - decoded.offset} trailing bytes after the value`);
  }
  return decoded.value;
}

/**
 * Creates a codec for `schema`. `T` is trusted to be the TypeScript type of the
 * schema (generated code guarantees it). Throws AvroSchemaError if the schema is invalid.
 * Schema text (a `.avsc` file, a registry's answer) goes through `parseSchemaText`, which
 * keeps long defaults exact.
 */
export function createCodec<T>(schema: AvroSchemaJson): AvroCodec<T> {
  return buildCodec<T>(schema, true);
}

/** The codec without the compiled fast paths: what test/runtime/compiled.test.ts and compiled-json.test.ts compare it with. */
export function createGenericCodec<T>(schema: AvroSchemaJson): AvroCodec<T> {
  return buildCodec<T>(schema, false);
}

function buildCodec<T>(schema: AvroSchemaJson, fast: boolean): AvroCodec<T> {
  const root = parseSchema(schema);
  const type = avscTypeOf(schema);
  const canonical = canonicalFormOf(root);
  const fingerprint = fingerprint64(canonical);

  const encode = (value: unknown): unknown => toDatum(root, value, []);
  // The fast path for valid values and well-formed bytes; the generic one decides the rest.
  const compiled = fast ? compileBinary(root) : { encode: () => undefined, decode: () => GIVE_UP };
  // Compiled on first use: most codecs of a service only ever see binary.
  let compiledJson: CompiledJson | undefined;
  const jsonPath = (): CompiledJson => (compiledJson ??= fast ? compileJson(root) : { encode: () => undefined, decode: () => GIVE_UP });

  const codec: AvroCodec<T> = {
    schema,
    canonical,
    fingerprint,
    fingerprintHex: fingerprintToHex(fingerprint),
    sha256: sha256Hex(canonical),
    toBinary(value: T): Uint8Array {
      return compiled.encode(value) ?? type.toBuffer(encode(value));
    },
    fromBinary(bytes: Uint8Array): T {
      if (bytes instanceof Uint8Array) {
        const value = compiled.decode(toBuffer(bytes));
        if (value !== GIVE_UP) return value as T;
      }
      return fromDatum(root, decodeDatum(type, bytes), []) as T;
    },
    toJson(value: T): string {
      return jsonPath().encode(value) ?? datumToJson(root, encode(value));
    },
    fromJson(text: string): T {
      if (typeof text !== 'string') throw new AvroDecodeError([], `expected JSON text, got ${describeValue(text)}`);
      const value = jsonPath().decode(text);
      if (value !== GIVE_UP) return value as T;
      let json: JsonValue;
      try {
        json = parseJson(text);
      } catch (err) {
        if (err instanceof JsonSyntaxError) throw new AvroDecodeError([], err.message);
        throw err;
      }
      return fromDatum(root, jsonToDatum(root, json, []), []) as T;
    },
    isValid(value: unknown): value is T {
      if (compiled.encode(value) !== undefined) return true;
      try {
        encode(value);
        return true;
      } catch (err) {
        if (err instanceof AvroEncodeError) return false;
        throw err;
      }
    },
    readerFor(writer: AvroSchemaJson): AvroReader<T> {
      const writerRoot = parseSchema(writer);
      const writerFingerprint = fingerprint64(canonicalFormOf(writerRoot));
      if (writerFingerprint === fingerprint) return { writerFingerprint, fromBinary: (bytes) => codec.fromBinary(bytes) };
      // The compatibility engine names the problem as Apache Avro does; avsc does the reading.
      const verdict = checkReaderWriter(schema, writer);
      const first = verdict.incompatibilities[0];
      if (first !== undefined) {
        throw new AvroSchemaError(`cannot read data written with schema ${fingerprintToHex(writerFingerprint)}: ${first.type} at ${first.location}: ${first.message}`);
      }
      let resolver: unknown;
      try {
        resolver = type.createResolver(avscTypeOf(writer), { ignoreNamespaces: true } as never);
      } catch (err) {
        throw new AvroSchemaError(`cannot read data written with schema ${fingerprintToHex(writerFingerprint)}: ${errorText(err)}`);
      }
      return { writerFingerprint, fromBinary: (bytes) => fromDatum(root, decodeDatum(type, bytes, resolver), []) as T };
    },
  };
  return Object.freeze(codec);
}
