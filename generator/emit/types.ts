// `<slug>/types.ts`: the data types of one domain. Named types, each aggregate's id and state,
// every version of every event and command, the latest-version aliases and the discriminated
// unions, and per command the events its decider may return. Types only: no runtime code
// beyond constants, so any other generated file can import it freely.
import { banner, Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Command, Domain, Field, Message, MessageVersion, NamedType } from '../core/model.js';
import {
  anyVersionUnionTypeName,
  domainSlug,
  enumSymbolsName,
  eventTypesConstName,
  eventUnionTypeName,
  idTypeName,
  stateTypeName,
  versionMapTypeName,
} from '../core/names.js';
import { commandAnyVersionUnionTypeName, commandTypesConstName, commandUnionTypeName, emitsTypeName } from '../core/names-commands.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { lineComment, listItems, tsDoc, tsKey, tsString, tsValue, unionAfter } from './ts-print.js';
import { tsType, typeNote, type TsTypeOptions } from './ts-type.js';

export const emitTypes: Emitter = (ctx) => ctx.model.domains.map((domain) => typesFile(domain, ctx));

export function typesPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/types.ts`;
}

// ---- the template view ------------------------------------------------------------------

/** One declaration; exactly one of the `is…` flags is set. */
export interface DeclView {
  /** TSDoc block, or ''. */
  readonly doc: string;
  readonly name: string;
  /** `export interface name { fields }` */
  readonly isInterface: boolean;
  readonly fields: readonly FieldView[];
  /** `export type name = type;` */
  readonly isAlias: boolean;
  /** `export type name = type;` plus `export const symbolsName = [symbols] as const;` */
  readonly isEnum: boolean;
  /** Right-hand side of an alias or enum; may start with a line break when it does not fit. */
  readonly type: string;
  readonly symbolsName: string;
  readonly symbols: string;
}

export interface FieldView {
  /** TSDoc block indented by two spaces, or ''. */
  readonly doc: string;
  readonly name: string;
  readonly type: string;
}

export interface EntryView {
  readonly key: string;
  readonly value: string;
}

export interface EventView {
  readonly versions: readonly DeclView[];
  readonly latest: DeclView;
  readonly versionMap: { readonly doc: string; readonly name: string; readonly entries: readonly EntryView[] };
}

export interface UnionMemberView {
  /** Quoted CloudEvents type. */
  readonly type: string;
  readonly version: number;
  readonly data: string;
}

export interface UnionView {
  readonly doc: string;
  readonly name: string;
  readonly members: readonly UnionMemberView[];
}

/** A command: its versions like an event's, plus the union of the events its decider may return. */
export interface CommandView extends EventView {
  readonly emits: UnionView;
}

export interface AggregateTypesView {
  readonly name: string;
  readonly id: DeclView;
  readonly state: DeclView;
  readonly events: readonly EventView[];
  readonly eventTypes: { readonly doc: string; readonly name: string; readonly entries: readonly EntryView[] };
  readonly union: UnionView;
  readonly anyVersionUnion: UnionView;
  /** False when the aggregate receives no commands; the command parts are then empty. */
  readonly hasCommands: boolean;
  readonly commands: readonly CommandView[];
  readonly commandTypes: { readonly doc: string; readonly name: string; readonly entries: readonly EntryView[] };
  readonly commandUnion: UnionView;
  readonly commandAnyVersionUnion: UnionView;
}

export interface TypesView {
  readonly banner: string;
  /** Rendered import block, or ''. */
  readonly imports: string;
  /** Line comment on the domain, or ''; not TSDoc, which would attach to the first declaration. */
  readonly doc: string;
  readonly namedTypes: readonly DeclView[];
  readonly aggregates: readonly AggregateTypesView[];
}

// ---- building the view ------------------------------------------------------------------

export function typesFile(domain: Domain, ctx: EmitContext): GeneratedFile {
  return { path: typesPath(domain), content: ctx.templates.render('types.ts.hbs', typesView(domain, bannerFor(domain, ctx))) };
}

export function typesView(domain: Domain, bannerText = banner([domain.file])): TypesView {
  const imports = new Imports();
  // Named types are declared here, so nothing is imported for them.
  const opts: TsTypeOptions = {};
  const namedTypes = domain.types.filter((t) => !(t.kind === 'enum' && t.inline)).map((t) => namedTypeDecl(t, imports, opts));
  const aggregates = domain.aggregates.map((a) => aggregateView(a, imports, opts));
  return {
    banner: bannerText,
    doc: lineComment([domain.doc, `Data types of the \`${domain.name}\` domain.`]),
    namedTypes,
    aggregates,
    // Rendered last: it holds what the declarations above actually used.
    imports: imports.render(),
  };
}

const noDecl = { isInterface: false, isAlias: false, isEnum: false, fields: [], type: '', symbolsName: '', symbols: '' } as const;

function aliasDecl(name: string, doc: string, type: string): DeclView {
  return { ...noDecl, doc, name, isAlias: true, type };
}

/** An interface, or `Record<string, never>` when there are no fields: `{}` would accept any value but null. */
function recordDecl(name: string, doc: string, fields: readonly Field[], imports: Imports, opts: TsTypeOptions): DeclView {
  if (fields.length === 0) return aliasDecl(name, doc, 'Record<string, never>');
  return { ...noDecl, doc, name, isInterface: true, fields: fields.map((f) => fieldView(f, imports, opts)) };
}

export function fieldView(field: Field, imports: Imports, opts: TsTypeOptions): FieldView {
  // Every `T?` defaults to null: saying so on each would only be noise.
  const shown = field.default && !(field.default.value === null && field.type.kind === 'optional');
  const defaultTag = shown && field.default ? `@defaultValue \`${tsValue(field.default.value)}\`` : undefined;
  return { doc: tsDoc([field.doc, typeNote(field.type), defaultTag], '  '), name: field.name, type: tsType(field.type, imports, opts) };
}

export function namedTypeDecl(t: NamedType, imports: Imports, opts: TsTypeOptions): DeclView {
  switch (t.kind) {
    case 'record':
      return recordDecl(t.name, tsDoc([t.doc]), t.fields, imports, opts);
    case 'enum': {
      const symbols = t.symbols.map(tsString);
      const fallback = t.default === undefined ? undefined : `A reader that does not know a symbol reads it as \`${tsString(t.default)}\`.`;
      const symbolsName = enumSymbolsName(t.name);
      return {
        ...noDecl,
        doc: tsDoc([t.doc, fallback]),
        name: t.name,
        isEnum: true,
        type: unionAfter(`export type ${t.name} =`, symbols),
        symbolsName,
        symbols: listItems(`export const ${symbolsName} = `, symbols, ' as const;'),
      };
    }
    case 'fixed':
      return aliasDecl(t.name, tsDoc([t.doc, `Exactly ${t.size} ${t.size === 1 ? 'byte' : 'bytes'}.`]), 'Uint8Array');
  }
}

function aggregateView(agg: Aggregate, imports: Imports, opts: TsTypeOptions): AggregateTypesView {
  const idName = idTypeName(agg.name);
  const idDoc = tsDoc([`Identifies one ${agg.name}: the CloudEvents \`subject\` and the Kafka key of its events.`, typeNote(agg.idType)]);
  const stateDoc = tsDoc([agg.doc, `State of one ${agg.name}, folded from its events.`]);
  const latest = agg.events.map((e) => ({ type: tsString(e.ceType), version: latestVersion(e).version, data: e.name }));
  const all = agg.events.flatMap((e) => e.versions.map((v) => ({ type: tsString(e.ceType), version: v.version, data: v.typeName })));
  return {
    name: agg.name,
    id: aliasDecl(idName, idDoc, tsType(agg.idType, imports, opts)),
    state: recordDecl(stateTypeName(agg.name), stateDoc, agg.state, imports, opts),
    events: agg.events.map((e) => eventView(e, imports, opts)),
    eventTypes: {
      doc: tsDoc([`CloudEvents type of each ${agg.name} event.`]),
      name: eventTypesConstName(agg.name),
      entries: agg.events.map((e) => ({ key: tsKey(e.name), value: tsString(e.ceType) })),
    },
    union: {
      doc: tsDoc([`Any ${agg.name} event at its latest version; \`type\`, the CloudEvents type, tells them apart.`]),
      name: eventUnionTypeName(agg.name),
      members: latest,
    },
    anyVersionUnion: {
      doc: tsDoc([`Any ${agg.name} event at any of its versions, as stored or received before upcasting.`]),
      name: anyVersionUnionTypeName(agg.name),
      members: all,
    },
    ...commandsView(agg, imports, opts),
  };
}

function commandsView(agg: Aggregate, imports: Imports, opts: TsTypeOptions): Pick<AggregateTypesView, 'hasCommands' | 'commands' | 'commandTypes' | 'commandUnion' | 'commandAnyVersionUnion'> {
  const cmds = agg.commands;
  return {
    hasCommands: cmds.length > 0,
    commands: cmds.map((c) => commandView(c, imports, opts)),
    commandTypes: {
      doc: tsDoc([`CloudEvents type of each ${agg.name} command.`]),
      name: commandTypesConstName(agg.name),
      entries: cmds.map((c) => ({ key: tsKey(c.name), value: tsString(c.ceType) })),
    },
    commandUnion: {
      doc: tsDoc([`Any ${agg.name} command at its latest version; \`type\`, the CloudEvents type, tells them apart.`]),
      name: commandUnionTypeName(agg.name),
      members: cmds.map((c) => ({ type: tsString(c.ceType), version: latestVersion(c).version, data: c.name })),
    },
    commandAnyVersionUnion: {
      doc: tsDoc([`Any ${agg.name} command at any of its versions, as received before upcasting.`]),
      name: commandAnyVersionUnionTypeName(agg.name),
      members: cmds.flatMap((c) => c.versions.map((v) => ({ type: tsString(c.ceType), version: v.version, data: v.typeName }))),
    },
  };
}

function commandView(command: Command, imports: Imports, opts: TsTypeOptions): CommandView {
  return {
    ...eventView(command, imports, opts),
    emits: {
      doc: tsDoc([
        `What a \`${command.ceType}\` decider may return: the ${command.aggregateName} events the spec says ${command.name} \`emits\`, at their latest versions.`,
      ]),
      name: emitsTypeName(command.name),
      members: command.emits.map((e) => ({ type: tsString(e.ceType), version: latestVersion(e).version, data: e.name })),
    },
  };
}

/** The newest version of an event or command: what `<Event>` aliases and constructors build. */
export function latestVersion<V extends MessageVersion>(message: { readonly name: string; readonly versions: readonly V[] }): V {
  const last = message.versions[message.versions.length - 1];
  if (!last) throw new Error(`${message.name} has no versions`);
  return last;
}

function eventView(event: Message, imports: Imports, opts: TsTypeOptions): EventView {
  const ce = `\`${event.ceType}\``;
  const last = latestVersion<MessageVersion>(event);
  return {
    versions: event.versions.map((v) => recordDecl(v.typeName, tsDoc([`Data of ${ce}, version ${v.version}.`, v.doc]), v.fields, imports, opts)),
    latest: aliasDecl(event.name, tsDoc([event.doc, `Data of ${ce} at its latest version (${last.version}).`]), last.typeName),
    versionMap: {
      doc: tsDoc([`Data of each version of ${ce}, by version number.`]),
      name: versionMapTypeName(event.name),
      entries: event.versions.map((v) => ({ key: String(v.version), value: v.typeName })),
    },
  };
}
