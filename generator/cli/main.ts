// The CLI: argument parsing, disk I/O and exit codes. Exit codes are part of the contract:
// 0 ok, 1 `generate --check`/`compat`/`check` found a problem, 2 invalid input or usage,
// 3 internal error.
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Diagnostics, noPosition, type Diagnostic } from '../core/diagnostics.js';
import { checkFormats } from '../check/index.js';
import { runCompat } from '../compat/index.js';
import { runCheck, type CheckCliOptions } from './check.js';
import { analyse, generate } from '../pipeline.js';
import { rebuildNotices } from './projection-notices.js';
import { WriteRefusedError } from '../write/all-or-nothing.js';
import { OutputPathError, checkOutput, readPreviousReplay, writeOutput } from '../write/index.js';
import { replayRecordOf } from '../check/replay-record.js';
import { oldLayoutDiagnostics, planUserFiles, prepareUserFiles, userFileDiff } from '../write/user-files.js';
import { runDev } from './dev.js';
import { runRegistryCheck, runRegistryPull, runRegistryPush } from './registry.js';
import { defaultConfigFile, displayPath, openProject } from './project.js';
import { packageVersion } from './package-root.js';
import { renderDiagnostics } from './report.js';
import { starterConfig, starterSpec } from './starter.js';

export const exitCodes = { ok: 0, failed: 1, invalid: 2, internal: 3 } as const;

interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

type Format = 'text' | 'json';

function report(io: Io, diagnostics: readonly Diagnostic[], format: Format, sources: ReadonlyMap<string, string> = new Map()): void {
  const text = renderDiagnostics(diagnostics, { format, frames: io.isTTY && format === 'text', sources });
  if (format === 'json') io.out(text);
  else if (text) io.err(text);
}

function sourcesOf(specs: readonly { file: string; source: string }[]): Map<string, string> {
  return new Map(specs.map((s) => [s.file, s.source]));
}

/** A --check finding, its path as shown (output or custom folder); `added`: the stubs generate would add to a user-owned file. */
interface ShownProblem {
  readonly kind: 'stale' | 'missing' | 'extra';
  readonly path: string;
  readonly diff?: string;
  readonly added?: readonly string[];
}

interface GenerateOpts {
  out?: string;
  customDir?: string;
  config?: string;
  templates?: string;
  check?: boolean;
  format: Format;
}

async function runGenerate(io: Io, specArgs: string[], opts: GenerateOpts): Promise<number> {
  const diags = new Diagnostics();
  const project = await openProject({ specs: specArgs, out: opts.out, customDir: opts.customDir, config: opts.config, templates: opts.templates }, diags);
  if (!project) {
    report(io, diags.sorted(), opts.format);
    return exitCodes.invalid;
  }
  const previous = await readPreviousReplay(project.outDir);
  const result = generate(
    project.specs,
    project.templates,
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

async function runValidate(io: Io, specArgs: string[], opts: { config?: string; format: Format }): Promise<number> {
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

async function runInit(io: Io, opts: { force?: boolean }): Promise<number> {
  const targets = [
    { file: path.resolve(defaultConfigFile), content: starterConfig },
    { file: path.resolve('events', 'shop.yaml'), content: starterSpec },
  ];
  const clash = targets.filter((t) => existsSync(t.file));
  if (clash.length && !opts.force) {
    io.err(`eventsmith init: ${clash.map((t) => displayPath(t.file)).join(', ')} already exist${clash.length === 1 ? 's' : ''}; nothing written (use --force to overwrite)\n`);
    return exitCodes.invalid;
  }
  for (const t of targets) {
    await mkdir(path.dirname(t.file), { recursive: true });
    await writeFile(t.file, t.content);
    io.out(`wrote ${displayPath(t.file)}\n`);
  }
  io.out('next: npx eventsmith generate\n');
  return exitCodes.ok;
}

export function buildProgram(io: Io, setExit: (code: number) => void, argv: readonly string[] = []): Command {
  const program = new Command('eventsmith')
    .description('Typed CloudEvents, Avro, event store, outbox and Kafka code from a YAML spec of your domain.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const format = () => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

  program
    .command('generate')
    .description('generate code from spec files (default: eventsmith.config.yaml, else events/**/*.yaml)')
    .argument('[specs...]', 'spec files or globs')
    .option('-o, --out <dir>', 'output folder (default: src/generated)')
    .option('--custom-dir <dir>', 'folder of your own code (custom hooks), outside the output folder (default: eventsmith beside the output folder)')
    .option('-c, --config <file>', 'configuration file (default: eventsmith.config.yaml if present)')
    .option('--templates <dir>', 'folder of templates overriding the built-in ones')
    .option('--check', 'write nothing; exit 1 if the output folder is stale, with a diff of each file')
    .addOption(format())
    .action(async (specs: string[], opts: GenerateOpts) => setExit(await runGenerate(io, specs, opts)));

  program
    .command('validate')
    .description('check spec files and report every problem with file:line:col')
    .argument('[specs...]', 'spec files or globs')
    .option('-c, --config <file>', 'configuration file')
    .addOption(format())
    .action(async (specs: string[], opts: { config?: string; format: Format }) => setExit(await runValidate(io, specs, opts)));

  program
    .command('init')
    .description('write a starter eventsmith.config.yaml and events/shop.yaml')
    .option('--force', 'overwrite existing files')
    .action(async (opts: { force?: boolean }) => setExit(await runInit(io, opts)));

  program
    .command('compat')
    .description('check raw Avro schemas: can NEW be registered after PREVIOUS (oldest first) under MODE')
    .requiredOption('--new <file>', 'the new schema (.avsc)')
    .addOption(new Option('--mode <mode>', 'compatibility mode').choices(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .argument('<previous...>', 'earlier schemas, oldest first')
    .action(async (previous: string[], opts: { new: string; mode: Parameters<typeof runCompat>[0]['mode']; format: 'text' | 'json' | 'github' }) => {
      const result = await runCompat({ mode: opts.mode, newFile: opts.new, previousFiles: previous, format: opts.format, readFile: (f: string) => readFile(f, 'utf8') });
      if (result.exitCode === 0 || opts.format !== 'text') io.out(result.output);
      else io.err(result.output);
      setExit(result.exitCode);
    });

  program
    .command('check')
    .description('fail on breaking changes against a baseline: a git revision, a directory (project root) or a spec file')
    .requiredOption('--against <ref>', 'the baseline: git revision (e.g. origin/main), directory or spec file')
    .argument('[specs...]', 'spec files or globs (default: as for generate)')
    .option('-c, --config <file>', 'configuration file (read at the baseline too)')
    .addOption(new Option('--format <format>', 'output format (sarif: GitHub code scanning; gitlab: code quality report; junit: test report XML)').choices([...checkFormats]).default('text'))
    .action(async (specs: string[], opts: CheckCliOptions) => setExit(await runCheck(io, specs, opts)));

  const registry = program
    .command('registry')
    .description('the specs\' event and command schemas in a Confluent-compatible schema registry (registry: in eventsmith.config.yaml)');
  const registryOptions = (cmd: Command): Command =>
    cmd
      .argument('[specs...]', 'spec files or globs (default: as for generate)')
      .option('-c, --config <file>', 'configuration file (default: eventsmith.config.yaml if present)')
      .option('--url <url>', 'registry URL (default: SCHEMA_REGISTRY_URL, else registry.url of the configuration)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'));
  registryOptions(
    registry
      .command('push')
      .description('register every event and command version, oldest first, setting each subject\'s compatibility from the spec; a second run registers nothing. Exit 1 if the registry refuses a version, 2 if it cannot be used'),
  ).action(async (specs: string[], opts: Parameters<typeof runRegistryPush>[2]) => setExit(await runRegistryPush(io, specs, opts)));
  registryOptions(
    registry
      .command('check')
      .description('test every version the registry does not hold against what its subject holds (the Confluent Maven plugin\'s test-compatibility). Exit 0 compatible, 1 refused, 2 cannot check'),
  ).action(async (specs: string[], opts: Parameters<typeof runRegistryCheck>[2]) => setExit(await runRegistryCheck(io, specs, opts)));
  registryOptions(
    registry
      .command('pull')
      .description('write every version the project\'s subjects hold as <out>/<subject>/v<n>.avsc, for review or as `eventsmith compat` baselines')
      .option('-o, --out <dir>', 'output folder', 'registry-schemas'),
  ).action(async (specs: string[], opts: Parameters<typeof runRegistryPull>[2]) => setExit(await runRegistryPull(io, specs, opts)));

  program
    .command('dev')
    .description(
      'start throwaway PostgreSQL and Kafka from local binaries (java, mvn, PostgreSQL server): print DATABASE_URL and KAFKA_BROKERS ' +
        'and run until Ctrl-C, or run COMMAND with both set (after --) and exit with its status; variables already set are used as they are',
    )
    .argument('[command...]', 'after --: the command to run with DATABASE_URL and KAFKA_BROKERS set')
    .action(async (command: string[]) => {
      if (command.length > 0 && !argv.includes('--')) {
        io.err(`eventsmith dev: put the command after --, as in: eventsmith dev -- ${command.join(' ')}\n`);
        setExit(exitCodes.invalid);
        return;
      }
      setExit(await runDev(io, command));
    });
  return program;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv,
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return e.exitCode === 0 ? exitCodes.ok : exitCodes.invalid;
    }
    // Engine messages ("Maximum call stack size exceeded") mean nothing to a user; say what happened.
    const what = e instanceof RangeError ? 'the input is nested or chained too deeply to process' : e instanceof Error ? e.message : String(e);
    io.err(`eventsmith: internal error: ${what}\nThis is a bug in eventsmith, not in your spec; please report it with the command you ran.\n`);
    if (process.env.EVENTSMITH_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return exitCodes.internal;
  }
}
