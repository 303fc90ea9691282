// `<slug>/reducers.ts`: per aggregate its initial state (the state fields' defaults) and
// `evolve<Aggregate>(state, event)`, an exhaustive switch over the latest-version events, plus a
// fold over many. Declarative `apply` rules become small handlers here; `apply: custom` handlers
// are imported from the user-owned `<customDir>/<slug>/reducers.ts` (created once with stubs that do not
// compile until filled) and re-checked at the import site.
import { Imports, type GeneratedFile } from '../core/generated-file.js';
import type { Aggregate, Assignment, Domain, DomainEvent } from '../core/model.js';
import { domainSlug, eventUnionTypeName, stateTypeName } from '../core/names.js';
import { applyHandlerName, checkedName, evolveAllName, evolveName, initialStateName } from '../core/names-evolution.js';
import { bannerFor, defaultEmitOptions, type EmitContext, type EmitOptions, type Emitter } from './context.js';
import { customFileNote, customFilePath, customHeader, customModule, generatedModule } from './custom-files.js';
import { lineComment, listItems, tsDoc, tsString } from './ts-print.js';
import { assignedValue, readsSource, tsExpr, tsLiteral, type Layout } from './ts-expr.js';

const typesModule = './types.js';

export const emitReducers: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => reducerFiles(domain, ctx));

export function reducersPath(domain: Domain): string {
  return `${domainSlug(domain.name)}/reducers.ts`;
}

/** Relative to the custom folder. */
export function customReducersPath(domain: Domain): string {
  return customFilePath(domain, 'reducers');
}

// ---- the template views -----------------------------------------------------------------

export interface HandlerView {
  readonly doc: string;
  readonly name: string;
  readonly stateType: string;
  /** `state: OrderState, data: OrderPlaced` (`_data` when the rules read nothing from it), or one per line. */
  readonly params: string;
  /** The returned expression, possibly over several lines. */
  readonly body: string;
}

export interface CustomCheckView {
  readonly doc: string;
  readonly checked: string;
  /** `(state: OrderState, data: OrderCancelled) => OrderState` */
  readonly checkedType: string;
  /** ` = applyOrderCancelled`, or the name on the next line when the line would be too long. */
  readonly checkedValue: string;
}

export interface EvolveCaseView {
  /** Quoted CloudEvents type. */
  readonly type: string;
  /** `applyOrderPlaced(state, data)` or `state`. */
  readonly result: string;
}

export interface AggregateReducersView {
  readonly name: string;
  readonly stateType: string;
  readonly eventType: string;
  readonly initial: { readonly doc: string; readonly name: string; readonly value: string };
  readonly customs: readonly CustomCheckView[];
  readonly handlers: readonly HandlerView[];
  readonly evolve: {
    readonly doc: string;
    readonly name: string;
    readonly params: string;
    /** What evolve destructures from `event`: `type, data`, or `type` when no case reads the data. */
    readonly fields: string;
    readonly cases: readonly EvolveCaseView[];
  };
  readonly evolveAll: { readonly doc: string; readonly name: string; readonly params: string };
}

export interface ReducersView {
  readonly banner: string;
  readonly imports: string;
  readonly doc: string;
  readonly aggregates: readonly AggregateReducersView[];
}

export interface CustomReducerStubView {
  readonly doc: string;
  readonly name: string;
  readonly params: string;
  readonly stateType: string;
}

export interface CustomReducersView {
  readonly header: string;
  readonly imports: string;
  readonly stubs: readonly CustomReducerStubView[];
}

// ---- building the views -----------------------------------------------------------------

export function reducerFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  const view = reducersView(domain, ctx.options.runtimeModule, bannerFor(domain, ctx), ctx.options);
  const files: GeneratedFile[] = [{ path: reducersPath(domain), content: ctx.templates.render('reducers.ts.hbs', view) }];
  const custom = customReducersView(domain, ctx.options);
  if (custom.stubs.length > 0) {
    files.push({ path: customReducersPath(domain), content: ctx.templates.render('custom-reducers.ts.hbs', custom), userOwned: true });
  }
  return files;
}

export function reducersView(domain: Domain, runtimeModule: string, bannerText: string, options: EmitOptions = defaultEmitOptions): ReducersView {
  const imports = new Imports();
  const custom = customModule(options, domain, 'reducers');
  const aggregates = domain.aggregates.map((a) => aggregateView(a, imports, runtimeModule, custom));
  return {
    banner: bannerText,
    doc: lineComment([`Reducers of the \`${domain.name}\` domain: each aggregate's state folded from its events (at their latest versions).`]),
    aggregates,
    imports: imports.render(),
  };
}

/** `custom`: the module specifier of the domain's custom reducers. */
function aggregateView(agg: Aggregate, imports: Imports, rt: string, custom: string): AggregateReducersView {
  const stateType = imports.type(typesModule, stateTypeName(agg.name));
  const customs: CustomCheckView[] = [];
  const handlers: HandlerView[] = [];
  const cases = agg.events.map((event): EvolveCaseView => {
    const type = tsString(event.ceType);
    const apply = event.apply;
    if (apply.kind === 'none') return { type, result: 'state' };
    const handler = applyHandlerName(event.name);
    const dataType = imports.type(typesModule, event.name);
    if (apply.kind === 'custom') {
      const checked = checkedName(handler);
      const checkedType = `(state: ${stateType}, data: ${dataType}) => ${stateType}`;
      customs.push({
        doc: tsDoc([`\`${event.ceType}\`: \`apply: custom\`, written in \`${custom.replace(/\.js$/, '.ts')}\`. The annotation re-checks its type here.`]),
        checked,
        checkedType,
        checkedValue: assignedValue(`const ${checked}: ${checkedType}`, imports.value(custom, handler)),
      });
      return { type, result: `${checked}(state, data)` };
    }
    if (apply.assignments.length === 0) return { type, result: 'state' };
    handlers.push(handlerView(event, handler, apply.assignments, stateType, dataType, imports, rt));
    return { type, result: `${handler}(state, data)` };
  });
  const initial = initialStateName(agg.name);
  const evolve = evolveName(agg.name);
  const evolveAll = evolveAllName(agg.name);
  const eventType = imports.type(typesModule, eventUnionTypeName(agg.name));
  return {
    name: agg.name,
    stateType,
    eventType,
    initial: {
      doc: tsDoc([`${agg.name} state before the first event: each state field's default.`]),
      name: initial,
      value: initialValue(agg),
    },
    customs,
    handlers,
    evolve: {
      doc: tsDoc([
        `${agg.name} state after \`event\`, at its latest version (upcast stored events first). Never mutates \`state\`.`,
        'Throws a TypeError for an event type this code does not know (only possible when the type system was bypassed).',
      ]),
      name: evolve,
      params: listItems(`export function ${evolve}`, [`state: ${stateType}`, `event: ${eventType}`], `: ${stateType} {`),
      fields: cases.some((c) => c.result !== 'state') ? 'type, data' : 'type',
      cases,
    },
    evolveAll: {
      doc: tsDoc([`${agg.name} state after each of \`events\` in order; start from \`${initial}\` for a new ${agg.name}.`]),
      name: evolveAll,
      params: listItems(`export function ${evolveAll}`, [`state: ${stateType}`, `events: Iterable<${eventType}>`], `: ${stateType} {`),
    },
  };
}

function initialValue(agg: Aggregate): string {
  if (agg.state.length === 0) return '{}';
  const lines = agg.state.map((f) => {
    if (!f.default) throw new Error(`state field ${agg.name}.${f.name} has no default (the resolver reports ES3023)`);
    const head = `  ${f.name}: `;
    return `${head}${tsLiteral(f.default.value, f.type, { indent: '  ', column: head.length })},`;
  });
  return `{\n${lines.join('\n')}\n}`;
}

function handlerView(
  event: DomainEvent,
  name: string,
  assignments: readonly Assignment[],
  stateType: string,
  dataType: string,
  imports: Imports,
  rt: string,
): HandlerView {
  const param = assignments.some((a) => readsSource(a.expr)) ? 'data' : '_data';
  const lines = assignments.map((a) => {
    const head = `    ${a.target.name}: `;
    return `${head}${assignmentValue(a, param, imports, rt, { indent: '    ', column: head.length })},`;
  });
  return {
    doc: tsDoc([`\`${event.ceType}\`, as the spec's \`apply\` rules say.`]),
    name,
    stateType,
    params: listItems(`function ${name}`, [`state: ${stateType}`, `${param}: ${dataType}`], `: ${stateType} {`),
    body: `{\n    ...state,\n${lines.join('\n')}\n  }`,
  };
}

/** The new value of `a.target`: the expression (set), the list with it appended, or the sum. */
export function assignmentValue(a: Assignment, source: string, imports: Imports, rt: string, layout: Layout): string {
  const current = `state.${a.target.name}`;
  const target = a.target.type;
  switch (a.op) {
    case 'set':
      return tsExpr(a.expr, target, source, layout);
    case 'append': {
      if (target.kind !== 'array') throw new Error(`append to ${a.target.name}, which is not a list`);
      if (!a.spread) return `[...${current}, ${tsExpr(a.expr, target.items, source)}]`;
      // A literal list is spelled out; a field reference is spread.
      if (a.expr.kind === 'literal' && Array.isArray(a.expr.value)) {
        const items: readonly unknown[] = a.expr.value;
        if (items.length === 0) return current;
        const list = tsExpr(a.expr, target, source);
        return `[...${current}, ${list.slice(1, -1)}]`;
      }
      return `[...${current}, ...${tsExpr(a.expr, target, source)}]`;
    }
    case 'increment': {
      const by = tsExpr(a.expr, target, source);
      if (target.kind === 'decimal') return `${imports.value(rt, 'addDecimal')}(${current}, ${by}, ${target.scale})`;
      if (target.kind !== 'primitive' || !['int', 'long', 'float', 'double'].includes(target.name)) {
        throw new Error(`increment of ${a.target.name}, which is not a number`);
      }
      return `${current} + ${by.includes(' ? ') ? `(${by})` : by}`;
    }
  }
}

// ---- the user-owned file ----------------------------------------------------------------

export function customReducersView(domain: Domain, options: EmitOptions = defaultEmitOptions): CustomReducersView {
  const imports = new Imports();
  const typesFromCustom = generatedModule(options, domain, 'types');
  const stubs: CustomReducerStubView[] = [];
  for (const agg of domain.aggregates) {
    for (const event of agg.events) {
      if (event.apply.kind !== 'custom') continue;
      const name = applyHandlerName(event.name);
      const stateType = imports.type(typesFromCustom, stateTypeName(agg.name));
      stubs.push({
        doc: tsDoc([`${agg.name} state after \`${event.ceType}\` (\`apply: custom\` in the spec). Must not mutate \`state\`.`]),
        name,
        params: listItems(`export function ${name}`, [`state: ${stateType}`, `data: ${imports.type(typesFromCustom, event.name)}`], `: ${stateType} {`),
        stateType,
      });
    }
  }
  return {
    header: customHeader(domain, {
      what: 'reducers',
      marker: '`apply: custom`',
      generated: generatedModule(options, domain, 'reducers', '.ts'),
      typesFrom: typesFromCustom,
      shape: customFileNote.reducer,
    }),
    stubs,
    imports: imports.render(),
  };
}
