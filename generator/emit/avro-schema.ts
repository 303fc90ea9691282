// The Avro schema of an event version (or of any TypeRef) built as data, and its one printer.
// Schemas are plain objects of the types below; nothing here concatenates JSON text except
// the printer, which writes every object with a fixed key order whatever order it was built in:
//
//   schema objects: type, name, namespace, doc, aliases, fields, symbols, items, values, size,
//                   default, logicalType, precision, scale
//   field objects:  name, doc, aliases, type, default
//
// (Fields read like declarations: the name first, the default last, as in the Avro spec's examples.)
//
// Named types are written out in full at their first occurrence in a document (depth first, in
// field order) and referenced by full name afterwards, as Avro requires. A definition carries
// `namespace` only where it does not inherit it from an enclosing named type.
//
// Defaults use Avro's JSON encoding of the model's value: longs (and timestamps) are numbers
// while exact and bigint past 2^53 (printed as bare integers in .avsc, as `123n` literals in
// TypeScript), decimal becomes its two's-complement bytes as a string of U+0000–U+00FF, date
// becomes days since the epoch.
import type { Domain, Field, Message, MessageVersion, NamedType, TypeRef, Value } from '../core/model.js';
import { parseDate, parseDecimal, toTwosComplement } from '../runtime/logical.js';
import { maxLineWidth, tsKey, tsString } from './ts-print.js';

/** A JSON value as Avro defaults use it; bigint where a long must stay exact. */
export type AvroJsonValue = null | boolean | number | bigint | string | readonly AvroJsonValue[] | { readonly [key: string]: AvroJsonValue };

// Object type aliases rather than interfaces: they stay assignable to the runtime's
// `{ type: …; [attribute: string]: unknown }` schema type.
export type AvroField = {
  readonly name: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly type: AvroSchemaJson;
  /** Absent: no default. Present (even null): the field has that default. */
  readonly default?: AvroJsonValue;
};

export type AvroRecordSchema = {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly fields: readonly AvroField[];
};

export type AvroEnumSchema = {
  readonly type: 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly symbols: readonly string[];
  readonly default?: string;
};

export type AvroFixedSchema = {
  readonly type: 'fixed';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly size: number;
};

export type AvroArraySchema = { readonly type: 'array'; readonly items: AvroSchemaJson };
export type AvroMapSchema = { readonly type: 'map'; readonly values: AvroSchemaJson };

export type AvroLogicalSchema =
  | { readonly type: 'string'; readonly logicalType: 'uuid' }
  | { readonly type: 'int'; readonly logicalType: 'date' | 'time-millis' }
  | { readonly type: 'long'; readonly logicalType: 'timestamp-millis' | 'timestamp-micros' }
  | { readonly type: 'bytes'; readonly logicalType: 'decimal'; readonly precision: number; readonly scale: number };

/**
 * An Avro schema as JSON: a primitive name or a reference to a named type already defined in
 * the document (full name), a union, or a schema object.
 */
export type AvroSchemaJson =
  | string
  | readonly AvroSchemaJson[]
  | AvroRecordSchema
  | AvroEnumSchema
  | AvroFixedSchema
  | AvroArraySchema
  | AvroMapSchema
  | AvroLogicalSchema;

// ---- building --------------------------------------------------------------------------

/**
 * A named type's definition built once and shared by every document that defines it in the
 * same context: 1,000 event versions that each carry `Line[]` would otherwise build, order and
 * print the same nested records 1,000 times. `claims` are the named types (full names) that
 * the definition defines, itself first; reusing it claims them all.
 */
interface SharedDefinition {
  readonly schema: AvroSchemaJson;
  readonly claims: readonly (readonly [string, NamedType])[];
}

/** By type, then by `inherited` and namespace. Only frozen (resolved) types key an entry. */
const sharedDefinitions = new WeakMap<NamedType, Map<string, SharedDefinition>>();

/** Schema objects shared between documents are deeply frozen: no reader can change one for all. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// The small schemas of a field's type are the same objects in every document, frozen: 1,000
// versions with `id: uuid` printed (and laid out) `{ "type": "string", "logicalType": "uuid" }`
// 2,000 times, where a shared object's ordered tree and text are kept (see `orderSchema`).
const logicalSchemas = {
  uuid: Object.freeze({ type: 'string', logicalType: 'uuid' } as const),
  date: Object.freeze({ type: 'int', logicalType: 'date' } as const),
  'time-millis': Object.freeze({ type: 'int', logicalType: 'time-millis' } as const),
  'timestamp-millis': Object.freeze({ type: 'long', logicalType: 'timestamp-millis' } as const),
  'timestamp-micros': Object.freeze({ type: 'long', logicalType: 'timestamp-micros' } as const),
};

/** By `precision,scale`: the schema is a function of the two numbers alone. */
const decimalSchemas = new Map<string, AvroLogicalSchema>();

const primitiveNames: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** An array, map or `[null, T]` around a shared schema, by that schema (a primitive's name or a frozen object). */
interface Wrapped {
  readonly byName: Map<string, AvroSchemaJson>;
  readonly byObject: WeakMap<object, AvroSchemaJson>;
}

const arraySchemas: Wrapped = { byName: new Map(), byObject: new WeakMap() };
const mapSchemas: Wrapped = { byName: new Map(), byObject: new WeakMap() };
const optionalSchemas: Wrapped = { byName: new Map(), byObject: new WeakMap() };

/**
 * `make(inner)`, shared when `inner` is: a primitive's name (a full name of a named type is a
 * reference whose meaning depends on the document, and spec names would grow the table) or a
 * frozen schema. An unfrozen inner schema (a definition built for this document) gets its own.
 */
function wrapped(cache: Wrapped, inner: AvroSchemaJson, make: (inner: AvroSchemaJson) => AvroSchemaJson): AvroSchemaJson {
  if (typeof inner === 'string') {
    if (!primitiveNames.has(inner)) return make(inner);
    let schema = cache.byName.get(inner);
    if (schema === undefined) cache.byName.set(inner, (schema = Object.freeze(make(inner))));
    return schema;
  }
  if (!Object.isFrozen(inner)) return make(inner);
  let schema = cache.byObject.get(inner);
  if (schema === undefined) cache.byObject.set(inner, (schema = Object.freeze(make(inner))));
  return schema;
}

/** Per document: which named types are defined already. Lives for one build only. */
class SchemaBuilder {
  /** Full name to its owner and the order in which it was claimed. */
  private readonly defined = new Map<string, { readonly owner: NamedType | 'root'; readonly at: number }>();
  private readonly claimed: (readonly [string, NamedType | 'root'])[] = [];
  /** The earliest claim referred to by name since the innermost definition under way began. */
  private earliestReference = Infinity;

  constructor(private readonly namespace: string) {}

  fullName(name: string): string {
    return this.namespace === '' ? name : `${this.namespace}.${name}`;
  }

  /** Claims a full name for a definition; false when `owner` is defined already. */
  claim(name: string, owner: NamedType | 'root'): boolean {
    const full = this.fullName(name);
    const existing = this.defined.get(full);
    if (existing === undefined) {
      this.defined.set(full, { owner, at: this.claimed.length });
      this.claimed.push([full, owner]);
      return true;
    }
    // The resolver rejects duplicate names; two types under one name would make the schema lie.
    if (existing.owner !== owner) throw new Error(`two different Avro types are named ${full}`);
    this.earliestReference = Math.min(this.earliestReference, existing.at);
    return false;
  }

  /** `inherited`: whether an enclosing definition already sets this namespace. */
  type(ref: TypeRef, inherited: boolean): AvroSchemaJson {
    switch (ref.kind) {
      case 'primitive':
        return ref.name;
      case 'logical':
        return logicalSchemas[ref.name];
      case 'decimal': {
        const key = `${ref.precision},${ref.scale}`;
        let schema = decimalSchemas.get(key);
        if (schema === undefined) decimalSchemas.set(key, (schema = Object.freeze({ type: 'bytes', logicalType: 'decimal', precision: ref.precision, scale: ref.scale } as const)));
        return schema;
      }
      case 'array':
        return wrapped(arraySchemas, this.type(ref.items, inherited), (items) => ({ type: 'array', items }));
      case 'map':
        return wrapped(mapSchemas, this.type(ref.values, inherited), (values) => ({ type: 'map', values }));
      case 'optional':
        return wrapped(optionalSchemas, this.type(ref.type, inherited), (type) => ['null', type]);
      case 'named':
        return this.named(ref.type, inherited);
    }
  }

  private named(t: NamedType, inherited: boolean): AvroSchemaJson {
    const key = `${inherited ? 'i' : 'o'}${this.namespace}`;
    const shared = sharedDefinitions.get(t)?.get(key);
    // The shared definition is what building here would give only when none of the types it
    // defines is defined in this document yet (else they would be references by name).
    if (shared !== undefined && shared.claims.every(([full]) => !this.defined.has(full))) {
      for (const [full, owner] of shared.claims) {
        this.defined.set(full, { owner, at: this.claimed.length });
        this.claimed.push([full, owner]);
      }
      return shared.schema;
    }
    const start = this.claimed.length;
    if (!this.claim(t.name, t)) return this.fullName(t.name);
    const outer = this.earliestReference;
    this.earliestReference = Infinity;
    const schema = this.define(t, inherited);
    const inner = this.earliestReference;
    this.earliestReference = Math.min(outer, inner);
    // Context-free (refers to nothing defined before it began): the same in every document.
    const claims = this.claimed.slice(start) as (readonly [string, NamedType])[];
    if (inner >= start && claims.every(([, owner]) => Object.isFrozen(owner))) {
      let byKey = sharedDefinitions.get(t);
      if (byKey === undefined) sharedDefinitions.set(t, (byKey = new Map()));
      byKey.set(key, { schema: deepFreeze(schema), claims });
    }
    return schema;
  }

  private define(t: NamedType, inherited: boolean): AvroSchemaJson {
    const head = { name: t.name, ...this.namespaceKey(inherited), ...docKey(t.doc), ...aliasesKey(t.aliases) };
    switch (t.kind) {
      case 'record':
        return { type: 'record', ...head, fields: t.fields.map((f) => this.field(f)) };
      case 'enum':
        return { type: 'enum', ...head, symbols: [...t.symbols], ...(t.default !== undefined ? { default: t.default } : {}) };
      case 'fixed':
        return { type: 'fixed', ...head, size: t.size };
    }
  }

  namespaceKey(inherited: boolean): { namespace?: string } {
    return inherited || this.namespace === '' ? {} : { namespace: this.namespace };
  }

  /** A field inside a definition, so its named types inherit the namespace. */
  field(f: Field): AvroField {
    return sharedField({
      name: f.name,
      ...docKey(f.doc),
      ...aliasesKey(f.aliases),
      type: this.type(f.type, true),
      ...defaultKey(f),
    });
  }
}

/**
 * A field without doc or aliases whose type is a primitive or a shared schema and whose default,
 * if any, is a string, finite number (not -0), boolean or null is one frozen object for all
 * documents, so it is ordered and laid out once per place: the versions of an event repeat most
 * of their fields (`id: uuid` in each). Keyed by everything it holds; `sharedFieldIds` numbers
 * the shared type schemas for the key. The table starts again past `keptFields` entries.
 */
const sharedFields = new Map<string, AvroField>();
const sharedFieldSet = new WeakSet<AvroField>();
const sharedFieldIds = new WeakMap<object, number>();
const keptFields = 100_000;
let nextSharedFieldId = 0;

function sharedField(f: AvroField): AvroField {
  if (f.doc !== undefined || f.aliases !== undefined) return f;
  let type: string;
  if (typeof f.type === 'string') {
    if (!primitiveNames.has(f.type)) return f;
    type = f.type;
  } else {
    if (!Object.isFrozen(f.type)) return f;
    let id = sharedFieldIds.get(f.type);
    if (id === undefined) sharedFieldIds.set(f.type, (id = nextSharedFieldId++));
    type = `#${id}`;
  }
  let value: string;
  if (!('default' in f)) value = '';
  else if (f.default === null) value = 'null';
  else if (typeof f.default === 'string') value = `s${f.default}`;
  else if (typeof f.default === 'boolean') value = `b${f.default}`;
  else if (typeof f.default === 'number' && Number.isFinite(f.default) && !Object.is(f.default, -0)) value = `n${f.default}`;
  else return f;
  const key = `${f.name}\u0000${type}\u0000${value}`;
  const hit = sharedFields.get(key);
  if (hit !== undefined) return hit;
  if (sharedFields.size >= keptFields) sharedFields.clear();
  const made = Object.freeze(f);
  sharedFields.set(key, made);
  sharedFieldSet.add(made);
  return made;
}


/** `T?` means a null default even where the model leaves it implicit. */
function defaultKey(f: Field): { default?: AvroJsonValue } {
  if (f.default !== undefined) return { default: avroDefaultOf(f.default.value, f.type) };
  return f.type.kind === 'optional' ? { default: null } : {};
}

function docKey(doc: string | undefined): { doc?: string } {
  return doc !== undefined && doc !== '' ? { doc } : {};
}

function aliasesKey(aliases: readonly string[]): { aliases?: readonly string[] } {
  return aliases.length > 0 ? { aliases: [...aliases] } : {};
}

/** What a record document needs; event versions and aggregate state (snapshots) both fit. */
export interface RecordSpec {
  readonly name: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly fields: readonly Field[];
}

/** A top-level record in `namespace`, its named types defined inline at first use. */
export function avroRecordSchemaOf(record: RecordSpec, namespace: string): AvroRecordSchema {
  const b = new SchemaBuilder(namespace);
  b.claim(record.name, 'root');
  return {
    type: 'record',
    name: record.name,
    ...b.namespaceKey(false),
    ...docKey(record.doc),
    ...aliasesKey(record.aliases ?? []),
    fields: record.fields.map((f) => b.field(f)),
  };
}

/**
 * The schema of one event version: record `<Event>` (no version suffix) in the domain's
 * namespace. Every version keeps the same full name because Avro resolves a reader against a
 * writer by name, in both directions: a stable name is what lets FORWARD and FULL modes pass
 * at all, and what Schema Registry's record-name subject strategies key on. The version lives
 * in the CloudEvents `dataschema`, the file name and the TypeScript type (`<Event>V<n>`). Its
 * doc is the event's doc followed by the version's, as separate paragraphs.
 */
export function avroSchemaOf(version: MessageVersion, event: Message, domain: Domain): AvroRecordSchema {
  const doc = [event.doc, version.doc].filter((d): d is string => d !== undefined && d !== '').join('\n\n');
  return avroRecordSchemaOf({ name: event.name, ...(doc !== '' ? { doc } : {}), fields: version.fields }, domain.name);
}

/**
 * `avroSchemaOf`, built once per version of a resolved model and deeply frozen: the
 * compatibility gate of `generate`, the avro emitter and the catalog all read it. Keyed by the
 * model's frozen version object, with the message and domain it was built for (a hand-built
 * model may share a version between messages); an object that can still change keys nothing.
 */
export function versionSchemaOf(version: MessageVersion, event: Message, domain: Domain): AvroRecordSchema {
  const hit = schemaOfVersion.get(version);
  if (hit !== undefined && hit.event === event && hit.domain === domain) return hit.schema;
  const schema = avroSchemaOf(version, event, domain);
  if (!(Object.isFrozen(version) && Object.isFrozen(event) && Object.isFrozen(domain))) return schema;
  schemaOfVersion.set(version, { event, domain, schema: deepFreeze(schema) });
  return schema;
}

const schemaOfVersion = new WeakMap<MessageVersion, { readonly event: Message; readonly domain: Domain; readonly schema: AvroRecordSchema }>();

/**
 * A standalone schema document for any type: named types resolve in `namespace` (the domain's
 * name); the outermost definition carries it explicitly.
 */
export function avroSchemaOfType(ref: TypeRef, namespace: string): AvroSchemaJson {
  return new SchemaBuilder(namespace).type(ref, false);
}

// ---- Parsing Canonical Form ------------------------------------------------------------

/**
 * The Parsing Canonical Form of a schema this module built, as the runtime's
 * `parsingCanonicalForm` writes it (runtime/canonical.ts): full names, logical types as their
 * underlying type, only `name`, `type`, `fields`, `symbols`, `items`, `values` and `size`, a
 * named type in full at its first occurrence and by full name after. Written from the schema
 * objects, so the parts shared between documents (frozen) are written once per enclosing
 * namespace, where the runtime parses and writes every version's document whole (~4% of a
 * 1,000-version `generate`). test/emit/avro.test.ts holds it to the runtime's on every schema
 * of the example, the benchmark specs and the test specs.
 */
export function canonicalFormOf(schema: AvroSchemaJson, namespace = ''): string {
  // A whole document is written once: its text is not kept like a shared part's.
  return typeof schema === 'string' ? canonicalWrite(schema, namespace, new Set()) : canonicalWriteOnce(schema, namespace, new Set());
}

/**
 * A frozen schema's form by enclosing namespace, written as if nothing were defined before it,
 * with the full names it defines. Where none of those is defined already, writing it in place
 * gives that text (only a definition looks at what is defined) and defines those names.
 */
const canonicalShared = new WeakMap<object, Map<string, { readonly text: string; readonly defines: readonly string[] }>>();

function canonicalWrite(s: AvroSchemaJson, namespace: string, defined: Set<string>): string {
  if (typeof s === 'string') return JSON.stringify(primitiveNames.has(s) ? s : canonicalFullName(s, namespace));
  if (!Object.isFrozen(s)) return canonicalWriteOnce(s, namespace, defined);
  let byNamespace = canonicalShared.get(s);
  if (byNamespace === undefined) canonicalShared.set(s, (byNamespace = new Map()));
  let alone = byNamespace.get(namespace);
  if (alone === undefined) {
    const own = new Set<string>();
    alone = { text: canonicalWriteOnce(s, namespace, own), defines: [...own] };
    byNamespace.set(namespace, alone);
  }
  if (alone.defines.some((n) => defined.has(n))) return canonicalWriteOnce(s, namespace, defined);
  for (const n of alone.defines) defined.add(n);
  return alone.text;
}

function canonicalFullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function canonicalWriteOnce(s: Exclude<AvroSchemaJson, string>, namespace: string, defined: Set<string>): string {
  if (isSchemaList(s)) return `[${s.map((b) => canonicalWrite(b, namespace, defined)).join(',')}]`;
  switch (s.type) {
    case 'record':
    case 'enum':
    case 'fixed': {
      const full = canonicalFullName(s.name, s.namespace ?? namespace);
      const name = JSON.stringify(full);
      if (defined.has(full)) return name;
      defined.add(full);
      if (s.type === 'fixed') return `{"name":${name},"type":"fixed","size":${s.size}}`;
      if (s.type === 'enum') return `{"name":${name},"type":"enum","symbols":[${s.symbols.map((x) => JSON.stringify(x)).join(',')}]}`;
      const dot = full.lastIndexOf('.');
      const inner = dot < 0 ? '' : full.slice(0, dot);
      const fields = s.fields.map((f) => `{"name":${JSON.stringify(f.name)},"type":${canonicalWrite(f.type, inner, defined)}}`);
      return `{"name":${name},"type":"record","fields":[${fields.join(',')}]}`;
    }
    case 'array':
      return `{"type":"array","items":${canonicalWrite(s.items, namespace, defined)}}`;
    case 'map':
      return `{"type":"map","values":${canonicalWrite(s.values, namespace, defined)}}`;
    default:
      // A logical type is written as the type it annotates.
      return JSON.stringify(s.type);
  }
}

// ---- defaults --------------------------------------------------------------------------

class DefaultError extends Error {}

function mismatch(value: Value, what: string): never {
  throw new DefaultError(`default ${describe(value)} is not a valid ${what}`);
}

function describe(value: Value): string {
  if (typeof value === 'bigint') return `${value}n`;
  return JSON.stringify(value) ?? String(value);
}

function isObject(value: Value): value is { readonly [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Bytes as Avro JSON writes them: one code point U+0000–U+00FF per byte. */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/**
 * The Avro JSON encoding of a model value of type `ref`, as a field default carries it.
 * Throws when the value does not fit: the resolver checks defaults, so that is a bug.
 */
export function avroDefaultOf(value: Value, ref: TypeRef): AvroJsonValue {
  switch (ref.kind) {
    case 'primitive':
      switch (ref.name) {
        case 'string':
        case 'bytes':
          return typeof value === 'string' ? value : mismatch(value, ref.name);
        case 'boolean':
          return typeof value === 'boolean' ? value : mismatch(value, ref.name);
        case 'int':
        case 'float':
        case 'double':
          return typeof value === 'number' ? value : mismatch(value, ref.name);
        case 'long':
          return long(value, ref.name);
      }
      break;
    case 'logical':
      switch (ref.name) {
        case 'uuid':
          return typeof value === 'string' ? value : mismatch(value, ref.name);
        case 'date': {
          const days = typeof value === 'string' ? parseDate(value) : undefined;
          return typeof days === 'number' ? days : mismatch(value, ref.name);
        }
        case 'time-millis':
          return typeof value === 'number' ? value : mismatch(value, ref.name);
        case 'timestamp-millis':
        case 'timestamp-micros':
          return long(value, ref.name);
      }
      break;
    case 'decimal': {
      const unscaled = typeof value === 'string' ? parseDecimal(value, ref.precision, ref.scale) : undefined;
      return typeof unscaled === 'bigint' ? latin1(toTwosComplement(unscaled)) : mismatch(value, `decimal(${ref.precision},${ref.scale})`);
    }
    case 'array':
      return Array.isArray(value) ? value.map((v: Value) => avroDefaultOf(v, ref.items)) : mismatch(value, 'array');
    case 'map': {
      if (!isObject(value)) mismatch(value, 'map');
      // Null prototype: a map key `__proto__` is data, and `out['__proto__'] = v` on `{}` would drop it.
      const out = Object.create(null) as { [key: string]: AvroJsonValue };
      for (const key of Object.keys(value)) out[key] = avroDefaultOf(value[key] ?? null, ref.values);
      return out;
    }
    case 'optional':
      // Avro takes a union's default from its first branch, null; the resolver only lets null through.
      return value === null ? null : avroDefaultOf(value, ref.type);
    case 'named': {
      const t = ref.type;
      if (t.kind === 'enum') return typeof value === 'string' && t.symbols.includes(value) ? value : mismatch(value, t.name);
      if (t.kind === 'fixed') return typeof value === 'string' && value.length === t.size ? value : mismatch(value, t.name);
      if (!isObject(value)) mismatch(value, t.name);
      const out: { [key: string]: AvroJsonValue } = {};
      for (const f of t.fields) {
        if (Object.prototype.hasOwnProperty.call(value, f.name)) out[f.name] = avroDefaultOf(value[f.name] ?? null, f.type);
        else if (f.default !== undefined) out[f.name] = avroDefaultOf(f.default.value, f.type);
        else throw new DefaultError(`default of ${t.name} lacks field ${f.name}`);
      }
      return out;
    }
  }
}

/**
 * A long as a number while that is exact, else as a bigint: the schema object stays plain JSON
 * data for every tool in the common case, and is still exact past 2^53.
 */
function long(value: Value, what: string): number | bigint {
  const n = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : mismatch(value, what);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

// ---- printing --------------------------------------------------------------------------

/** A JSON tree whose object keys are already in print order. */
type Ordered = null | boolean | number | bigint | string | { readonly list: readonly Ordered[] } | { readonly entries: readonly (readonly [string, Ordered])[]; readonly expand: boolean };

const schemaKeys = ['type', 'name', 'namespace', 'doc', 'aliases', 'fields', 'symbols', 'items', 'values', 'size', 'default', 'logicalType', 'precision', 'scale'] as const;
const fieldKeys = ['name', 'doc', 'aliases', 'type', 'default'] as const;

/** The ordered tree of each shared (frozen) schema object: see `sharedDefinitions`. */
const orderedShared = new WeakMap<object, Ordered>();

function orderSchema(s: AvroSchemaJson): Ordered {
  if (typeof s === 'string') return s;
  return Object.isFrozen(s) ? orderedOnce(s, orderSchemaOnce) : orderSchemaOnce(s);
}

/** A shared object's ordered tree, built on first use and kept with a table for its text per place. */
function orderedOnce<T extends object>(shared: T, order: (value: T) => Ordered): Ordered {
  let ordered = orderedShared.get(shared);
  if (ordered === undefined) {
    orderedShared.set(shared, (ordered = order(shared)));
    if (typeof ordered === 'object' && ordered !== null) printedShared.set(ordered, new Map());
  }
  return ordered;
}

function orderSchemaOnce(s: Exclude<AvroSchemaJson, string>): Ordered {
  if (isSchemaList(s)) return { list: s.map(orderSchema) };
  const attrs: { readonly [key: string]: unknown } = s;
  const entries: (readonly [string, Ordered])[] = [];
  for (const key of schemaKeys) {
    const v = attrs[key];
    if (v === undefined) continue;
    if (key === 'fields') entries.push([key, { list: (v as readonly AvroField[]).map(orderFieldOf) }]);
    else if (key === 'items' || key === 'values' || key === 'type') entries.push([key, orderSchema(v as AvroSchemaJson)]);
    else entries.push([key, orderValue(v as AvroJsonValue)]);
  }
  // A record always opens up, so its fields are one per line however short.
  return { entries, expand: s.type === 'record' };
}

function isSchemaList(s: AvroSchemaJson): s is readonly AvroSchemaJson[] {
  return Array.isArray(s);
}

/** A shared field's ordered tree is kept, and its text per place, as a shared schema's are. */
function orderFieldOf(f: AvroField): Ordered {
  return sharedFieldSet.has(f) ? orderedOnce(f, orderField) : orderField(f);
}

function orderField(f: AvroField): Ordered {
  const attrs: { readonly [key: string]: unknown } = f;
  const entries: (readonly [string, Ordered])[] = [];
  for (const key of fieldKeys) {
    if (!Object.prototype.hasOwnProperty.call(attrs, key) || attrs[key] === undefined) continue;
    entries.push([key, key === 'type' ? orderSchema(f.type) : orderValue(attrs[key] as AvroJsonValue)]);
  }
  return { entries, expand: false };
}

function orderValue(v: AvroJsonValue): Ordered {
  if (v === null || typeof v !== 'object') return v;
  if (isValueList(v)) return { list: v.map(orderValue) };
  return { entries: Object.keys(v).map((k) => [k, orderValue(v[k] ?? null)] as const), expand: false };
}

function isValueList(v: AvroJsonValue): v is readonly AvroJsonValue[] {
  return Array.isArray(v);
}

export type PrintStyle = 'json' | 'ts';

interface Style {
  string(s: string): string;
  key(k: string): string;
  bigint(n: bigint): string;
}

/** A key's printed form, kept: a pure function of the key, and most keys are the schema's few attribute names. */
function keptKeys(print: (k: string) => string): (k: string) => string {
  const kept = new Map<string, string>();
  return (k) => {
    let text = kept.get(k);
    if (text === undefined) kept.set(k, (text = print(k)));
    return text;
  };
}

const styles: Record<PrintStyle, Style> = {
  json: { string: (s) => JSON.stringify(s), key: keptKeys((k) => JSON.stringify(k)), bigint: (n) => n.toString() },
  // Defaults hold a bigint only past 2^53 (see `long`), where only a bigint literal is exact.
  ts: { string: tsString, key: keptKeys(tsKey), bigint: (n) => `${n}n` },
};

/**
 * Text of the ordered trees of shared definitions, by style, indent and column: a shared
 * definition sits at the same place in most documents, so it is printed once per place.
 */
const printedShared = new WeakMap<object, Map<string, string>>();

/** One line when it fits in the line width (and is not a record), else one member per line. */
function render(node: Ordered, style: Style, indent: string, used: number): string {
  if (node === null || typeof node === 'boolean') return String(node);
  if (typeof node === 'number') return JSON.stringify(node);
  if (typeof node === 'bigint') return style.bigint(node);
  if (typeof node === 'string') return style.string(node);
  const printed = printedShared.get(node);
  if (printed === undefined) return renderObject(node, style, indent, used);
  const key = `${style === styles.ts ? 't' : 'j'}${indent.length},${used}`;
  let text = printed.get(key);
  if (text === undefined) printed.set(key, (text = renderObject(node, style, indent, used)));
  return text;
}

function renderObject(node: Exclude<Ordered, null | boolean | number | bigint | string>, style: Style, indent: string, used: number): string {
  const flat = flatText(node, style, maxLineWidth - used);
  if (flat !== undefined) return flat;
  const inner = `${indent}  `;
  if ('list' in node) {
    return `[\n${node.list.map((n) => inner + render(n, style, inner, inner.length + 1)).join(',\n')}\n${indent}]`;
  }
  const lines = node.entries.map(([k, v]) => {
    const prefix = `${inner}${style.key(k)}: `;
    return prefix + render(v, style, inner, prefix.length + 1);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/**
 * What is known of a shared tree's one-line form per style: its text, or the largest budget it
 * did not fit in (a form that does not fit in a budget fits in no smaller one).
 */
const flatShared = new WeakMap<object, { json?: string | number; ts?: string | number }>();

/**
 * The one-line form if it fits in `budget` characters, else undefined. Giving up as soon as
 * the budget is spent keeps printing linear: each level of a deep schema used to flatten its
 * whole subtree again (1,000 versions spent ~10% of generate here).
 */
function flatText(node: Ordered, style: Style, budget: number): string | undefined {
  if (node === null || typeof node !== 'object') {
    const text = render(node, style, '', 0);
    return text.length <= budget ? text : undefined;
  }
  if (!printedShared.has(node)) return flatTextOnce(node, style, budget);
  let known = flatShared.get(node);
  if (known === undefined) flatShared.set(node, (known = {}));
  const which = style === styles.ts ? 'ts' : 'json';
  const seen = known[which];
  if (typeof seen === 'string') return seen.length <= budget ? seen : undefined;
  if (seen !== undefined && budget <= seen) return undefined;
  const text = flatTextOnce(node, style, budget);
  known[which] = text ?? budget;
  return text;
}

function flatTextOnce(node: Exclude<Ordered, null | boolean | number | bigint | string>, style: Style, budget: number): string | undefined {
  if ('list' in node) {
    const items: string[] = [];
    let length = 2;
    for (const n of node.list) {
      if (items.length > 0) length += 2;
      const text = flatText(n, style, budget - length);
      if (text === undefined) return undefined;
      items.push(text);
      length += text.length;
    }
    return length <= budget ? `[${items.join(', ')}]` : undefined;
  }
  if (node.expand) return undefined;
  if (node.entries.length === 0) return budget >= 2 ? '{}' : undefined;
  const parts: string[] = [];
  let length = 4;
  for (const [k, v] of node.entries) {
    if (parts.length > 0) length += 2;
    const key = `${style.key(k)}: `;
    const text = flatText(v, style, budget - length - key.length);
    if (text === undefined) return undefined;
    parts.push(key + text);
    length += key.length + text.length;
  }
  return length <= budget ? `{ ${parts.join(', ')} }` : undefined;
}

/**
 * The schema as text with the fixed key order and layout: `json` is the `.avsc` file content
 * (with a trailing newline); `ts` is a TypeScript object literal (no trailing newline).
 */
export function printAvroSchema(schema: AvroSchemaJson, style: PrintStyle = 'json'): string {
  const ordered = orderSchema(schema);
  // A whole document is printed once per style: its text is not kept like a shared part's.
  const text = typeof ordered === 'object' && ordered !== null ? renderObject(ordered, styles[style], '', 0) : render(ordered, styles[style], '', 0);
  return style === 'json' ? `${text}\n` : text;
}
