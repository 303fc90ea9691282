// `<slug>/upcasters.ts`: typed upcasting from any stored version of an event (or received
// version of a command) to its latest.
// One function per step v(n-1) → v(n): declarative steps are generated from the model's
// assignments; `upcast: custom` steps are imported from the user-owned `<customDir>/<slug>/upcasters.ts`
// (created once with stubs that do not compile until filled) and re-checked at the import
// site, so a missing or mistyped step is a compile error. Per event or command with more than
// one version a version-keyed chain, and per aggregate `upcast<Aggregate>Event` (and, when it
// receives commands, `upcast<Aggregate>Command`).
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Domain, Message, MessageVersion, Upcast } from '../core/model.js';
import { anyVersionUnionTypeName, domainSlug, eventUnionTypeName, versionMapTypeName } from '../core/names.js';
import { checkedName, upcastChainName, upcastEventName, upcastStepName, upcastTableName } from '../core/names-evolution.js';
import { commandAnyVersionUnionTypeName, commandUnionTypeName, upcastCommandName } from '../core/names-commands.js';
import { bannerFor, defaultEmitOptions, type EmitContext, type EmitOptions, type Emitter } from './context.js';
import { customFileNote, customFilePath, customHeader, customModule, generatedModule } from './custom-files.js';
import { lineComment, listItems, tsDoc, tsString } from './ts-print.js';
import { assignedValue, readsSource, tsExpr } from './ts-expr.js';
import { latestVersion } from './types.js';

const typesModule = './types.js';

export const emitUpcasters: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => upcasterFiles(domain, ctx));

export function upcastersPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/upcasters.ts`;
}

/** Relative to the custom folder. */
export function customUpcastersPath(domain: Domain): string {
  return customFilePath(domain, 'upcasters');
}

// ---- the template views -----------------------------------------------------------------

export interface StepView {
  readonly doc: string;
  /** `upcastOrderPlacedV1ToV2`: exported here when declarative, imported when custom. */
  readonly name: string;
  /** Parameter list: `v1: OrderPlacedV1` (`_v1` when the step reads nothing from it), or one per line. */
  readonly params: string;
  readonly to: string;
  readonly isCustom: boolean;
  /** Custom only: the local alias whose annotation re-checks the imported step… */
  readonly checked: string;
  /** …its function type… */
  readonly checkedType: string;
  /** …and ` = name`, or the name on the next line when the line would be too long. */
  readonly checkedValue: string;
  /** Declarative only: the object literal returned, possibly over several lines. */
  readonly body: string;
}

export interface ChainView {
  readonly doc: string;
  readonly name: string;
  readonly table: string;
  readonly tableDoc: string;
  /** `OrderPlacedVersions` */
  readonly versions: string;
  /** `version: V, data: OrderPlacedVersions[V]`, or one per line. */
  readonly params: string;
  /** `OrderPlaced` */
  readonly latest: string;
  /** `1: (data) => …` entries of the table, oldest first. */
  readonly entries: readonly { readonly version: number; readonly fn: string }[];
  /** The event name, for the error message. */
  readonly owner: string;
}

export interface EventUpcastView {
  readonly steps: readonly StepView[];
  readonly hasChain: boolean;
  /** Present when `hasChain`; an empty-named placeholder otherwise (templates are strict). */
  readonly chain: ChainView;
}

export interface UpcastCaseView {
  /** Quoted CloudEvents type. */
  readonly type: string;
  /** The event at its latest version: `{ type, data }`, the data through the chain when there are several versions. */
  readonly result: string;
}

/** `upcast<Aggregate>Event` or `upcast<Aggregate>Command`: any version of any of them to its latest. */
export interface DispatchView {
  readonly doc: string;
  readonly fn: string;
  /** The parameter's name: `event` or `command`. */
  readonly param: string;
  /** The end of the comment on the switch, which differs by `param` only to fit the line width. */
  readonly exhaustive: string;
  /** What the function destructures from it: `type, data` (and `dataVersion` when a chain reads it). */
  readonly fields: string;
  /** `event: OrderEventAnyVersion`, or on its own line. */
  readonly params: string;
  readonly latest: string;
  readonly cases: readonly UpcastCaseView[];
}

export interface AggregateUpcastView extends DispatchView {
  readonly name: string;
  readonly events: readonly EventUpcastView[];
  /** False when the aggregate receives no commands; `commands` is then empty and `commandDispatch` a placeholder. */
  readonly hasCommands: boolean;
  readonly commands: readonly EventUpcastView[];
  readonly commandDispatch: DispatchView;
}

export interface UpcastersView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly aggregates: readonly AggregateUpcastView[];
}

export interface CustomStubView {
  readonly doc: string;
  readonly name: string;
  readonly params: string;
  readonly to: string;
  readonly toVersion: number;
}

export interface CustomUpcastersView {
  readonly header: string;
  readonly imports: string;
  readonly stubs: readonly CustomStubView[];
}

// ---- building the views -----------------------------------------------------------------

export function upcasterFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  const files: GeneratedFile[] = [{ path: upcastersPath(domain), content: ctx.templates.render('upcasters.ts.hbs', upcastersView(domain, bannerFor(domain, ctx), ctx.options)) }];
  const custom = customUpcastersView(domain, ctx.options);
  if (custom.stubs.length > 0) {
    files.push({ path: customUpcastersPath(domain), content: ctx.templates.render('custom-upcasters.ts.hbs', custom), userOwned: true });
  }
  return files;
}

export function upcastersView(domain: Domain, bannerText: string, options: EmitOptions = defaultEmitOptions): UpcastersView {
  const imports = new Imports();
  const custom = customModule(options, domain, 'upcasters');
  const aggregates = domain.aggregates.map((a) => aggregateView(a, imports, custom));
  return {
    banner: bannerText,
    doc: lineComment([`Upcasters of the \`${domain.name}\` domain: any stored version of an event to its latest version.`]),
    aggregates,
    imports: imports.render(),
  };
}

/** Each step of `event` (or command) with its upcast; throws when the version graph has a gap (the resolver guarantees none). */
export function upcastSteps(event: Message): { readonly from: MessageVersion; readonly to: MessageVersion; readonly upcast: Upcast }[] {
  const steps: { from: MessageVersion; to: MessageVersion; upcast: Upcast }[] = [];
  const versions: readonly MessageVersion[] = event.versions;
  versions.forEach((v, i) => {
    if (v.version !== i + 1) throw new Error(`event ${event.name}: version ${v.version} at position ${i + 1}; versions must be 1..n without gaps`);
    const from = versions[i - 1];
    if (!from) {
      if (v.upcast) throw new Error(`event ${event.name}: version 1 has an upcast`);
      return;
    }
    if (!v.upcast) throw new Error(`event ${event.name}: no upcast from version ${from.version} to ${v.version}`);
    if (v.upcast.kind === 'declarative') {
      const targets = v.upcast.assignments.map((a) => a.target.name);
      const missing = v.fields.filter((f) => !targets.includes(f.name)).map((f) => f.name);
      if (missing.length > 0 || targets.length !== v.fields.length) {
        throw new Error(`event ${event.name}: the upcast to version ${v.version} does not assign each field once (missing: ${missing.join(', ') || 'none'})`);
      }
    }
    steps.push({ from, to: v, upcast: v.upcast });
  });
  return steps;
}

function aggregateView(agg: Aggregate, imports: Imports, custom: string): AggregateUpcastView {
  const events = agg.events.map((e) => eventView(e, imports, custom));
  const has = agg.commands.length > 0;
  return {
    name: agg.name,
    events,
    ...dispatchView(agg.events, 'event', upcastEventName(agg.name), imports.type(typesModule, eventUnionTypeName(agg.name)), () =>
      imports.type(typesModule, anyVersionUnionTypeName(agg.name)),
      [
        `Any ${agg.name} event, as stored or received at any of its versions, at its latest version.`,
        'Throws a TypeError for an event type this code does not know (only possible when the type system was bypassed).',
      ],
    ),
    hasCommands: has,
    commands: agg.commands.map((c) => eventView(c, imports, custom)),
    commandDispatch: dispatchView(agg.commands, 'command', upcastCommandName(agg.name), has ? imports.type(typesModule, commandUnionTypeName(agg.name)) : '', () =>
      has ? imports.type(typesModule, commandAnyVersionUnionTypeName(agg.name)) : '',
      [
        `Any ${agg.name} command, as received at any of its versions, at its latest version.`,
        'Throws a TypeError for a command type this code does not know (only possible when the type system was bypassed).',
      ],
    ),
  };
}

function dispatchView(messages: readonly Message[], param: string, fn: string, latest: string, anyVersion: () => string, doc: readonly string[]): DispatchView {
  const cases = messages.map((e): UpcastCaseView => {
    const multi = e.versions.length > 1;
    return { type: tsString(e.ceType), result: multi ? `{ type, data: ${upcastChainName(e.name)}(dataVersion, data) }` : '{ type, data }' };
  });
  return {
    doc: tsDoc(doc),
    fn,
    param,
    exhaustive:
      param === 'event'
        ? 'default even when the aggregate has one event: an event added without a case does not compile.'
        : 'default even with one command: a command added without a case does not compile.',
    fields: messages.some((e) => e.versions.length > 1) ? 'type, dataVersion, data' : 'type, data',
    params: listItems(`export function ${fn}`, [`${param}: ${anyVersion()}`], `: ${latest} {`),
    latest,
    cases,
  };
}

/** `custom`: the module specifier of the domain's custom upcasters. */
function eventView(event: Message, imports: Imports, custom: string): EventUpcastView {
  const ce = `\`${event.ceType}\``;
  const steps = upcastSteps(event).map(({ from, to, upcast }): StepView => {
    const name = upcastStepName(event.name, from.version);
    const fromType = imports.type(typesModule, from.typeName);
    const toType = imports.type(typesModule, to.typeName);
    const param = `v${from.version}`;
    if (upcast.kind === 'custom') {
      const checked = checkedName(name);
      const checkedType = `(${param}: ${fromType}) => ${toType}`;
      return {
        doc: tsDoc([`${ce} version ${from.version} → ${to.version}: \`upcast: custom\`, written in \`${custom.replace(/\.js$/, '.ts')}\`. The annotation re-checks its type here.`]),
        name: imports.value(custom, name),
        params: '',
        to: toType,
        isCustom: true,
        checked,
        checkedType,
        checkedValue: assignedValue(`const ${checked}: ${checkedType}`, name),
        body: '',
      };
    }
    const reads = upcast.assignments.some((a) => readsSource(a.expr));
    const source = reads ? param : `_${param}`;
    const entries = upcast.assignments.map((a) => {
      const head = `    ${a.target.name}: `;
      return `${head}${tsExpr(a.expr, a.target.type, source, { indent: '    ', column: head.length })},`;
    });
    return {
      doc: tsDoc([`${ce} version ${from.version} → ${to.version}, as the spec's \`upcast\` rules say.`, to.doc]),
      name,
      params: listItems(`export function ${name}`, [`${source}: ${fromType}`], `: ${toType} {`),
      to: toType,
      isCustom: false,
      checked: '',
      checkedType: '',
      checkedValue: '',
      body: entries.length === 0 ? '{}' : `{\n${entries.join('\n')}\n  }`,
    };
  });
  const hasChain = event.versions.length > 1;
  const table = upcastTableName(event.name);
  const last = latestVersion<MessageVersion>(event);
  const chainName = upcastChainName(event.name);
  const versions = hasChain ? imports.type(typesModule, versionMapTypeName(event.name)) : '';
  const latest = hasChain ? imports.type(typesModule, event.name) : '';
  const chain: ChainView = {
    doc: tsDoc([
      `Data of ${ce} at \`version\` (as stored or received) upcast to its latest version (${last.version}).`,
      'Throws a RangeError for a version this code does not know.',
    ]),
    name: chainName,
    table,
    tableDoc: tsDoc([`For each version of ${ce}, its data upcast to the latest version, one step at a time.`]),
    versions,
    params: listItems(`export function ${chainName}<V extends keyof ${versions}>`, ['version: V', `data: ${versions}[V]`], `: ${latest} {`),
    latest,
    // Version n goes one step to n+1 and from there on through the table: the chain is as long as the graph.
    entries: event.versions.map((v: MessageVersion) => {
      const next = steps[v.version - 1];
      if (!next) return { version: v.version, fn: '(data) => data' };
      return { version: v.version, fn: `(data) => ${table}[${v.version + 1}](${next.isCustom ? next.checked : next.name}(data))` };
    }),
    owner: event.name,
  };
  return { steps, hasChain, chain };
}

// ---- the user-owned file ----------------------------------------------------------------

export function customUpcastersView(domain: Domain, options: EmitOptions = defaultEmitOptions): CustomUpcastersView {
  const imports = new Imports();
  const typesFromCustom = generatedModule(options, domain, 'types');
  const stubs: CustomStubView[] = [];
  for (const agg of domain.aggregates) {
    for (const event of [...agg.events, ...agg.commands]) {
      for (const { from, to, upcast } of upcastSteps(event)) {
        if (upcast.kind !== 'custom') continue;
        const name = upcastStepName(event.name, from.version);
        const toType = imports.type(typesFromCustom, to.typeName);
        stubs.push({
          doc: tsDoc([`\`${event.ceType}\` version ${from.version} → ${to.version} (\`upcast: custom\` in the spec).`]),
          name,
          params: listItems(`export function ${name}`, [`v${from.version}: ${imports.type(typesFromCustom, from.typeName)}`], `: ${toType} {`),
          to: toType,
          toVersion: to.version,
        });
      }
    }
  }
  return {
    header: customHeader(domain, {
      what: 'upcasters',
      marker: '`upcast: custom`',
      generated: generatedModule(options, domain, 'upcasters', '.ts'),
      typesFrom: typesFromCustom,
      shape: customFileNote.upcaster,
    }),
    stubs,
    imports: imports.render(),
  };
}
