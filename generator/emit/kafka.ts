// `<slug>/kafka.ts`: the typed Kafka layer of a domain over the runtime (runtime/kafka/typed.ts):
// publish functions that accept only their event's data, the consumers' decoding table, and a
// consumer whose handlers are grouped per topic and receive each event at its latest version.
// The spec's own modules are imported as namespaces (`types.OrderPlaced`, `envelopes.orderPlaced`)
// so that no event name can shadow a parameter or a runtime symbol of this file.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Domain, DomainEvent } from '../core/model.js';
import { codecName, domainSlug, envelopeConstructorName, envelopeTypeName, idTypeName } from '../core/names.js';
import { upcastEventName } from '../core/names-evolution.js';
import { kafkaTypeNames, kafkaValueNames, topicHandlersTypeName } from '../core/names-kafka.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { lineComment, maxLineWidth, tsDoc, tsKey, tsString } from './ts-print.js';
import { codecsEntry } from './repository.js';

export const emitKafka: Emitter = (ctx) => ctx.model.domains.map((domain) => kafkaFile(domain, ctx));

export function kafkaPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/kafka.ts`;
}

// ---- the template view ------------------------------------------------------------------

export interface KafkaView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly names: typeof kafkaTypeNames & typeof kafkaValueNames;
  readonly topicsDoc: string;
  /** `Order: 'orders'` */
  readonly topics: readonly string[];
  readonly topicSpecsDoc: string;
  readonly topicSpecType: string;
  readonly eventsDoc: string;
  /** `'com.example.orders.order.placed': types.OrderPlaced` */
  readonly events: readonly string[];
  readonly aggregateDecodingType: string;
  readonly aggregateDecoding: string;
  readonly decodings: readonly { readonly codecs: readonly { readonly key: string; readonly value: string }[]; readonly upcast: string }[];
  readonly decodingDoc: string;
  readonly decodingType: string;
  readonly domainDecoding: string;
  readonly publisherDoc: string;
  /** One member of the publisher type, finished (doc and signature). */
  readonly publishMembers: readonly string[];
  readonly createPublisherDoc: string;
  readonly createPublisherSignature: string;
  readonly sender: string;
  /** Quoted media type of the domain's encoding. */
  readonly contentType: string;
  readonly envelopeMeta: string;
  /** One property of the returned object, finished. */
  readonly publishFunctions: readonly string[];
  readonly handlerGroups: readonly { readonly doc: string; readonly name: string; readonly members: readonly string[] }[];
  readonly handlersDoc: string;
  /** `readonly Order?: OrderHandlers;` with its doc */
  readonly handlerGroupMembers: readonly string[];
  readonly routeType: string;
  readonly routes: readonly { readonly group: string; readonly topic: string; readonly events: readonly string[] }[];
  readonly createConsumerDoc: string;
  readonly createConsumerSignature: string;
  readonly domainConsumer: string;
}

// ---- building the view ------------------------------------------------------------------

const typesNs = 'types';
const envelopesNs = 'envelopes';
const avroNs = 'avro';
const upcastersNs = 'upcasters';

export function kafkaFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: kafkaPath(domain), content: ctx.templates.render('kafka.ts.hbs', kafkaView(domain, ctx.options.runtimeModule, bannerFor(domain, ctx))) };
}

export function kafkaView(domain: Domain, rt: string, bannerText: string): KafkaView {
  const imports = new Imports();
  const names = { ...kafkaTypeNames, ...kafkaValueNames };
  const contentType = domain.storage.encoding === 'avro' ? 'application/avro' : 'application/json';
  const all = domain.aggregates.flatMap((a) => a.events.map((e) => ({ a, e })));
  const envelopeMeta = imports.type(rt, 'EnvelopeMeta');
  const kafkaPublisher = imports.type(rt, 'KafkaPublisher');
  const publishOptions = imports.type(rt, 'TypedPublishOptions');
  const envelopeSender = imports.value(rt, 'envelopeSender');
  const eventHandler = imports.type(rt, 'EventHandler');
  const consumerOptions = imports.type(rt, 'DomainConsumerOptions');
  const runner = imports.type(rt, 'KafkaConsumerRunner');
  const view: Omit<KafkaView, 'imports'> = {
    banner: bannerText,
    doc: lineComment([
      `Kafka for the \`${domain.name}\` domain: typed publish functions on the shared producer, the decoding table ` +
        'of its consumers, and a consumer whose handlers are grouped per topic. Events travel as CloudEvents (binary ' +
        'content mode unless the publisher says otherwise), keyed by their aggregate id, their data in ' +
        (contentType === 'application/avro' ? 'Avro binary' : "Avro's JSON encoding") +
        '. Events appended through the repositories reach the same topics through the outbox relay.',
    ]),
    names,
    topicsDoc: tsDoc(["The topic of each aggregate's events."]),
    topics: domain.aggregates.map((a) => `${a.name}: ${tsString(a.topic)}`),
    topicSpecsDoc: tsDoc([
      "The domain's topics for `ensureTopics`, with `numPartitions` when given (else the broker's default). " +
        'Consumers create their dead-letter topics themselves.',
    ]),
    topicSpecType: imports.type(rt, 'TopicSpec'),
    eventsDoc: tsDoc(['Every event of the domain by CloudEvents type, at its latest version: what handlers receive.']),
    events: all.map(({ e }) => `${tsString(e.ceType)}: ${typesNs}.${e.name}`),
    aggregateDecodingType: imports.type(rt, 'AggregateDecoding'),
    aggregateDecoding: imports.value(rt, 'aggregateDecoding'),
    decodings: domain.aggregates.map((a) => ({
      codecs: a.events.map((e) => codecsEntry(e, (name) => `${avroNs}.${name}`, '      ')),
      upcast: `${upcastersNs}.${upcastEventName(a.name)}`,
    })),
    decodingDoc: tsDoc([
      'How consumers read every version of every event of the domain: its codec, named by `ce_dataversion` and ' +
        '`ce_dataschema`, then its upcaster to the latest version.',
    ]),
    decodingType: imports.type(rt, 'EventDecoding'),
    domainDecoding: imports.value(rt, 'domainDecoding'),
    publisherDoc: tsDoc([
      "One publish function per event, taking only that event's latest data type. Each sends the event in its " +
        'CloudEvents envelope to its aggregate\'s topic, keyed by the aggregate id, and resolves with the envelope once ' +
        'the broker acknowledged it. Publish directly only what needs no event store; appends go through the outbox.',
    ]),
    publishMembers: all.map(({ a, e }) => publishMember(a, e, envelopeMeta)),
    createPublisherDoc: tsDoc([
      `The domain's publish functions on \`publisher\` (one idempotent producer per process). Data is encoded as ` +
        `\`${contentType}\` unless \`meta.datacontenttype\` says otherwise; \`options\` sets the content mode, ` +
        'schema registry ids (Confluent wire format) and extra headers.',
    ]),
    envelopeMeta,
    createPublisherSignature: signature(
      `export function ${names.createPublisher}(`,
      [`publisher: ${kafkaPublisher}`, `options?: ${publishOptions}`],
      `): ${names.publisher} {`,
    ),
    sender: envelopeSender,
    contentType: tsString(contentType),
    publishFunctions: all.map(({ a, e }) => publishFunction(a, e)),
    handlerGroups: domain.aggregates.map((a) => ({
      doc: tsDoc([
        `Handlers of topic \`${a.topic}\` (the ${a.name} aggregate's events), by event name; each receives its event ` +
          'at the latest version, whatever version it was written in, inside the transaction that marks it processed.',
      ]),
      name: topicHandlersTypeName(a.name),
      members: a.events.map((e) => handlerMember(e, eventHandler)),
    })),
    handlersDoc: tsDoc(['Handlers by aggregate: the consumer subscribes to the topics of the groups given.']),
    handlerGroupMembers: domain.aggregates.map((a) => `${tsDoc([`Events of topic \`${a.topic}\`.`], '  ')}\n  readonly ${a.name}?: ${topicHandlersTypeName(a.name)};`),
    routeType: imports.type(rt, 'TopicRoute'),
    routes: domain.aggregates.map((a) => ({
      group: a.name,
      topic: tsString(a.topic),
      events: a.events.map((e) => `${tsKey(e.name)}: ${tsString(e.ceType)}`),
    })),
    createConsumerDoc: tsDoc([
      "A consumer of the topics whose handlers are given, in `options.groupId`. Each event is applied once in effect: " +
        "its handler runs in a PostgreSQL transaction that also marks it processed (deduplicated per batch), and " +
        'offsets are committed after the commit. A failing handler is retried with backoff, then its message goes to ' +
        "`<topic>.dlq` with headers saying why; undecodable or unknown messages go there at once. Call `start()`.",
    ]),
    createConsumerSignature: signature(
      `export function ${names.createConsumer}(`,
      [`options: ${consumerOptions}<${names.events}>`, `handlers: ${names.handlers}`],
      `): ${runner}<${names.events}> {`,
    ),
    domainConsumer: imports.value(rt, 'domainConsumer'),
  };
  // Rendered last: the block lists what the view above recorded.
  const importBlock = [
    imports.render(),
    `import * as ${avroNs} from './avro.js';`,
    `import * as ${envelopesNs} from './envelopes.js';`,
    `import type * as ${typesNs} from './types.js';`,
    `import * as ${upcastersNs} from './upcasters.js';`,
  ].join('\n');
  return { ...view, imports: importBlock };
}

/** `prefix` + parameters + `suffix`, over lines when too long. */
function signature(prefix: string, params: readonly string[], suffix: string): string {
  const flat = `${prefix}${params.join(', ')}${suffix}`;
  if (flat.length <= maxLineWidth) return flat;
  return `${prefix}\n${params.map((p) => `  ${p},\n`).join('')}${suffix}`;
}

function publishMember(a: Aggregate, e: DomainEvent, envelopeMeta: string): string {
  const latest = e.versions[e.versions.length - 1]?.version ?? 1;
  const name = envelopeConstructorName(e.name);
  const doc = tsDoc([`Publishes \`${e.ceType}\` (version ${latest}) to \`${a.topic}\`, keyed by the ${a.name} id.`], '  ');
  const params = [`aggregateId: ${typesNs}.${idTypeName(a.name)}`, `data: ${typesNs}.${e.name}`, `meta?: ${envelopeMeta}`];
  const result = `Promise<${envelopesNs}.${envelopeTypeName(e.name)}>`;
  const flat = `  readonly ${name}: (${params.join(', ')}) => ${result};`;
  const sig = flat.length <= maxLineWidth ? flat : `  readonly ${name}: (\n${params.map((p) => `    ${p},\n`).join('')}  ) => ${result};`;
  return `${doc}\n${sig}`;
}

function publishFunction(a: Aggregate, e: DomainEvent): string {
  const latest = e.versions[e.versions.length - 1]?.version ?? 1;
  const name = envelopeConstructorName(e.name);
  const args = [tsString(a.topic), `${avroNs}.${codecName(e.name, latest)}`, `${envelopesNs}.${name}(id, data, meta(m))`];
  const head = `    ${name}: (id, data, m) =>`;
  const call = `send(${args.join(', ')}),`;
  if (`${head} ${call}`.length <= maxLineWidth) return `${head} ${call}`;
  if (`      ${call}`.length <= maxLineWidth) return `${head}\n      ${call}`;
  return `${head}\n      send(\n${args.map((x) => `        ${x},\n`).join('')}      ),`;
}

/** The handler of an event: its latest version's data, and `dataversion` typed as that version. */
function handlerMember(e: DomainEvent, eventHandler: string): string {
  const latest = String(e.versions.length);
  const flat = `  readonly ${e.name}?: ${eventHandler}<${tsString(e.ceType)}, ${typesNs}.${e.name}, ${latest}>;`;
  if (flat.length <= maxLineWidth) return flat;
  return `  readonly ${e.name}?: ${eventHandler}<\n    ${tsString(e.ceType)},\n    ${typesNs}.${e.name},\n    ${latest}\n  >;`;
}
