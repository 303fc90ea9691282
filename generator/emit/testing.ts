// `<slug>/testing.ts`: the domain's test kit, bound to its types. Per aggregate a reducer kit
// (stored events of any version → state, through the generated upcaster) and an upcaster kit,
// and with commands a decider kit (given events, when a command, then events or thenThrows);
// per saga a factory of an in-memory saga kit on the engine's state machine, its replies and
// commands typed, its commands decoded with the domain's codecs. All of them are the generic
// kits of `eventsmith/testing` over the generated functions, so what a test runs is what
// production runs. Imports go through module namespaces, so no spec name can shadow a kit.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Domain, DomainEvent, Saga, TypeRef } from '../core/model.js';
import { anyVersionUnionTypeName, camelCase, domainSlug, eventUnionTypeName, idTypeName, stateTypeName } from '../core/names.js';
import { commandCodecsName, commandUnionTypeName, decideAggregateName } from '../core/names-commands.js';
import { evolveName, initialStateName, upcastEventName } from '../core/names-evolution.js';
import { sagaNames } from '../core/names-sagas.js';
import { testingNames } from '../core/names-testing.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { lineComment, tsDoc, tsString } from './ts-print.js';

export { testingNames };

export interface KitConstView {
  readonly doc: string;
  readonly name: string;
  readonly type: string;
  readonly init: string;
}

export interface SagaKitView {
  readonly name: string;
  readonly events: { readonly doc: string; readonly name: string; readonly entries: readonly { readonly key: string; readonly type: string }[] };
  readonly commands: { readonly doc: string; readonly name: string; readonly entries: readonly { readonly key: string; readonly type: string }[] };
  readonly factory: { readonly doc: string; readonly name: string; readonly options: string; readonly result: string; readonly body: string };
}

export interface TestingView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly aggregates: readonly { readonly name: string; readonly kits: readonly KitConstView[] }[];
  readonly sagas: readonly SagaKitView[];
}

export const emitTesting: Emitter = (ctx) => ctx.model.domains.map((domain) => testingFile(domain, ctx));

export function testingPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/testing.ts`;
}

/** `eventsmith/runtime` → `eventsmith/testing`; a runtime module of another name keeps its folder. */
export function testingModuleOf(runtimeModule: string): string {
  return runtimeModule.endsWith('/runtime') ? `${runtimeModule.slice(0, -'/runtime'.length)}/testing` : `${runtimeModule.replace(/\/[^/]*$/, '')}/testing`;
}

function testingFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: testingPath(domain), content: ctx.templates.render('testing.ts.hbs', testingView(domain, ctx.options.runtimeModule, bannerFor(domain, ctx))) };
}

/** The aggregate id a decider kit addresses commands to unless a test gives one. */
function defaultId(t: TypeRef): string {
  if (t.kind === 'primitive' && t.name === 'long') return '1n';
  if (t.kind === 'primitive' && t.name === 'int') return '1';
  return tsString('00000000-0000-4000-8000-000000000001');
}

export function testingView(domain: Domain, runtimeModule: string, bannerText: string): TestingView {
  const imports = new Imports();
  const kit = testingModuleOf(runtimeModule);
  // Generated modules by namespace (Imports prints named imports only); a value use wins over a type use.
  const spaces = new Map<string, { readonly name: string; typeOnly: boolean }>();
  const ns = (module: string, name: string, typeOnly = false): string => {
    const known = spaces.get(module);
    if (known === undefined) spaces.set(module, { name, typeOnly });
    else known.typeOnly = known.typeOnly && typeOnly;
    return name;
  };
  const t = (name: string): string => `${ns('./types.js', 'types', true)}.${name}`;
  const aggregates = domain.aggregates.map((agg) => ({ name: agg.name, kits: aggregateKits(agg, imports, kit, ns, t) }));
  const sagas = domain.sagas.map((saga) => sagaView(saga, imports, kit, ns, t));
  return {
    banner: bannerText,
    doc: lineComment([
      `Test kits of the \`${domain.name}\` domain: given / when / then over the generated deciders, reducers, upcasters and sagas, typed from the spec (a wrong event type or field does not compile).`,
      'They need neither PostgreSQL nor Kafka, and throw an AssertionError with a diff, so they work under vitest, jest and node:test alike.',
    ]),
    aggregates,
    sagas,
    imports: [
      imports.render(),
      ...[...spaces].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([module, { name, typeOnly }]) => `import ${typeOnly ? 'type ' : ''}* as ${name} from '${module}';`),
    ].join('\n'),
  };
}

type Ns = (module: string, name: string, typeOnly?: boolean) => string;

function aggregateKits(agg: Aggregate, imports: Imports, kit: string, ns: Ns, t: (name: string) => string): KitConstView[] {
  const state = t(stateTypeName(agg.name));
  const latest = t(eventUnionTypeName(agg.name));
  const stored = t(anyVersionUnionTypeName(agg.name));
  const reducers = ns('./reducers.js', 'reducers');
  const upcasters = ns('./upcasters.js', 'upcasters');
  const kits: KitConstView[] = [];
  if (agg.commands.length > 0) {
    const deciders = ns('./deciders.js', 'deciders');
    kits.push({
      doc: tsDoc([
        `${agg.name}'s decider: \`${testingNames.decider(agg.name)}.given(...events).when(command).then(...events)\`, or \`.thenThrows(...)\`. ` +
          `Events and commands at their latest versions; the history is applied with the generated reducer. Commands go to ${agg.name} \`${defaultId(agg.idType)}\` unless \`when(command, { aggregateId })\` says otherwise.`,
      ]),
      name: testingNames.decider(agg.name),
      type: `${imports.type(kit, 'DeciderKit')}<${state}, ${latest}, ${t(commandUnionTypeName(agg.name))}, ${t(idTypeName(agg.name))}>`,
      init: `${imports.value(kit, 'deciderKit')}({\n  name: ${tsString(agg.name)},\n  initialState: ${reducers}.${initialStateName(agg.name)},\n  evolve: ${reducers}.${evolveName(agg.name)},\n  decide: ${deciders}.${decideAggregateName(agg.name)},\n  aggregateId: ${defaultId(agg.idType)},\n})`,
    });
  }
  kits.push({
    doc: tsDoc([
      `${agg.name}'s reducer: \`${testingNames.reducer(agg.name)}.given(...storedEvents).then(state)\`. Events of any stored version (\`{ type, dataVersion, data }\`) are upcast as the repository upcasts them, then applied.`,
    ]),
    name: testingNames.reducer(agg.name),
    type: `${imports.type(kit, 'ReducerKit')}<${state}, ${stored}>`,
    init: `${imports.value(kit, 'reducerKit')}({\n  name: ${tsString(agg.name)},\n  initialState: ${reducers}.${initialStateName(agg.name)},\n  evolve: ${reducers}.${evolveName(agg.name)},\n  upcast: ${upcasters}.${upcastEventName(agg.name)},\n})`,
  });
  kits.push({
    doc: tsDoc([`${agg.name}'s upcasters: \`${testingNames.upcaster(agg.name)}.upcast({ type, dataVersion: 1, data }).to(latestEvent)\`, the expected event checked against the latest type.`]),
    name: testingNames.upcaster(agg.name),
    type: `${imports.type(kit, 'UpcasterKit')}<${latest}, ${stored}>`,
    init: `${imports.value(kit, 'upcasterKit')}(${tsString(agg.name)}, ${upcasters}.${upcastEventName(agg.name)})`,
  });
  return kits;
}

function sagaView(saga: Saga, imports: Imports, kit: string, ns: Ns, t: (name: string) => string): SagaKitView {
  const answers = new Map<string, DomainEvent>();
  const commands = new Map<string, string>();
  const addCommand = (c: { readonly ceType: string; readonly name: string }): void => {
    if (!commands.has(c.ceType)) commands.set(c.ceType, c.name);
  };
  for (const step of saga.steps) {
    for (const e of [...step.succeedsOn, ...step.failsOn, ...(step.compensation?.succeedsOn ?? []), ...(step.compensation?.failsOn ?? [])]) if (!answers.has(e.ceType)) answers.set(e.ceType, e);
    addCommand(step.send.command);
    if (step.compensation) addCommand(step.compensation.send.command);
  }
  if (saga.onCompleted) addCommand(saga.onCompleted.command);
  if (saga.onCompensated) addCommand(saga.onCompensated.command);
  const sagas = ns('./sagas.js', 'sagas');
  const avro = ns('./avro.js', 'avro');
  const eventsName = testingNames.sagaEvents(saga.name);
  const commandsName = testingNames.sagaCommands(saga.name);
  const result = `${imports.type(kit, 'SagaKit')}<${sagas}.${sagaNames.contextType(saga.name)}, ${t(saga.startedBy.name)}, ${eventsName}, ${commandsName}>`;
  return {
    name: saga.name,
    events: {
      doc: tsDoc([`The events that answer ${saga.name}'s commands, by CloudEvents type, at their latest versions: what \`reply(type, data)\` takes.`]),
      name: eventsName,
      entries: [...answers].map(([type, e]) => ({ key: tsString(type), type: t(e.name) })),
    },
    commands: {
      doc: tsDoc([`The commands ${saga.name} sends, by CloudEvents type: what \`expectSent({ type, key, data })\` compares.`]),
      name: commandsName,
      entries: [...commands].map(([type, name]) => ({ key: tsString(type), type: t(name) })),
    },
    factory: {
      doc: tsDoc([
        `A ${saga.name} saga in memory, on the saga engine's own state machine: \`start(data, { aggregateId })\`, then \`expectSent(...)\`, \`reply(type, data)\`, \`advance(ms)\` (stored deadlines fire as the poller fires them: resends, timeouts, compensations, parking), \`resume()\`, \`expectStatus(status, step)\`. ` +
          'The clock starts at `options.now` (default 2030-01-01T00:00:00Z); the commands it sends are decoded with the domain\'s codecs.',
      ]),
      name: testingNames.sagaKit(saga.name),
      options: `options: ${imports.type(kit, 'SagaKitOptions')} = {}`,
      result,
      body: `return ${imports.value(kit, 'sagaKit')}(${sagas}.${sagaNames.definition(saga.name)}, { ...options, commandCodecs: ${avro}.${commandCodecsName} });`,
    },
  };
}
