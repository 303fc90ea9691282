// Replay safety: what the event store already holds must rebuild the same kind of state after
// the change. An aggregate's stream is replayed through its reducer on every load (from the
// latest snapshot, when it has `snapshotEvery`): an event that stops being applied silently
// changes every state rebuilt from now on, and a changed state shape makes old snapshots
// unusable (the repository ignores them by fingerprint, so they are never misread, but every
// aggregate replays its whole stream until its next snapshot).
// The earlier side is a ReplayRecord: `check` makes it from its baseline, `generate` and
// `validate` read the one the previous generation left in the manifest (replay-gate.ts).
import type { RawFinding, Side } from './findings.js';
import { stateDigest, type ReplayRecord } from './replay-record.js';

export function compareReplay(before: ReplayRecord, cur: Side): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const domain of cur.model.domains) {
    for (const c of domain.aggregates) {
      const b = Object.prototype.hasOwnProperty.call(before.aggregates, c.name) ? before.aggregates[c.name] : undefined;
      if (b === undefined) continue;
      const name = c.name;
      const file = domain.file;
      for (const ce of c.events) {
        if (ce.apply.kind !== 'none' || !b.applied.includes(ce.name)) continue;
        findings.push({
          ...cur.index.at(file, ['aggregates', name, 'events', ce.name], 'key'),
          rule: 'REPLAY_APPLY_REMOVED',
          path: `aggregates.${name}.events.${ce.name}.apply`,
          domain: domain.name,
          message: `${name}.${ce.name} is no longer applied to the state (its \`apply\` was removed); every ${name} rebuilt from a stream that holds it now ends in another state than before`,
        });
      }
      if (b.snapshotState !== undefined && c.snapshotEvery !== undefined && b.snapshotState !== stateDigest(c.state, name)) {
        const explicit = cur.index.has(file, ['aggregates', name, 'state']);
        findings.push({
          ...cur.index.at(file, ['aggregates', name, explicit ? 'state' : 'snapshotEvery'], 'key'),
          rule: 'SNAPSHOT_STATE_CHANGED',
          path: `aggregates.${name}.state`,
          domain: domain.name,
          message: `the state of ${name} changed shape: its stored snapshots (another schema fingerprint) are ignored, never misread, so each ${name} replays its whole stream on load until its next snapshot`,
        });
      }
    }
  }
  return findings;
}
