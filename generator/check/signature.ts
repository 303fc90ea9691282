// What counts as a change of a published schema, computed on the model rather than on Avro
// text so that each difference can be named and pointed at: field added, removed, retyped,
// reordered, its default or aliases changed, an enum's symbols, a fixed's size. Docs never
// count. Named types from `types:` compare by name here and are compared on their own (one
// SHARED_TYPE_CHANGED at the type instead of one finding per version that uses it); inline
// enums belong to their field and compare in full. Stricter than Parsing Canonical Form on
// purpose: a logical type (string → uuid) or decimal precision changes generated code and
// validation, so it is a change too.
import type { Field, NamedType, TypeRef, Value } from '../core/model.js';
import { formatType } from '../core/type-ref.js';

export interface Change {
  readonly message: string;
  /** The current field the change is at; undefined when it is gone (point at its parent). */
  readonly field?: Field;
  /** For changes of a named type itself: which key of the type (`enum`, `default`, `aliases`, `fixed`). */
  readonly key?: string;
}

/** A type as the DSL writes it, with inline enums spelled out so a change of their symbols shows. */
export function describeType(t: TypeRef): string {
  return formatType(t, (n) =>
    n.kind === 'enum' && n.inline ? `enum [${n.symbols.join(', ')}]${n.default !== undefined ? ` (default ${n.default})` : ''}` : n.name,
  );
}

/** Exact, canonical text of a default value: bigints exact, mapping keys sorted. */
export function showValue(v: Value): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x: Value) => showValue(x)).join(', ')}]`;
  const obj: { readonly [key: string]: Value } = v as { readonly [key: string]: Value };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${showValue(obj[k] ?? null)}`).join(', ')}}`;
}

/** The default Avro sees: `T?` has an implicit null. */
function effectiveDefault(f: Field): string | undefined {
  if (f.default !== undefined) return showValue(f.default.value);
  return f.type.kind === 'optional' ? 'null' : undefined;
}

function list(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** Differences between two field lists (a version's payload or a record type), in current order. */
export function diffFields(base: readonly Field[], cur: readonly Field[]): Change[] {
  const changes: Change[] = [];
  const baseByName = new Map(base.map((f) => [f.name, f]));
  const curNames = new Set(cur.map((f) => f.name));
  for (const f of base) {
    if (!curNames.has(f.name)) changes.push({ message: `field \`${f.name}\` was removed` });
  }
  for (const f of cur) {
    const b = baseByName.get(f.name);
    if (b === undefined) {
      changes.push({ message: `field \`${f.name}\` was added`, field: f });
      continue;
    }
    const bt = describeType(b.type);
    const ct = describeType(f.type);
    if (bt !== ct) changes.push({ message: `field \`${f.name}\` changed type from ${bt} to ${ct}`, field: f });
    const bd = effectiveDefault(b);
    const cd = effectiveDefault(f);
    // `T` → `T?` brings its implicit null default along; the type change already says so.
    const implicit =
      bt !== ct && ((bd === undefined && cd === 'null' && f.type.kind === 'optional') || (cd === undefined && bd === 'null' && b.type.kind === 'optional'));
    if (bd !== cd && !implicit) {
      const what = bd === undefined ? `gained the default ${cd}` : cd === undefined ? `lost its default ${bd}` : `changed its default from ${bd} to ${cd}`;
      changes.push({ message: `field \`${f.name}\` ${what}`, field: f });
    }
    if (list(b.aliases) !== list(f.aliases)) {
      changes.push({ message: `field \`${f.name}\` changed its aliases from ${list(b.aliases)} to ${list(f.aliases)}`, field: f });
    }
  }
  // Avro binary writes fields in declaration order: moving one changes every reader's decoding.
  const common = cur.filter((f) => baseByName.has(f.name));
  const baseOrder = base.filter((f) => curNames.has(f.name)).map((f) => f.name);
  const moved = common.find((f, i) => baseOrder[i] !== f.name);
  if (moved !== undefined) {
    changes.push({ message: `fields were reordered from ${list(baseOrder)} to ${list(common.map((f) => f.name))} (Avro encodes fields in order)`, field: moved });
  }
  return changes;
}

const kindName = { record: 'a record', enum: 'an enum', fixed: 'a fixed' } as const;

/** Differences of a named type's own definition (its field types compare by name). */
export function diffNamedType(base: NamedType, cur: NamedType): Change[] {
  if (base.kind !== cur.kind) return [{ message: `changed from ${kindName[base.kind]} to ${kindName[cur.kind]}` }];
  const changes: Change[] = [];
  if (base.kind === 'record' && cur.kind === 'record') changes.push(...diffFields(base.fields, cur.fields));
  if (base.kind === 'enum' && cur.kind === 'enum') {
    if (list(base.symbols) !== list(cur.symbols)) {
      const gone = base.symbols.filter((s) => !cur.symbols.includes(s));
      const why = gone.length > 0 ? `; readers of the published versions cannot read ${gone.join(', ')}` : ' (Avro encodes a symbol by its position)';
      changes.push({ message: `changed its symbols from ${list(base.symbols)} to ${list(cur.symbols)}${why}`, key: 'enum' });
    }
    if (base.default !== cur.default) {
      changes.push({ message: `changed its default symbol from ${base.default ?? 'none'} to ${cur.default ?? 'none'}`, key: 'default' });
    }
  }
  if (base.kind === 'fixed' && cur.kind === 'fixed' && base.size !== cur.size) {
    changes.push({ message: `changed its size from ${base.size} to ${cur.size} bytes`, key: 'fixed' });
  }
  if (list(base.aliases) !== list(cur.aliases)) {
    changes.push({ message: `changed its aliases from ${list(base.aliases)} to ${list(cur.aliases)}`, key: 'aliases' });
  }
  return changes;
}

/** Named types from `types:` that `fields` use, directly or through other named types, by name. */
export function sharedTypesOf(fields: readonly Field[]): Map<string, NamedType> {
  const out = new Map<string, NamedType>();
  const visit = (t: TypeRef): void => {
    switch (t.kind) {
      case 'array':
        return visit(t.items);
      case 'map':
        return visit(t.values);
      case 'optional':
        return visit(t.type);
      case 'named': {
        const n = t.type;
        if (n.kind === 'enum' && n.inline) return;
        if (out.has(n.name)) return;
        out.set(n.name, n);
        if (n.kind === 'record') for (const f of n.fields) visit(f.type);
        return;
      }
      default:
        return;
    }
  };
  for (const f of fields) visit(f.type);
  return out;
}
