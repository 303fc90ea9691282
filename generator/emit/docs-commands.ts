// Commands and reactions in the catalog: a section per command (its CloudEvents type, topic,
// versions, the events its decider may return), a table of the domain's reactions, and their part
// of the event-flow chart: a command goes to the aggregate that decides it, a reaction turns an
// event into a command.
import type { Aggregate, Command, CommandData, DataExpr, DomainEvent, Reaction } from '../core/model.js';
import { deciderName } from '../core/names-commands.js';
import { dslValue, mdCode, mdDoc, mdTable } from './docs-markdown.js';
import type { Flowchart } from './docs-mermaid.js';
import { refName } from './docs-saga.js';

export const commandHeading = (c: Command): string => `Command ${c.name}`;
export const reactionsHeading = 'Reactions';

export interface CommandSummaryLinks {
  readonly event: (e: DomainEvent) => string;
  readonly versions: string;
  /** The link to the user-owned deciders file. */
  readonly deciders: string;
}

/** The properties table of a command's section. */
export function commandSummary(c: Command, links: CommandSummaryLinks): string {
  return mdTable(
    ['Property', 'Value'],
    [
      ['CloudEvents type', mdCode(c.ceType)],
      ['Topic', mdCode(c.topic)],
      ['Versions', links.versions],
      ['Emits', c.emits.map(links.event).join(', ')],
      ['Decider', `custom: ${mdCode(deciderName(c.name))} in ${links.deciders}`],
    ],
  );
}

/** The domain's reactions as a table; '' when it has none. */
export function reactionsTable(reactions: readonly Reaction[], event: (e: DomainEvent) => string, command: (c: Command) => string): string {
  if (reactions.length === 0) return '';
  return mdTable(
    ['Reaction', 'On', 'Sends', 'To', 'Data', 'Doc'],
    reactions.map((r) => [mdCode(r.name), event(r.on), command(r.send.command), mdCode(dataExprText(r.send.to)), dataText(r.send.data), mdDoc(r.doc).replace(/\n+/g, ' ')]),
  );
}

function dataText(data: CommandData): string {
  if (data.kind === 'custom') return 'custom';
  if (data.assignments.length === 0) return '—';
  return data.assignments.map((a) => mdCode(`${a.target.name}: ${dataExprText(a.expr)}`)).join(', ');
}

/** A saga or reaction expression as the spec writes it: `$.orderId`, `$start.items[0].sku`, `$sagaId`. */
export function dataExprText(e: DataExpr): string {
  const prefix = (source: Extract<DataExpr, { kind: 'eventField' }>['source']): string =>
    source.kind === 'trigger' ? '$' : source.kind === 'start' ? '$start' : `$steps.${source.step}`;
  switch (e.kind) {
    case 'eventField':
      return `${prefix(e.source)}${e.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
    case 'aggregateId':
      return e.source.kind === 'trigger' ? '$aggregateId' : `${prefix(e.source)}.aggregateId`;
    case 'sagaId':
      return '$sagaId';
    case 'literal':
      return dslValue(e.value);
    case 'object':
      return e.fields.length ? `{ ${e.fields.map((f) => `${f.name}: ${dataExprText(f.expr)}`).join(', ')} }` : '{}';
  }
}

/** Command node of the flow chart (shared with the sagas' part, which sends commands too). */
export function commandNode(chart: Flowchart, c: Command): string {
  return chart.node('cmd', [c.aggregateName, c.name], 'flag', refName(c));
}

/** Each command into the aggregate that decides it; each reaction from its event to its command. */
export function addCommandFlow(chart: Flowchart, aggregates: readonly Aggregate[], reactions: readonly Reaction[], aggregateNode: (a: Aggregate) => string, eventNode: (e: DomainEvent) => string): void {
  for (const a of aggregates) for (const c of a.commands) chart.edge(commandNode(chart, c), aggregateNode(a), { label: 'decides' });
  for (const r of reactions) {
    const node = chart.node('reaction', [r.name], 'stadium', r.name);
    chart.edge(eventNode(r.on), node, { label: 'on' });
    chart.edge(node, commandNode(chart, r.send.command), { label: 'sends' });
  }
}
