// Raw Avro schema JSON → node graph (schema.ts), validated as Apache Avro's Java parser does:
// names, namespaces, redefinitions, unions, enum symbols and defaults, fixed sizes, field
// defaults. References are resolved after the whole document is read, so recursive and
// forward references both work; lookup tries the enclosing namespace, then the null one.
import {
  AvroSchemaError,
  PRIMITIVE_KINDS,
  isNamed,
  toPointer,
  type AvroNode,
  type DecimalLogicalType,
  type EnumNode,
  type FieldNode,
  type FixedNode,
  type NamedNode,
  type PrimitiveKind,
  type PrimitiveNode,
  type RecordNode,
  renderJson,
} from './schema.js';

/** The Avro specification's name grammar (Avro 1.12 Java also admits non-ASCII letters; the spec does not). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD_ORDERS = ['ascending', 'descending', 'ignore'];

/** Stands in for a reference until every named type is known; never left in a returned graph. */
const UNRESOLVED: PrimitiveNode = Object.freeze({ kind: 'null' });

/**
 * Where a node is in the document, innermost step first: a step is one small object, where a
 * copied array of every step from the root made parsing quadratic in depth and allocated at
 * every node; only a failure turns it into a JSON pointer.
 */
type Path = { readonly up: Path; readonly key: string | number } | null;

function step(up: Path, key: string | number): Path {
  return { up, key };
}
type JsonObject = { readonly [key: string]: unknown };

interface PendingRef {
  readonly ref: string;
  readonly space: string;
  readonly path: Path;
  assign(node: NamedNode): void;
}

interface Ctx {
  readonly named: Map<string, NamedNode>;
  readonly pending: PendingRef[];
  /** Checks that need every reference resolved (union branches, field defaults), in document order. */
  readonly deferred: (() => void)[];
}

/**
 * Parses and validates one schema document; throws AvroSchemaError on invalid input, its
 * message prefixed with `label` (e.g. a file name) when given.
 */
export function parseSchema(json: unknown, label?: string): AvroNode {
  try {
    return parseDocument(json);
  } catch (e) {
    throw e instanceof AvroSchemaError && label !== undefined ? e.withLabel(label) : e;
  }
}

function parseDocument(json: unknown): AvroNode {
  const ctx: Ctx = { named: new Map(), pending: [], deferred: [] };
  let root: AvroNode = UNRESOLVED;
  parseType(json, null, '', ctx, (n) => {
    root = n;
  });
  for (const p of ctx.pending) {
    const found = candidates(p.ref, p.space)
      .map((full) => ctx.named.get(full))
      .find((n) => n !== undefined);
    if (found === undefined) throw fail(`undefined name: ${JSON.stringify(p.ref)}`, p.path);
    p.assign(found);
  }
  for (const check of ctx.deferred) check();
  return root;
}

function fail(detail: string, path: Path): AvroSchemaError {
  const tokens: string[] = [];
  for (let p = path; p !== null; p = p.up) tokens.push(String(p.key));
  return new AvroSchemaError(detail, tokens.length === 0 ? '' : toPointer(tokens.reverse()));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: `{"type": "constructor"}` must not find Object.prototype. */
function get(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function isPrimitive(name: string): name is PrimitiveKind {
  return (PRIMITIVE_KINDS as readonly string[]).includes(name);
}

function candidates(ref: string, space: string): string[] {
  if (ref.includes('.') || space === '') return [ref];
  return [`${space}.${ref}`, ref];
}

function parseType(json: unknown, path: Path, space: string, ctx: Ctx, assign: (n: AvroNode) => void): void {
  if (typeof json === 'string') {
    if (isPrimitive(json)) assign({ kind: json });
    else reference(json, path, space, ctx, assign);
    return;
  }
  if (Array.isArray(json)) {
    assign(parseUnion(json, path, space, ctx));
    return;
  }
  if (!isObject(json)) throw fail(`a schema must be a type name, a union array or an object, not ${renderJson(json)}`, path);
  const type = get(json, 'type');
  if (type === undefined) throw fail('schema object has no "type"', path);
  if (typeof type !== 'string') throw fail(`"type" must be a string, not ${renderJson(type)}`, step(path, 'type'));
  switch (type) {
    case 'record':
    case 'error':
      assign(parseRecord(json, path, space, ctx, type === 'error'));
      return;
    case 'enum':
      assign(parseEnum(json, path, space, ctx));
      return;
    case 'fixed':
      assign(parseFixed(json, path, space, ctx));
      return;
    case 'array': {
      const node: { kind: 'array'; items: AvroNode } = { kind: 'array', items: UNRESOLVED };
      if (!Object.hasOwn(json, 'items')) throw fail('array has no "items"', path);
      parseType(json.items, step(path, 'items'), space, ctx, (n) => {
        node.items = n;
      });
      assign(node);
      return;
    }
    case 'map': {
      const node: { kind: 'map'; values: AvroNode } = { kind: 'map', values: UNRESOLVED };
      if (!Object.hasOwn(json, 'values')) throw fail('map has no "values"', path);
      parseType(json.values, step(path, 'values'), space, ctx, (n) => {
        node.values = n;
      });
      assign(node);
      return;
    }
    default:
      if (isPrimitive(type)) {
        const decimal = type === 'bytes' ? decimalOf(json) : undefined;
        assign(decimal === undefined ? { kind: type } : { kind: type, decimal });
      } else {
        reference(type, step(path, 'type'), space, ctx, assign);
      }
  }
}

function reference(ref: string, path: Path, space: string, ctx: Ctx, assign: (n: AvroNode) => void): void {
  if (ref === '' || !ref.split('.').every((part) => NAME.test(part))) throw fail(`unknown type ${JSON.stringify(ref)}`, path);
  ctx.pending.push({ ref, space, path, assign });
}

function parseUnion(json: readonly unknown[], path: Path, space: string, ctx: Ctx): AvroNode {
  const node: { kind: 'union'; branches: AvroNode[] } = { kind: 'union', branches: [] };
  json.forEach((branch, i) => {
    const at = step(path, i);
    if (Array.isArray(branch)) throw fail('a union may not immediately contain another union', at);
    node.branches.push(UNRESOLVED);
    parseType(branch, at, space, ctx, (n) => {
      node.branches[i] = n;
    });
  });
  ctx.deferred.push(() => {
    const seen = new Set<string>();
    node.branches.forEach((b, i) => {
      if (b.kind === 'union') throw fail('a union may not immediately contain another union', step(path, i));
      const key = isNamed(b) ? b.fullName : b.kind;
      if (seen.has(key)) throw fail(`duplicate in union: ${key}`, step(path, i));
      seen.add(key);
    });
  });
  return node;
}

interface NameParts {
  readonly name: string;
  readonly namespace: string;
  readonly fullName: string;
  readonly aliases: readonly string[];
}

function checkDottedName(value: string, what: string, path: Path): void {
  if (value === '' || !value.split('.').every((part) => NAME.test(part))) {
    throw fail(`invalid ${what} ${JSON.stringify(value)}: each part must match [A-Za-z_][A-Za-z0-9_]*`, path);
  }
}

function defineName(json: JsonObject, path: Path, space: string, ctx: Ctx): NameParts {
  const raw = get(json, 'name');
  if (raw === undefined) throw fail('named type has no "name"', path);
  if (typeof raw !== 'string') throw fail('"name" must be a string', step(path, 'name'));
  checkDottedName(raw, 'name', step(path, 'name'));
  let namespace = space;
  const ns = get(json, 'namespace');
  if (ns !== undefined && ns !== null) {
    if (typeof ns !== 'string') throw fail('"namespace" must be a string', step(path, 'namespace'));
    if (ns !== '') checkDottedName(ns, 'namespace', step(path, 'namespace'));
    namespace = ns;
  }
  const dot = raw.lastIndexOf('.');
  if (dot >= 0) namespace = raw.slice(0, dot);
  const name = raw.slice(dot + 1);
  const fullName = namespace === '' ? name : `${namespace}.${name}`;
  if (isPrimitive(fullName)) throw fail(`a named type may not be called after a primitive: ${fullName}`, step(path, 'name'));
  if (ctx.named.has(fullName)) throw fail(`can't redefine: ${fullName}`, step(path, 'name'));
  const aliases = stringList(json, 'aliases', path).map((alias, i) => {
    checkDottedName(alias, 'alias', step(step(path, 'aliases'), i));
    return alias.includes('.') || namespace === '' ? alias : `${namespace}.${alias}`;
  });
  return { name, namespace, fullName, aliases };
}

function stringList(json: JsonObject, key: string, path: Path): string[] {
  const value = get(json, key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw fail(`"${key}" must be an array of strings`, step(path, key));
  return value.map((v: unknown, i) => {
    if (typeof v !== 'string') throw fail(`"${key}" must be an array of strings`, step(step(path, key), i));
    return v;
  });
}

function parseRecord(json: JsonObject, path: Path, space: string, ctx: Ctx, isError: boolean): RecordNode {
  const names = defineName(json, path, space, ctx);
  const fields: FieldNode[] = [];
  const node: RecordNode = { kind: 'record', ...names, isError, fields };
  ctx.named.set(names.fullName, node);
  const rawFields = get(json, 'fields');
  if (!Array.isArray(rawFields)) throw fail('record "fields" must be an array', step(path, 'fields'));
  const seen = new Set<string>();
  rawFields.forEach((raw: unknown, pos) => {
    const at = step(step(path, 'fields'), pos);
    if (!isObject(raw)) throw fail('a field must be an object', at);
    const name = get(raw, 'name');
    if (typeof name !== 'string') throw fail('field has no "name" string', at);
    if (!NAME.test(name)) throw fail(`invalid field name ${JSON.stringify(name)}`, step(at, 'name'));
    if (seen.has(name)) throw fail(`duplicate field ${name}`, step(at, 'name'));
    seen.add(name);
    if (!Object.hasOwn(raw, 'type')) throw fail(`field ${name} has no "type"`, at);
    const order = get(raw, 'order');
    if (order !== undefined && (typeof order !== 'string' || !FIELD_ORDERS.includes(order))) {
      throw fail(`field ${name}: "order" must be one of ${FIELD_ORDERS.join(', ')}`, step(at, 'order'));
    }
    const aliases = stringList(raw, 'aliases', at);
    aliases.forEach((a, i) => {
      if (!NAME.test(a)) throw fail(`invalid field alias ${JSON.stringify(a)}`, step(step(at, 'aliases'), i));
    });
    const hasDefault = Object.hasOwn(raw, 'default');
    const field: { -readonly [K in keyof FieldNode]: FieldNode[K] } = { name, aliases, type: UNRESOLVED, hasDefault, pos };
    if (hasDefault) field.defaultValue = raw.default;
    // Nested named types inherit the record's namespace, not the enclosing one.
    parseType(raw.type, step(at, 'type'), names.namespace, ctx, (n) => {
      field.type = n;
    });
    if (hasDefault) {
      ctx.deferred.push(() => {
        if (!isValidDefault(field.type, raw.default)) {
          throw fail(`invalid default for field ${name}: ${renderJson(raw.default)} does not match ${describe(field.type)}`, step(at, 'default'));
        }
      });
    }
    fields.push(field);
  });
  return node;
}

function parseEnum(json: JsonObject, path: Path, space: string, ctx: Ctx): EnumNode {
  const names = defineName(json, path, space, ctx);
  if (!Array.isArray(get(json, 'symbols'))) throw fail('enum "symbols" must be an array', step(path, 'symbols'));
  const symbols = stringList(json, 'symbols', path);
  const seen = new Set<string>();
  symbols.forEach((s, i) => {
    if (!NAME.test(s)) throw fail(`invalid enum symbol ${JSON.stringify(s)}`, step(step(path, 'symbols'), i));
    if (seen.has(s)) throw fail(`duplicate enum symbol ${s}`, step(step(path, 'symbols'), i));
    seen.add(s);
  });
  const def = get(json, 'default');
  let node: EnumNode = { kind: 'enum', ...names, symbols };
  if (def !== undefined) {
    if (typeof def !== 'string' || !symbols.includes(def)) {
      throw fail(`enum default ${renderJson(def)} is not one of its symbols`, step(path, 'default'));
    }
    node = { ...node, default: def };
  }
  ctx.named.set(names.fullName, node);
  return node;
}

function parseFixed(json: JsonObject, path: Path, space: string, ctx: Ctx): FixedNode {
  const names = defineName(json, path, space, ctx);
  const size = get(json, 'size');
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
    throw fail('fixed "size" must be a non-negative integer', step(path, 'size'));
  }
  const decimal = decimalOf(json, size);
  const node: FixedNode = decimal === undefined ? { kind: 'fixed', ...names, size } : { kind: 'fixed', ...names, size, decimal };
  ctx.named.set(names.fullName, node);
  return node;
}

/** Avro ignores a logical type with invalid parameters (the schema stays valid), so do we. */
function decimalOf(json: JsonObject, fixedSize?: number): DecimalLogicalType | undefined {
  if (get(json, 'logicalType') !== 'decimal') return undefined;
  const precision = get(json, 'precision');
  const scale = get(json, 'scale') ?? 0;
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision <= 0) return undefined;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  // The most decimal digits a two's-complement number of that many bytes always holds.
  if (fixedSize !== undefined && precision > Math.floor(Math.log10(2) * (8 * fixedSize - 1))) return undefined;
  return { precision, scale };
}

function describe(node: AvroNode): string {
  if (node.kind === 'union') return `any of [${node.branches.map(describe).join(', ')}]`;
  return isNamed(node) ? `${node.kind} ${node.fullName}` : node.kind;
}

/**
 * A JSON integer. Callers that parse JSON text get numbers; schemas built as data (eventsmith's
 * own avroSchemaOf) carry a long default past 2^53 as a bigint, the only exact form.
 */
function isInteger(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

function isValidDefault(node: AvroNode, value: unknown): boolean {
  switch (node.kind) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'int':
      return isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
    case 'long':
      // A number may have been rounded by JSON.parse, so only a bigint is range-checked exactly.
      return typeof value === 'bigint' ? value >= -(2n ** 63n) && value < 2n ** 63n : isInteger(value);
    case 'float':
    case 'double':
      return typeof value === 'number' || typeof value === 'bigint' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
    case 'bytes':
    case 'string':
    case 'fixed':
      return typeof value === 'string';
    case 'enum':
      return typeof value === 'string' && node.symbols.includes(value);
    case 'array':
      return Array.isArray(value) && value.every((v: unknown) => isValidDefault(node.items, v));
    case 'map':
      return isObject(value) && Object.values(value).every((v) => isValidDefault(node.values, v));
    case 'record':
      // A field absent from the value takes its own default; re-validating that one could loop on recursive types.
      return isObject(value) && node.fields.every((f) => (Object.hasOwn(value, f.name) ? isValidDefault(f.type, value[f.name]) : f.hasDefault));
    case 'union':
      // Avro 1.12 accepts a default matching any branch (earlier specs said the first).
      return node.branches.some((b) => isValidDefault(b, value));
  }
}
