// The replay-safety gate of `generate` and `validate`: the rules of replay.ts, under the same
// ids, against the record the previous generation left in the output folder's manifest (the
// events its reducers applied, the state its snapshots were written in), so removing an `apply`
// is refused on the developer's machine, not first in CI. A top-level `allowBreaking` entry with
// the finding's rule and path lets a deliberate change through; warnings are shown and pass.
// The rules that need no history hold by construction: resolve refuses a version that cannot be
// upcast to the latest (ES3014, ES3012), and an event without `apply` is one the reducer ignores.
import type { Diagnostics } from '../core/diagnostics.js';
import type { Model } from '../core/model.js';
import type { LoadedSpec } from '../load/index.js';
import { specIndex } from './findings.js';
import { compareReplay } from './replay.js';
import type { ReplayRecord } from './replay-record.js';
import { checkRules } from './rules.js';

export function checkReplayAtGenerate(model: Model, specs: readonly LoadedSpec[], previous: ReplayRecord, diags: Diagnostics): void {
  const findings = compareReplay(previous, { model, index: specIndex(specs) });
  if (findings.length === 0) return;
  const allowed = new Set(model.domains.flatMap((d) => (d.allowBreaking ?? []).map((e) => `${d.name}\0${e.rule}\0${e.path}`)));
  for (const f of findings) {
    const at = { file: f.file, line: f.line, col: f.col, path: f.path };
    if (checkRules[f.rule].severity === 'warning') {
      diags.warning('ES3036', `${f.message} (${f.rule})`, at);
    } else if (!allowed.has(`${f.domain}\0${f.rule}\0${f.path}`)) {
      const fix = `if the change is deliberate, add a top-level \`allowBreaking: [{ rule: ${f.rule}, path: ${f.path}, reason: … }]\``;
      diags.error('ES3036', `${f.message} (${f.rule}); ${fix}`, at);
    }
  }
}
