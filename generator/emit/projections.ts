// `<slug>/projections.ts`: per projection its row type, the definition the runtime's runner and
// rebuild take (runtime/postgres/projection.ts: DDL by table name, the rules as SQL, the
// fingerprint), typed queries (by key, and a list filtered on the key and the indexed columns)
// and consumer handlers for running it from Kafka instead. `<slug>/sql/01NN_projection_<table>.sql`
// holds the same DDL as a migration file; `<customDir>/<slug>/projections.ts` the user's `custom` rules.
// Nothing is written for a domain without projections.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Domain, DomainEvent, Projection, ProjectionAssignment, ProjectionColumn, ProjectionRule, ProjectionValue, TypeRef, Value } from '../core/model.js';
import { domainSlug, enumSymbolsName } from '../core/names.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { customFilePath, customHeader, customModule, generatedModule } from './custom-files.js';
import { projectionNames } from '../core/names-projections.js';
import { migrations } from '../runtime/postgres/migrations.js';
import { tsConvert, tsExpr } from './ts-expr.js';
import { tsDoc, tsString } from './ts-print.js';
import { tsType } from './ts-type.js';

const typesModule = './types.js';

export const emitProjections: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => projectionFiles(domain, ctx));

export function projectionsPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/projections.ts`;
}

/** Relative to the custom folder. */
export function customProjectionsPath(domain: Domain): string {
  return customFilePath(domain, 'projections');
}

export { projectionNames };

export function projectionFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  if (domain.projections.length === 0) return [];
  const imports = new Imports();
  const rt = ctx.options.runtimeModule;
  const hasCustom = domain.projections.some((p) => p.rules.some((r) => r.kind === 'custom'));
  const body = domain.projections.map((p) => projectionCode(p, imports, rt));
  const head = [bannerFor(domain, ctx), '', imports.render(), ...(hasCustom ? [`import * as custom from '${customModule(ctx.options, domain, 'projections')}';`] : [])];
  const all = `/** Every projection of the domain, for starting their runners together. */\nexport const projections = [${domain.projections.map(projectionNames.definition).join(', ')}] as const;`;
  const files: GeneratedFile[] = [{ path: projectionsPath(domain), content: `${head.join('\n')}\n\n${body.join('\n\n')}\n\n${all}\n` }];
  domain.projections.forEach((p, i) => files.push(migrationFile(domain, p, i)));
  if (hasCustom) files.push(customFile(domain, ctx));
  return files;
}

// ---- SQL text ---------------------------------------------------------------------------

const q = (ident: string): string => `"${ident}"`;

/** Text inside a TypeScript template literal. */
function templateText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

function bare(t: TypeRef): TypeRef {
  return t.kind === 'optional' ? t.type : t;
}

function isMicros(t: TypeRef): boolean {
  const b = bare(t);
  return b.kind === 'logical' && b.name === 'timestamp-micros';
}

/** `$n` cast to the column's exact type. */
function castParam(n: number, c: ProjectionColumn): string {
  if (isMicros(c.field.type)) return `('epoch'::timestamptz + $${n}::bigint * interval '1 microsecond')`;
  return `$${n}::${c.sqlType}`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A default as SQL (the column's DEFAULT). */
function sqlDefault(value: Value, c: ProjectionColumn): string {
  const t = bare(c.field.type);
  if (value === null) return 'NULL';
  if (t.kind === 'array') {
    const items = Array.isArray(value) ? value : [];
    if (items.length === 0) return `'{}'::${c.sqlType}`;
    const item: ProjectionColumn = { ...c, field: { ...c.field, type: t.items }, sqlType: c.sqlType.replace(/\[\]$/, '') };
    return `ARRAY[${items.map((v) => sqlDefault(v, item)).join(', ')}]::${c.sqlType}`;
  }
  if (t.kind === 'logical' && t.name === 'timestamp-millis') return `('epoch'::timestamptz + ${String(value)} * interval '1 millisecond')`;
  if (isMicros(t)) return `('epoch'::timestamptz + ${String(value)} * interval '1 microsecond')`;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' || typeof value === 'bigint') return `${String(value)}::${c.sqlType}`;
  if (typeof value === 'string') return `${sqlString(value)}::${c.sqlType}`;
  if (value instanceof Uint8Array) return `'\\x${Buffer.from(value).toString('hex')}'::bytea`;
  return 'NULL';
}

function ddlStatements(p: Projection, table: string): string[] {
  const columns = p.columns.map((c) => {
    const d = c.field.default !== undefined && c.field.default.value !== null ? ` DEFAULT ${sqlDefault(c.field.default.value, c)}` : '';
    return `  ${q(c.column)} ${c.sqlType}${c.nullable ? '' : ' NOT NULL'}${d},`;
  });
  return [
    `CREATE TABLE IF NOT EXISTS ${q(table)} (\n${columns.join('\n')}\n  CONSTRAINT ${q(`${table}_pkey`)} PRIMARY KEY (${q(p.key.column)})\n)`,
    ...p.indexes.map((c) => `CREATE INDEX IF NOT EXISTS ${q(`${table}_${c.column}_idx`)} ON ${q(table)} (${q(c.column)})`),
  ];
}

function indexNames(p: Projection, table: string): string[] {
  return [`${table}_pkey`, ...p.indexes.map((c) => `${table}_${c.column}_idx`)];
}

/** The select expression of a column: exact types travel as text. */
function selectOf(c: ProjectionColumn): string {
  const t = bare(c.field.type);
  const col = q(c.column);
  if (isMicros(t)) return `(extract(epoch FROM ${col}) * 1000000)::bigint::text AS ${col}`;
  const asText = (x: TypeRef): boolean =>
    (x.kind === 'primitive' && x.name === 'long') || x.kind === 'decimal' || (x.kind === 'logical' && (x.name === 'uuid' || x.name === 'date'));
  if (asText(t)) return `${col}::text AS ${col}`;
  if (t.kind === 'array' && asText(t.items)) return `${col}::text[] AS ${col}`;
  return col;
}

// ---- TypeScript -------------------------------------------------------------------------

/** The conversion of a selected value `v` of column type `t` (named `col` in errors). */
function rowConversion(t: TypeRef, v: string, col: string, imports: Imports, rt: string): string {
  const fn = (name: string): string => imports.value(rt, name);
  switch (t.kind) {
    case 'optional':
      return `${fn('columnNullable')}(${v}, ${col}, (x, c) => ${rowConversion(t.type, 'x', 'c', imports, rt)})`;
    case 'array':
      return `${fn('columnArray')}(${v}, ${col}, (x, c) => ${rowConversion(t.items, 'x', 'c', imports, rt)})`;
    case 'primitive':
      if (t.name === 'long') return `${fn('columnBigInt')}(${v}, ${col})`;
      if (t.name === 'string') return `${fn('columnText')}(${v}, ${col})`;
      if (t.name === 'boolean') return `${fn('columnBoolean')}(${v}, ${col})`;
      if (t.name === 'bytes') return `${fn('columnBytes')}(${v}, ${col})`;
      return `${fn('columnNumber')}(${v}, ${col})`;
    case 'logical':
      if (t.name === 'timestamp-millis') return `${fn('columnDate')}(${v}, ${col})`;
      if (t.name === 'timestamp-micros') return `${fn('columnBigInt')}(${v}, ${col})`;
      if (t.name === 'time-millis') return `${fn('columnNumber')}(${v}, ${col})`;
      return `${fn('columnText')}(${v}, ${col})`;
    case 'decimal':
      return `${fn('columnText')}(${v}, ${col})`;
    case 'named':
      if (t.type.kind === 'enum') return `${fn('columnEnum')}(${v}, ${imports.value(typesModule, enumSymbolsName(t.type.name))}, ${col})`;
      return `${fn('columnBytes')}(${v}, ${col})`;
    case 'map':
      throw new Error('a map column has no mapping (refused by resolve)');
  }
}

interface RuleSql {
  readonly sql: string;
  readonly params: string[];
}

/** Collects parameters while the SQL of one rule is printed. */
class Params {
  readonly values: string[] = [];
  add(ts: string): number {
    this.values.push(ts);
    return this.values.length;
  }
}

/** Runtime functions the printed values call (imported when printed). */
interface Fns {
  readonly sqlValue: string;
  readonly addDecimal: () => string;
}

const INT: TypeRef = { kind: 'primitive', name: 'int' };

/** `{ count }` / `{ sum, of }` over the event's list, converted to `target`. */
function listAggregateTs(v: Extract<ProjectionValue, { kind: 'listAggregate' }>, target: TypeRef, fns: Fns): string {
  const list = `d.${v.list.join('.')}`;
  if (v.op === 'count') return tsConvert(`${list}.length`, INT, target);
  const item = `x.${(v.field ?? []).join('.')}`;
  const t = v.type;
  const sum =
    t.kind === 'decimal'
      ? `${list}.reduce((n, x) => ${fns.addDecimal()}(n, ${item}, ${t.scale}), ${tsString(t.scale === 0 ? '0' : `0.${'0'.repeat(t.scale)}`)})`
      : t.kind === 'primitive' && t.name === 'long'
        ? `${list}.reduce((n, x) => n + ${item}, 0n)`
        : `${list}.reduce((n, x) => n + ${item}, 0)`;
  return tsConvert(sum, t, target);
}

function valueTs(v: ProjectionValue, target: TypeRef, fns: Fns): string {
  if (v.kind === 'listAggregate') return listAggregateTs(v, target, fns);
  if (v.kind === 'meta') return { subject: 'e.subject', time: 'e.time', version: 'e.version', eventId: 'e.eventId' }[v.name];
  return tsExpr(v.expr, target, 'd');
}

function valuesOf(r: ProjectionRule): ProjectionValue[] {
  return r.kind === 'custom' ? [] : r.kind === 'delete' ? [r.where] : [...(r.kind === 'update' ? [r.where] : []), ...r.assignments.map((a) => a.value)];
}

function usesData(r: ProjectionRule): boolean {
  return valuesOf(r).some((v) => v.kind === 'listAggregate' || (v.kind === 'expr' && readsData(v)));
}

function readsData(v: ProjectionValue): boolean {
  if (v.kind !== 'expr') return false;
  const walk = (e: typeof v.expr): boolean => e.kind === 'ref' || (e.kind === 'object' && e.fields.some((f) => walk(f.expr)));
  return walk(v.expr);
}

/** The value an assignment contributes: the parameter (as cast SQL), typed for the column or its element. */
function assignedParam(a: ProjectionAssignment, params: Params, fns: Fns): string {
  const t = a.column.field.type;
  if (a.op === 'append') {
    const list = bare(t);
    if (list.kind !== 'array') throw new Error('append to a non-list column (refused by resolve)');
    const n = params.add(`${fns.sqlValue}(${valueTs(a.value, a.spread ? list : list.items, fns)})`);
    return a.spread ? `$${n}::${a.column.sqlType.replace(/^(.*?)(\[\])?$/, '$1[]')}` : `ARRAY[$${n}::${a.column.sqlType.replace(/\[\]$/, '')}]`;
  }
  const n = params.add(`${fns.sqlValue}(${valueTs(a.value, t, fns)})`);
  return castParam(n, a.column);
}

function zeroOf(c: ProjectionColumn): string {
  return bare(c.field.type).kind === 'array' ? `'{}'::${c.sqlType}` : `0::${c.sqlType}`;
}

/** What a column becomes on a new row: the value, or the op applied to its default. */
function newRowValue(a: ProjectionAssignment, param: string): string {
  if (a.op === 'set') return param;
  const d = a.column.field.default;
  const base = d !== undefined && d.value !== null ? sqlDefault(d.value, a.column) : zeroOf(a.column);
  return a.op === 'increment' ? `(${base} + ${param})` : `(${base} || ${param})`;
}

/** What a column becomes on an existing row (alias t). */
function existingRowValue(a: ProjectionAssignment, param: string): string {
  const col = `t.${q(a.column.column)}`;
  if (a.op === 'set') return param;
  return a.op === 'increment' ? `coalesce(${col}, ${zeroOf(a.column)}) + ${param}` : `coalesce(${col}, ${zeroOf(a.column)}) || ${param}`;
}

function ruleSql(p: Projection, r: Exclude<ProjectionRule, { kind: 'custom' }>, fns: Fns): RuleSql {
  const params = new Params();
  const key = q(p.key.column);
  if (r.kind === 'delete') {
    const w = castParam(params.add(`${fns.sqlValue}(${valueTs(r.where, p.key.field.type, fns)})`), p.key);
    return { sql: `DELETE FROM "\${table}" AS t WHERE t.${key} = ${w}`, params: params.values };
  }
  const values = r.assignments.map((a) => ({ a, param: assignedParam(a, params, fns) }));
  if (r.kind === 'update') {
    const w = castParam(params.add(`${fns.sqlValue}(${valueTs(r.where, p.key.field.type, fns)})`), p.key);
    const sets = values.map(({ a, param }) => `${q(a.column.column)} = ${existingRowValue(a, param)}`);
    return { sql: `UPDATE "\${table}" AS t\n   SET ${sets.join(',\n       ')}\n WHERE t.${key} = ${w}`, params: params.values };
  }
  const cols = values.map(({ a }) => q(a.column.column)).join(', ');
  const vals = values.map(({ a, param }) => newRowValue(a, param)).join(', ');
  let sql = `INSERT INTO "\${table}" AS t (${cols})\nVALUES (${vals})`;
  if (r.kind === 'upsert') {
    const updates = values.filter(({ a }) => a.column !== p.key);
    sql +=
      updates.length === 0
        ? `\nON CONFLICT (${key}) DO NOTHING`
        : `\nON CONFLICT (${key}) DO UPDATE\n   SET ${updates.map(({ a, param }) => `${q(a.column.column)} = ${existingRowValue(a, param)}`).join(',\n       ')}`;
  }
  return { sql, params: params.values };
}

// ---- the rules as data, for the set-based runner (runtime/postgres/projection-rules.ts) ----

/** A column value as the runtime's ColumnText (PostgreSQL input text), as TypeScript. */
function textTs(value: Value, t: TypeRef): string {
  const b = bare(t);
  if (value === null) return 'null';
  if (b.kind === 'array') return `[${(Array.isArray(value) ? value : []).map((v) => textTs(v, b.items)).join(', ')}]`;
  if (b.kind === 'logical' && b.name === 'timestamp-millis') return tsString(new Date(Number(value)).toISOString());
  if (value instanceof Uint8Array) return tsString(`\\x${Buffer.from(value).toString('hex')}`);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return tsString(String(value));
  return 'null';
}

function batchColumn(c: ProjectionColumn): string {
  const d = c.field.default;
  return `{ name: ${tsString(c.column)}, sqlType: ${tsString(c.sqlType)}, ${isMicros(c.field.type) ? 'micros: true, ' : ''}initial: ${d !== undefined ? textTs(d.value, c.field.type) : 'null'} }`;
}

function batchRule(p: Projection, r: Exclude<ProjectionRule, { kind: 'custom' }>): string {
  if (r.kind === 'delete') return "{ kind: 'delete' }";
  const assign = r.assignments.map((a) => `{ column: ${p.columns.indexOf(a.column)}, op: '${a.op}'${a.spread === true ? ', spread: true' : ''} }`);
  return `{\n  kind: '${r.kind}',\n  assign: [\n${assign.map((x) => `    ${x},`).join('\n')}\n  ],\n}`;
}

/** The inputs of one event: where and assignment values, in the order of batchRule's assignments. */
function inputsCase(p: Projection, r: Exclude<ProjectionRule, { kind: 'custom' }>, fns: Fns): string {
  const values =
    r.kind === 'delete'
      ? []
      : r.assignments.map((a) => {
          const list = bare(a.column.field.type);
          const target = a.op === 'append' && list.kind === 'array' && a.spread !== true ? list.items : a.column.field.type;
          return `${fns.sqlValue}(${valueTs(a.value, target, fns)})`;
        });
  const where = r.kind === 'update' || r.kind === 'delete' ? `where: ${fns.sqlValue}(${valueTs(r.where, p.key.field.type, fns)}),\n        ` : '';
  const data = usesData(r) ? '      const d = e.event.data;\n' : '';
  const list = values.length === 0 ? '[]' : `[\n${values.map((v) => `          ${v},`).join('\n')}\n        ]`;
  return `    case ${tsString(r.event.ceType)}: {\n${data}      return {\n        ${where}values: ${list},\n      };\n    }`;
}

function inputsFunction(p: Projection, imports: Imports, rt: string, fns: Fns, evType: string): string {
  const cases = p.rules.flatMap((r) => (r.kind === 'custom' ? [] : [inputsCase(p, r, fns)]));
  const custom = p.rules.filter((r) => r.kind === 'custom');
  const rest =
    custom.length === 0
      ? []
      : [`${custom.map((r) => `    case ${tsString(r.event.ceType)}:`).join('\n')}\n      // Custom rules: applied by the runner through apply, one event at a time.\n      return { values: [] };`];
  return `function ${projectionNames.inputs(p)}(e: ${imports.type(rt, 'ProjectionEvent')}<${evType}>): ${imports.type(rt, 'BatchInput')} {\n  switch (e.event.type) {\n${[...cases, ...rest].join('\n')}\n  }\n}`;
}

const isSubject = (v: ProjectionValue | undefined): boolean => v?.kind === 'meta' && v.name === 'subject';

/** Whether every declarative rule finds its row by the event's subject (the runner then loads the rows with the events). */
function subjectKeyed(p: Projection): boolean {
  const rules = p.rules.filter((r) => r.kind !== 'custom');
  return (
    rules.length > 0 &&
    rules.every((r) =>
      r.kind === 'update' || r.kind === 'delete' ? isSubject(r.where) : isSubject(r.assignments.find((a) => a.column === p.key)?.value),
    )
  );
}

function batchRules(p: Projection): string[] {
  const rules = p.rules.flatMap((r) => (r.kind === 'custom' ? [] : [indent(`${tsString(r.event.ceType)}: ${batchRule(p, r)},`, '      ')]));
  return [
    `  batch: {`,
    `    key: ${p.columns.indexOf(p.key)},`,
    ...(subjectKeyed(p) ? ['    subjectKey: true,'] : []),
    `    columns: [\n${p.columns.map((c) => `      ${batchColumn(c)},`).join('\n')}\n    ],`,
    `    rules: {\n${rules.join('\n')}\n    },`,
    `    inputs: ${projectionNames.inputs(p)},`,
    `  },`,
  ];
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > 0 ? by + l : l))
    .join('\n');
}

function eventMember(e: DomainEvent, imports: Imports): string {
  return `{ readonly type: ${tsString(e.ceType)}; readonly data: ${imports.type(typesModule, e.name)} }`;
}

function projectionCode(p: Projection, imports: Imports, rt: string): string {
  const n = projectionNames;
  const Queryable = imports.type(rt, 'Queryable');
  const ProjectionEvent = imports.type(rt, 'ProjectionEvent');
  const sqlValueFn = imports.value(rt, 'sqlValue');
  const fns: Fns = { sqlValue: sqlValueFn, addDecimal: () => imports.value(rt, 'addDecimal') };
  const events = p.rules.map((r) => r.event);
  const row = n.row(p);
  const evType = n.event(p);
  const tsTypeOf = (t: TypeRef): string => tsType(t, imports, { typesModule });
  const out: string[] = [];

  // The row type.
  out.push(
    `${tsDoc([p.doc ?? `A row of the ${p.table} table (projection ${p.name}).`])}\nexport interface ${row} {\n${p.columns
      .map((c) => `${c.field.doc !== undefined ? `${tsDoc([c.field.doc], '  ')}\n` : ''}  readonly ${c.field.name}: ${tsTypeOf(c.field.type)};`)
      .join('\n')}\n}`,
  );
  out.push(`/** The events ${p.name} reacts to, at their latest version. */\nexport type ${evType} =\n${events.map((e) => `  | ${eventMember(e, imports)}`).join('\n')};`);

  // The apply function: one case per rule.
  const cases = p.rules.map((r) => {
    const head = `    case ${tsString(r.event.ceType)}: {`;
    if (r.kind === 'custom') {
      return `${head}\n      await custom.${n.custom(p, r.event)}(db, table, { ...e, event: e.event.data });\n      return;\n    }`;
    }
    const s = ruleSql(p, r, fns);
    const data = usesData(r) ? '      const d = e.event.data;\n' : '';
    const params = s.params.length === 0 ? '' : `,\n        [\n${s.params.map((x) => `          ${x},`).join('\n')}\n        ]`;
    return `${head}\n${data}      await db.query(\n        \`${indent(templateText(s.sql).replace(/\\\$\{table\}/g, '${table}'), '        ').trimStart()}\`${params},\n      );\n      return;\n    }`;
  });
  out.push(
    `async function ${n.apply(p)}(db: ${Queryable}, table: string, e: ${ProjectionEvent}<${evType}>): Promise<void> {\n  switch (e.event.type) {\n${cases.join('\n')}\n  }\n}`,
  );
  out.push(inputsFunction(p, imports, rt, fns, evType));

  // The definition.
  const ddl = ddlStatements(p, '\u0000').map((s) => `\`${templateText(s).replace(/\u0000/g, '${table}')}\``);
  const idx = indexNames(p, '\u0000').map((s) => `\`${templateText(s).replace(/\u0000/g, '${table}')}\``);
  const streamTypes = [...new Set(events.map((e) => e.aggregateName))];
  out.push(
    [
      tsDoc([`Projection ${p.name} for the runtime's runner and rebuild (startProjectionRunner, rebuildProjection): table \`${p.table}\`, fingerprint ${p.fingerprint}.`]),
      `export const ${n.definition(p)}: ${imports.type(rt, 'ProjectionDefinition')}<${evType}> = {`,
      `  name: ${tsString(p.name)},`,
      `  table: ${tsString(p.table)},`,
      `  fingerprint: ${tsString(p.fingerprint)},`,
      `  streamTypes: [${streamTypes.map(tsString).join(', ')}],`,
      `  eventTypes: [\n${events.map((e) => `    ${tsString(e.ceType)},`).join('\n')}\n  ],`,
      `  decoding: ${imports.value('./kafka.js', 'eventDecoding')},`,
      `  ddl: (table) => [\n${ddl.map((d) => `    ${indent(d, '    ').trimStart()},`).join('\n')}\n  ],`,
      `  indexNames: (table) => [${idx.join(', ')}],`,
      `  apply: ${n.apply(p)},`,
      ...batchRules(p),
      `};`,
    ].join('\n'),
  );

  // Kafka mode: the same rules, applied in the idempotent consumer's transaction.
  const readsVersion = p.rules.some((r) => valuesOf(r).some((v) => v.kind === 'meta' && v.name === 'version'));
  const hasCustom = p.rules.some((r) => r.kind === 'custom');
  const needsVersion = readsVersion || hasCustom;
  const byAggregate = new Map<string, DomainEvent[]>();
  for (const e of events) byAggregate.set(e.aggregateName, [...(byAggregate.get(e.aggregateName) ?? []), e]);
  const kafkaEvent = imports.value(rt, 'kafkaProjectionEvent');
  const handlers = [...byAggregate].map(
    ([aggregate, evs]) =>
      `    ${aggregate}: {
${evs.map((e) => `      ${e.name}: (e, context) => apply(context, e.type, ${kafkaEvent}(e, { type: e.type, data: e.data }, ${String(needsVersion)})),`).join('\n')}
    },`,
  );
  const versionDoc = needsVersion
    ? `Its ${readsVersion ? 'rules read `$version`' : 'custom rules may read the version'}: the stream version comes from each event's \`streamversion\` extension, which the repository sets on every event it appends; an event without one fails its handler (retried, then dead-lettered).`
    : 'Its rules read no `$version`: the version handed to them is the `streamversion` extension when the event has one, else 0.';
  out.push(
    [
      tsDoc([
        `Consumer handlers (createEventConsumer of kafka.ts) that keep ${p.name} from Kafka instead of the event store, for a read model in another service: the same rules${hasCustom ? ' (custom ones included)' : ''}, applied in the consumer's transaction, which also marks each event processed (once per consumer group); the events of one transaction are applied together before its COMMIT, set-based as the runner applies them. \`table\` defaults to the live table; create it with \`${n.definition(p)}.ddl(table)\`.`,
        versionDoc,
      ]),
      `export function ${n.kafkaHandlers(p)}(table = ${tsString(p.table)}): ${imports.type('./kafka.js', 'DomainHandlers')} {`,
      `  const apply = ${imports.value(rt, 'kafkaProjectionApplier')}(${n.definition(p)}, table);`,
      `  return {\n${handlers.join('\n')}\n  };`,
      `}`,
    ].join('\n'),
  );

  // Queries.
  const select = p.columns.map(selectOf).join(', ');
  const fromRow = p.columns.map((c) => `    ${c.field.name}: ${rowConversion(c.field.type, `r[${tsString(c.column)}]`, tsString(c.column), imports, rt)},`).join('\n');
  out.push(
    `function ${n.fromRow(p)}(r: ${imports.type(rt, 'Row')}): ${row} {\n  return {\n${fromRow}\n  };\n}`,
  );
  const keyType = tsTypeOf(p.key.field.type);
  out.push(
    [
      `/** The row of \`${p.key.field.name}\` (undefined if none); \`table\` reads another table of the same shape (a rebuild's shadow). */`,
      `export async function ${n.get(p)}(db: ${Queryable}, ${p.key.field.name}: ${keyType}, table = ${tsString(p.table)}): Promise<${row} | undefined> {`,
      `  const result = await db.query(`,
      `    \`SELECT ${templateText(select)} FROM "\${table}" WHERE ${q(p.key.column)} = ${castParam(1, p.key)}\`,`,
      `    [${sqlValueFn}(${p.key.field.name})],`,
      `  );`,
      `  const r = ${imports.value(rt, 'firstRow')}(result);`,
      `  return r === undefined ? undefined : ${n.fromRow(p)}(r);`,
      `}`,
    ].join('\n'),
  );
  const filterCols = [p.key, ...p.indexes];
  out.push(
    [
      `/** Filters of ${n.list(p)}: equality on the key and the indexed columns, and keyset paging by the key. */`,
      `export interface ${n.filter(p)} {`,
      ...filterCols.map((c) => `  readonly ${c.field.name}?: ${tsTypeOf(c.field.type)};`),
      `  /** Rows whose key is greater than this (the last key of the previous page). */`,
      `  readonly after?: ${keyType};`,
      `  /** At most this many rows (default 100). */`,
      `  readonly limit?: number;`,
      `}`,
    ].join('\n'),
  );
  const filterCode = filterCols.map((c) => {
    const f = `filter.${c.field.name}`;
    const eq = `    params.push(${sqlValueFn}(${f}));\n    where.push(\`${q(c.column)} = ${templateText(castParam(0, c)).replace('$0', () => '$${params.length}')}\`);`;
    if (!c.nullable) return `  if (${f} !== undefined) {\n${eq}\n  }`;
    return `  if (${f} === null) where.push('${q(c.column)} IS NULL');\n  else if (${f} !== undefined) {\n${eq}\n  }`;
  });
  out.push(
    [
      `/** Rows matching \`filter\`, ordered by the key. */`,
      `export async function ${n.list(p)}(db: ${Queryable}, filter: ${n.filter(p)} = {}, table = ${tsString(p.table)}): Promise<${row}[]> {`,
      `  const where: string[] = [];`,
      `  const params: unknown[] = [];`,
      ...filterCode,
      `  if (filter.after !== undefined) {`,
      `    params.push(${sqlValueFn}(filter.after));`,
      `    where.push(\`${q(p.key.column)} > ${templateText(castParam(0, p.key)).replace('$0', () => '$${params.length}')}\`);`,
      `  }`,
      `  params.push(filter.limit ?? 100);`,
      `  const result = await db.query(`,
      `    \`SELECT ${templateText(select)} FROM "\${table}"\${where.length > 0 ? \` WHERE \${where.join(' AND ')}\` : ''} ORDER BY ${q(p.key.column)} LIMIT $\${params.length}\`,`,
      `    params,`,
      `  );`,
      `  return ${imports.value(rt, 'rowsOf')}(result).map(${n.fromRow(p)});`,
      `}`,
    ].join('\n'),
  );
  return out.join('\n\n');
}

// ---- the migration file -----------------------------------------------------------------

function migrationFile(domain: Domain, p: Projection, index: number): GeneratedFile {
  const number = String(101 + index).padStart(4, '0');
  const content = [
    `-- eventsmith projection ${p.name}: table ${p.table}, rules fingerprint ${p.fingerprint}.`,
    `-- Generated from the spec. Apply after the runtime migrations (0001-${String(migrations.length).padStart(4, '0')}); idempotent.`,
    '-- A change to the projection changes its fingerprint: the runner then refuses to apply until',
    '-- rebuildProjection() has replayed the events into a new table and swapped it in (no ALTER).',
    'BEGIN;',
    ...ddlStatements(p, p.table).map((s) => `${s};`),
    `INSERT INTO eventsmith_projections (name, txid, position, fingerprint)`,
    `VALUES (${sqlString(p.name)}, '0'::xid8, 0, ${sqlString(p.fingerprint)})`,
    'ON CONFLICT (name) DO NOTHING;',
    'COMMIT;',
    '',
  ].join('\n');
  return { path: `${domainSlug(domain.name)}/sql/${number}_projection_${p.table}.sql`, content };
}

// ---- the user-owned custom rules ---------------------------------------------------------

function customFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  const stubs: string[] = [];
  const types = new Set<string>();
  for (const p of domain.projections) {
    for (const r of p.rules) {
      if (r.kind !== 'custom') continue;
      types.add(r.event.name);
      stubs.push(
        [
          `// TODO: implement; until this returns 'applied', the project does not compile.`,
          tsDoc([`Applies ${r.event.aggregateName}.${r.event.name} to \`table\` (projection ${p.name}, normally \`${p.table}\`; a rebuild passes its shadow table). Runs in the runner's transaction, or in Kafka mode (${projectionNames.kafkaHandlers(p)}) the consumer's: write only through \`db\`.`]),
          `export function ${projectionNames.custom(p, r.event)}(`,
          `  db: Queryable,`,
          `  table: string,`,
          `  e: ProjectionEvent<${r.event.name}>,`,
          `): Promise<ProjectionApplied> {`,
          `}`,
        ].join('\n'),
      );
    }
  }
  const header = customHeader(domain, {
    what: 'projection rules',
    marker: '`custom` (a projection rule)',
    generated: generatedModule(ctx.options, domain, 'projections', '.ts'),
    typesFrom: `${ctx.options.runtimeModule} and ${generatedModule(ctx.options, domain, 'types')}`,
    shape: "export async function project<Projection><Event>(db: Queryable, table: string, e: ProjectionEvent<<Event>>): Promise<ProjectionApplied> { … }",
  });
  const imports = [
    `import type { ProjectionApplied, ProjectionEvent, Queryable } from '${ctx.options.runtimeModule}';`,
    `import type { ${[...types].sort().join(', ')} } from '${generatedModule(ctx.options, domain, 'types')}';`,
  ];
  return { path: customProjectionsPath(domain), content: `${header}\n\n${imports.join('\n')}\n\n${stubs.join('\n\n')}\n`, userOwned: true };
}

