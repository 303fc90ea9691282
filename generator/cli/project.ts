// Turns command-line arguments and eventsmith.config.yaml into the inputs of the pipeline:
// spec texts, the output folder, templates. All disk reads of a run happen here.
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readBounded } from './read-bounded.js';
import { Diagnostics, noPosition } from '../core/diagnostics.js';
import { ioReason } from './io-reason.js';
import type { TemplateSet } from '../core/templates.js';
import { loadPrecompiled, requireLazily } from '../core/precompiled.js';
import { configValidatorOptions } from '../validate/options.js';
import { loadSpec } from '../load/index.js';
import type { SpecInput } from '../analyse.js';
import type { CustomDirLink } from '../emit/context.js';
import { glob } from './glob.js';
import { packageRoot } from './package-root.js';

export const defaultConfigFile = 'eventsmith.config.yaml';
export const defaultSpecGlob = 'events/**/*.yaml';
export const defaultOut = 'src/generated';
/** The custom folder's default: a folder of this name beside the output folder (`src/eventsmith` beside `src/generated`). */
export const defaultCustomDirName = 'eventsmith';

export interface ProjectOptions {
  readonly specs: readonly string[];
  readonly out?: string;
  readonly customDir?: string;
  readonly config?: string;
  readonly templates?: string;
}

export interface Project {
  readonly specs: readonly SpecInput[];
  readonly outDir: string;
  /** The user-owned files' folder (absolute), outside `outDir`. */
  readonly customDir: string;
  /** The two folders relative to each other, for the imports between generated and user-owned files. */
  readonly customLink: CustomDirLink;
  /** Loaded on demand: only generate renders templates, and Handlebars is not free to load. */
  readonly templates: () => Promise<TemplateSet>;
  readonly runtimeModule: string;
  /** Spec paths relative to the output folder, for banners that do not depend on the working directory. */
  readonly specNames: ReadonlyMap<string, string>;
  /** The configuration's `registry:` section, if any. */
  readonly registry?: RegistryConfig;
  /** The configuration file, if one was read. */
  readonly configFile?: string;
}

/** Path for diagnostics: relative to the working directory, forward slashes. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return (rel.startsWith('..') || path.isAbsolute(rel) ? p : rel).split(path.sep).join('/');
}

export interface Config {
  version: 1;
  specs?: string[];
  out?: string;
  customDir?: string;
  templates?: string;
  runtimeModule?: string;
  registry?: RegistryConfig;
}

type Strategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

/** `registry:` of eventsmith.config.yaml (schemas/eventsmith.config.schema.json). */
export interface RegistryConfig {
  url?: string;
  auth?: { usernameEnv: string; passwordEnv: string } | { tokenEnv: string };
  subjectNameStrategy?: Strategy;
  domains?: Record<string, { subjectNameStrategy?: Strategy }>;
  topics?: Record<string, { subjectNameStrategy?: Strategy }>;
  timeoutMs?: number;
}

async function readConfig(file: string, diags: Diagnostics): Promise<Config | undefined> {
  let text: Buffer;
  try {
    text = await readBounded(file);
  } catch (e) {
    diags.error('ES1009', `cannot read configuration file '${displayPath(file)}': ${ioReason(e)}`, noPosition(displayPath(file)));
    return undefined;
  }
  return parseConfig(displayPath(file), text, diags);
}

/** The build's precompiled validator if it was compiled from this schema text, else ajv's compile of it. */
function configValidator(schemaText: string): ValidateFunction<Config> {
  const pre = loadPrecompiled<ValidateFunction<Config> & { readonly compiledFrom?: string }>('config-validator');
  if (pre !== undefined && pre.compiledFrom === schemaText) return pre;
  const { Ajv } = requireLazily<{ Ajv: typeof AjvClass }>('ajv');
  return new Ajv(configValidatorOptions).compile<Config>(JSON.parse(schemaText) as Record<string, unknown>);
}

/** A configuration file's text, checked against its schema; `shown` names it in diagnostics. */
export async function parseConfig(shown: string, text: Uint8Array, diags: Diagnostics): Promise<Config | undefined> {
  const loaded = loadSpec(shown, text, diags);
  if (!loaded) return undefined;
  const schemaText = await readFile(path.join(packageRoot(), 'schemas', 'eventsmith.config.schema.json'), 'utf8');
  const validateConfig = configValidator(schemaText);
  if (validateConfig(loaded.data)) return loaded.data;
  for (const err of validateConfig.errors ?? []) {
    const segs = err.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    const extra = err.keyword === 'additionalProperties' ? String((err.params as { additionalProperty?: unknown }).additionalProperty) : undefined;
    const pos = loaded.locate(extra ? [...segs, extra] : segs, extra ? 'key' : 'value');
    const what = extra ? `unknown key '${extra}' (expected one of: version, specs, out, customDir, templates, runtimeModule, registry)` : `${err.instancePath || 'configuration'} ${err.message ?? 'is invalid'}`;
    diags.error('ES5002', what, { file: loaded.file, ...pos });
  }
  return undefined;
}

/** Read in turn, synchronously: every run reads the built-in folder, and awaiting each small file cost more than reading it. */
async function readTemplateDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.hbs')) out.set(name, readFileSync(path.join(dir, name), 'utf8'));
  }
  return out;
}

export async function builtInTemplates(): Promise<Map<string, string>> {
  return readTemplateDir(path.join(packageRoot(), 'templates'));
}

/**
 * Work out specs, output folder and templates. Explicit arguments win over the config file;
 * without either, every events/**\/*.yaml under the working directory is read.
 */
export async function openProject(opts: ProjectOptions, diags: Diagnostics): Promise<Project | undefined> {
  const cwd = process.cwd();
  const configFile = opts.config ? path.resolve(opts.config) : opts.specs.length === 0 && existsSync(path.join(cwd, defaultConfigFile)) ? path.join(cwd, defaultConfigFile) : undefined;
  const config = configFile ? await readConfig(configFile, diags) : undefined;
  if (configFile && !config) return undefined;
  const base = configFile ? path.dirname(configFile) : cwd;

  let specFiles: string[];
  if (opts.specs.length > 0) {
    specFiles = [];
    for (const s of opts.specs) specFiles.push(...(/[*?]/.test(s) ? await glob(cwd, s) : [path.resolve(s)]));
  } else {
    specFiles = [];
    for (const pattern of config?.specs ?? [defaultSpecGlob]) specFiles.push(...(await glob(base, pattern)));
  }
  specFiles = [...new Set(specFiles)].sort();
  if (specFiles.length === 0) {
    diags.error('ES5001', `no spec files found (looked for ${opts.specs.length ? opts.specs.join(', ') : (config?.specs ?? [defaultSpecGlob]).join(', ')} in ${displayPath(base) || '.'}); run \`eventsmith init\` to start one`, noPosition(configFile ? displayPath(configFile) : ''));
    return undefined;
  }
  const specs: SpecInput[] = [];
  for (const file of specFiles) {
    try {
      specs.push({ file: displayPath(file), text: await readBounded(file) });
    } catch (e) {
      const shown = displayPath(file) || '.';
      diags.error('ES1009', `cannot read spec file '${shown}': ${ioReason(e)}`, noPosition(shown));
    }
  }
  if (diags.hasErrors) return undefined;

  const outDir = opts.out ? path.resolve(opts.out) : path.resolve(base, config?.out ?? defaultOut);
  const customDir = opts.customDir
    ? path.resolve(opts.customDir)
    : config?.customDir
      ? path.resolve(base, config.customDir)
      : path.join(path.dirname(outDir), defaultCustomDirName);
  if (customDir === outDir || customDir.startsWith(outDir + path.sep)) {
    const where = opts.customDir ? '--custom-dir' : config?.customDir ? `customDir in ${displayPath(configFile ?? '')}` : `the default custom folder (${defaultCustomDirName} beside the output folder)`;
    diags.error(
      'ES5002',
      `${where} is '${displayPath(customDir) || '.'}', inside the output folder '${displayPath(outDir) || '.'}': your code must live outside the folder generate owns; set customDir in ${defaultConfigFile} (or --custom-dir) to a folder beside it`,
      { file: configFile ? displayPath(configFile) : '.', line: 1, col: 1 },
    );
    return undefined;
  }
  const templatesDir = opts.templates ? path.resolve(opts.templates) : config?.templates ? path.resolve(base, config.templates) : undefined;
  let overrides = new Map<string, string>();
  if (templatesDir) {
    try {
      overrides = await readTemplateDir(templatesDir);
    } catch (e) {
      diags.error('ES5002', `cannot read template folder '${displayPath(templatesDir) || '.'}': ${ioReason(e)}`, noPosition(configFile ? displayPath(configFile) : ''));
      return undefined;
    }
  }
  const specNames = new Map(specFiles.map((f) => [displayPath(f), path.relative(outDir, f).split(path.sep).join('/')]));
  const posix = (p: string): string => p.split(path.sep).join('/') || '.';
  return {
    specs,
    outDir,
    customDir,
    customLink: { fromOut: posix(path.relative(outDir, customDir)), toOut: posix(path.relative(customDir, outDir)) },
    specNames,
    templates: async () => (await import('../core/templates.js')).createTemplateSet(await builtInTemplates(), overrides),
    runtimeModule: config?.runtimeModule ?? 'eventsmith/runtime',
    ...(config?.registry !== undefined ? { registry: config.registry } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
  };
}
