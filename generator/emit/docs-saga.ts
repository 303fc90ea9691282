// The sagas in the catalog: a section per saga (its settings, its steps, a Mermaid
// stateDiagram-v2 of its states) and its part of the event-flow chart. This is the only part of
// the docs emitter that reads the saga model: each step's command, its success and failure
// events, its compensation and timeout.
import type { Command, CommandSend, DomainEvent, Saga, SagaCorrelation, SagaStep } from '../core/model.js';
import { mdAnchor, mdCode, mdDoc, mdTable } from './docs-markdown.js';
import { Flowchart, MermaidIds, mermaidBlock, mermaidText } from './docs-mermaid.js';

export interface SagaSectionView {
  readonly heading: string;
  readonly anchor: string;
  readonly doc: string;
  /** Markdown table of the saga's settings. */
  readonly summary: string;
  /** Markdown table of the steps, in order. */
  readonly steps: string;
  /** How to read the diagram. */
  readonly diagramDoc: string;
  /** A fenced `mermaid` block. */
  readonly diagram: string;
}

/** How the catalog shows an event a saga names (a link to its section when it has one). */
export type EventLink = (event: DomainEvent) => string;

export function sagaHeading(saga: Saga): string {
  return `Saga ${saga.name}`;
}

export function sagaSectionView(saga: Saga, eventLink: EventLink, commandLink: (command: Command) => string = (c) => mdCode(refName(c))): SagaSectionView {
  const heading = sagaHeading(saga);
  const optional = (send: CommandSend | undefined): string => (send ? commandLink(send.command) : '—');
  const events = (list: readonly DomainEvent[]): string => (list.length > 0 ? list.map(eventLink).join(', ') : '—');
  return {
    heading,
    anchor: mdAnchor(heading),
    doc: mdDoc(saga.doc),
    summary: mdTable(
      ['Property', 'Value'],
      [
        ['Started by', eventLink(saga.startedBy)],
        ['Correlation', mdCode(correlationText(saga.correlation))],
        ['Timeout', saga.timeout !== undefined ? mdCode(saga.timeout.iso) : 'none'],
        ['On completed', optional(saga.onCompleted)],
        ['On compensated', optional(saga.onCompensated)],
      ],
    ),
    steps: mdTable(
      ['#', 'Step', 'Command', 'Succeeds on', 'Fails on', 'Compensation', 'Timeout'],
      saga.steps.map((s, i) => [
        String(i + 1),
        mdCode(s.name),
        commandLink(s.send.command),
        events(s.succeedsOn),
        events(s.failsOn),
        optional(s.compensation?.send),
        s.timeout !== undefined ? mdCode(s.timeout.iso) : '—',
      ]),
    ),
    diagramDoc: diagramDocOf(saga),
    diagram: mermaidBlock(sagaStateDiagram(saga)),
  };
}

function diagramDocOf(saga: Saga): string {
  const timeouts = saga.timeout !== undefined || saga.steps.some((s) => s.timeout !== undefined);
  return [
    "Each step sends its command and waits; the step's success event moves on to the next step.",
    "Its failure event starts compensation: the compensations of the steps that already succeeded run, newest first.",
    ...(timeouts ? ['A timeout compensates the step that timed out as well, since its effect is uncertain.'] : []),
  ].join(' ');
}

/** `Inventory.ReserveStock`. */
export function refName(message: DomainEvent | Command): string {
  return `${message.aggregateName}.${message.name}`;
}

/** `Payment.PaymentCaptured / Payment.PaymentDeclined`: the events of a transition. */
function refNames(events: readonly DomainEvent[]): string {
  return events.map(refName).join(' / ');
}

/** As the spec writes it: `aggregateId` or `$.orderId`. */
export function correlationText(c: SagaCorrelation): string {
  return c.kind === 'aggregateId' ? 'aggregateId' : `$.${c.path.join('.')}`;
}

/**
 * The saga as a state machine, as the runtime's saga engine runs it: one state per step (its
 * command sent, waiting for its events); the success event moves to the next step, the last one
 * to `completed`. The failure event moves to the compensation of the nearest earlier step that
 * has one; a timeout (the step's, or the saga's while a step waits) to the step's own
 * compensation first, since the step may have taken effect. Compensations run newest first down
 * to `compensated`; one that fails, or goes unanswered past its deadline, on every send parks the
 * saga. Only compensation states some transition reaches are drawn.
 */
export function sagaStateDiagram(saga: Saga): string[] {
  const ids = new MermaidIds();
  const steps = saga.steps;
  const completed = ids.id('completed');
  const compensated = ids.id('compensated');
  const stepId = (s: SagaStep): string => ids.id('step', s.name);
  const undoId = (s: SagaStep): string => ids.id('undo', s.name);
  const reached = new Set<SagaStep>();
  /** The first compensation to run when the steps before `end` are to be undone. */
  const unwind = (end: number): string => {
    for (let j = end - 1; j >= 0; j--) {
      const earlier = steps[j];
      if (earlier?.compensation) {
        reached.add(earlier);
        return undoId(earlier);
      }
    }
    return compensated;
  };

  const transitions: string[] = [];
  const to = (from: string, target: string, label?: string): void => {
    transitions.push(`  ${from} --> ${target}${label !== undefined ? ` : ${mermaidText(label)}` : ''}`);
  };
  const first = steps[0];
  to('[*]', first ? stepId(first) : completed, refName(saga.startedBy));
  steps.forEach((s, i) => {
    const next = steps[i + 1];
    to(stepId(s), next ? stepId(next) : completed, refNames(s.succeedsOn));
    to(stepId(s), unwind(i), refNames(s.failsOn));
    if (s.timeout !== undefined) to(stepId(s), unwind(i + 1), `timeout ${s.timeout.iso}`);
    if (saga.timeout !== undefined) to(stepId(s), unwind(i + 1), `saga timeout ${saga.timeout.iso}`);
  });
  // A compensation leads to the next one down, which is reached too: walk from the newest. One
  // that fails (or, with a deadline, goes unanswered) on every send parks the saga for a person.
  const parked = ids.id('parked');
  let parks = false;
  const sends = `${saga.retry.maxAttempts} send${saga.retry.maxAttempts === 1 ? '' : 's'}`;
  [...steps.keys()].reverse().forEach((i) => {
    const s = steps[i];
    const c = s?.compensation;
    if (!s || !c || !reached.has(s)) return;
    to(undoId(s), unwind(i), c.succeedsOn.length ? refNames(c.succeedsOn) : 'sent, not awaited');
    if (c.failsOn.length) {
      to(undoId(s), parked, `${refNames(c.failsOn)} after ${sends}`);
      parks = true;
    }
    if (c.succeedsOn.length && (s.timeout ?? saga.timeout) !== undefined) {
      to(undoId(s), parked, `no answer after ${sends}`);
      parks = true;
    }
  });
  // A person resumes it: the compensation is sent again (or skipped) and unwinding carries on.
  if (parks) to(parked, compensated, 'resumeParkedSaga');
  to(completed, '[*]');
  to(compensated, '[*]');

  const state = (id: string, description: string): string => `  state "${mermaidText(description)}" as ${id}`;
  const states = [
    ...steps.map((s) => state(stepId(s), `${s.name} (sends ${refName(s.send.command)})`)),
    ...steps.flatMap((s) => (s.compensation && reached.has(s) ? [state(undoId(s), `undo ${s.name} (sends ${refName(s.compensation.send.command)})`)] : [])),
    state(completed, saga.onCompleted ? `completed (sends ${refName(saga.onCompleted.command)})` : 'completed'),
    state(compensated, saga.onCompensated ? `compensated (sends ${refName(saga.onCompensated.command)})` : 'compensated'),
    ...(parks ? [state(parked, 'parked: a person resumes it (listParkedSagas, resumeParkedSaga)')] : []),
  ];
  return ['stateDiagram-v2', ...states, ...transitions];
}

/**
 * The saga's part of the event-flow chart: its start event starts it, it sends each step's
 * command, which ends in the step's success or failure event; compensations and the final
 * commands hang off the saga with dotted edges for the unhappy path.
 */
export function addSagaFlow(chart: Flowchart, saga: Saga, eventNode: (event: DomainEvent) => string): void {
  const sagaNode = chart.node('saga', [saga.name], 'hexagon', saga.name);
  const command = (c: Command): string => chart.node('cmd', [c.aggregateName, c.name], 'flag', refName(c));
  chart.edge(eventNode(saga.startedBy), sagaNode, { label: 'starts' });
  for (const s of saga.steps) {
    const cmd = command(s.send.command);
    chart.edge(sagaNode, cmd, { label: s.name });
    for (const e of s.succeedsOn) chart.edge(cmd, eventNode(e), { label: 'succeeds' });
    for (const e of s.failsOn) chart.edge(cmd, eventNode(e), { label: 'fails', dotted: true });
  }
  for (const s of saga.steps) if (s.compensation) chart.edge(sagaNode, command(s.compensation.send.command), { label: `undo ${s.name}`, dotted: true });
  if (saga.onCompleted) chart.edge(sagaNode, command(saga.onCompleted.command), { label: 'completed' });
  if (saga.onCompensated) chart.edge(sagaNode, command(saga.onCompensated.command), { label: 'compensated', dotted: true });
}
