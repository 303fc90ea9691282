// Replay safety: what the event store already holds must rebuild the same kind of state after
// the change. An aggregate's stream is replayed through its reducer on every load (from the
// latest snapshot, when it has `snapshotEvery`): an event that stops being applied silently
// changes every state rebuilt from now on, and a changed state shape makes old snapshots
// unusable (the repository ignores them by fingerprint, so they are never misread, but every
// aggregate replays its whole stream until its next snapshot).
import { aggregatesOf } from './commands.js';
import { avroOf, sameSchema } from './published.js';
import type { RawFinding, Side } from './findings.js';

export function compareReplay(base: Side, cur: Side): RawFinding[] {
  const findings: RawFinding[] = [];
  const curAggs = aggregatesOf(cur);
  for (const [name, b] of aggregatesOf(base)) {
    const c = curAggs.get(name);
    if (c === undefined) continue;
    const file = c.domain.file;
    for (const be of b.aggregate.events) {
      const ce = c.aggregate.events.find((e) => e.name === be.name);
      if (ce === undefined || be.apply.kind === 'none' || ce.apply.kind !== 'none') continue;
      const path = `aggregates.${name}.events.${ce.name}.apply`;
      findings.push({
        ...cur.index.at(file, ['aggregates', name, 'events', ce.name], 'key'),
        rule: 'REPLAY_APPLY_REMOVED',
        path,
        domain: c.domain.name,
        message: `${name}.${ce.name} is no longer applied to the state (its \`apply\` was removed); every ${name} rebuilt from a stream that holds it now ends in another state than before`,
      });
    }
    if (b.aggregate.snapshotEvery !== undefined && c.aggregate.snapshotEvery !== undefined && !sameSchema(avroOf(b.aggregate.state, `${name}State`), avroOf(c.aggregate.state, `${name}State`), false)) {
      const explicit = cur.index.has(file, ['aggregates', name, 'state']);
      findings.push({
        ...cur.index.at(file, ['aggregates', name, explicit ? 'state' : 'snapshotEvery'], 'key'),
        rule: 'SNAPSHOT_STATE_CHANGED',
        path: `aggregates.${name}.state`,
        domain: c.domain.name,
        message: `the state of ${name} changed shape: its stored snapshots (another schema fingerprint) are ignored, never misread, so each ${name} replays its whole stream on load until its next snapshot`,
      });
    }
  }
  return findings;
}
