// Saga rules: an orchestrator's instances live for minutes or days, with their step, pending
// command and context stored in PostgreSQL (runtime/saga/store.ts). A deploy must not strand
// them: the engine finds a stored instance's step by name and the next step by position, matches
// answers by CloudEvents type, and decodes the stored context (the start event and each completed
// step's event, as Avro JSON of their latest version when stored) with the current codecs.
// Sagas match by name, steps by name; a rename is a removal.
import type { Domain, DomainEvent, Saga, SagaStep } from '../core/model.js';
import type { RawFinding, Side, Where } from './findings.js';
import { avroOf, sameSchema } from './published.js';

interface Located {
  readonly saga: Saga;
  readonly domain: Domain;
}

function sagasOf(side: Side): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const domain of side.model.domains) for (const saga of domain.sagas) out.set(saga.name, { saga, domain });
  return out;
}

const types = (events: readonly DomainEvent[]): string => `[${events.map((e) => `${e.aggregateName}.${e.name}`).join(', ')}]`;
// Events and commands compare by aggregate and name: a changed CloudEvents type (a renamed
// domain) is CE_TYPE_CHANGED's and COMMAND_CE_TYPE_CHANGED's finding, not one per saga.
const key = (m: { readonly aggregateName: string; readonly name: string }): string => `${m.aggregateName}.${m.name}`;
const sameTypes = (a: readonly DomainEvent[], b: readonly DomainEvent[]): boolean => a.length === b.length && [...a.map(key)].sort().join('\0') === [...b.map(key)].sort().join('\0');

function at(loc: { readonly file: string; readonly line: number; readonly col: number }): Where {
  return { file: loc.file, line: loc.line, col: loc.col };
}

function latestSchema(event: DomainEvent): unknown {
  const latest = event.versions[event.versions.length - 1];
  return latest === undefined ? undefined : avroOf(latest.fields, event.name);
}

/** The events a saga's stored context may hold, by aggregate and name: its start event and every step's succeedsOn. */
function storedEvents(saga: Saga): Map<string, { readonly event: DomainEvent; readonly role: string }> {
  const out = new Map<string, { readonly event: DomainEvent; readonly role: string }>();
  out.set(key(saga.startedBy), { event: saga.startedBy, role: 'its start event' });
  for (const step of saga.steps) for (const e of step.succeedsOn) if (!out.has(key(e))) out.set(key(e), { event: e, role: `the event that completed step ${step.name}` });
  return out;
}

export function compareSagas(base: Side, cur: Side): RawFinding[] {
  const findings: RawFinding[] = [];
  const curSagas = sagasOf(cur);
  for (const [name, b] of sagasOf(base)) {
    const c = curSagas.get(name);
    const sagaPath = `sagas.${name}`;
    if (c === undefined) {
      const domain = cur.model.domains.find((d) => d.name === b.domain.name);
      const where = domain !== undefined ? cur.index.at(domain.file, cur.index.has(domain.file, ['sagas']) ? ['sagas'] : ['domain'], 'key') : base.index.at(b.domain.file, ['sagas', name], 'key');
      findings.push({
        ...where,
        rule: 'SAGA_REMOVED',
        path: sagaPath,
        domain: domain?.name ?? b.domain.name,
        message: `saga ${name} was removed or renamed (path ${sagaPath}); instances still in flight would never finish or compensate`,
      });
      continue;
    }
    const add = (where: Where, rule: RawFinding['rule'], path: string, message: string): void => {
      findings.push({ ...where, rule, path, domain: c.domain.name, message });
    };
    const curSteps = new Map(c.saga.steps.map((s) => [s.name, s]));
    for (const bs of b.saga.steps) {
      const cs = curSteps.get(bs.name);
      if (cs === undefined) {
        add(cur.index.at(c.domain.file, ['sagas', name, 'steps'], 'key'), 'SAGA_STEP_REMOVED', `${sagaPath}.steps.${bs.name}`, `step ${bs.name} of saga ${name} was removed or renamed; instances waiting in it or compensating it are stranded`);
        continue;
      }
      compareStep(name, bs, cs, (where, rule, message) => add(where, rule, `${sagaPath}.steps.${bs.name}`, message));
    }
    const kept = b.saga.steps.map((s) => s.name).filter((s) => curSteps.has(s));
    const now = c.saga.steps.map((s) => s.name).filter((s) => kept.includes(s));
    if (kept.join('\0') !== now.join('\0')) {
      const moved = c.saga.steps.find((s, i) => s.name !== now[i] && kept.includes(s.name)) ?? c.saga.steps.find((s) => kept.includes(s.name));
      add(moved ? at(moved.loc) : at(c.saga.loc), 'SAGA_STEPS_REORDERED', `${sagaPath}.steps`, `steps of saga ${name} were reordered from [${kept.join(', ')}] to [${now.join(', ')}]; an instance in flight would run a step twice or skip one, and compensate in the wrong order`);
    }
    compareState(b.saga, c.saga, (rule, message) => add(at(c.saga.loc), rule, sagaPath, message));
    if (b.saga.timeout !== undefined && (c.saga.timeout === undefined ? false : c.saga.timeout.ms < b.saga.timeout.ms)) {
      add(cur.index.at(c.domain.file, ['sagas', name, 'timeout'], 'value'), 'SAGA_TIMEOUT_SHORTENED', `${sagaPath}.timeout`, `timeout of saga ${name} shortened from ${b.saga.timeout.iso} to ${c.saga.timeout?.iso ?? ''}; instances started more than ${c.saga.timeout?.iso ?? ''} ago time out (and compensate) as soon as the new version runs`);
    } else if (b.saga.timeout === undefined && c.saga.timeout !== undefined) {
      add(cur.index.at(c.domain.file, ['sagas', name, 'timeout'], 'value'), 'SAGA_TIMEOUT_SHORTENED', `${sagaPath}.timeout`, `saga ${name} gained a timeout of ${c.saga.timeout.iso}; instances started longer ago than that time out (and compensate) as soon as the new version runs`);
    }
  }
  return findings;
}

function compareStep(saga: string, bs: SagaStep, cs: SagaStep, add: (where: Where, rule: RawFinding['rule'], message: string) => void): void {
  const label = `step ${cs.name} of saga ${saga}`;
  const changed: string[] = [];
  if (key(bs.send.command) !== key(cs.send.command)) changed.push(`its command changed from ${bs.send.command.aggregateName}.${bs.send.command.name} to ${cs.send.command.aggregateName}.${cs.send.command.name}`);
  if (!sameTypes(bs.succeedsOn, cs.succeedsOn)) changed.push(`succeedsOn changed from ${types(bs.succeedsOn)} to ${types(cs.succeedsOn)}`);
  if (!sameTypes(bs.failsOn, cs.failsOn)) changed.push(`failsOn changed from ${types(bs.failsOn)} to ${types(cs.failsOn)}`);
  const bc = bs.compensation;
  const cc = cs.compensation;
  if (bc === undefined && cc !== undefined) changed.push(`a compensation (${cc.send.command.aggregateName}.${cc.send.command.name}) was added`);
  else if (bc !== undefined && cc === undefined) changed.push(`its compensation (${bc.send.command.aggregateName}.${bc.send.command.name}) was removed`);
  else if (bc !== undefined && cc !== undefined) {
    if (key(bc.send.command) !== key(cc.send.command)) changed.push(`its compensation changed from ${bc.send.command.aggregateName}.${bc.send.command.name} to ${cc.send.command.aggregateName}.${cc.send.command.name}`);
    if (!sameTypes(bc.succeedsOn, cc.succeedsOn)) changed.push(`the compensation's succeedsOn changed from ${types(bc.succeedsOn)} to ${types(cc.succeedsOn)}`);
    if (!sameTypes(bc.failsOn, cc.failsOn)) changed.push(`the compensation's failsOn changed from ${types(bc.failsOn)} to ${types(cc.failsOn)}`);
  }
  for (const what of changed) add(at(cs.loc), 'SAGA_STEP_CHANGED', `${label}: ${what}; instances in flight wait for answers to the command they already sent`);
  if (bs.timeout !== undefined && cs.timeout !== undefined && cs.timeout.ms < bs.timeout.ms) {
    add(at(cs.loc), 'SAGA_TIMEOUT_SHORTENED', `timeout of ${label} shortened from ${bs.timeout.iso} to ${cs.timeout.iso}; commands in flight longer than that are resent (or the step times out) at once`);
  }
}

/** The stored context must decode with the new definition's codecs: same event types, same latest schemas. */
function compareState(bs: Saga, cs: Saga, add: (rule: RawFinding['rule'], message: string) => void): void {
  const now = storedEvents(cs);
  for (const [name, was] of storedEvents(bs)) {
    const is = now.get(name);
    const event = `${was.event.aggregateName}.${was.event.name}`;
    if (is === undefined) {
      add('SAGA_STATE_CHANGED', `saga ${cs.name} no longer reads ${event} (${was.role} in the baseline), which the stored state of instances in flight holds; it would no longer decode`);
      continue;
    }
    if (!sameSchema(latestSchema(was.event), latestSchema(is.event), false)) {
      const v = (e: DomainEvent): number => e.versions.length;
      add(
        'SAGA_STATE_CHANGED',
        `saga ${cs.name} stores ${event} (${was.role}) as its latest version, v${v(was.event)} in the baseline, v${v(is.event)} now with another schema; the stored state of instances in flight would no longer decode (let them finish before the new version is deployed)`,
      );
    }
  }
}
