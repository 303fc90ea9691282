// Projections (read models): a table with typed columns and one rule per event. Column types map
// to PostgreSQL exactly (decimals stay numeric(p,s), longs bigint, timestamps timestamptz); a type
// without an exact mapping is refused rather than stored lossily. Rule values are the apply
// expressions (`$.field`, literals, `{ increment }`, `{ append }`) plus the event's metadata.
import { createHash } from 'node:crypto';
import type { Domain, DomainEvent, Field, NamedType, Projection, ProjectionAssignment, ProjectionColumn, ProjectionMeta, ProjectionRule, ProjectionValue, TypeRef, Value } from '../core/model.js';
import { didYouMean, nameProblem, words } from '../core/names.js';
import { asString, describeValue, entriesOf, get, has, isMapping, type Path, type SpecContext } from './context.js';
import { checkValue, type ValueEnv } from './defaults.js';
import { assignable, mismatchHint, resolveRef, resolveRule, type ExprScope } from './expr.js';
import { formatType } from './type-expr.js';
import { resolveTypeString, type FieldDefaults, type TypeScope } from './types.js';

export interface ProjectionScope {
  readonly ctx: SpecContext;
  readonly env: FieldDefaults;
  readonly named: ReadonlyMap<string, NamedType>;
  readonly aggregates: Domain['aggregates'];
  /** Tables claimed so far in this run (across domains), with who claimed them. */
  readonly tables: Map<string, string>;
}

const META: Readonly<Record<string, ProjectionMeta>> = { $subject: 'subject', $time: 'time', $version: 'version', $eventId: 'eventId' };
const TIMESTAMP: TypeRef = { kind: 'logical', name: 'timestamp-millis' };
const INT: TypeRef = { kind: 'primitive', name: 'int' };
const UUID: TypeRef = { kind: 'logical', name: 'uuid' };

/** snake_case of a camelCase or PascalCase name: `totalAmount` → `total_amount`. */
export function snakeCase(name: string): string {
  return words(name).map((w) => w.toLowerCase()).join('_');
}

/** The exact PostgreSQL type of a column type, or why there is none. */
export function sqlTypeOf(type: TypeRef): { sql: string } | { problem: string } {
  const t = type.kind === 'optional' ? type.type : type;
  if (t.kind === 'optional') return { problem: 'a doubly optional type' };
  if (t.kind === 'array') {
    const inner = sqlTypeOf(t.items);
    if ('problem' in inner) return inner;
    if (t.items.kind === 'optional' || t.items.kind === 'array') return { problem: 'a list of optional values or of lists (PostgreSQL arrays are not nested)' };
    return { sql: `${inner.sql}[]` };
  }
  switch (t.kind) {
    case 'primitive':
      return { sql: { string: 'text', int: 'integer', long: 'bigint', float: 'real', double: 'double precision', boolean: 'boolean', bytes: 'bytea' }[t.name] };
    case 'logical':
      // time-millis stays the integer of milliseconds it is in TypeScript; timestamp-micros is a
      // bigint of microseconds there, which timestamptz (microsecond precision) holds exactly.
      return { sql: { uuid: 'uuid', date: 'date', 'time-millis': 'integer', 'timestamp-millis': 'timestamptz', 'timestamp-micros': 'timestamptz' }[t.name] };
    case 'decimal':
      return { sql: `numeric(${t.precision},${t.scale})` };
    case 'named':
      if (t.type.kind === 'enum') return { sql: 'text' };
      if (t.type.kind === 'fixed') return { sql: 'bytea' };
      return { problem: `the record ${t.type.name} (store its fields as columns of their own)` };
    case 'map':
      return { problem: 'a map (store its entries in a table of their own, with a custom rule)' };
  }
}

export function resolveProjections(raw: unknown, scope: ProjectionScope): Projection[] {
  const out: Projection[] = [];
  for (const [name, spec] of entriesOf(raw)) {
    const p = resolveProjection(name, spec, ['projections', name], scope);
    if (p) out.push(p);
  }
  return out;
}

function resolveProjection(name: string, spec: unknown, path: Path, scope: ProjectionScope): Projection | undefined {
  const { ctx } = scope;
  const problem = nameProblem('type', name);
  if (problem) ctx.error('ES3007', problem.replace('type name', 'projection name'), path, 'key');
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'a projection is a mapping with key, columns and on', path);
    return undefined;
  }
  const table = asString(get(spec, 'table')) ?? snakeCase(name);
  checkTable(table, name, has(spec, 'table') ? [...path, 'table'] : path, scope);

  const typeScope: TypeScope = { ctx, named: scope.named, aggregateNames: new Set(scope.aggregates.map((a) => a.name)), defaults: scope.env, inlineEnums: [] };
  const columns: ProjectionColumn[] = [];
  let complete = true;
  for (const [col, colSpec] of entriesOf(get(spec, 'columns'))) {
    const c = resolveColumn(col, colSpec, [...path, 'columns', col], typeScope, scope.env);
    if (c) columns.push(c);
    else complete = false;
  }
  const byName = (n: string): ProjectionColumn | undefined => columns.find((c) => c.field.name === n);
  const keyName = asString(get(spec, 'key')) ?? '';
  const key = byName(keyName);
  if (!key && complete) ctx.error('ES3011', `the key \`${keyName}\` is not one of the columns${didYouMean(keyName, columns.map((c) => c.field.name))}`, [...path, 'key']);
  if (key && (key.nullable || key.field.type.kind === 'array')) ctx.error('ES3043', `the key \`${keyName}\` must be a non-null scalar column, not ${formatType(key.field.type)}`, [...path, 'key']);

  const indexes: ProjectionColumn[] = [];
  const rawIndexes = get(spec, 'indexes');
  (Array.isArray(rawIndexes) ? rawIndexes : []).forEach((ix: unknown, i) => {
    const c = typeof ix === 'string' ? byName(ix) : undefined;
    if (!c) ctx.error('ES3011', `index on unknown column ${describeValue(ix)}${typeof ix === 'string' ? didYouMean(ix, columns.map((x) => x.field.name)) : ''}`, [...path, 'indexes', i]);
    else if (c === key || indexes.includes(c)) ctx.error('ES3008', `column \`${c.field.name}\` is indexed twice (the key has its primary-key index)`, [...path, 'indexes', i]);
    else indexes.push(c);
  });

  const rules: ProjectionRule[] = [];
  const seen = new Set<DomainEvent>();
  for (const [ref, ruleSpec] of entriesOf(get(spec, 'on'))) {
    const at: Path = [...path, 'on', ref];
    const event = eventOf(ref, at, scope);
    if (!event) continue;
    if (seen.has(event)) ctx.error('ES3008', `event \`${ref}\` has two rules`, at, 'key');
    seen.add(event);
    if (!key) continue;
    const rule = resolveRuleSpec(ruleSpec, event, key, columns, at, scope);
    if (rule) rules.push(rule);
  }
  if (!key || !complete) return undefined;
  const doc = asString(get(spec, 'doc'));
  const body = { table, key, columns, indexes, rules };
  return {
    kind: 'projection',
    name,
    ...body,
    fingerprint: fingerprintOf(body),
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(path),
  };
}

function checkTable(table: string, owner: string, at: Path, scope: ProjectionScope): void {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(table)) {
    scope.ctx.error('ES3044', `table name ${JSON.stringify(table)} must be snake_case: a lower-case letter, then lower-case letters, digits and _ (at most 48 characters)`, at);
    return;
  }
  if (table.startsWith('eventsmith_')) {
    scope.ctx.error('ES3044', `table name \`${table}\`: the eventsmith_ prefix is reserved for the runtime's tables`, at);
    return;
  }
  const other = scope.tables.get(table);
  if (other) scope.ctx.error('ES3044', `table \`${table}\` of projection ${owner} is also the table of ${other}`, at);
  else scope.tables.set(table, `projection ${owner}`);
}

function resolveColumn(name: string, spec: unknown, path: Path, typeScope: TypeScope, env: ValueEnv): ProjectionColumn | undefined {
  const { ctx } = typeScope;
  const problem = nameProblem('field', name);
  if (problem) {
    ctx.error('ES3007', problem.replace('field name', 'column name'), path, 'key');
    return undefined;
  }
  const rawType = isMapping(spec) ? get(spec, 'type') : spec;
  if (isMapping(spec) && has(spec, 'enum')) {
    ctx.error('ES3040', 'a column cannot declare an inline enum; declare the enum under `types` and use its name', path);
    return undefined;
  }
  const type = resolveTypeString(rawType, isMapping(spec) ? [...path, 'type'] : path, typeScope);
  if (!type) return undefined;
  const sql = sqlTypeOf(type);
  if ('problem' in sql) {
    ctx.error('ES3040', `column \`${name}\` is ${formatType(type)}: ${sql.problem} has no exact PostgreSQL column type`, path);
    return undefined;
  }
  let def: { readonly value: Value } | undefined;
  if (isMapping(spec) && has(spec, 'default')) {
    const r = checkValue(spec['default'], type, env, { optionalMustBeNull: false });
    if (!r.ok) {
      ctx.error('ES3005', `default of column \`${name}\`: ${r.message}`, [...path, 'default', ...r.at]);
      return undefined;
    }
    def = { value: r.value };
  } else if (type.kind === 'optional') def = { value: null };
  const doc = isMapping(spec) ? asString(get(spec, 'doc')) : undefined;
  const field: Field = {
    kind: 'field',
    name,
    type,
    ...(def !== undefined ? { default: def } : {}),
    ...(doc !== undefined ? { doc } : {}),
    aliases: [],
    loc: ctx.loc(path),
  };
  return { kind: 'projectionColumn', field, column: snakeCase(name), sqlType: sql.sql, nullable: type.kind === 'optional' };
}

const refPattern = /^([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*)$/;

/** `Aggregate.Event` of this domain (projections run on this domain's event store and codecs). */
function eventOf(ref: string, at: Path, scope: ProjectionScope): DomainEvent | undefined {
  const m = refPattern.exec(ref);
  const aggregate = m ? scope.aggregates.find((a) => a.name === m[1]) : undefined;
  const event = aggregate?.events.find((e) => e.name === m?.[2]);
  if (event) return event;
  const all = scope.aggregates.flatMap((a) => a.events.map((e) => `${a.name}.${e.name}`));
  const known = m && !aggregate ? ` (no aggregate \`${m[1] ?? ''}\` in this domain)` : '';
  scope.ctx.error('ES3010', `unknown event \`${ref}\`${known}${didYouMean(ref, all)}`, at, 'key');
  return undefined;
}

function idTypeOf(event: DomainEvent, scope: ProjectionScope): TypeRef {
  return scope.aggregates.find((a) => a.name === event.aggregateName)?.idType ?? UUID;
}

function metaOf(raw: unknown, event: DomainEvent, scope: ProjectionScope): ProjectionValue | undefined {
  if (typeof raw !== 'string' || !(raw in META)) return undefined;
  const name = META[raw] ?? 'subject';
  const type = name === 'subject' ? idTypeOf(event, scope) : name === 'time' ? TIMESTAMP : name === 'version' ? INT : UUID;
  return { kind: 'meta', name, type };
}

function exprScope(event: DomainEvent, scope: ProjectionScope): ExprScope {
  const latest = event.versions[event.versions.length - 1];
  return { ctx: scope.ctx, env: scope.env, source: latest?.fields ?? [], sourceName: latest?.typeName ?? event.name };
}

/** A value for `target`: metadata (checked like a field reference) or an apply expression. */
function resolveValue(raw: unknown, target: TypeRef, event: DomainEvent, at: Path, scope: ProjectionScope): ProjectionValue | undefined {
  const meta = metaOf(raw, event, scope);
  if (meta) {
    if (meta.kind === 'meta' && !assignable(meta.type, target)) {
      scope.ctx.error('ES3012', `\`${String(raw)}\` is ${formatType(meta.type)}, which does not fit ${formatType(target)}${mismatchHint(meta.type, target)}`, at);
      return undefined;
    }
    return meta;
  }
  if (typeof raw === 'string' && /^\$[A-Za-z]/.test(raw)) {
    scope.ctx.error('ES3030', `unknown value \`${raw}\`: a projection reads \`$.field\`, $subject, $time, $version or $eventId${didYouMean(raw, Object.keys(META))}`, at);
    return undefined;
  }
  const field: Field = { kind: 'field', name: 'value', type: target, aliases: [], loc: scope.ctx.loc(at) };
  const r = resolveRule(raw, field, exprScope(event, scope), at);
  return r && r.op === 'set' ? { kind: 'expr', expr: r.expr } : undefined;
}

const NUMBER_NAMES = ['int', 'long', 'float', 'double'];

function isNumberType(t: TypeRef): boolean {
  return t.kind === 'decimal' || (t.kind === 'primitive' && NUMBER_NAMES.includes(t.name));
}

/** Whether `raw` is `{ count: $.list }` or `{ sum: field, of: $.list }`. */
function isListAggregate(raw: unknown): raw is Record<string, unknown> {
  return isMapping(raw) && (has(raw, 'count') || has(raw, 'sum'));
}

/** `{ count: $.list }` / `{ sum: field, of: $.list }` for `target`; reports what is wrong with it. */
function resolveListAggregate(raw: Record<string, unknown>, target: TypeRef, event: DomainEvent, at: Path, scope: ProjectionScope): ProjectionValue | undefined {
  const { ctx } = scope;
  const op = has(raw, 'count') ? 'count' : 'sum';
  const allowed = op === 'count' ? ['count'] : ['sum', 'of'];
  const extra = Object.keys(raw).find((k) => !allowed.includes(k));
  if (extra !== undefined) {
    ctx.error('ES3043', `${op} takes ${op === 'count' ? '`count: $.list` only' : '`sum: field` and `of: $.list` only'}; found \`${extra}\``, [...at, extra], 'key');
    return undefined;
  }
  const listText = op === 'count' ? raw['count'] : raw['of'];
  const listAt: Path = [...at, op === 'count' ? 'count' : 'of'];
  if (typeof listText !== 'string' || !listText.startsWith('$.')) {
    ctx.error('ES3043', `${op === 'count' ? 'count' : 'of'} names a list field of the event, \`$.field\`; found ${describeValue(listText)}`, op === 'sum' && listText === undefined ? at : listAt);
    return undefined;
  }
  const exprs = exprScope(event, scope);
  const list = resolveRef(listText, exprs, listAt);
  if (!list) return undefined;
  if (list.type.kind !== 'array') {
    ctx.error('ES3012', `\`${listText}\` is ${formatType(list.type)}, not a list`, listAt);
    return undefined;
  }
  let type: TypeRef = INT;
  let field: string[] | undefined;
  if (op === 'sum') {
    const item = list.type.items;
    const fieldText = raw['sum'];
    const record = item.kind === 'named' && item.type.kind === 'record' ? item.type : undefined;
    if (typeof fieldText !== 'string' || record === undefined) {
      ctx.error('ES3043', record === undefined ? `sum needs a list of records; \`${listText}\` is ${formatType(list.type)}` : `sum names a number field of ${record.name}; found ${describeValue(fieldText)}`, [...at, 'sum']);
      return undefined;
    }
    const ref = resolveRef(`$.${fieldText}`, { ...exprs, source: record.fields, sourceName: record.name }, [...at, 'sum']);
    if (!ref) return undefined;
    if (!isNumberType(ref.type)) {
      ctx.error('ES3012', `\`${fieldText}\` of ${record.name} is ${formatType(ref.type)}; sum adds numbers`, [...at, 'sum']);
      return undefined;
    }
    type = ref.type;
    field = ref.path;
  }
  if (!assignable(type, target)) {
    ctx.error('ES3012', `${op} is ${formatType(type)}, which does not fit ${formatType(target)}${mismatchHint(type, target)}`, at);
    return undefined;
  }
  return { kind: 'listAggregate', op, list: list.path, ...(field !== undefined ? { field } : {}), type };
}

const OPS = ['set', 'increment', 'append'] as const;

function resolveAssignment(raw: unknown, column: ProjectionColumn, event: DomainEvent, at: Path, scope: ProjectionScope): ProjectionAssignment | undefined {
  const loc = scope.ctx.loc(at, 'key');
  const op = isMapping(raw) && Object.keys(raw).length === 1 ? OPS.find((o) => has(raw, o)) : undefined;
  const inner = op !== undefined && isMapping(raw) ? raw[op] : raw;
  if (isListAggregate(inner) && op !== 'append') {
    const at2: Path = op === undefined ? at : [...at, op];
    if (op === 'increment' && !isNumberType(column.field.type.kind === 'optional' ? column.field.type.type : column.field.type)) {
      scope.ctx.error('ES3022', `increment needs a number column; \`${column.field.name}\` is ${formatType(column.field.type)}`, at, 'key');
      return undefined;
    }
    const v = resolveListAggregate(inner, column.field.type, event, at2, scope);
    return v && { kind: 'projectionAssignment', column, op: op ?? 'set', value: v, loc };
  }
  if (typeof inner === 'string' && /^\$[A-Za-z]/.test(inner) && metaOf(inner, event, scope) === undefined) {
    return void resolveValue(inner, column.field.type, event, op === undefined ? at : [...at, op], scope);
  }
  if (metaOf(inner, event, scope) === undefined) {
    const r = resolveRule(raw, column.field, exprScope(event, scope), at);
    return r && { kind: 'projectionAssignment', column, op: r.op, value: { kind: 'expr', expr: r.expr }, ...(r.spread !== undefined ? { spread: r.spread } : {}), loc };
  }
  const type = column.field.type;
  if (op === 'append') {
    // Metadata appended: one element of the list column.
    if (type.kind !== 'array') {
      scope.ctx.error('ES3022', `append needs a list column; \`${column.field.name}\` is ${formatType(type)}`, at, 'key');
      return undefined;
    }
    const v = resolveValue(inner, type.items, event, [...at, 'append'], scope);
    return v && { kind: 'projectionAssignment', column, op: 'append', value: v, spread: false, loc };
  }
  if (op === 'increment') {
    const v = resolveValue(inner, type, event, [...at, 'increment'], scope);
    if (v) {
      const t = type.kind === 'optional' ? type.type : type;
      const numeric = t.kind === 'decimal' || (t.kind === 'primitive' && ['int', 'long', 'float', 'double'].includes(t.name));
      if (!numeric) {
        scope.ctx.error('ES3022', `increment needs a number column; \`${column.field.name}\` is ${formatType(type)}`, at, 'key');
        return undefined;
      }
    }
    return v && { kind: 'projectionAssignment', column, op: 'increment', value: v, loc };
  }
  const v = resolveValue(inner, type, event, op === 'set' ? [...at, 'set'] : at, scope);
  return v && { kind: 'projectionAssignment', column, op: 'set', value: v, loc };
}

function resolveAssignments(raw: unknown, columns: readonly ProjectionColumn[], event: DomainEvent, at: Path, scope: ProjectionScope): ProjectionAssignment[] | undefined {
  if (!isMapping(raw)) {
    scope.ctx.error('ES3043', `expected a mapping of columns to values, found ${describeValue(raw)}`, at);
    return undefined;
  }
  const out: ProjectionAssignment[] = [];
  let ok = true;
  for (const [name, value] of entriesOf(raw)) {
    const column = columns.find((c) => c.field.name === name);
    if (!column) {
      scope.ctx.error('ES3011', `unknown column \`${name}\`${didYouMean(name, columns.map((c) => c.field.name))}`, [...at, name], 'key');
      ok = false;
      continue;
    }
    const a = resolveAssignment(value, column, event, [...at, name], scope);
    if (a) out.push(a);
    else ok = false;
  }
  return ok ? out : undefined;
}

function resolveRuleSpec(
  raw: unknown,
  event: DomainEvent,
  key: ProjectionColumn,
  columns: readonly ProjectionColumn[],
  at: Path,
  scope: ProjectionScope,
): ProjectionRule | undefined {
  const { ctx } = scope;
  const loc = ctx.loc(at, 'key');
  const subject = (): ProjectionValue | undefined => resolveValue('$subject', key.field.type, event, at, scope);
  if (raw === 'custom') return { kind: 'custom', event, loc };
  if (raw === 'delete') {
    const where = subject();
    return where && { kind: 'delete', event, where, loc };
  }
  const kinds = isMapping(raw) ? (['insert', 'upsert', 'update', 'delete'] as const).filter((k) => has(raw, k)) : [];
  const kind = kinds[0];
  if (!isMapping(raw) || kinds.length !== 1 || kind === undefined) {
    ctx.error('ES3043', `a rule is custom, delete, or a mapping with one of insert, upsert, update, delete; found ${describeValue(raw)}`, at);
    return undefined;
  }
  if ((kind === 'insert' || kind === 'upsert') && has(raw, 'where')) {
    ctx.error('ES3043', `${kind} takes no where: it sets the key column \`${key.field.name}\` itself`, [...at, 'where'], 'key');
    return undefined;
  }
  const where = (): ProjectionValue | undefined => (has(raw, 'where') ? resolveValue(raw['where'], key.field.type, event, [...at, 'where'], scope) : subject());
  if (kind === 'delete') {
    const w = where();
    return w && { kind: 'delete', event, where: w, loc };
  }
  const assignments = resolveAssignments(raw[kind], columns, event, [...at, kind], scope);
  if (!assignments) return undefined;
  if (kind === 'update') {
    const w = where();
    if (assignments.some((a) => a.column === key)) {
      ctx.error('ES3043', `update changes the key \`${key.field.name}\`; delete the row and insert another instead`, [...at, kind, key.field.name], 'key');
      return undefined;
    }
    return w && { kind: 'update', event, where: w, assignments, loc };
  }
  const keySet = assignments.find((a) => a.column === key);
  if (!keySet) {
    ctx.error('ES3041', `${kind} does not set the key \`${key.field.name}\` (for the aggregate's id, write \`${key.field.name}: $subject\`)`, [...at, kind], 'key');
    return undefined;
  }
  if (keySet.op !== 'set') {
    ctx.error('ES3043', `the key \`${key.field.name}\` can only be set, not ${keySet.op}ed`, [...at, kind, key.field.name]);
    return undefined;
  }
  const unset = columns.filter((c) => !c.nullable && c.field.default === undefined && !assignments.some((a) => a.column === c));
  if (unset.length > 0) {
    const names = unset.map((c) => `\`${c.field.name}\``).join(', ');
    ctx.error('ES3042', `${kind} leaves ${names} without a value for a new row; set ${unset.length === 1 ? 'it' : 'them'} or give ${unset.length === 1 ? 'it' : 'them'} a default`, [...at, kind], 'key');
    return undefined;
  }
  return { kind, event, assignments, loc };
}

/**
 * A hash of what decides the table's content, independent of positions and docs: any change
 * to a column, the key, an index or a rule changes it.
 */
function fingerprintOf(body: { table: string; key: ProjectionColumn; columns: readonly ProjectionColumn[]; indexes: readonly ProjectionColumn[]; rules: readonly ProjectionRule[] }): string {
  const column = (c: ProjectionColumn): unknown => [c.column, c.sqlType, c.nullable, c.field.default?.value ?? null, typeText(c.field.type)];
  const value = (v: ProjectionValue): unknown =>
    v.kind === 'meta' ? ['meta', v.name] : v.kind === 'listAggregate' ? [v.op, v.list, v.field ?? null] : ['expr', v.expr];
  const rule = (r: ProjectionRule): unknown => {
    const head = [r.kind, r.event.ceType];
    if (r.kind === 'custom') return head;
    if (r.kind === 'delete') return [...head, value(r.where)];
    const sets = r.assignments.map((a) => [a.column.column, a.op, a.spread ?? null, value(a.value)]);
    return r.kind === 'update' ? [...head, value(r.where), sets] : [...head, sets];
  };
  const canonical = JSON.stringify(
    [body.table, body.key.column, body.columns.map(column), body.indexes.map((c) => c.column), body.rules.map(rule)],
    (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : isTypeNode(v) ? typeText(v) : v),
  );
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16);
}

function isTypeNode(v: unknown): v is TypeRef {
  return isMapping(v) && typeof v['kind'] === 'string' && ['primitive', 'logical', 'decimal', 'array', 'map', 'optional', 'named'].includes(v['kind']) && !has(v, 'path');
}

function typeText(t: TypeRef): string {
  return formatType(t);
}
