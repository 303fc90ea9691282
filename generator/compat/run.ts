// `eventsmith compat`: check raw .avsc files under a mode and render the verdict for a person
// (text), a program (json) or GitHub Actions annotations (github). Disk access is injected
// (`readFile`), so this stays testable without files; the CLI prints `output` and exits with
// `exitCode`: 0 compatible, 1 incompatible, 2 invalid input (mode, unreadable file, bad JSON,
// invalid schema). Every input problem is reported, not only the first.
import { githubData as data, githubProperty as property } from '../core/github.js';
import { checkModeNodes, COMPAT_MODES, isCompatMode, versionsChecked, type CompatDirection, type CompatMode, type ModeResult } from './modes.js';
import { parseSchema } from './parse.js';
import type { Incompatibility } from './resolve.js';
import { AvroSchemaError, type AvroNode } from './schema.js';

export type CompatFormat = 'text' | 'json' | 'github';

export interface RunCompatOptions {
  readonly mode: CompatMode;
  readonly newFile: string;
  /** Oldest first. */
  readonly previousFiles: readonly string[];
  readonly format: CompatFormat;
  /** Throws or rejects when the file cannot be read. */
  readonly readFile: (file: string) => string | Promise<string>;
}

export interface RunCompatResult {
  readonly exitCode: 0 | 1 | 2;
  readonly output: string;
}

export type CompatInputErrorCode = 'INVALID_MODE' | 'UNREADABLE_FILE' | 'INVALID_JSON' | 'INVALID_SCHEMA';

export interface CompatInputError {
  /** The file at fault; '' for a bad mode. */
  readonly file: string;
  readonly code: CompatInputErrorCode;
  readonly message: string;
  /** JSON Pointer into the file, for INVALID_SCHEMA. */
  readonly pointer?: string;
}

type Loaded = { readonly node: AvroNode } | { readonly error: CompatInputError };

export async function runCompat(opts: RunCompatOptions): Promise<RunCompatResult> {
  const errors: CompatInputError[] = [];
  // The parameter is typed, but JavaScript callers and config files pass any string.
  const mode: string = opts.mode;
  if (!isCompatMode(mode)) {
    errors.push({ file: '', code: 'INVALID_MODE', message: `unknown mode ${JSON.stringify(mode)}; expected one of ${COMPAT_MODES.join(', ')}` });
  }
  const files = [opts.newFile, ...opts.previousFiles];
  const loaded = await Promise.all(files.map((file) => load(file, opts.readFile)));
  const nodes: AvroNode[] = [];
  for (const l of loaded) {
    if ('error' in l) errors.push(l.error);
    else nodes.push(l.node);
  }
  const [next, ...previous] = nodes;
  if (errors.length > 0 || next === undefined || !isCompatMode(mode)) {
    return { exitCode: 2, output: renderErrors(opts, errors) };
  }
  const result = checkModeNodes(mode, next, previous);
  return { exitCode: result.compatible ? 0 : 1, output: renderResult({ ...opts, mode }, result) };
}

async function load(file: string, readFile: RunCompatOptions['readFile']): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(file);
  } catch (e) {
    return { error: { file, code: 'UNREADABLE_FILE', message: `cannot read file: ${e instanceof Error ? e.message : String(e)}` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { error: { file, code: 'INVALID_JSON', message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` } };
  }
  try {
    return { node: parseSchema(json) };
  } catch (e) {
    if (!(e instanceof AvroSchemaError)) throw e;
    const error: CompatInputError = { file, code: 'INVALID_SCHEMA', message: `invalid Avro schema: ${e.detail}` };
    return { error: e.pointer === '' ? error : { ...error, pointer: e.pointer } };
  }
}

interface Row {
  readonly previousFile: string;
  readonly previousIndex: number;
  readonly direction: CompatDirection;
  readonly incompatibility: Incompatibility;
}

function rows(opts: RunCompatOptions, result: ModeResult): Row[] {
  return result.conflicts.flatMap((c) =>
    c.incompatibilities.map((incompatibility) => ({
      previousFile: opts.previousFiles[c.previousIndex] ?? `previous[${c.previousIndex}]`,
      previousIndex: c.previousIndex,
      direction: c.direction,
      incompatibility,
    })),
  );
}

function summary(opts: RunCompatOptions, result: ModeResult): string {
  const checked = versionsChecked(opts.mode, opts.previousFiles.length).map((i) => opts.previousFiles[i] ?? '');
  if (!result.compatible) {
    const against = [...new Set(result.conflicts.map((c) => opts.previousFiles[c.previousIndex] ?? ''))];
    const n = rows(opts, result).length;
    return `${opts.newFile}: incompatible under ${opts.mode}: ${n} incompatibilit${n === 1 ? 'y' : 'ies'} against ${against.join(', ')}`;
  }
  if (opts.mode === 'NONE') return `${opts.newFile}: compatible under NONE (not checked)`;
  if (checked.length === 0) return `${opts.newFile}: compatible under ${opts.mode} (no previous schema)`;
  return `${opts.newFile}: compatible under ${opts.mode} against ${checked.join(', ')}`;
}

function renderResult(opts: RunCompatOptions, result: ModeResult): string {
  switch (opts.format) {
    case 'json':
      return json({
        mode: opts.mode,
        new: opts.newFile,
        previous: opts.previousFiles,
        compatible: result.compatible,
        conflicts: result.conflicts.map((c) => ({
          previous: opts.previousFiles[c.previousIndex] ?? null,
          previousIndex: c.previousIndex,
          direction: c.direction,
          incompatibilities: c.incompatibilities.map(incompatibilityJson),
        })),
        errors: [],
      });
    case 'github':
      return lines([
        ...rows(opts, result).map(
          (r) =>
            `::error file=${property(opts.newFile)},title=${property(r.incompatibility.type)}::${data(`${r.incompatibility.message} at ${r.incompatibility.location} against ${r.previousFile}`)}`,
        ),
        summary(opts, result),
      ]);
    case 'text':
      return lines([
        ...rows(opts, result).map((r) => `${opts.newFile}: ${r.incompatibility.message} at ${r.incompatibility.location} (${r.incompatibility.type}) [against ${r.previousFile}]`),
        summary(opts, result),
      ]);
  }
}

function renderErrors(opts: RunCompatOptions, errors: readonly CompatInputError[]): string {
  const where = (e: CompatInputError): string => (e.pointer === undefined ? '' : ` at ${e.pointer}`);
  switch (opts.format) {
    case 'json':
      return json({
        mode: opts.mode,
        new: opts.newFile,
        previous: opts.previousFiles,
        compatible: false,
        conflicts: [],
        errors: errors.map((e) => ({ file: e.file, code: e.code, message: e.message, pointer: e.pointer ?? null })),
      });
    case 'github':
      return lines(errors.map((e) => `::error ${e.file === '' ? '' : `file=${property(e.file)},`}title=${e.code}::${data(`${e.message}${where(e)}`)}`));
    case 'text':
      return lines(errors.map((e) => `${e.file === '' ? 'eventsmith compat' : e.file}: ${e.message}${where(e)} (${e.code})`));
  }
}

function incompatibilityJson(i: Incompatibility): Record<string, string> {
  const out: Record<string, string> = { type: i.type, location: i.location, message: i.message };
  if (i.readerFragment !== undefined) out.readerFragment = i.readerFragment;
  if (i.writerFragment !== undefined) out.writerFragment = i.writerFragment;
  return out;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function lines(list: readonly string[]): string {
  return list.length === 0 ? '' : `${list.join('\n')}\n`;
}

