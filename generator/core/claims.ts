// Every module-scope identifier a domain's generated TypeScript declares or imports, with the
// spec node that causes it. The files of a domain (types, envelopes, avro, upcasters, reducers,
// repository, deciders, custom/*) import from one another by name, so their names form one
// namespace: two equal names in this list are a collision, reported by resolve/claims.ts at the
// spec line of the second. kafka.ts and sagas.ts read the others through namespace imports and
// have tables of their own (kafkaScopeClaims below, resolve/saga-names.ts).
//
// To add an artifact: add its names here, beside the emitter that prints them. The test
// test/resolve/claims.test.ts extracts every top-level name of generated output and fails for any
// name this list misses, so a forgotten claim is a failing test, not uncompilable output.
import type { Aggregate, Command, Domain, DomainEvent, NamedType, Projection, SourceLocation } from './model.js';
import {
  anyVersionUnionTypeName,
  avroSchemaConstName,
  codecName,
  enumSymbolsName,
  envelopeConstructorName,
  envelopeGuardsName,
  envelopeTypeName,
  envelopeUnionTypeName,
  eventTypesConstName,
  eventUnionTypeName,
  fingerprintConstName,
  idTypeName,
  parseEnvelopeFunctionName,
  stateTypeName,
  versionMapTypeName,
} from './names.js';
import {
  commandAnyVersionUnionTypeName,
  commandCodecsName,
  commandConstructorName,
  commandEnvelopeGuardsName,
  commandEnvelopeUnionTypeName,
  commandMetaTypeName,
  commandTypesConstName,
  commandUnionTypeName,
  decideAggregateName,
  deciderName,
  deciderTableName,
  emitsTypeName,
  parseCommandEnvelopeFunctionName,
  upcastCommandName,
} from './names-commands.js';
import {
  applyHandlerName,
  checkedName,
  evolveAllName,
  evolveName,
  initialStateName,
  upcastChainName,
  upcastEventName,
  upcastStepName,
  upcastTableName,
} from './names-evolution.js';
import { kafkaRuntimeValues, kafkaTypeNames, kafkaValueNames, topicHandlersTypeName } from './names-kafka.js';
import { projectionNames } from './names-projections.js';
import {
  eventInputTypeName,
  repositoryFactoryName,
  repositoryRuntimeValues,
  repositoryTypeName,
  stateCodecName,
  stateSchemaConstName,
} from './names-repository.js';
import { testingImports, testingNames } from './names-testing.js';

export interface Claim {
  readonly name: string;
  /** What the name is, for the message: `the id type of aggregate Order`. */
  readonly what: string;
  /** True for names the spec writes itself (types, aggregates): two of them are a duplicate, not a collision. */
  readonly declared: boolean;
  readonly at: SourceLocation;
  /** The spec node the name derives from: two owners that clash are reported once, not once per derived name. */
  readonly owner: string;
}

/** Runtime symbols the domain-scope files import by name (eventsmith/runtime). */
export const runtimeImports: readonly string[] = [
  // avro.ts
  'AvroCodec', 'createCodec',
  // envelopes.ts
  'CloudEvent', 'EnvelopeEnvironment', 'EnvelopeMeta', 'ValidationResult', 'makeEnvelope', 'parseEnvelope',
  // reducers.ts (decimal increments)
  'addDecimal',
  // deciders.ts, custom/deciders.ts
  commandMetaTypeName,
  // repository.ts
  'ConnectionPool', 'EventInput', 'Repository', 'RepositoryOptions', ...repositoryRuntimeValues,
];

/** Fixed names declared once per domain in the domain-scope files. */
const fixedNames: readonly string[] = ['codecs', commandCodecsName];

export function domainClaims(domain: Domain): Claim[] {
  const out: Claim[] = [];
  const claimer = (owner: string): ClaimFn => (name, what, at, declared = false) => {
    out.push({ name, what, declared, at, owner });
  };
  for (const name of runtimeImports) claimer(`runtime:${name}`)(name, `the runtime import ${name}`, domain.loc);
  for (const name of fixedNames) claimer(`fixed:${name}`)(name, `the generated constant ${name}`, domain.loc);
  // Declared names first, so that a derived name clashing with one is reported at the derived name's owner.
  for (const t of domain.types) if (!isInline(t)) claimer(`type:${t.name}`)(t.name, `type ${t.name}`, t.loc, true);
  for (const a of domain.aggregates) claimer(`aggregate:${a.name}`)(a.name, `aggregate ${a.name}`, a.loc, true);
  for (const t of domain.types) {
    const claim = claimer(isInline(t) ? `inline:${t.loc.path.replace(/\.versions\[\d+\].*$/, '')}.${t.name}` : `type:${t.name}`);
    if (isInline(t)) claim(t.name, `the inline enum of field ${t.loc.path}`, t.loc);
    if (t.kind === 'enum') claim(enumSymbolsName(t.name), `the symbol list of enum ${t.name}`, t.loc);
  }
  for (const a of domain.aggregates) {
    claimAggregate(a, claimer(`aggregate:${a.name}`));
    for (const e of a.events) claimMessage(a, e, claimer(`event:${a.name}.${e.name}`));
    for (const c of a.commands) claimMessage(a, c, claimer(`command:${a.name}.${c.name}`));
  }
  if (domain.projections.length > 0) {
    for (const name of projectionImports) claimer(`projections:${name}`)(name, `the name ${name} of projections.ts`, domain.loc);
    for (const p of domain.projections) claimProjection(p, claimer(`projection:${p.name}`));
  }
  return dedupe(out);
}

type ClaimFn = (name: string, what: string, at: SourceLocation, declared?: boolean) => void;

function claimAggregate(a: Aggregate, claim: ClaimFn): void {
  const at = a.loc;
  const of = `of aggregate ${a.name}`;
  claim(idTypeName(a.name), `the id type ${of}`, at);
  claim(stateTypeName(a.name), `the state type ${of}`, at);
  claim(eventUnionTypeName(a.name), `the event union ${of}`, at);
  claim(eventTypesConstName(a.name), `the CloudEvents types constant ${of}`, at);
  claim(anyVersionUnionTypeName(a.name), `the any-version event union ${of}`, at);
  claim(envelopeUnionTypeName(a.name), `the envelope union ${of}`, at);
  claim(envelopeGuardsName(a.name), `the envelope guards ${of}`, at);
  claim(parseEnvelopeFunctionName(a.name), `the envelope parser ${of}`, at);
  claim(upcastEventName(a.name), `the event upcaster ${of}`, at);
  claim(initialStateName(a.name), `the initial state ${of}`, at);
  claim(evolveName(a.name), `the reducer ${of}`, at);
  claim(evolveAllName(a.name), `the fold ${of}`, at);
  claim(repositoryTypeName(a.name), `the repository type ${of}`, at);
  claim(eventInputTypeName(a.name), `the append input type ${of}`, at);
  claim(repositoryFactoryName(a.name), `the repository factory ${of}`, at);
  claim(stateSchemaConstName(a.name), `the state schema ${of}`, at);
  claim(stateCodecName(a.name), `the state codec ${of}`, at);
  claim(topicHandlersTypeName(a.name), `the Kafka handlers type ${of}`, at);
  // Commands add their unions, parser, upcaster and decider to every aggregate that has any.
  if (a.commands.length > 0) {
    claim(commandUnionTypeName(a.name), `the command union ${of}`, at);
    claim(commandAnyVersionUnionTypeName(a.name), `the any-version command union ${of}`, at);
    claim(commandTypesConstName(a.name), `the command CloudEvents types constant ${of}`, at);
    claim(commandEnvelopeUnionTypeName(a.name), `the command envelope union ${of}`, at);
    claim(commandEnvelopeGuardsName(a.name), `the command envelope guards ${of}`, at);
    claim(parseCommandEnvelopeFunctionName(a.name), `the command envelope parser ${of}`, at);
    claim(upcastCommandName(a.name), `the command upcaster ${of}`, at);
    claim(deciderTableName(a.name), `the decider table ${of}`, at);
    claim(decideAggregateName(a.name), `the decider ${of}`, at);
  }
}

function claimMessage(a: Aggregate, m: DomainEvent | Command, claim: ClaimFn): void {
  const isEvent = m.kind === 'event';
  const of = `of ${isEvent ? 'event' : 'command'} ${a.name}.${m.name}`;
  const at = m.loc;
  claim(m.name, `the latest-version type ${of}`, at);
  claim(versionMapTypeName(m.name), `the version map ${of}`, at);
  claim(envelopeTypeName(m.name), `the envelope type ${of}`, at);
  claim(isEvent ? envelopeConstructorName(m.name) : commandConstructorName(m.name), `the envelope constructor ${of}`, at);
  claim(upcastChainName(m.name), `the upcast chain ${of}`, at);
  claim(upcastTableName(m.name), `the upcast table ${of}`, at);
  if (isEvent) {
    const handler = applyHandlerName(m.name);
    claim(handler, `the apply handler ${of}`, at);
    claim(checkedName(handler), `the checked apply handler ${of}`, at);
  } else {
    const decider = deciderName(m.name);
    claim(emitsTypeName(m.name), `the type of what ${a.name}.${m.name} emits`, at);
    claim(decider, `the decider ${of}`, at);
    claim(checkedName(decider), `the checked decider ${of}`, at);
  }
  for (const v of m.versions) {
    const vof = `version ${v.version} ${of}`;
    claim(v.typeName, vof, v.loc);
    claim(codecName(m.name, v.version), `the codec of ${vof}`, v.loc);
    claim(avroSchemaConstName(m.name, v.version), `the schema constant of ${vof}`, v.loc);
    claim(fingerprintConstName(m.name, v.version), `the fingerprint constant of ${vof}`, v.loc);
    if (v.version > 1) {
      const step = upcastStepName(m.name, v.version - 1);
      claim(step, `the upcast to ${vof}`, v.loc);
      claim(checkedName(step), `the checked upcast to ${vof}`, v.loc);
    }
  }
}

/**
 * projections.ts imports event and enum types from types.ts by name, so its names share the
 * domain scope: what it imports from the runtime and kafka.ts, its namespace import of the custom
 * rules and its `projections` list, and per projection the names of emit/projections.ts.
 */
const projectionImports: readonly string[] = [
  'ProjectionDefinition', 'ProjectionEvent', 'ProjectionApplied', 'BatchInput', 'Queryable', 'Row', 'firstRow', 'rowsOf', 'sqlValue',
  'columnArray', 'columnBigInt', 'columnBoolean', 'columnBytes', 'columnDate', 'columnEnum', 'columnNullable', 'columnNumber', 'columnText', 'kafkaProjectionApplier', 'kafkaProjectionEvent',
  'DomainHandlers', 'eventDecoding', 'custom', 'projections',
];

function claimProjection(p: Projection, claim: ClaimFn): void {
  const of = `of projection ${p.name}`;
  claim(projectionNames.row(p), `the row type ${of}`, p.loc);
  claim(projectionNames.fromRow(p), `the row reader ${of}`, p.loc);
  claim(projectionNames.apply(p), `the event applier ${of}`, p.loc);
  claim(projectionNames.inputs(p), `the batch inputs ${of}`, p.loc);
  claim(projectionNames.event(p), `the event union ${of}`, p.loc);
  claim(projectionNames.filter(p), `the list filter ${of}`, p.loc);
  claim(projectionNames.definition(p), `the definition ${of}`, p.loc);
  claim(projectionNames.get(p), `the query by key ${of}`, p.loc);
  claim(projectionNames.list(p), `the list query ${of}`, p.loc);
  claim(projectionNames.kafkaHandlers(p), `the Kafka handlers ${of}`, p.loc);
  for (const r of p.rules) if (r.kind === 'custom') claim(projectionNames.custom(p, r.event), `the custom rule for ${r.event.aggregateName}.${r.event.name} ${of}`, r.loc);
}

function isInline(t: NamedType): boolean {
  return t.kind === 'enum' && t.inline;
}

/**
 * The same name claimed twice for the same reason is one claim: an inline enum on the same field
 * of several versions of one event is one Avro name by design (each version's schema is separate).
 */
function dedupe(claims: readonly Claim[]): Claim[] {
  const seen = new Set<string>();
  const out: Claim[] = [];
  for (const c of claims) {
    const key = `${c.name}\u0000${c.owner}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

/** kafka.ts: its runtime imports, namespace imports and fixed declarations, and one handlers type per aggregate. */
export function kafkaScopeClaims(domain: Domain): Claim[] {
  const out: Claim[] = [];
  const fixed = [
    ...kafkaRuntimeValues,
    'AggregateDecoding', 'DomainConsumerOptions', 'EnvelopeMeta', 'EventDecoding', 'EventHandler', 'KafkaConsumerRunner',
    'KafkaPublisher', 'TopicRoute', 'TopicSpec', 'TypedPublishOptions', 'envelopeSender',
    'avro', 'envelopes', 'types', 'upcasters', 'aggregates', 'routes',
    ...Object.values(kafkaTypeNames), ...Object.values(kafkaValueNames),
  ];
  for (const name of fixed) out.push({ name, what: `the name ${name} of kafka.ts`, declared: false, at: domain.loc, owner: `kafka:${name}` });
  for (const a of domain.aggregates) {
    const what = `the Kafka handlers type of aggregate ${a.name}`;
    out.push({ name: topicHandlersTypeName(a.name), what, declared: false, at: a.loc, owner: `aggregate:${a.name}` });
  }
  return out;
}

/** testing.ts: it reads the other files through namespace imports, so its names form a scope of their own. */
export function testingScopeClaims(domain: Domain): Claim[] {
  const out: Claim[] = [];
  for (const name of testingImports) out.push({ name, what: `the name ${name} of testing.ts`, declared: false, at: domain.loc, owner: `testing:${name}` });
  for (const a of domain.aggregates) {
    const claim = (name: string, what: string): void => {
      out.push({ name, what: `${what} of aggregate ${a.name} in testing.ts`, declared: false, at: a.loc, owner: `aggregate:${a.name}` });
    };
    if (a.commands.length > 0) claim(testingNames.decider(a.name), 'the decider kit');
    claim(testingNames.reducer(a.name), 'the reducer kit');
    claim(testingNames.upcaster(a.name), 'the upcaster kit');
  }
  for (const s of domain.sagas) {
    const claim = (name: string, what: string): void => {
      out.push({ name, what: `${what} of saga ${s.name} in testing.ts`, declared: false, at: s.loc, owner: `saga:${s.name}` });
    };
    claim(testingNames.sagaKit(s.name), 'the kit');
    claim(testingNames.sagaEvents(s.name), 'the events type');
    claim(testingNames.sagaCommands(s.name), 'the commands type');
  }
  return out;
}
