// Named types, fields and type expressions of one domain → TypeRefs and Field nodes.
// Defaults are checked lazily (FieldDefaults) because a record default needs the defaults of
// the fields it omits, wherever in the spec those are declared.
import type { EnumType, Field, FixedType, NamedType, RecordType, TypeRef, Value } from '../core/model.js';
import { didYouMean, inlineEnumName, nameProblem } from '../core/names.js';
import { asString, describeValue, entriesOf, get, isMapping, stringList, type Path, type SpecContext, type UnresolvedFields } from './context.js';
import { checkValue, type ValueEnv } from './defaults.js';
import { builtinTypeNames, logicalNames, parseTypeExpr, primitiveNames, type TypeAst } from './type-expr.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface PendingDefault {
  readonly field: Mutable<Field>;
  readonly ctx: SpecContext;
  readonly raw: unknown;
  readonly path: Path;
}

/** Field defaults of a whole run, each checked once, on first use or at the end. */
/** Bounds on what a spec can make the generator do; past them, a diagnostic instead of hours or a crash. */
export const resolveLimits = {
  maxDecimalPrecision: 1000,
  /** Values in one default, printed in full. */
  maxDefaultNodes: 10_000,
} as const;

export class FieldDefaults implements ValueEnv {
  private readonly pending = new Map<Field, PendingDefault>();
  private readonly active = new Set<Field>();
  private disabled = false;
  private readonly tooLarge = new Set<string>();

  /** Types nest too deeply to walk (ES3035 reported): defaults stay unresolved, the run fails anyway. */
  disable(): void {
    this.disabled = true;
    this.pending.clear();
  }

  constructor(private readonly unresolved?: UnresolvedFields) {}

  isUnresolved(owner: string, name: string): boolean {
    return this.unresolved?.has(owner, name) ?? false;
  }

  add(field: Mutable<Field>, ctx: SpecContext, raw: unknown, path: Path): void {
    if (this.disabled) return;
    this.pending.set(field, { field, ctx, raw, path });
  }

  defaultOf(field: Field): { readonly value: Value } | undefined {
    const p = this.pending.get(field);
    if (p) this.resolve(p);
    return field.default;
  }

  resolveAll(): void {
    // A default resolved meanwhile through another's omitted fields is done (and reported) already.
    for (const p of [...this.pending.values()]) if (this.pending.has(p.field)) this.resolve(p);
  }

  private resolve(p: PendingDefault): void {
    if (this.active.has(p.field)) {
      p.ctx.error('ES3003', `the default of \`${p.field.name}\` contains itself through the defaults of omitted fields`, p.path);
      this.pending.delete(p.field);
      return;
    }
    this.active.add(p.field);
    const r = checkValue(p.raw, p.field.type, this, { optionalMustBeNull: true });
    this.active.delete(p.field);
    this.pending.delete(p.field);
    const size = r.ok ? expandedSize(r.value, resolveLimits.maxDefaultNodes) : 0;
    if (r.ok && size > resolveLimits.maxDefaultNodes) {
      // Kept, so that defaults built from this one do not also fail as missing; the first
      // (innermost) is the one to fix, the others only echo it.
      p.field.default = { value: r.value };
      if (this.tooLarge.has(p.ctx.file)) return;
      this.tooLarge.add(p.ctx.file);
      // Omitted record fields take their own defaults, which share one value in memory; printed
      // (TypeScript, .avsc) they are copied, so twenty records of two `{}` fields print a million.
      p.ctx.error('ES3034', `the default of \`${p.field.name}\` expands to more than ${resolveLimits.maxDefaultNodes} values once omitted fields take their defaults; give fewer record defaults or make fields optional`, p.path);
    } else if (r.ok) p.field.default = { value: r.value };
    else p.ctx.error('ES3003', `default does not fit ${describeField(p.field)}: ${r.message}`, [...p.path, ...r.at]);
  }
}

/** Values in `value` printed as a tree (shared objects counted at each use), stopping past `limit`. */
export function expandedSize(value: Value, limit: number): number {
  const sizes = new Map<object, number>();
  // Post-order without recursion: a default can nest as deep as its types chain.
  const stack: { v: Value; done: boolean }[] = [{ v: value, done: false }];
  let result = 0;
  while (stack.length > 0) {
    const top = stack.pop() as { v: Value; done: boolean };
    const v = top.v;
    if (v === null || typeof v !== 'object') continue;
    if (sizes.has(v)) continue;
    const children = Object.values(v) as Value[];
    if (!top.done) {
      stack.push({ v, done: true });
      for (const c of children) if (c !== null && typeof c === 'object' && !sizes.has(c)) stack.push({ v: c, done: false });
      continue;
    }
    let n = 1;
    for (const c of children) n += c !== null && typeof c === 'object' ? (sizes.get(c) ?? 0) : 1;
    sizes.set(v, Math.min(n, limit + 1));
  }
  result = value !== null && typeof value === 'object' ? (sizes.get(value) ?? 1) : 1;
  return result;
}

function describeField(f: Field): string {
  return `field \`${f.name}\``;
}

/** What type expressions of one domain can see. */
export interface TypeScope {
  readonly ctx: SpecContext;
  readonly named: ReadonlyMap<string, NamedType>;
  readonly aggregateNames: ReadonlySet<string>;
  readonly defaults: FieldDefaults;
  /** Inline enums in the order they are met. */
  readonly inlineEnums: EnumType[];
}

// ---- type expressions ------------------------------------------------------------------

/** Resolve the type-expression string at `path`; reports ES3002/ES3001/ES3004. */
export function resolveTypeString(raw: unknown, path: Path, scope: TypeScope): TypeRef | undefined {
  if (typeof raw !== 'string') {
    scope.ctx.error('ES3002', `expected a type expression such as \`string\`, \`OrderItem[]\` or \`map<int>\`, found ${kindOf(raw)}`, path);
    return undefined;
  }
  const parsed = parseTypeExpr(raw);
  if (!parsed.ok) {
    scope.ctx.errorInto('ES3002', `invalid type expression ${JSON.stringify(raw)}: ${parsed.message}`, path, raw, parsed.offset);
    return undefined;
  }
  return resolveAst(parsed.type, raw, path, scope);
}

function kindOf(raw: unknown): string {
  if (raw === null || raw === undefined) return 'nothing';
  if (Array.isArray(raw)) return 'a list (quote `T[]` in YAML flow style)';
  return isMapping(raw) ? 'a mapping' : `${typeof raw} ${String(raw)}`;
}

function resolveAst(ast: TypeAst, text: string, path: Path, scope: TypeScope): TypeRef | undefined {
  switch (ast.kind) {
    case 'name': {
      const prim = primitiveNames.find((n) => n === ast.name);
      if (prim) return { kind: 'primitive', name: prim };
      const logical = logicalNames.find((n) => n === ast.name);
      if (logical) return { kind: 'logical', name: logical };
      const named = scope.named.get(ast.name);
      if (named) return { kind: 'named', type: named };
      const hint = scope.aggregateNames.has(ast.name)
        ? `; \`${ast.name}\` is an aggregate, not a type`
        : didYouMean(ast.name, [...builtinTypeNames, ...scope.named.keys()]);
      scope.ctx.errorInto('ES3001', `unknown type \`${ast.name}\`${hint}`, path, text, ast.offset);
      return undefined;
    }
    case 'decimal':
      if (ast.precision < 1) {
        scope.ctx.errorInto('ES3004', `decimal precision must be at least 1, got ${ast.precision}`, path, text, ast.offset);
        return undefined;
      }
      if (ast.precision > resolveLimits.maxDecimalPrecision) {
        // Every value's check computes 10^precision; a billion digits would hang each one.
        scope.ctx.errorInto('ES3004', `decimal precision ${ast.precision} is more than ${resolveLimits.maxDecimalPrecision} digits (PostgreSQL's limit for a declared numeric)`, path, text, ast.offset);
        return undefined;
      }
      if (ast.scale > ast.precision) {
        scope.ctx.errorInto('ES3004', `decimal scale ${ast.scale} exceeds its precision ${ast.precision}`, path, text, ast.offset);
        return undefined;
      }
      return { kind: 'decimal', precision: ast.precision, scale: ast.scale };
    case 'array': {
      const items = resolveAst(ast.items, text, path, scope);
      return items && { kind: 'array', items };
    }
    case 'map': {
      const values = resolveAst(ast.values, text, path, scope);
      return values && { kind: 'map', values };
    }
    case 'optional': {
      const type = resolveAst(ast.type, text, path, scope);
      return type && { kind: 'optional', type };
    }
  }
}

// ---- fields ----------------------------------------------------------------------------

/**
 * Fields of a record-like mapping, in YAML order; `owner` names inline enums, `typeName` (default
 * `owner`) is the type the fields belong to, under which a field whose type fails is remembered.
 */
export function resolveFields(raw: unknown, path: Path, owner: string, scope: TypeScope, typeName = owner): Field[] {
  if (raw !== undefined && raw !== null && !isMapping(raw)) {
    scope.ctx.error('ES2004', 'fields must be a mapping of field names to types', path);
    return [];
  }
  const fields: Field[] = [];
  const seen = new Map<string, string>();
  for (const [name, spec] of entriesOf(raw)) {
    const fpath = [...path, name];
    const problem = nameProblem('field', name);
    if (problem) scope.ctx.error('ES3007', problem, fpath, 'key');
    const field = resolveField(name, spec, fpath, owner, scope);
    if (!field) {
      scope.ctx.unresolved.add(typeName, name);
      continue;
    }
    for (const [i, alias] of field.aliases.entries()) {
      const aliasProblem = nameProblem('field', alias);
      if (aliasProblem) scope.ctx.error('ES3007', aliasProblem, [...fpath, 'aliases', i]);
    }
    for (const n of [name, ...field.aliases]) {
      const other = seen.get(n);
      if (other !== undefined && other !== name) {
        scope.ctx.error('ES3008', `\`${n}\` names both field \`${other}\` and field \`${name}\` (names and aliases of a record must be unique)`, fpath, 'key');
      }
      seen.set(n, name);
    }
    fields.push(field);
  }
  return fields;
}

function resolveField(name: string, spec: unknown, path: Path, owner: string, scope: TypeScope): Field | undefined {
  const loc = scope.ctx.loc(path);
  if (!isMapping(spec)) {
    const type = resolveTypeString(spec, path, scope);
    if (!type) return undefined;
    return makeField(name, type, undefined, [], loc, scope, undefined);
  }
  const doc = asString(get(spec, 'doc'));
  const aliases = stringList(get(spec, 'aliases'));
  if (get(spec, 'enum') !== undefined) {
    const enumType = resolveEnum(inlineEnumName(owner, name), spec, path, true, scope);
    scope.inlineEnums.push(enumType);
    const type: TypeRef = { kind: 'named', type: enumType };
    // The inline `default` is both the field's default and the enum's reader default.
    return makeField(name, type, doc, aliases, loc, scope, enumType.default !== undefined ? { value: enumType.default } : undefined);
  }
  const type = resolveTypeString(get(spec, 'type'), [...path, 'type'], scope);
  if (!type) return undefined;
  const hasDefault = Object.prototype.hasOwnProperty.call(spec, 'default');
  return makeField(name, type, doc, aliases, loc, scope, hasDefault ? { raw: spec['default'], path: [...path, 'default'] } : undefined);
}

function makeField(
  name: string,
  type: TypeRef,
  doc: string | undefined,
  aliases: readonly string[],
  loc: Field['loc'],
  scope: TypeScope,
  def: { raw: unknown; path: Path } | { value: Value } | undefined,
): Mutable<Field> {
  // `T?` fields have an implicit null default; an explicit one replaces the placeholder once checked.
  const known = def && 'value' in def ? def : undefined;
  const placeholder = known ? { default: known } : def !== undefined || type.kind === 'optional' ? { default: { value: null } } : {};
  const field: Mutable<Field> = { kind: 'field', name, type, ...placeholder, ...(doc !== undefined ? { doc } : {}), aliases, loc };
  if (def && 'raw' in def) scope.defaults.add(field, scope.ctx, def.raw, def.path);
  return field;
}

// ---- named types -----------------------------------------------------------------------

export function resolveEnum(name: string, spec: { readonly [k: string]: unknown }, path: Path, inline: boolean, scope: TypeScope): EnumType {
  const rawSymbols = get(spec, 'enum');
  const symbols: string[] = [];
  if (!Array.isArray(rawSymbols) || rawSymbols.length === 0) {
    scope.ctx.error('ES2005', 'an enum needs a list of at least one symbol', [...path, 'enum']);
  } else {
    rawSymbols.forEach((s: unknown, i) => {
      const spath = [...path, 'enum', i];
      if (typeof s !== 'string') {
        scope.ctx.error('ES3007', `enum symbol ${describeValue(s)} must be a name, not a ${typeof s}`, spath);
        return;
      }
      const problem = nameProblem('symbol', s);
      if (problem) scope.ctx.error('ES3007', problem, spath);
      if (symbols.includes(s)) scope.ctx.error('ES3005', `duplicate enum symbol \`${s}\` in ${name}`, spath);
      else symbols.push(s);
    });
  }
  let def: string | undefined;
  const rawDefault = get(spec, 'default');
  if (rawDefault !== undefined) {
    if (typeof rawDefault === 'string' && symbols.includes(rawDefault)) def = rawDefault;
    else {
      const msg = `enum default ${describeValue(rawDefault)} is not one of the symbols of ${name}${typeof rawDefault === 'string' ? didYouMean(rawDefault, symbols) : ''}`;
      scope.ctx.error('ES3006', msg, [...path, 'default']);
    }
  }
  const doc = asString(get(spec, 'doc'));
  return {
    kind: 'enum',
    name,
    symbols,
    ...(def !== undefined ? { default: def } : {}),
    ...(doc !== undefined ? { doc } : {}),
    aliases: inline ? [] : typeAliases(spec, path, scope),
    inline,
    loc: scope.ctx.loc(path),
  };
}

function typeAliases(spec: { readonly [k: string]: unknown }, path: Path, scope: TypeScope): string[] {
  const aliases = stringList(get(spec, 'aliases'));
  aliases.forEach((a, i) => {
    const problem = nameProblem('typeAlias', a);
    if (problem) scope.ctx.error('ES3007', problem, [...path, 'aliases', i]);
  });
  return aliases;
}

export interface DeclaredType {
  readonly type: NamedType;
  /** Filled by `resolveRecordFields` once every name of the domain is known. */
  readonly fields?: Field[];
  readonly spec: unknown;
  readonly path: Path;
}

/** First pass over `types:`: one node per name, records still without fields. */
export function declareType(name: string, spec: unknown, path: Path, scope: TypeScope): DeclaredType | undefined {
  const problem = nameProblem('type', name);
  if (problem) scope.ctx.error('ES3007', problem, path, 'key');
  if (!isMapping(spec)) {
    scope.ctx.error('ES2004', 'a type is a mapping with `fields`, `enum` or `fixed`', path);
    return undefined;
  }
  const doc = asString(get(spec, 'doc'));
  const docPart = doc !== undefined ? { doc } : {};
  if (get(spec, 'fields') !== undefined) {
    const fields: Field[] = [];
    const record: RecordType = { kind: 'record', name, fields, ...docPart, aliases: typeAliases(spec, path, scope), loc: scope.ctx.loc(path) };
    return { type: record, fields, spec, path };
  }
  if (get(spec, 'enum') !== undefined) return { type: resolveEnum(name, spec, path, false, scope), spec, path };
  const size = get(spec, 'fixed');
  if (size !== undefined) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      scope.ctx.error('ES2005', `fixed size must be a positive integer, got ${describeValue(size)}`, [...path, 'fixed']);
    }
    const fixed: FixedType = {
      kind: 'fixed',
      name,
      size: typeof size === 'number' ? size : 0,
      ...docPart,
      aliases: typeAliases(spec, path, scope),
      loc: scope.ctx.loc(path),
    };
    return { type: fixed, spec, path };
  }
  scope.ctx.error('ES2004', 'a type needs `fields` (record), `enum` or `fixed`', path);
  return undefined;
}

/** Second pass: fields of a declared record, now that every type name is known. */
export function resolveRecordFields(d: DeclaredType, scope: TypeScope): void {
  if (!d.fields) return;
  d.fields.push(...resolveFields(get(d.spec, 'fields'), [...d.path, 'fields'], d.type.name, scope));
}
