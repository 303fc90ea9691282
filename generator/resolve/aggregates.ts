// Aggregates, their events and commands, and their versions. Done in two passes:
// `declareAggregate` resolves every field (so defaults can be checked across the whole domain),
// then `buildAggregate` resolves apply and upcast rules, which read those fields and their
// defaults, and each command's `emits`, which names the aggregate's events.
import type { Aggregate, Apply, Assignment, Command, CommandVersion, DomainEvent, EventVersion, Field, SourceLocation, TypeRef, Upcast } from '../core/model.js';
import { ceType, defaultTopic, didYouMean, nameProblem, stateTypeName, topicProblem, versionTypeName } from '../core/names.js';
import { commandCeType, defaultCommandTopic } from '../core/names-commands.js';
import { asString, describeValue, entriesOf, get, has, isMapping, type Mapping, type Path, type SpecContext } from './context.js';
import type { ValueEnv } from './defaults.js';
import { assignable, resolveExpr, resolveRule, type ExprScope } from './expr.js';
import { formatType } from './type-expr.js';
import { resolveFields, type TypeScope } from './types.js';

export interface VersionDraft {
  readonly version: number;
  readonly fields: readonly Field[];
  readonly spec: Mapping;
  readonly path: Path;
  readonly typeName: string;
}

export interface EventDraft {
  readonly name: string;
  readonly spec: Mapping;
  readonly path: Path;
  readonly ceType: string;
  readonly versions: readonly VersionDraft[];
}

/** A command before its upcasts and `emits` are resolved; versions as for events. */
export type CommandDraft = EventDraft;

export interface AggregateDraft {
  readonly name: string;
  readonly spec: Mapping;
  readonly path: Path;
  readonly idType: TypeRef;
  readonly topic: string;
  readonly commandTopic: string;
  readonly state: readonly Field[];
  readonly events: readonly EventDraft[];
  readonly commands: readonly CommandDraft[];
  readonly snapshotEvery?: number;
}

const idTypes: Readonly<Record<string, TypeRef>> = {
  uuid: { kind: 'logical', name: 'uuid' },
  string: { kind: 'primitive', name: 'string' },
  long: { kind: 'primitive', name: 'long' },
  int: { kind: 'primitive', name: 'int' },
};

export function declareAggregate(domain: string, name: string, spec: unknown, path: Path, scope: TypeScope): AggregateDraft | undefined {
  const { ctx } = scope;
  const problem = nameProblem('aggregate', name);
  if (problem) ctx.error('ES3007', problem, path, 'key');
  if (!isMapping(spec)) {
    ctx.error('ES2004', 'an aggregate is a mapping with `events` (and optionally id, topic, state)', path);
    return undefined;
  }
  const rawId = get(spec, 'id') ?? 'uuid';
  const idType = typeof rawId === 'string' && Object.prototype.hasOwnProperty.call(idTypes, rawId) ? idTypes[rawId] : undefined;
  if (!idType) {
    ctx.error('ES3018', `aggregate id type must be uuid, string, long or int, got ${describeValue(rawId)}`, [...path, 'id']);
  }
  const rawTopic = get(spec, 'topic');
  let topic = defaultTopic(domain, name);
  if (rawTopic !== undefined) {
    if (typeof rawTopic !== 'string') ctx.error('ES3015', `topic must be a string, got ${describeValue(rawTopic)}`, [...path, 'topic']);
    else {
      topic = rawTopic;
      const bad = topicProblem(topic);
      if (bad) ctx.error('ES3015', bad, [...path, 'topic']);
    }
  } else {
    const bad = topicProblem(topic);
    if (bad) ctx.error('ES3015', `default ${bad}; set \`topic\``, path, 'key');
  }
  const state = resolveFields(get(spec, 'state'), [...path, 'state'], stateTypeName(name), scope);
  const events: EventDraft[] = [];
  const rawEvents = get(spec, 'events');
  if (!isMapping(rawEvents) || Object.keys(rawEvents).length === 0) {
    ctx.error('ES2003', `aggregate ${name} needs at least one event under \`events\``, path, 'key');
  }
  for (const [eventName, eventSpec] of entriesOf(rawEvents)) {
    const event = declareMessage('event', eventName, eventSpec, [...path, 'events', eventName], scope, ceType(domain, name, eventName));
    if (event) events.push(event);
  }
  const commands: CommandDraft[] = [];
  const rawCommands = get(spec, 'commands');
  if (rawCommands !== undefined && !isMapping(rawCommands)) ctx.error('ES2004', 'commands must be a mapping of command names to commands', [...path, 'commands']);
  for (const [commandName, commandSpec] of entriesOf(rawCommands)) {
    const command = declareMessage('command', commandName, commandSpec, [...path, 'commands', commandName], scope, commandCeType(domain, name, commandName));
    if (command) commands.push(command);
  }
  const commandTopic = resolveCommandTopic(get(spec, 'commandTopic'), topic, path, ctx);
  const snapshotEvery = resolveSnapshotEvery(get(spec, 'snapshotEvery'), [...path, 'snapshotEvery'], ctx);
  return {
    name,
    spec,
    path,
    idType: idType ?? idTypes['uuid'] ?? { kind: 'logical', name: 'uuid' },
    topic,
    commandTopic,
    state,
    events,
    commands,
    ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
  };
}

function resolveCommandTopic(raw: unknown, topic: string, path: Path, ctx: SpecContext): string {
  if (raw === undefined) {
    const derived = defaultCommandTopic(topic);
    // An invalid event topic has its own error; only a valid one made too long is reported here.
    const bad = topicProblem(topic) === undefined ? topicProblem(derived) : undefined;
    if (bad) ctx.error('ES3015', `default command ${bad}; set \`commandTopic\``, path, 'key');
    return derived;
  }
  if (typeof raw !== 'string') {
    ctx.error('ES3015', `commandTopic must be a string, got ${describeValue(raw)}`, [...path, 'commandTopic']);
    return defaultCommandTopic(topic);
  }
  const bad = topicProblem(raw);
  if (bad) ctx.error('ES3015', bad, [...path, 'commandTopic']);
  return raw;
}

/** Stream versions are PostgreSQL integers, so the interval is one too. */
const maxSnapshotEvery = 2_147_483_647;

function resolveSnapshotEvery(raw: unknown, path: Path, ctx: SpecContext): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1 && raw <= maxSnapshotEvery) return raw;
  ctx.error('ES2005', `snapshotEvery must be a whole number of events from 1 to ${maxSnapshotEvery}, got ${describeValue(raw)}`, path);
  return undefined;
}

/** An event or a command: a name, versions with fields, and its CloudEvents type. */
function declareMessage(what: 'event' | 'command', name: string, spec: unknown, path: Path, scope: TypeScope, type: string): EventDraft | undefined {
  const { ctx } = scope;
  const problem = nameProblem(what, name);
  if (problem) ctx.error('ES3007', problem, path, 'key');
  if (!isMapping(spec)) {
    ctx.error('ES2004', `${what === 'event' ? 'an event' : 'a command'} is a mapping with \`versions\``, path);
    return undefined;
  }
  const rawVersions = get(spec, 'versions');
  const versions: VersionDraft[] = [];
  if (!Array.isArray(rawVersions) || rawVersions.length === 0) {
    const where: Path = Array.isArray(rawVersions) ? [...path, 'versions'] : path;
    ctx.error('ES3013', `${what} ${name} has no versions; list at least one under \`versions\``, where, 'key');
  } else {
    rawVersions.forEach((v: unknown, i) => {
      const vpath = [...path, 'versions', i];
      if (!isMapping(v)) {
        ctx.error('ES2004', `${what === 'event' ? 'an event' : 'a command'} version is a mapping with \`fields\``, vpath);
        return;
      }
      const version = i + 1;
      if (version === 1 && has(v, 'upcast')) {
        ctx.error('ES3020', 'version 1 has no earlier version to upcast from; remove `upcast`', [...vpath, 'upcast'], 'key');
      }
      const typeName = versionTypeName(name, version);
      // Inline enums are named after the event, not the version: Avro resolves a reader's enum
      // against the writer's by name, so the name must stay the same from version to version.
      const fields = resolveFields(get(v, 'fields'), [...vpath, 'fields'], name, scope, typeName);
      versions.push({ version, fields, spec: v, path: vpath, typeName });
    });
  }
  return { name, spec, path, ceType: type, versions };
}

/** Second pass: apply and upcast rules, then the frozen-to-be nodes. */
export function buildAggregate(d: AggregateDraft, ctx: SpecContext, env: ValueEnv): Aggregate {
  checkStateDefaults(d, ctx, env);
  const events = d.events.map((e) => buildEvent(d, e, ctx, env));
  const commands = d.commands.map((c) => buildCommand(d, c, events, ctx, env));
  const doc = asString(get(d.spec, 'doc'));
  return {
    kind: 'aggregate',
    name: d.name,
    idType: d.idType,
    topic: d.topic,
    state: d.state,
    events,
    commandTopic: d.commandTopic,
    commands,
    ...(d.snapshotEvery !== undefined ? { snapshotEvery: d.snapshotEvery } : {}),
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(d.path),
  };
}

/**
 * The initial state of an aggregate (generated reducers) is made of its state fields'
 * defaults, so each needs one; `T?` fields have an implicit null default.
 */
function checkStateDefaults(d: AggregateDraft, ctx: SpecContext, env: ValueEnv): void {
  const specs = get(d.spec, 'state');
  for (const field of d.state) {
    if (env.defaultOf(field)) continue;
    // A default that is there but wrong has its own error already.
    const spec = isMapping(specs) ? get(specs, field.name) : undefined;
    if (isMapping(spec) && has(spec, 'default')) continue;
    ctx.error(
      'ES3023',
      `state field \`${field.name}\` of ${d.name} needs a default: the initial state is made of the defaults; add \`default:\` or make it optional (\`${formatType(field.type)}?\`)`,
      [...d.path, 'state', field.name],
      'key',
    );
  }
}

/** The versions of an event or a command, each with its upcast from the one before. */
function buildVersions<K extends 'eventVersion' | 'commandVersion'>(kind: K, e: EventDraft, ctx: SpecContext, env: ValueEnv) {
  return e.versions.map((v, i) => {
    const prev = i > 0 ? e.versions[i - 1] : undefined;
    const upcast = prev ? buildUpcast(prev, v, ctx, env) : undefined;
    const doc = asString(get(v.spec, 'doc'));
    return {
      kind,
      version: v.version,
      fields: v.fields,
      ...(upcast ? { upcast } : {}),
      ...(doc !== undefined ? { doc } : {}),
      typeName: v.typeName,
      loc: ctx.loc(v.path, 'value'),
    };
  });
}

function buildEvent(agg: AggregateDraft, e: EventDraft, ctx: SpecContext, env: ValueEnv): DomainEvent {
  const versions: EventVersion[] = buildVersions('eventVersion', e, ctx, env);
  const doc = asString(get(e.spec, 'doc'));
  return {
    kind: 'event',
    name: e.name,
    aggregateName: agg.name,
    ceType: e.ceType,
    versions,
    apply: buildApply(agg, e, ctx, env),
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(e.path),
  };
}

function buildCommand(agg: AggregateDraft, c: CommandDraft, events: readonly DomainEvent[], ctx: SpecContext, env: ValueEnv): Command {
  const versions: CommandVersion[] = buildVersions('commandVersion', c, ctx, env);
  const emits: DomainEvent[] = [];
  const rawEmits = get(c.spec, 'emits');
  const path = [...c.path, 'emits'];
  if (!Array.isArray(rawEmits) || rawEmits.length === 0) {
    ctx.error('ES2003', `command ${c.name} needs \`emits\`: the events of ${agg.name} its decider may return`, Array.isArray(rawEmits) ? path : c.path, 'key');
  } else {
    rawEmits.forEach((raw: unknown, i) => {
      const at = [...path, i];
      const event = typeof raw === 'string' ? events.find((e) => e.name === raw) : undefined;
      if (!event) {
        const other = typeof raw === 'string' && /^[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*$/.test(raw) ? ` (a command emits events of its own aggregate: write the event name alone)` : '';
        const hint = typeof raw === 'string' ? didYouMean(raw, events.map((e) => e.name)) : '';
        const shown = typeof raw === 'string' ? `\`${raw}\`` : describeValue(raw);
        ctx.error('ES3010', `${agg.name} has no event ${shown}${other}${hint}`, at);
      } else if (emits.includes(event)) {
        ctx.error('ES3008', `event \`${event.name}\` is listed twice in \`emits\``, at);
      } else emits.push(event);
    });
  }
  const doc = asString(get(c.spec, 'doc'));
  return {
    kind: 'command',
    name: c.name,
    aggregateName: agg.name,
    ceType: c.ceType,
    topic: agg.commandTopic,
    versions,
    emits,
    ...(doc !== undefined ? { doc } : {}),
    loc: ctx.loc(c.path),
  };
}

function buildApply(agg: AggregateDraft, e: EventDraft, ctx: SpecContext, env: ValueEnv): Apply {
  const path = [...e.path, 'apply'];
  const raw = get(e.spec, 'apply');
  if (raw === undefined) return { kind: 'none' };
  const loc = ctx.loc(path);
  if (raw === 'custom') return { kind: 'custom', loc };
  if (!isMapping(raw)) {
    ctx.error('ES2004', 'apply is `custom` or a mapping of state fields to rules', path);
    return { kind: 'custom', loc };
  }
  const latest = e.versions[e.versions.length - 1];
  const scope: ExprScope = { ctx, env, source: latest?.fields ?? [], sourceName: latest?.typeName ?? e.name };
  const assignments: Assignment[] = [];
  for (const [key, value] of entriesOf(raw)) {
    const at = [...path, key];
    const target = agg.state.find((f) => f.name === key);
    if (!target) {
      if (ctx.unresolved.has(stateTypeName(agg.name), key)) continue;
      const hint = didYouMean(key, agg.state.map((f) => f.name));
      ctx.error('ES3011', `${stateTypeName(agg.name)} has no field \`${key}\`${hint}`, at, 'key');
      continue;
    }
    const rule = resolveRule(value, target, scope, at);
    if (!rule) continue;
    assignments.push(assignment(target, rule.op, rule.expr, ctx.loc(at), rule.spread));
  }
  return { kind: 'declarative', assignments, loc };
}

function assignment(target: Field, op: Assignment['op'], expr: Assignment['expr'], loc: SourceLocation, spread?: boolean): Assignment {
  return { kind: 'assignment', target, op, expr, ...(spread !== undefined ? { spread } : {}), loc };
}

function buildUpcast(prev: VersionDraft, v: VersionDraft, ctx: SpecContext, env: ValueEnv): Upcast {
  const path = [...v.path, 'upcast'];
  const raw = get(v.spec, 'upcast');
  const loc = raw === undefined ? ctx.loc(v.path, 'value') : ctx.loc(path);
  if (raw === 'custom') return { kind: 'custom', loc };
  if (raw !== undefined && !isMapping(raw)) {
    ctx.error('ES2004', 'upcast is `custom` or a mapping of new fields to expressions', path);
    return { kind: 'custom', loc };
  }
  const rules: Mapping = isMapping(raw) ? raw : {};
  for (const [key] of entriesOf(rules)) {
    if (!v.fields.some((f) => f.name === key) && !ctx.unresolved.has(v.typeName, key)) {
      const hint = didYouMean(key, v.fields.map((f) => f.name));
      ctx.error('ES3011', `${v.typeName} has no field \`${key}\`${hint}`, [...path, key], 'key');
    }
  }
  const scope: ExprScope = { ctx, env, source: prev.fields, sourceName: prev.typeName };
  const assignments: Assignment[] = [];
  for (const field of v.fields) {
    if (has(rules, field.name)) {
      const at = [...path, field.name];
      const expr = resolveExpr(rules[field.name], field.type, scope, at);
      if (expr) assignments.push(assignment(field, 'set', expr, ctx.loc(at)));
      continue;
    }
    // Not listed: copied by name (or by a former name in `aliases`), else its default.
    const source = prev.fields.find((f) => f.name === field.name) ?? prev.fields.find((f) => field.aliases.includes(f.name));
    if (!source && [field.name, ...field.aliases].some((n) => ctx.unresolved.has(prev.typeName, n))) continue;
    if (source) {
      if (assignable(source.type, field.type)) {
        assignments.push(assignment(field, 'set', { kind: 'ref', path: [source.name], type: source.type }, field.loc));
      } else {
        ctx.error(
          'ES3012',
          `\`${field.name}\` is ${formatType(source.type)} in ${prev.typeName} and ${formatType(field.type)} in ${v.typeName}, which it does not fit; give it an upcast rule`,
          pathOf(field, v),
          'key',
        );
      }
      continue;
    }
    const d = env.defaultOf(field);
    if (d) {
      assignments.push(assignment(field, 'set', { kind: 'literal', value: d.value }, field.loc));
      continue;
    }
    ctx.error(
      'ES3014',
      `\`${field.name}\` of ${v.typeName} has no source: ${prev.typeName} has no field \`${field.name}\` and it has no default; add \`upcast: { ${field.name}: ... }\` or a default`,
      pathOf(field, v),
      'key',
    );
  }
  return { kind: 'declarative', assignments, loc };
}

function pathOf(field: Field, v: VersionDraft): Path {
  return [...v.path, 'fields', field.name];
}
