// PROJECTION_REBUILD_REQUIRED: a projection whose fingerprint (a hash of its columns, key, indexes
// and rules) differs from the baseline's. Not a contract break: the table must be rebuilt
// (rebuildProjection) before the new runner applies, which it refuses to do until then. A warning
// that says so in CI, on the projection's key.
import type { RawFinding, Side } from './findings.js';

export function compareProjections(base: Side, cur: Side): RawFinding[] {
  const before = new Map<string, string>();
  for (const d of base.model.domains) for (const p of d.projections) before.set(`${d.name}/${p.name}`, p.fingerprint);
  const findings: RawFinding[] = [];
  for (const d of cur.model.domains) {
    for (const p of d.projections) {
      const old = before.get(`${d.name}/${p.name}`);
      if (old === undefined || old === p.fingerprint) continue;
      findings.push({
        ...cur.index.at(d.file, ['projections', p.name], 'key'),
        rule: 'PROJECTION_REBUILD_REQUIRED',
        message: `projection ${p.name} changed (rules ${old} → ${p.fingerprint}): rebuild table ${p.table} with rebuildProjection before its runner applies again`,
        path: `projections.${p.name}`,
        domain: d.name,
      });
    }
  }
  return findings;
}
