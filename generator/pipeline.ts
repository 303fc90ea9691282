// load → validate → resolve → emit, as one pure function of the spec texts. The CLI reads
// the files and writes the result; a library user or a watch mode can call this many times
// in one process, so nothing here keeps state between calls.
import { Diagnostics, noPosition } from './core/diagnostics.js';
import type { GeneratedFile } from './core/generated-file.js';
import { TemplateError, type TemplateSet } from './core/templates.js';
import { defaultEmitOptions, type EmitOptions } from './emit/context.js';
import { emitters } from './emit/index.js';
import { analyse, tooComplex, type AnalyseOptions, type AnalyseResult, type SpecInput } from './analyse.js';

export { analyse, type AnalyseOptions, type AnalyseResult, type SpecInput } from './analyse.js';

export interface GenerateResult extends AnalyseResult {
  /** Present only when there are no errors: a run with errors writes nothing. */
  readonly files?: readonly GeneratedFile[];
}

export function generate(inputs: readonly SpecInput[], templates: TemplateSet, options: EmitOptions = defaultEmitOptions, analyseOptions: AnalyseOptions = {}): GenerateResult {
  try {
    return generateUnguarded(inputs, templates, options, analyseOptions);
  } catch (e) {
    return { diagnostics: tooComplex(inputs, e), specs: [] };
  }
}

function generateUnguarded(inputs: readonly SpecInput[], templates: TemplateSet, options: EmitOptions, analyseOptions: AnalyseOptions): GenerateResult {
  const analysed = analyse(inputs, analyseOptions);
  if (!analysed.model) return analysed;
  const ctx = { model: analysed.model, templates, options };
  const files: GeneratedFile[] = [];
  const diags = new Diagnostics();
  for (const { kind, emit } of emitters) {
    try {
      files.push(...emit(ctx));
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      diags.error('ES4002', `${kind}: ${e.message}`, noPosition(e.template));
    }
  }
  if (diags.hasErrors) return { ...analysed, diagnostics: [...analysed.diagnostics, ...diags.sorted()] };
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...analysed, files };
}
