// The compatibility gate of `generate` and `validate`: every event and command version against
// the earlier ones under the domain's declared mode, with the engine and rule of `check`
// (MODE_VIOLATION), so a breaking v2 is refused on the developer's machine, not first in CI.
// Without a baseline the whole history must hold: an `allowBreaking` MODE_VIOLATION entry on the
// version (or a top-level one with its path) is what lets a deliberate break through.
import type { Diagnostics } from '../core/diagnostics.js';
import type { Model } from '../core/model.js';
import type { LoadedSpec } from '../load/index.js';
import { specIndex } from './findings.js';
import { checkAllVersions } from './modes.js';

export function checkModeAtGenerate(model: Model, specs: readonly LoadedSpec[], diags: Diagnostics): void {
  const findings = checkAllVersions({ model, index: specIndex(specs) });
  if (findings.length === 0) return;
  const allowed = new Set(model.domains.flatMap((d) => (d.allowBreaking ?? []).filter((e) => e.rule === 'MODE_VIOLATION').map((e) => `${d.name}\0${e.path}`)));
  for (const f of findings) {
    if (allowed.has(`${f.domain}\0${f.path}`)) continue;
    const fix = `if the break is deliberate, give this version \`allowBreaking: [{ rule: MODE_VIOLATION, reason: … }]\``;
    diags.error('ES3032', `${f.message} (MODE_VIOLATION); ${fix}`, { file: f.file, line: f.line, col: f.col, path: f.path });
  }
}
