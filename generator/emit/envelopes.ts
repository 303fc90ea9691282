// `<slug>/envelopes.ts`: the CloudEvents 1.0 layer of one domain. Per event and per command, the
// envelope type of its latest version and a constructor; per aggregate, the union of the
// envelopes of every version and a parser for incoming ones (one for events, one for commands).
// The generic machinery (building, attribute checks, guard tables) is the runtime's
// `cloudevents.ts`; this file only fixes names and types.
import { banner, Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Command, Domain, Message, MessageVersion } from '../core/model.js';
import {
  codecName,
  domainSlug,
  envelopeConstructorName,
  envelopeGuardsName,
  envelopeTypeName,
  envelopeUnionTypeName,
  idTypeName,
  parseEnvelopeFunctionName,
} from '../core/names.js';
import { commandConstructorName, commandEnvelopeGuardsName, commandEnvelopeUnionTypeName, parseCommandEnvelopeFunctionName } from '../core/names-commands.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { lineComment, maxLineWidth, tsDoc, tsString } from './ts-print.js';
import { tsType } from './ts-type.js';
import { latestVersion } from './types.js';

/** Sibling modules of `envelopes.ts` in the domain folder. */
const typesModule = './types.js';
const avroModule = './avro.js';

export const emitEnvelopes: Emitter = (ctx) => ctx.model.domains.map((domain) => envelopesFile(domain, ctx));

export function envelopesPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/envelopes.ts`;
}

// ---- the template view ------------------------------------------------------------------

export interface EventEnvelopeView {
  /** TSDoc of the envelope type, or ''. */
  readonly doc: string;
  readonly envelopeType: string;
  /** `CloudEvent<…>` of the latest version. */
  readonly envelope: string;
  readonly constructorDoc: string;
  readonly constructorName: string;
  readonly idType: string;
  readonly dataType: string;
  readonly metaType: string;
  readonly envType: string;
  readonly makeEnvelope: string;
  /** Quoted CloudEvents type. */
  readonly type: string;
  readonly version: number;
  /** Quoted CloudEvents source. */
  readonly source: string;
  /** Expression giving the subject (a string) from `aggregateId`. */
  readonly subject: string;
}

export interface GuardEntryView {
  /** Quoted CloudEvents type. */
  readonly type: string;
  /** `{ 1: orderPlacedV1Codec, … }`, possibly over several lines. */
  readonly versions: string;
}

export interface EnvelopeUnionView {
  readonly doc: string;
  readonly name: string;
  readonly members: readonly string[];
}

export interface GuardsView {
  readonly doc: string;
  readonly name: string;
  readonly entries: readonly GuardEntryView[];
}

export interface ParseView {
  readonly doc: string;
  readonly name: string;
  readonly resultType: string;
  readonly parseEnvelope: string;
  /** Name of the guard table. */
  readonly guards: string;
  /** Quoted aggregate name, for messages (for commands followed by `, 'commands'`). */
  readonly owner: string;
}

export interface AggregateEnvelopesView {
  readonly name: string;
  readonly events: readonly EventEnvelopeView[];
  readonly union: EnvelopeUnionView;
  readonly guards: GuardsView;
  readonly parse: ParseView;
  /** False when the aggregate receives no commands; the command parts are then empty. */
  readonly hasCommands: boolean;
  /** Same shape as `events`: a constructor per command. */
  readonly commands: readonly EventEnvelopeView[];
  readonly commandUnion: EnvelopeUnionView;
  readonly commandGuards: GuardsView;
  readonly commandParse: ParseView;
}

export interface EnvelopesView {
  readonly banner: string;
  readonly imports: string;
  /** Line comment on the domain, or ''. */
  readonly doc: string;
  readonly aggregates: readonly AggregateEnvelopesView[];
}

// ---- building the view ------------------------------------------------------------------

export function envelopesFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: envelopesPath(domain), content: ctx.templates.render('envelopes.ts.hbs', envelopesView(domain, ctx.options.runtimeModule, bannerFor(domain, ctx))) };
}

export function envelopesView(domain: Domain, runtimeModule: string, bannerText = banner([domain.file])): EnvelopesView {
  const imports = new Imports();
  const aggregates = domain.aggregates.map((a) => aggregateView(domain, a, imports, runtimeModule));
  return {
    banner: bannerText,
    doc: lineComment([`CloudEvents 1.0 envelopes of the \`${domain.name}\` domain.`]),
    aggregates,
    imports: imports.render(),
  };
}

function cloudEvent(imports: Imports, runtimeModule: string, ceType: string, data: string, version: number): string {
  return `${imports.type(runtimeModule, 'CloudEvent')}<${tsString(ceType)}, ${data}, ${version}>`;
}

function aggregateView(domain: Domain, agg: Aggregate, imports: Imports, rt: string): AggregateEnvelopesView {
  // The subject and partition key are strings; ids of other types print in their canonical text.
  const subject = tsType(agg.idType, new Imports()) === 'string' ? 'aggregateId' : 'String(aggregateId)';
  const unionName = envelopeUnionTypeName(agg.name);
  const parseName = parseEnvelopeFunctionName(agg.name);
  const constructorView = (message: Message, what: string): EventEnvelopeView => {
    const last = latestVersion<MessageVersion>(message);
    const ce = `\`${message.ceType}\``;
    const dataType = imports.type(typesModule, message.name);
    const about = message.kind === 'event' ? `of the ${agg.name} \`aggregateId\`` : `to the ${agg.name} \`aggregateId\``;
    const follows = message.kind === 'command' ? ' A saga or reaction sets `meta.causedBy` to the message it follows from, so the events the command leads to carry its correlation on.' : '';
    const event = message;
    return {
      doc: tsDoc([`${ce} at its latest version (${last.version}) in its CloudEvents envelope.`]),
      envelopeType: envelopeTypeName(event.name),
      envelope: cloudEvent(imports, rt, event.ceType, dataType, last.version),
      constructorDoc: tsDoc([
        event.doc,
        `A new ${ce} ${what} (version ${last.version}) ${about}, in its CloudEvents envelope. ` +
          'Unless `meta` says otherwise, `id` is a new UUID, `time` is now and `datacontenttype` is `application/avro`; ' +
          `\`env\` replaces the clock and the source of ids.${follows}`,
      ]),
      constructorName: message.kind === 'event' ? envelopeConstructorName(event.name) : commandConstructorName(event.name),
      idType: imports.type(typesModule, idTypeName(agg.name)),
      dataType,
      metaType: imports.type(rt, 'EnvelopeMeta'),
      envType: imports.type(rt, 'EnvelopeEnvironment'),
      makeEnvelope: imports.value(rt, 'makeEnvelope'),
      type: tsString(event.ceType),
      version: last.version,
      source: tsString(domain.source),
      subject,
    };
  };
  const events = agg.events.map((e) => constructorView(e, 'event'));
  return {
    name: agg.name,
    events,
    union: {
      doc: tsDoc([`Any ${agg.name} event at any of its versions in its CloudEvents envelope, as \`${parseName}\` returns it.`]),
      name: unionName,
      members: agg.events.flatMap((e) => e.versions.map((v) => cloudEvent(imports, rt, e.ceType, imports.type(typesModule, v.typeName), v.version))),
    },
    guards: {
      doc: tsDoc([`Every version of every ${agg.name} event, each with the Avro codec that checks its data.`]),
      name: envelopeGuardsName(agg.name),
      entries: agg.events.map((e) => guardEntry(e, imports)),
    },
    parse: {
      doc: tsDoc([
        `Checks an envelope received from outside as one of ${agg.name}'s events: its CloudEvents attributes, that \`type\`, ` +
          `\`dataversion\` and \`dataschema\` name a version of one of them, and that \`data\`, already decoded, is valid ` +
          'for that version. Never throws: a failure lists every problem found.',
      ]),
      name: parseName,
      resultType: `${imports.type(rt, 'ValidationResult')}<${unionName}>`,
      parseEnvelope: imports.value(rt, 'parseEnvelope'),
      guards: envelopeGuardsName(agg.name),
      owner: tsString(agg.name),
    },
    ...commandsView(agg, imports, rt, (c) => constructorView(c, 'command')),
  };
}

function commandsView(
  agg: Aggregate,
  imports: Imports,
  rt: string,
  constructorView: (c: Command) => EventEnvelopeView,
): Pick<AggregateEnvelopesView, 'hasCommands' | 'commands' | 'commandUnion' | 'commandGuards' | 'commandParse'> {
  const cmds = agg.commands;
  const unionName = commandEnvelopeUnionTypeName(agg.name);
  const parseName = parseCommandEnvelopeFunctionName(agg.name);
  const has = cmds.length > 0;
  return {
    hasCommands: has,
    commands: cmds.map(constructorView),
    commandUnion: {
      doc: tsDoc([`Any ${agg.name} command at any of its versions in its CloudEvents envelope, as \`${parseName}\` returns it.`]),
      name: unionName,
      members: cmds.flatMap((c) => c.versions.map((v) => cloudEvent(imports, rt, c.ceType, imports.type(typesModule, v.typeName), v.version))),
    },
    commandGuards: {
      doc: tsDoc([`Every version of every ${agg.name} command, each with the Avro codec that checks its data.`]),
      name: commandEnvelopeGuardsName(agg.name),
      entries: cmds.map((c) => guardEntry(c, imports)),
    },
    commandParse: {
      doc: tsDoc([
        `Checks an envelope received from outside as one of ${agg.name}'s commands: its CloudEvents attributes, that \`type\`, ` +
          `\`dataversion\` and \`dataschema\` name a version of one of them, and that \`data\`, already decoded, is valid ` +
          'for that version. Never throws: a failure lists every problem found.',
      ]),
      name: parseName,
      resultType: has ? `${imports.type(rt, 'ValidationResult')}<${unionName}>` : '',
      parseEnvelope: has ? imports.value(rt, 'parseEnvelope') : '',
      guards: commandEnvelopeGuardsName(agg.name),
      owner: `${tsString(agg.name)}, 'commands'`,
    },
  };
}

function guardEntry(event: Message, imports: Imports): GuardEntryView {
  const type = tsString(event.ceType);
  const items = event.versions.map((v) => `${v.version}: ${imports.value(avroModule, codecName(event.name, v.version))}`);
  const flat = `{ ${items.join(', ')} }`;
  const fits = 2 + type.length + 2 + flat.length + 1 <= maxLineWidth;
  return { type, versions: fits ? flat : `{\n${items.map((i) => `    ${i},\n`).join('')}  }` };
}
