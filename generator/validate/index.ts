// validate: the spec's shape against schemas/eventsmith.schema.json, the same schema editors
// use through yaml-language-server, so the CLI and the editor agree on what is valid.
// ajv's raw errors are written for schema authors; this module turns them into one clear
// diagnostic per mistake, at the file:line:col of the offending key or value.
import type { Ajv as AjvClass, AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv';
import schemaJson from '../../schemas/eventsmith.schema.json' with { type: 'json' };
import type { DiagnosticCode, Diagnostics } from '../core/diagnostics.js';
import type { LoadedSpec } from '../load/index.js';
import { formatPath, type PathSegment } from '../load/path.js';
import { findSplitTypeExprs } from './split-decimal.js';
import { loadPrecompiled, requireLazily } from '../core/precompiled.js';
import { editorKeywords, specValidatorOptions } from './options.js';

export { editorKeywords };

export const specSchema: AnySchemaObject = schemaJson;

export interface SpecValidator {
  readonly source: 'precompiled' | 'ajv';
  /** Reports every shape problem of `spec` into `diags`; true when there is none. */
  validate(spec: LoadedSpec, diags: Diagnostics): boolean;
}

interface Compiled {
  /** Where the validators came from: the build (scripts/precompile.mjs) or ajv at run time. */
  readonly source: 'precompiled' | 'ajv';
  readonly root: ValidateFunction;
  /** `#/definitions/<Name>` → its validator, to re-check one branch of a oneOf on its own. */
  readonly definitions: ReadonlyMap<string, { readonly schema: AnySchemaObject; readonly validate: ValidateFunction }>;
}

/** A fresh ajv with the DSL schema compiled; every definition is compiled now so nothing changes after creation. */
export function createSpecValidator(): SpecValidator {
  const compiled = compile();
  return { source: compiled.source, validate: (spec, diags) => run(compiled, spec, diags) };
}

// Compiling costs far more than validating, so one validator is shared. It is created on first
// use and never changes afterwards, so sharing it leaks nothing between runs. (ajv sets
// `validate.errors` on each call; validation is synchronous, so each caller reads its own.)
const sharedValidator = once(createSpecValidator);

export function validateSpec(spec: LoadedSpec, diags: Diagnostics): boolean {
  return sharedValidator().validate(spec, diags);
}

function once<T>(create: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: create() }).value;
}

/** scripts/precompile.mjs's module: ajv's standalone code for the root and each `#/definitions/<Name>`. */
type PrecompiledSpec = { readonly compiledFrom: string } & { readonly [ref: string]: ValidateFunction | undefined };

function compile(): Compiled {
  // Compiling the schema with ajv was most of a small run's start-up; the build does it once.
  const pre = loadPrecompiled<PrecompiledSpec>('spec-validators');
  if (pre !== undefined && pre.compiledFrom === JSON.stringify(specSchema)) return fromPrecompiled(pre);
  const { Ajv } = requireLazily<{ Ajv: typeof AjvClass }>('ajv');
  const ajv = new Ajv(specValidatorOptions);
  ajv.addVocabulary([...editorKeywords]);
  const id = specSchema.$id as string;
  ajv.addSchema(specSchema);
  const root = ajv.getSchema(id);
  if (!root) throw new Error(`schema ${id} did not compile`);
  const definitions = new Map<string, { schema: AnySchemaObject; validate: ValidateFunction }>();
  for (const [name, schema] of Object.entries(asRecord(specSchema.definitions))) {
    const validate = ajv.getSchema(`${id}#/definitions/${name}`);
    if (!validate || !isSchemaObject(schema)) throw new Error(`schema definition ${name} did not compile`);
    definitions.set(`#/definitions/${name}`, { schema, validate });
  }
  return { source: 'ajv', root, definitions };
}

function fromPrecompiled(pre: PrecompiledSpec): Compiled {
  const root = pre['root'];
  if (!root) throw new Error('precompiled spec validators without a root');
  const definitions = new Map<string, { schema: AnySchemaObject; validate: ValidateFunction }>();
  for (const [name, schema] of Object.entries(asRecord(specSchema.definitions))) {
    const ref = `#/definitions/${name}`;
    const validate = pre[ref];
    if (!validate || !isSchemaObject(schema)) throw new Error(`precompiled schema definition ${name} missing`);
    definitions.set(ref, { schema, validate });
  }
  return { source: 'precompiled', root, definitions };
}

// ---------------------------------------------------------------------------------------------

interface Issue {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly path: readonly PathSegment[];
  /** 'key' points at a mapping key (unknown or badly named keys), 'value' at the value. */
  readonly which: 'key' | 'value';
  /** For merging "unknown key 'feilds'" with "missing required key 'fields'" into one message. */
  readonly unknownKey?: { readonly parent: string; readonly suggestion?: string };
  readonly missingKey?: { readonly parent: string; readonly key: string };
}

interface Context {
  readonly compiled: Compiled;
  /** The spec as loaded, for describing values in messages (the checked copy has no bigints). */
  readonly original: unknown;
}

function run(compiled: Compiled, spec: LoadedSpec, diags: Diagnostics): boolean {
  const ctx: Context = { compiled, original: spec.data };
  const splits = findSplitTypeExprs(spec.data);
  const issues = [
    ...splits.map((s): Issue => ({ code: 'ES2005', message: s.message, path: s.path, which: 'value' })),
    // The stray half's own problems (not a field name, no type) are echoes of the split.
    ...mergeTypos(check(ctx, compiled.root, toCheckable(spec.data), [], undefined)).filter((i) => !splits.some((s) => isPrefix(s.strayKey, i.path))),
  ];
  const seen = new Set<string>();
  for (const issue of issues) {
    // An empty value (`fields:` with nothing after it) has no text of its own to point at.
    const empty = issue.which === 'value' && typeof issue.path[issue.path.length - 1] === 'string' && valueAt(spec.data, issue.path) === null;
    const pos = spec.locate(issue.path, empty ? 'key' : issue.which);
    const path = formatPath(issue.path);
    const dedupe = `${issue.code}\0${pos.line}:${pos.col}\0${issue.message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    diags.error(issue.code, issue.message, { file: spec.file, line: pos.line, col: pos.col, path });
  }
  return seen.size === 0;
}

/**
 * ajv's instance type checks know only JSON values, and its `integer` check is
 * `typeof x == "number"`, so a bigint (how load keeps integers past 2^53 exact) would be
 * reported as "must be integer". The copy turns bigints into numbers: integral and
 * finite, which is all the schema asks of them; the exact value stays in `spec.data` for the
 * resolver. Values that are no JSON type at all (e.g. `!!binary` data) become a symbol, which
 * matches no `type` and so is reported as a wrong type rather than walked as a mapping.
 * Objects are rebuilt without a prototype so a key named `__proto__` stays a key.
 */
function toCheckable(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? notJson : value;
  const hit = seen.get(value);
  if (hit !== undefined) return hit;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(toCheckable(item, seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) return notJson;
  const out = Object.create(null) as Record<string, unknown>;
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = toCheckable(v, seen);
  return out;
}
const notJson = Symbol('not a JSON value');

/** Issues for `data` (found at `base` in the spec) against one compiled schema. */
function check(ctx: Context, validate: ValidateFunction, data: unknown, base: readonly PathSegment[], expected: string | undefined): Issue[] {
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).map((error) => ({ error, path: [...base, ...pointerToPath(error.instancePath, data)] }));

  // A oneOf/anyOf makes ajv report every branch's failures. Keep only the outermost
  // combinators; each is re-checked against the one branch the user evidently meant, and all
  // other errors inside it are dropped.
  const combinators = errors.filter((e) => e.error.keyword === 'oneOf' || e.error.keyword === 'anyOf');
  const outermost = combinators.filter((c, i) => !combinators.some((o, j) => j !== i && isPrefix(o.path, c.path) && (o.path.length < c.path.length || j < i)));
  const inside = (p: readonly PathSegment[]) => outermost.some((c) => isPrefix(c.path, p));

  const issues: Issue[] = [];
  for (const { error, path } of errors) {
    if (inside(path)) continue;
    // A bad mapping key is reported once, by its propertyNames error; ajv also reports the
    // failing subschema keyword of the key itself (same instance path) which says less.
    if (error.propertyName !== undefined || error.schemaPath.includes('/propertyNames/')) continue;
    issues.push(...describe(ctx, error, path, samePath(path, base) ? expected : undefined));
  }
  for (const c of outermost) issues.push(...resolveCombinator(ctx, c.error, c.path));
  return issues;
}

function resolveCombinator(ctx: Context, error: ErrorObject, path: readonly PathSegment[]): Issue[] {
  const value: unknown = error.data;
  const parent = error.parentSchema ?? {};
  const expected = expectation(parent);
  const branches = (Array.isArray(error.schema) ? error.schema : []).map((b: unknown) => {
    const ref = isSchemaObject(b) && typeof b.$ref === 'string' ? b.$ref : undefined;
    const def = ref === undefined ? undefined : ctx.compiled.definitions.get(ref);
    return def ? { ref, ...def } : undefined;
  });
  if (branches.some((b) => b === undefined) || branches.length === 0) {
    // The schema-sync test keeps every branch a $ref to a definition; this is the fallback.
    return [{ code: 'ES2001', message: `${where(path)} does not match the DSL schema: ${error.message ?? 'invalid'}`, path, which: 'value' }];
  }
  const known = branches.filter((b): b is NonNullable<typeof b> => b !== undefined);
  const fitting = known.filter((b) => fitsType(value, b.schema));
  if (fitting.length === 0) {
    return [{ code: 'ES2004', message: `wrong type for ${where(path)}: ${expected ?? 'expected another type'}, got ${describeValue(valueAt(ctx.original, path))}`, path, which: 'value' }];
  }
  const choice = chooseBranch(value, fitting);
  if (choice.kind === 'needsOneOf') {
    const options = choice.options.map((b) => `'${requiredOf(b.schema)[0] ?? '?'}' (${String(b.schema.title ?? '').toLowerCase()})`);
    return [{ code: 'ES2003', message: `missing required key ${inWhere(path)}: add one of ${orList(options)}`, path, which: 'key' }];
  }
  const issues = check(ctx, choice.branch.validate, value, path, expected);
  if (issues.length > 0) return issues;
  // Only a oneOf whose value fits several branches gets here; the schema's branches are
  // mutually exclusive, so this means the schema itself is wrong.
  return [{ code: 'ES2001', message: `${where(path)} matches more than one form: ${error.message ?? ''}`, path, which: 'value' }];
}

type Branch = { readonly schema: AnySchemaObject; readonly validate: ValidateFunction };

/**
 * Which form did the user mean? The value's JSON type decides first (a string is a type
 * expression, a mapping is not). Among mapping forms: the one whose required key is present,
 * else one whose required key is a near-miss of a key written (a typo), else, when every key
 * written belongs to some form, none: the user left out the deciding key.
 */
function chooseBranch<B extends Branch>(value: unknown, fitting: readonly B[]): { kind: 'branch'; branch: B } | { kind: 'needsOneOf'; options: readonly B[] } {
  const first = fitting[0] as B;
  if (!isRecord(value) || fitting.length === 1) return { kind: 'branch', branch: first };
  const keys = Object.keys(value);
  const knownCount = (b: B) => keys.filter((k) => propertiesOf(b.schema).includes(k)).length;
  const best = (bs: readonly B[]) => bs.reduce((a, b) => (knownCount(b) > knownCount(a) ? b : a));
  const complete = fitting.filter((b) => requiredOf(b.schema).every((k) => keys.includes(k)));
  if (complete.length > 0) return { kind: 'branch', branch: best(complete) };
  const knownAnywhere = (k: string) => fitting.some((b) => propertiesOf(b.schema).includes(k));
  const unknown = keys.filter((k) => !knownAnywhere(k));
  const typo = fitting.find((b) => requiredOf(b.schema).some((r) => unknown.some((k) => isNearMiss(k, r))));
  if (typo) return { kind: 'branch', branch: typo };
  if (unknown.length === 0) return { kind: 'needsOneOf', options: fitting };
  return { kind: 'branch', branch: best(fitting) };
}

function describe(ctx: Context, error: ErrorObject, path: readonly PathSegment[], expected: string | undefined): Issue[] {
  const parent = error.parentSchema ?? {};
  const got = () => describeValue(valueAt(ctx.original, path));
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = propertiesOf(parent);
      const suggestion = suggest(key, allowed);
      const hint = suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`;
      return [
        {
          code: 'ES2002',
          message: `unknown key '${key}' ${inWhere(path)}${hint}; expected one of: ${allowed.join(', ')}`,
          path: [...path, key],
          which: 'key',
          unknownKey: { parent: formatPath(path), ...(suggestion === undefined ? {} : { suggestion }) },
        },
      ];
    }
    case 'required': {
      const key = String(params.missingProperty);
      return [{ code: 'ES2003', message: `missing required key '${key}' ${inWhere(path)}`, path, which: 'key', missingKey: { parent: formatPath(path), key } }];
    }
    case 'type':
      return [{ code: 'ES2004', message: `wrong type for ${where(path)}: ${expected ?? expectation(parent) ?? `expected ${typePhrase(String(params.type))}`}, got ${got()}`, path, which: 'value' }];
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues.map(String) : [];
      return [{ code: 'ES2005', message: `${got()} is not allowed for ${where(path)}; expected one of: ${allowed.join(', ')}`, path, which: 'value' }];
    }
    case 'const':
      return [{ code: 'ES2005', message: `${got()} is not allowed for ${where(path)}; ${expected ?? `expected '${String(params.allowedValue)}'`}`, path, which: 'value' }];
    case 'pattern': {
      const sentence = typeof parent.patternErrorMessage === 'string' ? lowerFirst(parent.patternErrorMessage) : `does not match ${String(params.pattern)}`;
      return [{ code: 'ES2005', message: `${got()} is ${sentence}`, path, which: 'value' }];
    }
    case 'propertyNames': {
      const key = String(params.propertyName);
      const names = isSchemaObject(parent.propertyNames) ? parent.propertyNames : {};
      const sentence = typeof names.patternErrorMessage === 'string' ? lowerFirst(names.patternErrorMessage) : 'not a valid name here';
      return [{ code: 'ES2005', message: `'${key}' is ${sentence}`, path: [...path, key], which: 'key' }];
    }
    case 'minItems':
    case 'minProperties': {
      const hint = expected ?? expectation(parent);
      return [{ code: 'ES2001', message: `${where(path)} is empty${hint === undefined ? `: ${error.message ?? ''}` : `; ${hint}`}`, path, which: 'value' }];
    }
    // Bounds on a scalar: the value itself is not allowed, like an enum or pattern mismatch.
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf':
    case 'minLength':
    case 'maxLength':
      return [{ code: 'ES2005', message: `${got()} is not allowed for ${where(path)}: ${error.message ?? ''}`, path, which: 'value' }];
    default:
      return [{ code: 'ES2001', message: `${where(path)} ${error.message ?? 'does not match the DSL schema'}`, path, which: 'value' }];
  }
}

/** A misspelt required key shows up twice (unknown 'feilds', missing 'fields'): say it once. */
function mergeTypos(issues: readonly Issue[]): Issue[] {
  return issues.filter(
    (i) => i.missingKey === undefined || !issues.some((u) => u.unknownKey !== undefined && u.unknownKey.parent === i.missingKey?.parent && u.unknownKey.suggestion === i.missingKey.key),
  );
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(seg);
      out.push(index);
      node = node[index];
    } else {
      out.push(seg);
      node = isRecord(node) ? node[seg] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg];
    else if (isRecord(node) && Object.prototype.hasOwnProperty.call(node, seg)) node = node[String(seg)];
    else return undefined;
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (isRecord(value)) return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  return 'a value that is not plain data';
}

function typePhrase(type: string): string {
  const phrases: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    null: 'an empty value',
  };
  return type
    .split(',')
    .map((t) => phrases[t] ?? t)
    .join(' or ');
}

/** The schema's `errorMessage` ("Expected ...") as a phrase to embed in a sentence. */
function expectation(schema: AnySchemaObject): string | undefined {
  return typeof schema.errorMessage === 'string' ? lowerFirst(schema.errorMessage) : undefined;
}

function fitsType(value: unknown, schema: AnySchemaObject): boolean {
  const type: unknown = schema.type ?? ('const' in schema ? jsonType(schema.const) : undefined);
  if (type === undefined) return true;
  const actual = jsonType(value);
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (isRecord(value)) return 'object';
  return typeof value;
}

function propertiesOf(schema: AnySchemaObject): string[] {
  return Object.keys(asRecord(schema.properties));
}

function requiredOf(schema: AnySchemaObject): string[] {
  return Array.isArray(schema.required) ? schema.required.map(String) : [];
}

function suggest(key: string, allowed: readonly string[]): string | undefined {
  return allowed.find((a) => a.toLowerCase() === key.toLowerCase()) ?? allowed.find((a) => isNearMiss(key, a));
}

/** Close enough to be a typo: edit distance at most 2, and less than half the word. */
function isNearMiss(a: string, b: string): boolean {
  if (a === b) return false;
  const d = editDistance(a.toLowerCase(), b.toLowerCase());
  return d <= 2 && d * 2 < Math.max(a.length, b.length);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function where(path: readonly PathSegment[]): string {
  return path.length === 0 ? 'the top level of the spec' : formatPath(path);
}

function inWhere(path: readonly PathSegment[]): string {
  return path.length === 0 ? 'at the top level of the spec' : `in ${formatPath(path)}`;
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] as string}`;
}

function lowerFirst(s: string): string {
  return s.length > 1 && s[1] === s[1]?.toLowerCase() ? (s[0] as string).toLowerCase() + s.slice(1) : s;
}

function samePath(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && isPrefix(a, b);
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isSchemaObject(value: unknown): value is AnySchemaObject {
  return isRecord(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
