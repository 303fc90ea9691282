// What sagas and reactions send: references to events and commands (across every loaded
// domain), the command's target aggregate (`to`) and its data (`data`). Data expressions read
// what the sender knows at that point: the saga's start event (`$start.…`), its id (`$sagaId`),
// the events that completed earlier steps (`$steps.<step>.…`), or in a reaction the triggering
// event (`$.…`, `$aggregateId`). Each is type-checked against its target with the same exact
// conversions as apply and upcast rules (expr.ts `assignable`).
import type { Aggregate, Command, CommandData, CommandSend, DataAssignment, DataExpr, DataSource, DomainEvent, Field, TypeRef } from '../core/model.js';
import { didYouMean } from '../core/names.js';
import { describeValue, entriesOf, get, has, isMapping, type Mapping, type Path, type SpecContext } from './context.js';
import type { ValueEnv } from './defaults.js';
import { assignable, constructRecord, isConst, literal, mismatchHint, sameType } from './expr.js';
import { formatType } from './type-expr.js';

/** Every event, command and aggregate of the run, by the names sagas and reactions use. */
export interface MessageLookup {
  /** `Aggregate.Event` → event. */
  readonly events: ReadonlyMap<string, DomainEvent>;
  /** `Aggregate.Command` → command. */
  readonly commands: ReadonlyMap<string, Command>;
  readonly aggregates: ReadonlyMap<string, Aggregate>;
}

const refPattern = /^([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*)$/;

/** `Aggregate.Event`: it must be declared (ES3010). */
export function eventRef(raw: unknown, path: Path, ctx: SpecContext, lookup: MessageLookup): DomainEvent | undefined {
  const m = typeof raw === 'string' ? refPattern.exec(raw) : null;
  if (typeof raw !== 'string' || !m) {
    ctx.error('ES3010', `expected \`Aggregate.Event\`, got ${describeValue(raw)}`, path);
    return undefined;
  }
  const event = lookup.events.get(raw);
  if (event) return event;
  const aggregate = m[1] ?? '';
  const known = lookup.aggregates.has(aggregate) ? '' : ` (no aggregate \`${aggregate}\` is declared)`;
  const command = lookup.commands.has(raw) ? ` (\`${raw}\` is a command; this needs an event)` : '';
  ctx.error('ES3010', `unknown event \`${raw}\`${known}${command}${didYouMean(raw, lookup.events.keys())}`, path);
  return undefined;
}

/** `Aggregate.Command`: it must be declared (ES3024). */
export function commandRef(raw: unknown, path: Path, ctx: SpecContext, lookup: MessageLookup): Command | undefined {
  const m = typeof raw === 'string' ? refPattern.exec(raw) : null;
  if (typeof raw !== 'string' || !m) {
    ctx.error('ES3024', `expected \`Aggregate.Command\`, got ${describeValue(raw)}`, path);
    return undefined;
  }
  const command = lookup.commands.get(raw);
  if (command) return command;
  const aggregate = m[1] ?? '';
  if (!lookup.aggregates.has(aggregate)) {
    ctx.errorInto('ES3024', `command ${raw} names an unknown aggregate \`${aggregate}\`${didYouMean(aggregate, lookup.aggregates.keys())}`, path, raw, 0);
    return undefined;
  }
  const event = lookup.events.has(raw) ? ` (\`${raw}\` is an event; this needs a command, declared under \`aggregates.${aggregate}.commands\`)` : '';
  ctx.error('ES3024', `unknown command \`${raw}\`${event}${didYouMean(raw, lookup.commands.keys())}`, path);
  return undefined;
}

/** One event or a list of them; `complete` is false when any of them did not resolve (and was reported). */
export function eventRefs(raw: unknown, path: Path, ctx: SpecContext, lookup: MessageLookup): { events: DomainEvent[]; complete: boolean } {
  const items = Array.isArray(raw) ? raw.map((r: unknown, i): [unknown, Path] => [r, [...path, i]]) : [[raw, path] as [unknown, Path]];
  const events: DomainEvent[] = [];
  let complete = true;
  for (const [item, at] of items) {
    const e = eventRef(item, at, ctx, lookup);
    if (!e) complete = false;
    else if (events.includes(e)) ctx.error('ES3008', `event \`${e.aggregateName}.${e.name}\` is listed twice`, at);
    else events.push(e);
  }
  if (Array.isArray(raw) && raw.length === 0) complete = false;
  return { events, complete };
}

export function aggregateIdType(lookup: MessageLookup, aggregateName: string): TypeRef {
  return lookup.aggregates.get(aggregateName)?.idType ?? { kind: 'logical', name: 'uuid' };
}

// ---- data expressions ---------------------------------------------------------------------

/** An event a saga or reaction can read, with the id type of its aggregate. */
export interface EventSource {
  readonly event: DomainEvent;
  readonly idType: TypeRef;
}

/** What one data expression may read, and how to explain what it may not. */
export interface DataScope {
  readonly ctx: SpecContext;
  readonly env: ValueEnv;
  /** Saga: the start event. */
  readonly start?: EventSource;
  /** Saga: the type of `$sagaId` (the value the correlation reads). */
  readonly sagaId?: TypeRef;
  /** Saga whose start event or correlation did not resolve (reported): reads of them fail silently. */
  readonly startUnresolved?: boolean;
  /** Saga: the success events of each step by name (undefined when they did not resolve), and their id type. */
  readonly steps?: ReadonlyMap<string, { readonly events: readonly DomainEvent[]; readonly idType: TypeRef } | undefined>;
  /** Saga: why `$steps.<name>` is not readable here, or undefined when it is. */
  readonly stepProblem?: (name: string) => string | undefined;
  /** Reaction: the triggering event. */
  readonly trigger?: EventSource;
  /** Where the expression is, for messages: `step reserveStock`, `a reaction`, `onCompensated`. */
  readonly where: string;
}

interface ResolvedData {
  readonly expr: DataExpr;
  readonly type: TypeRef;
}

/** A string that reads something rather than being a literal: `$start.x`, `$sagaId`, `$.x`, … (`$5` is a literal). */
export function isDataRef(raw: unknown): raw is string {
  return typeof raw === 'string' && /^\$[A-Za-z_.]/.test(raw);
}

function containsDataRef(raw: unknown): boolean {
  if (isDataRef(raw)) return true;
  if (Array.isArray(raw)) return raw.some(containsDataRef);
  return isMapping(raw) && !isConst(raw) && Object.keys(raw).some((k) => containsDataRef(raw[k]));
}

const refForms = ['$start', '$steps', '$sagaId', '$aggregateId', '$.'];

/** What `text` reads and its type; reports ES3011/ES3030 (ES3012 for a read through an optional). */
function resolveDataRef(text: string, scope: DataScope, at: Path): ResolvedData | undefined {
  const { ctx } = scope;
  const sagaOnly = (what: string): string =>
    `\`${what}\` exists only in a saga; ${scope.where} reads its event with \`$.field\` and \`$aggregateId\``;
  const reactionOnly = (what: string): string =>
    `\`${what}\` reads the event that triggered a reaction; in ${scope.where} read the start event with \`$start.field\` or \`$start.aggregateId\``;
  if (scope.startUnresolved && (text === '$sagaId' || text === '$start' || text.startsWith('$start.'))) return undefined;
  if (text === '$sagaId') {
    if (!scope.sagaId) return notAvailable(ctx, sagaOnly(text), at, text);
    return { expr: { kind: 'sagaId', type: scope.sagaId }, type: scope.sagaId };
  }
  if (text === '$aggregateId' || text.startsWith('$.')) {
    if (!scope.trigger) return notAvailable(ctx, reactionOnly(text === '$aggregateId' ? text : '$.'), at, text);
    return readEvent(text, { kind: 'trigger' }, [scope.trigger.event], scope.trigger.idType, text === '$aggregateId' ? undefined : 2, scope, at);
  }
  if (text === '$start' || text.startsWith('$start.')) {
    if (!scope.start) return notAvailable(ctx, sagaOnly('$start'), at, text);
    if (text === '$start') return malformed(ctx, text, '`$start.field` or `$start.aggregateId`', at);
    const rest = text.slice('$start.'.length);
    return readEvent(text, { kind: 'start' }, [scope.start.event], scope.start.idType, rest === 'aggregateId' ? undefined : '$start.'.length, scope, at);
  }
  if (text === '$steps' || text.startsWith('$steps.')) {
    if (!scope.steps) return notAvailable(ctx, sagaOnly('$steps'), at, text);
    const m = /^\$steps\.([A-Za-z0-9_]+)\.(.+)$/.exec(text);
    const name = m?.[1];
    if (!m || name === undefined) return malformed(ctx, text, '`$steps.<step>.field` or `$steps.<step>.aggregateId`', at);
    if (!scope.steps.has(name)) {
      ctx.errorInto('ES3030', `there is no step \`${name}\` in this saga${didYouMean(name, scope.steps.keys())}`, at, text, '$steps.'.length);
      return undefined;
    }
    const problem = scope.stepProblem?.(name);
    if (problem) return notAvailable(ctx, problem, at, text);
    const source = scope.steps.get(name);
    if (!source) return undefined;
    const prefix = `$steps.${name}.`.length;
    return readEvent(text, { kind: 'step', step: name }, source.events, source.idType, m[2] === 'aggregateId' ? undefined : prefix, scope, at);
  }
  const head = /^\$[A-Za-z_]*/.exec(text)?.[0] ?? text;
  const forms = refForms.map((f) => `\`${f}\``).join(', ');
  const message = `unknown reference \`${head}\`: values are read with ${forms}, and \`{ const: ${JSON.stringify(text)} }\` is a literal string starting with $`;
  ctx.errorInto('ES3030', `${message}${didYouMean(head, refForms)}`, at, text, 0);
  return undefined;
}

function notAvailable(ctx: SpecContext, message: string, at: Path, text: string): undefined {
  ctx.errorInto('ES3030', message, at, text, 0);
  return undefined;
}

function malformed(ctx: SpecContext, text: string, forms: string, at: Path): undefined {
  ctx.error('ES3011', `malformed reference ${JSON.stringify(text)}: expected ${forms}`, at);
  return undefined;
}

/**
 * A field path (after `prefix` characters) in the data of every one of `events` (latest
 * versions), or their aggregate id when `prefix` is undefined. With several events (a step's
 * `succeedsOn`) the field must have one type in all of them.
 */
function readEvent(
  text: string,
  source: DataSource,
  events: readonly DomainEvent[],
  idType: TypeRef,
  prefix: number | undefined,
  scope: DataScope,
  at: Path,
): ResolvedData | undefined {
  if (prefix === undefined) return { expr: { kind: 'aggregateId', source, type: idType }, type: idType };
  let found: { path: readonly (string | number)[]; type: TypeRef; in: string } | undefined;
  for (const event of events) {
    const latest = event.versions[event.versions.length - 1];
    const owner = latest?.typeName ?? event.name;
    const ref = walkPath(text, prefix, latest?.fields ?? [], owner, scope.ctx, at);
    if (!ref) return undefined;
    if (found && !sameType(found.type, ref.type)) {
      scope.ctx.error('ES3012', `\`${text}\` is ${formatType(found.type)} in ${found.in} and ${formatType(ref.type)} in ${owner}; the events that complete a step must agree on the fields later steps read`, at);
      return undefined;
    }
    found ??= { path: ref.path, type: ref.type, in: owner };
  }
  return found && { expr: { kind: 'eventField', source, path: found.path, type: found.type }, type: found.type };
}

/**
 * The field path after `prefix` in `text` (`items[0].productId`) through `fields`: names of
 * record fields, each optionally followed by list indexes `[n]`. An index reads an element the
 * list must have when the value is used (the orchestrator checks); reading through an optional
 * (`T?`) is refused, as in apply and upcast rules.
 */
function walkPath(text: string, prefix: number, source: readonly Field[], sourceName: string, ctx: SpecContext, at: Path): { path: (string | number)[]; type: TypeRef } | undefined {
  const path: (string | number)[] = [];
  let fields = source;
  let owner = sourceName;
  let offset = prefix;
  let type: TypeRef | undefined;
  const shown = (): string => `${text.slice(0, offset - 1)}`;
  for (const seg of text.slice(prefix).split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(seg);
    const name = m?.[1];
    if (!m || name === undefined) {
      const form = text.slice(0, prefix);
      ctx.errorInto('ES3011', `malformed reference ${JSON.stringify(text)}: expected \`${form}field\`, \`${form}field.subfield\` or \`${form}list[0].field\``, at, text, offset);
      return undefined;
    }
    if (type) {
      if (type.kind === 'optional') {
        ctx.errorInto('ES3012', `\`${shown()}\` is ${formatType(type)} and may be null: cannot read \`${name}\` from it`, at, text, offset);
        return undefined;
      }
      if (type.kind !== 'named' || type.type.kind !== 'record') {
        ctx.errorInto('ES3011', `\`${shown()}\` is ${formatType(type)}, which has no field \`${name}\``, at, text, offset);
        return undefined;
      }
      fields = type.type.fields;
      owner = type.type.name;
    }
    const field = fields.find((f) => f.name === name);
    if (!field) {
      if (ctx.unresolved.has(owner, name)) return undefined;
      ctx.errorInto('ES3011', `${owner} has no field \`${name}\`${didYouMean(name, fields.map((f) => f.name))}`, at, text, offset);
      return undefined;
    }
    type = field.type;
    path.push(name);
    let end = offset + name.length;
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      const upTo = text.slice(0, end);
      if (type.kind === 'optional') {
        ctx.errorInto('ES3012', `\`${upTo}\` is ${formatType(type)} and may be null: cannot index it`, at, text, end);
        return undefined;
      }
      if (type.kind !== 'array') {
        ctx.errorInto('ES3011', `\`${upTo}\` is ${formatType(type)}, which is not a list: cannot index it`, at, text, end);
        return undefined;
      }
      type = type.items;
      path.push(Number(index[1]));
      end += index[0].length;
    }
    offset += seg.length + 1;
  }
  return type && { path, type };
}

/** `raw` as a value of `target`; reports and returns undefined when it does not fit. */
export function resolveDataExpr(raw: unknown, target: TypeRef, scope: DataScope, at: Path): DataExpr | undefined {
  if (isDataRef(raw)) {
    const ref = resolveDataRef(raw, scope, at);
    if (!ref) return undefined;
    if (!assignable(ref.type, target)) {
      scope.ctx.error('ES3012', `\`${raw}\` is ${formatType(ref.type)}, which does not fit ${formatType(target)}${mismatchHint(ref.type, target)}`, at);
      return undefined;
    }
    return ref.expr;
  }
  if (isConst(raw)) return literal(raw['const'], target, scope, [...at, 'const']);
  const bare = target.kind === 'optional' ? target.type : target;
  if (isMapping(raw) && bare.kind === 'map') {
    if (containsDataRef(raw)) {
      scope.ctx.error('ES3012', 'a map is a literal: references inside it are not read; build it with `data: custom`', at);
      return undefined;
    }
    return literal(raw, target, scope, at);
  }
  if (isMapping(raw)) return construct(raw, target, scope, at);
  if (Array.isArray(raw) && containsDataRef(raw)) {
    scope.ctx.error('ES3012', 'a list is a literal: references inside it are not read; build it with `data: custom`', at);
    return undefined;
  }
  return literal(raw, target, scope, at);
}

/** `{ amount: $start.total.amount, currency: USD }`: every field of the record, omitted ones from their defaults. */
function construct(raw: Mapping, target: TypeRef, scope: DataScope, at: Path): DataExpr | undefined {
  const fields = constructRecord<DataExpr>(raw, target, scope, at, 'ES3029', (r, type, p) => resolveDataExpr(r, type, scope, p));
  return fields ? { kind: 'object', fields } : undefined;
}

// ---- sending a command --------------------------------------------------------------------

/** Where a send's keys are in the spec: `command` may be the whole value (`onCompleted: Order.ConfirmOrder`). */
export interface SendSpec {
  readonly command: unknown;
  readonly commandPath: Path;
  readonly to: unknown;
  readonly data: unknown;
  /** The mapping holding `to` and `data` (when the send is a mapping). */
  readonly path: Path;
}

/** The default target: `$sagaId` in a saga, `$aggregateId` in a reaction. */
export interface DefaultTarget {
  readonly text: string;
  readonly expr: DataExpr;
  readonly type: TypeRef;
}

/** Resolves a send whose command is already known; undefined when `to` or `data` is wrong (reported). */
export function resolveSend(spec: SendSpec, command: Command, fallback: DefaultTarget | undefined, scope: DataScope, lookup: MessageLookup): CommandSend | undefined {
  const { ctx } = scope;
  const toType = aggregateIdType(lookup, command.aggregateName);
  let to: DataExpr | undefined;
  if (spec.to !== undefined) {
    to = resolveDataExpr(spec.to, toType, scope, [...spec.path, 'to']);
  } else if (fallback && assignable(fallback.type, toType)) {
    to = fallback.expr;
  } else if (!fallback && scope.startUnresolved) {
    // The default is the saga id, which is unknown: the start event or correlation has its own error.
  } else {
    const why = fallback ? `it defaults to \`${fallback.text}\`, ${formatType(fallback.type)}, which does not fit` : 'there is no default for';
    ctx.error('ES3012', `set \`to\`, the id of the ${command.aggregateName} the command goes to: ${why} the ${command.aggregateName} id (${formatType(toType)})`, spec.commandPath);
  }
  const data = resolveData(spec, command, scope);
  if (!to || !data) return undefined;
  return { kind: 'commandSend', command, to, toType, data, loc: ctx.loc(spec.commandPath, 'value') };
}

/** `data`: custom, or a mapping of the command's latest-version fields; the others from their defaults. */
function resolveData(spec: SendSpec, command: Command, scope: DataScope): CommandData | undefined {
  const { ctx } = scope;
  const path = [...spec.path, 'data'];
  const raw = spec.data;
  if (raw === 'custom') return { kind: 'custom', loc: ctx.loc(path) };
  if (raw !== undefined && !isMapping(raw)) {
    ctx.error('ES2004', '`data` is `custom` or a mapping of command fields to expressions', path);
    return undefined;
  }
  const latest = command.versions[command.versions.length - 1];
  const fields = latest?.fields ?? [];
  const owner = latest?.typeName ?? command.name;
  const rules = isMapping(raw) ? raw : {};
  let ok = true;
  for (const [key] of entriesOf(rules)) {
    if (!fields.some((f) => f.name === key)) {
      if (ctx.unresolved.has(owner, key)) continue;
      ctx.error('ES3011', `${owner} has no field \`${key}\`${didYouMean(key, fields.map((f) => f.name))}`, [...path, key], 'key');
      ok = false;
    }
  }
  const assignments: DataAssignment[] = [];
  for (const field of fields) {
    if (has(rules, field.name)) {
      const at = [...path, field.name];
      const expr = resolveDataExpr(rules[field.name], field.type, scope, at);
      if (expr) assignments.push({ kind: 'dataAssignment', target: field, expr, loc: ctx.loc(at) });
      else ok = false;
      continue;
    }
    const d = scope.env.defaultOf(field);
    if (d) {
      assignments.push({ kind: 'dataAssignment', target: field, expr: { kind: 'literal', value: d.value }, loc: field.loc });
      continue;
    }
    ok = false;
    const where: Path = raw === undefined ? spec.commandPath : path;
    ctx.error(
      'ES3029',
      `\`${field.name}\` of ${command.aggregateName}.${command.name} has no value: it has no default, so \`data\` must give it (${scope.where})`,
      where,
      raw === undefined ? 'value' : 'key',
    );
  }
  return ok ? { kind: 'declarative', assignments, loc: raw === undefined ? ctx.loc(spec.commandPath, 'value') : ctx.loc(path) } : undefined;
}

/** A send written as `Aggregate.Command` or as a mapping with `command`, `to` and `data`. */
export function sendSpecOf(raw: unknown, path: Path): SendSpec {
  if (isMapping(raw)) return { command: get(raw, 'command'), commandPath: [...path, 'command'], to: get(raw, 'to'), data: get(raw, 'data'), path };
  return { command: raw, commandPath: path, to: undefined, data: undefined, path };
}
