// Message cycles, over every domain of the run: a chain of reactions that leads back to its own
// event would send commands forever, and a saga whose commands (directly, or through reactions)
// emit its own start event would start itself again each time it runs. Both are refused (ES3028).
// A command may emit any event of its `emits`, so a cycle that a decider happens not to take is
// still refused: the spec cannot say which it takes.
import type { Diagnostics } from '../core/diagnostics.js';
import type { Command, CommandSend, Domain, DomainEvent, Reaction, Saga } from '../core/model.js';

const eventName = (e: DomainEvent): string => `${e.aggregateName}.${e.name}`;
const commandName = (c: Command): string => `${c.aggregateName}.${c.name}`;

export function checkCycles(domains: readonly Domain[], diags: Diagnostics): void {
  const reactions = domains.flatMap((d) => d.reactions);
  const byEvent = new Map<DomainEvent, Reaction[]>();
  for (const r of reactions) byEvent.set(r.on, [...(byEvent.get(r.on) ?? []), r]);
  checkReactionCycles(reactions, byEvent, diags);
  for (const d of domains) for (const saga of d.sagas) checkSagaRestart(saga, byEvent, diags);
}

/** Reaction r leads to reaction s when s listens to an event r's command emits. */
function next(r: Reaction, byEvent: ReadonlyMap<DomainEvent, readonly Reaction[]>): Reaction[] {
  return r.send.command.emits.flatMap((e) => byEvent.get(e) ?? []);
}

function checkReactionCycles(reactions: readonly Reaction[], byEvent: ReadonlyMap<DomainEvent, readonly Reaction[]>, diags: Diagnostics): void {
  const reported = new Set<Reaction>();
  for (const start of reactions) {
    if (reported.has(start)) continue;
    const cycle = shortestPath(start, start, byEvent);
    if (!cycle) continue;
    for (const r of cycle) reported.add(r);
    const steps = cycle.map((r, i) => {
      const to = cycle[i + 1] ?? start;
      return `${eventName(r.on)} → ${commandName(r.send.command)} (reaction \`${r.name}\`)${i === cycle.length - 1 ? ` → ${eventName(to.on)}` : ''}`;
    });
    diags.error(
      'ES3028',
      `reactions form a cycle that would send commands forever: ${steps.join(' → ')}; ${cycle.length === 1 ? 'the command emits the event that triggers it' : 'each command emits the event that triggers the next reaction'}`,
      start.loc,
    );
  }
}

/** The shortest chain of reactions from `from` that leads back to `to`, `from` first; undefined when none does. */
function shortestPath(from: Reaction, to: Reaction, byEvent: ReadonlyMap<DomainEvent, readonly Reaction[]>): Reaction[] | undefined {
  const prev = new Map<Reaction, Reaction>();
  const queue: Reaction[] = [from];
  const seen = new Set<Reaction>();
  while (queue.length > 0) {
    const r = queue.shift() as Reaction;
    for (const s of next(r, byEvent)) {
      if (s === to) {
        const path = [r];
        for (let p = prev.get(r); p !== undefined; p = prev.get(p)) path.unshift(p);
        return path;
      }
      if (seen.has(s)) continue;
      seen.add(s);
      prev.set(s, r);
      queue.push(s);
    }
  }
  return undefined;
}

function sendsOf(saga: Saga): CommandSend[] {
  return [
    ...saga.steps.flatMap((s) => [s.send, ...(s.compensation ? [s.compensation.send] : [])]),
    ...(saga.onCompleted ? [saga.onCompleted] : []),
    ...(saga.onCompensated ? [saga.onCompensated] : []),
  ];
}

function checkSagaRestart(saga: Saga, byEvent: ReadonlyMap<DomainEvent, readonly Reaction[]>, diags: Diagnostics): void {
  const reported = new Set<Command>();
  for (const send of sendsOf(saga)) {
    if (reported.has(send.command)) continue;
    const chain = chainToEvent(send.command, saga.startedBy, byEvent);
    if (!chain) continue;
    reported.add(send.command);
    diags.error(
      'ES3028',
      `saga ${saga.name} would start itself again: ${chain} ${eventName(saga.startedBy)}, which starts ${saga.name}; every run would start another`,
      send.loc,
    );
  }
}

/** How `command` leads to `target` (`X emits E; reaction r sends Y, which emits`), or undefined. */
function chainToEvent(command: Command, target: DomainEvent, byEvent: ReadonlyMap<DomainEvent, readonly Reaction[]>): string | undefined {
  const via = new Map<DomainEvent, { readonly from?: DomainEvent; readonly reaction?: Reaction }>();
  const queue: DomainEvent[] = [];
  for (const e of command.emits) {
    if (via.has(e)) continue;
    via.set(e, {});
    queue.push(e);
  }
  while (queue.length > 0) {
    const e = queue.shift() as DomainEvent;
    if (e === target) {
      // Walk back to the command's own event, then print forwards.
      const hops: { readonly event: DomainEvent; readonly reaction: Reaction }[] = [];
      for (let step = via.get(e); step?.from && step.reaction; step = via.get(step.from)) hops.unshift({ event: step.from, reaction: step.reaction });
      const middle = hops.map((h) => ` ${eventName(h.event)}, which triggers reaction \`${h.reaction.name}\`, which sends ${commandName(h.reaction.send.command)}, which emits`);
      return `${commandName(command)} emits${middle.join('')}`;
    }
    for (const r of byEvent.get(e) ?? []) {
      for (const f of r.send.command.emits) {
        if (via.has(f)) continue;
        via.set(f, { from: e, reaction: r });
        queue.push(f);
      }
    }
  }
  return undefined;
}
