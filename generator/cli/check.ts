// `eventsmith check --against <git ref | directory | spec file> [specs...]`: the CI gate.
// Exit 0: nothing breaking (allowed findings and warnings are fine); 1: something breaks;
// 2: the current specs, the baseline or its reference cannot be read or are invalid.
import { checkModels, renderCheck, renderCheckErrors, type CheckFormat } from '../check/index.js';
import { Diagnostics, type Diagnostic } from '../core/diagnostics.js';
import { analyse } from '../analyse.js';
import { loadBaseline } from './baseline.js';
import { packageVersion } from './package-root.js';
import { openProject } from './project.js';

export interface CheckCliOptions {
  readonly against: string;
  readonly config?: string;
  readonly format: CheckFormat;
}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

export async function runCheck(io: Io, specArgs: readonly string[], opts: CheckCliOptions): Promise<number> {
  const fail = (diagnostics: readonly Diagnostic[], headline: string): number => {
    const text = renderCheckErrors(diagnostics, opts.format, opts.against, headline, { toolVersion: packageVersion() });
    if (opts.format === 'text') io.err(text);
    else io.out(text);
    return 2;
  };
  const diags = new Diagnostics();
  const project = await openProject({ specs: specArgs, ...(opts.config !== undefined ? { config: opts.config } : {}) }, diags);
  if (!project) return fail(diags.sorted(), 'cannot read the current specs');
  const current = analyse(project.specs, { modeGate: false });
  if (!current.model) return fail(current.diagnostics, 'the current specs are invalid; `eventsmith validate` shows the same problems');

  const baselineDiags = new Diagnostics();
  const baseline = await loadBaseline({ against: opts.against, specs: specArgs, ...(opts.config !== undefined ? { config: opts.config } : {}) }, baselineDiags);
  if (!baseline) return fail(baselineDiags.sorted(), `cannot read the baseline '${opts.against}'`);
  const base = analyse(baseline.specs, { modeGate: false });
  if (!base.model) {
    return fail(base.diagnostics, `the baseline at '${opts.against}' is not a valid spec, so there is nothing reliable to compare with; check against another revision`);
  }
  if (baseline.specs.length === 0 && opts.format === 'text') {
    io.err(`eventsmith check: no spec files at '${opts.against}'; every event version counts as new\n`);
  }

  const report = checkModels({ model: base.model, specs: base.specs }, { model: current.model, specs: current.specs }, { baselineFile: baseline.shownAs });
  const code = report.breaking > 0 ? 1 : 0;
  const text = renderCheck(report, opts.format, opts.against, { toolVersion: packageVersion() });
  if (opts.format === 'text' && code !== 0) io.err(text);
  else io.out(text);
  return code;
}
