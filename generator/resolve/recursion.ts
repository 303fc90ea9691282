// A record that requires itself (directly or through a cycle) through fields that must hold
// a value has no finite value: no message of that type can ever be written. Optional, array
// and map fields can be empty, so they break such a cycle.
import type { NamedType, RecordType, TypeRef } from '../core/model.js';

export interface Unbounded {
  readonly type: RecordType;
  /** `Node.next → Node` for records on a cycle; for the others, the requirement that fails. */
  readonly reason: string;
}

/** Records a finite value must contain: named records reached without optional/array/map. */
function required(t: TypeRef): RecordType | undefined {
  return t.kind === 'named' && t.type.kind === 'record' ? t.type : undefined;
}

export function findUnbounded(types: readonly NamedType[]): Unbounded[] {
  const records = types.filter((t): t is RecordType => t.kind === 'record');
  // Least fixed point with a worklist (linear: a spec may declare tens of thousands of types):
  // a record is finite once every record it requires is finite.
  const waiting = new Map<RecordType, number>();
  const dependents = new Map<RecordType, RecordType[]>();
  const ready: RecordType[] = [];
  for (const r of records) {
    let n = 0;
    for (const f of r.fields) {
      const req = required(f.type);
      if (!req) continue;
      n++;
      const list = dependents.get(req);
      if (list) list.push(r);
      else dependents.set(req, [r]);
    }
    waiting.set(r, n);
    if (n === 0) ready.push(r);
  }
  const finite = new Set<RecordType>();
  while (ready.length > 0) {
    const r = ready.pop() as RecordType;
    finite.add(r);
    for (const d of dependents.get(r) ?? []) {
      const left = (waiting.get(d) ?? 0) - 1;
      waiting.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  const out: Unbounded[] = [];
  let cycleSearches = 0;
  for (const r of records) {
    if (finite.has(r)) continue;
    // Each search is linear; a bounded number keeps a long unbounded chain linear as well.
    const cycle = cycleSearches++ < maxCycleSearches ? cycleFrom(r) : undefined;
    if (cycle) {
      out.push({ type: r, reason: `${r.name} requires itself: ${cycle}` });
      continue;
    }
    const blocker = r.fields.find((f) => {
      const req = required(f.type);
      return req !== undefined && !finite.has(req);
    });
    const req = blocker && required(blocker.type);
    out.push({ type: r, reason: `${r.name}.${blocker?.name ?? '?'} requires ${req?.name ?? '?'}, which has no finite value` });
  }
  return out;
}

const maxCycleSearches = 50;

/** `A.b → B.a → A` when `start` lies on a cycle of required fields, else undefined (iterative: chains can be long). */
function cycleFrom(start: RecordType): string | undefined {
  const via = new Map<RecordType, { from: RecordType; field: string }>();
  const stack: RecordType[] = [start];
  while (stack.length > 0) {
    const r = stack.pop() as RecordType;
    for (const f of r.fields) {
      const next = required(f.type);
      if (!next) continue;
      if (next === start) {
        const steps = [`${r.name}.${f.name}`];
        for (let at = r; at !== start; ) {
          const v = via.get(at) as { from: RecordType; field: string };
          steps.unshift(`${v.from.name}.${v.field}`);
          at = v.from;
        }
        return [...steps, start.name].join(' → ');
      }
      if (via.has(next)) continue;
      via.set(next, { from: r, field: f.name });
      stack.push(next);
    }
  }
  return undefined;
}
