// Everything up to a resolved model: load → validate → resolve, and the generate-time gates.
// `validate` and `check` stop here; kept apart from pipeline.ts so that they load none of the
// emitters and templates, which `check` on a large spec would pay for at every CI run.
import { Diagnostics, type Diagnostic } from './core/diagnostics.js';
import type { Model } from './core/model.js';
import { loadSpec, type LoadedSpec } from './load/index.js';
import { resolve } from './resolve/index.js';
import { checkModeAtGenerate } from './check/mode-gate.js';
import { checkReplayAtGenerate } from './check/replay-gate.js';
import type { ReplayRecord } from './check/replay-record.js';
import { validateSpec } from './validate/index.js';

export interface SpecInput {
  /** As shown in diagnostics. */
  readonly file: string;
  readonly text: Uint8Array | string;
}

export interface AnalyseResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly model?: Model;
  readonly specs: readonly LoadedSpec[];
}

export interface AnalyseOptions {
  /**
   * Refuse versions that break the domain's compatibility mode (ES3032, rule MODE_VIOLATION)
   * unless an `allowBreaking` entry covers them. Default true; `check` turns it off, since it
   * reports the same rule itself, against its baseline.
   */
  readonly modeGate?: boolean;
  /**
   * What the previous generation left (the output folder's manifest): with it, the replay-safety
   * rules run against it (ES3036, rules REPLAY_APPLY_REMOVED and SNAPSHOT_STATE_CHANGED).
   */
  readonly replay?: ReplayRecord;
}

/**
 * Every walk over user input is bounded (load and resolve limits); should one still run out of
 * stack, the user gets a coded diagnostic at the spec, never "Maximum call stack size exceeded".
 */
export function tooComplex(inputs: readonly SpecInput[], e: unknown): Diagnostic[] {
  if (!(e instanceof RangeError)) throw e;
  const diags = new Diagnostics();
  const file = inputs.map((i) => i.file).sort()[0] ?? '.';
  diags.error('ES4004', 'the spec is nested or chained too deeply for eventsmith to process; simplify it (and please report the spec: a limit should have caught it)', { file, line: 1, col: 1 });
  return diags.sorted();
}

/** Everything up to a resolved model; `validate` stops here. */
export function analyse(inputs: readonly SpecInput[], options: AnalyseOptions = {}): AnalyseResult {
  try {
    return analyseUnguarded(inputs, options);
  } catch (e) {
    return { diagnostics: tooComplex(inputs, e), specs: [] };
  }
}

function analyseUnguarded(inputs: readonly SpecInput[], options: AnalyseOptions): AnalyseResult {
  const diags = new Diagnostics();
  const specs: LoadedSpec[] = [];
  for (const input of inputs) {
    const spec = loadSpec(input.file, input.text, diags);
    if (spec) specs.push(spec);
  }
  const valid = specs.filter((spec) => validateSpec(spec, diags));
  // Resolution needs every file's shape to be right: cross-file references would
  // otherwise report errors that are only echoes of a shape error.
  if (diags.hasErrors || valid.length !== inputs.length) return { diagnostics: diags.sorted(), specs };
  const model = resolve(valid, diags);
  if (model && !diags.hasErrors && options.modeGate !== false) checkModeAtGenerate(model, valid, diags);
  if (model && !diags.hasErrors && options.replay !== undefined) checkReplayAtGenerate(model, valid, options.replay, diags);
  return { diagnostics: diags.sorted(), specs, ...(model && !diags.hasErrors ? { model } : {}) };
}
