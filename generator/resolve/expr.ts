// Apply and upcast expressions: `$.a.b` reads a source field, `{ const: v }` and plain scalars
// are literals, other mappings construct a record. Every expression is checked against the
// type it is assigned to, conservatively: only conversions that are exact are accepted.
import type { DiagnosticCode } from '../core/diagnostics.js';
import type { Expr, Field, RecordType, TypeRef, Value } from '../core/model.js';
import { didYouMean } from '../core/names.js';
import { entriesOf, has, isMapping, type Mapping, type Path, type SpecContext } from './context.js';
import { checkValue, type ValueEnv } from './defaults.js';
import { formatType } from './type-expr.js';
import { sameType } from '../core/type-ref.js';

export { sameType };

export interface ExprScope {
  readonly ctx: SpecContext;
  readonly env: ValueEnv;
  /** Fields `$.` reads: the latest event version (apply) or the previous version (upcast). */
  readonly source: readonly Field[];
  /** Type name of the source for messages: `OrderPlacedV1`. */
  readonly sourceName: string;
}


/**
 * Whether every value of `from` is exactly a value of `to`: the same type; int → long or
 * double; float → double; uuid → string; a decimal into a wider one of the same scale; any of
 * these into an optional. long → float/double and int → float are refused: they round.
 * Inside lists and maps the element types must be the same.
 */
export function assignable(from: TypeRef, to: TypeRef): boolean {
  if (sameType(from, to)) return true;
  if (to.kind === 'optional') return assignable(from.kind === 'optional' ? from.type : from, to.type);
  if (from.kind === 'primitive' && to.kind === 'primitive') {
    if (from.name === 'int') return to.name === 'long' || to.name === 'double';
    if (from.name === 'float') return to.name === 'double';
    return false;
  }
  if (from.kind === 'logical' && from.name === 'uuid') return to.kind === 'primitive' && to.name === 'string';
  if (from.kind === 'decimal' && to.kind === 'decimal') return from.scale === to.scale && from.precision <= to.precision;
  return false;
}

export interface ResolvedRef {
  readonly path: string[];
  readonly type: TypeRef;
}

/**
 * `$.total.amount` → its path and type; reports ES3011 (or ES3012 through an optional).
 * `prefix` is the length of what precedes the path (`$.`, or `$start.` in a saga).
 */
export function resolveRef(text: string, scope: ExprScope, at: Path, prefix = 2): ResolvedRef | undefined {
  const segments = text.slice(prefix).split('.');
  let fields = scope.source;
  let owner = scope.sourceName;
  let offset = prefix;
  let type: TypeRef | undefined;
  for (const [i, seg] of segments.entries()) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) {
      const form = text.slice(0, prefix);
      scope.ctx.errorInto('ES3011', `malformed field reference ${JSON.stringify(text)}: expected \`${form}field\` or \`${form}field.subfield\``, at, text, offset);
      return undefined;
    }
    if (type) {
      const shown = `$.${segments.slice(0, i).join('.')}`;
      if (type.kind === 'optional') {
        scope.ctx.errorInto('ES3012', `\`${shown}\` is ${formatType(type)} and may be null: cannot read \`${seg}\` from it`, at, text, offset);
        return undefined;
      }
      if (type.kind !== 'named' || type.type.kind !== 'record') {
        scope.ctx.errorInto('ES3011', `\`${shown}\` is ${formatType(type)}, which has no field \`${seg}\``, at, text, offset);
        return undefined;
      }
      fields = type.type.fields;
      owner = type.type.name;
    }
    const field = fields.find((f) => f.name === seg);
    if (!field) {
      if (scope.ctx.unresolved.has(owner, seg)) return undefined;
      const hint = didYouMean(seg, fields.map((f) => f.name));
      scope.ctx.errorInto('ES3011', `${owner} has no field \`${seg}\`${hint}`, at, text, offset);
      return undefined;
    }
    type = field.type;
    offset += seg.length + 1;
  }
  return type && { path: segments, type };
}

export function isConst(raw: unknown): raw is Mapping {
  return isMapping(raw) && Object.keys(raw).length === 1 && has(raw, 'const');
}

export function isRefText(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.startsWith('$.');
}

function containsRef(raw: unknown): boolean {
  if (isRefText(raw)) return true;
  if (Array.isArray(raw)) return raw.some(containsRef);
  return isMapping(raw) && !isConst(raw) && Object.keys(raw).some((k) => containsRef(raw[k]));
}

/** Resolve `raw` as a value of `target`; reports and returns undefined when it does not fit. */
export function resolveExpr(raw: unknown, target: TypeRef, scope: ExprScope, at: Path): Expr | undefined {
  if (isRefText(raw)) {
    const ref = resolveRef(raw, scope, at);
    if (!ref) return undefined;
    if (!assignable(ref.type, target)) {
      scope.ctx.error('ES3012', `\`${raw}\` is ${formatType(ref.type)}, which does not fit ${formatType(target)}${mismatchHint(ref.type, target)}`, at);
      return undefined;
    }
    return { kind: 'ref', path: ref.path, type: ref.type };
  }
  if (isConst(raw)) return literal(raw['const'], target, scope, [...at, 'const']);
  const bare = target.kind === 'optional' ? target.type : target;
  // A mapping aimed at a map is a map literal (`tags: { set: {} }`), not record construction.
  if (isMapping(raw) && bare.kind === 'map') {
    if (containsRef(raw)) {
      scope.ctx.error('ES3012', 'a map is a literal: field references inside it are not read; build the map in a custom apply or upcast', at);
      return undefined;
    }
    return literal(raw, target, scope, at);
  }
  if (isMapping(raw)) return construct(raw, target, scope, at);
  if (Array.isArray(raw) && containsRef(raw)) {
    scope.ctx.error('ES3012', 'a list is a literal: field references inside it are not read; build the list in a custom apply or upcast', at);
    return undefined;
  }
  return literal(raw, target, scope, at);
}

export function mismatchHint(from: TypeRef, to: TypeRef): string {
  if (from.kind === 'optional' && assignable(from.type, to)) return ' (it may be null)';
  const num = (t: TypeRef): boolean => t.kind === 'primitive' && ['int', 'long', 'float', 'double'].includes(t.name);
  if (num(from) && num(to)) return ' (only exact conversions are allowed: int → long or double, float → double)';
  return '';
}

/** `raw` as a literal value of `target` (ES3012 when it does not fit). */
export function literal(raw: unknown, target: TypeRef, scope: Pick<ExprScope, 'ctx' | 'env'>, at: Path): { readonly kind: 'literal'; readonly value: Value } | undefined {
  const r = checkValue(raw, target, scope.env, { optionalMustBeNull: false });
  if (!r.ok) {
    scope.ctx.error('ES3012', `${r.message}${r.at.length === 0 ? '' : ` (at ${describeAt(r.at)})`}`, [...at, ...r.at]);
    return undefined;
  }
  return { kind: 'literal', value: r.value };
}

function describeAt(at: Path): string {
  return at.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
}

/** `{ amount: $.amount, currency: USD }`: every field of the record, omitted ones from their defaults. */
function construct(raw: Mapping, target: TypeRef, scope: ExprScope, at: Path): Expr | undefined {
  const fields = constructRecord<Expr>(raw, target, scope, at, 'ES3012', (r, type, p) => resolveExpr(r, type, scope, p));
  return fields ? { kind: 'object', fields } : undefined;
}

/**
 * The fields of a record built from a mapping, by a resolver of field values (`$.` rules, or saga
 * data): every field of the record in order, omitted ones from their defaults (`missing` when a
 * field has none). Unknown keys and unresolved values are reported; then undefined.
 */
export function constructRecord<E extends { readonly kind: string }>(
  raw: Mapping,
  target: TypeRef,
  scope: { readonly ctx: SpecContext; readonly env: ValueEnv },
  at: Path,
  missing: DiagnosticCode,
  resolveField: (raw: unknown, type: TypeRef, at: Path) => E | undefined,
): { readonly name: string; readonly expr: E | { readonly kind: 'literal'; readonly value: Value } }[] | undefined {
  const t = target.kind === 'optional' ? target.type : target;
  if (t.kind !== 'named' || t.type.kind !== 'record') {
    scope.ctx.error('ES3012', `a mapping builds a record, but the target is ${formatType(target)}; write \`{ const: ... }\` for a literal value`, at);
    return undefined;
  }
  const record: RecordType = t.type;
  let ok = true;
  for (const [key] of entriesOf(raw)) {
    if (!record.fields.some((f) => f.name === key)) {
      if (scope.ctx.unresolved.has(record.name, key)) continue;
      scope.ctx.error('ES3011', `${record.name} has no field \`${key}\`${didYouMean(key, record.fields.map((f) => f.name))}`, [...at, key], 'key');
      ok = false;
    }
  }
  const fields: { name: string; expr: E | { readonly kind: 'literal'; readonly value: Value } }[] = [];
  for (const field of record.fields) {
    if (has(raw, field.name)) {
      const expr = resolveField(raw[field.name], field.type, [...at, field.name]);
      if (expr) fields.push({ name: field.name, expr });
      else ok = false;
      continue;
    }
    const d = scope.env.defaultOf(field);
    if (d) fields.push({ name: field.name, expr: { kind: 'literal', value: d.value } });
    else {
      scope.ctx.error(missing, `missing field \`${field.name}\` of ${record.name} (it has no default)`, at);
      ok = false;
    }
  }
  return ok ? fields : undefined;
}

export interface Rule {
  readonly op: 'set' | 'append' | 'increment';
  readonly expr: Expr;
  readonly spread?: boolean;
}

const ops = ['set', 'append', 'increment'] as const;

function isNumeric(t: TypeRef): boolean {
  return t.kind === 'decimal' || (t.kind === 'primitive' && ['int', 'long', 'float', 'double'].includes(t.name));
}

/** An apply rule: an Expr (set), `{ set }`, `{ append }` or `{ increment }`. */
function recordOf(type: TypeRef): RecordType | undefined {
  const t = type.kind === 'optional' ? type.type : type;
  return t.kind === 'named' && t.type.kind === 'record' ? t.type : undefined;
}

/**
 * `{ bump: $.n }`: a one-key mapping that is no operation, no `const` and no field of the
 * target record is a mistyped operation, not a record to build.
 */
function unknownOperation(raw: unknown, target: TypeRef): string | undefined {
  if (!isMapping(raw)) return undefined;
  const keys = Object.keys(raw);
  const only = keys[0];
  if (keys.length !== 1 || only === undefined || only === 'const') return undefined;
  const record = recordOf(target);
  return record !== undefined && record.fields.some((f) => f.name === only) ? undefined : only;
}

export function resolveRule(raw: unknown, target: Field, scope: ExprScope, at: Path): Rule | undefined {
  const key = isMapping(raw) && Object.keys(raw).length === 1 ? ops.find((op) => has(raw, op)) : undefined;
  const unknownOp = key === undefined ? unknownOperation(raw, target.type) : undefined;
  if (unknownOp !== undefined) {
    const record = recordOf(target.type);
    const alt = record === undefined ? '' : ` (or fields of ${record.name}, to build one)`;
    scope.ctx.error('ES3022', `unknown apply operation \`${unknownOp}\`: the operations are set, append and increment${alt}${didYouMean(unknownOp, ops)}`, [...at, unknownOp], 'key');
    return undefined;
  }
  if (key === undefined || !isMapping(raw)) {
    const expr = resolveExpr(raw, target.type, scope, at);
    return expr && { op: 'set', expr };
  }
  const value = raw[key];
  const vat = [...at, key];
  if (key === 'set') {
    const expr = resolveExpr(value, target.type, scope, vat);
    return expr && { op: 'set', expr };
  }
  if (key === 'increment') {
    if (!isNumeric(target.type)) {
      scope.ctx.error('ES3022', `increment needs a number field; \`${target.name}\` is ${formatType(target.type)}`, at, 'key');
      return undefined;
    }
    const expr = resolveExpr(value, target.type, scope, vat);
    return expr && { op: 'increment', expr };
  }
  if (target.type.kind !== 'array') {
    scope.ctx.error('ES3022', `append needs a list field; \`${target.name}\` is ${formatType(target.type)}`, at, 'key');
    return undefined;
  }
  const list = target.type;
  let spread: boolean;
  if (isRefText(value)) {
    const ref = resolveRef(value, scope, vat);
    if (!ref) return undefined;
    if (assignable(ref.type, list.items)) spread = false;
    else if (assignable(ref.type, list)) spread = true;
    else {
      scope.ctx.error('ES3012', `\`${value}\` is ${formatType(ref.type)}; append to ${formatType(list)} takes ${formatType(list.items)} or ${formatType(list)}`, vat);
      return undefined;
    }
    return { op: 'append', expr: { kind: 'ref', path: ref.path, type: ref.type }, spread };
  }
  spread = Array.isArray(isConst(value) ? value['const'] : value);
  const expr = resolveExpr(value, spread ? list : list.items, scope, vat);
  return expr && { op: 'append', expr, spread };
}

