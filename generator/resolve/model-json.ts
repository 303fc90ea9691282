// The resolved model as stable JSON, for golden tests and `--debug` dumps. References print as
// `{"$ref": ...}` instead of the node they point to (so the graph becomes a tree): named types
// by name, events and commands as `Aggregate.Name` everywhere but in their aggregate,
// assignment targets as `<Owner>.<field>`. Bigints print as decimal strings.
import type { Field, Model } from '../core/model.js';
import { stateTypeName } from '../core/names.js';

export function modelToJson(model: Model): string {
  const fieldIds = new Map<Field, string>();
  for (const d of model.domains) {
    for (const t of d.types) if (t.kind === 'record') for (const f of t.fields) fieldIds.set(f, `${t.name}.${f.name}`);
    for (const a of d.aggregates) {
      for (const f of a.state) fieldIds.set(f, `${stateTypeName(a.name)}.${f.name}`);
      for (const m of [...a.events, ...a.commands]) for (const v of m.versions) for (const f of v.fields) fieldIds.set(f, `${v.typeName}.${f.name}`);
    }
  }
  return `${JSON.stringify(toJson(model, fieldIds, false), null, 2)}\n`;
}

/** `owned`: the value is an aggregate's own `events` or `commands` list, where messages print in full. */
function toJson(value: unknown, fieldIds: ReadonlyMap<Field, string>, owned: boolean): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v: unknown) => toJson(v, fieldIds, owned));
  if (typeof value !== 'object' || value === null) return value;
  const node = value as { readonly [key: string]: unknown };
  if (node['kind'] === 'named' && isNamed(node['type'])) return { $ref: node['type'].name };
  if (!owned && (node['kind'] === 'event' || node['kind'] === 'command') && isMessage(node)) return { $ref: `${node.aggregateName}.${node.name}` };
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(node)) {
    const child = node[key];
    const target = (node['kind'] === 'assignment' || node['kind'] === 'dataAssignment') && key === 'target';
    if (target && isField(child)) out[key] = { $ref: fieldIds.get(child) ?? child.name };
    else out[key] = toJson(child, fieldIds, node['kind'] === 'aggregate' && (key === 'events' || key === 'commands'));
  }
  return out;
}

function isNamed(v: unknown): v is { readonly name: string } {
  return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string';
}

function isMessage(v: unknown): v is { readonly name: string; readonly aggregateName: string } {
  return isNamed(v) && typeof (v as { aggregateName?: unknown }).aggregateName === 'string';
}

function isField(v: unknown): v is Field {
  return isNamed(v) && (v as { kind?: unknown }).kind === 'field';
}
