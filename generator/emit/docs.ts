// `<slug>/docs/catalog.md`: the event catalog of one domain, in Markdown for people and code
// review. Every aggregate (id type, topic, state, snapshots), every event with every version
// and field, the CloudEvents type and dataschema, the Avro schema file and fingerprints, how
// each version is upcast from the one before and how an event changes state; a Mermaid
// flowchart of the event flow and, per saga, a Mermaid state diagram (docs-saga.ts). Links
// point at the domain's other generated files, so the catalog sits next to them.
import { type ProjectionSectionView, projectionHeading, projectionSection } from './docs-projection.js';
import type { Aggregate, Assignment, Command, Domain, DomainEvent, Field, Message, MessageVersion, Model, NamedType, TypeRef, Upcast } from '../core/model.js';
import type { GeneratedFile } from '../core/generated-file.js';
import { domainSlug } from '../core/names.js';
import { applyHandlerName, upcastStepName } from '../core/names-evolution.js';
import { dataschemaFor } from '../runtime/cloudevents.js';
import { avscFileName, versionAvro } from './avro.js';
import { defaultEmitOptions, markdownBannerFor, type EmitContext, type EmitOptions, type Emitter } from './context.js';
import { customFileFromCatalog, customFilePath, type CustomFileKind } from './custom-files.js';
import { changelogView, type ChangelogView } from './docs-changelog.js';
import { dslExpr, dslType, dslValue, mdAnchor, mdCode, mdDoc, mdTable } from './docs-markdown.js';
import { Flowchart, mermaidBlock } from './docs-mermaid.js';
import { addCommandFlow, commandHeading, commandSummary, reactionsHeading, reactionsTable } from './docs-commands.js';
import { addSagaFlow, refName, sagaHeading, sagaSectionView, type SagaSectionView } from './docs-saga.js';

export const emitDocs: Emitter = (ctx) => ctx.model.domains.map((domain) => catalogFile(domain, ctx));

/** Folder of a domain's docs, beside `avro/` and `sql/`. */
export function docsDir(domain: Domain): string {
  return `${domainSlug(domain.name)}/docs`;
}

export function catalogPath(domain: Domain): string {
  return `${docsDir(domain)}/catalog.md`;
}

/** From the catalog to a file of its own domain's output: `../avro/x.avsc`. */
function fromCatalog(pathInDomain: string): string {
  return `../${pathInDomain}`;
}

// ---- the template view ------------------------------------------------------------------

export interface TypeSectionView {
  readonly heading: string;
  readonly doc: string;
  /** Finished Markdown: what the type is, and a fields table for records. */
  readonly body: string;
}

export interface VersionSectionView {
  readonly heading: string;
  readonly doc: string;
  readonly summary: string;
  /** Fields table, or a sentence when there are none. */
  readonly fields: string;
  /** How this version is made from the one before; '' on version 1. */
  readonly upcast: string;
}

export interface EventSectionView {
  readonly heading: string;
  readonly doc: string;
  readonly summary: string;
  /** The declarative `apply` rules as a table, or ''. */
  readonly apply: string;
  readonly versions: readonly VersionSectionView[];
}

export interface CommandSectionView {
  readonly heading: string;
  readonly doc: string;
  readonly summary: string;
  readonly versions: readonly VersionSectionView[];
}

export interface AggregateSectionView {
  readonly heading: string;
  readonly doc: string;
  readonly summary: string;
  /** State fields table, or a sentence when there are none. */
  readonly state: string;
  readonly events: readonly EventSectionView[];
  readonly commands: readonly CommandSectionView[];
}

export interface CatalogView {
  readonly banner: string;
  readonly title: string;
  readonly doc: string;
  readonly summary: string;
  /** Index of the sections: a line of links and a table of aggregates. */
  readonly contents: string;
  readonly flowDoc: string;
  /** Fenced `mermaid` flowchart. */
  readonly flow: string;
  readonly hasTypes: boolean;
  readonly types: readonly TypeSectionView[];
  readonly aggregates: readonly AggregateSectionView[];
  readonly hasSagas: boolean;
  readonly sagas: readonly SagaSectionView[];
  readonly projections: readonly ProjectionSectionView[];
  /** The reactions table, or '' when the domain has none. */
  readonly reactions: string;
  /** `allowBreaking` entries as a changelog (docs-changelog.ts); absent without any. */
  readonly changelog?: ChangelogView;
}

// ---- building the view ------------------------------------------------------------------

export function catalogFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: catalogPath(domain), content: ctx.templates.render('catalog.md.hbs', catalogView(domain, ctx.model, markdownBannerFor(domain, ctx), ctx.options)) };
}

const typesHeading = 'Shared types';
const flowHeading = 'Flow of events';
const typeHeading = (t: NamedType): string => `Type ${t.name}`;
const aggregateHeading = (a: Aggregate): string => `Aggregate ${a.name}`;
const eventHeading = (e: DomainEvent): string => `Event ${e.name}`;
const versionHeading = (e: Message, v: MessageVersion): string => `${e.name} v${v.version}`;
const link = (text: string, heading: string): string => `[${text}](#${mdAnchor(heading)})`;

/** A Markdown link to a user-owned file of `domain`, in the custom folder. */
type CustomLink = (kind: CustomFileKind) => string;

export function catalogView(domain: Domain, model: Model, bannerText: string, options: EmitOptions = defaultEmitOptions): CatalogView {
  const customLink: CustomLink = (kind) => `[${mdCode(customFilePath(domain, kind))}](${customFileFromCatalog(options, domain, kind)})`;
  const shared = domain.types.filter((t) => !(t.kind === 'enum' && t.inline));
  const typeLink = typeLinker(shared);
  const eventLink = eventLinker(domain, model);
  const changelog = changelogView(domain);
  const commandLink = commandLinker(domain, model);
  return {
    banner: bannerText,
    title: `Event catalog: ${domain.name}`,
    doc: mdDoc(domain.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['Domain (Avro namespace, CloudEvents type prefix)', mdCode(domain.name)],
        ['CloudEvents source', mdCode(domain.source)],
        ['Compatibility', mdCode(domain.compatibility)],
        ['Stored and published as', domain.storage.encoding === 'avro' ? 'Avro binary (`application/avro`)' : "Avro's JSON encoding (`application/json`)"],
      ],
    ),
    contents: contentsOf(domain, shared.length > 0),
    flowDoc: [
      'Aggregates emit events, which are published to their Kafka topics.',
      ...(domain.aggregates.some((a) => a.commands.length > 0) ? ["Commands go to the aggregate whose decider turns them into that aggregate's events."] : []),
      ...(domain.reactions.length ? ['A reaction sends a command whenever its event happens.'] : []),
      ...(domain.sagas.length
        ? ["A saga starts on an event, sends each step's command and waits for the step's success or failure event; dotted edges are the unhappy path."]
        : []),
    ].join(' '),
    flow: mermaidBlock(eventFlow(domain)),
    hasTypes: shared.length > 0,
    types: shared.map((t) => typeSection(t, domain, typeLink)),
    aggregates: domain.aggregates.map((a) => aggregateSection(a, domain, typeLink, customLink)),
    hasSagas: domain.sagas.length > 0,
    sagas: domain.sagas.map((s) => sagaSectionView(s, eventLink, commandLink)),
    projections: domain.projections.map(projectionSection),
    reactions: reactionsTable(domain.reactions, eventLink, commandLink),
    ...(changelog !== undefined ? { changelog } : {}),
  };
}

function contentsOf(domain: Domain, hasTypes: boolean): string {
  const sections = [
    link(flowHeading, flowHeading),
    ...(hasTypes ? [link(typesHeading, typesHeading)] : []),
    ...domain.sagas.map((s) => link(s.name, sagaHeading(s))),
    ...domain.projections.map((p) => link(p.name, projectionHeading(p))),
    ...(domain.reactions.length ? [link(reactionsHeading, reactionsHeading)] : []),
  ];
  const withVersions = (m: Message, heading: string): string => `${link(m.name, heading)}${m.versions.length > 1 ? ` (v${m.versions.length})` : ''}`;
  const hasCommands = domain.aggregates.some((a) => a.commands.length > 0);
  const aggregates = mdTable(
    ['Aggregate', 'Topic', 'Events', ...(hasCommands ? ['Commands'] : [])],
    domain.aggregates.map((a) => [
      link(a.name, aggregateHeading(a)),
      mdCode(a.topic),
      a.events.map((e) => withVersions(e, eventHeading(e))).join(', '),
      ...(hasCommands ? [a.commands.length ? a.commands.map((c) => withVersions(c, commandHeading(c))).join(', ') : '—'] : []),
    ]),
  );
  return `${sections.join(' · ')}\n\n${aggregates}`;
}

/** Shows a type as the DSL writes it, linked to its section when it uses a shared type. */
type TypeLink = (t: TypeRef) => string;

function typeLinker(shared: readonly NamedType[]): TypeLink {
  const own = new Set(shared);
  const namedIn = (t: TypeRef): NamedType | undefined => {
    switch (t.kind) {
      case 'array':
        return namedIn(t.items);
      case 'map':
        return namedIn(t.values);
      case 'optional':
        return namedIn(t.type);
      case 'named':
        return t.type;
      default:
        return undefined;
    }
  };
  return (t) => {
    const named = namedIn(t);
    const code = mdCode(dslType(t));
    return named && own.has(named) ? link(code, typeHeading(named)) : code;
  };
}

/** An event named by a saga, linked to its section here or in its own domain's catalog. */
function eventLinker(domain: Domain, model: Model): (event: DomainEvent) => string {
  const home = new Map<DomainEvent, Domain>();
  for (const d of model.domains) for (const a of d.aggregates) for (const e of a.events) home.set(e, d);
  return (event) => {
    const code = mdCode(refName(event));
    const owner = home.get(event);
    if (!owner) return code;
    const anchor = mdAnchor(eventHeading(event));
    return owner === domain ? `[${code}](#${anchor})` : `[${code}](../../${catalogPath(owner)}#${anchor})`;
  };
}

/** A command named by a saga or reaction, linked to its section here or in its own domain's catalog. */
function commandLinker(domain: Domain, model: Model): (command: Command) => string {
  const home = new Map<Command, Domain>();
  for (const d of model.domains) for (const a of d.aggregates) for (const c of a.commands) home.set(c, d);
  return (command) => {
    const code = mdCode(refName(command));
    const owner = home.get(command);
    if (!owner) return code;
    const anchor = mdAnchor(commandHeading(command));
    return owner === domain ? `[${code}](#${anchor})` : `[${code}](../../${catalogPath(owner)}#${anchor})`;
  };
}

function eventFlow(domain: Domain): string[] {
  const chart = new Flowchart();
  const own = new Set(domain.aggregates.flatMap((a) => a.events));
  const eventNode = (e: DomainEvent): string => chart.node('evt', [e.aggregateName, e.name], 'rounded', own.has(e) ? e.name : `${e.aggregateName}.${e.name}`);
  const aggregateNode = (a: Aggregate): string => chart.node('agg', [a.name], 'subroutine', a.name);
  for (const a of domain.aggregates) {
    const agg = aggregateNode(a);
    for (const e of a.events) chart.edge(agg, eventNode(e));
    const topic = chart.node('topic', [a.topic], 'cylinder', a.topic);
    for (const e of a.events) chart.edge(eventNode(e), topic);
  }
  addCommandFlow(chart, domain.aggregates, domain.reactions, aggregateNode, eventNode);
  // Sagas of other domains that react to this domain's events are drawn in their own catalogs.
  for (const s of domain.sagas) addSagaFlow(chart, s, eventNode);
  return chart.lines();
}

function typeSection(t: NamedType, domain: Domain, typeLink: TypeLink): TypeSectionView {
  const aliases = t.aliases.length ? ` Also read under the former names ${t.aliases.map(mdCode).join(', ')}.` : '';
  const fullName = mdCode(`${domain.name}.${t.name}`);
  let body: string;
  switch (t.kind) {
    case 'record':
      body = `Record ${fullName}.${aliases}\n\n${fieldsTable(t.fields, typeLink)}`;
      break;
    case 'enum': {
      const unknown = t.default !== undefined ? ` A reader maps symbols it does not know to ${mdCode(t.default)}.` : '';
      body = `Enum ${fullName}: ${t.symbols.map(mdCode).join(', ')}.${unknown}${aliases}`;
      break;
    }
    case 'fixed':
      body = `Fixed ${fullName} of ${t.size} byte${t.size === 1 ? '' : 's'}.${aliases}`;
      break;
  }
  return { heading: typeHeading(t), doc: mdDoc(t.doc), body };
}

function fieldsTable(fields: readonly Field[], typeLink: TypeLink): string {
  if (fields.length === 0) return 'No fields.';
  return mdTable(
    ['Field', 'Type', 'Default', 'Doc'],
    fields.map((f) => {
      const aliases = f.aliases.length ? `Formerly ${f.aliases.map(mdCode).join(', ')}.` : '';
      return [mdCode(f.name), typeLink(f.type), defaultOf(f), [f.doc ?? '', aliases].filter((s) => s !== '').join(' ')];
    }),
  );
}

/** The default Avro and the initial state see: `T?` has an implicit null; '—' when required. */
function defaultOf(f: Field): string {
  if (f.default !== undefined) return mdCode(dslValue(f.default.value));
  return f.type.kind === 'optional' ? mdCode('null') : '—';
}

function aggregateSection(a: Aggregate, domain: Domain, typeLink: TypeLink, customLink: CustomLink): AggregateSectionView {
  const snapshots =
    a.snapshotEvery === undefined ? 'none: every load replays the stream' : `every ${a.snapshotEvery} event${a.snapshotEvery === 1 ? '' : 's'}`;
  return {
    heading: aggregateHeading(a),
    doc: mdDoc(a.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['Id type (Kafka key)', mdCode(dslType(a.idType))],
        ['Topic', mdCode(a.topic)],
        ['Snapshots', snapshots],
        ['Events', a.events.map((e) => link(e.name, eventHeading(e))).join(', ')],
        ...(a.commands.length
          ? [
              ['Command topic', mdCode(a.commandTopic)],
              ['Commands', a.commands.map((c) => link(c.name, commandHeading(c))).join(', ')],
            ]
          : []),
      ],
    ),
    state: a.state.length ? fieldsTable(a.state, typeLink) : 'No state fields.',
    events: a.events.map((e) => eventSection(e, domain, typeLink, customLink)),
    commands: a.commands.map((c) => commandSection(c, domain, typeLink, customLink)),
  };
}

function commandSection(c: Command, domain: Domain, typeLink: TypeLink, customLink: CustomLink): CommandSectionView {
  const latest = c.versions[c.versions.length - 1];
  const versions = c.versions.map((v) => link(`v${v.version}`, versionHeading(c, v))).join(', ') + (latest ? ` (latest: v${latest.version})` : '');
  return {
    heading: commandHeading(c),
    doc: mdDoc(c.doc),
    summary: commandSummary(c, { event: (e) => link(e.name, eventHeading(e)), versions, deciders: customLink('deciders') }),
    versions: c.versions.map((v, i) => versionSection(c, v, c.versions[i - 1], domain, typeLink, customLink)),
  };
}

function eventSection(e: DomainEvent, domain: Domain, typeLink: TypeLink, customLink: CustomLink): EventSectionView {
  const latest = e.versions[e.versions.length - 1];
  let change: string;
  switch (e.apply.kind) {
    case 'declarative':
      change = 'declarative, as listed below';
      break;
    case 'custom':
      change = `custom: ${mdCode(applyHandlerName(e.name))} in ${customLink('reducers')}`;
      break;
    case 'none':
      change = 'none';
      break;
  }
  return {
    heading: eventHeading(e),
    doc: mdDoc(e.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['CloudEvents type', mdCode(e.ceType)],
        ['Versions', e.versions.map((v) => link(`v${v.version}`, versionHeading(e, v))).join(', ') + (latest ? ` (latest: v${latest.version})` : '')],
        ['State change', change],
      ],
    ),
    apply: e.apply.kind === 'declarative' ? mdTable(['State field', 'Change'], e.apply.assignments.map((a) => [mdCode(a.target.name), changeOf(a)])) : '',
    versions: e.versions.map((v, i) => versionSection(e, v, e.versions[i - 1], domain, typeLink, customLink)),
  };
}

function changeOf(a: Assignment): string {
  const expr = mdCode(dslExpr(a.expr));
  switch (a.op) {
    case 'set':
      return `set to ${expr}`;
    case 'increment':
      return `increment by ${expr}`;
    case 'append':
      return a.spread ? `append each of ${expr}` : `append ${expr}`;
  }
}

function versionSection(
  e: Message,
  v: MessageVersion,
  previous: MessageVersion | undefined,
  domain: Domain,
  typeLink: TypeLink,
  customLink: CustomLink,
): VersionSectionView {
  const avsc = avscFileName(e, v);
  const fp = versionAvro(v, e, domain).fingerprint;
  return {
    heading: versionHeading(e, v),
    doc: mdDoc(v.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['TypeScript type', mdCode(v.typeName)],
        ['dataschema', mdCode(dataschemaFor(e.ceType, v.version))],
        ['Avro schema', `[${mdCode(avsc)}](${fromCatalog(`avro/${avsc}`)}), record ${mdCode(`${domain.name}.${e.name}`)}`],
        ['Fingerprint (CRC-64-AVRO)', mdCode(fp.crc64avro)],
        ['Fingerprint (SHA-256)', mdCode(fp.sha256)],
      ],
    ),
    fields: fieldsTable(v.fields, typeLink),
    upcast: previous && v.upcast ? upcastText(e, previous, v, v.upcast, customLink) : '',
  };
}

function upcastText(e: Message, from: MessageVersion, to: MessageVersion, upcast: Upcast, customLink: CustomLink): string {
  const title = `**Upcast from ${link(`v${from.version}`, versionHeading(e, from))}**`;
  if (upcast.kind === 'custom') {
    return `${title}: custom, ${mdCode(upcastStepName(e.name, from.version))} in ${customLink('upcasters')}.`;
  }
  const rows = upcast.assignments.map((a) => [mdCode(a.target.name), mdCode(dslExpr(a.expr))]);
  return `${title}: declarative; each field of v${to.version}, with \`$.\` reading v${from.version}:\n\n${mdTable(['Field', 'Value'], rows)}`;
}
