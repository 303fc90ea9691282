// Random Avro schemas paired with generators of valid TypeScript values for them.
import type { AvroSchemaJson } from '../../generator/runtime/index.js';
import type { Rng } from './helpers.js';

export interface Arbitrary {
  readonly schema: AvroSchemaJson;
  value(rng: Rng): unknown;
}

export const LEAF_KINDS = [
  'null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string',
  'uuid', 'date', 'time-millis', 'timestamp-millis', 'timestamp-micros', 'decimal', 'decimal-fixed',
  'enum', 'fixed', 'list',
] as const;
export type LeafKind = (typeof LEAF_KINDS)[number];

const DAY_MS = 86_400_000;

export function randomString(rng: Rng, maxLength = 8): string {
  let out = '';
  const length = rng.int(0, maxLength);
  for (let i = 0; i < length; i++) {
    const range = rng.int(0, 5);
    const cp = range === 0 ? rng.int(0x20, 0x7e)
      : range === 1 ? rng.int(0, 0x1f)
      : range === 2 ? rng.int(0x7f, 0xff)
      : range === 3 ? rng.pick([rng.int(0x100, 0xd7ff), rng.int(0xe000, 0xfffd), 0x2028, 0xfeff])
      : range === 4 ? rng.int(0x10000, 0x10ffff)
      : rng.pick([0, 0x22, 0x5c, 0x2f]);
    out += String.fromCodePoint(cp);
  }
  return out;
}

function randomDigits(rng: Rng, count: number, leadingNonZero: boolean): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(i === 0 && leadingNonZero ? rng.int(1, 9) : rng.int(0, 9));
  return out;
}

/** Canonical decimal text with at most precision digits and exactly scale fraction digits, built without the runtime. */
export function randomDecimal(rng: Rng, precision: number, scale: number): string {
  const intDigits = rng.bool(0.2) ? precision - scale : rng.int(0, precision - scale);
  const intPart = intDigits === 0 ? '0' : randomDigits(rng, intDigits, true);
  const fraction = rng.bool(0.1) ? '0'.repeat(scale) : randomDigits(rng, scale, false);
  const isZero = /^0*$/.test(intPart + fraction);
  const sign = !isZero && rng.bool() ? '-' : '';
  return scale === 0 ? `${sign}${intPart}` : `${sign}${intPart}.${fraction}`;
}

function maxFixedPrecision(size: number): number {
  return ((1n << BigInt(8 * size - 1)) - 1n).toString().length - 1;
}

export function randomDouble(rng: Rng): number {
  switch (rng.int(0, 5)) {
    case 0: return rng.pick([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE]);
    case 1: return rng.int(-1e9, 1e9) / 1000;
    case 2: return rng.int(-(2 ** 31), 2 ** 31);
    default: return rng.doubleBits();
  }
}

export function randomLong(rng: Rng): bigint {
  return rng.bool(0.2) ? rng.pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 1n]) : rng.int64() >> BigInt(rng.int(0, 63));
}

/** Builds one random schema document; named types get unique names, later references reuse earlier definitions. */
export class SchemaGenerator {
  private counter = 0;
  private readonly named: { fullname: string; arb: Arbitrary }[] = [];
  /** The document's namespace, which every (unqualified) named type inherits: part of their union branch names. */
  namespace: string | undefined;

  constructor(private readonly rng: Rng) {}

  private fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  leaf(kind: LeafKind): Arbitrary {
    const rng = this.rng;
    switch (kind) {
      case 'null': return { schema: 'null', value: () => null };
      case 'boolean': return { schema: 'boolean', value: (r) => r.bool() };
      case 'int': return { schema: 'int', value: (r) => (r.bool(0.2) ? r.pick([0, -1, 2 ** 31 - 1, -(2 ** 31)]) : r.int(-(2 ** 31), 2 ** 31 - 1)) };
      case 'long': return { schema: rng.bool() ? 'long' : { type: 'long' }, value: randomLong };
      case 'float': return { schema: 'float', value: (r) => Math.fround(randomDouble(r)) };
      case 'double': return { schema: 'double', value: randomDouble };
      case 'bytes': return { schema: 'bytes', value: (r) => r.bytes(r.int(0, 12)) };
      case 'string': return { schema: 'string', value: (r) => randomString(r) };
      case 'uuid':
        return {
          schema: { type: 'string', logicalType: 'uuid' },
          value: (r) => [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => r.pick([...'0123456789abcdefABCDEF'])).join('')).join('-'),
        };
      case 'date':
        return {
          schema: { type: 'int', logicalType: 'date' },
          // Through Date, so expected text is independent of the runtime (Date covers ±1e8 days).
          value: (r) => new Date((r.bool(0.5) ? r.int(-1e8, 1e8) : r.int(-800_000, 800_000)) * DAY_MS).toISOString().split('T')[0],
        };
      case 'time-millis': return { schema: { type: 'int', logicalType: 'time-millis' }, value: (r) => r.int(0, DAY_MS - 1) };
      case 'timestamp-millis':
        return {
          schema: { type: 'long', logicalType: 'timestamp-millis' },
          value: (r) => new Date(r.bool(0.1) ? r.pick([8.64e15, -8.64e15, 0, -1]) : r.int(-864e4, 864e4) * 1e9 + r.int(0, 1e9 - 1)),
        };
      case 'timestamp-micros': return { schema: { type: 'long', logicalType: 'timestamp-micros' }, value: randomLong };
      case 'decimal': {
        const precision = rng.bool(0.1) ? rng.int(39, 80) : rng.int(1, 38);
        const scale = rng.int(0, precision);
        return {
          schema: { type: 'bytes', logicalType: 'decimal', precision, ...(scale === 0 && rng.bool() ? {} : { scale }) },
          value: (r) => randomDecimal(r, precision, scale),
        };
      }
      case 'decimal-fixed': {
        const size = rng.int(1, 16);
        const precision = rng.int(1, maxFixedPrecision(size));
        const scale = rng.int(0, precision);
        return this.define({ type: 'fixed', name: this.fresh('Dec'), size, logicalType: 'decimal', precision, scale }, (r) => randomDecimal(r, precision, scale));
      }
      case 'enum': {
        const symbols = Array.from({ length: rng.int(1, 5) }, (_, i) => `S${i}_${rng.int(0, 99)}`);
        return this.define({ type: 'enum', name: this.fresh('E'), symbols }, (r) => r.pick(symbols));
      }
      case 'fixed': {
        const size = rng.int(0, 20);
        return this.define({ type: 'fixed', name: this.fresh('F'), size }, (r) => r.bytes(size));
      }
      case 'list': {
        const name = this.fresh('List');
        const gen = (r: Rng, depth: number): unknown => ({ value: r.int(-100, 100), next: depth > 0 && r.bool(0.7) ? gen(r, depth - 1) : null });
        return this.define(
          { type: 'record', name, fields: [{ name: 'value', type: 'int' }, { name: 'next', type: ['null', name], default: null }] },
          (r) => gen(r, 4),
        );
      }
    }
  }

  private define(schema: AvroSchemaJson & { name: string }, value: (r: Rng) => unknown): Arbitrary {
    const arb = { schema, value };
    this.named.push({ fullname: schema.name, arb });
    return arb;
  }

  /** A leaf, sometimes wrapped in arrays, maps, optionals, records or unions. */
  wrapped(kind: LeafKind, depth: number): Arbitrary {
    if (depth <= 0 || this.rng.bool(0.4)) return this.rng.bool(0.1) ? this.reuse() ?? this.leaf(kind) : this.leaf(kind);
    const inner = this.wrapped(kind, depth - 1);
    switch (this.rng.int(0, 4)) {
      case 0: return { schema: { type: 'array', items: inner.schema }, value: (r) => Array.from({ length: r.int(0, 4) }, () => inner.value(r)) };
      case 1:
        return {
          schema: { type: 'map', values: inner.schema },
          value: (r) => Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [randomString(r, 5), inner.value(r)])),
        };
      case 2:
        if (kind === 'null' || Array.isArray(inner.schema)) return inner;
        return { schema: ['null', inner.schema], value: (r) => (r.bool(0.3) ? null : inner.value(r)) };
      case 3: return this.record([inner]);
      default: return this.union(inner);
    }
  }

  /** A reference (by fullname) to a named type defined earlier in the document. */
  private reuse(): Arbitrary | undefined {
    if (this.named.length === 0) return undefined;
    const { fullname, arb } = this.rng.pick(this.named);
    return { schema: fullname, value: arb.value };
  }

  /** A union of `inner` with other branches of distinct names. */
  private union(inner: Arbitrary): Arbitrary {
    if (Array.isArray(inner.schema) || inner.schema === 'null') return inner;
    const innerName = branchNameOf(inner.schema);
    const others = (['boolean', 'string', 'long', 'double', 'bytes'] as const)
      .filter((k) => k !== innerName && this.rng.bool(0.3))
      .map((k) => this.leaf(k));
    const branches = [...(this.rng.bool(0.7) ? [this.leaf('null')] : []), inner, ...others];
    for (let i = branches.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [branches[i], branches[j]] = [branches[j] as Arbitrary, branches[i] as Arbitrary];
    }
    // Branches that take the same kind of value (a decimal string and "string", an int and a
    // double) make the union wrapped: the value names its branch, so round trips keep the bytes.
    const kinds = branches.filter((b) => b.schema !== 'null').map((b) => valueKindOf(b.schema, this.named));
    const wrapped = new Set(kinds).size !== kinds.length;
    return {
      schema: branches.map((b) => b.schema),
      value: (r) => {
        const b = r.pick(branches);
        const v = b.value(r);
        return wrapped && b.schema !== 'null' ? { [this.branchKey(b.schema)]: v } : v;
      },
    };
  }

  private branchKey(schema: AvroSchemaJson): string {
    const name = branchNameOf(schema);
    const isNamed = typeof schema === 'string' ? !PRIMITIVE_NAMES.has(schema) : typeof (schema as { name?: unknown }).name === 'string';
    return isNamed && this.namespace !== undefined ? `${this.namespace}.${name}` : name;
  }

  record(fields: readonly Arbitrary[], namespace?: string): Arbitrary {
    const name = this.fresh('R');
    const fullname = namespace === undefined ? name : `${namespace}.${name}`;
    const names = fields.map((_, i) => `f${i}`);
    const schema = {
      type: 'record', name, ...(namespace === undefined ? {} : { namespace }),
      fields: fields.map((f, i) => ({ name: names[i], type: f.schema })),
    };
    const value = (r: Rng): unknown => Object.fromEntries(fields.map((f, i) => [names[i], f.value(r)]));
    const arb = { schema, value };
    this.named.push({ fullname, arb });
    return arb;
  }
}

const PRIMITIVE_NAMES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

interface NamedEntry { readonly fullname: string; readonly arb: Arbitrary }

function resolveRef(schema: AvroSchemaJson, named: readonly NamedEntry[]): AvroSchemaJson {
  return typeof schema === 'string' ? named.find((n) => n.fullname === schema)?.arb.schema ?? schema : schema;
}

/** Avro JSON branch name: a named type's fullname, else its (underlying) type name. */
function branchNameOf(schema: AvroSchemaJson): string {
  if (typeof schema === 'string') return schema;
  if (Array.isArray(schema)) return 'union';
  const s = schema as { type?: unknown; name?: unknown };
  if (typeof s.name === 'string') return s.name;
  return String(s.type);
}

/** The kind of TypeScript value a schema takes (the runtime wraps unions whose branches share one). */
function valueKindOf(schema: AvroSchemaJson, named: readonly NamedEntry[]): string {
  const s = resolveRef(schema, named);
  if (typeof s === 'string') {
    return ({ int: 'number', float: 'number', double: 'number', long: 'bigint', string: 'string', bytes: 'Uint8Array' } as Record<string, string>)[s] ?? s;
  }
  if (Array.isArray(s)) return 'union';
  const o = s as { type?: unknown; logicalType?: unknown };
  switch (o.logicalType) {
    case 'date': case 'decimal': case 'uuid': return 'string';
    case 'time-millis': return 'number';
    case 'timestamp-millis': return 'Date';
    case 'timestamp-micros': return 'bigint';
    default: break;
  }
  switch (o.type) {
    case 'enum': return 'string';
    case 'fixed': return 'Uint8Array';
    case 'record': case 'map': return 'object';
    default: return valueKindOf(String(o.type), named);
  }
}

/** A record with every leaf kind at least once (shuffled, randomly wrapped), plus a few random extra fields. */
export function randomDocument(rng: Rng): Arbitrary {
  const gen = new SchemaGenerator(rng);
  const kinds: LeafKind[] = [...LEAF_KINDS, ...Array.from({ length: rng.int(0, 6) }, () => rng.pick(LEAF_KINDS))];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j] as LeafKind, kinds[i] as LeafKind];
  }
  gen.namespace = rng.bool() ? `ns${rng.int(0, 9)}.sub` : undefined;
  const fields = kinds.map((k) => gen.wrapped(k, 3));
  return gen.record(fields, gen.namespace);
}

/** A copy of `value` with one randomly chosen leaf (or the whole value) replaced by `odd(rng)`. */
export function mutateValue(rng: Rng, value: unknown, odd: (rng: Rng) => unknown): unknown {
  if (rng.bool(0.2) || value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) {
    return odd(rng);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [odd(rng)];
    const copy = [...value];
    const i = rng.int(0, copy.length - 1);
    copy[i] = mutateValue(rng, copy[i], odd);
    return copy;
  }
  const copy: { [key: string]: unknown } = { ...(value as { [key: string]: unknown }) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || rng.bool(0.05)) {
    // An own "__proto__" property, as JSON.parse makes it, not a prototype.
    Object.defineProperty(copy, rng.pick(['extra', 'string', '__proto__']), { value: odd(rng), enumerable: true, writable: true, configurable: true });
    return copy;
  }
  const key = rng.pick(keys);
  if (rng.bool(0.05)) delete copy[key];
  else copy[key] = mutateValue(rng, copy[key], odd);
  return copy;
}
