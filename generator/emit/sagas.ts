// `<slug>/sagas.ts`: the typed layer of a domain's sagas, reactions and command receivers over
// the runtime (runtime/saga/typed.ts). Per saga: its context type (the start event and the event
// that completed each step), its definition for the SagaEngine (every command built from the
// spec's data mappings, type-checked here against the command's latest version) and the handlers
// a consumer of its events needs. Per reaction: a handler that writes its command to the outbox.
// Per aggregate with commands: the route a command consumer takes (decode, upcast, decide,
// append). Nothing is written for a domain without sagas, reactions or commands.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Command, CommandSend, DataExpr, DataSource, Domain, DomainEvent, Reaction, Saga, SagaStep, TypeRef } from '../core/model.js';
import { codecName, domainSlug } from '../core/names.js';
import { decideAggregateName, upcastCommandName } from '../core/names-commands.js';
import { kafkaTypeNames } from '../core/names-kafka.js';
import { formatType } from '../core/type-ref.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { sagaNames } from '../core/names-sagas.js';
import { customFilePath, customHeader, customModule, generatedModule } from './custom-files.js';
import { codecsEntry } from './repository.js';
import { tsConvert, tsLiteral } from './ts-expr.js';
import { lineComment, maxLineWidth, tsDoc, tsKey, tsString } from './ts-print.js';

const avroNs = 'avro';
const typesNs = 'types';
const kafkaNs = 'kafka';
const decidersNs = 'deciders';
const upcastersNs = 'upcasters';
const repositoryNs = 'repository';
const customNs = 'custom';

export const emitSagas: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => sagaFiles(domain, ctx));

export function sagasPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/sagas.ts`;
}

/** Relative to the custom folder. */
export function customSagasPath(domain: Domain): string {
  return customFilePath(domain, 'sagas');
}

// ---- building the file ------------------------------------------------------------------

interface Printer {
  readonly imports: Imports;
  readonly rt: string;
  readonly domain: Domain;
  readonly contentType: string;
  /** Custom hooks: function name → its signature (for the stub file). */
  readonly hooks: { readonly name: string; readonly params: string; readonly result: string; readonly what: string }[];
  readonly usesFailure: { value: boolean };
}

export function sagaFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  const withCommands = domain.aggregates.filter((a) => a.commands.length > 0);
  if (domain.sagas.length === 0 && domain.reactions.length === 0 && withCommands.length === 0) return [];
  const p: Printer = {
    imports: new Imports(),
    rt: ctx.options.runtimeModule,
    domain,
    contentType: domain.storage.encoding === 'avro' ? 'application/avro' : 'application/json',
    hooks: [],
    usesFailure: { value: false },
  };
  const sections: string[] = [];
  const targets = sentCommands(domain);
  if (targets.length) sections.push(`// ---- commands sent ----\n\n${targets.map((c) => commandTarget(c, p)).join('\n\n')}`);
  for (const saga of domain.sagas) sections.push(sagaSection(saga, p));
  if (domain.reactions.length) sections.push(reactionsSection(domain.reactions, p));
  if (withCommands.length) sections.push(commandsSection(withCommands, p));
  const spaces = [
    `import * as ${avroNs} from './avro.js';`,
    ...(withCommands.length ? [`import * as ${decidersNs} from './deciders.js';`] : []),
    `import type * as ${kafkaNs} from './kafka.js';`,
    ...(withCommands.length ? [`import type * as ${repositoryNs} from './repository.js';`] : []),
    `import type * as ${typesNs} from './types.js';`,
    ...(withCommands.length ? [`import * as ${upcastersNs} from './upcasters.js';`] : []),
    ...(p.hooks.length ? [`import * as ${customNs} from '${customModule(ctx.options, domain, 'sagas')}';`] : []),
  ];
  const doc = lineComment([
    `Sagas, reactions and command receivers of the \`${domain.name}\` domain, over the runtime's saga engine. ` +
      'Run a saga with its engine (`create<Saga>Engine`), a consumer of its events (`<saga>Handlers` for `createEventConsumer` ' +
      'of kafka.ts, in a consumer group of its own) and a SagaTimeoutPoller; run the receiving side with `createCommandConsumer`. ' +
      'Every command is written to the outbox in the transaction that decided it, and reaches Kafka through the relay.',
  ]);
  const content = `${bannerFor(domain, ctx)}\n\n${[p.imports.render(), ...spaces].join('\n')}\n\n${doc}\n\n${sections.join('\n\n')}\n`;
  const files: GeneratedFile[] = [{ path: sagasPath(domain), content }];
  if (p.hooks.length) files.push(customSagasFile(domain, p, ctx));
  return files;
}

/** Every command some saga or reaction sends, once, in spec order. */
function sentCommands(domain: Domain): Command[] {
  const seen = new Map<string, Command>();
  const add = (s: CommandSend | undefined): void => {
    if (s && !seen.has(s.command.ceType)) seen.set(s.command.ceType, s.command);
  };
  for (const saga of domain.sagas) {
    for (const step of saga.steps) {
      add(step.send);
      add(step.compensation?.send);
    }
    add(saga.onCompleted);
    add(saga.onCompensated);
  }
  for (const r of domain.reactions) add(r.send);
  return [...seen.values()];
}

function latest(c: Command): number {
  return c.versions[c.versions.length - 1]?.version ?? 1;
}

function commandTarget(c: Command, p: Printer): string {
  const type = `${p.imports.type(p.rt, 'CommandTarget')}<${typesNs}.${c.name}>`;
  return [
    tsDoc([`Sends \`${c.ceType}\` (version ${latest(c)}) on \`${c.topic}\` to ${c.aggregateName}.`]),
    `const ${sagaNames.target(c.name)}: ${type} = {`,
    `  type: ${tsString(c.ceType)},`,
    `  topic: ${tsString(c.topic)},`,
    `  aggregateType: ${tsString(c.aggregateName)},`,
    `  dataversion: ${latest(c)},`,
    `  codec: ${avroNs}.${codecName(c.name, latest(c))},`,
    `  datacontenttype: ${tsString(p.contentType)},`,
    '};',
  ].join('\n');
}

// ---- expressions ------------------------------------------------------------------------

/** How an expression reads its sources in one builder. */
interface Scope {
  /** The start event (`ctx.start`) in a saga builder. */
  readonly start: string;
  /** The event that completed a step (`stepEvent(ctx, 'reserveStock')`). */
  readonly step: (step: string) => string;
  /** The triggering event of a reaction (`event`). */
  readonly trigger: string;
  /** The aggregate id (text) of a source: `.aggregateId` of a saga's events, the CloudEvents subject of a reaction's. */
  readonly idOf: (source: string) => string;
  readonly listElement: string;
  /** Text of the saga id (a string) and its type. */
  readonly sagaId?: { readonly text: string; readonly type: TypeRef };
}

function sourceText(source: DataSource, scope: Scope): string {
  switch (source.kind) {
    case 'start':
      return scope.start;
    case 'step':
      return scope.step(source.step);
    case 'trigger':
      return scope.trigger;
  }
}

/** `text` (a string, as ids travel) as a value of `type`: an id of type int or long is converted. */
function fromIdText(text: string, type: TypeRef): string {
  if (type.kind === 'primitive' && type.name === 'long') return `BigInt(${text})`;
  if (type.kind === 'primitive' && type.name === 'int') return `Number(${text})`;
  return text;
}

/** A value of `type` as the text a Kafka key or subject is. */
function toIdText(text: string, type: TypeRef): string {
  if ((type.kind === 'primitive' && type.name === 'string') || (type.kind === 'logical' && type.name === 'uuid')) return text;
  return `String(${text})`;
}

function recordFields(type: TypeRef): readonly { readonly name: string; readonly type: TypeRef }[] {
  const t = type.kind === 'optional' ? type.type : type;
  if (t.kind === 'named' && t.type.kind === 'record') return t.type.fields;
  throw new Error(`an object expression needs a record target, got ${formatType(type)}`);
}

/** `expr` as a TypeScript expression of `target` (the resolver checked that it is assignable). */
function dataExpr(expr: DataExpr, target: TypeRef, scope: Scope, indent: string): string {
  switch (expr.kind) {
    case 'eventField':
      return tsConvert(fieldPath(`${sourceText(expr.source, scope)}.data`, expr.path, scope), expr.type, target);
    case 'aggregateId':
      return tsConvert(fromIdText(scope.idOf(sourceText(expr.source, scope)), expr.type), expr.type, target);
    case 'sagaId': {
      if (!scope.sagaId) throw new Error('$sagaId outside a saga');
      return tsConvert(fromIdText(scope.sagaId.text, expr.type), expr.type, target);
    }
    case 'literal':
      return tsLiteral(expr.value, target);
    case 'object': {
      const fields = recordFields(target);
      return objectLiteral(
        expr.fields.map((f) => {
          const field = fields.find((x) => x.name === f.name);
          if (!field) throw new Error(`no field ${f.name} in ${formatType(target)}`);
          return { key: f.name, value: (i: string) => dataExpr(f.expr, field.type, scope, i) };
        }),
        indent,
      );
    }
  }
}

/** `base.a.b`; a list index reads through the runtime's `listElement`, which fails loudly when the element is missing. */
function fieldPath(base: string, path: readonly (string | number)[], scope: Scope): string {
  let text = base;
  for (const part of path) text = typeof part === 'number' ? `${scope.listElement}(${text}, ${part})` : `${text}.${part}`;
  return text;
}

/** `{ a: 1, b: 2 }` when it fits in the line from `indent`, else one entry per line. */
function objectLiteral(entries: readonly { readonly key: string; readonly value: (indent: string) => string }[], indent: string): string {
  if (entries.length === 0) return '{}';
  const flat = `{ ${entries.map((e) => `${tsKey(e.key)}: ${e.value(indent)}`).join(', ')} }`;
  if (!flat.includes('\n') && indent.length + flat.length + 20 <= maxLineWidth) return flat;
  const inner = `${indent}  `;
  return `{\n${entries.map((e) => `${inner}${tsKey(e.key)}: ${e.value(inner)},\n`).join('')}${indent}}`;
}

/**
 * `sagaCommand(target, key, data)` of a send in `scope`, whose callback parameters are
 * `params`; a `data: custom` send calls the user's hook `hook` with them instead.
 */
interface Hook {
  readonly name: string;
  readonly params: string;
  readonly args: string;
  readonly what: string;
}

function exprsOf(send: CommandSend): DataExpr[] {
  return [send.to, ...(send.data.kind === 'declarative' ? send.data.assignments.map((a) => a.expr) : [])];
}

function hasListIndex(expr: DataExpr): boolean {
  if (expr.kind === 'eventField') return expr.path.some((part) => typeof part === 'number');
  return expr.kind === 'object' && expr.fields.some((f) => hasListIndex(f.expr));
}

function usesListIndex(saga: Saga): boolean {
  const sends = [...saga.steps.flatMap((s) => [s.send, ...(s.compensation ? [s.compensation.send] : [])]), ...(saga.onCompleted ? [saga.onCompleted] : []), ...(saga.onCompensated ? [saga.onCompensated] : [])];
  return sends.some((send) => exprsOf(send).some(hasListIndex));
}

function sendCall(send: CommandSend, scope: Scope, p: Printer, hook: Hook, indent: string): string {
  const target = sagaNames.target(send.command.name);
  const key = toIdText(dataExpr(send.to, send.toType, scope, indent), send.toType);
  let data: string;
  if (send.data.kind === 'custom') {
    p.hooks.push({ name: hook.name, params: hook.params, result: `${typesNs}.${send.command.name}`, what: hook.what });
    if (hook.params.includes('SagaFailure')) p.usesFailure.value = true;
    data = `${customNs}.${hook.name}(${hook.args})`;
  } else {
    const assignments = send.data.assignments;
    data = objectLiteral(
      assignments.map((a) => ({ key: a.target.name, value: (i: string) => dataExpr(a.expr, a.target.type, scope, i) })),
      indent,
    );
  }
  const call = `${p.imports.value(p.rt, 'sagaCommand')}(${target}, ${key}, ${data})`;
  if (!call.includes('\n') && indent.length + call.length <= maxLineWidth) return call;
  const inner = `${indent}  `;
  return `${p.imports.value(p.rt, 'sagaCommand')}(\n${inner}${target},\n${inner}${key},\n${inner}${data.replace(/\n/g, `\n  `)},\n${indent})`;
}

// ---- sagas ------------------------------------------------------------------------------

function typesOf(events: readonly DomainEvent[]): string {
  return `[${events.map((e) => tsString(e.ceType)).join(', ')}]`;
}

function dataUnion(events: readonly DomainEvent[]): string {
  return [...new Set(events.map((e) => `${typesNs}.${e.name}`))].join(' | ');
}

function sagaSection(saga: Saga, p: Printer): string {
  const contextType = sagaNames.contextType(saga.name);
  const stepsType = sagaNames.stepsType(saga.name);
  const sagaIdType = saga.correlation.type;
  const scope: Scope = {
    start: 'ctx.start',
    step: (s) => `${p.imports.value(p.rt, 'stepEvent')}(ctx, ${tsString(s)})`,
    trigger: 'ctx.start',
    idOf: (source) => `${source}.aggregateId`,
    listElement: 'listElement',
    sagaId: { text: 'ctx.sagaId', type: sagaIdType },
  };
  const failureType = 'SagaFailure';
  const hookFor = (part: string, what: string, failure = false): Hook => ({
    name: sagaNames.customData(saga.name, part),
    params: failure ? `ctx: ${contextType}, failure: ${failureType}` : `ctx: ${contextType}`,
    args: failure ? 'ctx, failure' : 'ctx',
    what,
  });
  if (usesListIndex(saga)) p.imports.value(p.rt, 'listElement');
  const steps = saga.steps.map((step) => stepLiteral(saga, step, scope, p, hookFor));
  const correlate =
    saga.correlation.kind === 'aggregateId'
      ? '(start) => start.aggregateId'
      : `(start) => ${toIdText(`start.data.${saga.correlation.path.join('.')}`, saga.correlation.type)}`;
  const codecEvents = new Map<string, DomainEvent>([[saga.startedBy.ceType, saga.startedBy]]);
  for (const step of saga.steps) for (const e of step.succeedsOn) codecEvents.set(e.ceType, e);
  const codecs = [...codecEvents.values()].map((e) => `    ${tsString(e.ceType)}: ${avroNs}.${codecName(e.name, e.versions[e.versions.length - 1]?.version ?? 1)},`);
  const finals: string[] = [];
  if (saga.onCompleted) finals.push(`  onCompleted: (ctx) =>\n    ${sendCall(saga.onCompleted, scope, p, hookFor('onCompleted', `the command ${saga.name} sends when it completes`), '    ')},`);
  if (saga.onCompensated) {
    const custom = saga.onCompensated.data.kind === 'custom';
    finals.push(
      `  onCompensated: (ctx${custom ? ', failure' : ''}) =>\n    ${sendCall(saga.onCompensated, scope, p, hookFor('onCompensated', `the command ${saga.name} sends after compensating`, true), '    ')},`,
    );
  }
  const stepEventsMembers = saga.steps.map((s) => `  readonly ${s.name}: ${dataUnion(s.succeedsOn)};`);
  const handlerGroups = new Map<string, Set<string>>();
  const listen = (e: DomainEvent): void => {
    const set = handlerGroups.get(e.aggregateName) ?? new Set<string>();
    set.add(e.name);
    handlerGroups.set(e.aggregateName, set);
  };
  listen(saga.startedBy);
  for (const step of saga.steps) {
    for (const e of [...step.succeedsOn, ...step.failsOn, ...(step.compensation?.succeedsOn ?? []), ...(step.compensation?.failsOn ?? [])]) listen(e);
  }
  const engineType = p.imports.type(p.rt, 'SagaEngine');
  const handlers = [...handlerGroups.entries()].map(([agg, names]) => `    ${agg}: { ${[...names].map((n) => `${n}: handle`).join(', ')} },`);
  return [
    `// ---- ${saga.name} ----`,
    '',
    tsDoc([`The events that complete each step of ${saga.name}, by step: what later commands may read.`]),
    `export type ${stepsType} = {`,
    ...stepEventsMembers,
    '};',
    '',
    tsDoc([
      `What the ${saga.name} saga knows: its id (${saga.correlation.kind === 'aggregateId' ? `the ${saga.startedBy.aggregateName} id of its start event` : `\`$.${saga.correlation.path.join('.')}\` of its start event`}), ` +
        `the \`${saga.startedBy.name}\` that started it, and the event that completed each step so far.`,
    ]),
    `export type ${contextType} = ${p.imports.type(p.rt, 'SagaContext')}<${typesNs}.${saga.startedBy.name}, ${stepsType}>;`,
    '',
    tsDoc([saga.doc, `The ${saga.name} saga as the engine runs it: steps in order, compensation in reverse.`]),
    `export const ${sagaNames.definition(saga.name)} = ${p.imports.value(p.rt, 'orchestration')}<${typesNs}.${saga.startedBy.name}, ${stepsType}>({`,
    `  name: ${tsString(saga.name)},`,
    `  startedBy: ${tsString(saga.startedBy.ceType)},`,
    `  correlate: ${correlate},`,
    '  codecs: {',
    ...codecs,
    '  },',
    '  steps: [',
    ...steps,
    '  ],',
    ...(saga.timeout ? [`  timeoutMs: ${saga.timeout.ms}, // ${saga.timeout.iso}`] : []),
    `  retry: { maxAttempts: ${saga.retry.maxAttempts}, backoffMs: ${saga.retry.backoff.ms} },`,
    ...finals,
    `  source: ${tsString(p.domain.source)},`,
    '});',
    '',
    tsDoc([
      `An engine running ${saga.name}. Give \`${sagaNames.handlers(saga.name)}(engine)\` to a consumer of its own group, and the engine ` +
        'to a SagaTimeoutPoller, which fires its stored deadlines.',
    ]),
    `export function ${sagaNames.createEngine(saga.name)}(options?: ${p.imports.type(p.rt, 'SagaEngineOptions')}): ${engineType}<${contextType}> {`,
    `  return new ${p.imports.value(p.rt, 'SagaEngine')}(${sagaNames.definition(saga.name)}, options);`,
    '}',
    '',
    tsDoc([`Handlers for \`createEventConsumer\` (kafka.ts) of every event ${saga.name} reads: its start event and the answers to its commands.`]),
    `export function ${sagaNames.handlers(saga.name)}(engine: ${engineType}<${contextType}>): ${kafkaNs}.${kafkaTypeNames.handlers} {`,
    '  const handle = engine.handler();',
    '  return {',
    ...handlers,
    '  };',
    '}',
  ].join('\n');
}

function stepLiteral(saga: Saga, step: SagaStep, scope: Scope, p: Printer, hookFor: (part: string, what: string, failure?: boolean) => Hook): string {
  const lines = [
    '    {',
    `      name: ${tsString(step.name)},`,
    `      command: (ctx) =>\n        ${sendCall(step.send, scope, p, hookFor(step.name, `the command of step ${step.name} of ${saga.name}`), '        ')},`,
    `      succeedsOn: ${typesOf(step.succeedsOn)},`,
    `      failsOn: ${typesOf(step.failsOn)},`,
  ];
  if (step.compensation) {
    const c = step.compensation;
    const custom = c.send.data.kind === 'custom';
    lines.push(
      `      compensation: (ctx${custom ? ', failure' : ''}) =>\n        ${sendCall(c.send, scope, p, hookFor(`${step.name}Compensation`, `the compensation of step ${step.name} of ${saga.name}`, true), '        ')},`,
      `      compensationSucceedsOn: ${typesOf(c.succeedsOn)},`,
      `      compensationFailsOn: ${typesOf(c.failsOn)},`,
    );
  }
  if (step.timeout) lines.push(`      timeoutMs: ${step.timeout.ms}, // ${step.timeout.iso}`);
  lines.push('    },');
  return lines.join('\n');
}

// ---- reactions --------------------------------------------------------------------------

function reactionsSection(reactions: readonly Reaction[], p: Printer): string {
  const out: string[] = ['// ---- reactions ----'];
  const byAggregate = new Map<string, Map<string, string[]>>();
  for (const r of reactions) {
    const scope: Scope = { start: 'event', step: () => 'event', trigger: 'event', idOf: (source) => `${source}.subject`, listElement: 'listElement' };
    if (exprsOf(r.send).some(hasListIndex)) p.imports.value(p.rt, 'listElement');
    const hook: Hook = {
      name: sagaNames.customData(r.name, 'command'),
      params: `event: ${p.imports.type(p.rt, 'CloudEvent')}<string, ${typesNs}.${r.on.name}>`,
      args: 'event',
      what: `the command of reaction ${r.name}`,
    };
    const call = sendCall(r.send, scope, p, hook, '    ');
    out.push(
      '',
      tsDoc([r.doc, `On \`${r.on.ceType}\`, sends \`${r.send.command.ceType}\` (written to the outbox with the event's processing).`]),
      `export const ${r.name} = ${p.imports.value(p.rt, 'reactionHandler')}<${typesNs}.${r.on.name}>(`,
      `  ${tsString(r.name)},`,
      `  (event) =>\n    ${call},`,
      `  ${tsString(p.domain.source)},`,
      ');',
    );
    const events = byAggregate.get(r.on.aggregateName) ?? new Map<string, string[]>();
    events.set(r.on.name, [...(events.get(r.on.name) ?? []), r.name]);
    byAggregate.set(r.on.aggregateName, events);
  }
  const groups = [...byAggregate.entries()].map(([agg, events]) => {
    const members = [...events.entries()].map(([event, names]) =>
      names.length === 1 ? `${event}: ${names[0]}` : `${event}: async (event, context) => {\n${names.map((n) => `        await ${n}(event, context);\n`).join('')}      }`,
    );
    return `    ${agg}: {\n${members.map((m) => `      ${m},\n`).join('')}    },`;
  });
  out.push(
    '',
    tsDoc(['Handlers of every reaction, for `createEventConsumer` (kafka.ts) in a consumer group of their own.']),
    `export function ${sagaNames.reactionHandlers}(): ${kafkaNs}.${kafkaTypeNames.handlers} {`,
    '  return {',
    ...groups,
    '  };',
    '}',
  );
  return out.join('\n');
}

// ---- receiving commands -----------------------------------------------------------------

function commandsSection(aggregates: readonly Aggregate[], p: Printer): string {
  const all = aggregates.flatMap((a) => a.commands);
  const map = [`export type ${sagaNames.commandsType} = {`, ...all.map((c) => `  ${tsString(c.ceType)}: ${typesNs}.${c.name};`), '};'];
  const repos = [
    `export type ${sagaNames.repositoriesType} = {`,
    ...aggregates.map((a) => `  readonly ${a.name}?: ${repositoryNs}.${a.name}Repository;`),
    '};',
  ];
  const routes = aggregates.map((a) => {
    const id = `(subject) => ${fromIdText('subject', a.idType)}`;
    const codecs = a.commands.map((c) => {
      const e = codecsEntry(c, (name) => `${avroNs}.${name}`, '                ');
      return `            ${e.key}: ${e.value},`;
    });
    return [
      `    ...(repositories.${a.name} === undefined`,
      '      ? []',
      '      : [',
      '          {',
      `            topic: ${tsString(a.commandTopic)},`,
      `            decoding: ${p.imports.value(p.rt, 'aggregateDecoding')}(`,
      '              {',
      ...codecs.map((l) => `    ${l}`),
      '              },',
      `              ${upcastersNs}.${upcastCommandName(a.name)},`,
      '            ),',
      `            handlers: ${p.imports.value(p.rt, 'commandHandlers')}(`,
      `              repositories.${a.name},`,
      `              ${decidersNs}.${decideAggregateName(a.name)},`,
      ...typeList(a.commands.map((c) => tsString(c.ceType)), '              '),
      `              ${id},`,
      '            ),',
      '          },',
      '        ]),',
    ].join('\n');
  });
  const runner = p.imports.type(p.rt, 'KafkaConsumerRunner');
  return [
    '// ---- receiving commands ----',
    '',
    tsDoc(["The topic of each aggregate's commands (create them with `ensureTopics`, like the event topics)."]),
    `export const ${sagaNames.commandTopics} = {`,
    ...aggregates.map((a) => `  ${a.name}: ${tsString(a.commandTopic)},`),
    '} as const;',
    '',
    tsDoc(['Every command of the domain by CloudEvents type, at its latest version.']),
    ...map,
    '',
    tsDoc(['The repositories of the aggregates whose commands a consumer receives.']),
    ...repos,
    '',
    tsDoc([
      'A consumer of the command topics of the aggregates in `repositories`: each command is decoded in its writer version, ' +
        "upcast, decided by the aggregate's `decide` (deciders.ts) on the aggregate's current state, and the events are appended " +
        "with the command as their cause, in the transaction that marks the command processed: once in effect. A command " +
        'decided on a stale state (another writer appended first) is decided again.',
    ]),
    `export function ${sagaNames.createCommandConsumer}(`,
    `  options: ${p.imports.type(p.rt, 'DomainConsumerOptions')}<${sagaNames.commandsType}>,`,
    `  repositories: ${sagaNames.repositoriesType},`,
    `): ${runner}<${sagaNames.commandsType}> {`,
    `  return ${p.imports.value(p.rt, 'commandConsumer')}(options, [`,
    ...routes,
    '  ]);',
    '}',
  ].join('\n');
}

/** `prefix` + parameters + `suffix`, one parameter per line when too long. */
function signatureLine(prefix: string, params: readonly string[], suffix: string): string {
  const flat = `${prefix}${params.join(', ')}${suffix}`;
  return flat.length <= maxLineWidth ? flat : `${prefix}\n${params.map((x) => `  ${x},\n`).join('')}${suffix}`;
}

/** `[a, b],` on one line at `indent` when it fits, else one item per line. */
function typeList(items: readonly string[], indent: string): string[] {
  const flat = `${indent}[${items.join(', ')}],`;
  if (flat.length <= maxLineWidth) return [flat];
  return [`${indent}[`, ...items.map((i) => `${indent}  ${i},`), `${indent}],`];
}

// ---- the user-owned hooks ---------------------------------------------------------------

function customSagasFile(domain: Domain, p: Printer, ctx: EmitContext): GeneratedFile {
  const stubs = p.hooks.map((h) =>
    [tsDoc([`Builds the data of ${h.what} (\`data: custom\`).`]), signatureLine(`export function ${h.name}(`, h.params.split(', '), `): ${h.result} {`), '}'].join('\n'),
  );
  const runtimeTypes = [
    ...(p.hooks.some((h) => h.params.includes('CloudEvent<')) ? ['CloudEvent'] : []),
    ...(p.usesFailure.value ? ['SagaFailure'] : []),
  ];
  const contextTypes = [...new Set(p.hooks.map((h) => /ctx: (\w+)/.exec(h.params)?.[1]).filter((x): x is string => x !== undefined))].sort();
  const imports = [
    ...(runtimeTypes.length ? [`import type { ${runtimeTypes.join(', ')} } from '${p.rt}';`] : []),
    ...(contextTypes.length ? [`import type { ${contextTypes.join(', ')} } from '${generatedModule(ctx.options, domain, 'sagas')}';`] : []),
    `import type * as ${typesNs} from '${generatedModule(ctx.options, domain, 'types')}';`,
  ];
  const header = customHeader(domain, {
    what: 'saga and reaction data',
    marker: '`data: custom`',
    subject: 'the data of each command its sagas and reactions send with `data: custom`',
    generated: generatedModule(ctx.options, domain, 'sagas', '.ts'),
    typesFrom: `${generatedModule(ctx.options, domain, 'types')} and ${generatedModule(ctx.options, domain, 'sagas')}`,
    shape: 'export function <saga><Step>Data(ctx: <Saga>Context): types.<Command> { … }',
  });
  return { path: customSagasPath(domain), content: `${header}\n\n${imports.join('\n')}\n\n${stubs.join('\n\n')}\n`, userOwned: true };
}
