// `eventsmith registry push|check|pull`: the project's schemas in a live Confluent-compatible registry.
// Exit codes as for `check`: 0 fine, 1 the registry refuses a version (a rule finding, in the text,
// json or github format of `check`), 2 the specs, the configuration or the registry cannot be used
// (one line each: network, timeout, 401, 403, 404, 409 outside a registration, 422).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderCheck, renderCheckErrors, type CheckFormat, type CheckReport, type Finding } from '../check/index.js';
import { specIndex } from '../check/findings.js';
import { Diagnostics, type Diagnostic } from '../core/diagnostics.js';
import { analyse } from '../analyse.js';
import { registryPlan, type SubjectVersion } from '../registry/plan.js';
import { createRegistryClient, SchemaRegistryError, type RegistryAuth, type SchemaRegistryClient } from '../runtime/registry/client.js';
import { parseSchemaText, type AvroSchemaJson } from '../runtime/schema.js';
import { checkMode, isCompatMode } from '../compat/index.js';
import type { LoadedSpec } from '../load/index.js';
import type { Model } from '../core/model.js';
import { displayPath, openProject, type Project } from './project.js';

interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface RegistryCliOptions {
  readonly config?: string;
  readonly url?: string;
  readonly format: CheckFormat;
}

/** A problem that ends the command with exit 2 and one line. */
class UsageProblem extends Error {}

interface Opened {
  readonly project: Project;
  readonly model: Model;
  readonly specs: readonly LoadedSpec[];
  readonly client: SchemaRegistryClient;
  readonly plan: readonly SubjectVersion[];
}

function authFrom(project: Project, env: NodeJS.ProcessEnv): RegistryAuth | undefined {
  const auth = project.registry?.auth;
  if (auth === undefined) return undefined;
  const read = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new UsageProblem(`eventsmith registry: environment variable ${name} (registry.auth in the configuration) is not set`);
    return value;
  };
  if ('tokenEnv' in auth) return { kind: 'bearer', token: read(auth.tokenEnv) };
  return { kind: 'basic', username: read(auth.usernameEnv), password: read(auth.passwordEnv) };
}

async function open(io: Io, specArgs: readonly string[], opts: RegistryCliOptions): Promise<Opened | number> {
  const fail = (diagnostics: readonly Diagnostic[], headline: string): number => {
    const text = renderCheckErrors(diagnostics, opts.format, 'the registry', headline);
    if (opts.format === 'text') io.err(text);
    else io.out(text);
    return 2;
  };
  const diags = new Diagnostics();
  const project = await openProject({ specs: specArgs, ...(opts.config !== undefined ? { config: opts.config } : {}) }, diags);
  if (!project) return fail(diags.sorted(), 'cannot read the specs');
  // The registry is the compatibility judge here, as check's baseline is: its refusals are the findings.
  const current = analyse(project.specs, { modeGate: false });
  if (!current.model) return fail(current.diagnostics, 'the specs are invalid; `eventsmith validate` shows the same problems');
  const url = opts.url ?? (process.env['SCHEMA_REGISTRY_URL'] || undefined) ?? project.registry?.url;
  if (url === undefined) {
    throw new UsageProblem('eventsmith registry: no registry URL (set registry.url in eventsmith.config.yaml, SCHEMA_REGISTRY_URL or --url)');
  }
  const auth = authFrom(project, process.env);
  const client = createRegistryClient({ url, ...(auth !== undefined ? { auth } : {}), ...(project.registry?.timeoutMs !== undefined ? { timeoutMs: project.registry.timeoutMs } : {}) });
  return { project, model: current.model, specs: current.specs, client, plan: registryPlan(current.model, project.registry) };
}

/** Runs one registry command; registry and configuration failures become one line and exit 2. */
async function guarded(io: Io, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SchemaRegistryError || err instanceof UsageProblem) {
      io.err(`${err.message.startsWith('eventsmith') ? '' : 'eventsmith registry: '}${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * Why the subject refuses `entry`, in the words of `check`: the registry's own reasons when it
 * gives them (Apicurio gives none), else our engine's verdict against what the subject holds.
 */
async function reasonsFor(o: Opened, entry: SubjectVersion, fromRegistry: readonly string[]): Promise<string[]> {
  if (fromRegistry.length > 0) return [...fromRegistry];
  const held: AvroSchemaJson[] = [];
  for (const version of await o.client.versions(entry.subject)) held.push(parseSchemaText((await o.client.version(entry.subject, version)).schema));
  const mode = isCompatMode(entry.compatibility) ? entry.compatibility : 'BACKWARD';
  const conflict = checkMode(mode, entry.schema, held).conflicts[0];
  const first = conflict?.incompatibilities[0];
  if (conflict === undefined || first === undefined) return [];
  const v = entry.version.version;
  const against = `subject version ${conflict.previousIndex + 1}`;
  const [reader, writer] = conflict.direction === 'backward' ? [`v${v}`, against] : [against, `v${v}`];
  const why = first.type === 'READER_FIELD_MISSING_DEFAULT_VALUE' ? `field \`${first.message}\` has no default` : first.message;
  return [`${reader} cannot read data written as ${writer}: ${why} (${first.type} at ${first.location})`];
}

function refusal(o: Opened, entry: SubjectVersion, reasons: readonly string[]): Finding {
  const where = specIndex(o.specs).at(entry.domain.file, entry.yamlPath, 'value');
  const why = reasons.length > 0 ? `: ${reasons.join('; ')}` : '';
  return {
    ...where,
    rule: 'MODE_VIOLATION',
    status: 'breaking',
    path: entry.path,
    domain: entry.domain.name,
    message: `${entry.aggregate.name}.${entry.message.name} v${entry.version.version} is refused by the registry under subject '${entry.subject}' (${entry.compatibility})${why}`,
  };
}

function report(findings: readonly Finding[], present: number, added: number): CheckReport {
  return { findings, breaking: findings.length, allowed: 0, warnings: 0, published: present, added };
}

function emit(io: Io, text: string, format: CheckFormat, failed: boolean): void {
  if (format === 'text' && failed) io.err(text);
  else io.out(text);
}

/** Sets each subject's level to the spec's `compatibility` before its first registration (idempotent). */
async function ensureCompatibility(client: SchemaRegistryClient, entry: SubjectVersion, done: Set<string>): Promise<boolean> {
  if (done.has(entry.subject)) return false;
  done.add(entry.subject);
  if ((await client.compatibility(entry.subject)) === entry.compatibility) return false;
  await client.setCompatibility(entry.subject, entry.compatibility);
  return true;
}

export function runRegistryPush(io: Io, specArgs: readonly string[], opts: RegistryCliOptions): Promise<number> {
  return guarded(io, async () => {
    const o = await open(io, specArgs, opts);
    if (typeof o === 'number') return o;
    const findings: Finding[] = [];
    const configured = new Set<string>();
    const refusedSubjects = new Set<string>();
    let registered = 0;
    let present = 0;
    for (const entry of o.plan) {
      // Later versions of a refused lineage would be checked against the wrong predecessor.
      if (refusedSubjects.has(`${entry.subject}\u0000${entry.message.name}`)) continue;
      if ((await o.client.lookup(entry.subject, entry.text)) !== undefined) {
        present++;
        continue;
      }
      await ensureCompatibility(o.client, entry, configured);
      try {
        const id = await o.client.register(entry.subject, entry.text);
        registered++;
        if (opts.format === 'text') io.out(`registered ${entry.subject} (${entry.aggregate.name}.${entry.message.name} v${entry.version.version}) as id ${id}\n`);
      } catch (err) {
        if (!(err instanceof SchemaRegistryError) || err.kind !== 'conflict') throw err;
        const verdict = await o.client.testCompatibility(entry.subject, entry.text).catch(() => ({ compatible: false, messages: [] as string[] }));
        findings.push(refusal(o, entry, await reasonsFor(o, entry, verdict.messages)));
        refusedSubjects.add(`${entry.subject}\u0000${entry.message.name}`);
      }
    }
    const failed = findings.length > 0;
    if (failed) emit(io, renderCheck(report(findings, present, registered), opts.format, `registry ${o.client.url}`), opts.format, true);
    if (opts.format === 'json' && !failed) io.out(`${JSON.stringify({ registry: o.client.url, registered, present }, null, 2)}\n`);
    else if (opts.format === 'text') {
      const subjects = new Set(o.plan.map((e) => e.subject)).size;
      io.out(`eventsmith registry push: ${registered} registered, ${present} already present (${subjects} subject${subjects === 1 ? '' : 's'}, ${o.client.url})\n`);
    }
    return failed ? 1 : 0;
  });
}

export function runRegistryCheck(io: Io, specArgs: readonly string[], opts: RegistryCliOptions): Promise<number> {
  return guarded(io, async () => {
    const o = await open(io, specArgs, opts);
    if (typeof o === 'number') return o;
    const findings: Finding[] = [];
    let present = 0;
    let added = 0;
    for (const entry of o.plan) {
      if ((await o.client.lookup(entry.subject, entry.text)) !== undefined) {
        present++;
        continue;
      }
      added++;
      // As the Confluent Maven plugin's test-compatibility: against what the subject holds, under its level.
      const verdict = await o.client.testCompatibility(entry.subject, entry.text);
      if (!verdict.compatible) findings.push(refusal(o, entry, await reasonsFor(o, entry, verdict.messages)));
    }
    emit(io, renderCheck(report(findings, present, added), opts.format, `registry ${o.client.url}`), opts.format, findings.length > 0);
    return findings.length > 0 ? 1 : 0;
  });
}

export interface RegistryPullOptions extends RegistryCliOptions {
  readonly out: string;
}

/** Writes every version each of the project's subjects holds as `<out>/<subject>/v<n>.avsc` (pretty, exact longs). */
export function runRegistryPull(io: Io, specArgs: readonly string[], opts: RegistryPullOptions): Promise<number> {
  return guarded(io, async () => {
    const o = await open(io, specArgs, opts);
    if (typeof o === 'number') return o;
    const outDir = path.resolve(opts.out);
    const subjects = [...new Set(o.plan.map((e) => e.subject))];
    const written: string[] = [];
    for (const subject of subjects) {
      if (!/^[A-Za-z0-9._-]+$/.test(subject) || subject === '.' || subject === '..') throw new UsageProblem(`eventsmith registry pull: subject '${subject}' cannot be a folder name`);
      for (const version of await o.client.versions(subject)) {
        const got = await o.client.version(subject, version);
        const file = path.join(outDir, subject, `v${version}.avsc`);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, `${prettySchema(got.schema)}\n`);
        written.push(file);
      }
    }
    if (opts.format === 'json') io.out(`${JSON.stringify({ registry: o.client.url, files: written.map(displayPath) }, null, 2)}\n`);
    else io.out(`eventsmith registry pull: ${written.length} schema${written.length === 1 ? '' : 's'} of ${subjects.length} subject${subjects.length === 1 ? '' : 's'} written to ${displayPath(outDir) || '.'}\n`);
    return 0;
  });
}

/** Two-space JSON; integers past 2^53 (long defaults) stay exact. */
function prettySchema(text: string): string {
  const parsed = parseSchemaText(text);
  return JSON.stringify(parsed, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000bigint:${v}` : v), 2).replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
