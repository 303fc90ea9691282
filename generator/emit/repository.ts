// `<slug>/repository.ts`: per aggregate a typed repository over the runtime's
// `createRepository` (runtime/postgres/repository.ts), which holds all the generic logic. This
// file only fixes what the spec decides: stream type, topic, source, stored encoding, the codecs
// of every event version, the upcaster, the reducer and, with `snapshotEvery`, the interval and
// the Avro codec of the state that snapshots are encoded with.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Domain, DomainEvent } from '../core/model.js';
import { codecName, domainSlug, eventUnionTypeName, idTypeName, stateTypeName } from '../core/names.js';
import { evolveName, initialStateName, upcastEventName } from '../core/names-evolution.js';
import { eventInputTypeName, repositoryFactoryName, repositoryTypeName, stateCodecName, stateSchemaConstName } from '../core/names-repository.js';
import { avroRecordSchemaOf, printAvroSchema } from './avro-schema.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { assignedValue } from './ts-expr.js';
import { lineComment, listItems, maxLineWidth, tsDoc, tsString } from './ts-print.js';
import { tsType } from './ts-type.js';

const typesModule = './types.js';
const avroModule = './avro.js';
const upcastersModule = './upcasters.js';
const reducersModule = './reducers.js';

export const emitRepository: Emitter = (ctx) => ctx.model.domains.map((domain) => repositoryFile(domain, ctx));

export function repositoryPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/repository.ts`;
}

// ---- the template view ------------------------------------------------------------------

export interface CodecsEntryView {
  /** Quoted CloudEvents type. */
  readonly key: string;
  /** `{ 1: orderPlacedV1Codec, 2: orderPlacedV2Codec }`, one version per line when long. */
  readonly value: string;
}

export interface SnapshotView {
  readonly schemaDoc: string;
  readonly schemaName: string;
  /** The state's Avro schema as a TypeScript object literal (multi-line). */
  readonly schema: string;
  readonly codecDoc: string;
  readonly codecName: string;
  /** ` createCodec<OrderState>(orderStateSchema)`, or on the next line when too long. */
  readonly codec: string;
  readonly every: number;
}

export interface AggregateRepositoryView {
  readonly name: string;
  readonly inputDoc: string;
  readonly inputType: string;
  /** ` EventInput<OrderEvent>`, or on the next line when too long (starts with its space or newline). */
  readonly input: string;
  readonly repositoryDoc: string;
  readonly repositoryType: string;
  /** ` Repository<OrderId, OrderState, OrderEventInput>`, or over lines when too long. */
  readonly repository: string;
  readonly hasSnapshots: boolean;
  /** Present when `hasSnapshots`; empty names otherwise (templates are strict). */
  readonly snapshot: SnapshotView;
  readonly stateType: string;
  readonly factoryDoc: string;
  readonly factory: string;
  /** `pool: ConnectionPool, options?: RepositoryOptions`, or one per line. */
  readonly params: string;
  readonly createRepository: string;
  /** Quoted. */
  readonly streamType: string;
  readonly topic: string;
  readonly source: string;
  readonly encoding: string;
  /** `(id: OrderId) => id` */
  readonly streamId: string;
  readonly codecs: readonly CodecsEntryView[];
  readonly upcast: string;
  readonly initialState: string;
  readonly evolve: string;
}

export interface RepositoryView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly aggregates: readonly AggregateRepositoryView[];
}

// ---- building the view ------------------------------------------------------------------

export function repositoryFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: repositoryPath(domain), content: ctx.templates.render('repository.ts.hbs', repositoryView(domain, ctx.options.runtimeModule, bannerFor(domain, ctx))) };
}

export function repositoryView(domain: Domain, runtimeModule: string, bannerText: string): RepositoryView {
  const imports = new Imports();
  const aggregates = domain.aggregates.map((a) => aggregateView(a, domain, imports, runtimeModule));
  return {
    banner: bannerText,
    doc: lineComment([
      `Repositories of the \`${domain.name}\` domain on PostgreSQL: load an aggregate (latest snapshot plus the events after it, ` +
        'each decoded in the version it was stored in and upcast), and append events with their outbox rows in one statement, ' +
        "optionally in the caller's transaction. Apply the migrations first: `migrate(pool)` from the runtime, or the files in `sql/`.",
    ]),
    aggregates,
    imports: imports.render(),
  };
}

const noSnapshot: SnapshotView = { schemaDoc: '', schemaName: '', schema: '', codecDoc: '', codecName: '', codec: '', every: 0 };

function aggregateView(agg: Aggregate, domain: Domain, imports: Imports, rt: string): AggregateRepositoryView {
  const stateType = imports.type(typesModule, stateTypeName(agg.name));
  const eventType = imports.type(typesModule, eventUnionTypeName(agg.name));
  const idType = imports.type(typesModule, idTypeName(agg.name));
  const inputType = eventInputTypeName(agg.name);
  const repositoryType = repositoryTypeName(agg.name);
  const factory = repositoryFactoryName(agg.name);
  const encoding = domain.storage.encoding;
  const contentType = encoding === 'avro' ? 'Avro binary (`application/avro`)' : "Avro's JSON encoding (`application/json`)";
  const every = agg.snapshotEvery;
  const snapshot: SnapshotView =
    every === undefined
      ? noSnapshot
      : snapshotView(agg, domain, stateType, every, imports, rt);
  const input = `${imports.type(rt, 'EventInput')}<${eventType}>`;
  const snapshotNote =
    every === undefined
      ? 'No snapshots (`snapshotEvery` is not set): every load replays the stream.'
      : `A snapshot is stored every ${every} events (\`snapshotEvery\`): by the append that reaches it, in its own statement, ` +
        "when this repository wrote the stream's events since the last one; else after that append commits, off the writer's path.";
  return {
    name: agg.name,
    inputDoc: tsDoc([
      `What \`${repositoryType}.append\` takes: ${agg.name} events at their latest version, as reducers take them, ` +
        'or their CloudEvents envelopes (from the constructors in `envelopes.ts`), whose id, time, source and correlation are kept.',
    ]),
    inputType,
    input: assignedValue(`export type ${inputType}`, input),
    repositoryDoc: tsDoc([`The ${agg.name} repository: \`load\`, \`append\`, \`snapshot\` and \`settled\` (see the runtime's \`Repository\`).`]),
    repositoryType,
    repository: genericAfter(`export type ${repositoryType}`, imports.type(rt, 'Repository'), [idType, stateType, inputType]),
    hasSnapshots: every !== undefined,
    snapshot,
    stateType,
    factoryDoc: tsDoc([
      `The ${agg.name} repository over \`pool\`. Stream type \`${agg.name}\`; outbox rows go to topic \`${agg.topic}\` ` +
        `keyed by the ${agg.name} id, with the CloudEvents attributes as \`ce_*\` headers. Event data is stored and published as ${contentType}.`,
      snapshotNote,
    ]),
    factory,
    params: listItems(`export function ${factory}(`, [`pool: ${imports.type(rt, 'ConnectionPool')}`, `options?: ${imports.type(rt, 'RepositoryOptions')}`], `): ${repositoryType} {`),
    createRepository: imports.value(rt, 'createRepository'),
    streamType: tsString(agg.name),
    topic: tsString(agg.topic),
    source: tsString(domain.source),
    encoding: tsString(encoding),
    // Stream ids are text; ids of other types print in their canonical text, as the envelopes' subject does.
    streamId: `(id: ${idType}) => ${tsType(agg.idType, new Imports()) === 'string' ? 'id' : 'String(id)'}`,
    codecs: agg.events.map((e) => codecsEntry(e, (name) => imports.value(avroModule, name), entryIndent)),
    upcast: imports.value(upcastersModule, upcastEventName(agg.name)),
    initialState: imports.value(reducersModule, initialStateName(agg.name)),
    evolve: imports.value(reducersModule, evolveName(agg.name)),
  };
}

/** ` Generic<A, B>` after `prefix =`: flat, else on the next line, else one type argument per line. */
function genericAfter(prefix: string, generic: string, args: readonly string[]): string {
  const flat = `${generic}<${args.join(', ')}>`;
  if (`${prefix} = ${flat};`.length <= maxLineWidth) return ` ${flat}`;
  if (`  ${flat};`.length <= maxLineWidth) return `\n  ${flat}`;
  return ` ${generic}<\n${args.map((a) => `  ${a}`).join(',\n')}\n>`;
}

function snapshotView(agg: Aggregate, domain: Domain, stateType: string, every: number, imports: Imports, rt: string): SnapshotView {
  const schemaName = stateSchemaConstName(agg.name);
  const name = stateCodecName(agg.name);
  return {
    schemaDoc: tsDoc([
      `Avro schema of ${agg.name}'s state, the encoding of its snapshots. Its fingerprint identifies the snapshots' schema: ` +
        'after a change of the state, snapshots of the old shape are ignored (the stream is replayed) and replaced.',
    ]),
    schemaName,
    schema: printAvroSchema(avroRecordSchemaOf({ name: stateTypeName(agg.name), fields: agg.state }, domain.name), 'ts'),
    codecDoc: tsDoc([`Avro binary encoding of ${agg.name}'s state, for snapshots.`]),
    codecName: name,
    // `AvroCodec<State>`, inferred: an annotation would only lengthen the line.
    codec: assignedValue(`export const ${name}`, `${imports.value(rt, 'createCodec')}<${stateType}>(${schemaName})`),
    every,
  };
}

/** Indentation of the codec entries inside the definition literal. */
const entryIndent = '        ';

/** `'<ce type>': { 1: <codec>, 2: <codec> }` at `indent`, one version per line when too long; `ref` prints a codec's name. */
export function codecsEntry(event: Pick<DomainEvent, 'ceType' | 'name'> & { readonly versions: readonly { readonly version: number }[] }, ref: (codec: string) => string, indent: string): CodecsEntryView {
  const key = tsString(event.ceType);
  const items = event.versions.map((v) => `${v.version}: ${ref(codecName(event.name, v.version))}`);
  const flat = `{ ${items.join(', ')} }`;
  if (indent.length + key.length + 2 + flat.length + 1 <= maxLineWidth) return { key, value: flat };
  return { key, value: `{\n${items.map((i) => `${indent}  ${i},\n`).join('')}${indent}}` };
}
