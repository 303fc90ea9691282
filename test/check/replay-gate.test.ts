// generate and validate run check's replay-safety rules (ES3036, rule ids REPLAY_APPLY_REMOVED and
// SNAPSHOT_STATE_CHANGED) against the record the previous generation left in the output folder's
// manifest: for each rule a breaking edit and a safe one through `generate`; a top-level
// allowBreaking entry lets a deliberate change through; the record moves only when generate succeeds.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../generator/core/diagnostics.js';
import { parseReplayRecord, replayRecordOf } from '../../generator/check/replay-record.js';
import { analyse } from '../../generator/pipeline.js';
import { runCli } from '../cli/run-cli.js';
import { edit } from './helpers.js';

// Lines: 7 state, 8 reserved, 10 Reserved, 13 its apply, 14 Released.
const base = `domain: com.example.w
source: urn:example:w
aggregates:
  Warehouse:
    id: string
    snapshotEvery: 10
    state:
      reserved: { type: int, default: 0 }
    events:
      Reserved:
        versions:
          - fields: { sku: string, quantity: int }
        apply: { reserved: { increment: $.quantity } }
      Released:
        versions:
          - fields: { sku: string }
`;
const applyRemoved = edit(base, ['        apply: { reserved: { increment: $.quantity } }\n', '']);
const applyChanged = edit(base, ['{ increment: $.quantity }', '{ increment: 1 }']);
const stateChanged = edit(base, ['reserved: { type: int, default: 0 }', 'reserved: { type: long, default: 0 }']);
const stateDocOnly = edit(base, ['reserved: { type: int, default: 0 }', 'reserved: { type: int, default: 0, doc: Units on hold. }']);
const allow = (rule: string, p: string): string => `allowBreaking:\n  - { rule: ${rule}, path: ${p}, reason: Reserved never counted towards the state. }\n`;

const model = (text: string) => {
  const r = analyse([{ file: 'w.yaml', text }]);
  if (!r.model) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.model;
};
const gated = (before: string, after: string): string[] => analyse([{ file: 'w.yaml', text: after }], { replay: replayRecordOf(model(before)) }).diagnostics.map(formatDiagnostic);

describe('the replay-safety gate of generate and validate', () => {
  it('REPLAY_APPLY_REMOVED: removing an apply is refused at the event; changing it is not', () => {
    expect(gated(base, applyRemoved)).toEqual([
      'w.yaml:10:7 - error ES3036: Warehouse.Reserved is no longer applied to the state (its `apply` was removed); every Warehouse rebuilt from a stream that holds it now ends in another state than before (REPLAY_APPLY_REMOVED); if the change is deliberate, add a top-level `allowBreaking: [{ rule: REPLAY_APPLY_REMOVED, path: aggregates.Warehouse.events.Reserved.apply, reason: … }]`',
    ]);
    expect(gated(base, applyChanged)).toEqual([]);
    // An event that was never applied may stay unapplied.
    expect(gated(applyRemoved, applyRemoved)).toEqual([]);
  });

  it('SNAPSHOT_STATE_CHANGED: a state that changed shape is a warning at the state; a doc or no snapshots is nothing', () => {
    expect(gated(base, stateChanged)).toEqual([
      'w.yaml:7:5 - warning ES3036: the state of Warehouse changed shape: its stored snapshots (another schema fingerprint) are ignored, never misread, so each Warehouse replays its whole stream on load until its next snapshot (SNAPSHOT_STATE_CHANGED)',
    ]);
    expect(gated(base, stateDocOnly)).toEqual([]);
    expect(gated(base, edit(stateChanged, ['    snapshotEvery: 10\n', '']))).toEqual([]);
  });

  it('a top-level allowBreaking entry with the rule and path lets the change through; another path does not', () => {
    expect(gated(base, applyRemoved + allow('REPLAY_APPLY_REMOVED', 'aggregates.Warehouse.events.Reserved.apply'))).toEqual([]);
    expect(gated(base, applyRemoved + allow('REPLAY_APPLY_REMOVED', 'aggregates.Warehouse.events.Released.apply'))).toEqual([expect.stringContaining('w.yaml:10:7 - error ES3036:')]);
  });

  it('a manifest without a usable record (an older eventsmith, a hand edit) judges nothing', () => {
    expect(parseReplayRecord(undefined)).toBeUndefined();
    expect(parseReplayRecord({ aggregates: { Warehouse: { domain: 'd', applied: 'Reserved' } } })).toBeUndefined();
    const record = replayRecordOf(model(base));
    expect(parseReplayRecord(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  describe('through the CLI, against the manifest of the previous generate', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'eventsmith-replay-gate-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    let n = 0;
    /** A project generated once from `first`. */
    const project = (first: string): { dir: string; write: (text: string) => void; manifest: () => string } => {
      const dir = path.join(root, `p${++n}`);
      mkdirSync(path.join(dir, 'events'), { recursive: true });
      const write = (text: string): void => writeFileSync(path.join(dir, 'events', 'w.yaml'), text);
      write(first);
      expect(runCli(['generate'], dir).code).toBe(0);
      return { dir, write, manifest: () => readFileSync(path.join(dir, 'src', 'generated', '.eventsmith-manifest.json'), 'utf8') };
    };

    it('REPLAY_APPLY_REMOVED: generate and validate refuse, write nothing; the safe edit, then an allowBreaking entry, pass', () => {
      const p = project(base);
      const before = p.manifest();
      expect(JSON.parse(before).replay.aggregates.Warehouse.applied).toEqual(['Reserved']);
      p.write(applyRemoved);
      const generated = runCli(['generate'], p.dir);
      expect(generated.code).toBe(2);
      expect(generated.stderr).toMatch(/^events\/w\.yaml:10:7 - error ES3036: Warehouse\.Reserved is no longer applied .*\(REPLAY_APPLY_REMOVED\)/);
      expect(p.manifest()).toBe(before);
      const validated = runCli(['validate'], p.dir);
      expect(validated.code).toBe(2);
      expect(validated.stderr).toBe(generated.stderr);
      p.write(applyChanged);
      expect(runCli(['generate'], p.dir).code).toBe(0);
      p.write(applyRemoved + allow('REPLAY_APPLY_REMOVED', 'aggregates.Warehouse.events.Reserved.apply'));
      expect(runCli(['generate'], p.dir)).toMatchObject({ code: 0, stderr: '' });
      // The history moved on: the event is no longer applied, so nothing is left to protect.
      p.write(applyRemoved);
      expect(runCli(['generate'], p.dir)).toMatchObject({ code: 0, stderr: '' });
    });

    it('SNAPSHOT_STATE_CHANGED: generate warns once and succeeds; a doc on the state passes silently', () => {
      const p = project(base);
      p.write(stateDocOnly);
      expect(runCli(['generate'], p.dir)).toMatchObject({ code: 0, stderr: '' });
      p.write(stateChanged);
      const validated = runCli(['validate'], p.dir);
      expect(validated.code).toBe(0);
      expect(validated.stderr).toMatch(/^events\/w\.yaml:7:5 - warning ES3036: the state of Warehouse changed shape: .*\(SNAPSHOT_STATE_CHANGED\)\n$/);
      const generated = runCli(['generate'], p.dir);
      expect(generated.code).toBe(0);
      expect(generated.stderr).toBe(validated.stderr);
      expect(runCli(['generate'], p.dir)).toMatchObject({ code: 0, stderr: '' });
    });

    it('with no previous generation there is no history: the first generate judges nothing', () => {
      const p = project(applyRemoved);
      expect(JSON.parse(p.manifest()).replay.aggregates.Warehouse.applied).toEqual([]);
    });
  });
});
