// `<slug>/deciders.ts`: the receiving side of commands. Per aggregate that receives commands,
// a table of its deciders by CloudEvents type (what the runtime's `commandHandler` takes) and
// `decide<Aggregate>(state, command, meta)`, an exhaustive switch over its commands (at their
// latest versions) that calls the decider of each. Deciders are written by hand in the
// user-owned `<customDir>/<slug>/deciders.ts` (created once with stubs that do not compile until filled)
// and re-checked at the import site: each may return only the events its command `emits`, and
// a missing one is a compile error. Nothing is written for a domain without commands.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Command, Domain } from '../core/model.js';
import { domainSlug, eventUnionTypeName, idTypeName, stateTypeName } from '../core/names.js';
import { checkedName } from '../core/names-evolution.js';
import { commandMetaTypeName, commandUnionTypeName, decideAggregateName, deciderName, deciderTableName, emitsTypeName } from '../core/names-commands.js';
import { bannerFor, defaultEmitOptions, type EmitContext, type EmitOptions, type Emitter } from './context.js';
import { customFileNote, customFilePath, customHeader, customModule, generatedModule } from './custom-files.js';
import { lineComment, listItems, maxLineWidth, tsDoc, tsString } from './ts-print.js';

const typesModule = './types.js';

export const emitDeciders: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => deciderFiles(domain, ctx));

export function decidersPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/deciders.ts`;
}

/** Relative to the custom folder. */
export function customDecidersPath(domain: Domain): string {
  return customFilePath(domain, 'deciders');
}

// ---- the template views -----------------------------------------------------------------

export interface DeciderCheckView {
  readonly doc: string;
  /**
   * `const checkedDecideX: (state: …, command: …, meta: …) => readonly XEmits[] = decideX;`,
   * the parameters one per line when it does not fit on one.
   */
  readonly declaration: string;
}

export interface DecideCaseView {
  /** Quoted CloudEvents type. */
  readonly type: string;
  /** `checkedDecideReserveStock(state, data, meta)` */
  readonly result: string;
}

export interface AggregateDecidersView {
  readonly name: string;
  readonly checks: readonly DeciderCheckView[];
  /** `inventoryDeciders`: the checked deciders by CloudEvents type. */
  readonly table: { readonly doc: string; readonly name: string; readonly entries: readonly { readonly type: string; readonly fn: string }[] };
  readonly decide: {
    readonly doc: string;
    readonly name: string;
    /** `state: InventoryState, command: InventoryCommand, meta: CommandMeta<InventoryId>`, or one per line. */
    readonly params: string;
    readonly result: string;
    readonly cases: readonly DecideCaseView[];
  };
}

export interface DecidersView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly aggregates: readonly AggregateDecidersView[];
}

export interface DeciderStubView {
  readonly doc: string;
  readonly name: string;
  readonly params: string;
  readonly result: string;
}

export interface CustomDecidersView {
  readonly header: string;
  readonly imports: string;
  readonly stubs: readonly DeciderStubView[];
}

// ---- building the views -----------------------------------------------------------------

export function deciderFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  if (!domain.aggregates.some((a) => a.commands.length > 0)) return [];
  const rt = ctx.options.runtimeModule;
  return [
    { path: decidersPath(domain), content: ctx.templates.render('deciders.ts.hbs', decidersView(domain, rt, bannerFor(domain, ctx), ctx.options)) },
    { path: customDecidersPath(domain), content: ctx.templates.render('custom-deciders.ts.hbs', customDecidersView(domain, rt, ctx.options)), userOwned: true },
  ];
}

/** The decider's parameters and result type, with the types imported from `typesFrom`. */
function signature(agg: Aggregate, command: Command, imports: Imports, typesFrom: string, rt: string): { params: string[]; result: string } {
  const meta = `${imports.type(rt, commandMetaTypeName)}<${imports.type(typesFrom, idTypeName(agg.name))}>`;
  return {
    params: [`state: ${imports.type(typesFrom, stateTypeName(agg.name))}`, `command: ${imports.type(typesFrom, command.name)}`, `meta: ${meta}`],
    result: `readonly ${imports.type(typesFrom, emitsTypeName(command.name))}[]`,
  };
}

function emitted(command: Command): string {
  return command.emits.map((e) => `\`${e.name}\``).join(', ');
}

export function decidersView(domain: Domain, rt: string, bannerText: string, options: EmitOptions = defaultEmitOptions): DecidersView {
  const imports = new Imports();
  const custom = customModule(options, domain, 'deciders');
  const aggregates = domain.aggregates.filter((a) => a.commands.length > 0).map((a) => aggregateView(a, imports, rt, custom));
  return {
    banner: bannerText,
    doc: lineComment([
      `Deciders of the \`${domain.name}\` domain: what each command leads to, given the state of the aggregate it is addressed to.`,
      `Each decider is written by hand in \`${custom.replace(/\.js$/, '.ts')}\`; this file checks that every command has one and that it returns only the events its command \`emits\`.`,
    ]),
    aggregates,
    imports: imports.render(),
  };
}

/** `custom`: the module specifier of the domain's custom deciders. */
function aggregateView(agg: Aggregate, imports: Imports, rt: string, custom: string): AggregateDecidersView {
  const checks: DeciderCheckView[] = [];
  const cases = agg.commands.map((c): DecideCaseView & { readonly fn: string } => {
    const { params, result } = signature(agg, c, imports, typesModule, rt);
    const name = deciderName(c.name);
    const checked = checkedName(name);
    const value = imports.value(custom, name);
    const flat = `const ${checked}: (${params.join(', ')}) => ${result} = ${value};`;
    checks.push({
      doc: tsDoc([`\`${c.ceType}\`: written in \`${custom.replace(/\.js$/, '.ts')}\`. The annotation re-checks its type here: it may return only ${emitted(c)}.`]),
      declaration: flat.length <= maxLineWidth ? flat : `const ${checked}: (\n${params.map((p) => `  ${p},\n`).join('')}) => ${result} = ${value};`,
    });
    return { type: tsString(c.ceType), result: `${checked}(state, data, meta)`, fn: checked };
  });
  const decide = decideAggregateName(agg.name);
  const stateType = imports.type(typesModule, stateTypeName(agg.name));
  const commandType = imports.type(typesModule, commandUnionTypeName(agg.name));
  const meta = `${imports.type(rt, commandMetaTypeName)}<${imports.type(typesModule, idTypeName(agg.name))}>`;
  const result = `readonly ${imports.type(typesModule, eventUnionTypeName(agg.name))}[]`;
  return {
    name: agg.name,
    checks,
    table: {
      doc: tsDoc([
        `Each ${agg.name} command's decider by CloudEvents type, at the command's latest version: what the runtime's ` +
          `\`commandHandler(repository, decider)\` takes for the consumer of \`${agg.commandTopic}\`.`,
      ]),
      name: deciderTableName(agg.name),
      entries: cases.map((c) => ({ type: c.type, fn: c.fn })),
    },
    decide: {
      doc: tsDoc([
        `Events of ${agg.name} that \`command\` leads to, given the aggregate's current state; upcast a received command to its latest version first. ` +
          'Appending them (with the command as their cause) is the caller\'s part; an empty list means the command changes nothing.',
        'Throws a TypeError for a command type this code does not know (only possible when the type system was bypassed).',
      ]),
      name: decide,
      params: listItems(`export function ${decide}`, [`state: ${stateType}`, `command: ${commandType}`, `meta: ${meta}`], `: ${result} {`),
      result,
      cases: cases.map(({ type, result: r }) => ({ type, result: r })),
    },
  };
}

// ---- the user-owned file ----------------------------------------------------------------

export function customDecidersView(domain: Domain, rt: string, options: EmitOptions = defaultEmitOptions): CustomDecidersView {
  const imports = new Imports();
  const typesFromCustom = generatedModule(options, domain, 'types');
  const stubs: DeciderStubView[] = [];
  for (const agg of domain.aggregates) {
    for (const command of agg.commands) {
      const name = deciderName(command.name);
      const { params, result } = signature(agg, command, imports, typesFromCustom, rt);
      stubs.push({
        doc: tsDoc([
          command.doc,
          `What \`${command.ceType}\` leads to, given the ${agg.name} state: any of ${emitted(command)} (the spec's \`emits\`), in the order they happen, or none. ` +
            'Must not mutate `state`; read the time from `meta.now`.',
        ]),
        name,
        params: listItems(`export function ${name}`, params, `: ${result} {`),
        result,
      });
    }
  }
  return {
    header: customHeader(domain, {
      what: 'deciders',
      marker: '',
      subject: 'one per command its spec declares, each turning the command into the events it leads to',
      added: 'declares another command',
      generated: generatedModule(options, domain, 'deciders', '.ts'),
      shape: customFileNote.decider,
      typesFrom: `${typesFromCustom} and \`CommandMeta\` from ${rt}`,
    }),
    stubs,
    imports: imports.render(),
  };
}
