// Small facts about TypeRefs that every stage needs: equality and the DSL spelling.
import type { NamedType, TypeRef } from './model.js';

/** Structurally the same type; named types compare by identity (one object per name). */
export function sameType(a: TypeRef, b: TypeRef): boolean {
  switch (a.kind) {
    case 'primitive':
    case 'logical':
      return b.kind === a.kind && b.name === a.name;
    case 'decimal':
      return b.kind === 'decimal' && b.precision === a.precision && b.scale === a.scale;
    case 'array':
      return b.kind === 'array' && sameType(a.items, b.items);
    case 'map':
      return b.kind === 'map' && sameType(a.values, b.values);
    case 'optional':
      return b.kind === 'optional' && sameType(a.type, b.type);
    case 'named':
      return b.kind === 'named' && b.type === a.type;
  }
}

/**
 * A TypeRef written back in the DSL grammar, for messages: `map<OrderItem[]>?`. `named`
 * decides how a named type is spelled (by default its name).
 */
export function formatType(t: TypeRef, named: (n: NamedType) => string = (n) => n.name): string {
  switch (t.kind) {
    case 'primitive':
    case 'logical':
      return t.name;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'array':
      return `${formatType(t.items, named)}[]`;
    case 'map':
      return `map<${formatType(t.values, named)}>`;
    case 'optional':
      return `${formatType(t.type, named)}?`;
    case 'named':
      return named(t.type);
  }
}
