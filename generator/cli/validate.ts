// `eventsmith validate`: every problem of the specs with file:line:col, and the generate-time gates
// (compatibility mode, replay safety against the output folder's manifest); writes nothing.
import { Diagnostics } from '../core/diagnostics.js';
import { analyse } from '../analyse.js';
import { readPreviousReplay } from '../write/manifest.js';
import { openProject } from './project.js';
import { exitCodes, report, sourcesOf, type Format, type Io } from './io.js';

export async function runValidate(io: Io, specArgs: string[], opts: { config?: string; format: Format }): Promise<number> {
  const diags = new Diagnostics();
  const project = await openProject({ specs: specArgs, config: opts.config }, diags);
  if (!project) {
    report(io, diags.sorted(), opts.format);
    return exitCodes.invalid;
  }
  const previous = await readPreviousReplay(project.outDir);
  const result = analyse(project.specs, previous !== undefined ? { replay: previous } : {});
  report(io, result.diagnostics, opts.format, sourcesOf(result.specs));
  if (opts.format === 'text' && result.model) io.out(`${project.specs.length} spec file${project.specs.length === 1 ? '' : 's'} valid\n`);
  return result.model ? exitCodes.ok : exitCodes.invalid;
}
