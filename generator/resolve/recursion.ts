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
  // Least fixed point: a record is finite once every record it requires is finite.
  const finite = new Set<RecordType>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of records) {
      if (finite.has(r)) continue;
      if (r.fields.every((f) => {
        const req = required(f.type);
        return req === undefined || finite.has(req);
      })) {
        finite.add(r);
        changed = true;
      }
    }
  }
  const out: Unbounded[] = [];
  for (const r of records) {
    if (finite.has(r)) continue;
    const cycle = cycleFrom(r);
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

/** `A.b → B.a → A` when `start` lies on a cycle of required fields, else undefined. */
function cycleFrom(start: RecordType): string | undefined {
  const seen = new Set<RecordType>();
  const walk = (r: RecordType, trail: string[]): string | undefined => {
    for (const f of r.fields) {
      const next = required(f.type);
      if (!next) continue;
      const step = [...trail, `${r.name}.${f.name}`];
      if (next === start) return [...step, start.name].join(' → ');
      if (seen.has(next)) continue;
      seen.add(next);
      const hit = walk(next, step);
      if (hit) return hit;
    }
    return undefined;
  };
  return walk(start, []);
}
