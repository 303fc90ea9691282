// `eventsmith generate [--check]`: the pipeline's files written to the output folder (or compared
// with it), the user-owned stubs to the custom folder, and the manifest with its replay record.
import { Diagnostics, noPosition } from '../core/diagnostics.js';
import { generate } from '../pipeline.js';
import { replayRecordOf } from '../check/replay-record.js';
import { rebuildNotices } from './projection-notices.js';
import { WriteRefusedError } from '../write/all-or-nothing.js';
import { OutputPathError, checkOutput, writeOutput } from '../write/index.js';
import { readPreviousReplay } from '../write/manifest.js';
import { oldLayoutDiagnostics, planUserFiles, prepareUserFiles, userFileDiff } from '../write/user-files.js';
import { displayPath, openProject } from './project.js';
import { exitCodes, report, sourcesOf, type Format, type Io } from './io.js';

/** A --check finding, its path as shown (output or custom folder); `added`: the stubs generate would add to a user-owned file. */
interface ShownProblem {
  readonly kind: 'stale' | 'missing' | 'extra';
  readonly path: string;
  readonly diff?: string;
  readonly added?: readonly string[];
}

export interface GenerateOpts {
  out?: string;
  customDir?: string;
  config?: string;
  templates?: string;
  check?: boolean;
  format: Format;
}

export async function runGenerate(io: Io, specArgs: string[], opts: GenerateOpts): Promise<number> {
  const diags = new Diagnostics();
  const project = await openProject({ specs: specArgs, out: opts.out, customDir: opts.customDir, config: opts.config, templates: opts.templates }, diags);
  if (!project) {
    report(io, diags.sorted(), opts.format);
    return exitCodes.invalid;
  }
  const previous = await readPreviousReplay(project.outDir);
  const result = generate(
    project.specs,
    await project.templates(),
    {
      runtimeModule: project.runtimeModule,
      specNames: project.specNames,
      customDir: project.customLink,
      ...(project.registry !== undefined ? { registry: project.registry } : {}),
    },
    previous !== undefined ? { replay: previous } : {},
  );
  const sources = sourcesOf(result.specs);
  if (!result.files) {
    report(io, result.diagnostics, opts.format, sources);
    return exitCodes.invalid;
  }
  // Warnings (a snapshotted state that changed shape) are shown and do not stop the run.
  const specWarnings = result.diagnostics.filter((d) => d.severity === 'warning');
  if (opts.format === 'text') report(io, specWarnings, opts.format, sources);
  const outShown = displayPath(project.outDir) || '.';
  const customShown = displayPath(project.customDir) || '.';
  const generated = result.files.filter((f) => !f.userOwned);
  const owned = result.files.filter((f) => f.userOwned);
  const userCtx = { customDir: project.customDir, outDir: project.outDir, shown: (p: string) => displayPath(p) };
  const oldLayout = await oldLayoutDiagnostics(userCtx);
  if (oldLayout.length) {
    report(io, oldLayout, opts.format);
    return exitCodes.invalid;
  }
  const writeError = (e: unknown, folder = outShown): number => {
    if (!(e instanceof Error)) throw e;
    const code = e instanceof WriteRefusedError ? e.code : e instanceof OutputPathError ? 'ES4001' : 'code' in e ? 'ES4003' : undefined;
    if (code === undefined) throw e;
    const d = new Diagnostics();
    d.error(code, e.message, noPosition(folder));
    report(io, d.sorted(), opts.format);
    return exitCodes.invalid;
  };
  let userPlan;
  try {
    userPlan = await planUserFiles(userCtx, owned);
  } catch (e) {
    return writeError(e, customShown);
  }
  // Warnings (a hook whose signature drifted) are shown and do not stop the run; an error (a file
  // that needs a stub and does not parse) stops it before anything is written.
  if (userPlan.diagnostics.some((d) => d.severity === 'error')) {
    report(io, userPlan.diagnostics, opts.format);
    return exitCodes.invalid;
  }
  if (opts.format === 'text') report(io, userPlan.diagnostics, opts.format);
  const userDiagnostics = opts.format === 'json' ? { diagnostics: [...specWarnings, ...userPlan.diagnostics] } : {};
  if (opts.check) {
    const problems: ShownProblem[] = [
      ...(await checkOutput(project.outDir, generated)).map((p) => ({ ...p, path: `${outShown}/${p.path}` })),
      ...userPlan.files
        .filter((p) => p.action !== 'keep')
        .map((p) =>
          p.action === 'create'
            ? { kind: 'missing' as const, path: `${customShown}/${p.path}` }
            : { kind: 'stale' as const, path: `${customShown}/${p.path}`, diff: userFileDiff(p), added: p.added },
        ),
    ];
    if (opts.format === 'json') {
      io.out(`${JSON.stringify({ upToDate: problems.length === 0, outDir: outShown, customDir: customShown, problems, ...userDiagnostics }, null, 2)}\n`);
    } else if (problems.length === 0) {
      io.out(`${outShown}: ${result.files.length} generated files are up to date\n`);
    } else {
      for (const p of problems) {
        const what =
          p.kind === 'missing'
            ? 'missing'
            : p.kind === 'extra'
              ? 'extra (generated before, no longer generated: generate removes it)'
              : p.added
                ? `stale (generate would add a stub for ${p.added.join(', ')})`
                : 'stale (differs from what generate would write)';
        io.err(`${p.path}: ${what}\n`);
        if (p.diff) io.err(`${p.diff}\n`);
      }
      io.err(`${problems.length} file${problems.length === 1 ? '' : 's'} out of date; run \`npx eventsmith generate\`\n`);
    }
    return problems.length === 0 ? exitCodes.ok : exitCodes.failed;
  }
  let writeUserFiles: () => Promise<void>;
  try {
    writeUserFiles = await prepareUserFiles(project.customDir, userPlan.files);
  } catch (e) {
    return writeError(e, customShown);
  }
  try {
    const notices = result.model ? await rebuildNotices(project.outDir, result.model, (f) => f) : [];
    const written = await writeOutput(project.outDir, generated, result.model ? replayRecordOf(result.model) : undefined);
    await writeUserFiles();
    const created = userPlan.files.filter((p) => p.action === 'create').map((p) => p.path);
    const updated = userPlan.files.filter((p) => p.action === 'update');
    const kept = userPlan.files.filter((p) => p.action === 'keep').map((p) => p.path);
    if (opts.format === 'json') {
      const userFiles = { created, updated: updated.map((p) => ({ path: p.path, added: p.added })), unchanged: kept };
      io.out(`${JSON.stringify({ outDir: outShown, ...written, customDir: customShown, userFiles, ...userDiagnostics, ...(notices.length > 0 ? { rebuildRequired: notices } : {}) }, null, 2)}\n`);
    } else {
      for (const n of notices) io.err(`${n.file}:${n.line}:${n.col}: warning: ${n.message} (PROJECTION_REBUILD_REQUIRED)\n`);
      io.out(`${outShown}: ${written.written.length} written, ${written.unchanged.length} unchanged, ${written.removed.length} removed\n`);
      if (userPlan.files.length) {
        io.out(`${customShown}: ${created.length} created, ${updated.length} updated, ${kept.length} unchanged (your code: generate only adds missing stubs)\n`);
      }
      for (const p of updated) {
        io.out(`${customShown}/${p.path}: added ${p.added.join(', ')}: a stub that does not compile until you implement it\n`);
      }
    }
    return exitCodes.ok;
  } catch (e) {
    return writeError(e);
  }
}
