// How deep a message's Avro schema nests once its named types are written inline (the
// generated avro.ts declares each schema `as const`). TypeScript gives up on a literal type
// nested about a hundred levels deep ("excessive stack depth", TS2321), and every recursive
// walk over a schema — ours, avsc's — deepens with it; so the depth is bounded here, computed
// without recursion, before anything else walks the types.
import type { Field, RecordType, TypeRef } from '../core/model.js';

/** Levels of the `as const` literal: a record is 3 (record, fields list, field), an array, map, union or logical type 1. */
export const maxSchemaNesting = 80;

export interface Nesting {
  readonly depth: number;
  /** The records on the deepest path, outermost first. */
  readonly chain: readonly string[];
}

/** Depth of one record-like root (a message version, a state) with `fields`. */
export function schemaNesting(fields: readonly Field[], memo: Map<RecordType, Nesting>): Nesting {
  return fieldsNesting(fields, memo, new Set());
}

function fieldsNesting(fields: readonly Field[], memo: Map<RecordType, Nesting>, onPath: Set<RecordType>): Nesting {
  // Records reached from these fields are sized first, deepest first, with an explicit stack.
  for (const f of fields) sizeRecords(f.type, memo, onPath);
  let best: Nesting = { depth: 3, chain: [] };
  for (const f of fields) {
    const n = refNesting(f.type, memo);
    if (n.depth + 3 > best.depth) best = { depth: n.depth + 3, chain: n.chain };
  }
  return best;
}

/** Depth of a type reference once every record it reaches is in `memo` (a record not in it is a back reference: a name). */
function refNesting(t: TypeRef, memo: Map<RecordType, Nesting>): Nesting {
  let extra = 0;
  let cur: TypeRef = t;
  for (;;) {
    switch (cur.kind) {
      case 'primitive':
        return { depth: extra, chain: [] };
      case 'logical':
      case 'decimal':
        return { depth: extra + 1, chain: [] };
      case 'array':
        extra++;
        cur = cur.items;
        continue;
      case 'map':
        extra++;
        cur = cur.values;
        continue;
      case 'optional':
        extra++;
        cur = cur.type;
        continue;
      case 'named': {
        if (cur.type.kind !== 'record') return { depth: extra + 1, chain: [] };
        const r = memo.get(cur.type);
        return r ? { depth: extra + r.depth, chain: [cur.type.name, ...r.chain.slice(0, 8)] } : { depth: extra + 1, chain: [] };
      }
    }
  }
}

function recordsIn(t: TypeRef): RecordType | undefined {
  let cur: TypeRef = t;
  while (cur.kind === 'array' || cur.kind === 'map' || cur.kind === 'optional') cur = cur.kind === 'array' ? cur.items : cur.kind === 'map' ? cur.values : cur.type;
  return cur.kind === 'named' && cur.type.kind === 'record' ? cur.type : undefined;
}

/** Post-order over the records reachable from `t`, filling `memo`; a record met again on the current path counts as a name. */
function sizeRecords(t: TypeRef, memo: Map<RecordType, Nesting>, onPath: Set<RecordType>): void {
  const root = recordsIn(t);
  if (!root || memo.has(root) || onPath.has(root)) return;
  const stack: { r: RecordType; next: number }[] = [{ r: root, next: 0 }];
  onPath.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { r: RecordType; next: number };
    if (top.next < top.r.fields.length) {
      const child = recordsIn((top.r.fields[top.next] as Field).type);
      top.next++;
      if (child && !memo.has(child) && !onPath.has(child)) {
        onPath.add(child);
        stack.push({ r: child, next: 0 });
      }
      continue;
    }
    stack.pop();
    let best: Nesting = { depth: 3, chain: [] };
    for (const f of top.r.fields) {
      const n = refNesting(f.type, memo);
      if (n.depth + 3 > best.depth) best = { depth: n.depth + 3, chain: n.chain };
    }
    memo.set(top.r, best);
    onPath.delete(top.r);
  }
}
