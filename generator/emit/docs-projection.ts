// The catalog's projection sections: table, key, indexes and fingerprint, the columns with their
// exact PostgreSQL types, and what each event does to the table.
import type { Projection, ProjectionRule, ProjectionValue } from '../core/model.js';
import { dslExpr, dslType, dslValue, mdCode, mdDoc, mdTable } from './docs-markdown.js';

export interface ProjectionSectionView {
  readonly heading: string;
  readonly doc: string;
  readonly summary: string;
  readonly columns: string;
  readonly rules: string;
}

export const projectionHeading = (p: Projection): string => `Projection ${p.name}`;

function valueText(v: ProjectionValue): string {
  if (v.kind === 'listAggregate') return v.op === 'count' ? `{ count: $.${v.list.join('.')} }` : `{ sum: ${(v.field ?? []).join('.')}, of: $.${v.list.join('.')} }`;
  return v.kind === 'meta' ? `$${v.name}` : dslExpr(v.expr);
}

function ruleText(r: ProjectionRule): string {
  if (r.kind === 'custom') return 'custom handler';
  if (r.kind === 'delete') return `delete where key = ${mdCode(valueText(r.where))}`;
  const sets = r.assignments
    .map((a) => mdCode(`${a.column.field.name} ${a.op === 'set' ? '=' : a.op === 'increment' ? '+=' : 'append'} ${valueText(a.value)}`))
    .join(', ');
  return r.kind === 'update' ? `update where key = ${mdCode(valueText(r.where))}: ${sets}` : `${r.kind}: ${sets}`;
}

export function projectionSection(p: Projection): ProjectionSectionView {
  return {
    heading: projectionHeading(p),
    doc: mdDoc(p.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['Table', mdCode(p.table)],
        ['Key', mdCode(p.key.field.name)],
        ['Indexes', p.indexes.length > 0 ? p.indexes.map((c) => mdCode(c.field.name)).join(', ') : '—'],
        ['Rules fingerprint (a change needs a rebuild)', mdCode(p.fingerprint)],
      ],
    ),
    columns: mdTable(
      ['Column', 'SQL', 'Type', 'Default', 'Doc'],
      p.columns.map((c) => [
        mdCode(c.field.name),
        mdCode(`${c.column} ${c.sqlType}${c.nullable ? '' : ' NOT NULL'}`),
        mdCode(dslType(c.field.type)),
        c.field.default !== undefined ? mdCode(dslValue(c.field.default.value)) : '—',
        c.field.doc ?? '',
      ]),
    ),
    rules: mdTable(
      ['Event', 'Rule'],
      p.rules.map((r) => [mdCode(`${r.event.aggregateName}.${r.event.name}`), ruleText(r)]),
    ),
  };
}
