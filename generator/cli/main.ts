// The CLI: argument parsing and exit codes (cli/io.ts). Each command's module is imported only
// when that command runs: `check` in CI pays for loading, validating and resolving two specs,
// not for the emitters, templates, writer and dev servers it never uses.
import { Command, CommanderError, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { checkFormats } from '../check/formats.js';
import type { CompatMode } from '../compat/index.js';
import type { CheckCliOptions } from './check.js';
import type { GenerateOpts } from './generate.js';
import { exitCodes, processIo, type Format, type Io } from './io.js';
import type { RegistryCliOptions, RegistryPullOptions } from './registry.js';
import { packageVersion } from './package-root.js';

export { exitCodes } from './io.js';

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
    .action(async (specs: string[], opts: GenerateOpts) => setExit(await (await import('./generate.js')).runGenerate(io, specs, opts)));

  program
    .command('validate')
    .description('check spec files and report every problem with file:line:col')
    .argument('[specs...]', 'spec files or globs')
    .option('-c, --config <file>', 'configuration file')
    .addOption(format())
    .action(async (specs: string[], opts: { config?: string; format: Format }) => setExit(await (await import('./validate.js')).runValidate(io, specs, opts)));

  program
    .command('init')
    .description('write a starter eventsmith.config.yaml and events/shop.yaml')
    .option('--force', 'overwrite existing files')
    .action(async (opts: { force?: boolean }) => setExit(await (await import('./init.js')).runInit(io, opts)));

  program
    .command('compat')
    .description('check raw Avro schemas: can NEW be registered after PREVIOUS (oldest first) under MODE')
    .requiredOption('--new <file>', 'the new schema (.avsc)')
    .addOption(new Option('--mode <mode>', 'compatibility mode').choices(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .argument('<previous...>', 'earlier schemas, oldest first')
    .action(async (previous: string[], opts: { new: string; mode: CompatMode; format: 'text' | 'json' | 'github' }) => {
      const { runCompat } = await import('../compat/index.js');
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
    .action(async (specs: string[], opts: CheckCliOptions) => setExit(await (await import('./check.js')).runCheck(io, specs, opts)));

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
  ).action(async (specs: string[], opts: RegistryCliOptions) => setExit(await (await import('./registry.js')).runRegistryPush(io, specs, opts)));
  registryOptions(
    registry
      .command('check')
      .description('test every version the registry does not hold against what its subject holds (the Confluent Maven plugin\'s test-compatibility). Exit 0 compatible, 1 refused, 2 cannot check'),
  ).action(async (specs: string[], opts: RegistryCliOptions) => setExit(await (await import('./registry.js')).runRegistryCheck(io, specs, opts)));
  registryOptions(
    registry
      .command('pull')
      .description('write every version the project\'s subjects hold as <out>/<subject>/v<n>.avsc, for review or as `eventsmith compat` baselines')
      .option('-o, --out <dir>', 'output folder', 'registry-schemas'),
  ).action(async (specs: string[], opts: RegistryPullOptions) => setExit(await (await import('./registry.js')).runRegistryPull(io, specs, opts)));

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
      setExit(await (await import('./dev.js')).runDev(io, command));
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
